"""The complaint's contact in every common form, and a submission retried after a fault
(Rasa did not keep the first turn) confirmed once, never doubled."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from actions.complaints import validators
from bot.storage.models import Case
from tests.actions.test_complaint_submit import PHOTO, slots_of, submit
from tests.actions.test_complaint_validation import validate

PHONES = [
    # France
    ("06 12 34 56 78", "FR"), ("0612345678", "FR"), ("06.12.34.56.78", "FR"),
    ("06-12-34-56-78", "FR"), ("+33 6 12 34 56 78", "FR"), ("+33 (0)6 12 34 56 78", "FR"),
    ("0033 6 12 34 56 78", "FR"), ("(+33) 6 12 34 56 78", "FR"), ("tel: 06 12 34 56 78", "FR"),
    ("mon numéro : 06 12 34 56 78", "FR"), ("06 12 34 56 78.", "FR"),
    ("06\u200b12\u200b34\u200b56\u200b78", "FR"), ("\u202e+33612345678", "FR"),
    ("+33612345678\x00", "FR"), ("06 12 34 56 78", "RU", "FR"),  # French number, in Russia
    # China
    ("138 0013 8000", "CN"), ("13800138000", "CN"), ("+86 138 0013 8000", "CN"),
    ("+86-138-0013-8000", "CN"), ("0086 138 0013 8000", "CN"), ("１３８００１３８０００", "CN"),
    ("＋８６ １３８ ００１３ ８０００", "CN"), ("我的电话是13800138000", "CN"),
    # Russia
    ("+7 912 345-67-89", "RU"), ("8 (912) 345-67-89", "RU"), ("89123456789", "RU"),
    ("+7(912)3456789", "RU"), ("8-912-345-67-89", "RU"),
    ("мой телефон +7 912 345-67-89, звоните", "RU"),
]
E164 = {"FR": "+33612345678", "CN": "+8613800138000", "RU": "+79123456789"}
EMAILS = [
    ("marie.dupont@exemple.fr", "marie.dupont@exemple.fr"),
    ("Marie.Dupont+litige@Exemple.FR", "marie.dupont+litige@exemple.fr"),
    ("<marie@exemple.fr>", "marie@exemple.fr"), ("mailto:marie@exemple.fr", "marie@exemple.fr"),
    ("marie@exemple.fr.", "marie@exemple.fr"), ("marie＠exemple.fr", "marie@exemple.fr"),
    ("mon mail : marie@exemple.fr merci", "marie@exemple.fr"),
    ("zhang.wei@qq.com", "zhang.wei@qq.com"), ("123456@qq.com", "123456@qq.com"),
    ("邮箱：zhang.wei@163.com", "zhang.wei@163.com"),
    ("иван@почта.рф", "иван@почта.рф"), ("ivan.petrov@yandex.ru", "ivan.petrov@yandex.ru"),
    ("a@b.xn--p1ai", "a@b.xn--p1ai"), ("first.last@sub.example.co.uk", "first.last@sub.example.co.uk"),
]
REFUSED = [
    ("06 12", "phone"), ("+33 6 12", "phone"), ("12345", "phone"), ("8 912 34", "phone"),
    ("marie@gmail", "email"), ("marie @ exemple.fr", "email"), ("marie@@exemple.fr", "email"),
    (".marie@exemple.fr", "email"), ("marie@exemple..fr", "email"), ("a@b@c.fr", "email"),
    ("x@y.fr et z@w.fr", "email"), ("appelez-moi", "contact"), ("", "contact"),
    ("\u200b\u202e", "contact"), ("给我打电话", "contact"), ("позвоните мне", "contact"),
]


@pytest.mark.parametrize("case", PHONES, ids=lambda case: repr(case[0]))
def test_phone_numbers_in_common_forms(case: tuple) -> None:
    answer, jurisdiction = case[:2]
    expected = E164[case[2] if len(case) > 2 else jurisdiction]
    assert validators.parse_contact(validators.clean(answer), jurisdiction) == (expected, None)


@pytest.mark.parametrize("answer, expected", EMAILS)
def test_emails_in_common_forms(answer: str, expected: str) -> None:
    assert validators.parse_contact(validators.clean(answer), "FR") == (expected, None)


@pytest.mark.parametrize("answer, problem", REFUSED)
def test_wrong_contacts_are_refused_with_the_reason(answer: str, problem: str) -> None:
    assert validators.parse_contact(validators.clean(answer), "FR") == (None, problem)


async def test_contact_slot_takes_full_width_and_invisible_characters(domain) -> None:
    answer = "\u200b＋７ ９１２ ３４５-６７-８９\u202c"
    slots, dispatcher = await validate(
        domain, text=answer, slots={"jurisdiction": "RU"},
        candidates={"contact": answer}, requested_slot="contact")
    assert slots["contact"] == "+79123456789" and dispatcher.messages == []


@given(st.text(max_size=300), st.sampled_from(["FR", "CN", "RU", "XX", ""]))
@settings(max_examples=300, deadline=None)
def test_contact_parsing_never_raises(text: str, jurisdiction: str) -> None:
    contact, problem = validators.parse_contact(validators.clean(text), jurisdiction)
    assert (contact is None) != (problem is None)
    assert problem in (None, "email", "phone", "contact")
    if contact and "@" not in contact:
        assert contact.startswith("+") and contact[1:].isdigit() and len(contact) <= 16


async def test_submission_retried_after_a_fault_is_confirmed_not_doubled(
    domain, database
) -> None:
    first_events, _ = await submit(domain)
    again_events, dispatcher = await submit(domain)  # the same turn, made again
    with database() as session:
        cases = session.execute(select(Case)).scalars().all()
    assert len(cases) == 1
    assert slots_of(first_events)["case_ref"] == slots_of(again_events)["case_ref"]
    assert dispatcher.messages[0]["response"] == "utter_complaint_filed"
    assert dispatcher.messages[0]["case_ref"] == cases[0].ref


@pytest.mark.parametrize("change", [
    {"description": "Autre chose : le studio a perdu toutes les photos du baptême."},
    {"evidence_files": [PHOTO]},
    {"sender": "client-2"},
    {"desired_resolution": "full_refund"},
])
async def test_a_different_complaint_is_a_new_case(domain, database, change) -> None:
    await submit(domain, evidence_files=None)
    sender = change.pop("sender", "client-1")
    await submit(domain, sender=sender, **{"evidence_files": None, **change})
    with database() as session:
        assert len(session.execute(select(Case)).scalars().all()) == 2


async def test_a_closed_case_is_not_reused(domain, database) -> None:
    await submit(domain, evidence_files=None)
    with database.begin() as session:
        session.execute(select(Case)).scalar_one().status = "resolved"
    await submit(domain, evidence_files=None)
    with database() as session:
        assert len(session.execute(select(Case)).scalars().all()) == 2
