"""Typed answers in forms: an unsure interrupting intent does not swallow the answer."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.complaints.form import ValidateComplaintForm
from actions.complaints.status import ValidateCaseAdditionForm
from actions.free_text import FLOOR, INTERRUPTIONS, typed_answer
from actions.guidance.document_form import ValidateDocumentForm

SOLUTION = "повторная обработка 12 фотографий"


@pytest.fixture
def asking(tracker_factory):
    """A tracker whose form `form` asks for `slot`; the latest message has `intent`
    at `confidence`."""

    def build(form, slot, intent, confidence, text, **slots):
        tracker = tracker_factory(intent, text, requested_slot=slot, **slots)
        tracker.active_loop = {"name": form}
        tracker.latest_message["intent"]["confidence"] = confidence
        return tracker

    return build


def test_an_unsure_interruption_is_the_answer(asking):
    tracker = asking("document_form", "solution", "check_complaint_status", 0.26, SOLUTION)
    assert typed_answer(tracker, "document_form", "solution", INTERRUPTIONS) == {
        "solution": SOLUTION}


def test_a_sure_interruption_is_not_an_answer(asking):
    tracker = asking("document_form", "solution", "check_complaint_status", FLOOR,
                     "где моя жалоба?")
    assert typed_answer(tracker, "document_form", "solution", INTERRUPTIONS) == {}


def test_only_the_question_the_form_is_asking(asking):
    tracker = asking("document_form", "amount", "inform", 0.9, "300 €")
    assert typed_answer(tracker, "document_form", "solution", INTERRUPTIONS) == {}
    tracker.active_loop = {}
    assert typed_answer(tracker, "document_form", "amount", INTERRUPTIONS) == {}


def test_a_button_answer_is_kept(asking):
    tracker = asking("document_form", "solution", "deny", 0.3, "нет", solution="__skip__")
    assert typed_answer(tracker, "document_form", "solution", INTERRUPTIONS) == {}


def test_no_text_no_answer(asking):
    tracker = asking("complaint_form", "description", "nlu_fallback", 0.1, "  ")
    assert typed_answer(tracker, "complaint_form", "description", INTERRUPTIONS) == {}


async def test_the_document_form_keeps_and_cleans_the_answer(
    asking, dispatcher, domain
):
    tracker = asking("document_form", "solution", "check_complaint_status", 0.26,
                     f"  {SOLUTION} ", guidance_step="agreement", language="ru")
    events = await ValidateDocumentForm().run(dispatcher, tracker, domain)
    assert SlotSet("solution", SOLUTION) in events


async def test_a_sure_interruption_leaves_the_form_nothing_to_validate(
    asking, dispatcher, domain
):
    tracker = asking("document_form", "solution", "help", 0.97, "помогите",
                     guidance_step="mediation", language="ru")
    events = await ValidateDocumentForm().run(dispatcher, tracker, domain)
    # no slot validated, only the form's next question: Rasa rejects the form and
    # the help rule answers
    assert events == [SlotSet("requested_slot", "client_name")]


async def test_the_complaint_form_validates_a_typed_answer(asking, dispatcher, domain):
    tracker = asking("complaint_form", "studio_name", "help", 0.31, "Studio Lumière")
    events = await ValidateComplaintForm().run(dispatcher, tracker, domain)
    assert SlotSet("studio_name", "Studio Lumière") in events


async def test_a_status_query_does_not_become_a_case_addition(asking, dispatcher, domain):
    tracker = asking("case_addition_form", "case_addition", "check_complaint_status",
                     0.88, "quel est le statut de mon dossier ?")
    assert await ValidateCaseAdditionForm().run(dispatcher, tracker, domain) == []
    tracker = asking("case_addition_form", "case_addition", "inform", 0.4,
                     "le photographe a répondu hier")
    events = await ValidateCaseAdditionForm().run(dispatcher, tracker, domain)
    assert events == [SlotSet("case_addition", "le photographe a répondu hier")]
