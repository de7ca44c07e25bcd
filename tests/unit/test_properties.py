"""Property-based (Hypothesis): the complaint validators and the Telegram renderers never
raise, whatever they are given, and keep their promises (bounds, round trips, chat
binding). Text strategies cover every code point, lone surrogates included."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actions.complaints import contact, validators
from actions.complaints.labels import RESOLUTIONS
from bot.telegram.render import MAX_CALLBACK_BYTES, CallbackCodec, split_text, utf16_len

ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=400)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ANY_TEXT, inner, max_size=5),
    max_leaves=20,
)
FILE = st.fixed_dictionaries({
    "stored_name": st.one_of(ANY_TEXT, st.from_regex(r"[a-f0-9]{32}\.(jpg|png|pdf)",
                                                     fullmatch=True)),
    "content_type": st.one_of(ANY_TEXT, st.sampled_from(sorted(validators.ALLOWED_TYPES))),
    "size": st.one_of(st.integers(-10, 30 * 1024 * 1024), ANY_TEXT, st.none()),
})
JURISDICTION = st.sampled_from(["FR", "CN", "RU", "", "XX"])
EXAMPLES = settings(max_examples=250, deadline=None)


@EXAMPLES
@given(st.one_of(ANY_TEXT, JSON))
def test_text_validators_never_raise(value: Any) -> None:
    text = validators.clean(value)
    assert text == validators.clean(text)  # idempotent
    assert "\x00" not in text and "  " not in text and text == text.strip()
    assert not validators.INVISIBLE.search(text)
    assert isinstance(validators.fold(text), str)
    for check in (validators.is_skip, validators.is_done, validators.studio_name_ok,
                  validators.reference_ok, validators.description_ok):
        assert check(text) in (True, False)
    assert validators.meaningful_length(text) >= 0
    assert validators.parse_resolution(text) in (None, *RESOLUTIONS)


@EXAMPLES
@given(ANY_TEXT, JURISDICTION)
def test_contact_parsers_never_raise(text: str, jurisdiction: str) -> None:
    found, problem = validators.parse_contact(text, jurisdiction)
    assert (found is None) != (problem is None)
    phone = validators.normalise_phone(text, jurisdiction)
    assert phone is None or (phone[0] == "+" and phone[1:].isdigit())
    assert validators.is_email(text) in (True, False)
    email = contact.find_email(text)
    assert email is None or validators.is_email(email)
    assert contact.find_phone(text, jurisdiction) is None or \
        contact.find_phone(text, jurisdiction).startswith("+")
    assert len(contact.contact_text(text)) <= contact.MAX_INPUT


@EXAMPLES
@given(st.one_of(JSON, st.lists(st.one_of(FILE, JSON), max_size=25)))
def test_attachment_checks_never_raise_and_keep_only_safe_files(items: Any) -> None:
    accepted, problem = validators.check_attachments(items)
    assert problem in (None, "missing", "type", "size")
    for item in accepted:
        assert validators.SAFE_NAME.match(item["stored_name"])
        assert item["content_type"] in validators.ALLOWED_TYPES
        assert 0 < item["size"] <= validators.MAX_FILE_SIZE
    merged = validators.merge_files(accepted, accepted)
    assert len(merged) <= validators.MAX_FILES
    assert len({m["stored_name"] for m in merged}) == len(merged)
    validators.attachments_of({"attachments": items})
    validators.attachments_of(items)
    validators.shared_contact({"contact": items}, "FR")
    validators.shared_contact(items, "RU")


@EXAMPLES
@given(ANY_TEXT, st.integers(min_value=8, max_value=4096))
def test_split_text_never_raises_and_bounds_every_part(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    for part in parts:
        assert part  # no empty message
        # a part is within the limit, unless one grapheme alone is longer
        assert utf16_len(part) <= limit or len(split_text(part, 10**6)) == 1


@EXAMPLES
@given(st.text(max_size=20), st.text(max_size=20), ANY_TEXT, ANY_TEXT)
def test_callback_data_round_trips_bound_to_its_chat(
    chat: str, other: str, title: str, payload: str
) -> None:
    codec = CallbackCodec("token")
    data = codec.encode(chat, title, payload)
    assert len(data.encode("utf-8", "surrogatepass")) <= MAX_CALLBACK_BYTES
    pressed = codec.decode(chat, data)
    if payload:
        assert pressed is not None and pressed.payload == payload
    if other != chat:
        assert codec.decode(other, data) is None


@EXAMPLES
@given(st.text(max_size=20), st.one_of(ANY_TEXT, st.none()))
def test_forged_callback_data_never_raises_and_is_refused(chat: str, data: Any) -> None:
    assert CallbackCodec("token").decode(chat, data) is None


@EXAMPLES
@given(st.text(max_size=20), st.lists(st.fixed_dictionaries(
    {"title": st.text(max_size=300), "payload": st.text(max_size=300)}), max_size=8))
def test_keyboards_never_raise_and_fit_telegram(chat: str, buttons: list) -> None:
    keyboard = CallbackCodec("token").keyboard(chat, buttons)
    rows = keyboard.inline_keyboard if keyboard is not None else ()
    assert len(rows) == len([b for b in buttons if b["payload"]])
    for (button,) in rows:
        assert 0 < len(button.text) <= 64
        assert len(button.callback_data.encode()) <= MAX_CALLBACK_BYTES
