"""Unit tests of the adapter's parts: text splitting, callback data, evidence, inbox."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.telegram import media
from bot.telegram.inbox import Inbox
from bot.telegram.render import MAX_CALLBACK_BYTES, CallbackCodec, split_text, utf16_len


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A JPEG whose EXIF has a camera model and a GPS position."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # Model
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("unit", ["é", "中", "ы", "👍", "👨‍👩‍👧", "e\u0301"])
def test_split_keeps_graphemes_whole_and_parts_short(unit: str) -> None:
    text = unit * 5000
    parts = split_text(text)
    assert len(parts) > 1
    assert "".join(parts) == text
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert all(part.startswith(unit) and part.endswith(unit) for part in parts)


def test_split_prefers_line_breaks() -> None:
    text = ("Ligne de texte assez longue.\n" * 300).strip()
    parts = split_text(text)
    assert all(part.endswith(".") for part in parts)
    assert split_text("court") == ["court"]
    assert split_text("") == []


def test_callback_data_is_short_signed_and_bound_to_the_chat() -> None:
    codec = CallbackCodec("token")
    short = codec.encode("1", "Je suis client", "/i_am_client")
    long_payload = '/choose{"dispute_type":"false_advertising","x":"' + "y" * 80 + '"}'
    mapped = codec.encode("1", "Long", long_payload)
    for data in (short, mapped):
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert codec.decode("1", short).payload == "/i_am_client"
    assert codec.decode("1", mapped).payload == long_payload
    assert codec.decode("1", mapped).title == "Long"
    assert codec.decode("2", short) is None  # another chat
    assert codec.decode("2", mapped) is None
    assert codec.decode("1", short[:-1] + "x") is None  # forged
    assert codec.decode("1", "/delete_my_data") is None
    assert codec.decode("1", "~unknown") is None
    assert CallbackCodec("other").decode("1", short) is None  # another key


def test_images_are_reencoded_without_exif(tmp_path: Path) -> None:
    stored = media.store(jpeg_with_gps(), tmp_path)
    assert stored.content_type == "image/jpeg"
    assert stored.stored_name.endswith(".jpg") and len(stored.stored_name) == 36
    with Image.open(tmp_path / stored.stored_name) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert image.size == (64, 48)


def test_pdf_kept_other_types_refused(tmp_path: Path) -> None:
    assert media.store(b"%PDF-1.4\n%...", tmp_path).content_type == "application/pdf"
    with pytest.raises(media.EvidenceRejected) as rejected:
        media.store(b"GIF89a" + b"\x00" * 20, tmp_path)
    assert rejected.value.reason == "evidence_bad_type"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(media.EvidenceRejected):
        media.store(gif.getvalue(), tmp_path)


def test_decompression_bomb_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "MAX_PIXELS", 1000)
    out = io.BytesIO()
    Image.new("L", (100, 100)).save(out, "PNG")  # 10 000 px > 1000 (warning level)
    with pytest.raises(media.EvidenceRejected) as rejected:
        media.store(out.getvalue(), tmp_path)
    assert rejected.value.reason == "evidence_too_big"
    out = io.BytesIO()
    Image.new("L", (300, 300)).save(out, "PNG")  # > 2 × limit: DecompressionBombError
    with pytest.raises(media.EvidenceRejected):
        media.store(out.getvalue(), tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_inbox_dedupes_and_replays_in_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/inbox.db"
    migrate(url)
    engine = make_engine(url)
    inbox = Inbox(make_sessionmaker(engine))
    first = await inbox.record(12, "5", {"update_id": 12, "text": "b"})
    assert not first.done and first.attempts == 0
    await inbox.record(11, "5", {"update_id": 11, "text": "a"})
    again = await inbox.record(12, "5", {"update_id": 12, "text": "b"})
    assert not again.done
    await inbox.add_attempt([12])
    assert [(p.update_id, p.attempts) for p in await inbox.unfinished()] == [(11, 0), (12, 1)]
    await inbox.mark_done([11, 12])
    assert (await inbox.record(12, "5", {})).done
    assert await inbox.count_unfinished() == 0
    engine.dispose()


def test_mapped_buttons_kept_for_the_most_recent_chats_only() -> None:
    codec = CallbackCodec("secret", chats=3)
    long_payload = "/choose_step" + '{"step":"' + "x" * 80 + '"}'
    keys = {chat: codec.encode(chat, "Étape", long_payload) for chat in "12345"}
    assert codec.decode("1", keys["1"]) is None and codec.decode("2", keys["2"]) is None
    for chat in "345":
        assert codec.decode(chat, keys[chat]).payload == long_payload


async def test_adapter_forgets_a_chat_once_its_work_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.services import build_services
    from bot.settings import Settings
    from bot.telegram import adapter as adapter_module
    from bot.telegram.adapter import Adapter, Item

    settings = Settings.from_env({"ACCORD_VAR_DIR": str(tmp_path)})
    services = build_services(settings)
    adapter = Adapter(settings, services)
    done = []

    async def run(item: Item) -> None:  # the turn itself is not under test here
        await asyncio.sleep(0)
        done.append(item.chat_id)

    monkeypatch.setattr(adapter, "_run", run)
    monkeypatch.setattr(adapter_module, "REMEMBERED_CHATS", 100)
    try:
        for n in range(300):
            adapter._enqueue(Item(str(n), [], []))
            adapter._enqueue(Item(str(n), [], []))  # a second one waits in the queue
            adapter.remember_language(str(n), "ru")
        while adapter._workers:
            await asyncio.sleep(0.01)
        assert len(done) == 600
        assert adapter._queues == {} and adapter._locks == {}
        assert len(adapter._languages) == 100 and adapter.language("299") == "ru"
        assert "0" not in adapter._languages
    finally:
        await services.aclose()
