"""Cases, attachments, transcripts and erasure on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import threading

from sqlalchemy import func, select

from bot.erasure import erase_user
from bot.storage import cases, transcripts
from bot.storage.models import Attachment, Case, CaseEvent, Turn

REF = re.compile(r"^DR-[0-9A-Z]{6,}$")


def file_case(sessions, conversation_id="c1", **fields):
    with sessions.begin() as session:
        case = cases.create_case(
            session=session,
            conversation_id=conversation_id,
            language="zh",
            fields={"dispute_type": "quality", "description": "照片模糊", **fields},
            attachments=[{"stored_name": f"{conversation_id}-a.jpg",
                          "content_type": "image/jpeg", "size": 10}],
        )
        return case.ref


def test_case_with_attachments_and_export(sessions):
    ref = file_case(sessions, desired_resolution="partial_refund")
    assert REF.match(ref)
    with sessions() as session:
        exported = list(cases.iter_cases(session=session))
    assert exported == [{
        "ref": ref, "status": "new", "dispute_type": "quality", "language": "zh",
        "created_at": exported[0]["created_at"], "description": "照片模糊",
        "desired_resolution": "partial_refund", "attachments": 1,
    }]
    assert dt.datetime.fromisoformat(exported[0]["created_at"]).tzinfo is not None


def test_references_are_unique_and_not_sequential(sessions):
    refs = {file_case(sessions, f"c{i}") for i in range(20)}
    assert len(refs) == 20 and all(REF.match(r) for r in refs)


def test_clients_see_only_their_cases(sessions):
    mine = file_case(sessions, "alice")
    file_case(sessions, "bob")
    with sessions() as session:
        assert [c.ref for c in cases.cases_of(session=session, conversation_id="alice")] == [mine]


def test_status_changes_are_recorded_with_who(sessions):
    ref = file_case(sessions)
    with sessions.begin() as session:
        case = cases.case_by_ref(session=session, ref=ref)
        cases.change_status(session=session, case=case, status="in_review", actor="staff:anna")
    with sessions() as session:
        events = list(session.execute(select(CaseEvent).order_by(CaseEvent.id)).scalars())
    assert [(e.actor, e.from_status, e.to_status) for e in events] == [
        ("client", None, "new"), ("staff:anna", "new", "in_review")]


def test_transcript_turns_in_every_script(sessions):
    texts = ["Bonjour, où en est mon dossier ?", "我的投诉怎么样了", "Где моя жалоба? 📷"]
    with sessions.begin() as session:
        for text in texts:
            transcripts.record_turn(session=session, conversation_id="c1", channel="telegram",
                                    direction="in", text=text, language="fr")
    with sessions() as session:
        rows = [transcripts.turn_as_dict(t) for t in transcripts.iter_turns(session=session)]
    assert [r["text"] for r in rows] == texts


def test_erasure_leaves_nothing_of_the_user(sessions, tmp_path):
    file_case(sessions, "gone")
    keep = file_case(sessions, "stays")
    (tmp_path / "gone-a.jpg").write_bytes(b"x")
    with sessions.begin() as session:
        transcripts.record_turn(session=session, conversation_id="gone", channel="terminal",
                                direction="in", text="supprimez tout")
    erase_user(sessions=sessions, conversation_id="gone", evidence_dir=tmp_path)
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Turn)).scalar_one() == 0
        assert [c.ref for c in session.execute(select(Case)).scalars()] == [keep]
        assert session.execute(select(func.count()).select_from(Attachment)).scalar_one() == 1
    assert not (tmp_path / "gone-a.jpg").exists()


def test_concurrent_writers(sessions):
    errors = []

    def writer(n):
        try:
            for i in range(10):
                with sessions.begin() as session:
                    transcripts.record_turn(session=session, conversation_id=f"w{n}",
                                            channel="telegram", direction="in", text=str(i))
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Turn)).scalar_one() == 40
