"""A finding: what a check reports, before the engine applies config and pragmas."""

from __future__ import annotations

from .model import Span
from .record import field, record

SEVERITIES = ("info", "warning", "error")  # ascending
SEVERITY_RANK = {name: i for i, name in enumerate(SEVERITIES)}


@record(frozen=True, slots=True)
class Edit:
    """One text edit of a fix: replace the text at ``span`` (end exclusive) in the finding's file,
    or in ``path`` when the fix belongs to another file (a requirements file the Dockerfile installs)."""

    span: Span
    text: str
    path: str | None = None  # None: the finding's own file


@record(frozen=True, slots=True)
class FileEdit:
    """A whole-file edit: make sure ``path`` holds these ``lines``, appending the missing ones at its
    end and creating the file when it does not exist (a ``.dockerignore``). Two FileEdits of one
    file never conflict: their lines are merged in order, each once."""

    path: str
    lines: tuple[str, ...]


@record(frozen=True, slots=True)
class Finding:
    """``path`` and ``span`` locate it; a span with ``line == 0`` has no file line (an image
    finding the Dockerfile does not explain): ``path`` then names the image, and reports show it
    as a logical location (see mllint.report.locations)."""

    rule: str
    path: str
    span: Span
    message: str
    # Filled in by the engine from the rule's metadata and the config:
    severity: str = "warning"
    category: str = ""
    fix: str | None = None
    snippet: str = field(default="", compare=False)  # the source line the span starts on
    # Secret values this finding is about: the engine replaces them with *** in message and snippet
    # (and in every other finding of the target), so no output format can show them.
    secrets: tuple[str, ...] = field(default=(), compare=False, repr=False)
    edits: tuple[Edit | FileEdit, ...] = field(default=(), compare=False)  # a fix as text edits, when one is known

    def sort_key(self):
        return (self.path, self.span.line, self.span.column, self.rule, self.message)
