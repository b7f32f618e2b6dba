"""Baselines: record today's findings by fingerprint, then report (and fail on) only new ones.

The file is JSON: ``{"mllint-baseline": 1, "fingerprint": "v1", "findings": [{"fingerprint", "rule",
"path", "message"}, ...]}``. Only ``fingerprint`` is matched; the rest is there for people reading
diffs of the file. Fingerprints hold the path as reported, so run mllint from the same folder
with the same path spelling as when the baseline was written.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import MllintError
from .fingerprint import VERSION

FORMAT = 1


def render(report) -> str:
    """Every current finding, the baseline-matched ones included (re-writing refreshes the file)."""
    fingerprints = report.fingerprints()
    findings = sorted(fingerprints, key=lambda f: f.sort_key())
    entries = [{"fingerprint": fingerprints[f], "rule": f.rule, "path": f.path, "message": f.message}
               for f in findings]
    return json.dumps({"mllint-baseline": FORMAT, "fingerprint": VERSION, "findings": entries}, indent=2) + "\n"


def load(path: Path) -> frozenset[str]:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MllintError("baseline file not found (write one with --write-baseline)", where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MllintError(f"cannot read baseline: {getattr(exc, 'strerror', None) or exc}", where) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MllintError(f"baseline is not valid JSON: {exc.msg}", where, exc.lineno) from None
    if not isinstance(data, dict) or data.get("mllint-baseline") != FORMAT or not isinstance(data.get("findings"), list):
        raise MllintError("not an mllint baseline (expected {\"mllint-baseline\": 1, \"findings\": [...]})", where)
    if data.get("fingerprint") != VERSION:
        raise MllintError(f"baseline fingerprints are {data.get('fingerprint')!r}, this mllint writes {VERSION!r}: "
                          f"re-create it with --write-baseline", where)
    prints = set()
    for i, entry in enumerate(data["findings"]):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp:
            raise MllintError(f"baseline entry {i + 1} has no fingerprint", where)
        prints.add(fp)
    return frozenset(prints)


def apply(report, known: frozenset[str], failing: set) -> None:
    """Move baseline-matched findings out of the report; they no longer count as failing."""
    fingerprints = report.fingerprints()  # over all findings, before any is removed
    kept = []
    for f in report.findings:
        if fingerprints[f] in known:
            report.baselined.append(f)
            failing.discard(f)
        else:
            kept.append(f)
    report.findings = kept
