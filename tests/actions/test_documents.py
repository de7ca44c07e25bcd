"""Documents: the document form asks only what the template needs; every document
renders as a valid DOCX with the filled values, in fr, zh and ru."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from rasa_sdk.events import SlotSet

from actions.guidance import content, documents
from actions.guidance.document_form import ValidateDocumentForm, clean_answer
from actions.guidance.steps import ActionSendTemplate
from tests.actions.conftest import responses

STEPS = ("talk", "propose", "agreement", "mediation", "court")
VALUES = {
    "fr": {"client_name": "Zoé Lefèvre", "photographer_name": "Studio Lumière",
           "shoot_date": "14 juin 2025", "amount": "350 €",
           "solution": "retouche des 12 photos et remise de 20 %", "deadline": "30 juin 2025"},
    "zh": {"client_name": "王丽", "photographer_name": "光影工作室",
           "shoot_date": "2025年6月14日", "amount": "3000元",
           "solution": "重新修图并优惠20%", "deadline": "2025年6月30日"},
    "ru": {"client_name": "Анна Смирнова", "photographer_name": "Студия «Свет»",
           "shoot_date": "14.06.2025", "amount": "25 000 ₽",
           "solution": "повторная обработка и скидка 20 %", "deadline": "30.06.2025"},
}
JURISDICTION = {"fr": "FR", "zh": "CN", "ru": "RU"}


def docx_text(path: Path) -> str:
    document = Document(str(path))
    return "\n".join(p.text for p in document.paragraphs)


@pytest.mark.parametrize("language", ["fr", "zh", "ru"])
@pytest.mark.parametrize("step", STEPS)
def test_each_document_renders_as_a_valid_docx(tmp_path, language, step):
    values = VALUES[language]
    text = content.render_template(language, step, values)
    stored = documents.write_document(
        var_dir=tmp_path, language=language, step=step,
        jurisdiction=JURISDICTION[language], text=text, today=dt.date(2025, 7, 1),
    )
    assert stored.path.parent == (tmp_path / "documents").resolve()
    assert len(stored.path.stem) == 32 and stored.path.suffix == ".docx"
    assert stored.filename.endswith("-2025-07-01.docx") and "/" not in stored.filename
    body = docx_text(stored.path)
    assert body.startswith(documents.title_of(language, step, JURISDICTION[language]))
    assert values["client_name"] in body
    for name in documents.fields_of(language, step):
        assert values[name] in body, (language, step, name)
    if language == "zh":
        fonts = Document(str(stored.path)).styles["Normal"].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == "SimSun"
        assert any("\u4e00" <= c <= "\u9fff" for c in body)
    if language == "ru":
        assert any("\u0400" <= c <= "\u04ff" for c in body)


def test_russian_court_document_is_the_written_claim(tmp_path):
    assert documents.title_of("ru", "court", "RU") != documents.title_of("ru", "court", "FR")
    assert "претенз" in documents.title_of("ru", "court", "RU").lower()


def test_file_names_are_safe():
    day = dt.date(2025, 1, 2)
    assert documents.safe_filename("../../etc/passwd", day) == "etc-passwd-2025-01-02.docx"
    assert documents.safe_filename("催告函", day) == "催告函-2025-01-02.docx"


def test_only_the_placeholders_of_the_template_are_asked():
    assert documents.fields_of("fr", "talk") == [
        "client_name", "photographer_name", "shoot_date", "deadline"]
    assert documents.fields_of("fr", "terms") == []
    assert documents.fields_of("fr", None) == []


async def test_required_slots_follow_the_step(dispatcher, tracker_factory, domain):
    form = ValidateDocumentForm()
    slots = domain["forms"]["document_form"]["required_slots"]
    tracker = tracker_factory("ask_template", guidance_step="talk")
    assert await form.required_slots(slots, dispatcher, tracker, domain) == [
        "client_name", "photographer_name", "shoot_date", "deadline"]
    tracker = tracker_factory("ask_template", guidance_step="terms")
    assert await form.required_slots(slots, dispatcher, tracker, domain) == []


async def test_filled_slots_are_not_asked_again(dispatcher, tracker_factory, domain):
    form = ValidateDocumentForm()
    slots = domain["forms"]["document_form"]["required_slots"]
    tracker = tracker_factory("ask_template", guidance_step="talk",
                              client_name="Zoé", photographer_name="__skip__")
    event = await form.next_requested_slot(dispatcher, tracker, domain)
    assert event == SlotSet("requested_slot", "shoot_date")
    assert "client_name" in await form.required_slots(slots, dispatcher, tracker, domain)


@pytest.mark.parametrize("typed", ["passer", "跳过", "пропустить", "__skip__"])
def test_skip_answers(typed):
    assert clean_answer("client_name", typed) == documents.SKIPPED


def test_answers_are_cleaned():
    assert clean_answer("client_name", "  Zoé   {x} ") == "Zoé (x)"
    assert clean_answer("client_name", "   ") is None
    assert clean_answer("client_name", "/step_failed") is None
    assert len(clean_answer("solution", "a" * 900)) == 500


async def test_send_template_sends_text_and_document(dispatcher, tracker_factory, tmp_path):
    tracker = tracker_factory("ask_template", guidance_step="agreement", language="zh",
                              client_name="王丽", amount="__skip__")
    assert await ActionSendTemplate().run(dispatcher, tracker, {}) == []
    assert responses(dispatcher) == ["utter_template", None]
    text = dispatcher.messages[0]["template_text"]
    assert "王丽" in text and content.BLANK in text and "__skip__" not in text
    document = dispatcher.messages[1]["custom"]["accord"]["document"]
    path = Path(document["path"])
    assert path.parent == (tmp_path / "documents").resolve()
    assert document["filename"].endswith(".docx")
    assert "王丽" in docx_text(path)


async def test_no_document_without_a_template(dispatcher, tracker_factory, tmp_path):
    tracker = tracker_factory("ask_template", guidance_step="followup")
    await ActionSendTemplate().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_no_template"]
    assert not (tmp_path / "documents").exists()
