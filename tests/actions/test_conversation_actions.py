"""Language, yes/no in context, fallbacks and hand-off."""

from __future__ import annotations

from rasa_sdk.events import AllSlotsReset, SlotSet

from actions.conversation import (
    ActionAffirm,
    ActionChangeLanguage,
    ActionDeny,
    ActionOutOfScope,
    ActionRequestHuman,
)
from actions.slot_mappings import ValidateSlotMappings
from tests.actions.conftest import responses


def language_entity(value, confidence=1.0):
    return {"entity": "language", "value": value, "confidence_entity": confidence}


async def extract_language(tracker):
    return await ValidateSlotMappings().extract_language(None, tracker, {})


async def test_message_language_wins(tracker_factory):
    tracker = tracker_factory("greet", "你好", [language_entity("zh")], language="fr")
    assert await extract_language(tracker) == {"language": "zh"}


async def test_short_latin_message_keeps_the_conversation_language(tracker_factory):
    tracker = tracker_factory("affirm", "ok", [language_entity("fr", 0.5)], language="ru")
    assert await extract_language(tracker) == {}


async def test_telegram_language_code_breaks_the_tie_for_a_new_user(tracker_factory):
    tracker = tracker_factory(
        "affirm", "ok", [language_entity("fr", 0.5)], {"language_code": "ru-RU"},
        language=None,
    )
    assert await extract_language(tracker) == {"language": "ru"}


async def test_unsupported_language_does_not_change_the_language(tracker_factory):
    entities = [language_entity("fr", 0.01),
                {"entity": "unsupported_language", "value": "latin"}]
    tracker = tracker_factory("out_of_scope", "hello there my friend", entities,
                              language="zh")
    assert await extract_language(tracker) == {}


async def test_change_language(dispatcher, tracker_factory):
    entities = [{"entity": "requested_language", "value": "zh"}]
    tracker = tracker_factory("change_language", "parle chinois", entities)
    events = await ActionChangeLanguage().run(dispatcher, tracker, {})
    assert events == [SlotSet("language", "zh")]
    assert responses(dispatcher) == ["utter_language_changed"]


async def test_change_language_without_target_offers_the_choice(dispatcher, tracker_factory):
    events = await ActionChangeLanguage().run(dispatcher, tracker_factory("change_language"), {})
    assert events == [] and responses(dispatcher) == ["utter_language_choice"]


async def test_unsupported_language_gets_the_trilingual_choice(dispatcher, tracker_factory):
    entities = [{"entity": "unsupported_language", "value": "latin"}]
    await ActionOutOfScope().run(dispatcher, tracker_factory("out_of_scope", "hi", entities), {})
    assert responses(dispatcher) == ["utter_language_choice"]


async def test_fallback_and_out_of_scope(dispatcher, tracker_factory):
    await ActionOutOfScope().run(dispatcher, tracker_factory("nlu_fallback", "xyz"), {})
    await ActionOutOfScope().run(dispatcher, tracker_factory("out_of_scope", "la météo"), {})
    assert responses(dispatcher) == ["utter_did_not_understand", "utter_out_of_scope"]


async def test_yes_confirms_erasure_only_when_asked(dispatcher, tracker_factory):
    events = await ActionAffirm().run(
        dispatcher, tracker_factory("affirm", "oui", awaiting="delete_my_data"), {}
    )
    assert events == [AllSlotsReset()]
    assert dispatcher.messages[1]["custom"] == {"accord": {"erase_user_data": True}}
    other = type(dispatcher)()
    assert await ActionAffirm().run(other, tracker_factory("affirm", "oui"), {}) == []
    assert all("custom" not in m or not m["custom"] for m in other.messages)


async def test_no_keeps_the_data(dispatcher, tracker_factory):
    events = await ActionDeny().run(
        dispatcher, tracker_factory("deny", "non", awaiting="delete_my_data"), {}
    )
    assert events == [SlotSet("awaiting", None)]
    assert responses(dispatcher) == ["utter_delete_kept"]


async def test_request_human_signals_the_channel(dispatcher, tracker_factory):
    await ActionRequestHuman().run(dispatcher, tracker_factory("request_human"), {})
    assert dispatcher.messages[-1]["custom"] == {"accord": {"handoff": True}}
