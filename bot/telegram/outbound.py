"""What a turn sends back: Rasa's replies (plain text, split, buttons), the generated
documents, and the staff notices."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bot import i18n
from bot.conversation import TurnResult
from bot.telegram.adapter import Adapter
from bot.telegram.render import split_text

logger = logging.getLogger(__name__)


def document_of(notice: Dict[str, Any], var_dir: Path) -> Optional[Tuple[Path, str]]:
    """The file and name of a `{"document": {...}}` notice, only when the file is a
    .docx inside `<var_dir>/documents` (never a path taken on trust)."""
    document = notice.get("document")
    if not isinstance(document, dict):
        return None
    raw, name = document.get("path"), document.get("filename")
    if not isinstance(raw, str) or not raw:
        return None
    folder = (Path(var_dir) / "documents").resolve()
    path = Path(raw).resolve()
    if path.parent != folder or path.suffix != ".docx" or not path.is_file():
        logger.warning("document notice refused: not a generated document")
        return None
    filename = Path(name).name if isinstance(name, str) and name.strip() else path.name
    if not filename.endswith(".docx"):
        filename += ".docx"
    return path, filename


async def send_documents(adapter: Adapter, chat_id: str, result: TurnResult) -> None:
    """The DOCX files the actions generated, as Telegram documents."""
    for notice in result.notices:
        found = document_of(notice, adapter.settings.var_dir)
        if found is None:
            continue
        path, filename = found
        data = path.read_bytes()
        await adapter.deliver(
            lambda data=data, filename=filename: adapter.bot.send_document(
                int(chat_id), data, filename=filename
            ),
            "sendDocument",
        )


async def send_replies(adapter: Adapter, chat_id: str, result: TurnResult) -> None:
    """Rasa's replies as plain-text messages; buttons on the last part of each."""
    bot = adapter.bot
    for reply in result.replies:
        parts = split_text(reply.text or "")
        keyboard = adapter.codec.keyboard(chat_id, reply.buttons)
        if keyboard is not None and not parts:
            parts = ["…"]
        for index, part in enumerate(parts):
            markup = keyboard if index == len(parts) - 1 else None
            await adapter.deliver(
                lambda part=part, markup=markup: bot.send_message(
                    int(chat_id), part, reply_markup=markup
                ),
                "sendMessage",
            )
        if reply.image:
            await adapter.deliver(
                lambda url=reply.image: bot.send_document(int(chat_id), url),
                "sendDocument",
            )


async def notify_staff(adapter: Adapter, chat_id: str, result: TurnResult) -> None:
    """Hand-off and new-case notices to the staff chat, when there is one."""
    staff = adapter.settings.telegram_staff_chat_id
    if staff is None:
        return
    texts: List[str] = []
    language = result.language or "?"
    if result.handoff:
        texts.append(
            i18n.text("staff_handoff", None).format(conversation=chat_id, language=language)
        )
    for notice in result.notices:
        if notice.get("new_case"):
            texts.append(
                i18n.text("staff_new_case", None).format(
                    ref=notice["new_case"], language=language
                )
            )
    for text in texts:
        await adapter.deliver(lambda text=text: adapter.bot.send_message(staff, text),
                              "staff notice")
