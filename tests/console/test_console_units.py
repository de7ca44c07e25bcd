"""The console's pure helpers: which evidence files are shown beside which turn."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace as Row

from bot.console.conversations import inline_evidence

T0 = dt.datetime(2026, 3, 1, 10, 0)


def turn(tid, minute, attachments=0, case_ref=None, direction="in"):
    return Row(id=tid, timestamp=T0 + dt.timedelta(minutes=minute), direction=direction,
               attachments=attachments, case_ref=case_ref)


def test_files_go_beside_the_turns_that_brought_them():
    first = Row(id=1, ref="DR-1", created_at=(T0 + dt.timedelta(minutes=5)).replace(
        tzinfo=dt.timezone.utc))  # aware and naive times mix (SQLite, PostgreSQL)
    second = Row(id=2, ref="DR-2", created_at=T0 + dt.timedelta(minutes=20))
    files = {"DR-1": ["a", "b", "c", "late"], "DR-2": ["d"]}
    turns = [
        turn(1, 1, attachments=2),  # the form of DR-1 is open: no case yet
        turn(2, 2, attachments=1, direction="out"),
        turn(3, 3, attachments=1),
        turn(4, 8, attachments=1, case_ref="DR-1"),  # added to DR-1 after filing
        turn(5, 15, attachments=1, case_ref="DR-1"),  # DR-2's form; the slot still says DR-1
        turn(6, 25, attachments=1),  # a file no case kept
    ]
    shown = inline_evidence(turns, [second, first], files)
    assert shown == {1: ["a", "b"], 3: ["c"], 4: ["late"], 5: ["d"]}
    assert files["DR-1"] == ["a", "b", "c", "late"]  # the caller's lists are untouched
    assert inline_evidence(turns, [], {}) == {}
