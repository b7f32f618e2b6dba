"""Rule metadata: one YAML file per rule under rules/<family>/, shipped inside the wheel."""

from __future__ import annotations

import functools
from pathlib import Path

from .datafiles import load, names, rules_dir
from .errors import ConfigError, MllintError
from .findings import SEVERITIES
from .record import record

CATEGORIES = ("pinning", "production", "size", "cuda", "security", "best-practice")
FIX_KINDS = ("safe", "unsafe", "none")
# Where rule pages live online: SARIF helpUri and the docs link here (docs/rules/<ID>.md).
HOMEPAGE = "https://github.com/mllint/mllint"
RULE_DOCS_URL = HOMEPAGE + "/blob/main/docs/rules/"
_REQUIRED = ("id", "name", "category", "severity", "summary", "rationale", "fix", "examples")


@record(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    category: str
    severity: str
    summary: str
    rationale: str
    fix: str  # safe | unsafe | none
    fix_description: str | None
    examples_bad: tuple[object, ...]  # a Dockerfile text, or {filename: text} for a whole context
    examples_good: tuple[object, ...]
    source: str  # the YAML file it came from

    @property
    def doc_path(self) -> str:
        return f"docs/rules/{self.id}.md"

    @property
    def doc_url(self) -> str:
        return f"{RULE_DOCS_URL}{self.id}.md"


def _rule_from(data: dict, path: Path) -> Rule:
    where = f"{path.name}"
    if not isinstance(data, dict):
        raise MllintError("rule file is not a mapping", where)
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise MllintError(f"rule file lacks {', '.join(missing)}", where)
    if data["category"] not in CATEGORIES:
        raise MllintError(f"unknown category {data['category']!r}", where)
    if data["severity"] not in SEVERITIES:
        raise MllintError(f"unknown severity {data['severity']!r}", where)
    if data["fix"] not in FIX_KINDS:
        raise MllintError(f"unknown fix kind {data['fix']!r}", where)
    examples = data["examples"] or {}
    return Rule(
        id=data["id"],
        name=data["name"],
        category=data["category"],
        severity=data["severity"],
        summary=data["summary"].strip(),
        rationale=data["rationale"].strip(),
        fix=data["fix"],
        fix_description=(data.get("fix_description") or None),
        examples_bad=tuple(examples.get("bad") or ()),
        examples_good=tuple(examples.get("good") or ()),
        source=str(path),
    )


@functools.lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    root = rules_dir()
    for rel in names():
        if rel.startswith("knowledge/"):
            continue
        path = root / rel
        rule = _rule_from(load(rel), path)
        if rule.id in rules:
            raise MllintError(f"duplicate rule id {rule.id}", str(path))
        rules[rule.id] = rule
    return rules


def match_ids(patterns, *, what: str, where: str | None = None) -> set[str]:
    """Expand ids and ruff-style prefixes (``ML1`` → every ML1xx rule); ``ALL`` is every rule."""
    known = all_rules()
    chosen: set[str] = set()
    for raw in patterns:
        pat = str(raw).strip().upper()
        if pat == "ALL":
            chosen.update(known)
            continue
        hits = {rid for rid in known if rid.startswith(pat)}
        if not hits:
            raise ConfigError(f"{what}: no rule matches {raw!r}", where)
        chosen |= hits
    return chosen
