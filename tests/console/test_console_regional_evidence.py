"""Evidence files kept in a jurisdiction's folder (EVIDENCE_DIR_RU): the console shows
them and deletes them with their case, by stored name only."""

from __future__ import annotations

from pathlib import Path

from tests.console.conftest import csrf_of


async def test_evidence_in_a_regional_folder_is_served_and_deleted(
        make_client, refs, settings, tmp_path: Path) -> None:
    russia = tmp_path / "evidence-ru"
    russia.mkdir()
    (settings.evidence_dir / "ev1.png").rename(russia / "ev1.png")
    client = await make_client("admin", regional_evidence_dirs={"RU": russia})
    response = await client.get("/evidence/ev1.png")
    assert response.status == 200 and (await response.read()).startswith(b"\x89PNG")
    for bad in ("/evidence/..%2Fsecret.txt", "/evidence/ev2.png"):
        assert (await client.get(bad)).status == 404, bad
    alone = await make_client("admin")  # without EVIDENCE_DIR_RU: not found
    assert (await alone.get("/evidence/ev1.png")).status == 404
    token = await csrf_of(client)
    assert (await client.post(f"/cases/{refs['fr']}/delete", data={"csrf": token},
                              allow_redirects=False)).status == 302
    assert not (russia / "ev1.png").exists()
