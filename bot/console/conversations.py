"""Conversations: the list with search and filters, a transcript, printing, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from urllib.parse import urlencode
from typing import Any, Dict, List, Optional

from aiohttp import web
from sqlalchemy import select

from bot.console import queries
from bot.console.app import audit, render, require
from bot.redact import redact_optional
from bot.storage.models import Attachment, Case, Turn
from bot.storage.transcripts import erase_conversation, turn_as_dict

EXPORT_FIELDS = ("id", "conversation_id", "channel", "timestamp", "direction", "language",
                 "text", "intent", "confidence", "case_ref", "buttons", "attachments")


def _date(value: Optional[str], *, end: bool = False) -> Optional[dt.datetime]:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        raise web.HTTPBadRequest(text="400: dates are YYYY-MM-DD")
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def _tristate(value: Optional[str]) -> Optional[bool]:
    return {"yes": True, "no": False}.get(value or "")


def _page(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 100000))
    except ValueError:
        return 1


def turn_filter(request: web.Request) -> queries.TurnFilter:
    """The filter of the query string."""
    q = request.query
    return queries.TurnFilter(
        q=q.get("q", "")[:200], language=q.get("language", "")[:8],
        intent=q.get("intent", "")[:64],
        date_from=_date(q.get("from")), date_to=_date(q.get("to"), end=True),
        has_case=_tristate(q.get("has_case")), handoff=_tristate(q.get("handoff")),
    )


async def conversation_list(request: web.Request) -> web.StreamResponse:
    require(request, "viewer")
    page = _page(request)
    f = turn_filter(request)
    with request.app["db"]() as session:
        rows, total, capped = queries.list_conversations(session, f, page)
        languages = queries.distinct_values(session, Turn.language)
        intents = queries.distinct_values(session, Turn.intent)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    return render(request, "conversations.html", rows=rows, total=total, capped=capped,
                  page=page, pages=pages, languages_seen=languages, intents=intents,
                  query=request.query, export_qs=urlencode(
                      {k: v for k, v in request.query.items() if v and k not in ("page", "lang")}))


def button_titles(turn: Turn) -> List[str]:
    """The titles of the buttons of a turn (offered, or pressed), for display."""
    if not turn.buttons:
        return []
    try:
        items = json.loads(turn.buttons)
    except ValueError:
        return [turn.buttons]
    if isinstance(items, dict):
        items = [items]
    out = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            out.append(str(item.get("title") or item.get("payload") or item))
        else:
            out.append(str(item))
    return out


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def inline_evidence(turns: List[Turn], cases: List[Case],
                    evidence: Dict[str, List[Attachment]]) -> Dict[int, List[Attachment]]:
    """The files to show beside each incoming turn that brought some. A turn sent while
    the form was open has no case yet: its files are those of the first case filed after
    it; a later turn names its case. Each turn takes the next files of its case, in the
    order they came, as many as it brought."""
    ordered = sorted(cases, key=lambda c: (_utc(c.created_at), c.id))
    left = {case.ref: list(evidence.get(case.ref, [])) for case in ordered}
    shown: Dict[int, List[Attachment]] = {}
    for turn in turns:
        if turn.direction != "in" or not turn.attachments:
            continue
        ref = turn.case_ref if left.get(turn.case_ref or "") else next(
            (c.ref for c in ordered
             if _utc(c.created_at) >= _utc(turn.timestamp) and left[c.ref]), None)
        if ref is not None:
            shown[turn.id] = left[ref][:turn.attachments]
            left[ref] = left[ref][turn.attachments:]
    return shown


def _load_transcript(request: web.Request, conversation_id: str) -> Dict[str, Any]:
    with request.app["db"]() as session:
        turns = queries.transcript(session, conversation_id)
        if not turns:
            raise web.HTTPNotFound(text="404: no such conversation")
        cases = list(session.execute(
            select(Case).where(Case.conversation_id == conversation_id)).scalars())
        evidence: Dict[str, List[Attachment]] = {
            case.ref: list(session.execute(
                select(Attachment).where(Attachment.case_id == case.id)).scalars())
            for case in cases
        }
    return {"conversation_id": conversation_id, "turns": turns, "cases": cases,
            "evidence": evidence, "buttons": button_titles,
            "inline": inline_evidence(turns, cases, evidence)}


async def transcript_view(request: web.Request) -> web.StreamResponse:
    require(request, "viewer")
    cid = request.match_info["cid"]
    context = _load_transcript(request, cid)
    audit(request, "view_transcript", "conversation", cid)
    return render(request, "transcript.html", **context)


async def transcript_print(request: web.Request) -> web.StreamResponse:
    require(request, "viewer")
    cid = request.match_info["cid"]
    context = _load_transcript(request, cid)
    audit(request, "print_transcript", "conversation", cid)
    return render(request, "print.html", **context)


# free-text columns in which phone numbers and e-mail addresses are redacted
REDACTED_FIELDS = ("text", "buttons")


def _row(turn: Turn, redacted: bool = True) -> Dict[str, Any]:
    row = turn_as_dict(turn)
    row.update(id=turn.id, channel=turn.channel, buttons=turn.buttons,
               attachments=turn.attachments)
    if redacted:
        row.update({key: redact_optional(row[key]) for key in REDACTED_FIELDS})
    return {key: row[key] for key in EXPORT_FIELDS}


def redaction_wanted(request: web.Request) -> bool:
    """Exports redact phone numbers and e-mails unless the query says `redact=0`."""
    return request.query.get("redact", "1") != "0"


def export_response(turns: List[Turn], fmt: str, name: str,
                    redacted: bool = True) -> web.Response:
    """CSV or JSON of these turns, as a download (redacted unless told otherwise)."""
    rows = [_row(turn, redacted) for turn in turns]
    if fmt == "json":
        body = json.dumps(rows, ensure_ascii=False, indent=1)
        content_type = "application/json"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for row in rows:
            # a leading = + - @ would run as a formula in a spreadsheet
            text = row["text"] or ""
            if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
                row["text"] = "'" + text
            writer.writerow(row)
        body = "\ufeff" + buffer.getvalue()  # BOM: spreadsheets read UTF-8 (zh, ru)
        content_type = "text/csv"
    response = web.Response(text=body, content_type=content_type, charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _fmt(request: web.Request) -> str:
    fmt = request.match_info["fmt"]
    if fmt not in ("csv", "json"):
        raise web.HTTPNotFound()
    return fmt


async def export_one(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    cid, fmt = request.match_info["cid"], _fmt(request)
    with request.app["db"]() as session:
        turns = queries.transcript(session, cid, limit=1000000)
    if not turns:
        raise web.HTTPNotFound(text="404: no such conversation")
    redacted = redaction_wanted(request)
    audit(request, "export", "conversation", cid,
          f"{fmt}, {len(turns)} turns, {'redacted' if redacted else 'NOT redacted'}")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in cid)[:64]
    return export_response(turns, fmt, f"transcript-{safe}", redacted)


async def export_filtered(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    fmt = _fmt(request)
    f = turn_filter(request)
    with request.app["db"]() as session:
        turns = queries.export_turns(session, f)
    redacted = redaction_wanted(request)
    detail = json.dumps({k: v for k, v in request.query.items() if v}, ensure_ascii=False)
    audit(request, "export", "turns", None, f"{fmt}, {len(turns)} turns, "
          f"{'redacted' if redacted else 'NOT redacted'}, filter {detail}")
    return export_response(turns, fmt, "transcripts", redacted)


async def delete_conversation(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    cid = request.match_info["cid"]
    with request.app["db"]() as session:
        count = erase_conversation(session=session, conversation_id=cid)
        session.commit()
    audit(request, "delete", "conversation", cid, f"{count} turns")
    raise web.HTTPFound("/conversations")


def setup(app: web.Application) -> None:
    app.router.add_get("/conversations", conversation_list)
    app.router.add_get("/conversations/export.{fmt}", export_filtered)
    app.router.add_get("/conversations/{cid}", transcript_view)
    app.router.add_get("/conversations/{cid}/print", transcript_print)
    app.router.add_get("/conversations/{cid}/export.{fmt}", export_one)
    app.router.add_post("/conversations/{cid}/delete", delete_conversation)
