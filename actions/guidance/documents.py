"""The step templates as editable DOCX files (python-docx), in the user's language.

The text is the same as the one sent in the chat (`content.render_template`); the file
gets a title and one paragraph per block of the template. Files are written under
`<var_dir>/documents/<uuid4 hex>.docx`: the name on disk is never chosen by the user;
the name shown to the user (`filename`) is a localized, sanitized title.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from actions.guidance import content

# what the document form asks, in this order (order_ref, city and today are not asked)
ASKED = ("client_name", "photographer_name", "shoot_date", "amount", "solution", "deadline")
SKIPPED = "__skip__"
DOCUMENT_STEPS = ("talk", "propose", "agreement", "mediation", "court")
# fonts Word uses for each script; w:eastAsia is what makes Chinese render
LATIN_FONT = "Calibri"
EAST_ASIAN_FONT = {"zh": "SimSun"}
MAX_STEM = 60
_UNSAFE = re.compile(r"[^\w\-]+", re.UNICODE)


@dataclass(frozen=True)
class StoredDocument:
    """A written document: where it is, and the name to show."""

    path: Path
    filename: str


def has_template(language: str, step: Optional[str]) -> bool:
    """Whether the step has a (non-empty) template."""
    if step not in content.STEPS:
        return False
    return bool(content.load(language)["steps"][step].get("template"))


def fields_of(language: str, step: Optional[str]) -> List[str]:
    """The asked placeholders the step's template uses, in the form's order."""
    if not has_template(language, step):
        return []
    template = content.load(language)["steps"][step]["template"]
    used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return [name for name in ASKED if name in used]


def values_of(slots: Mapping[str, Any]) -> Dict[str, str]:
    """The collected values (skipped and empty ones left out: they stay blank)."""
    values: Dict[str, str] = {}
    for name in ASKED:
        value = slots.get(name)
        if isinstance(value, str) and value.strip() and value != SKIPPED:
            values[name] = value.strip()
    return values


def document_key(step: str, jurisdiction: str) -> str:
    """The entry of `documents:` in the guidance file for this step and jurisdiction."""
    return "court_RU" if step == "court" and jurisdiction == "RU" else step


def title_of(language: str, step: str, jurisdiction: str) -> str:
    """The document's title in that language."""
    return content.load(language)["documents"][document_key(step, jurisdiction)]["title"]


def safe_filename(stem: str, today: dt.date) -> str:
    """A file name without path separators or control characters, ending in .docx."""
    cleaned = _UNSAFE.sub("-", stem).strip("-_")[:MAX_STEM] or "document"
    return f"{cleaned}-{today.isoformat()}.docx"


def _set_fonts(document: Any, language: str) -> None:
    """Latin and East-Asian fonts on the styles used, so Word renders every script."""
    east_asian = EAST_ASIAN_FONT.get(language)
    for style_name in ("Normal", "Title"):
        style = document.styles[style_name]
        style.font.name = LATIN_FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attribute), LATIN_FONT)
        if east_asian:
            fonts.set(qn("w:eastAsia"), east_asian)
            # theme fonts would win over the explicit one
            for attribute in ("w:eastAsiaTheme", "w:asciiTheme", "w:hAnsiTheme"):
                fonts.attrib.pop(qn(attribute), None)
            language_tag = rpr.find(qn("w:lang"))
            if language_tag is None:
                language_tag = rpr.makeelement(qn("w:lang"), {})
                rpr.append(language_tag)
            language_tag.set(qn("w:eastAsia"), "zh-CN")
    document.styles["Normal"].font.size = Pt(11)


def build_docx(language: str, title: str, text: str, path: Path) -> None:
    """Writes a DOCX: the title, then one paragraph per block (line breaks kept)."""
    document = Document()
    _set_fonts(document, language)
    document.core_properties.title = title
    document.core_properties.language = {"fr": "fr-FR", "zh": "zh-CN", "ru": "ru-RU"}.get(
        language, ""
    )
    document.add_heading(title, level=0)
    for block in re.split(r"\n\s*\n", text.strip()):
        paragraph = document.add_paragraph()
        lines = block.split("\n")
        for index, line in enumerate(lines):
            run = paragraph.add_run(line)
            if index < len(lines) - 1:
                run.add_break()
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def write_document(
    *,
    var_dir: Path,
    language: str,
    step: str,
    jurisdiction: str,
    text: str,
    today: Optional[dt.date] = None,
) -> StoredDocument:
    """Writes the document under `<var_dir>/documents/` with a random name."""
    today = today or dt.date.today()
    folder = Path(var_dir).resolve() / "documents"
    path = folder / f"{uuid.uuid4().hex}.docx"
    title = title_of(language, step, jurisdiction)
    build_docx(language, title, text, path)
    stem = content.load(language)["documents"][document_key(step, jurisdiction)]["file"]
    return StoredDocument(path=path, filename=safe_filename(stem, today))
