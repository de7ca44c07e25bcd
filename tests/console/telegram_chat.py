"""A Telegram user talking to the real adapter through the fake Bot API: texts, photos and
button presses, each waited for until the adapter has answered it (inbox row done)."""

from __future__ import annotations

from typing import Any, Dict, List

from sqlalchemy import select

from bot.services import Services
from bot.storage.models import InboxUpdate
from bot.telegram.adapter import Adapter
from tests.telegram.fake_api import FakeTelegram

TIMEOUT = 120.0  # one Rasa turn on a loaded 2-core machine


def keyboard_of(params: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The inline buttons of one sendMessage call."""
    return [b for row in (params.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row]


class Chat:
    """One private chat; every method returns the texts the bot sent in answer."""

    def __init__(self, fake: FakeTelegram, adapter: Adapter, services: Services,
                 chat_id: int, language: str) -> None:
        self.fake = fake
        self.adapter = adapter
        self.services = services
        self.chat_id = chat_id
        self.language = language

    def _done(self, update_id: int) -> bool:
        with self.services.sessions() as session:
            row = session.execute(select(InboxUpdate.done_at).where(
                InboxUpdate.update_id == update_id)).first()
        return row is not None and row[0] is not None

    async def _answered(self, update_id: int, before: int) -> List[str]:
        await self.fake.wait_for(
            lambda: self._done(update_id) and len(self.fake.texts(self.chat_id)) > before,
            timeout=TIMEOUT)
        return self.fake.texts(self.chat_id)[before:]

    async def say(self, text: str) -> List[str]:
        """The user types `text`."""
        before = len(self.fake.texts(self.chat_id))
        return await self._answered(self.fake.push_text(self.chat_id, text, self.language),
                                    before)

    async def photo(self, data: bytes) -> List[str]:
        """The user sends one photo."""
        before = len(self.fake.texts(self.chat_id))
        return await self._answered(
            self.fake.push_photo(self.chat_id, data, language=self.language), before)

    def payloads(self) -> Dict[str, Dict[str, Any]]:
        """The buttons of the bot's latest message with a keyboard, by Rasa payload."""
        latest = [p for p in self.fake.sent(self.chat_id) if keyboard_of(p)]
        assert latest, "the bot sent no buttons"
        found = {}
        for button in keyboard_of(latest[-1]):
            pressed = self.adapter.codec.decode(str(self.chat_id), button["callback_data"])
            assert pressed is not None, "a button the adapter cannot decode"
            found[pressed.payload] = {"button": button, "message": latest[-1]}
        return found

    async def press(self, payload: str) -> List[str]:
        """The user presses the button of the latest keyboard that sends `payload`."""
        buttons = self.payloads()
        assert payload in buttons, f"no {payload!r} among {sorted(buttons)}"
        sent = buttons[payload]["message"]
        message = {"message_id": 900 + len(self.fake.calls), "date": 0, "text": sent["text"],
                   "chat": {"id": self.chat_id, "type": "private"},
                   "reply_markup": sent["reply_markup"]}
        before = len(self.fake.texts(self.chat_id))
        return await self._answered(self.fake.push_callback(
            self.chat_id, buttons[payload]["button"]["callback_data"], message,
            self.language), before)
