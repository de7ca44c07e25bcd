"""The bad inputs of tests/telegram/test_bad_input.py: how each is sent through the fake
Bot API, and what must come of it (an adapter text, or a Rasa turn with its stored text
and the language of the replies)."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any, Callable, List, NamedTuple, Optional

import pytest
from PIL import Image

from bot.telegram import media
from tests.telegram.fake_api import FakeTelegram
from tests.unit.test_fault_units import HalfWriter

HAN = re.compile(r"[\u3400-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
Push = Callable[[FakeTelegram, int, str], Any]


class Row(NamedTuple):
    """One bad input: how to send it, and what must come of it."""

    name: str
    language: str
    push: Push
    told: Optional[str] = None  # locale key of the adapter's answer (Rasa not asked)
    stored_text: Optional[Callable[[str], bool]] = None  # Rasa asked: the turn's text
    reply_language: Optional[str] = None  # "fr"/"zh"/"ru", or "all" (the choice)
    patch: Optional[Callable[[pytest.MonkeyPatch], None]] = None


def text(value: str) -> Push:
    return lambda fake, chat, lang: fake.push_text(chat, value, lang)


def message(**fields: Any) -> Push:
    return lambda fake, chat, lang: fake.push(fake.message_update(chat, lang, **fields))


def document(data: Callable[[], bytes], mime: str, name: str,
             size: Optional[int] = None) -> Push:
    def push(fake: FakeTelegram, chat: int, lang: str) -> None:
        file_id = f"doc-{chat}"
        content = data()
        fake.add_file(file_id, content)
        fake.push(fake.message_update(chat, lang, document={
            "file_id": file_id, "file_unique_id": file_id, "file_name": name,
            "mime_type": mime, "file_size": len(content) if size is None else size}))
    return push


def photo(data: Callable[[], bytes]) -> Push:
    return lambda fake, chat, lang: fake.push_photo(chat, data(), language=lang)


def png(size=(32, 24), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("photos.jpg", b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


def edited(value: str) -> Push:
    def push(fake: FakeTelegram, chat: int, lang: str) -> None:
        original = fake.message_update(chat, lang, text=value)["message"]
        fake.push({"edited_message": {**original, "edit_date": original["date"] + 5}})
    return push


def foreign_button(payload: str) -> Push:
    """Callback data the bot made for another chat (its own case), pressed here."""
    def push(fake: FakeTelegram, chat: int, lang: str) -> None:
        from bot.telegram.render import CallbackCodec

        data = CallbackCodec(fake.token).encode(str(chat + 1), "Mon dossier", payload)
        fake.push_callback(chat, data, {"message_id": 3, "date": 0, "text": "…",
                                        "chat": {"id": chat, "type": "private"}}, lang)
    return push


def forged(data: str) -> Push:
    return lambda fake, chat, lang: fake.push_callback(
        chat, data, {"message_id": 3, "date": 0, "text": "…",
                     "chat": {"id": chat, "type": "private"}}, lang)


def no_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "open", HalfWriter, raising=False)


def cut(length: int) -> Callable[[str], bool]:
    return lambda stored: 0 < len(stored) <= length


def equals(value: str) -> Callable[[str], bool]:
    return lambda stored: stored == value


STICKER = {"file_id": "s", "file_unique_id": "s", "width": 512, "height": 512,
           "is_animated": False, "is_video": False, "type": "regular"}
MARKUP = ("<b>bonjour</b> *gras* _x_ [lien](http://x) `code` &amp; <script>alert(1)</script> "
          "<i>non fermé")
CASE_STATUS = '/check_complaint_status{"case_ref": "DR-7KQ2M9AB"}'
ROWS: List[Row] = [
    # empty, whitespace, invisible
    Row("spaces", "fr", text("   "), told="empty_message"),
    Row("newlines-tabs", "ru", text("\n\t \n"), told="empty_message"),
    Row("zero-width-only", "zh", text("\u200b\u200c\u200d\ufeff"), told="empty_message"),
    Row("ideographic-space", "zh", text("\u3000\u3000"), told="empty_message"),
    Row("nul-only", "ru", text("\x00\x00"), told="empty_message"),
    Row("bidi-only", "fr", text("\u202e\u2066\u2069"), told="empty_message"),
    # controls, zero-width, RTL and NUL inside a real message
    Row("nul-in-text", "fr", text("bon\x00jour\x07"), stored_text=equals("bonjour"),
        reply_language="fr"),
    Row("zero-width-in-text", "zh", text("你\u200b好\ufeff"), stored_text=equals("你好"),
        reply_language="zh"),
    Row("rtl-override", "ru", text("\u202eздравствуйте\u202c"),
        stored_text=equals("здравствуйте"), reply_language="ru"),
    Row("leading-invisible-slash", "fr", text("\u200b/delete_my_data"),
        stored_text=equals("/delete_my_data"), reply_language="fr"),
    Row("raw-rasa-payload", "fr", text(' /inform{"dispute_type": "privacy"}'),
        stored_text=equals("/help"), reply_language="fr"),
    # long texts (Telegram's own limit is 4096; more arrives as a forward or via a client)
    Row("cjk-6000", "zh", text("照片" * 3000), told="too_long", stored_text=cut(2000),
        reply_language="zh"),
    Row("cyrillic-7500", "ru", text("фото " * 1500), told="too_long", stored_text=cut(2000),
        reply_language="ru"),
    Row("emoji-5000", "fr", text("📷" * 5000), told="too_long", stored_text=cut(2000),
        reply_language="fr"),
    Row("zwj-emoji-4096", "ru", text("👨‍👩‍👧" * 820), told="too_long", stored_text=cut(2000),
        reply_language="ru"),
    # markup that would break a parse_mode
    Row("html-markdown", "fr", text(MARKUP), stored_text=equals(MARKUP),
        reply_language="fr|all"),
    Row("markdown-v2-specials", "ru", text("_*[]()~`>#+-=|{}.! клиент не платит"),
        stored_text=equals("_*[]()~`>#+-=|{}.! клиент не платит"), reply_language="ru"),
    # unsupported and mixed languages
    Row("english", "en", text("Hello, I have a problem with my photographer"),
        stored_text=equals("Hello, I have a problem with my photographer"),
        reply_language="all"),
    Row("arabic", "ar", text("مرحبا، لدي مشكلة مع المصور"), stored_text=cut(100),
        reply_language="all"),
    Row("japanese", "ja", text("こんにちは、写真家と問題があります"), stored_text=cut(100),
        reply_language="all"),
    Row("mixed-scripts", "fr", text("bonjour 你好 привет"), stored_text=cut(100),
        reply_language="fr|zh|ru|all"),  # any of ours, or the choice
    Row("emoji-only", "ru", text("😀"), stored_text=equals("😀"), reply_language="ru"),
    Row("digits-only", "zh", text("1234567890"), stored_text=equals("1234567890"),
        reply_language="zh"),
    # buttons: forged, stale, another chat's (naming another user's case)
    Row("forged-payload", "fr", forged("/delete_my_data"), told="button_expired"),
    Row("forged-tag", "zh", forged("AAAAAAAAAAAA/restart"), told="button_expired"),
    Row("stale-mapped", "ru", forged("~stale-id"), told="button_expired"),
    Row("emoji-data", "fr", forged("💥" * 16), told="button_expired"),
    Row("other-chat-button", "ru", foreign_button("/i_am_client"), told="button_expired"),
    Row("other-users-case", "zh", foreign_button(CASE_STATUS), told="button_expired"),
    # what Rasa never sees
    Row("sticker", "fr", message(sticker=STICKER), told="unsupported_media"),
    Row("voice", "ru", message(voice={"file_id": "v", "file_unique_id": "v", "duration": 3}),
        told="unsupported_media"),
    Row("video", "zh", message(video={"file_id": "w", "file_unique_id": "w", "width": 9,
                                      "height": 9, "duration": 3}), told="unsupported_media"),
    Row("video-note", "fr", message(video_note={"file_id": "n", "file_unique_id": "n",
                                                "length": 9, "duration": 3}),
        told="unsupported_media"),
    Row("audio", "ru", message(audio={"file_id": "a", "file_unique_id": "a", "duration": 3}),
        told="unsupported_media"),
    Row("animation", "zh", message(animation={"file_id": "g", "file_unique_id": "g",
                                              "width": 9, "height": 9, "duration": 1}),
        told="unsupported_media"),
    Row("location", "fr", message(location={"latitude": 48.85, "longitude": 2.35}),
        told="unsupported_media"),
    Row("venue", "ru", message(venue={"location": {"latitude": 55.75, "longitude": 37.6},
                                      "title": "Студия", "address": "Москва"}),
        told="unsupported_media"),
    Row("dice", "zh", message(dice={"emoji": "🎲", "value": 3}), told="unsupported_media"),
    Row("poll", "fr", message(poll={"id": "p", "question": "?", "options": [
        {"text": "a", "voter_count": 0, "persistent_id": "1"},
        {"text": "b", "voter_count": 0, "persistent_id": "2"}],
        "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
        "type": "regular", "allows_multiple_answers": False, "allows_revoting": False,
        "members_only": False}), told="unsupported_media"),
    Row("someone-elses-contact", "ru", message(contact={
        "phone_number": "+79123456789", "first_name": "Иван", "user_id": 42}),
        told="contact_not_own"),
    Row("contact-without-user", "fr", message(contact={
        "phone_number": "+33612345678", "first_name": "Marie"}), told="contact_not_own"),
    Row("edited", "ru", edited("исправленный текст"), told="edited_message"),
    Row("edited-command", "fr", edited("/delete_my_data"), told="edited_message"),
    # files
    Row("over-20-mb", "zh", document(lambda: b"%PDF-1.4", "application/pdf", "a.pdf",
                                     size=21 * 1024 * 1024), told="evidence_too_big"),
    Row("exe-as-jpeg", "fr", document(lambda: b"MZ\x90\x00" + b"\0" * 512, "image/jpeg",
                                      "photo.jpg"), told="evidence_bad_type"),
    Row("zip-bomb", "ru", document(zip_bomb, "application/zip", "photos.zip"),
        told="evidence_bad_type"),
    Row("gif", "zh", document(lambda: b"GIF89a" + b"\0" * 30, "image/gif", "a.gif"),
        told="evidence_bad_type"),
    Row("empty-file", "fr", document(lambda: b"", "image/png", "vide.png"),
        told="evidence_bad_type"),
    Row("truncated-png", "ru", document(lambda: png()[:40], "image/png", "cut.png"),
        told="evidence_bad_type"),
    Row("decompression-bomb", "zh", photo(lambda: png((7000, 7000), "L")),
        told="evidence_too_big"),
    Row("disk-full", "ru", photo(png), told="evidence_not_saved", patch=no_space),
]
ADAPTER_KEYS = {"empty_message", "too_long", "unsupported_media", "contact_not_own",
                "edited_message", "evidence_too_big", "evidence_bad_type",
                "evidence_not_saved", "evidence_failed", "rasa_down"}
