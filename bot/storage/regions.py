"""Which database holds a conversation's personal data (docs/privacy.md, "Data location
per jurisdiction"): the rule shared by Rasa's tracker store
(bot/regional_tracker_store.py) and the adapter's rows (bot/storage/homes.py).

A conversation's region is its jurisdiction as the actions see it —
`actions.common.jurisdiction_of`: the `jurisdiction` slot, else the one that goes with
the `language` slot — once either slot is set; before that it has none. Its data goes
to the region's database (`ACCORD_DATABASE_URL_<code>`) when there is one, else it stays
where it is: data in a regional database is never moved back to the default one (a
Russian user who writes one French sentence keeps their data in Russia); it moves to
another regional database only when the region changes to one that has a database.
"""

from __future__ import annotations

from typing import Any, Collection, Mapping, Optional, TypeVar

Place = TypeVar("Place")


class SlotView:
    """Slot values as a tracker shows them (`get_slot`), from a plain mapping."""

    def __init__(self, slots: Mapping[str, Any]) -> None:
        self._slots = slots

    def get_slot(self, key: str) -> Any:
        return self._slots.get(key)


def region_of(tracker: Any) -> Optional[str]:
    """The conversation's jurisdiction code (FR, CN, RU), None while neither the
    `jurisdiction` nor the `language` slot is set. `tracker`: anything with
    `get_slot` (Rasa's tracker, the SDK's, a SlotView)."""
    if not (tracker.get_slot("jurisdiction") or tracker.get_slot("language")):
        return None
    from actions.common import jurisdiction_of  # the one rule, also used for cases

    return jurisdiction_of(tracker)


def destination(
    current: Optional[Place],
    region: Optional[str],
    regional: Mapping[str, Place],
    default: Place,
) -> Place:
    """Where a conversation's data belongs: its region's place when it has one; else
    where it is now if that is a regional place (never back to the default); else the
    default. `current`: where it is now (None: nowhere yet)."""
    place = regional.get(region) if region else None
    if place is not None:
        return place
    if current is not None and is_regional(current, regional.values(), default):
        return current
    return default


def is_regional(place: Any, regional: Collection[Any], default: Any) -> bool:
    """Whether `place` is one of the regional places (and not the default one)."""
    return place is not default and any(place is other for other in regional)
