"""What each kind of update does. The adapter calls `process` for one item, in order,
with the chat's lock held; each handler answers with Rasa's replies or an adapter text.

Routing uses PTB's filters; nothing here reaches Rasa for stickers, voice, video,
locations or edits, and forged button data gets a polite answer and nothing else.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from telegram import Message, Update
from telegram.ext import filters

from bot import i18n
from bot.commands import COMMANDS
from bot.conversation import TurnResult
from bot.telegram import media
from bot.telegram.adapter import Adapter, Item
from bot.telegram.outbound import (  # noqa: F401 - document_of is part of the API
    document_of,
    notify_staff,
    send_documents,
    send_replies,
)
from bot.telegram.sender import typing
from bot.text import clean

logger = logging.getLogger(__name__)

MAX_INPUT = 2000  # characters of one message passed on to Rasa
UNSUPPORTED = (
    filters.Sticker.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.LOCATION
    | filters.VENUE
    | filters.POLL
    | filters.Dice.ALL
)
EVIDENCE = filters.PHOTO | filters.Document.ALL


async def process(adapter: Adapter, item: Item) -> None:
    """Routes one item to its handler; raises RasaUnavailable to have it retried."""
    update = item.updates[0]
    if update.callback_query is not None:
        await on_button(adapter, item, update)
    elif filters.UpdateType.EDITED.check_update(update):
        await on_edited(adapter, item, update)
    elif update.message is None:
        logger.debug("update %s has nothing to answer", update.update_id)
    elif EVIDENCE.check_update(update):
        await on_evidence(adapter, item, update)
    elif filters.CONTACT.check_update(update):
        await on_contact(adapter, item, update)
    elif filters.TEXT.check_update(update):
        if (update.message.text or "").startswith("/"):
            await on_command(adapter, item, update)
        else:
            await on_text(adapter, item, update)
    elif UNSUPPORTED.check_update(update):
        await on_unsupported(adapter, item, update)
    else:
        logger.debug("update %s: service message ignored", update.update_id)


def _metadata(update: Update, **extra: Any) -> Dict[str, Any]:
    user = update.effective_user
    return {
        "language_code": user.language_code if user else None,
        "telegram_user_id": user.id if user else None,
        **extra,
    }


async def turn(
    adapter: Adapter,
    item: Item,
    update: Update,
    text: str,
    *,
    metadata: Optional[Dict[str, Any]] = None,
    pressed: Optional[Dict[str, str]] = None,
    attachments: int = 0,
) -> TurnResult:
    """One Rasa turn, "typing…" meanwhile, then the replies and any staff notice."""
    chat_id = item.chat_id
    async with typing(adapter.bot, int(chat_id)):
        result = await adapter.conversations.handle(
            chat_id,
            text,
            metadata=metadata or _metadata(update),
            pressed=pressed,
            attachments=attachments,
            turn_key=item.turn_key,
        )
    if result.erased:
        adapter.forget_chat(chat_id)
    adapter.remember_language(chat_id, result.language)
    await send_replies(adapter, chat_id, result)
    await send_documents(adapter, chat_id, result)
    await notify_staff(adapter, chat_id, result)
    return result


async def on_text(adapter: Adapter, item: Item, update: Update) -> None:
    """A text message: cleaned (bot/text.py: no NUL, control or bidi characters) and
    passed to Rasa, cut to MAX_INPUT characters."""
    cleaned = clean(update.effective_message.text, MAX_INPUT)
    text = cleaned.text
    if cleaned.is_empty:
        await adapter.send_text(item.chat_id, "empty_message", update)
        return
    if cleaned.truncated:
        if not item.cache.get("told_too_long"):
            item.cache["told_too_long"] = True
            await adapter.send_text(item.chat_id, "too_long", update)
    # a leading "/" (after invisible characters) is a command, never a raw Rasa payload
    await turn(adapter, item, update, command_payload(text) if text[0] == "/" else text)


def command_payload(text: str) -> str:
    """The Rasa payload of a /command (unknown commands show the help)."""
    name = text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
    return COMMANDS.get(name, "/help")


async def on_command(adapter: Adapter, item: Item, update: Update) -> None:
    """A /command: its Rasa payload."""
    await turn(adapter, item, update, command_payload(update.effective_message.text or "/"))


async def on_button(adapter: Adapter, item: Item, update: Update) -> None:
    """A pressed inline button: checked, acknowledged, then its payload to Rasa."""
    query = update.callback_query
    bot = adapter.bot
    pressed = adapter.codec.decode(item.chat_id, query.data)
    if pressed is None:
        logger.info("unknown or forged callback data in one chat")
        text = i18n.text("button_expired", adapter.language(item.chat_id, update))
        await adapter.deliver(
            lambda: bot.answer_callback_query(query.id, text=text), "answerCallbackQuery"
        )
        return
    if not item.cache.get("acknowledged"):
        item.cache["acknowledged"] = True
        await adapter.deliver(lambda: bot.answer_callback_query(query.id),
                              "answerCallbackQuery")
        message = query.message
        if isinstance(message, Message) and message.reply_markup is not None:
            await adapter.deliver(
                lambda: bot.edit_message_reply_markup(
                    message.chat_id, message.message_id, reply_markup=None
                ),
                "editMessageReplyMarkup",
            )
    title = pressed.title or _title_of(query.message, query.data) or pressed.payload
    await turn(
        adapter,
        item,
        update,
        pressed.payload,
        pressed={"title": title, "payload": pressed.payload},
    )


def _title_of(message: Any, data: Optional[str]) -> Optional[str]:
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", None) or ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


async def on_evidence(adapter: Adapter, item: Item, update: Update) -> None:
    """Photos, an album or documents: checked, cleaned, stored, then one Rasa turn."""
    evidence_dir = await media.folder_of(adapter.settings, adapter.services.homes,
                                         item.chat_id)
    stored: List[media.StoredFile] = item.cache.setdefault("stored", [])
    if not item.cache.get("downloaded"):
        refusals: List[str] = []
        for part in item.updates:
            message = part.effective_message
            try:
                stored.append(await media.keep(message, evidence_dir))
            except media.EvidenceRejected as rejected:
                refusals.append(rejected.reason)
            except Exception:
                logger.exception("evidence of update %s not downloaded", part.update_id)
                refusals.append("evidence_failed")
        item.cache["downloaded"] = True
        for reason in dict.fromkeys(refusals):
            await adapter.send_text(item.chat_id, reason, update)
    if not stored:
        return
    captions = [p.effective_message.caption for p in item.updates
                if p.effective_message.caption]
    metadata = _metadata(
        update,
        attachments=[entry.as_dict() for entry in stored],
        **({"caption": "\n".join(captions)[:MAX_INPUT]} if captions else {}),
    )
    await turn(adapter, item, update, "/provide_evidence", metadata=metadata,
               attachments=len(stored))


async def on_contact(adapter: Adapter, item: Item, update: Update) -> None:
    """A shared contact: accepted only when it is the sender's own."""
    contact = update.effective_message.contact
    user = update.effective_user
    if user is None or contact.user_id != user.id:
        await adapter.send_text(item.chat_id, "contact_not_own", update)
        return
    metadata = _metadata(
        update, contact={"phone_number": contact.phone_number, "user_id": contact.user_id}
    )
    await turn(adapter, item, update, "/share_contact", metadata=metadata)


async def on_unsupported(adapter: Adapter, item: Item, update: Update) -> None:
    """Stickers, voice, video, locations…: a polite answer, nothing for Rasa."""
    await adapter.send_text(item.chat_id, "unsupported_media", update)


async def on_edited(adapter: Adapter, item: Item, update: Update) -> None:
    """An edited message: explained, not processed again."""
    await adapter.send_text(item.chat_id, "edited_message", update)
