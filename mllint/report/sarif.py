"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` holds every rule that has a result (with help text and markdown,
``helpUri`` to the rule's page, default level, category tags and, for security rules,
``security-severity``); each result has a full region in Unicode code points (``columnKind``),
a relative URI under ``%SRCROOT%``, the stable fingerprint shared with GitLab and baselines,
and ``fixes`` when the finding carries text edits.
"""

from __future__ import annotations

import json

from .. import __version__
from ..findings import Finding
from ..model import Span
from ..rules import HOMEPAGE, Rule, all_rules
from . import Report
from .locations import SRCROOT, artifact_location, location_of, srcroot_uri

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# GitHub reads security-severity as a CVSS-like score: >=9 critical, 7-8.9 high, 4-6.9 medium, <4 low.
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.5", "info": "2.0"}
FINGERPRINT_KEY = "mllint/v1"
_MAX_DESCRIPTION = 1024  # GitHub's limit for short/full descriptions


def _clip(text: str, limit: int = _MAX_DESCRIPTION) -> str:
    text = " ".join(text.split()) if len(text) > limit else text
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _help_text(rule: Rule) -> str:
    parts = [rule.summary, rule.rationale]
    if rule.fix_description:
        parts.append(f"Fix: {rule.fix_description}")
    parts.append(f"Silence: `# mllint: ignore={rule.id}` above the instruction, or `ignore: [{rule.id}]` "
                 f"in .mllint.yaml.")
    parts.append(f"Documentation: {rule.doc_url}")
    return "\n\n".join(parts)


def _help_markdown(rule: Rule) -> str:
    from ..ruledocs import render

    return render(rule, links=False) + f"\n[Documentation]({rule.doc_url})\n"


def rule_descriptor(rule: Rule) -> dict:
    security = rule.category == "security"
    properties: dict = {"tags": [rule.category]}  # "security" marks security rules for GitHub
    if security:
        properties["security-severity"] = str(getattr(rule, "security_severity", None)
                                              or SECURITY_SEVERITY[rule.severity])
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": _clip(rule.summary)},
        "fullDescription": {"text": _clip(rule.rationale)},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "helpUri": rule.doc_url,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def _unknown_rule(rule_id: str) -> dict:
    return {"id": rule_id, "shortDescription": {"text": rule_id}, "fullDescription": {"text": rule_id},
            "help": {"text": rule_id}}


def _region(span: Span) -> dict:
    return {"startLine": span.line, "startColumn": max(span.column, 1),
            "endLine": max(span.end_line, span.line), "endColumn": max(span.end_column, 1)}


def _location(f: Finding) -> dict:
    loc = location_of(f)
    if loc.span is None:
        return {"logicalLocations": [{"name": loc.path, "fullyQualifiedName": loc.path, "kind": "resource"}]}
    return {"physicalLocation": {"artifactLocation": artifact_location(f.path), "region": _region(loc.span)}}


def _fixes(f: Finding) -> list[dict]:
    if not f.edits or f.span.line < 1:
        return []
    by_path: dict[str, list] = {}
    for e in f.edits:
        if hasattr(e, "span"):  # a whole-file FileEdit (.dockerignore lines) has no region to replace
            by_path.setdefault(e.path or f.path, []).append(e)
    if not by_path:
        return []
    return [{
        "description": {"text": f.fix or "Apply mllint's fix"},
        "artifactChanges": [{
            "artifactLocation": artifact_location(path),
            "replacements": [{"deletedRegion": _region(e.span), "insertedContent": {"text": e.text}}
                             for e in edits],
        } for path, edits in by_path.items()],
    }]


def render(report: Report, rules: dict[str, Rule] | None = None) -> str:
    rules = all_rules() if rules is None else rules
    fingerprints = report.fingerprints()
    used = sorted({f.rule for f in report.findings})
    index = {rid: i for i, rid in enumerate(used)}
    results = []
    for f in report.findings:
        fp = fingerprints[f]
        result: dict = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [_location(f)],
            # GitHub tracks alerts by primaryLocationLineHash; ours ignores line numbers, so an
            # alert survives lines inserted above it (upload-sarif keeps a value that is present).
            "partialFingerprints": {FINGERPRINT_KEY: fp, "primaryLocationLineHash": fp},
            "properties": {"category": f.category},
        }
        if f.fix:
            result["properties"]["fix"] = f.fix
        fixes = _fixes(f)
        if fixes:
            result["fixes"] = fixes
        results.append(result)
    run = {
        "tool": {"driver": {
            "name": "mllint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": HOMEPAGE,
            "rules": [rule_descriptor(rules[rid]) if rid in rules else _unknown_rule(rid) for rid in used],
        }},
        "invocations": [{
            "executionSuccessful": not report.errors,
            "toolExecutionNotifications": [{"level": "error", "message": {"text": e}} for e in report.errors],
            "workingDirectory": {"uri": srcroot_uri()},
        }],
        "originalUriBaseIds": {SRCROOT: {"uri": srcroot_uri()}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.baseline is not None:
        run["properties"] = {"baseline": report.baseline, "baselineSuppressed": len(report.baselined)}
    return json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
