"""Console sessions beyond what test_console_http.py covers: expiry, CSRF tokens bound
to their own session, no session fixation, only a hash of the cookie in the database."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select, update

from bot.storage.models import Case, StaffSession
from tests.console.conftest import csrf_of, login


def _cookie(client) -> str:
    return client.session.cookie_jar.filter_cookies(client.make_url("/"))["accord_session"].value


async def test_expired_session_is_refused(make_client, db):
    client = await make_client("viewer")
    assert (await client.get("/conversations", allow_redirects=False)).status == 200
    with db.begin() as session:
        session.execute(update(StaffSession).values(
            expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    response = await client.get("/conversations", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"


async def test_csrf_token_of_another_session_is_refused(make_client, refs, db):
    viewer = await make_client("viewer")
    foreign = await csrf_of(viewer)
    agent = await make_client("agent")
    own = await csrf_of(agent)
    assert own != foreign
    path = f"/cases/{refs['fr']}/status"
    response = await agent.post(path, data={"csrf": foreign, "status": "resolved"},
                                allow_redirects=False)
    assert response.status == 403
    with db() as session:
        assert session.execute(select(Case.status).where(Case.ref == refs["fr"])).scalar_one() \
            == "new"
    response = await agent.post(path, data={"csrf": own, "status": "resolved"},
                                allow_redirects=False)
    assert response.status == 302


async def test_no_session_fixation_and_only_a_hash_is_stored(make_client, db):
    client = await make_client()
    client.session.cookie_jar.update_cookies({"accord_session": "planted-by-an-attacker"})
    assert (await login(client, "agent")).status == 302
    cookie = _cookie(client)
    assert cookie != "planted-by-an-attacker" and len(cookie) >= 40
    with db() as session:
        ids = session.execute(select(StaffSession.id)).scalars().all()
    assert ids == [hashlib.sha256(cookie.encode()).hexdigest()]
    assert cookie not in ids
    # the planted value opens nothing
    other = await make_client()
    other.session.cookie_jar.update_cookies({"accord_session": "planted-by-an-attacker"})
    assert (await other.get("/cases", allow_redirects=False)).status == 302
    # and the hash itself, if the database leaked, is not a cookie
    thief = await make_client()
    thief.session.cookie_jar.update_cookies({"accord_session": ids[0]})
    assert (await thief.get("/cases", allow_redirects=False)).status == 302
