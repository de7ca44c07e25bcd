"""Issue 6, "done when": a complaint filed in Russian through Telegram (the real adapter
against the fake Bot API over HTTP, the real Rasa server and action server) is found by a
full-text search, read, exported and its case handled in headless Chromium; the client's
chat then holds the staff reply and the status notice in Russian, and the audit log holds
every view, the exports and the status change.

Screenshot: reports/console-telegram.png; page timings: reports/console-telegram.json."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import random
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from sqlalchemy import select

from bot import i18n
from bot.console.notify import status_text
from bot.console.users import add_user
from bot.services import build_services
from bot.storage.models import Attachment, AuditLog, Case, CaseNote, StaffReply, Turn
from tests.console.conftest import NO_BROWSER, PASSWORD
from tests.console.server import ThreadServer
from tests.console.telegram_chat import Chat
from tests.telegram.conftest import fake_api, running, telegram_settings  # noqa: F401
from tests.telegram.test_units import jpeg_with_gps

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "reports" / "console-telegram.png"
TIMINGS = ROOT / "reports" / "console-telegram.json"
REF = re.compile(r"DR-[0-9A-Z]{8}")

pytestmark = [
    pytest.mark.stack,
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="chromium/chromedriver not installed "
                       "(run scripts/install-browser.sh)"),
]

START = "хочу подать жалобу на фотографа"
STUDIO = "Фотостудия Заря"
DESCRIPTION = ("Фотографии с выпускного размытые, а студия отказывается их переделать "
               "и не отвечает на звонки.")
SEARCH = "Выпускного"  # capitalised: the search ignores case, in Cyrillic too
PHONE = "+7 912 345-67-89"
NOTE = "Проверить договор со студией <b>до пятницы</b>"  # private, and escaped
REPLY = "Здравствуйте! Мы написали в студию «Заря» и ответим вам в течение трёх дней."


async def file_complaint(chat: Chat) -> str:
    """The whole complaint form in Russian, a photo as evidence; returns the case ref."""
    await chat.say(START)
    await chat.say(STUDIO)
    await chat.press("/deny")  # no date / order reference
    await chat.press('/inform{"dispute_type": "quality"}')
    await chat.say(DESCRIPTION)
    asked = await chat.press('/inform{"desired_resolution": "reshoot"}')
    assert any("доказательства" in text for text in asked), asked
    got = await chat.photo(jpeg_with_gps())
    assert any("1" in text for text in got), got
    await chat.press("/affirm")  # no more files
    summary = await chat.say(PHONE)
    assert any(STUDIO in text and "+79123456789" in text for text in summary), summary
    filed = await chat.press("/affirm")
    found = [REF.search(text) for text in filed]
    refs = [m.group(0) for m in found if m]
    assert refs, filed
    return refs[0]


class Console:
    """Selenium on the console: sign-in, waits, page timings (Navigation Timing)."""

    def __init__(self, driver: Any, url: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.url = driver, url
        self.wait = WebDriverWait(driver, 30)
        self.timings: Dict[str, Dict[str, float]] = {}

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> List[Any]:
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def timed(self, label: str) -> None:
        """Records the page just loaded: server answer and full load, in ms."""
        server, load = self.driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return [n.responseEnd - n.requestStart, n.loadEventEnd - n.startTime];")
        self.timings[label] = {"response_ms": round(server, 1), "load_ms": round(load, 1)}

    def until(self, predicate: Any) -> Any:
        """Waits for `predicate`; an element replaced by a page load counts as not yet."""
        from selenium.common.exceptions import StaleElementReferenceException

        def check(_driver: Any) -> Any:
            try:
                return predicate()
            except StaleElementReferenceException:
                return False

        return self.wait.until(check)

    def sign_in(self, name: str) -> None:
        from selenium.webdriver.support import expected_conditions as EC

        self.driver.get(self.url + "/login")
        self.find("#username").send_keys(name)
        self.find("#password").send_keys(PASSWORD)
        self.find("#login").click()
        self.wait.until(EC.url_contains("/conversations"))
        assert f"{name} (" in self.find(".who").text

    def sign_out(self) -> None:
        from selenium.webdriver.support import expected_conditions as EC

        self.find("#logout").click()
        self.wait.until(EC.url_contains("/login"))

    def fetch(self, href: str) -> Tuple[int, Dict[str, str], bytes]:
        """GET with the browser's session cookie (downloads, refusals)."""
        cookie = self.driver.get_cookie("accord_session")
        assert cookie is not None and cookie["httpOnly"]
        request = urllib.request.Request(
            href if href.startswith("http") else self.url + href,
            headers={"Cookie": f"accord_session={cookie['value']}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def row_cells(self) -> List[Tuple[str, List[str], Any]]:
        """The transcript table: (direction, cell texts, row element) per turn."""
        rows = []
        for row in self.all("table.transcript tr.turn"):
            direction = "in" if "in" in row.get_attribute("class").split() else "out"
            rows.append((direction, [td.text for td in row.find_elements("css selector", "td")],
                         row))
        return rows


def find_and_read(console: Console, cid: str, ref: str) -> None:
    """Agent: full-text search, the transcript (texts, replies, language, intent)."""
    from selenium.webdriver.support.ui import Select

    console.find("#q").send_keys(SEARCH)
    Select(console.find("#f-language")).select_by_value("ru")
    console.find("#apply").click()
    console.until(lambda: "q=" in console.driver.current_url)
    console.timed("search 'Выпускного', language ru")
    links = console.all("#conversation-list a.conv")
    assert [a.text for a in links] == [cid]
    links[0].click()
    console.until(lambda: console.all("#conversation-id"))
    console.timed("transcript")
    assert console.find("#conversation-id").text == cid
    rows = console.row_cells()
    first = next(cells for direction, cells, _ in rows if direction == "in"
                 and cells[2].startswith(START))
    assert first[3:5] == ["ru", "file_complaint"]
    assert 0 < float(first[5]) <= 1
    user_texts = [cells[2] for direction, cells, _ in rows if direction == "in"]
    assert STUDIO in user_texts and DESCRIPTION in user_texts
    assert any("Пропустить" in cells[6] for direction, cells, _ in rows if direction == "in")
    bot_texts = [cells[2] for direction, cells, _ in rows if direction == "out"]
    assert any(text.startswith("Есть доказательства?") for text in bot_texts)
    assert any(ref in text for text in bot_texts)
    evidence_row = next(row for direction, cells, row in rows if direction == "in"
                        and cells[2].startswith("/provide_evidence"))
    assert "1" in evidence_row.find_element("css selector", ".att").text
    console.until(lambda: console.driver.execute_script(
        "return Array.from(arguments[0].querySelectorAll('img.thumb'))"
        ".map(i => i.complete && i.naturalWidth)", evidence_row) == [64])
    assert console.all("a[href$='/export.csv']") == []  # an agent cannot export
    assert console.fetch(f"/conversations/{cid}/export.csv")[0] == 403
    console.find(f"a[href='/cases/{ref}']").click()


def handle_case(console: Console, ref: str) -> None:
    """Agent: the case page; status change, private note, reply to the client."""
    from selenium.webdriver.support.ui import Select

    console.until(lambda: console.all("#case-ref"))
    console.timed("case page")
    assert console.find("#case-ref").text == ref
    page = console.find("main").text
    assert STUDIO in page and DESCRIPTION in page and "+79123456789" in page
    for where in (".evidence", "table.transcript"):  # the evidence, and inline in its turn
        console.until(lambda: console.driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0] + ' img.thumb'))"
            ".map(i => i.complete && i.naturalWidth)", where) == [64])
    assert "Пропустить" in console.find("table.transcript").text  # the button pressed
    assert "new" in console.find("#case-status").get_attribute("class").split()
    Select(console.find("#new-status")).select_by_value("in_review")
    console.find("form[action$='/status'] input[name=note]").send_keys("studio contacted")
    console.find("#change-status").click()
    console.until(lambda: "in_review" in console.find("#case-status").get_attribute("class"))
    console.timed("case page after a status change")
    assert "studio contacted" in console.find("#events").text
    console.find("form[action$='/note'] textarea").send_keys(NOTE)
    console.find("form[action$='/note'] button").click()
    console.until(lambda: NOTE in console.find("#notes").text)
    console.find("form[action$='/reply'] textarea").send_keys(REPLY)
    console.find("#send-reply").click()
    console.until(lambda: REPLY in console.find("#replies").text)
    replies = console.all("#replies li")
    assert len(replies) == 2  # the status notice, then the reply
    assert all(li.find_elements("css selector", ".ok") and not
               li.find_elements("css selector", ".warn") for li in replies)
    assert console.find("#handoff").text == "yes"
    SCREENSHOT.parent.mkdir(exist_ok=True)
    height = console.driver.execute_script("return document.documentElement.scrollHeight")
    console.driver.set_window_size(1400, min(int(height) + 120, 4000))  # the whole page
    assert console.driver.save_screenshot(str(SCREENSHOT))
    console.driver.set_window_size(1400, 1000)
    assert SCREENSHOT.stat().st_size > 10000


def export_and_audit(console: Console, cid: str) -> Dict[str, Any]:
    """Admin: both exports of the transcript, then the audit log page."""
    console.driver.get(f"{console.url}/conversations/{cid}")
    hrefs = {fmt: console.find(f"a[href$='/export.{fmt}']").get_attribute("href")
             for fmt in ("csv", "json")}
    got: Dict[str, Any] = {}
    for fmt, href in hrefs.items():
        status, headers, body = console.fetch(href)
        assert status == 200
        assert f'filename="transcript-{cid}.{fmt}"' in headers["Content-Disposition"]
        text = body.decode("utf-8")
        got[fmt] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")))) \
            if fmt == "csv" else json.loads(text)
        assert text.startswith("\ufeff") == (fmt == "csv")
    console.driver.get(f"{console.url}/audit")
    console.timed("audit log")
    got["audit"] = console.find("#audit-list").text
    return got


def browse(driver: Any, url: str, cid: str, ref: str) -> Tuple[Dict[str, Any], Dict]:
    """The staff side, in the browser (runs in a thread: the fake Bot API needs the loop)."""
    console = Console(driver, url)
    console.sign_in("olga")
    console.timed("conversations list")
    find_and_read(console, cid, ref)
    handle_case(console, ref)
    console.sign_out()
    console.sign_in("admin")
    return export_and_audit(console, cid), console.timings


async def test_a_telegram_complaint_is_found_read_exported_and_handled(
    rasa_stack: Any, fake_api: Any, tmp_path: Path, driver: Any,  # noqa: F811
) -> None:
    chat_id = random.randint(10**8, 10**9)
    cid = str(chat_id)
    settings = telegram_settings(rasa_stack.settings, fake_api, tmp_path,
                                 database_url=rasa_stack.settings.database_url)
    services = build_services(settings)  # the database the action server writes cases to
    try:
        async with running(settings, services) as (_, adapter):
            ref = await file_complaint(Chat(fake_api, adapter, services, chat_id, "ru"))
            with services.sessions.begin() as session:
                add_user(session, "olga", "agent", PASSWORD)
                add_user(session, "admin", "admin", PASSWORD)
            before = len(fake_api.texts(chat_id))
            server = ThreadServer(settings).start()
            try:
                got, timings = await asyncio.to_thread(browse, driver, server.url, cid, ref)
            finally:
                server.stop()
        with services.sessions() as session:
            case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
            evidence = session.execute(select(Attachment.stored_name, Attachment.content_type)
                                       .where(Attachment.case_id == case.id)).all()
            notes = session.execute(select(CaseNote.text).where(
                CaseNote.case_id == case.id)).scalars().all()
            replies = session.execute(select(StaffReply).where(
                StaffReply.case_id == case.id).order_by(StaffReply.id)).scalars().all()
            audit = {(a.staff_user, a.action, a.object_type, a.object_id, a.detail)
                     for a in session.execute(select(AuditLog)).scalars()}
            staff_turns = session.execute(select(Turn.text).where(
                Turn.conversation_id == cid, Turn.channel == "staff")).scalars().all()
    finally:
        await services.aclose()

    # the client's chat: the status notice in Russian, then the reply, through the Bot API
    notice = status_text("ru", ref, "in_review")
    assert notice == i18n.text("status_changed", "ru").format(
        ref=ref, status=i18n.text("case_status_in_review", "ru"))
    assert notice != status_text("fr", ref, "in_review")
    assert fake_api.texts(chat_id)[before:] == [notice, REPLY]
    assert any(ref in text for text in fake_api.texts(settings.telegram_staff_chat_id))
    assert case.status == "in_review" and case.handoff and case.language == "ru"
    assert len(evidence) == 1 and evidence[0][1] == "image/jpeg"
    assert (Path(settings.evidence_dir) / evidence[0][0]).is_file()
    assert notes == [NOTE]
    assert [(r.text, r.delivered, r.author) for r in replies] == [
        (notice, True, "olga"), (REPLY, True, "olga")]
    assert staff_turns == [notice, REPLY]

    # the exports hold the user's words, the bot's replies and the staff's
    for fmt in ("csv", "json"):
        rows = got[fmt]
        assert {r["conversation_id"] for r in rows} == {cid}
        texts = [r["text"] for r in rows]
        assert START in texts and DESCRIPTION in texts and REPLY in texts
        first = next(r for r in rows if r["text"] == START)
        assert (first["intent"], first["language"], first["direction"]) == \
            ("file_complaint", "ru", "in")
        assert any(ref in (r["text"] or "") and r["direction"] == "out" for r in rows)

    # the audit log: views, the exports and the status change, with who did them
    for action, kind, oid in (("view_transcript", "conversation", cid),
                              ("view_case", "case", ref), ("note", "case", ref),
                              ("reply", "case", ref)):
        assert any(a[:4] == ("olga", action, kind, oid) for a in audit), action
    assert ("olga", "status_change", "case", ref, "new -> in_review") in audit
    exports = sorted(a[4] for a in audit if a[:4] == ("admin", "export", "conversation", cid))
    assert [e.split(",")[0] for e in exports] == ["csv", "json"]
    for action in ("view_transcript", "view_case", "status_change", "reply", "export"):
        assert action in got["audit"]
    assert f"conversation {cid}" in got["audit"] and f"case {ref}" in got["audit"]

    TIMINGS.write_text(json.dumps(timings, indent=1, ensure_ascii=False), encoding="utf-8")
    for page, values in timings.items():
        log.info("%s: answer %s ms, load %s ms", page, values["response_ms"],
                 values["load_ms"])
