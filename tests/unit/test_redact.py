"""Redaction of phone numbers and e-mail addresses (exports): every common form in the
three markets, nothing else touched, and it never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.redact import EMAIL, EMAIL_RE, PHONE, _phone_spans, redact, redact_optional

PHONES = [
    "+33 6 12 34 56 78", "06 12 34 56 78", "06.12.34.56.78", "0612345678",
    "+33612345678", "0033 6 12 34 56 78", "01 42 68 53 00",
    "8 (912) 345-67-89", "+7 912 345-67-89", "+7(495)123-45-67", "89123456789",
    "8-800-555-35-35", "(495) 123-45-67",
    "138 0013 8000", "13800138000", "+86 138 0013 8000", "010-12345678",
    "+44 20 7946 0958", "+1 (415) 555-2671", "０６１２３４５６７８",
]
EMAILS = ["jean.dupont@exemple.fr", "ivan_petrov+shop@mail.ru", "wang@qq.com",
          "иван@пример.рф", "a.b-c@sub.domain.co.uk"]
KEPT = [
    "Réf DR-ABC23456, séance du 2024-03-12 à 14h30, 1 500 000 руб, le 12.03.2024",
    "заказ № 123456 от 12.03.2024 на 15 000 ₽",
    "2024年3月12日 订单号 20240312 付款 3000 元",
    "user@localhost et @studio_lumiere sur Telegram",
]


@pytest.mark.parametrize("phone", PHONES)
@pytest.mark.parametrize("template", ["{}", "Appelez-moi au {} svp", "мой номер: {}.",
                                      "电话{}谢谢"])
def test_phone_numbers_are_redacted(phone: str, template: str) -> None:
    out = redact(template.format(phone))
    assert out == template.format(PHONE), out


@pytest.mark.parametrize("email", EMAILS)
def test_emails_are_redacted(email: str) -> None:
    assert redact(f"Écrivez à {email}, merci") == f"Écrivez à {EMAIL}, merci"
    assert redact(f"<{email}>") == f"<{EMAIL}>"


def test_mixed_text() -> None:
    text = "Иван, 8 (912) 345-67-89, ivan@mail.ru; 王先生 138 0013 8000"
    assert redact(text) == f"Иван, {PHONE}, {EMAIL}; 王先生 {PHONE}"


@pytest.mark.parametrize("text", KEPT)
def test_dates_amounts_and_references_are_kept(text: str) -> None:
    assert redact(text) == text


def test_optional_values() -> None:
    assert redact_optional(None) is None and redact_optional(3) == 3
    assert redact_optional("") == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_never_raises_and_leaves_no_email(text: str) -> None:
    out = redact(text)
    assert isinstance(out, str)
    assert not EMAIL_RE.search(out)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PHONES + EMAILS + ["texte", "текст", "文字", " ", "\n",
                                                   "+", "(", "-", "@", "0"]),
                max_size=20))
def test_never_raises_on_pieces_of_numbers_and_addresses(parts: list) -> None:
    out = redact("".join(parts))
    assert isinstance(out, str) and not EMAIL_RE.search(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PHONES + EMAILS + KEPT + ["texte", "текст", "文字", " ",
                                                          "\n", "+", "(", "-", "@", "0",
                                                          "7", "86"]),
                max_size=12))
def test_idempotent_and_no_number_left_that_the_matcher_finds(parts: list) -> None:
    once = redact("".join(parts))
    assert redact(once) == once
    assert not _phone_spans(once)
