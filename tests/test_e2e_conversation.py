"""End to end through the real Rasa server and action server: turns, languages,
transcripts, export, erasure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from bot.settings import ROOT
from bot.storage.models import Turn

pytestmark = pytest.mark.stack


async def say(conversations, sender, message, **kwargs):
    return await conversations.handle(sender, message, **kwargs)


@pytest.mark.parametrize(
    "greeting,language,photographer",
    [("bonjour !", "fr", "je suis photographe"),
     ("你好", "zh", "我是摄影师"),
     ("добрый день", "ru", "я фотограф")],
)
async def test_each_language_gets_answers_in_that_language(
    services, sender, greeting, language, photographer
):
    conversations = services.conversations("terminal")
    first = await say(conversations, sender, greeting)
    assert first.intent == "greet" and first.language == language
    assert first.replies and first.replies[0].buttons
    second = await say(conversations, sender, photographer)
    assert second.intent == "i_am_photographer"
    assert second.replies[0].buttons[0]["payload"] == "/ask_dispute_steps"


async def test_guidance_path_and_language_switch(services, sender):
    conversations = services.conversations("terminal")
    result = await say(conversations, sender, "le client refuse de payer le solde")
    assert result.intent == "describe_dispute"
    step_text = result.replies[-1].text
    assert step_text.startswith("Étape 1")
    switched = await say(conversations, sender, "/change_language{\"requested_language\": \"ru\"}")
    assert switched.language == "ru"
    again = await say(conversations, sender, "/where_am_i")
    assert "1" in again.replies[0].text and again.replies[-1].text.startswith("Шаг 1")


async def test_unsupported_language_gets_the_trilingual_choice(services, sender):
    conversations = services.conversations("terminal")
    result = await say(conversations, sender, "Hello, my photographer never sent the photos")
    assert result.intent == "out_of_scope"
    payloads = [b["payload"] for b in result.replies[0].buttons]
    assert payloads == [
        '/change_language{"requested_language": "fr"}',
        '/change_language{"requested_language": "zh"}',
        '/change_language{"requested_language": "ru"}',
    ]


async def test_turns_are_recorded_and_exported(services, sender, rasa_stack):
    conversations = services.conversations("terminal")
    await say(conversations, sender, "bonjour")
    await say(conversations, sender, "/i_am_photographer",
              pressed={"title": "Je suis photographe", "payload": "/i_am_photographer"})
    with services.sessions() as session:
        turns = list(session.execute(
            select(Turn).where(Turn.conversation_id == sender).order_by(Turn.id)
        ).scalars())
    inbound = [t for t in turns if t.direction == "in"]
    assert [t.intent for t in inbound] == ["greet", "i_am_photographer"]
    assert all(t.language == "fr" for t in turns)
    assert inbound[0].confidence and inbound[0].confidence > 0
    assert json.loads(inbound[1].buttons)[0]["payload"] == "/i_am_photographer"

    env = {**os.environ, "DATABASE_URL": rasa_stack.settings.database_url,
           "ACCORD_VAR_DIR": str(rasa_stack.settings.var_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "transcripts", "export", "--format", "jsonl"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    mine = [r for r in rows if r["conversation_id"] == sender]
    assert len(mine) == len(turns)
    assert set(mine[0]) == {"conversation_id", "timestamp", "direction", "language",
                            "text", "intent", "confidence", "case_ref"}
    assert mine[0]["direction"] == "in" and mine[1]["direction"] == "out"


async def test_erasure_removes_transcripts_and_tracker_events(services, sender):
    conversations = services.conversations("terminal")
    await say(conversations, sender, "здравствуйте")
    asked = await say(conversations, sender, "удалите все мои данные")
    assert asked.intent == "delete_my_data"
    done = await say(conversations, sender, "/affirm")
    assert done.erased and done.replies
    with services.sessions() as session:
        left = session.execute(
            select(func.count()).select_from(Turn).where(Turn.conversation_id == sender)
        ).scalar_one()
    assert left == 0
    with services.tracker_engine.connect() as connection:
        events = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar_one()
    assert events == 0
    fresh = await say(conversations, sender, "привет")
    assert fresh.language == "ru" and fresh.intent == "greet"


def test_terminal_chat_talks_to_the_stack(rasa_stack, sender):
    """`python -m bot chat`: what `make run` opens without a Telegram token."""
    env = {**os.environ, "DATABASE_URL": rasa_stack.settings.database_url,
           "ACCORD_VAR_DIR": str(rasa_stack.settings.var_dir),
           "RASA_URL": rasa_stack.settings.rasa_url,
           "RASA_TOKEN": rasa_stack.settings.rasa_token,
           "RASA_TRACKER_STORE_URL": rasa_stack.settings.rasa_tracker_store_url,
           # each turn checks the action server is there (bot/turns.py)
           "ACTION_SERVER_PORT": str(rasa_stack.settings.action_server_port)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--sender", sender],
        cwd=ROOT, env=env, input="你好\n1\n\n/quit\n", capture_output=True,
        text=True, timeout=120, check=True,
    )
    out = result.stdout
    assert "我是摄影师" in out  # the greeting's first button, numbered
    assert "[1]" in out
    assert "处理步骤" in out  # pressing [1] answered as a photographer
    assert "请用几句话告诉我" in out  # the empty line got the localized prompt
    assert "再见" in out


async def test_the_turn_answer_says_what_the_tracker_holds(services, sender):
    """`/webhooks/rest/turn` (bot/rasa_channel.py) returns the intent, confidence and
    slots that the tracker API reports after the same turn, in one request."""
    replies = await services.rasa.send(sender, "добрый вечер")
    assert replies and replies.turn is not None
    tracker = await services.rasa.latest_turn(sender)
    assert replies.turn.intent == tracker.intent == "greet"
    assert replies.turn.confidence == pytest.approx(tracker.confidence)
    assert replies.turn.language == tracker.language == "ru"
    assert replies.turn.slots["case_ref"] == tracker.slots.get("case_ref")
