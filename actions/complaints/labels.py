"""Localised names the complaint responses insert: resolutions, statuses, fields."""

from __future__ import annotations

from typing import Any, Dict

from actions.guidance.content import dispute_name, load

# the form's fields, in the order they are asked (the summary can correct each)
FIELDS = (
    "studio_name",
    "shoot_reference",
    "dispute_type",
    "description",
    "desired_resolution",
    "evidence",
    "contact",
)
DISPUTE_TYPES = (
    "quality",
    "refund",
    "non_payment",
    "privacy",
    "pricing",
    "false_advertising",
    "delay",
    "copyright",
)
RESOLUTIONS = (
    "full_refund",
    "partial_refund",
    "reshoot",
    "corrected_photos",
    "delete_leaked",
    "apology",
    "other",
)

def _labels(language: str) -> Dict[str, Any]:
    """The `complaint_labels` section of guidance/<language>.yml (French if unknown)."""
    return load(language if language in ("fr", "zh", "ru") else "fr")["complaint_labels"]


def not_given(language: str) -> str:
    """What the summary shows for an unanswered optional question."""
    return _labels(language)["not_given"]


def resolution_name(language: str, value: str) -> str:
    """A desired resolution's name in that language."""
    return _labels(language)["resolutions"].get(value, value)


def status_name(language: str, status: str) -> str:
    """A case status's name in that language."""
    return _labels(language)["statuses"].get(status, status)


def dispute_label(language: str, value: str) -> str:
    """A dispute type's name in that language (the guidance's wording)."""
    return dispute_name(language, value) if value in DISPUTE_TYPES else str(value)
