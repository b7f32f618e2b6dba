"""Small builders of fix edits for the checks: insertions after a word, appends to a RUN, whole-line
removals. Positions follow the model (1-based, end exclusive); mllint.fix turns them into offsets
of the file and keeps its line ends (a ``\\n`` in an edit's text becomes the file's line end)."""

from __future__ import annotations

from ..dockerfile.shell import unwrap
from ..findings import Edit
from ..model import Instruction, Span, Word


def at(line: int, column: int) -> Span:
    """An empty span: an insertion point."""
    return Span(line, column, line, column)


def insert_after(word: Word, text: str) -> Edit:
    return Edit(at(word.span.end_line, word.span.end_column), text)


def insert_before(word: Word, text: str) -> Edit:
    return Edit(at(word.span.line, word.span.column), text)


def replace(span: Span, text: str) -> Edit:
    return Edit(span, text)


def subcommand_word(step, name: str) -> Word | None:
    """The word ``name`` (e.g. "install") among the first words of a step's command."""
    argv = unwrap(step.command.argv) or step.command.argv
    for w in argv[:6]:
        if w.value == name:
            return w
    return None


def run_end(steps, ins: Instruction) -> Span | None:
    """Where to append `&& cmd` to RUN ``ins``: after its last command (shell form only)."""
    if ins.json_args is not None:
        return None
    ends = [s.command.span for s in steps if s.instruction is ins and s.command.argv]
    if not ends:
        return None
    last = max(ends, key=lambda sp: (sp.end_line, sp.end_column))
    last_word = max((w.span for s in steps if s.instruction is ins for w in s.command.argv),
                    key=lambda sp: (sp.end_line, sp.end_column))
    if (last_word.end_line, last_word.end_column) > (last.end_line, last.end_column):
        last = last_word
    return at(last.end_line, last.end_column)


def delete_lines(span: Span) -> Edit:
    """Remove whole lines ``span.line``..``span.end_line`` (line ends included)."""
    return Edit(Span(span.line, 1, span.end_line + 1, 1), "")
