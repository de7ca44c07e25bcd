"""Follow-up reminders: the offer after the proposal, the stored reminder, due ones."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from actions.guidance.reminders import ActionSetReminder
from actions.guidance.steps import ActionStepFailed
from bot.storage import reminders
from bot.storage.models import Reminder
from tests.actions.conftest import responses

NOW = dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.timezone.utc)


def days(value):
    return [{"entity": "reminder_days", "value": value}]


async def test_the_proposal_step_offers_a_reminder(dispatcher, tracker_factory):
    tracker = tracker_factory("step_failed", guidance_step="terms")
    await ActionStepFailed().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_step_escalate", "utter_step", "utter_offer_reminder"]


@pytest.mark.parametrize("n", [3, 7, 14])
async def test_a_chosen_reminder_is_stored(dispatcher, tracker_factory, database, n):
    tracker = tracker_factory("set_reminder", entities=days(str(n)), language="ru",
                              guidance_step="propose", metadata={"telegram_user_id": 42})
    assert await ActionSetReminder().run(dispatcher, tracker, {}, now=NOW) == []
    assert responses(dispatcher) == [f"utter_reminder_set_{n}"]
    with database() as session:
        (row,) = session.execute(select(Reminder)).scalars()
        assert row.conversation_id == tracker.sender_id
        assert row.language == "ru" and row.step == "propose" and row.channel == "telegram"
        assert reminders.utc(row.due_at) == NOW + dt.timedelta(days=n)
        assert row.sent_at is None


async def test_no_thanks_stores_nothing(dispatcher, tracker_factory, database):
    tracker = tracker_factory("set_reminder", entities=days("0"), guidance_step="propose")
    await ActionSetReminder().run(dispatcher, tracker, {}, now=NOW)
    assert responses(dispatcher) == ["utter_reminder_declined"]
    with database() as session:
        assert session.execute(select(Reminder)).first() is None


async def test_an_unknown_delay_offers_the_choice_again(dispatcher, tracker_factory, database):
    tracker = tracker_factory("set_reminder", entities=days("365"), guidance_step="propose")
    await ActionSetReminder().run(dispatcher, tracker, {}, now=NOW)
    assert responses(dispatcher) == ["utter_offer_reminder"]


async def test_a_new_choice_replaces_the_pending_reminder(dispatcher, tracker_factory, database):
    for n in ("3", "14"):
        tracker = tracker_factory("set_reminder", entities=days(n), guidance_step="propose",
                                  metadata={"telegram_user_id": 42})
        await ActionSetReminder().run(dispatcher, tracker, {}, now=NOW)
    with database() as session:
        rows = list(session.execute(select(Reminder)).scalars())
        assert len(rows) == 1 and reminders.utc(rows[0].due_at) == NOW + dt.timedelta(days=14)


def test_due_reminders_with_a_controlled_clock(database):
    with database.begin() as session:
        reminders.add_reminder(session, conversation_id="1", due_at=NOW + dt.timedelta(days=3),
                               language="fr", step="propose")
        reminders.add_reminder(session, conversation_id="2", due_at=NOW + dt.timedelta(days=7),
                               language="zh", step="propose")
        reminders.add_reminder(session, conversation_id="3", due_at=NOW, language="ru",
                               step="propose", channel="other")
    with database() as session:
        assert reminders.due_reminders(session, NOW + dt.timedelta(days=2)) == []
        due = reminders.due_reminders(session, NOW + dt.timedelta(days=3))
        assert [r.conversation_id for r in due] == ["1"]
        later = NOW + dt.timedelta(days=8)
        assert [r.conversation_id for r in reminders.due_reminders(session, later)] == ["1", "2"]
    with database.begin() as session:
        reminders.mark_sent(session, due[0].id, NOW + dt.timedelta(days=3))
    with database() as session:
        later = NOW + dt.timedelta(days=8)
        assert [r.conversation_id for r in reminders.due_reminders(session, later)] == ["2"]


def test_a_refused_reminder_is_given_up_after_a_few_attempts(database):
    with database.begin() as session:
        rid = reminders.add_reminder(session, conversation_id="1", due_at=NOW,
                                     language="fr", step="propose").id
    for attempt in range(1, reminders.MAX_ATTEMPTS + 1):
        with database.begin() as session:
            given_up = reminders.mark_failed(session, rid, NOW)
        assert given_up == (attempt == reminders.MAX_ATTEMPTS)
    with database() as session:
        assert reminders.due_reminders(session, NOW) == []


def test_erasing_the_user_data_removes_the_reminders(database):
    from bot.erasure import erase_user

    with database.begin() as session:
        reminders.add_reminder(session, conversation_id="1", due_at=NOW, language="fr",
                               step="propose")
        reminders.add_reminder(session, conversation_id="2", due_at=NOW, language="fr",
                               step="propose")
    erase_user(sessions=database, conversation_id="1", evidence_dir=None)
    with database() as session:
        assert [r.conversation_id for r in reminders.due_reminders(session, NOW)] == ["2"]
