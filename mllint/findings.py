"""A finding: what a check reports, before the engine applies config and pragmas."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Span

SEVERITIES = ("info", "warning", "error")  # ascending
SEVERITY_RANK = {name: i for i, name in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    path: str
    span: Span
    message: str
    # Filled in by the engine from the rule's metadata and the config:
    severity: str = "warning"
    category: str = ""
    fix: str | None = None
    snippet: str = field(default="", compare=False)  # the source line the span starts on

    def sort_key(self):
        return (self.path, self.span.line, self.span.column, self.rule, self.message)
