"""tools/audit_offline.py: OSV range evaluation on small synthetic records (no network)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from packaging.version import Version

from tools.audit_offline import (
    affects, audit, fixed_versions, in_range, is_withdrawn, main, normalise, read_lock,
)

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def record(events=None, versions=None, name="demo-pkg", ecosystem="PyPI", **extra):
    affected = {"package": {"name": name, "ecosystem": ecosystem}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": "PYSEC-0000-1", "affected": [affected], **extra}


@pytest.mark.parametrize("raw, expected", [
    ("Sanic_Cors", "sanic-cors"), ("ruamel.yaml", "ruamel-yaml"),
    ("typing__extensions", "typing-extensions"), ("PyYAML", "pyyaml"),
])
def test_names_are_normalised_per_pep_503(raw, expected):
    assert normalise(raw) == expected


def test_lock_lines(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# header\n"
        "Jinja2==3.1.6\n"
        "uvicorn[standard]==0.30.0 ; python_version >= '3.8'\n"
        "ruamel.yaml==0.17.21  # pinned by rasa\n"
        "-r other.txt\n"
        "requests>=2\n"
        "\n"
    )
    assert read_lock(lock) == {
        "jinja2": ("Jinja2", "3.1.6"),
        "uvicorn": ("uvicorn", "0.30.0"),
        "ruamel-yaml": ("ruamel.yaml", "0.17.21"),
    }


@pytest.mark.parametrize("version, expected", [
    ("0.1", True), ("1.9.9", True), ("2.0rc1", True), ("2.0", False), ("3.0", False),
])
def test_introduced_zero_fixed(version, expected):
    assert in_range(Version(version), [{"introduced": "0"}, {"fixed": "2.0"}]) is expected


@pytest.mark.parametrize("version, expected", [
    ("0.9", False), ("1.0", True), ("1.5", True), ("1.5.0", True), ("1.5.1", False),
])
def test_last_affected_is_inclusive(version, expected):
    assert in_range(Version(version), [{"introduced": "1.0"}, {"last_affected": "1.5"}]) is expected


@pytest.mark.parametrize("version, expected", [
    ("0.5", False), ("1.0", True), ("1.1", True), ("1.2", False), ("1.9", False),
    ("2.0", True), ("2.0.5", True), ("2.1", False),
])
def test_several_intervals_in_any_order(version, expected):
    events = [{"fixed": "2.1"}, {"introduced": "2.0"}, {"fixed": "1.2"}, {"introduced": "1.0"}]
    assert in_range(Version(version), events) is expected


def test_open_range_and_limit():
    assert in_range(Version("99"), [{"introduced": "1.0"}])
    assert not in_range(Version("0.9"), [{"introduced": "1.0"}])
    assert in_range(Version("1.5"), [{"introduced": "1.0"}, {"limit": "2.0"}])
    assert not in_range(Version("2.0"), [{"introduced": "1.0"}, {"limit": "2.0"}])


def test_unparseable_events_are_ignored_not_fatal():
    assert in_range(Version("1.0"), [{"introduced": "0"}, {"fixed": "not a version"}])


def test_versions_list_and_ranges():
    listed = record(versions=["1.0", "1.1"])
    assert affects(listed, "demo-pkg", "1.1")
    assert affects(listed, "demo-pkg", "1.0.0")  # same version, other spelling
    assert not affects(listed, "demo-pkg", "1.2")
    ranged = record(events=[{"introduced": "0"}, {"fixed": "1.2"}])
    assert affects(ranged, "demo-pkg", "1.1")
    assert not affects(ranged, "demo-pkg", "1.2")


def test_other_packages_ecosystems_and_range_types_do_not_count():
    events = [{"introduced": "0"}, {"fixed": "9"}]
    assert not affects(record(events, name="other"), "demo-pkg", "1.0")
    assert not affects(record(events, ecosystem="npm"), "demo-pkg", "1.0")
    assert affects(record(events, name="Demo_Pkg"), "demo-pkg", "1.0")
    git_only = {"id": "X", "affected": [{"package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                                         "ranges": [{"type": "GIT", "events": [
                                             {"introduced": "0"}, {"fixed": "abc123"}]}]}]}
    assert not affects(git_only, "demo-pkg", "1.0")


def test_fixed_versions_are_sorted_as_versions():
    rec = record(events=[{"introduced": "0"}, {"fixed": "1.10"}, {"introduced": "2.0"},
                         {"fixed": "2.2"}, {"fixed": "1.9"}])
    assert fixed_versions(rec, "demo-pkg") == ["1.9", "1.10", "2.2"]


def test_withdrawn():
    assert not is_withdrawn(record(), NOW)
    assert is_withdrawn(record(withdrawn="2025-06-09T16:52:30Z"), NOW)
    assert is_withdrawn(record(withdrawn=datetime(2025, 6, 9)), NOW)  # YAML timestamp
    assert not is_withdrawn(record(withdrawn="2027-01-01T00:00:00Z"), NOW)


def test_audit_skips_withdrawn_and_reports_fixes(tmp_path):
    live = record(events=[{"introduced": "0"}, {"fixed": "1.2"}, {"introduced": "2.0"},
                          {"fixed": "2.1"}], aliases=["CVE-2099-1", "GHSA-xxxx"],
                  summary="a bug")
    gone = dict(record(versions=["1.0"]), id="PYSEC-0000-2", withdrawn="2020-01-01T00:00:00Z")
    findings, read, withdrawn = audit({"demo-pkg": ("Demo_Pkg", "1.0")},
                                      [(tmp_path / "a", live), (tmp_path / "b", gone)], now=NOW)
    assert (read, withdrawn) == (2, 1)
    [finding] = findings
    assert (finding.package, finding.version, finding.id) == ("Demo_Pkg", "1.0", "PYSEC-0000-1")
    assert finding.cves == ["CVE-2099-1"]
    assert finding.fixed_in == ["1.2", "2.1"] and finding.first_fix_above_pin == "1.2"


def test_command_line(tmp_path):
    db = tmp_path / "advisory-database" / "vulns" / "demo-pkg"
    db.mkdir(parents=True)
    (db / "PYSEC-0000-1.yaml").write_text(
        "id: PYSEC-0000-1\n"
        "aliases: [CVE-2099-1]\n"
        "summary: demo\n"
        "affected:\n"
        "- package: {name: demo-pkg, ecosystem: PyPI}\n"
        "  ranges:\n"
        "  - type: ECOSYSTEM\n"
        "    events:\n"
        "    - introduced: '0'\n"
        "    - fixed: 1.2.0\n"
    )
    lock = tmp_path / "requirements.lock"
    lock.write_text("demo_pkg==1.1\nsafe==1.0\n")
    out = tmp_path / "reports" / "audit.json"
    args = ["--db", str(tmp_path / "advisory-database"), "--lock", str(lock), "--out", str(out)]

    assert main(args) == 1
    report = json.loads(out.read_text())
    assert report["packages_checked"] == 2 and report["advisories_read"] == 1
    assert [(f["package"], f["id"], f["first_fix_above_pin"]) for f in report["findings"]] == [
        ("demo_pkg", "PYSEC-0000-1", "1.2.0")]

    assert main(args + ["--ignore", "cve-2099-1"]) == 0
    assert json.loads(out.read_text())["findings"][0]["ignored"] is True
