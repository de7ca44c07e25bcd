"""The terminal chat loop, with a stand-in for the conversation runner (unit test)."""

from __future__ import annotations

import io
from typing import List

from bot.conversation import TurnResult
from bot.rasa_client import BotReply, RasaUnavailable
from bot.terminal import chat


class FakeConversations:
    def __init__(self, fail: bool = False) -> None:
        self.calls: List[tuple] = []
        self.fail = fail

    async def handle(self, sender, text, *, pressed=None, **_):
        self.calls.append((sender, text, pressed))
        if self.fail:
            raise RasaUnavailable("down")
        return TurnResult(
            replies=[BotReply("Bonjour !", [{"title": "Aide", "payload": "/help"}])],
            language="fr",
        )


async def run(lines: str, conversations) -> str:
    out = io.StringIO()
    await chat(conversations, "s1", io.StringIO(lines), out)
    return out.getvalue()


async def test_buttons_commands_and_empty_lines():
    conversations = FakeConversations()
    out = await run("salut\n1\n/complaint\n   \n/quit\nignored\n", conversations)
    assert [c[1] for c in conversations.calls] == ["salut", "/help", "/file_complaint"]
    assert conversations.calls[1][2] == {"title": "Aide", "payload": "/help"}
    assert "[1] Aide" in out
    assert "Votre message est vide" in out
    assert out.rstrip().endswith("À bientôt !")


async def test_long_text_is_cut_and_said(monkeypatch):
    conversations = FakeConversations()
    out = await run("ф" * 10000 + "\n", conversations)
    assert len(conversations.calls[0][1]) == 4096
    assert "très long" in out


async def test_rasa_down_is_reported_and_the_chat_goes_on():
    conversations = FakeConversations(fail=True)
    out = await run("bonjour\nencore\n", conversations)
    assert out.count("Le service ne répond pas") == 2


class DocumentConversations(FakeConversations):
    async def handle(self, sender, text, *, pressed=None, **_):
        return TurnResult(
            replies=[BotReply("Вот шаблон", [])],
            language="ru",
            notices=[{"document": {"path": "/srv/var/documents/ab.docx",
                                   "filename": "претензия.docx"}}],
        )


async def test_a_generated_document_is_shown_by_its_path():
    out = await run("шаблон\n/quit\n", DocumentConversations())
    assert "Вот шаблон" in out
    assert "Редактируемый документ Word сохранён здесь: /srv/var/documents/ab.docx" in out
