"""Plain, immutable data that flows one way: parsers build it, checks read it.

Positions are 1-based lines and columns counted in characters (code points);
``end_column`` is exclusive, as in SARIF regions. Text that is not laid out
as in the file (continuation lines joined, a heredoc body, the string of
``sh -c '...'``) carries a :class:`SourceMap` from its offsets back to the file.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping

from .record import field, record


@record(frozen=True, slots=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int  # exclusive

    @staticmethod
    def point(line: int, column: int, length: int = 1) -> "Span":
        return Span(line, column, line, column + max(length, 1))


@record(frozen=True, slots=True)
class SourceMap:
    """Maps offsets in a logical string to file positions.

    The logical string is a run of segments; segment ``i`` starts at logical
    offset ``starts[i]`` and at file position ``(lines[i], columns[i])``, and
    stays on that one physical line.
    """

    starts: tuple[int, ...]
    lines: tuple[int, ...]
    columns: tuple[int, ...]

    @staticmethod
    def single(line: int, column: int) -> "SourceMap":
        return SourceMap((0,), (line,), (column,))

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect_right(self.starts, offset) - 1
        if i < 0:
            i = 0
        return self.lines[i], self.columns[i] + (offset - self.starts[i])

    def span(self, start: int, end: int) -> Span:
        """Span of logical offsets ``[start, end)``. (Hot: every word of every command gets one.)"""
        starts = self.starts
        i = bisect_right(starts, start) - 1
        if i < 0:
            i = 0
        line, col = self.lines[i], self.columns[i] + (start - starts[i])
        if end <= start:
            return Span(line, col, line, col + 1)
        last = end - 1
        if i + 1 < len(starts) and last >= starts[i + 1]:  # the span crosses into a later segment
            i = bisect_right(starts, last) - 1
        return Span(line, col, self.lines[i], self.columns[i] + (last - starts[i]) + 1)

    def sub(self, base: int) -> "SourceMap":
        """Map for the substring that starts at logical offset ``base``."""
        i = max(bisect_right(self.starts, base) - 1, 0)
        line, col = self.position(base)
        starts = [0] + [s - base for s in self.starts[i + 1 :]]
        return SourceMap(tuple(starts), (line,) + self.lines[i + 1 :], (col,) + self.columns[i + 1 :])


# --------------------------------------------------------------------------- Dockerfile


@record(frozen=True, slots=True)
class Variable:
    """An ARG or ENV known at some point of a Dockerfile."""

    name: str
    value: str | None  # None: ARG declared without a default (set only by --build-arg)
    kind: str  # "arg" | "env"
    span: Span  # where it was declared


@record(frozen=True, slots=True)
class Flag:
    """An instruction flag such as ``--mount=type=cache,target=/root/.cache``."""

    name: str  # without dashes: "mount", "from", "chown", "platform"
    value: str | None
    span: Span


@record(frozen=True, slots=True)
class Word:
    """One shell or JSON word: ``value`` has quotes and escapes removed."""

    value: str
    raw: str
    span: Span
    quoted: bool = False  # some part of it was quoted
    single_quoted: bool = False  # all of it was in single quotes: no $ expansion


@record(frozen=True, slots=True)
class Heredoc:
    delimiter: str
    quoted: bool  # <<"EOF" / <<'EOF': no expansion inside
    strip_tabs: bool  # <<-EOF
    body: str  # without the terminator line; leading tabs removed when strip_tabs
    source: SourceMap  # offsets in ``body`` -> file
    span: Span  # body and terminator line


@record(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper-case: RUN, FROM, COPY, ...
    span: Span  # keyword to the end of its last line, heredocs included
    text: str  # logical line from the keyword: continuations joined, comment lines dropped
    source: SourceMap  # offsets in ``text`` -> file
    args_offset: int  # offset in ``text`` where the arguments start (after flags)
    flags: tuple[Flag, ...]
    json_args: tuple[Word, ...] | None  # exec form (["a", "b"]); None for shell form
    heredocs: tuple[Heredoc, ...]
    stage: int  # index into Dockerfile.stages; -1 for ARGs before the first FROM
    variables: Mapping[str, Variable]  # ARG/ENV in scope for this instruction
    ignores: frozenset[str] = frozenset()  # from "# mllint: ignore=..." just above

    @property
    def args(self) -> str:
        return self.text[self.args_offset :]

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None


@record(frozen=True, slots=True)
class Stage:
    index: int
    name: str | None  # the AS alias, lower-cased
    base: str  # image reference after ARG expansion, or an earlier stage's name
    base_raw: str  # as written
    base_span: Span
    base_stage: int | None  # index of the stage it builds on, if any
    platform: str | None
    instructions: tuple[Instruction, ...]  # FROM first


@record(frozen=True, slots=True)
class Dockerfile:
    path: str  # as displayed in findings
    directives: Mapping[str, str]  # syntax, escape, check (lower-case keys)
    escape: str
    instructions: tuple[Instruction, ...]  # every instruction, in order
    global_args: tuple[Instruction, ...]  # ARGs before the first FROM
    stages: tuple[Stage, ...]
    file_ignores: frozenset[str] = frozenset()  # "# mllint: ignore-file=..."
    lines: tuple[str, ...] = field(default=(), repr=False)  # physical lines, for reports

    def stage_named(self, name: str) -> Stage | None:
        name = name.lower()
        for s in self.stages:
            if s.name == name:
                return s
        if name.isascii() and name.isdigit() and len(name) < 10 and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None
