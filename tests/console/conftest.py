"""Console fixtures: a migrated temp SQLite database per test, seeded turns and cases,
staff users of each role, signed-in aiohttp test clients, and headless Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.console.app import create_app
from bot.console.users import add_user
from bot.settings import Settings
from bot.storage.cases import create_case
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import Attachment, Turn
from bot.storage.transcripts import record_turn

PASSWORD = "correct horse battery"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NO_BROWSER = CHROMIUM is None or not Path(DRIVER).exists()


def seed(sessionmaker: Any, evidence_dir: Path) -> Dict[str, Any]:
    """Three conversations (fr, zh, ru), one with a case, evidence and an XSS attempt."""
    base = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone.utc)
    with sessionmaker() as session:
        conversations = {
            "1001": ("fr", [("in", "Bonjour, le photographe ne m'a pas rendu mes photos", "file_complaint"),
                            ("out", "Je suis désolé. Décrivez le problème.", None),
                            ("in", "<script>alert('x')</script> voilà", "describe_dispute")]),
            "2002": ("zh", [("in", "你好，摄影师拒绝退款", "file_complaint"),
                            ("out", "请描述一下问题。", None)]),
            "3003": ("ru", [("in", "Привет, фотограф не отдаёт снимки", "greet"),
                            ("out", "Здравствуйте! Чем помочь?", None)]),
        }
        for cid, (lang, turns) in conversations.items():
            for i, (direction, text, intent) in enumerate(turns):
                turn = record_turn(session=session, conversation_id=cid, channel="telegram",
                                   direction=direction, text=text, language=lang, intent=intent,
                                   confidence=0.91 if intent else None,
                                   buttons=[{"title": "Oui", "payload": "/affirm"}] if direction == "out" else None,
                                   attachments=1 if (cid == "1001" and i == 2) else 0)
                turn.timestamp = base + dt.timedelta(days=int(cid[0]), minutes=i)
        case = create_case(session=session, conversation_id="1001", language="fr", fields={
            "dispute_type": "quality", "studio_name": "<b>Studio</b> Lumière",
            "description": "Photos floues <img src=x onerror=alert(1)>", "handoff": True,
        })
        case.attachments.append(Attachment(stored_name="ev1.png", content_type="image/png",
                                           size=len(PNG)))
        session.flush()
        for turn in session.execute(select(Turn).where(Turn.conversation_id == "1001")).scalars():
            turn.case_ref = case.ref
        case_zh = create_case(session=session, conversation_id="2002", language="zh",
                              fields={"dispute_type": "refund", "description": "拒绝退款"})
        for role in ("viewer", "agent", "admin"):
            add_user(session, role, role, PASSWORD)
        session.commit()
        refs = {"fr": case.ref, "zh": case_zh.ref}
    evidence_dir.mkdir(parents=True, exist_ok=True)
    (evidence_dir / "ev1.png").write_bytes(PNG)
    (evidence_dir.parent / "secret.txt").write_text("not evidence")
    return refs


@pytest.fixture
def telegram_calls() -> List[Dict[str, Any]]:
    return []


@pytest.fixture
async def fake_telegram(telegram_calls: List[Dict[str, Any]]):
    """A stand-in Bot API that records sendMessage calls."""
    async def send(request: web.Request) -> web.Response:
        telegram_calls.append({"path": request.path, **(await request.json())})
        return web.json_response({"ok": True, "result": {"message_id": 1}})

    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", send)
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path}/console.db"
    migrate(url)
    return Settings(database_url=url, var_dir=tmp_path, evidence_dir=tmp_path / "evidence",
                    telegram_bot_token=None)


@pytest.fixture
def db(settings: Settings):
    engine = make_engine(settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def refs(db: Any, settings: Settings) -> Dict[str, str]:
    return seed(db, settings.evidence_dir)


async def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    page = await client.get("/login")
    token = CSRF.search(await page.text()).group(1)
    return await client.post("/login", data={"csrf": token, "username": name,
                                              "password": password}, allow_redirects=False)


async def csrf_of(client: TestClient, path: str = "/conversations") -> str:
    page = await client.get(path)
    return CSRF.search(await page.text()).group(1)


ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def make_client(settings: Settings, refs: Dict[str, str]):
    """make_client(role or None, **settings overrides) -> a (signed-in) test client."""
    clients: List[TestClient] = []

    async def factory(role: Any = None, **overrides: Any) -> TestClient:
        app = create_app(Settings(**{**settings.__dict__, **overrides}))
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        if role:
            response = await login(client, role)
            assert response.status == 302, await response.text()
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
def driver():
    """Headless Chromium (Debian's chromium + chromium-driver) under Selenium."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()
