"""GitHub Actions workflow commands: one annotation per finding.

``::warning file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message``. Data is escaped as the
runner expects (``%`` → ``%25``, CR → ``%0D``, LF → ``%0A``; in properties also ``:`` → ``%3A`` and
``,`` → ``%2C``), and other control characters are shown as escapes, so input text cannot inject a
command. GitHub takes columns on one line only: a span over several lines gets lines, not columns.
``endColumn`` is inclusive (the last character), as GitHub's annotations are.
"""

from __future__ import annotations

from . import Report, printable
from .locations import location_of

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    from ..rules import all_rules

    rules = all_rules()
    out = []
    for f in report.findings:
        loc = location_of(f)
        props: list[tuple[str, object]] = []
        if loc.span is not None:
            span = loc.span
            props += [("file", f.path), ("line", span.line)]
            if span.end_line <= span.line:
                props += [("col", span.column), ("endLine", span.line),
                          ("endColumn", max(span.end_column - 1, span.column))]
            else:
                props += [("endLine", span.end_line)]
            message = f.message
        else:  # no file line: name the image in the message
            message = f"{f.path}: {f.message}"
        rule = rules.get(f.rule)
        title = f"{f.rule} {rule.name}" if rule else f.rule
        props.append(("title", title))
        head = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
        out.append(f"::{COMMANDS.get(f.severity, 'warning')} {head}::{escape_data(message)}")
    return "".join(line + "\n" for line in out)
