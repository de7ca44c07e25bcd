"""Sign-in and sign-out."""

from __future__ import annotations

import secrets

from aiohttp import web
from sqlalchemy import select

from bot.console import security
from bot.console.app import audit, render, set_cookie
from bot.storage.models import StaffUser


def _login_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    token = request.cookies.get(security.LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", status=status, login_csrf=token, error=error)
    set_cookie(request, response, security.LOGIN_COOKIE, token, max_age=3600)
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    if request["user"] is not None:
        raise web.HTTPFound("/conversations")
    return _login_page(request)


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name = str(form.get("username", ""))[:64].strip()
    password = str(form.get("password", ""))[:1024]
    address = request.remote or "-"
    limiter: security.LoginLimiter = request.app["limiter"]
    keys = (f"ip:{address}", f"user:{name.lower()}")
    if limiter.blocked(*keys):
        return _login_page(request, "login_too_many", status=429)
    with request.app["db"]() as session:
        user = session.execute(select(StaffUser).where(StaffUser.name == name)).scalar_one_or_none()
        ok = security.verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            limiter.failed(*keys)
            return _login_page(request, "login_failed", status=401)
        token, _row = security.open_session(session, user)
        session.commit()
    request["user"] = user
    audit(request, "login", "staff_user", user.name)
    response = web.HTTPFound("/conversations")
    set_cookie(request, response, security.COOKIE, token, max_age=security.SESSION_HOURS * 3600)
    response.del_cookie(security.LOGIN_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    with request.app["db"]() as session:
        security.revoke_session(session, request.cookies.get(security.COOKIE))
        session.commit()
    audit(request, "logout", "staff_user", request["user"].name)
    response = web.HTTPFound("/login")
    response.del_cookie(security.COOKIE, path="/")
    raise response


async def home(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/conversations")


def setup(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
