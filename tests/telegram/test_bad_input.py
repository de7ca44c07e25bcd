"""Bad input through the fake Bot API, table-driven (tests/telegram/bad_inputs.py): each
row is answered in the user's language (an adapter text, or Rasa's reply), and nothing
is stored half-way (no transcript turn for what Rasa never saw, no evidence file for a
refused one, every inbox row done, no `parse_mode` ever)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Dict

import pytest

from bot import i18n
from bot.services import Services
from bot.settings import Settings
from tests.telegram.bad_inputs import ADAPTER_KEYS, CYRILLIC, HAN, LATIN, ROWS, Row
from tests.telegram.conftest import running
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.test_conversations import in_turns, inbox_rows

pytestmark = pytest.mark.stack


def in_language(reply: str, language: str) -> bool:
    """True when a reply is written in `language` ("all": the three-language choice;
    "a|b": either)."""
    if "|" in language:
        return any(in_language(reply, one) for one in language.split("|"))
    if language == "all":
        return bool(HAN.search(reply) and CYRILLIC.search(reply) and LATIN.search(reply))
    if language == "zh":
        return bool(HAN.search(reply))
    if language == "ru":
        return bool(CYRILLIC.search(reply))
    return not HAN.search(reply) and not CYRILLIC.search(reply)


def adapter_texts(language: str) -> Dict[str, str]:
    """The adapter's own texts in one language (to tell them from Rasa's replies)."""
    return {i18n.text(key, language): key for key in ADAPTER_KEYS}


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_bad_input_answered_in_the_users_language_nothing_half_stored(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
    monkeypatch: pytest.MonkeyPatch, row: Row,
) -> None:
    if row.patch is not None:
        row.patch(monkeypatch)
    lang = row.language if row.language in i18n.LANGUAGES else None
    async with running(tg_settings, tg_services):
        row.push(fake_api, chat_id, row.language)
        await fake_api.wait_for(lambda: inbox_rows(tg_services)
                                and all(r.done_at for r in inbox_rows(tg_services)))
        if row.stored_text is not None:
            await fake_api.wait_for(lambda: len(fake_api.texts(chat_id)) >= 1)
    calls = [c.params for c in fake_api.calls if c.method == "sendMessage"]
    assert all("parse_mode" not in params for params in calls)
    texts = fake_api.texts(chat_id)
    own = adapter_texts(lang or "fr")
    told = [own[t] for t in texts if t in own]
    replies = [t for t in texts if t not in own]
    turns = in_turns(tg_services, chat_id)
    assert "rasa_down" not in told
    if row.told == "button_expired":
        answers = [c.params for c in fake_api.delivered if c.method == "answerCallbackQuery"]
        assert [a.get("text") for a in answers] == [i18n.text("button_expired", lang)]
    elif row.told is not None:
        assert told == [row.told]
    if row.stored_text is None:  # Rasa never asked: nothing recorded, no file kept
        assert turns == [] and replies == []
    else:
        assert len(turns) == 1 and row.stored_text(turns[0].text), turns[0].text
        assert replies and all(in_language(r, row.reply_language) for r in replies), replies
    evidence = Path(tg_settings.evidence_dir)
    assert not evidence.exists() or list(evidence.iterdir()) == []


async def test_twenty_messages_in_one_second_from_one_chat(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    messages = [f"{word} {n}" for n, word in enumerate(
        ["bonjour", "merci", "aide", "je suis client", "au revoir"] * 4)]
    async with running(tg_settings, tg_services):
        for message_text in messages:
            fake_api.push_text(chat_id, message_text, "fr")
            await asyncio.sleep(0.04)  # 20 messages within one second
        fake_api.push_text(chat_id + 1, "你好", "zh")
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id + 1)) == 1,
                                timeout=30)
        await fake_api.wait_for(lambda: len(inbox_rows(tg_services)) == 21 and all(
            r.done_at for r in inbox_rows(tg_services)), timeout=180)
    assert [t.text for t in in_turns(tg_services, chat_id)] == messages
    assert all(in_language(t, "fr") for t in fake_api.texts(chat_id))
