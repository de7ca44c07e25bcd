"""Guidance actions: which step comes next, what is said, what is stored."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.guidance.steps import (
    ActionChooseJurisdiction,
    ActionDescribeDispute,
    ActionDisputeOverview,
    ActionExplainMore,
    ActionNextStep,
    ActionSendTemplate,
    ActionStartOver,
    ActionStepFailed,
    ActionStepSucceeded,
    ActionWhereAmI,
)
from actions.guidance.topics import ActionAnswerTopic
from tests.actions.conftest import responses

DOMAIN: dict = {}


async def run(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, DOMAIN)


async def test_first_next_step_starts_with_talking(dispatcher, tracker_factory):
    events = await run(ActionNextStep(), dispatcher, tracker_factory())
    assert events == [SlotSet("guidance_step", "talk")]
    assert responses(dispatcher) == ["utter_step"]
    assert dispatcher.messages[0]["step_text"].startswith("Étape 1")


@pytest.mark.parametrize(
    "step,expected",
    [("talk", "terms"), ("terms", "propose"), ("propose", "agreement"),
     ("mediation", "court"), ("court", "followup")],
)
async def test_next_step_follows_the_documented_order(
    dispatcher, tracker_factory, step, expected
):
    events = await run(ActionNextStep(), dispatcher, tracker_factory(guidance_step=step))
    assert events == [SlotSet("guidance_step", expected)]


async def test_after_the_last_step_the_procedure_is_done(dispatcher, tracker_factory):
    tracker = tracker_factory(guidance_step="followup")
    assert await run(ActionNextStep(), dispatcher, tracker) == []
    assert responses(dispatcher) == ["utter_procedure_done"]


@pytest.mark.parametrize(
    "step,expected,first",
    [("talk", "terms", "utter_step_escalate"),
     ("propose", "mediation", "utter_step_escalate"),
     ("agreement", "mediation", "utter_step_escalate"),
     ("mediation", "court", "utter_step_escalate"),
     ("court", "followup", "utter_last_resort")],
)
async def test_failure_escalates(dispatcher, tracker_factory, step, expected, first):
    tracker = tracker_factory("step_failed", guidance_step=step)
    events = await run(ActionStepFailed(), dispatcher, tracker)
    assert events == [SlotSet("guidance_step", expected)]
    assert responses(dispatcher) == [first, "utter_step"]


@pytest.mark.parametrize(
    "step,expected,first",
    [("talk", "agreement", "utter_step_worked"),
     ("mediation", "agreement", "utter_step_worked"),
     ("agreement", "followup", "utter_step_worked_followup")],
)
async def test_success_goes_to_writing_then_follow_up(
    dispatcher, tracker_factory, step, expected, first
):
    tracker = tracker_factory("step_succeeded", guidance_step=step)
    events = await run(ActionStepSucceeded(), dispatcher, tracker)
    assert events == [SlotSet("guidance_step", expected)]
    assert responses(dispatcher) == [first, "utter_step"]


async def test_dispute_type_tailors_the_step(dispatcher, tracker_factory):
    from actions.guidance import content

    tracker = tracker_factory("describe_dispute", dispute_type="non_payment", language="ru")
    events = await run(ActionDescribeDispute(), dispatcher, tracker)
    assert SlotSet("guidance_step", "talk") in events
    assert responses(dispatcher) == ["utter_dispute_noted", "utter_step"]
    tip = content.load("ru")["steps"]["talk"]["tips"]["non_payment"]
    assert tip in dispatcher.messages[1]["step_text"]
    assert dispatcher.messages[0]["dispute_name"] == content.dispute_name("ru", "non_payment")


async def test_mediation_step_follows_the_jurisdiction(dispatcher, tracker_factory):
    from actions.guidance import content

    tracker = tracker_factory("step_failed", guidance_step="propose", language="fr",
                              jurisdiction="CN")
    await run(ActionStepFailed(), dispatcher, tracker)
    china = content.load("fr")["steps"]["mediation"]["jurisdiction"]["CN"]["text"]
    france = content.load("fr")["steps"]["mediation"]["jurisdiction"]["FR"]["text"]
    assert china in dispatcher.messages[1]["step_text"]
    assert france not in dispatcher.messages[1]["step_text"]


async def test_language_picks_the_default_jurisdiction(dispatcher, tracker_factory):
    from actions.guidance import content

    await run(ActionDisputeOverview(), dispatcher, tracker_factory(language="zh"))
    assert dispatcher.messages[0]["jurisdiction_name"] == content.jurisdiction_name("zh", "CN")


async def test_overview_resumes_where_the_user_was(dispatcher, tracker_factory):
    tracker = tracker_factory("ask_dispute_steps", guidance_step="mediation")
    events = await run(ActionDisputeOverview(), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_overview", "utter_step_position", "utter_step"]
    assert dispatcher.messages[1]["step_number"] == 5
    assert events == [SlotSet("guidance_step", "mediation")]


async def test_where_am_i_before_starting(dispatcher, tracker_factory):
    assert await run(ActionWhereAmI(), dispatcher, tracker_factory("where_am_i")) == []
    assert responses(dispatcher) == ["utter_not_started"]


async def test_start_over(dispatcher, tracker_factory):
    tracker = tracker_factory("start_over", guidance_step="court", dispute_type="delay")
    events = await run(ActionStartOver(), dispatcher, tracker)
    assert events == [SlotSet("dispute_type", None), SlotSet("guidance_step", "talk")]


async def test_explain_more_and_template(dispatcher, tracker_factory):
    tracker = tracker_factory("ask_template", guidance_step="agreement", language="ru")
    await run(ActionExplainMore(), dispatcher, tracker)
    await run(ActionSendTemplate(), dispatcher, tracker)
    # the text, then the DOCX announced to the channel (tests/actions/test_documents.py)
    assert responses(dispatcher) == ["utter_more", "utter_template", None]
    assert "________" in dispatcher.messages[1]["template_text"]
    assert "document" in dispatcher.messages[2]["custom"]["accord"]


async def test_terms_step_has_no_template(dispatcher, tracker_factory):
    tracker = tracker_factory("ask_template", guidance_step="terms")
    await run(ActionSendTemplate(), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_no_template"]


async def test_topic_answer_keeps_the_step(dispatcher, tracker_factory):
    tracker = tracker_factory("ask_mediation", guidance_step="propose", language="ru")
    assert await run(ActionAnswerTopic(), dispatcher, tracker) == []
    assert responses(dispatcher) == ["utter_topic"]
    from actions.guidance import content

    russia = content.load("ru")["topics"]["mediation"]["jurisdiction"]["RU"]["text"]
    assert russia in dispatcher.messages[0]["topic_text"]


async def test_choose_jurisdiction_redisplays_the_step(dispatcher, tracker_factory):
    tracker = tracker_factory("choose_jurisdiction", guidance_step="court", jurisdiction="RU")
    events = await run(ActionChooseJurisdiction(), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_jurisdiction_set", "utter_step"]
    assert events == [SlotSet("guidance_step", "court")]


async def test_choose_jurisdiction_without_a_country_asks(dispatcher, tracker_factory):
    await run(ActionChooseJurisdiction(), dispatcher, tracker_factory("choose_jurisdiction"))
    assert responses(dispatcher) == ["utter_ask_jurisdiction"]
