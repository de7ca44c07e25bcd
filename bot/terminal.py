"""The terminal chat (`make run` without a Telegram token): the full stack, no Telegram."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from typing import List, Optional, TextIO

from bot import i18n
from bot.commands import payload_of
from bot.text import clean
from bot.conversation import Conversations
from bot.rasa_client import BotReply, RasaUnavailable
from bot.storage.db import StorageUnavailable

QUIT = {"/quit", "/exit"}
logger = logging.getLogger(__name__)


def render(replies: List[BotReply], out: TextIO) -> List[dict]:
    """Prints the replies; returns the buttons offered, numbered from 1."""
    buttons: List[dict] = []
    for reply in replies:
        if reply.text:
            out.write(f"\n🤖 {reply.text}\n")
        for button in reply.buttons:
            buttons.append(button)
            out.write(f"   [{len(buttons)}] {button['title']}\n")
    out.flush()
    return buttons


async def chat(
    conversations: Conversations,
    sender: Optional[str] = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    """Reads lines until /quit or end of input; a number presses a button."""
    sender = sender or f"terminal-{getpass.getuser()}"
    language: Optional[str] = None
    stdout.write(i18n.all_languages("terminal_intro") + "\n")
    buttons: List[dict] = []
    loop = asyncio.get_running_loop()
    while True:
        stdout.write("\n> ")
        stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        cleaned = clean(line)
        text = cleaned.text
        if text in QUIT:
            break
        pressed = None
        if text.isdigit() and 0 < int(text) <= len(buttons):
            pressed = buttons[int(text) - 1]
            text = pressed["payload"]
        text = payload_of(text) or text
        if cleaned.is_empty:
            stdout.write(i18n.text("empty_message", language) + "\n")
            continue
        if cleaned.truncated:
            stdout.write(i18n.text("too_long", language) + "\n")
        try:
            result = await conversations.handle(sender, text, pressed=pressed)
        except (RasaUnavailable, StorageUnavailable) as error:
            logger.warning("turn not made: %s: %s", type(error).__name__, error)
            stdout.write(i18n.text("terminal_rasa_down", language) + "\n")
            continue
        language = result.language or language
        buttons = render(result.replies, stdout)
        for notice in result.notices:
            document = notice.get("document")
            if isinstance(document, dict) and document.get("path"):
                stdout.write(
                    i18n.text("document_saved", language).format(path=document["path"])
                    + "\n"
                )
    stdout.write(i18n.text("terminal_bye", language) + "\n")
