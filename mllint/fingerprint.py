"""Stable finding fingerprints: one function for SARIF, GitLab Code Quality and baselines.

A fingerprint is sha256 over the rule id, the path (posix, as reported) and the normalized
offending text (the finding's span on its snippet line, whitespace collapsed), plus an occurrence
index among findings with the same (rule, path, text), so two identical lines of one file stay
distinct. Line numbers never enter it: inserting lines above a finding keeps its fingerprint;
changing the offending text changes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from .findings import Finding

VERSION = "v1"  # bump when the recipe changes: old baselines then stop matching, loudly
_WS = re.compile(r"\s+")


def offending_text(f: Finding) -> str:
    """The span's text on its first line, whitespace collapsed; the message when there is no line."""
    if f.snippet and f.span.line >= 1:
        start = max(f.span.column - 1, 0)
        end = f.span.end_column - 1 if f.span.end_line == f.span.line else len(f.snippet)
        text = f.snippet[start:max(end, start + 1)]
    else:  # no source line (e.g. an image finding): what the finding says is what identifies it
        text = f.message
    return _WS.sub(" ", text).strip()


def _digest(rule: str, path: str, text: str, occurrence: int) -> str:
    data = "\0".join((VERSION, rule, path.replace("\\", "/"), text, str(occurrence)))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprints(findings: Iterable[Finding]) -> dict[Finding, str]:
    """Fingerprint of every finding. Occurrences are counted in file order (path, line, column)."""
    seen: dict[tuple[str, str, str], int] = {}
    out: dict[Finding, str] = {}
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.rule, f.path.replace("\\", "/"), offending_text(f))
        n = seen.get(key, 0)
        seen[key] = n + 1
        out[f] = _digest(*key, n)
    return out
