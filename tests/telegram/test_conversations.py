"""End to end: the fake Bot API ↔ PTB ↔ adapter ↔ the real Rasa server and actions."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot import i18n
from bot.services import Services
from bot.settings import Settings
from bot.storage.models import InboxUpdate, Turn
from tests.telegram.conftest import TOKEN, running
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.test_units import jpeg_with_gps

pytestmark = pytest.mark.stack


def keyboard_of(params: dict) -> list:
    """The inline buttons of one sendMessage call."""
    return [b for row in (params.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row]


def in_turns(services: Services, chat_id: int) -> list:
    """The incoming transcript turns of one chat, oldest first."""
    with services.sessions() as session:
        return list(session.execute(
            select(Turn).where(Turn.conversation_id == str(chat_id),
                               Turn.direction == "in").order_by(Turn.id)).scalars())


@pytest.mark.parametrize(
    "language, greeting, expected_script",
    [("fr", "bonjour", "Bonjour"), ("zh", "你好", "您好"), ("ru", "здравствуйте", "Здравствуйте")],
)
async def test_greeting_in_each_language_then_a_button(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
    language: str, greeting: str, expected_script: str, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(tg_settings, tg_services):
        fake_api.push_text(chat_id, greeting, language)
        await fake_api.wait_for(lambda: fake_api.texts(chat_id))
        await fake_api.wait_for(lambda: any(keyboard_of(p) for p in fake_api.sent(chat_id)))
        first = next(p for p in fake_api.sent(chat_id) if keyboard_of(p))
        assert first["text"].startswith(expected_script)
        assert "parse_mode" not in first
        buttons = keyboard_of(first)
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
        assert any(c.method == "sendChatAction" for c in fake_api.calls)
        before = len(fake_api.texts(chat_id))
        message = {**first, "message_id": 99, "chat": {"id": chat_id, "type": "private"},
                   "date": 0, "reply_markup": first["reply_markup"]}
        fake_api.push_callback(chat_id, buttons[0]["callback_data"], message, language)
        await fake_api.wait_for(lambda: len(fake_api.texts(chat_id)) > before)
        assert fake_api.sent(chat_id, "editMessageReplyMarkup")
        await fake_api.wait_for(
            lambda: all(r.done_at for r in inbox_rows(tg_services)))
    turns = in_turns(tg_services, chat_id)
    assert [t.text for t in turns] == [greeting, buttons[0]["callback_data"][12:]]
    assert turns[1].buttons and buttons[0]["text"] in turns[1].buttons
    assert turns[0].language == language
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def inbox_rows(services: Services) -> list:
    """Every inbox row."""
    with services.sessions() as session:
        return list(session.execute(select(InboxUpdate)).scalars())


async def test_forged_and_stale_buttons_get_a_polite_answer_only(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    async with running(tg_settings, tg_services):
        message = {"message_id": 5, "date": 0, "chat": {"id": chat_id, "type": "private"},
                   "text": "x"}
        for data in ("/delete_my_data", "AAAAAAAAAAAA/restart", "~stale-id"):
            fake_api.push_callback(chat_id, data, message, "ru")
        await fake_api.wait_for(
            lambda: len([c for c in fake_api.delivered
                         if c.method == "answerCallbackQuery"]) == 3)
        await fake_api.wait_for(lambda: all(r.done_at for r in inbox_rows(tg_services)))
    answers = [c.params for c in fake_api.delivered if c.method == "answerCallbackQuery"]
    assert {a["text"] for a in answers} == {i18n.text("button_expired", "ru")}
    assert fake_api.texts(chat_id) == []
    assert in_turns(tg_services, chat_id) == []


async def test_commands_are_registered_and_mapped(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    async with running(tg_settings, tg_services):
        for command in ("/start", "/help", "/language", "/cancel", "/nonsense"):
            fake_api.push_text(chat_id, command, "fr")
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id)) == 5
                                and all(r.done_at for r in inbox_rows(tg_services)))
    registered = [c.params for c in fake_api.calls if c.method == "setMyCommands"]
    assert sorted(str(p.get("language_code")) for p in registered) == \
        ["None", "fr", "ru", "zh"]
    zh = next(p for p in registered if p.get("language_code") == "zh")
    assert {c["command"] for c in zh["commands"]} == {
        "start", "help", "language", "complaint", "status", "cancel", "restart",
        "delete_my_data"}
    assert {c["description"] for c in zh["commands"]} >= {"提交投诉", "删除我的数据"}
    assert [t.text for t in in_turns(tg_services, chat_id)] == [
        "/greet", "/help", "/change_language", "/cancel", "/help"]
    assert len(fake_api.texts(chat_id)) >= 5


async def test_photo_album_and_document_are_stored_clean(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    async with running(tg_settings, tg_services):
        fake_api.push_photo(chat_id, jpeg_with_gps())
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id)) == 1)
        for _ in range(3):
            fake_api.push_photo(chat_id, jpeg_with_gps(), group="album-1")
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id)) == 2)
        png = io.BytesIO()
        Image.new("RGB", (8, 8)).save(png, "PNG")
        fake_api.add_file("doc-ok", png.getvalue())
        fake_api.add_file("doc-gif", b"GIF89a" + b"\0" * 30)
        for file_id in ("doc-ok", "doc-gif"):
            fake_api.push(fake_api.message_update(chat_id, "fr", document={
                "file_id": file_id, "file_unique_id": file_id, "file_name": "../../x.png",
                "mime_type": "image/png", "file_size": 30}))
        fake_api.push(fake_api.message_update(chat_id, "fr", document={
            "file_id": "big", "file_unique_id": "big", "file_size": 21 * 1024 * 1024}))
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id)) == 3
                                and all(r.done_at for r in inbox_rows(tg_services)))
    turns = in_turns(tg_services, chat_id)
    assert [(t.text, t.attachments) for t in turns] == [
        ("/provide_evidence", 1), ("/provide_evidence", 3), ("/provide_evidence", 1)]
    stored = sorted(Path(tg_settings.evidence_dir).iterdir())
    assert len(stored) == 5
    assert {p.suffix for p in stored} == {".jpg", ".png"}
    for path in stored:
        assert len(path.stem) == 32
        with Image.open(path) as image:
            assert dict(image.getexif()) == {}
    texts = fake_api.texts(chat_id)
    assert i18n.text("evidence_bad_type", "fr") in texts
    assert i18n.text("evidence_too_big", "fr") in texts


async def test_sticker_edit_and_foreign_contact_never_reach_rasa(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    async with running(tg_settings, tg_services):
        fake_api.push(fake_api.message_update(chat_id, "zh", sticker={
            "file_id": "s", "file_unique_id": "s", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "type": "regular"}))
        fake_api.push(fake_api.message_update(chat_id, "zh", voice={
            "file_id": "v", "file_unique_id": "v", "duration": 3}))
        edited = fake_api.message_update(chat_id, "zh", text="改过的")
        fake_api.push({"edited_message": {**edited["message"], "edit_date": 1}})
        fake_api.push(fake_api.message_update(chat_id, "zh", contact={
            "phone_number": "+8613800000000", "first_name": "X", "user_id": 42}))
        fake_api.push(fake_api.message_update(chat_id, "zh", text="   "))
        await fake_api.wait_for(lambda: len(fake_api.texts(chat_id)) == 5)
        fake_api.push(fake_api.message_update(chat_id, "zh", contact={
            "phone_number": "+8613800000000", "first_name": "X", "user_id": chat_id}))
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id)) == 1)
    assert fake_api.texts(chat_id)[:5] == [
        i18n.text(key, "zh") for key in ("unsupported_media", "unsupported_media",
                                         "edited_message", "contact_not_own",
                                         "empty_message")]
    assert [t.text for t in in_turns(tg_services, chat_id)] == ["/share_contact"]


async def test_staff_notices_for_handoff_and_new_case(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    from bot.conversation import TurnResult
    from bot.telegram.handlers import notify_staff

    async with running(tg_settings, tg_services) as (_, adapter):
        result = TurnResult(language="zh", handoff=True, notices=[{"new_case": "DR-7KQ2M9"}])
        await notify_staff(adapter, str(chat_id), result)
    staff = fake_api.texts(tg_settings.telegram_staff_chat_id)
    assert staff == [
        i18n.text("staff_handoff", None).format(conversation=chat_id, language="zh"),
        i18n.text("staff_new_case", None).format(ref="DR-7KQ2M9", language="zh"),
    ]
