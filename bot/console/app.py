"""The staff console's aiohttp application: `create_app(settings)` and `serve(settings)`."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

import jinja2
from aiohttp import web

from bot.console import i18n, security
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import AuditLog

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = ("/login", "/healthz", "/static/")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def secure_cookies(request: web.Request) -> bool:
    """Cookies get `Secure` over HTTPS (also behind a proxy) or when configured."""
    return (
        request.secure
        or request.headers.get("X-Forwarded-Proto") == "https"
        or os.environ.get("STAFF_CONSOLE_SECURE_COOKIES") == "1"
    )


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str,
               max_age: Optional[int] = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
        secure=secure_cookies(request),
    )


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Secure headers on every answer, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    if secure_cookies(request):
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if isinstance(response, web.HTTPException) and response.status >= 400:
        if response.status in (403, 404, 429) and not response.text:
            response.text = f"{response.status} {response.reason}"
        raise response
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolves the session; anonymous users reach only the public routes; every POST
    carries the CSRF token of its session (or of the login form)."""
    request["lang"] = i18n.choose_language(request)
    request["user"] = None
    request["csrf"] = None
    token = request.cookies.get(security.COOKIE)
    if token:
        with request.app["db"]() as session:
            row = security.find_session(session, token)
            if row is not None:
                request["user"] = row.user
                request["csrf"] = row.csrf_token
    public = request.path.startswith(PUBLIC)
    if request["user"] is None and not public:
        if request.method == "GET":
            raise web.HTTPFound("/login")
        raise web.HTTPForbidden(text="403: sign in first")
    if request.method == "POST":
        form = await request.post()
        expected = request["csrf"] if request.path != "/login" else request.cookies.get(
            security.LOGIN_COOKIE)
        if not security.same_token(form.get("csrf"), expected):
            raise web.HTTPForbidden(text="403: missing or wrong CSRF token")
    response = await handler(request)
    if request.query.get("lang") in i18n.LANGUAGES:
        set_cookie(request, response, i18n.COOKIE, request.query["lang"], max_age=31536000)
    return response


def require(request: web.Request, role: str) -> Any:
    """The signed-in user when it has `role` (or higher); 403 otherwise."""
    user = request["user"]
    if user is None or not security.has_role(user, role):
        raise web.HTTPForbidden(text=f"403: needs the {role} role")
    return user


def audit(request: web.Request, action: str, object_type: Optional[str] = None,
          object_id: Optional[str] = None, detail: Optional[str] = None) -> None:
    """Writes one audit row (in its own transaction)."""
    user = request["user"]
    with request.app["db"]() as session:
        session.add(AuditLog(staff_user=user.name if user else "-", action=action,
                             object_type=object_type, object_id=object_id, detail=detail))
        session.commit()


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A page of the templates directory, escaped, in the request's language."""
    lang = request["lang"]

    def t(key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    def url_with(**changes: Any) -> str:
        query = dict(request.query)
        for key, value in changes.items():
            if value in (None, ""):
                query.pop(key, None)
            else:
                query[key] = str(value)
        return str(request.rel_url.with_query(query))

    html = request.app["jinja"].get_template(template).render(
        request=request, user=request["user"], csrf=request["csrf"], t=t, lang=lang,
        languages=i18n.LANGUAGES, url_with=url_with, has_role=security.has_role,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_app(settings: Settings) -> web.Application:
    """The console application (database engine created here, not at import)."""
    from bot.console import admin, cases, conversations, login

    app = web.Application(middlewares=[headers_middleware, auth_middleware],
                          client_max_size=1024 * 1024)
    engine = make_engine(settings.database_url)
    app["settings"] = settings
    app["engine"] = engine
    app["db"] = make_sessionmaker(engine)
    app["limiter"] = security.LoginLimiter()
    app["jinja"] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True, undefined=jinja2.StrictUndefined,
    )

    async def dispose(_app: web.Application) -> None:
        engine.dispose()

    app.on_cleanup.append(dispose)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", HERE / "static", show_index=False)
    for module in (login, conversations, cases, admin):
        module.setup(app)
    return app


def serve(settings: Settings, port: Optional[int] = None) -> int:
    """Runs the console in the foreground until interrupted; returns an exit code."""
    migrate(settings.database_url)
    host = os.environ.get("STAFF_CONSOLE_HOST", "127.0.0.1")
    port = port or settings.staff_console_port
    log.info("staff console on http://%s:%s/", host, port)
    try:
        web.run_app(create_app(settings), host=host, port=port, print=None,
                    access_log=None, handle_signals=True)
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except OSError as error:
        log.error("staff console cannot listen on %s:%s: %s", host, port, error)
        return 1
    return 0
