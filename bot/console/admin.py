"""Dashboard and charts, the audit log, and staff users (admins)."""

from __future__ import annotations

from aiohttp import web
from yarl import URL
from sqlalchemy import select

from bot.console import charts, queries, security
from bot.console.app import audit, render, require
from bot.console.i18n import translate
from bot.storage.models import Case, StaffUser


async def dashboard(request: web.Request) -> web.StreamResponse:
    require(request, "viewer")
    with request.app["db"]() as session:
        by_status = queries.count_by(session, Case.status)
    return render(request, "dashboard.html", by_status=by_status,
                  total=sum(n for _, n in by_status))


async def chart(request: web.Request) -> web.StreamResponse:
    require(request, "viewer")
    kind, lang = request.match_info["kind"], request["lang"]
    t = lambda key: translate(lang, key)  # noqa: E731
    with request.app["db"]() as session:
        if kind == "status":
            items = [(t(f"status_{k}"), n) for k, n in queries.count_by(session, Case.status)]
            svg = charts.hbars(items, t("chart_status"))
        elif kind == "type":
            items = [(t(f"type_{k}"), n) for k, n in queries.count_by(session, Case.dispute_type)]
            svg = charts.hbars(items, t("chart_type"))
        elif kind == "language":
            items = [(t(f"lang_{k}"), n) for k, n in queries.count_by(session, Case.language)]
            svg = charts.hbars(items, t("chart_language"))
        elif kind == "time":
            days = queries.cases_per_day(session)
            svg = charts.columns([(d.strftime("%m-%d"), n) for d, n in days], t("chart_time"))
        else:
            raise web.HTTPNotFound()
    response = web.Response(text=svg, content_type="image/svg+xml", charset="utf-8")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


async def audit_log(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    action = request.query.get("action", "")[:32]
    user = request.query.get("user", "")[:64]
    with request.app["db"]() as session:
        rows = queries.audit_page(session, page, action=action, user=user)
    return render(request, "audit.html", rows=rows, page=page, action=action, who=user)


async def users(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    with request.app["db"]() as session:
        rows = list(session.execute(select(StaffUser).order_by(StaffUser.name)).scalars())
    return render(request, "users.html", rows=rows, roles=security.ROLES,
                  error=request.query.get("error", ""))


async def create_user(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    from bot.console.users import add_user

    form = await request.post()
    name = str(form.get("name", "")).strip()
    role = str(form.get("role", ""))
    password = str(form.get("password", ""))
    with request.app["db"]() as session:
        try:
            add_user(session, name, role, password)
            session.commit()
        except ValueError as error:
            raise web.HTTPFound(URL("/users").with_query(error=str(error)[:80]))
    audit(request, "create_user", "staff_user", name, role)
    raise web.HTTPFound("/users")


async def deactivate_user(request: web.Request) -> web.StreamResponse:
    admin = require(request, "admin")
    name = request.match_info["name"]
    if name == admin.name:
        raise web.HTTPBadRequest(text="400: you cannot deactivate yourself")
    with request.app["db"]() as session:
        user = session.execute(select(StaffUser).where(StaffUser.name == name)).scalar_one_or_none()
        if user is None:
            raise web.HTTPNotFound()
        user.active = False  # find_session refuses the sessions of inactive users
        session.commit()
    audit(request, "deactivate_user", "staff_user", name)
    raise web.HTTPFound("/users")


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/charts/{kind}.svg", chart)
    app.router.add_get("/audit", audit_log)
    app.router.add_get("/users", users)
    app.router.add_post("/users", create_user)
    app.router.add_post("/users/{name}/deactivate", deactivate_user)
