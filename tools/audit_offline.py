"""Offline vulnerability audit of requirements.lock against a local PyPA advisory database.

pip-audit needs PyPI's per-version JSON API or api.osv.dev at run time; where neither is
reachable this does the same check from a checkout of https://github.com/pypa/advisory-database
(OSV records in YAML, ``vulns/<package>/PYSEC-*.yaml``):

    .venv/bin/python tools/audit_offline.py --db /path/to/advisory-database
    .venv/bin/python tools/audit_offline.py --db DB --lock requirements.lock \
        --out reports/audit-offline.json --ignore PYSEC-2024-1 --ignore CVE-2024-2

A pinned ``name==version`` is affected by an advisory when one of its ``affected`` entries
(ecosystem PyPI, same PEP 503 name) lists the version in ``versions`` or one of its
ECOSYSTEM ``ranges`` contains it (events ``introduced`` / ``fixed`` / ``last_affected`` /
``limit``, evaluated as the OSV schema describes). Withdrawn advisories are skipped.

Writes a JSON report, prints one line per finding; exit status 1 when a finding is not
ignored, 0 otherwise, 2 on a usage error. Needs only the standard library, PyYAML and
``packaging`` (the project's .venv has both; nothing is installed or fetched).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess  # nosec B404
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import yaml
from packaging.version import InvalidVersion, Version

ECOSYSTEM = "PyPI"
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;#\\]+)")


def normalise(name: str) -> str:
    """PEP 503 name normalisation: runs of -, _ and . become one -, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_version(text: Any) -> Optional[Version]:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


# ---------------------------------------------------------------------------- lock file


def read_lock(path: Path) -> Dict[str, Tuple[str, str]]:
    """``{normalised name: (name as written, version)}`` of every ``name==version`` line."""
    pins: Dict[str, Tuple[str, str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _REQ.match(line)
        if match:
            pins[normalise(match.group(1))] = (match.group(1), match.group(2))
    return pins


# ---------------------------------------------------------------------------- OSV logic


def _event_key(event: Dict[str, Any]) -> Tuple[int, Any, int]:
    """Sort key of a range event: ``introduced: "0"`` first, then by version."""
    kind, value = next(iter(event.items()))
    if kind == "introduced" and str(value) == "0":
        return (0, Version("0"), 0)
    parsed = parse_version(value)
    # at equal versions a fix or limit closes before a new introduction opens
    order = 0 if kind in ("fixed", "limit", "last_affected") else 1
    return (1, parsed if parsed is not None else Version("0"), order)


def in_range(version: Version, events: Sequence[Dict[str, Any]]) -> bool:
    """Whether ``version`` is inside one ECOSYSTEM range (OSV schema's evaluation)."""
    usable = [
        e for e in events
        if isinstance(e, dict) and len(e) == 1
        and next(iter(e)) in ("introduced", "fixed", "last_affected", "limit")
        and (next(iter(e.items())) == ("introduced", "0")
             or parse_version(next(iter(e.values()))) is not None)
    ]
    for event in usable:
        if "limit" in event and str(event["limit"]) != "*":
            if version >= Version(str(event["limit"])):
                return False
    affected = False
    for event in sorted(usable, key=_event_key):
        kind, value = next(iter(event.items()))
        if kind == "introduced":
            if str(value) == "0" or version >= Version(str(value)):
                affected = True
        elif kind == "fixed":
            if version >= Version(str(value)):
                affected = False
        elif kind == "last_affected":
            if version > Version(str(value)):
                affected = False
    return affected


def _same_package(affected: Dict[str, Any], name: str) -> bool:
    package = affected.get("package") or {}
    return (package.get("ecosystem") == ECOSYSTEM
            and normalise(str(package.get("name", ""))) == name)


def affects(record: Dict[str, Any], name: str, version: str) -> bool:
    """Whether the OSV ``record`` affects ``name==version`` (``name`` normalised)."""
    parsed = parse_version(version)
    for affected in record.get("affected") or []:
        if not _same_package(affected, name):
            continue
        listed = [str(v) for v in affected.get("versions") or []]
        if version in listed:
            return True
        if parsed is not None and any(parse_version(v) == parsed for v in listed):
            return True
        if parsed is None:
            continue
        for rng in affected.get("ranges") or []:
            if rng.get("type") == "ECOSYSTEM" and in_range(parsed, rng.get("events") or []):
                return True
    return False


def fixed_versions(record: Dict[str, Any], name: str) -> List[str]:
    """Every ``fixed`` version of the record's ECOSYSTEM ranges for ``name``, ascending."""
    found = {
        str(event["fixed"])
        for affected in record.get("affected") or [] if _same_package(affected, name)
        for rng in affected.get("ranges") or [] if rng.get("type") == "ECOSYSTEM"
        for event in rng.get("events") or [] if isinstance(event, dict) and "fixed" in event
    }
    return sorted(found, key=lambda v: (parse_version(v) or Version("0"), v))


def is_withdrawn(record: Dict[str, Any], now: Optional[datetime] = None) -> bool:
    """An advisory with a ``withdrawn`` time (in the past, or unparseable) no longer counts."""
    value = record.get("withdrawn")
    if not value:
        return False
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when <= (now or datetime.now(timezone.utc))


# ---------------------------------------------------------------------------- database


def _load_yaml(text: str) -> Any:
    """Safe YAML loading; libyaml's loader is ~10x faster on the ~7,000 records."""
    if hasattr(yaml, "CSafeLoader"):
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)  # pragma: no cover - PyYAML built without libyaml


def iter_records(db: Path) -> Iterator[Tuple[Path, Dict[str, Any]]]:
    """Every OSV record (``*.yaml``, ``*.yml``, ``*.json``) under ``db/vulns`` (or ``db``)."""
    root = db / "vulns" if (db / "vulns").is_dir() else db
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        record = json.loads(text) if path.suffix == ".json" else _load_yaml(text)
        if isinstance(record, dict) and record.get("id"):
            yield path, record


def database_revision(db: Path) -> Dict[str, Optional[str]]:
    """Commit and commit date of the checkout, when it is a git work tree."""
    git = shutil.which("git")
    if git is None or not (db / ".git").exists():
        return {"commit": None, "date": None}
    # only `git log` on the database checkout: fixed arguments, no shell
    result = subprocess.run(  # nosec B603
        [git, "-C", str(db), "log", "-1", "--format=%H %cI"],
        capture_output=True, text=True, check=False,
    )
    parts = result.stdout.split()
    if len(parts) != 2:
        return {"commit": None, "date": None}
    return {"commit": parts[0], "date": parts[1]}


@dataclass
class Finding:
    package: str
    version: str
    id: str
    aliases: List[str]
    cves: List[str]
    fixed_in: List[str]
    first_fix_above_pin: Optional[str]
    summary: str
    record: str
    ignored: bool = False


@dataclass
class Report:
    generated: str
    lock: str
    database: str
    database_commit: Optional[str]
    database_date: Optional[str]
    packages_checked: int
    advisories_read: int
    withdrawn_skipped: int
    findings: List[Finding] = field(default_factory=list)


def _summary(record: Dict[str, Any]) -> str:
    text = str(record.get("summary") or record.get("details") or "").strip()
    first = " ".join(text.split())
    return first if len(first) <= 300 else first[:297] + "..."


def audit(
    pins: Dict[str, Tuple[str, str]],
    records: Iterable[Tuple[Path, Dict[str, Any]]],
    ignore: Iterable[str] = (),
    now: Optional[datetime] = None,
) -> Tuple[List[Finding], int, int]:
    """Findings for ``pins``; also the number of records read and of withdrawn ones skipped."""
    ignored = {i.upper() for i in ignore}
    findings: List[Finding] = []
    seen = set()
    read = withdrawn = 0
    for path, record in records:
        read += 1
        if is_withdrawn(record, now):
            withdrawn += 1
            continue
        names = {normalise(str((a.get("package") or {}).get("name", "")))
                 for a in record.get("affected") or []}
        for name in sorted(names & pins.keys()):
            written, version = pins[name]
            if (record["id"], name) in seen or not affects(record, name, version):
                continue
            seen.add((record["id"], name))
            aliases = sorted(str(a) for a in record.get("aliases") or [])
            fixes = fixed_versions(record, name)
            pinned = parse_version(version)
            above = [f for f in fixes
                     if pinned is not None and (parse_version(f) or pinned) > pinned]
            findings.append(Finding(
                package=written, version=version, id=str(record["id"]), aliases=aliases,
                cves=[a for a in aliases if a.upper().startswith("CVE-")],
                fixed_in=fixes, first_fix_above_pin=above[0] if above else None,
                summary=_summary(record), record=str(path),
                ignored=bool({str(record["id"]).upper(), *(a.upper() for a in aliases)} & ignored),
            ))
    findings.sort(key=lambda f: (normalise(f.package), f.id))
    return findings, read, withdrawn


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path,
                        help="checkout of pypa/advisory-database (or any directory of OSV records)")
    parser.add_argument("--lock", default=Path("requirements.lock"), type=Path)
    parser.add_argument("--out", default=Path("reports/audit-offline.json"), type=Path)
    parser.add_argument("--ignore", action="append", default=[], metavar="ID",
                        help="advisory id or alias (CVE/GHSA) accepted after review; repeatable")
    args = parser.parse_args(argv)
    if not args.db.is_dir():
        parser.error(f"{args.db} is not a directory (clone the advisory database first)")
    if not args.lock.is_file():
        parser.error(f"{args.lock} not found")

    pins = read_lock(args.lock)
    findings, read, withdrawn = audit(pins, iter_records(args.db), args.ignore)
    if read == 0:
        parser.error(f"no OSV records under {args.db}")
    revision = database_revision(args.db)
    report = Report(
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        lock=str(args.lock), database=str(args.db),
        database_commit=revision["commit"], database_date=revision["date"],
        packages_checked=len(pins), advisories_read=read, withdrawn_skipped=withdrawn,
        findings=findings,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")

    for f in findings:
        ids = ", ".join([f.id, *f.aliases])
        fix = f.first_fix_above_pin or ", ".join(f.fixed_in)
        fix_text = f"fixed in {fix}" if fix else "no fixed version"
        mark = " (ignored)" if f.ignored else ""
        print(f"{f.package}=={f.version}  {ids}  {fix_text}{mark}\n    {f.summary[:160]}")
    open_findings = [f for f in findings if not f.ignored]
    print(f"{len(pins)} pinned packages, {read} advisories ({withdrawn} withdrawn) "
          f"from {args.db} @ {revision['date'] or 'unknown date'}: "
          f"{len(open_findings)} finding(s), {len(findings) - len(open_findings)} ignored; "
          f"report in {args.out}")
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main())
