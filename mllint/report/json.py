"""The JSON report. Its shape is a contract: other tools and CI gates read it."""

from __future__ import annotations

import json
from collections import Counter

from .. import __version__
from . import Report


def render(report: Report) -> str:
    findings = [
        {
            "rule": f.rule,
            "category": f.category,
            "severity": f.severity,
            "path": f.path,
            # an image finding the Dockerfile does not explain has no line: null positions
            "line": f.span.line if f.span.line >= 1 else None,
            "column": f.span.column if f.span.line >= 1 else None,
            "end_line": f.span.end_line if f.span.line >= 1 else None,
            "end_column": f.span.end_column if f.span.line >= 1 else None,
            "message": f.message,
            "fix": f.fix,
        }
        for f in report.findings
    ]
    summary = {
        "files": report.files,
        "findings": len(report.findings),
        "failing": report.failing,
        "by_severity": report.counts(),
        "by_category": dict(sorted(Counter(f.category for f in report.findings).items())),
        "errors": list(report.errors),
    }
    if report.baseline is not None:  # only with --baseline, so the default shape stays as it was
        summary["baseline_suppressed"] = len(report.baselined)
    return json.dumps({"version": __version__, "findings": findings, "summary": summary}, indent=2) + "\n"
