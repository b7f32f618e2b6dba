"""Formatters: findings in, text out. Only the CLI prints or writes."""

from __future__ import annotations

import re
from collections import Counter

from ..findings import SEVERITIES, SEVERITY_RANK, Finding
from ..record import field, record

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Input text is untrusted: show control characters and bidi overrides as escapes."""
    if text.isprintable():  # the usual case, and cheap: everything _CONTROL matches is unprintable
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


@record
class Report:
    findings: list[Finding]
    files: int  # how many targets were linted
    errors: list[str] = field(default_factory=list)  # input/config errors, each naming its file
    failing: int = 0  # findings at or above their file's fail level
    baseline: str | None = None  # the --baseline file, when one was applied
    baselined: list[Finding] = field(default_factory=list)  # matched the baseline: not reported, not failing
    _fingerprints: dict[Finding, str] = field(default_factory=dict, repr=False)

    def fingerprints(self) -> dict[Finding, str]:
        """Stable fingerprint of every finding, computed once over all of them (baselined ones
        too), so that applying a baseline never renumbers the occurrences of the rest."""
        if not self._fingerprints:
            from ..fingerprint import fingerprints

            self._fingerprints = fingerprints([*self.findings, *self.baselined])
        return self._fingerprints

    def counts(self) -> dict[str, int]:
        by = Counter(f.severity for f in self.findings)
        return {s: by.get(s, 0) for s in reversed(SEVERITIES)}


def is_failing(finding: Finding, fail_level: str) -> bool:
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_level]
