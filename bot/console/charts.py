"""Server-rendered SVG bar charts (no script, no CDN)."""

from __future__ import annotations

from typing import List, Sequence, Tuple

from markupsafe import escape

COLOURS = ("#3b6ea5", "#d9822b", "#2e8b57", "#a23b72", "#6c757d", "#c0392b", "#8e44ad", "#16a085")


def hbars(items: Sequence[Tuple[str, int]], title: str, width: int = 520) -> str:
    """Horizontal bars, one per (label, value)."""
    row, left, top = 26, 170, 34
    height = top + row * max(len(items), 1) + 10
    peak = max([v for _, v in items] + [1])
    parts: List[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f'<text x="8" y="20" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        bar = int((width - left - 60) * value / peak)
        parts.append(f'<text x="8" y="{y + 16}">{escape(str(label))[:24]}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{bar}" height="18" '
                     f'fill="{COLOURS[i % len(COLOURS)]}"/>')
        parts.append(f'<text x="{left + bar + 6}" y="{y + 16}">{value}</text>')
    if not items:
        parts.append(f'<text x="8" y="{top + 16}">-</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(items: Sequence[Tuple[str, int]], title: str, width: int = 720) -> str:
    """Vertical bars over time, one per (day label, value)."""
    height, top, bottom, left = 240, 34, 40, 36
    peak = max([v for _, v in items] + [1])
    step = (width - left - 10) / max(len(items), 1)
    plot = height - top - bottom
    parts: List[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<text x="8" y="20" font-weight="bold" font-size="13">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        f'stroke="#999"/>',
        f'<text x="4" y="{top + 10}">{peak}</text>',
    ]
    for i, (label, value) in enumerate(items):
        x = left + i * step
        bar = plot * value / peak
        parts.append(f'<rect x="{x + 1:.1f}" y="{height - bottom - bar:.1f}" '
                     f'width="{max(step - 2, 1):.1f}" height="{bar:.1f}" fill="{COLOURS[0]}">'
                     f'<title>{escape(label)}: {value}</title></rect>')
        if i % 5 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
