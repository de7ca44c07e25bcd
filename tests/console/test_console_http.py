"""HTTP tests of the staff console: routes, roles, security, audit, exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from bot.storage.models import AuditLog, Case, CaseNote, StaffReply, StaffSession, Turn
from tests.console.conftest import PASSWORD, csrf_of, login

GET_ROUTES = ["/", "/conversations", "/conversations/1001", "/conversations/1001/print",
              "/conversations/1001/export.csv", "/conversations/export.json", "/cases",
              "/cases/{ref}", "/dashboard", "/charts/status.svg", "/charts/time.svg",
              "/audit", "/users", "/evidence/ev1.png"]
POST_ROUTES = ["/cases/{ref}/status", "/cases/{ref}/assign", "/cases/{ref}/note",
               "/cases/{ref}/reply", "/cases/{ref}/handback", "/cases/{ref}/delete",
               "/conversations/1001/delete", "/users", "/logout"]


async def test_healthz_and_login_page_are_public(make_client):
    client = await make_client()
    assert (await client.get("/healthz")).status == 200
    page = await client.get("/login")
    assert page.status == 200 and 'name="csrf"' in await page.text()


async def test_anonymous_sees_nothing(make_client, refs):
    client = await make_client()
    for path in GET_ROUTES:
        response = await client.get(path.format(ref=refs["fr"]), allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/login", path
    for path in POST_ROUTES:
        response = await client.post(path.format(ref=refs["fr"]), data={"csrf": "x"},
                                     allow_redirects=False)
        assert response.status == 403, path


@pytest.mark.parametrize("role", ["viewer", "agent", "admin"])
async def test_role_matrix(make_client, refs, role):
    client = await make_client(role)
    allowed = {"viewer": set(), "agent": set(), "admin": {"export", "audit", "users"}}[role]
    for path in GET_ROUTES:
        response = await client.get(path.format(ref=refs["fr"]), allow_redirects=False)
        kind = ("export" if "export" in path else "audit" if path == "/audit"
                else "users" if path == "/users" else None)
        expected = 200 if kind is None or kind in allowed else 403
        if path == "/":
            expected = 302
        assert response.status == expected, (role, path, response.status)


async def test_viewer_cannot_change_delete_or_note(make_client, refs, db):
    client = await make_client("viewer")
    token = await csrf_of(client)
    ref = refs["fr"]
    for path, data in [(f"/cases/{ref}/status", {"status": "resolved"}),
                       (f"/cases/{ref}/note", {"text": "n"}),
                       (f"/cases/{ref}/reply", {"text": "r"}),
                       (f"/cases/{ref}/assign", {"assignee": "agent"}),
                       (f"/cases/{ref}/delete", {}), ("/conversations/1001/delete", {})]:
        response = await client.post(path, data={"csrf": token, **data}, allow_redirects=False)
        assert response.status == 403, path
    with db() as session:
        assert session.execute(select(Case.status).where(Case.ref == ref)).scalar_one() == "new"
        assert session.execute(select(func.count(Turn.id))).scalar_one() == 7


async def test_agent_cannot_export_or_delete(make_client, refs):
    client = await make_client("agent")
    token = await csrf_of(client)
    assert (await client.get("/conversations/1001/export.json")).status == 403
    assert (await client.post("/conversations/1001/delete", data={"csrf": token},
                              allow_redirects=False)).status == 403
    assert (await client.post(f"/cases/{refs['fr']}/delete", data={"csrf": token},
                              allow_redirects=False)).status == 403


async def test_login_rate_limit(make_client):
    client = await make_client()
    statuses = [(await login(client, "agent", "wrong password!")).status for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert (await login(client, "agent")).status == 429  # still blocked, even if right


async def test_login_error_is_generic(make_client):
    client = await make_client()
    a = await login(client, "agent", "wrong password!")
    b = await login(client, "no-such-user", "wrong password!")
    assert a.status == b.status == 401
    assert "Wrong user name or password." in await a.text()
    assert "Wrong user name or password." in await b.text()


async def test_post_without_csrf_is_403(make_client, refs, db):
    client = await make_client("agent")
    response = await client.post(f"/cases/{refs['fr']}/status", data={"status": "resolved"},
                                 allow_redirects=False)
    assert response.status == 403
    response = await client.post(f"/cases/{refs['fr']}/status",
                                 data={"status": "resolved", "csrf": "forged"},
                                 allow_redirects=False)
    assert response.status == 403
    anonymous = await make_client()
    response = await anonymous.post("/login", data={"username": "agent", "password": PASSWORD},
                                    allow_redirects=False)
    assert response.status == 403
    with db() as session:
        assert session.execute(select(Case.status).where(Case.ref == refs["fr"])).scalar_one() == "new"


async def test_logout_ends_session_and_replay_fails(make_client, db):
    client = await make_client("viewer")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["accord_session"].value
    token = await csrf_of(client)
    response = await client.post("/logout", data={"csrf": token}, allow_redirects=False)
    assert response.status == 302
    with db() as session:
        assert session.execute(select(StaffSession.revoked_at)).scalar_one() is not None
    other = await make_client()
    other.session.cookie_jar.update_cookies({"accord_session": cookie})
    response = await other.get("/conversations", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"


async def test_secure_headers_and_cookie_flags(make_client, monkeypatch):
    client = await make_client()
    response = await client.get("/login")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    monkeypatch.setenv("STAFF_CONSOLE_SECURE_COOKIES", "1")
    response = await client.get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers
    login_response = await client.get("/login")
    assert "HttpOnly" in login_response.headers["Set-Cookie"]


async def test_session_cookie_flags(make_client):
    client = await make_client()
    response = await login(client, "viewer")
    session_cookie = [c for c in response.headers.getall("Set-Cookie") if "accord_session=" in c][0]
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie


async def test_xss_is_escaped(make_client, refs):
    client = await make_client("viewer")
    for path in ("/conversations/1001", "/conversations", f"/cases/{refs['fr']}",
                 "/conversations?q=%3Cscript%3E"):
        text = await (await client.get(path)).text()
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text
    text = await (await client.get("/conversations/1001")).text()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    assert "<script" not in text  # no inline (or any) script at all


async def test_search_and_filters(make_client):
    client = await make_client("viewer")

    async def listed(query: str) -> set:
        text = await (await client.get("/conversations" + query)).text()
        return {cid for cid in ("1001", "2002", "3003") if f">{cid}</a>" in text}

    assert await listed("") == {"1001", "2002", "3003"}
    assert await listed("?q=退款") == {"2002"}
    assert await listed("?q=фотограф") == {"3003"}
    assert await listed("?q=ПРИВЕТ") == {"3003"}
    assert await listed("?q=photographe") == {"1001"}
    assert await listed("?q=100%25") == set()
    assert await listed("?language=zh") == {"2002"}
    assert await listed("?intent=greet") == {"3003"}
    assert await listed("?has_case=yes") == {"1001", "2002"}
    assert await listed("?has_case=no") == {"3003"}
    assert await listed("?handoff=yes") == {"1001"}
    assert await listed("?from=2026-03-03&to=2026-03-05") == {"2002", "3003"}
    assert await listed("?from=2026-03-04") == {"3003"}
    assert (await client.get("/conversations?from=garbage")).status == 400


async def test_pagination(make_client, db):
    from bot.storage.transcripts import record_turn

    with db() as session:
        for i in range(120):
            record_turn(session=session, conversation_id=f"p{i:03d}", channel="telegram",
                        direction="in", text=f"message {i}", language="fr")
        session.commit()
    client = await make_client("viewer")
    text = await (await client.get("/conversations")).text()
    assert "123 conversations" in text and "Page 1 of 3" in text
    text = await (await client.get("/conversations?page=3")).text()
    assert text.count('class="conv"') == 23


async def test_transcript_view_shows_everything_and_is_audited(make_client, refs, db):
    client = await make_client("viewer")
    text = await (await client.get("/conversations/1001")).text()
    assert "Bonjour, le photographe" in text and "0.91" in text and "file_complaint" in text
    assert "Oui" in text  # buttons
    assert '<img class="thumb" src="/evidence/ev1.png"' in text  # attachment inline
    assert (await client.get("/conversations/nope")).status == 404
    await client.get(f"/cases/{refs['fr']}")
    with db() as session:
        rows = session.execute(select(AuditLog.staff_user, AuditLog.action, AuditLog.object_id)
                               .order_by(AuditLog.id)).all()
    assert ("viewer", "view_transcript", "1001") in rows
    assert ("viewer", "view_case", refs["fr"]) in rows


async def test_evidence_by_stored_name_only(make_client):
    client = await make_client("viewer")
    response = await client.get("/evidence/ev1.png")
    assert response.status == 200 and response.content_type == "image/png"
    assert (await response.read()).startswith(b"\x89PNG")
    for bad in ("/evidence/..%2Fsecret.txt", "/evidence/secret.txt", "/evidence/ev2.png"):
        assert (await client.get(bad)).status == 404, bad


async def test_export_csv_and_json(make_client, db):
    client = await make_client("admin")
    response = await client.get("/conversations/2002/export.json")
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = json.loads(await response.text())
    assert [r["text"] for r in rows] == ["你好，摄影师拒绝退款", "请描述一下问题。"]
    assert rows[0]["intent"] == "file_complaint" and rows[0]["direction"] == "in"
    response = await client.get("/conversations/export.csv?language=ru")
    body = (await response.text()).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["conversation_id"] for r in rows} == {"3003"} and len(rows) == 2
    assert rows[0]["text"] == "Привет, фотограф не отдаёт снимки"
    with db() as session:
        details = session.execute(select(AuditLog.detail).where(AuditLog.action == "export")
                                  .order_by(AuditLog.id)).scalars().all()
    assert len(details) == 2 and "json" in details[0] and "language" in details[1]


async def test_printable_transcript(make_client):
    client = await make_client("viewer")
    text = await (await client.get("/conversations/3003/print")).text()
    assert "Привет" in text and "Printed by viewer" in text


async def test_agent_handles_case_and_client_is_notified(make_client, refs, db, fake_telegram,
                                                         telegram_calls):
    base = str(fake_telegram.make_url("/bot"))
    client = await make_client("agent", telegram_bot_token="TOKEN",
                               telegram_api_base_url=base)
    ref = refs["fr"]
    token = await csrf_of(client)
    post = lambda path, **data: client.post(path, data={"csrf": token, **data},  # noqa: E731
                                            allow_redirects=False)
    assert (await post(f"/cases/{ref}/status", status="in_review", note="checking")).status == 302
    assert (await post(f"/cases/{ref}/assign", assignee="agent")).status == 302
    assert (await post(f"/cases/{ref}/note", text="<i>private</i>")).status == 302
    assert (await post(f"/cases/{ref}/reply", text="Bonjour, nous regardons.")).status == 302
    assert (await post(f"/cases/{ref}/handback")).status == 302
    assert telegram_calls[0]["path"] == "/botTOKEN/sendMessage"
    assert telegram_calls[0]["chat_id"] == "1001"
    assert ref in telegram_calls[0]["text"] and "en cours d'examen" in telegram_calls[0]["text"]
    assert telegram_calls[1]["text"] == "Bonjour, nous regardons."
    assert "reprends la conversation" in telegram_calls[2]["text"]
    page = await (await client.get(f"/cases/{ref}")).text()
    assert "&lt;i&gt;private&lt;/i&gt;" in page and "In review" in page
    with db() as session:
        case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
        assert case.status == "in_review" and case.handoff is False
        assert [(e.actor, e.from_status, e.to_status) for e in case.events][:2] == [
            ("client", None, "new"), ("agent", "new", "in_review")]
        assert session.execute(select(func.count(StaffReply.id))
                               .where(StaffReply.delivered.is_(True))).scalar_one() == 3
        assert session.execute(select(CaseNote.text)).scalar_one() == "<i>private</i>"
        staff_turns = session.execute(select(func.count(Turn.id)).where(Turn.channel == "staff")).scalar_one()
        assert staff_turns == 3
        actions = set(session.execute(select(AuditLog.action)).scalars())
    assert {"status_change", "assign", "note", "reply", "hand_back", "view_case"} <= actions


async def test_status_change_zh_notice_and_undelivered_without_token(make_client, refs, db):
    client = await make_client("agent")
    token = await csrf_of(client)
    response = await client.post(f"/cases/{refs['zh']}/status",
                                 data={"csrf": token, "status": "resolved"}, allow_redirects=False)
    assert response.status == 302
    page = await (await client.get(f"/cases/{refs['zh']}")).text()
    assert "not delivered" in page and "已解决" in page
    with db() as session:
        reply = session.execute(select(StaffReply)).scalar_one()
    assert reply.delivered is False and "no Telegram bot token" in reply.error
    bad = await client.post(f"/cases/{refs['zh']}/status", data={"csrf": token, "status": "x"})
    assert bad.status == 400


async def test_admin_deletes_and_reads_audit_log(make_client, refs, db, settings):
    client = await make_client("admin")
    token = await csrf_of(client)
    assert (await client.post("/conversations/3003/delete", data={"csrf": token},
                              allow_redirects=False)).status == 302
    assert (await client.post(f"/cases/{refs['fr']}/delete", data={"csrf": token},
                              allow_redirects=False)).status == 302
    assert not (settings.evidence_dir / "ev1.png").exists()
    with db() as session:
        assert session.execute(select(func.count(Turn.id)).where(
            Turn.conversation_id == "3003")).scalar_one() == 0
        assert session.execute(select(Case).where(Case.ref == refs["fr"])).first() is None
    text = await (await client.get("/audit")).text()
    assert "delete" in text and "3003" in text and refs["fr"] in text
    text = await (await client.get("/audit?action=delete")).text()
    assert "login" not in text.split("<tbody>")[1]


async def test_admin_creates_and_deactivates_users(make_client):
    client = await make_client("admin")
    token = await csrf_of(client)
    response = await client.post("/users", data={"csrf": token, "name": "newbie", "role": "viewer",
                                                  "password": "short"}, allow_redirects=False)
    assert "error=" in response.headers["Location"]
    response = await client.post("/users", data={"csrf": token, "name": "newbie", "role": "viewer",
                                                  "password": "long enough pw"}, allow_redirects=False)
    assert response.headers["Location"] == "/users"
    other = await make_client()
    assert (await login(other, "newbie", "long enough pw")).status == 302
    await client.post("/users/newbie/deactivate", data={"csrf": token}, allow_redirects=False)
    assert (await other.get("/conversations", allow_redirects=False)).status == 302


async def test_dashboard_and_charts(make_client):
    client = await make_client("viewer")
    text = await (await client.get("/dashboard?lang=ru")).text()
    assert "Сводка" in text and "/charts/status.svg" in text
    for kind in ("status", "type", "language", "time"):
        response = await client.get(f"/charts/{kind}.svg?lang=zh")
        assert response.status == 200 and response.content_type == "image/svg+xml"
        assert (await response.text()).startswith("<svg")
    svg = await (await client.get("/charts/status.svg?lang=zh")).text()
    assert "新建" in svg
    assert (await client.get("/charts/nope.svg")).status == 404


@pytest.mark.parametrize("lang,word", [("fr", "Connexion"), ("zh", "登录"), ("ru", "Вход"),
                                       ("en", "Sign in")])
async def test_translations(make_client, lang, word):
    client = await make_client()
    assert word in await (await client.get(f"/login?lang={lang}")).text()


async def test_language_from_header_and_cookie(make_client):
    client = await make_client()
    text = await (await client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})).text()
    assert "Вход" in text
    await client.get("/login?lang=zh")
    assert "登录" in await (await client.get("/login")).text()


def test_translation_catalogues_have_the_same_keys():
    from bot.console.i18n import DIR
    import yaml

    keys = {p.stem: set(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in DIR.glob("*.yml")}
    assert set(keys) == {"en", "fr", "zh", "ru"}
    for lang, k in keys.items():
        assert k == keys["en"], (lang, k ^ keys["en"])


def test_bot_locales_have_status_notices():
    from bot.console.notify import handback_text, status_text
    from bot.storage.cases import STATUSES

    for lang in ("fr", "zh", "ru"):
        for status in STATUSES:
            assert "DR-TEST" in status_text(lang, "DR-TEST", status)
        assert handback_text(lang)
