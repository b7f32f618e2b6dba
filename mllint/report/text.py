"""Human-readable output: plain text for pipes and NO_COLOR, rich on a terminal."""

from __future__ import annotations

from itertools import groupby

from ..findings import Finding
from . import Report, printable

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _underline(f: Finding) -> tuple[str, str]:
    """The source line and a caret line under the finding's span (first line of it)."""
    line = printable(f.snippet.replace("\t", " "))
    start = max(f.span.column - 1, 0)
    end = f.span.end_column - 1 if f.span.end_line == f.span.line else len(f.snippet)
    end = max(end, start + 1)
    prefix = printable(f.snippet[:start].replace("\t", " "))
    width = len(printable(f.snippet[start:end])) or 1
    return line, " " * len(prefix) + "^" * width


def _where(f: Finding) -> str:
    """path:line:column, or just the path for a finding without a file line (an image finding)."""
    if f.span.line < 1:
        return printable(f.path)
    return f"{printable(f.path)}:{f.span.line}:{f.span.column}"


def _summary(report: Report) -> str:
    counts = report.counts()
    files = f"{report.files} file{'s' if report.files != 1 else ''}"
    baselined = ""
    if report.baseline is not None:
        n = len(report.baselined)
        baselined = f" {n} finding{'s' if n != 1 else ''} suppressed by the baseline {printable(report.baseline)}."
    if not report.findings:
        return f"No findings in {files}.{baselined}"
    parts = ", ".join(f"{n} {sev}{'s' if n != 1 and sev != 'info' else ''}" for sev, n in counts.items() if n)
    total = len(report.findings)
    return f"Found {total} finding{'s' if total != 1 else ''} ({parts}) in {files}.{baselined}"


def render_plain(report: Report) -> str:
    out: list[str] = []
    for f in report.findings:
        out.append(f"{_where(f)}: {f.rule} [{f.severity}] "
                   f"{printable(f.message)}")
        if f.snippet:
            source, carets = _underline(f)
            gutter = f"{f.span.line:>5} | "
            out.append(gutter + source)
            out.append(" " * (len(gutter) - 2) + "| " + carets)
    out.append(_summary(report))
    return "\n".join(out) + "\n"


def render_rich(report: Report, file) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=file, highlight=False, soft_wrap=True, force_terminal=True)
    for path, group in groupby(report.findings, key=lambda f: f.path):
        console.print(Text(printable(path), style="bold underline"))
        for f in group:
            head = Text()
            head.append(_where(f), style="bold")
            head.append(" ")
            head.append(f.rule, style=_STYLE[f.severity])
            head.append(f" {f.severity} ", style=_STYLE[f.severity])
            head.append(printable(f.message))
            console.print(head)
            if f.snippet:
                source, carets = _underline(f)
                gutter = f"{f.span.line:>5} │ "
                console.print(Text(gutter, style="dim") + Text(source))
                console.print(Text(" " * (len(gutter) - 2) + "│ ", style="dim") + Text(carets, style=_STYLE[f.severity]))
        console.print()
    console.print(Text(_summary(report), style="bold"))
