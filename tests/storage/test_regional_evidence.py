"""Evidence files of a jurisdiction in its own folder (EVIDENCE_DIR_RU): where the
adapter stores a chat's files, and erasure and retention finding them there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from sqlalchemy import select

from bot.erasure import erase_user
from bot.retention import run_retention
from bot.settings import Settings
from bot.storage.cases import change_status, create_case
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.homes import Homes
from bot.storage.models import Case
from bot.storage.transcripts import record_turn
from bot.telegram.media import folder_of

ENV = {"RASA_TOKEN": "t", "DATABASE_URL": "sqlite:///main.db"}


def test_settings_read_the_regional_evidence_folders(tmp_path: Path) -> None:
    settings = Settings.from_env({**ENV, "EVIDENCE_DIR": "/srv/evidence",
                                  "EVIDENCE_DIR_RU": "/srv/ru/evidence"})
    assert settings.regional_evidence_dirs == {"RU": Path("/srv/ru/evidence")}
    assert settings.evidence_dir_for(["RU"]) == Path("/srv/ru/evidence")
    assert settings.evidence_dir_for(["FR"]) == settings.evidence_dir_for() \
        == Path("/srv/evidence")
    assert settings.all_evidence_dirs() == [Path("/srv/evidence"), Path("/srv/ru/evidence")]
    assert Settings.from_env(ENV).all_evidence_dirs() == [Settings.from_env(ENV).evidence_dir]


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[List[Any]]:
    """DATABASE_URL and the Russian database (SQLite files), migrated."""
    engines = []
    for name in ("accord", "ru"):
        url = f"sqlite:///{tmp_path}/{name}.db"
        migrate(url)
        engines.append(make_engine(url))
    yield [make_sessionmaker(engine) for engine in engines]
    for engine in engines:
        engine.dispose()


async def test_a_chats_files_go_to_its_jurisdictions_folder(tmp_path: Path, databases,
                                                             monkeypatch) -> None:
    default, ru = databases
    homes = Homes(default, {"RU": ru})
    with homes.of("42").begin() as session:
        record_turn(session=session, conversation_id="42", channel="telegram",
                    direction="in", text="здравствуйте")
    settings = Settings.from_env({**ENV, "EVIDENCE_DIR": str(tmp_path / "ev"),
                                  "EVIDENCE_DIR_RU": str(tmp_path / "ev-ru")})
    assert await folder_of(settings, homes, "42") == tmp_path / "ev"  # region unknown
    homes.settle("42", "RU")
    assert await folder_of(settings, Homes(default, {"RU": ru}), "42") == tmp_path / "ev-ru"
    assert await folder_of(settings, homes, "7") == tmp_path / "ev"
    # without EVIDENCE_DIR_RU, or without a Russian database: EVIDENCE_DIR, no query
    monkeypatch.setattr(Homes, "of", lambda *a: (_ for _ in ()).throw(AssertionError))
    plain = Settings.from_env({**ENV, "EVIDENCE_DIR": str(tmp_path / "ev")})
    assert await folder_of(plain, homes, "42") == tmp_path / "ev"
    assert await folder_of(settings, Homes(default), "42") == tmp_path / "ev"


def file_case(sessions: Any, cid: str, name: str, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"\x89PNG")
    with sessions.begin() as session:
        case = create_case(session=session, conversation_id=cid, language="ru",
                           fields={"jurisdiction": "RU", "description": "размыто"},
                           attachments=[{"stored_name": name, "content_type": "image/png",
                                         "size": 4}])
        return case.ref


def test_erasure_and_retention_find_files_in_the_regional_folder(tmp_path: Path,
                                                                 databases) -> None:
    default, ru = databases
    folders = [tmp_path / "ev", tmp_path / "ev-ru"]
    file_case(ru, "42", "a1.png", folders[1])
    erase_user(sessions=ru, conversation_id="42", evidence_dir=folders)
    assert not (folders[1] / "a1.png").exists()
    ref = file_case(ru, "43", "a2.png", folders[1])
    with ru.begin() as session:
        case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
        change_status(session=session, case=case, status="resolved", actor="agent")
    report = run_retention(databases=[default, ru], days=30, evidence_dir=folders,
                           now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31))
    assert report.cases_anonymised == 1 and report.evidence_files == 1
    assert not (folders[1] / "a2.png").exists()
