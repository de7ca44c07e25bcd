"""Cases: the queue, a case page, and what agents do with a case; evidence files."""

from __future__ import annotations

import json
from typing import Optional

from aiohttp import web
from sqlalchemy import delete, select

from bot.console import queries
from bot.console.app import audit, render, require
from bot.console.conversations import button_titles, inline_evidence
from bot.console.notify import handback_text, send_to_client, status_text
from bot.storage.cases import STATUSES, case_by_ref, change_status
from bot.storage.models import (
    Attachment, Case, CaseAssignment, CaseEvent, CaseNote, StaffReply, StaffUser, Turn,
)
from bot.storage.transcripts import record_turn

DISPUTE_TYPES = ("quality", "refund", "non_payment", "privacy", "pricing",
                 "false_advertising", "delay", "copyright")


def _tristate(value: Optional[str]) -> Optional[bool]:
    return {"yes": True, "no": False}.get(value or "")


async def case_queue(request: web.Request) -> web.StreamResponse:
    require(request, "viewer")
    q = request.query
    f = queries.CaseFilter(status=q.get("status", "")[:16], dispute_type=q.get("type", "")[:32],
                           language=q.get("language", "")[:8], assignee=q.get("assignee", "")[:64],
                           handoff=_tristate(q.get("handoff")))
    try:
        page = max(1, int(q.get("page", "1")))
    except ValueError:
        page = 1
    with request.app["db"]() as session:
        rows, total = queries.list_cases(session, f, page)
        by_status = dict(queries.count_by(session, Case.status))
        staff = list(session.execute(select(StaffUser.name).order_by(StaffUser.name)).scalars())
    pages = max(1, -(-total // queries.PAGE_SIZE))
    return render(request, "cases.html", rows=rows, total=total, page=page, pages=pages,
                  by_status=by_status, statuses=STATUSES, types=DISPUTE_TYPES, staff=staff,
                  query=q)


def _case_or_404(session, ref: str) -> Case:
    case = case_by_ref(session=session, ref=ref)
    if case is None:
        raise web.HTTPNotFound(text="404: no such case")
    return case


async def case_page(request: web.Request) -> web.StreamResponse:
    require(request, "viewer")
    ref = request.match_info["ref"]
    with request.app["db"]() as session:
        case = _case_or_404(session, ref)
        events = list(case.events)
        evidence = list(case.attachments)
        notes = list(session.execute(select(CaseNote).where(CaseNote.case_id == case.id)
                                     .order_by(CaseNote.at, CaseNote.id)).scalars())
        replies = list(session.execute(select(StaffReply).where(StaffReply.case_id == case.id)
                                       .order_by(StaffReply.at, StaffReply.id)).scalars())
        assignment = session.get(CaseAssignment, case.id)
        turns = queries.transcript(session, case.conversation_id, limit=200)
        agents = list(session.execute(
            select(StaffUser.name).where(StaffUser.role.in_(("agent", "admin")),
                                         StaffUser.active.is_(True))
            .order_by(StaffUser.name)).scalars())
    audit(request, "view_case", "case", ref)
    return render(request, "case.html", case=case, events=events, evidence=evidence,
                  notes=notes, replies=replies, assignment=assignment, turns=turns,
                  agents=agents, statuses=STATUSES, buttons=button_titles,
                  inline=inline_evidence(turns, [case], {case.ref: evidence}))


async def _deliver(request: web.Request, case: Case, text: str, author: str) -> StaffReply:
    delivered, error = await send_to_client(request.app["settings"], case.conversation_id, text)
    with request.app["db"]() as session:
        reply = StaffReply(case_id=case.id, author=author, text=text, delivered=delivered,
                           error=error)
        session.add(reply)
        record_turn(session=session, conversation_id=case.conversation_id, channel="staff",
                    direction="out", text=text, language=case.language, case_ref=case.ref)
        session.commit()
    return reply


async def set_status(request: web.Request) -> web.StreamResponse:
    user = require(request, "agent")
    ref = request.match_info["ref"]
    form = await request.post()
    status = str(form.get("status", ""))
    note = str(form.get("note", "")).strip()[:2000] or None
    if status not in STATUSES:
        raise web.HTTPBadRequest(text="400: unknown status")
    with request.app["db"]() as session:
        case = _case_or_404(session, ref)
        previous = case.status
        if previous != status:
            change_status(session=session, case=case, status=status, actor=user.name, note=note)
        session.commit()
    if previous != status:
        audit(request, "status_change", "case", ref, f"{previous} -> {status}")
        await _deliver(request, case, status_text(case.language, ref, status), user.name)
    raise web.HTTPFound(f"/cases/{ref}")


async def assign(request: web.Request) -> web.StreamResponse:
    user = require(request, "agent")
    ref = request.match_info["ref"]
    form = await request.post()
    assignee = str(form.get("assignee", "")).strip()[:64]
    with request.app["db"]() as session:
        case = _case_or_404(session, ref)
        row = session.get(CaseAssignment, case.id)
        if not assignee:
            if row is not None:
                session.delete(row)
        else:
            exists = session.execute(select(StaffUser.id).where(
                StaffUser.name == assignee, StaffUser.role.in_(("agent", "admin")))).first()
            if exists is None:
                raise web.HTTPBadRequest(text="400: no such agent")
            if row is None:
                session.add(CaseAssignment(case_id=case.id, assignee=assignee,
                                           assigned_by=user.name))
            else:
                row.assignee, row.assigned_by = assignee, user.name
        case.events.append(CaseEvent(actor=user.name, note=f"assigned to {assignee or '-'}"))
        session.commit()
    audit(request, "assign", "case", ref, assignee or "-")
    raise web.HTTPFound(f"/cases/{ref}")


async def add_note(request: web.Request) -> web.StreamResponse:
    user = require(request, "agent")
    ref = request.match_info["ref"]
    form = await request.post()
    text = str(form.get("text", "")).strip()[:5000]
    if not text:
        raise web.HTTPBadRequest(text="400: empty note")
    with request.app["db"]() as session:
        case = _case_or_404(session, ref)
        session.add(CaseNote(case_id=case.id, author=user.name, text=text))
        session.commit()
    audit(request, "note", "case", ref)
    raise web.HTTPFound(f"/cases/{ref}")


async def reply(request: web.Request) -> web.StreamResponse:
    user = require(request, "agent")
    ref = request.match_info["ref"]
    form = await request.post()
    text = str(form.get("text", "")).strip()[:4096]
    if not text:
        raise web.HTTPBadRequest(text="400: empty reply")
    with request.app["db"]() as session:
        case = _case_or_404(session, ref)
        if not case.handoff:  # the agent takes over the conversation
            case.handoff = True
            case.events.append(CaseEvent(actor=user.name, note="taken over by staff"))
        session.commit()
    sent = await _deliver(request, case, text, user.name)
    audit(request, "reply", "case", ref, "delivered" if sent.delivered else sent.error)
    raise web.HTTPFound(f"/cases/{ref}")


async def hand_back(request: web.Request) -> web.StreamResponse:
    user = require(request, "agent")
    ref = request.match_info["ref"]
    with request.app["db"]() as session:
        case = _case_or_404(session, ref)
        case.handoff = False
        case.events.append(CaseEvent(actor=user.name, note="handed back to the bot"))
        session.commit()
    audit(request, "hand_back", "case", ref)
    await _deliver(request, case, handback_text(case.language), user.name)
    raise web.HTTPFound(f"/cases/{ref}")


async def delete_case(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    ref = request.match_info["ref"]
    settings = request.app["settings"]
    with request.app["db"]() as session:
        case = _case_or_404(session, ref)
        names = [a.stored_name for a in case.attachments]
        session.execute(delete(Turn).where(Turn.case_ref == ref, Turn.channel == "staff"))
        session.delete(case)
        session.commit()
    for name in names:
        for folder in settings.all_evidence_dirs():  # EVIDENCE_DIR, regional ones
            path = folder / name
            if path.is_file():
                path.unlink()
    audit(request, "delete", "case", ref, json.dumps({"evidence_files": len(names)}))
    raise web.HTTPFound("/cases")


async def evidence(request: web.Request) -> web.StreamResponse:
    """An evidence file by its stored name, known to the database (never a path)."""
    require(request, "viewer")
    name = request.match_info["name"]
    with request.app["db"]() as session:
        row = session.execute(select(Attachment).where(Attachment.stored_name == name)
                              ).scalar_one_or_none()
        ref = row.case.ref if row is not None else None
    if row is None or "/" in name or "\\" in name or name.startswith("."):
        raise web.HTTPNotFound()
    path = None
    # in EVIDENCE_DIR or a jurisdiction's folder (EVIDENCE_DIR_<code>), never elsewhere
    for folder in request.app["settings"].all_evidence_dirs():
        base = folder.resolve()
        candidate = (base / row.stored_name).resolve()
        if candidate.parent == base and candidate.is_file():
            path = candidate
            break
    if path is None:
        raise web.HTTPNotFound()
    audit(request, "view_evidence", "case", ref, name)
    content_type = row.content_type if row.content_type.startswith("image/") else \
        "application/octet-stream"
    response = web.Response(body=path.read_bytes(), content_type=content_type)
    if content_type == "application/octet-stream":
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/cases", case_queue)
    app.router.add_get("/cases/{ref}", case_page)
    app.router.add_post("/cases/{ref}/status", set_status)
    app.router.add_post("/cases/{ref}/assign", assign)
    app.router.add_post("/cases/{ref}/note", add_note)
    app.router.add_post("/cases/{ref}/reply", reply)
    app.router.add_post("/cases/{ref}/handback", hand_back)
    app.router.add_post("/cases/{ref}/delete", delete_case)
    app.router.add_get("/evidence/{name}", evidence)
