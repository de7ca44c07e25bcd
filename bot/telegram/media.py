"""Evidence files from Telegram: size and type checked, images re-encoded without
metadata (EXIF, GPS), stored under generated names, never the user's file name, in the
folder of the chat's jurisdiction (`EVIDENCE_DIR_<code>`) once its data lives in that
jurisdiction's database, else in EVIDENCE_DIR."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.exc import SQLAlchemyError
from telegram import Message

from bot.storage.db import StorageUnavailable

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
MAX_PIXELS = 40_000_000  # larger images are refused (decompression bombs)
IMAGE_FORMATS: Dict[str, tuple] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}


class EvidenceRejected(Exception):
    """The file cannot be kept; `reason` is a locale key for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StoredFile:
    """One evidence file as stored (what the complaint form receives)."""

    stored_name: str
    content_type: str
    size: int

    def as_dict(self) -> Dict[str, object]:
        """The metadata entry sent to Rasa."""
        return {
            "stored_name": self.stored_name,
            "content_type": self.content_type,
            "size": self.size,
        }


async def download(message: Message) -> bytes:
    """The bytes of the message's photo (largest size) or document, at most 20 MB."""
    attachment = message.photo[-1] if message.photo else message.document
    if attachment is None:
        raise EvidenceRejected("evidence_bad_type")
    if (attachment.file_size or 0) > MAX_BYTES:
        raise EvidenceRejected("evidence_too_big")
    telegram_file = await attachment.get_file()
    if (telegram_file.file_size or 0) > MAX_BYTES:
        raise EvidenceRejected("evidence_too_big")
    data = bytes(await telegram_file.download_as_bytearray())
    if len(data) > MAX_BYTES:
        raise EvidenceRejected("evidence_too_big")
    return data


def sanitize(data: bytes) -> tuple:
    """(clean bytes, content type, extension); images re-encoded, PDFs kept as they are."""
    if data.startswith(b"%PDF-"):
        return data, "application/pdf", ".pdf"
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in IMAGE_FORMATS:
                    raise EvidenceRejected("evidence_bad_type")
                content_type, extension = IMAGE_FORMATS[image.format]
                image_format = image.format
                image.load()
                clean = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceRejected("evidence_too_big") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise EvidenceRejected("evidence_bad_type") from None
    clean.info = {}
    if image_format == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    out = io.BytesIO()
    clean.save(out, format=image_format, **({"quality": 90} if image_format != "PNG" else {}))
    return out.getvalue(), content_type, extension


def store(data: bytes, evidence_dir: Path) -> StoredFile:
    """Sanitizes and writes one file under a random name; returns its metadata.

    The file is written to a temporary name, synced, then renamed: a full disk (ENOSPC)
    or any other write error leaves nothing behind and is refused as
    `evidence_not_saved`."""
    clean, content_type, extension = sanitize(data)
    name = uuid.uuid4().hex + extension
    partial = evidence_dir / f".{name}.part"
    try:
        evidence_dir.mkdir(parents=True, exist_ok=True)
        with open(partial, "xb") as handle:
            handle.write(clean)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, evidence_dir / name)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        logger.error("evidence not saved: %s", error.strerror or error)
        raise EvidenceRejected("evidence_not_saved") from None
    return StoredFile(stored_name=name, content_type=content_type, size=len(clean))


async def folder_of(settings: Any, homes: Any, chat_id: str) -> Path:
    """Where the chat's evidence files go: the folder of the jurisdiction whose database
    holds the chat's rows (bot/storage/homes.py), when it has one."""
    if not settings.regional_evidence_dirs or not homes.regional:
        return settings.evidence_dir
    try:
        home = await asyncio.to_thread(homes.of, chat_id)
    except SQLAlchemyError as error:
        raise StorageUnavailable(str(error).splitlines()[0]) from error
    return settings.evidence_dir_for(homes.codes(home))


async def keep(message: Message, evidence_dir: Path) -> StoredFile:
    """Downloads, checks and stores the evidence of one message."""
    data = await download(message)
    return await asyncio.to_thread(store, data, evidence_dir)


def remove(stored: Optional[StoredFile], evidence_dir: Path) -> None:
    """Deletes a stored file (when the turn that should use it is dropped)."""
    if stored is not None:
        (evidence_dir / stored.stored_name).unlink(missing_ok=True)
