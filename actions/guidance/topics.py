"""Answers to topic questions, asked at any point without losing the current step."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import jurisdiction_of, language_of, latest_intent
from actions.guidance import content

TOPIC_OF_INTENT = {
    "ask_negotiation": "negotiation",
    "ask_mediation": "mediation",
    "ask_arbitration": "arbitration",
    "ask_legal_action": "legal_action",
    "ask_written_agreement": "written_agreement",
    "ask_prevention": "prevention",
    "ask_documentation": "documentation",
    "ask_privacy": "privacy",
}


class ActionAnswerTopic(Action):
    """Answers the topic the user asked about, for their jurisdiction."""

    def name(self) -> Text:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        topic = TOPIC_OF_INTENT.get(latest_intent(tracker) or "")
        if topic is None:
            dispatcher.utter_message(response="utter_did_not_understand")
            return []
        text = content.render_topic(
            language_of(tracker), topic, jurisdiction_of(tracker)
        )
        dispatcher.utter_message(response="utter_topic", topic_text=text)
        return []
