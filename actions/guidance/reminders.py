"""`action_set_reminder`: "check back in N days" after a proposal, kept in the database.

The buttons of `utter_offer_reminder` send `/set_reminder{"reminder_days": "N"}`
(N = 3, 7 or 14; 0 is "no thanks"). The Telegram adapter sends the reminder when it
is due (bot/telegram/reminders.py), even after a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import language_of, latest_entity_value, latest_user_metadata
from actions.complaints import store
from actions.guidance.flow import REMINDER_STEP, current_step
from bot.storage import reminders
from bot.storage.regions import region_of

Events = List[Dict[Text, Any]]
logger = logging.getLogger(__name__)
ALLOWED_DAYS = (3, 7, 14)


def days_of(tracker: Tracker) -> Optional[int]:
    """The chosen delay in days (0 = no reminder); None when it is not one offered."""
    value = latest_entity_value(tracker, "reminder_days")
    try:
        days = int(str(value))
    except (TypeError, ValueError):
        return None
    return days if days == 0 or days in ALLOWED_DAYS else None


def channel_of(tracker: Tracker) -> str:
    """The channel the reminder goes out on: Telegram when the message came from it."""
    metadata = latest_user_metadata(tracker)
    return "telegram" if metadata.get("telegram_user_id") else "other"


class ActionSetReminder(Action):
    """Stores the follow-up (or says none will be sent)."""

    def name(self) -> Text:
        return "action_set_reminder"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        now: Optional[dt.datetime] = None,
    ) -> Events:
        days = days_of(tracker)
        if days is None:
            dispatcher.utter_message(response="utter_offer_reminder")
            return []
        if days == 0:
            dispatcher.utter_message(response="utter_reminder_declined")
            return []
        now = now or dt.datetime.now(dt.timezone.utc)
        try:
            # in the database of the user's jurisdiction (docs/privacy.md)
            with store.sessions(region_of(tracker)).begin() as session:
                reminders.add_reminder(
                    session,
                    conversation_id=tracker.sender_id,
                    due_at=now + dt.timedelta(days=days),
                    language=language_of(tracker),
                    step=current_step(tracker) or REMINDER_STEP,
                    channel=channel_of(tracker),
                )
        except SQLAlchemyError:
            logger.exception("the reminder could not be stored")
            dispatcher.utter_message(response="utter_reminder_failed")
            return []
        dispatcher.utter_message(response=f"utter_reminder_set_{days}")
        return []
