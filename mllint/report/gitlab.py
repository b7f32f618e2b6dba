"""GitLab Code Quality report: a JSON array, declared as ``artifacts: reports: codequality:``.

GitLab reads ``description``, ``check_name``, ``fingerprint`` (unique; stable across edits:
the same one SARIF and baselines use, without line numbers), ``severity``
(info | minor | major | critical | blocker), ``location.path`` and ``location.lines.begin``.
The Code Climate fields it ignores (``type``, ``categories``, ``content``) are there for other
Code Climate readers. No byte-order mark.
"""

from __future__ import annotations

import json

from . import Report
from .locations import location_of

SEVERITIES = {"error": "critical", "warning": "major", "info": "info"}
CATEGORIES = {"pinning": "Bug Risk", "production": "Bug Risk", "size": "Performance", "cuda": "Compatibility",
              "security": "Security", "best-practice": "Style"}


def render(report: Report) -> str:
    from ..rules import all_rules

    rules = all_rules()
    fingerprints = report.fingerprints()
    issues = []
    for f in report.findings:
        loc = location_of(f)
        begin = loc.span.line if loc.span is not None else 1
        end = max(loc.span.end_line, begin) if loc.span is not None else 1
        rule = rules.get(f.rule)
        issue = {
            "description": f"{f.rule}: {f.message}",
            "check_name": f.rule,
            "fingerprint": fingerprints[f],
            "severity": SEVERITIES.get(f.severity, "major"),
            "location": {"path": loc.path, "lines": {"begin": begin, "end": end}},
            "type": "issue",
            "categories": [CATEGORIES.get(f.category, "Bug Risk")],
        }
        if rule is not None:
            issue["content"] = {"body": f"{rule.summary}\n\n{rule.rationale}\n\nSee {rule.doc_url}"}
        issues.append(issue)
    return json.dumps(issues, indent=2) + "\n"
