"""Run the checks on one target, then apply config, pragmas and rule metadata."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from .config import Config
from .findings import Finding
from .record import replace
from .rules import Rule, all_rules

# Check families; each module registers its checks with @check when imported.
CHECK_MODULES = ("mllint.checks.pinning", "mllint.checks.practice", "mllint.checks.production",
                 "mllint.checks.size", "mllint.checks.security", "mllint.checks.cuda")

CheckFn = Callable[[object], Iterable[Finding]]
_CHECKS: list[tuple[frozenset[str], CheckFn]] = []
# Functions of the model that return secret values found in it; always run, whatever is selected.
_SECRET_SOURCES: list[Callable[[object], Iterable[str]]] = []
REDACTED = "***"


def check(*rule_ids: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check that may report the given rules. A check is a pure function of the model."""

    def register(fn: CheckFn) -> CheckFn:
        _CHECKS.append((frozenset(rule_ids), fn))
        return fn

    return register


def secret_source(fn: Callable[[object], Iterable[str]]) -> Callable[[object], Iterable[str]]:
    """Register a function that lists the secret values of a target, to redact from every output."""
    _SECRET_SOURCES.append(fn)
    return fn


def redact(text: str, secrets: Iterable[str]) -> str:
    for value in sorted(set(secrets), key=len, reverse=True):
        if value:
            text = text.replace(value, REDACTED)
    return text


def registered_checks() -> list[tuple[frozenset[str], CheckFn]]:
    if not _CHECKS:
        for name in CHECK_MODULES:
            importlib.import_module(name)
    return _CHECKS


class Suppressions:
    """Pragmas of one file: ids ignored for the whole file, and per line."""

    def __init__(self, file_ids: frozenset[str] = frozenset(), lines: dict[int, frozenset[str]] | None = None):
        self.file_ids = file_ids
        self.lines = lines or {}

    def silences(self, finding: Finding) -> bool:
        if finding.rule in self.file_ids:
            return True
        return finding.rule in self.lines.get(finding.span.line, ())


def instruction_suppressions(dockerfile) -> Suppressions:
    """A pragma above an instruction covers every line the instruction spans."""
    lines: dict[int, frozenset[str]] = {}
    for ins in dockerfile.instructions:
        if ins.ignores:
            for line in range(ins.span.line, ins.span.end_line + 1):
                lines[line] = lines.get(line, frozenset()) | ins.ignores
    return Suppressions(dockerfile.file_ignores, lines)


def run_checks(target, config: Config, suppressions: dict[str, Suppressions],
               lines_of: Callable[[str], tuple[str, ...]], secrets_out: set[str] | None = None) -> list[Finding]:
    """Findings for one target: enabled rules only, pragmas applied, severity from config.
    ``secrets_out`` collects the target's secret values (for `--diff`, which shows file text)."""
    rules = all_rules()
    enabled = {rid for rid in rules if config.enabled(rid)}
    findings: list[Finding] = []
    for rule_ids, fn in registered_checks():
        if rule_ids & enabled:
            findings.extend(f for f in fn(target) if f.rule in enabled)
    secrets = {value for fn in _SECRET_SOURCES for value in fn(target)}
    secrets.update(value for f in findings for value in f.secrets)
    if secrets_out is not None:
        secrets_out.update(secrets)
    return finish(findings, rules, config, suppressions, lines_of, frozenset(secrets))


def finish(findings: Iterable[Finding], rules: dict[str, Rule], config: Config,
           suppressions: dict[str, Suppressions], lines_of, secrets: frozenset[str] = frozenset()) -> list[Finding]:
    out = []
    for f in findings:
        supp = suppressions.get(f.path)
        if supp and supp.silences(f):
            continue
        rule = rules[f.rule]
        lines = lines_of(f.path)
        snippet = lines[f.span.line - 1] if 0 < f.span.line <= len(lines) else ""
        out.append(replace(
            f,
            severity=config.severity.get(f.rule, rule.severity),
            category=rule.category,
            fix=(rule.fix_description or rule.fix) if rule.fix != "none" and f.edits else None,  # this one is fixable
            message=redact(f.message, secrets) if secrets else f.message,
            snippet=redact(snippet, secrets) if secrets else snippet,
            secrets=(),
        ))
    out.sort(key=Finding.sort_key)
    return out

