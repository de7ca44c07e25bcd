"""Actions that move the photographer through the steps of the procedure."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import jurisdiction_of, language_of
from actions.guidance import content, documents
from actions.guidance.flow import (
    ESCALATION,
    SUCCESS,
    current_step,
    next_in_order,
    show_position,
    show_step,
)

from bot.settings import Settings

Events = List[Dict[Text, Any]]
logger = logging.getLogger(__name__)


class ActionDisputeOverview(Action):
    """The list of steps, then the current (or first) step."""

    def name(self) -> Text:
        return "action_dispute_overview"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        language = language_of(tracker)
        dispatcher.utter_message(
            response="utter_overview",
            steps_list=content.render_overview(language),
            jurisdiction_name=content.jurisdiction_name(
                language, jurisdiction_of(tracker)
            ),
            disclaimer=content.disclaimer(language),
        )
        step = current_step(tracker)
        if step:
            show_position(dispatcher, tracker, step)
        return show_step(dispatcher, tracker, step or content.STEPS[0])


class ActionDescribeDispute(Action):
    """Acknowledges the photographer's problem and starts (or resumes) the steps."""

    def name(self) -> Text:
        return "action_describe_dispute"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        language = language_of(tracker)
        dispute_type = tracker.get_slot("dispute_type")
        if dispute_type:
            dispatcher.utter_message(
                response="utter_dispute_noted",
                dispute_name=content.dispute_name(language, dispute_type),
            )
        else:
            dispatcher.utter_message(response="utter_dispute_heard")
        events: Events = [SlotSet("role", "photographer")]
        return events + show_step(
            dispatcher, tracker, current_step(tracker) or content.STEPS[0]
        )


class ActionNextStep(Action):
    """The next step in the documented order."""

    def name(self) -> Text:
        return "action_next_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        following = next_in_order(current_step(tracker))
        if following is None:
            dispatcher.utter_message(response="utter_procedure_done")
            return []
        return show_step(dispatcher, tracker, following)


class ActionStepFailed(Action):
    """The step did not work: escalate to the next, stronger step."""

    def name(self) -> Text:
        return "action_step_failed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        step = current_step(tracker)
        if step is None:
            dispatcher.utter_message(response="utter_dispute_heard")
            return show_step(dispatcher, tracker, content.STEPS[0])
        following = ESCALATION[step]
        if following is None:
            dispatcher.utter_message(response="utter_procedure_done")
            return []
        if step == "court":
            dispatcher.utter_message(response="utter_last_resort")
        else:
            dispatcher.utter_message(response="utter_step_escalate")
        return show_step(dispatcher, tracker, following)


class ActionStepSucceeded(Action):
    """The step worked: put the agreement in writing, then follow up."""

    def name(self) -> Text:
        return "action_step_succeeded"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        step = current_step(tracker)
        following = SUCCESS[step] if step else "agreement"
        if following is None:
            dispatcher.utter_message(response="utter_procedure_done")
            return []
        if following == "agreement":
            dispatcher.utter_message(response="utter_step_worked")
        else:
            dispatcher.utter_message(response="utter_step_worked_followup")
        return show_step(dispatcher, tracker, following)


class ActionWhereAmI(Action):
    """Says which step the user is at and shows it again."""

    def name(self) -> Text:
        return "action_where_am_i"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        step = current_step(tracker)
        if step is None:
            dispatcher.utter_message(response="utter_not_started")
            return []
        show_position(dispatcher, tracker, step)
        return show_step(dispatcher, tracker, step)


class ActionStartOver(Action):
    """Back to the first step (the dispute type is forgotten too)."""

    def name(self) -> Text:
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_start_over")
        events: Events = [SlotSet("dispute_type", None)]
        return events + show_step(dispatcher, tracker, content.STEPS[0])


class ActionExplainMore(Action):
    """The longer explanation of the current step."""

    def name(self) -> Text:
        return "action_explain_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        step = current_step(tracker)
        if step is None:
            dispatcher.utter_message(response="utter_not_started")
            return []
        more = content.render_more(language_of(tracker), step)
        dispatcher.utter_message(response="utter_more", more_text=more)
        return []


class ActionSendTemplate(Action):
    """The current step's document, once `document_form` collected what it needs: the
    text in the chat, and the same text as an editable DOCX file for the channel."""

    def name(self) -> Text:
        return "action_send_template"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        step = current_step(tracker)
        if step is None:
            dispatcher.utter_message(response="utter_not_started")
            return []
        language = language_of(tracker)
        values = documents.values_of(tracker.slots)
        text = content.render_template(language, step, values)
        if not text:
            dispatcher.utter_message(response="utter_no_template")
            return []
        dispatcher.utter_message(response="utter_template", template_text=text)
        try:
            stored = documents.write_document(
                var_dir=Settings.from_env().var_dir,
                language=language,
                step=step,
                jurisdiction=jurisdiction_of(tracker),
                text=text,
            )
        except OSError:
            logger.exception("the document of step %s could not be written", step)
            return []
        dispatcher.utter_message(
            json_message={
                "accord": {
                    "document": {"path": str(stored.path), "filename": stored.filename}
                }
            }
        )
        return []


class ActionChooseJurisdiction(Action):
    """Confirms the jurisdiction the user chose, or asks for it."""

    def name(self) -> Text:
        return "action_choose_jurisdiction"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        language = language_of(tracker)
        name = content.jurisdiction_name(language, jurisdiction_of(tracker))
        if tracker.get_slot("jurisdiction") is None:
            dispatcher.utter_message(
                response="utter_ask_jurisdiction", jurisdiction_name=name
            )
            return []
        dispatcher.utter_message(response="utter_jurisdiction_set", jurisdiction_name=name)
        step = current_step(tracker)
        return show_step(dispatcher, tracker, step) if step else []
