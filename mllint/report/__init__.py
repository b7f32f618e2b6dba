"""Formatters: findings in, text out. Only the CLI prints or writes."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..findings import SEVERITIES, SEVERITY_RANK, Finding

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Input text is untrusted: show control characters and bidi overrides as escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


@dataclass
class Report:
    findings: list[Finding]
    files: int  # how many targets were linted
    errors: list[str] = field(default_factory=list)  # input/config errors, each naming its file
    failing: int = 0  # findings at or above their file's fail level

    def counts(self) -> dict[str, int]:
        by = Counter(f.severity for f in self.findings)
        return {s: by.get(s, 0) for s in reversed(SEVERITIES)}


def is_failing(finding: Finding, fail_level: str) -> bool:
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_level]
