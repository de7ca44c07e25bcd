"""Console exports redact phone numbers and e-mail addresses unless an admin asks for
the full text (`redact=0`), and the audit log says which one was taken."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from bot.storage.models import AuditLog
from bot.storage.transcripts import record_turn

CONTACT = "Mon numéro : 06 12 34 56 78, ou +7 912 345-67-89 ; e-mail jean.dupont@exemple.fr"
REDACTED = "Mon numéro : [PHONE], ou [PHONE] ; e-mail [EMAIL]"


def _add_contact_turn(db) -> None:
    with db.begin() as session:
        record_turn(session=session, conversation_id="4004", channel="telegram",
                    direction="in", text=CONTACT, language="fr", intent="file_complaint",
                    buttons=[{"title": "138 0013 8000", "payload": "/x"}])


async def test_exports_are_redacted_by_default(make_client, db):
    _add_contact_turn(db)
    client = await make_client("admin")
    rows = json.loads(await (await client.get("/conversations/4004/export.json")).text())
    assert [r["text"] for r in rows] == [REDACTED]
    assert "138" not in rows[0]["buttons"] and "[PHONE]" in rows[0]["buttons"]
    body = (await (await client.get("/conversations/export.csv?language=fr")).text())
    texts = [r["text"] for r in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))]
    assert REDACTED in texts and CONTACT not in body
    assert "06 12" not in body and "jean.dupont" not in body


async def test_admin_can_export_the_full_text_and_it_is_audited(make_client, db):
    _add_contact_turn(db)
    client = await make_client("admin")
    rows = json.loads(await (await client.get(
        "/conversations/4004/export.json?redact=0")).text())
    assert [r["text"] for r in rows] == [CONTACT]
    await client.get("/conversations/export.csv?language=fr&redact=0")
    await client.get("/conversations/export.csv?language=fr")
    with db() as session:
        details = session.execute(select(AuditLog.detail).where(AuditLog.action == "export")
                                  .order_by(AuditLog.id)).scalars().all()
    assert "NOT redacted" in details[0] and "NOT redacted" in details[1]
    assert "NOT redacted" not in details[2] and "redacted" in details[2]


async def test_pages_offer_both_exports(make_client, db):
    _add_contact_turn(db)
    client = await make_client("admin")
    page = await (await client.get("/conversations")).text()
    assert 'id="export-csv-full"' in page and "redact=0" in page
    page = await (await client.get("/conversations/4004")).text()
    assert "export.json?redact=0" in page
