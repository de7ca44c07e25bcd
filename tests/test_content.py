"""Every text exists in French, Chinese and Russian; guidance files agree; sources exist."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any, Dict, Iterator, Set, Tuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("fr", "zh", "ru")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


DOMAIN = load(ROOT / "domain.yml")
GUIDANCE = {lang: load(ROOT / "guidance" / f"{lang}.yml") for lang in LANGUAGES}
LOCALES = {lang: load(ROOT / "bot" / "locales" / f"{lang}.yml") for lang in LANGUAGES}


def languages_of(variations) -> Tuple[Set[str], int]:
    found, defaults = set(), 0
    for variation in variations:
        conditions = variation.get("condition") or []
        values = {c["value"] for c in conditions if c.get("name") == "language"}
        found |= values
        defaults += not conditions
    return found, defaults


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_every_response_has_all_languages_and_a_default(name):
    variations = DOMAIN["responses"][name]
    found, defaults = languages_of(variations)
    trilingual = len(variations) == 1 and not variations[0].get("condition")
    assert trilingual or found == set(LANGUAGES), f"{name} lacks {set(LANGUAGES) - found}"
    assert defaults == 1, f"{name} needs exactly one variation without condition"


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_variations_offer_the_same_buttons(name):
    payloads = {
        tuple(b["payload"] for b in v.get("buttons") or [])
        for v in DOMAIN["responses"][name]
    }
    assert len(payloads) == 1, f"{name}: languages offer different buttons"


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_variations_use_the_same_placeholders(name):
    fields = {
        frozenset(f for _, f, _, _ in string.Formatter().parse(v.get("text", "")) if f)
        for v in DOMAIN["responses"][name]
    }
    assert len(fields) == 1, f"{name}: placeholders differ between languages"


def keys(tree: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "sources":
                continue
            yield f"{prefix}/{key}"
            yield from keys(value, f"{prefix}/{key}")


def test_guidance_files_have_the_same_structure():
    reference = set(keys(GUIDANCE["fr"]))
    for lang in ("zh", "ru"):
        assert set(keys(GUIDANCE[lang])) == reference, lang


def test_guidance_has_every_step_topic_and_dispute_type():
    from actions.guidance.content import STEPS

    dispute_types = set(DOMAIN["slots"]["dispute_type"]["values"])
    for lang, data in GUIDANCE.items():
        assert tuple(data["steps"]) == STEPS, lang
        for step, entry in data["steps"].items():
            assert entry["title"] and entry["text"] and entry["more"], (lang, step)
            assert len(entry["checklist"]) >= 3, (lang, step)
            assert set(entry["tips"]) == dispute_types, (lang, step)
        for step in ("mediation", "court"):
            assert set(data["steps"][step]["jurisdiction"]) == {"FR", "CN", "RU"}
        assert set(data["dispute_types"]) == dispute_types
        assert set(data["jurisdictions"]) == {"FR", "CN", "RU"}


def strings(tree: Any) -> Iterator[str]:
    if isinstance(tree, str):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from strings(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from strings(value)


def test_guidance_uses_only_known_placeholders():
    from actions.guidance.content import PLACEHOLDERS

    for lang, data in GUIDANCE.items():
        for text in strings(data):
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            assert fields <= set(PLACEHOLDERS), (lang, fields - set(PLACEHOLDERS))


def test_templates_render_with_blanks_in_every_language():
    from actions.guidance import content

    for lang in LANGUAGES:
        for step in ("talk", "propose", "agreement", "mediation", "court"):
            text = content.render_template(lang, step, {"client_name": "Zoé"})
            assert "{" not in text and content.BLANK in text, (lang, step)


def test_cited_sources_exist():
    defined = set(re.findall(r"\*\*([A-Z0-9-]+)\*\*", (ROOT / "docs/sources.md").read_text()))
    cited: Set[str] = set()

    def walk(tree: Any) -> None:
        if isinstance(tree, dict):
            cited.update(tree.get("sources") or [])
            for value in tree.values():
                walk(value)

    for data in GUIDANCE.values():
        walk(data)
    assert cited and cited <= defined, cited - defined


def test_no_one_is_sent_to_the_closed_eu_odr_platform():
    for lang, data in GUIDANCE.items():
        for text in strings(data):
            assert "ec.europa.eu/consumers/odr" not in text, lang


def test_adapter_locales_have_the_same_keys_and_placeholders():
    reference: Dict[str, Set[str]] = {
        key: {f for _, f, _, _ in string.Formatter().parse(value) if f}
        for key, value in LOCALES["fr"].items()
    }
    for lang in ("zh", "ru"):
        assert set(LOCALES[lang]) == set(reference), lang
        for key, value in LOCALES[lang].items():
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f}
            assert fields == reference[key], (lang, key)
