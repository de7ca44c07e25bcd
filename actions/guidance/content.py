"""Reads the guidance files and renders steps, topics and templates as plain text.

The texts themselves are data (`guidance/<lang>.yml`); this module only picks the
parts that apply (step, jurisdiction, dispute type) and lays them out.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

GUIDANCE_DIR = Path(__file__).resolve().parents[2] / "guidance"
STEPS = ("talk", "terms", "propose", "agreement", "mediation", "court", "followup")
BLANK = "________"
BULLET = "•"
PLACEHOLDERS = (
    "client_name",
    "photographer_name",
    "shoot_date",
    "order_ref",
    "amount",
    "solution",
    "deadline",
    "today",
    "city",
)


@functools.lru_cache(maxsize=None)
def load(language: str) -> Dict[str, Any]:
    """The parsed guidance file of one language (read once per process)."""
    with open(GUIDANCE_DIR / f"{language}.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def step_index(step: Optional[str]) -> int:
    """Position of a step (0-based); -1 when no step was started."""
    return STEPS.index(step) if step in STEPS else -1


def step_title(language: str, step: str) -> str:
    """The title of a step."""
    return load(language)["steps"][step]["title"]


def jurisdiction_name(language: str, jurisdiction: str) -> str:
    """The jurisdiction's name in that language."""
    return load(language)["jurisdictions"][jurisdiction]


def dispute_name(language: str, dispute_type: str) -> str:
    """The dispute type's name in that language."""
    return load(language)["dispute_types"][dispute_type]


def disclaimer(language: str) -> str:
    """The one-sentence "guidance, not legal advice" notice."""
    return load(language)["disclaimer"]


def bullets(items: List[str]) -> str:
    """A checklist, one item per line."""
    return "\n".join(f"{BULLET} {item}" for item in items)


def _jurisdiction_part(entry: Mapping[str, Any], jurisdiction: str) -> Optional[str]:
    part = (entry.get("jurisdiction") or {}).get(jurisdiction)
    if isinstance(part, dict):
        return part.get("text")
    return part


def render_step(
    language: str, step: str, jurisdiction: str, dispute_type: Optional[str]
) -> str:
    """Title, explanation, the jurisdiction's rules, the dispute-type tip, checklist."""
    entry = load(language)["steps"][step]
    parts = [entry["title"], entry["text"]]
    local = _jurisdiction_part(entry, jurisdiction)
    if local:
        parts.append(local)
    tip = (entry.get("tips") or {}).get(dispute_type or "")
    if tip:
        parts.append(tip)
    parts.append(bullets(entry["checklist"]))
    return "\n\n".join(parts)


def render_more(language: str, step: str) -> str:
    """The "explain more" text of a step."""
    return load(language)["steps"][step]["more"]


def render_topic(language: str, topic: str, jurisdiction: str) -> str:
    """A topic answer, with its jurisdiction part and checklist."""
    entry = load(language)["topics"][topic]
    parts = [entry["text"]]
    local = _jurisdiction_part(entry, jurisdiction)
    if local:
        parts.append(local)
    if entry.get("checklist"):
        parts.append(bullets(entry["checklist"]))
    return "\n\n".join(parts)


def render_overview(language: str) -> str:
    """The numbered list of step titles."""
    return "\n".join(step_title(language, step) for step in STEPS)


class _Blanks(dict):
    """A mapping that leaves a visible blank for anything not collected."""

    def __missing__(self, key: str) -> str:
        return BLANK


def render_template(
    language: str, step: str, values: Optional[Mapping[str, Any]] = None
) -> str:
    """The step's template with the collected values, blanks elsewhere ('' if none)."""
    template = load(language)["steps"][step].get("template") or ""
    filled = _Blanks({k: v for k, v in (values or {}).items() if v})
    filled.setdefault("today", dt.date.today().isoformat())
    return string.Formatter().vformat(template, (), filled)
