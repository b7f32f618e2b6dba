"""Helpers shared by the production, size and security checks: words of instructions with exact
spans, COPY/ADD sources, and the shipped stages' instructions."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from ..dockerfile.expand import expand
from ..dockerfile.shell import split_commands, unwrap
from ..model import Instruction, Span, Word
from ..record import record
from ..target import Step, Target

_WORD = re.compile(r"\S+")
PIP_LIKE = frozenset({"pip", "uv", "pipenv", "pdm", "poetry"})
CONDA_LIKE = frozenset({"conda", "mamba", "micromamba"})
APT_LIKE = frozenset({"apt-get", "apt"})
OS_LIKE = frozenset({"apt-get", "apt", "apk", "dnf", "yum", "microdnf"})


def arg_words(ins: Instruction) -> list[Word]:
    """The arguments of an instruction as words with their file spans (exec form: its JSON words)."""
    if ins.json_args is not None:
        return list(ins.json_args)
    words = []
    base = ins.args_offset
    for m in _WORD.finditer(ins.args):
        raw = m.group()
        value = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" else raw
        words.append(Word(value, raw, ins.source.span(base + m.start(), base + m.end()), value != raw))
    return words


def assignments(ins: Instruction) -> list[tuple[str, Span, Word | None]]:
    """ARG/ENV declarations: (name, name span, value word or None)."""
    out = []
    for cmd in split_commands(ins.args, ins.source.sub(ins.args_offset)):
        for name, word in cmd.assignments:
            start = word.span
            name_span = Span(start.line, max(start.column - len(name) - 1, 1), start.line, max(start.column - 1, 2))
            out.append((name, name_span, word))
        argv = list(cmd.argv)
        if ins.keyword == "ENV" and len(argv) >= 2 and not cmd.assignments:  # ENV KEY value (old form)
            first, rest = argv[0], argv[1:]
            value = " ".join(w.value for w in rest)
            span = Span(rest[0].span.line, rest[0].span.column, rest[-1].span.end_line, rest[-1].span.end_column)
            out.append((first.value, first.span, Word(value, value, span)))
        else:
            for word in argv:
                name, eq, _ = word.value.partition("=")
                out.append((name, word.span, None))
    return out


def empty_assignment_span(name_span: Span, word: Word) -> Span:
    return word.span if word.span.end_column > word.span.column else name_span


@record(frozen=True, slots=True)
class Copy:
    ins: Instruction
    sources: tuple[Word, ...]
    dest: str  # absolute, expanded
    dest_word: Word
    from_stage: str | None  # --from value
    chown: bool


def copies(t: Target, shipped_only: bool = True) -> tuple[Copy, ...]:
    """COPY/ADD instructions of the shipped stages (or of every stage in use), computed once."""
    return t.once(("copies", shipped_only), lambda t: tuple(_copies(t, shipped_only)))


def _copies(t: Target, shipped_only: bool) -> Iterator[Copy]:
    for ins in t.dockerfile.instructions:
        if ins.keyword not in ("COPY", "ADD") or ins.heredocs or ins.stage < 0:
            continue
        if shipped_only and not t.ships(ins):
            continue
        if not shipped_only and not t.in_use(ins):
            continue
        words = arg_words(ins)
        if len(words) < 2:
            continue
        *sources, dest = words
        value, _ = expand(dest.value, ins.variables)
        dest_abs = posixpath.normpath(posixpath.join(t.workdir(ins), value))
        if value.endswith("/") or value in (".", "./"):
            dest_abs = dest_abs.rstrip("/") + "/"
        frm = ins.flag("from")
        yield Copy(ins, tuple(sources), dest_abs, dest, frm.value if frm else None,
                   ins.flag("chown") is not None or ins.flag("chmod") is not None)


def expanded(word: Word, ins: Instruction) -> str:
    return expand(word.value, ins.variables)[0]


def shipped_steps(t: Target) -> Iterator[tuple[int, Step]]:
    for i, step in enumerate(t.steps):
        if t.ships(step.instruction):
            yield i, step


def used_steps(t: Target) -> Iterator[tuple[int, Step]]:
    for i, step in enumerate(t.steps):
        if t.in_use(step.instruction):
            yield i, step


def program(step: Step) -> tuple[str, tuple[Word, ...]]:
    """(command name, its arguments) after wrappers such as sudo."""
    argv = unwrap(step.command.argv)
    if not argv:
        return "", ()
    return posixpath.basename(argv[0].value), argv[1:]


_BY_RUN: tuple = (None, {})  # (steps, steps grouped by instruction) of the last target: a lookup, not a scan


def same_run(t: Target, step: Step) -> list[Step]:
    global _BY_RUN
    steps, groups = _BY_RUN  # one tuple: read and replaced atomically, safe across threads
    if steps is not t.steps:
        groups = {}
        for s in t.steps:
            groups.setdefault(id(s.instruction), []).append(s)
        _BY_RUN = (t.steps, groups)
    return list(groups.get(id(step.instruction), ()))


def word_span(words: tuple[Word, ...] | list[Word]) -> Span:
    first, last = words[0].span, words[-1].span
    return Span(first.line, first.column, last.end_line, last.end_column)


def command_head(step: Step, upto: str | None = None) -> Span:
    """From the program word to ``upto`` (e.g. "install"), or the program word alone."""
    argv = unwrap(step.command.argv) or step.command.argv
    if not argv:
        return step.command.span
    if upto is not None:
        for k, w in enumerate(argv[:6]):
            if w.value == upto:
                return word_span(argv[: k + 1])
    return argv[0].span


def shipped_root_stage(t: Target):
    """The first stage of the shipped FROM chain: its base is the external image that ships."""
    df = t.dockerfile
    index = t.target_stage
    seen = set()
    while df.stages[index].base_stage is not None and index not in seen:
        seen.add(index)
        index = df.stages[index].base_stage
    return df.stages[index]


def mounts(ins: Instruction) -> list[dict[str, str]]:
    out = []
    for flag in ins.flags:
        if flag.name == "mount" and flag.value:
            out.append({k.strip(): v.strip() for k, _, v in (p.partition("=") for p in flag.value.split(","))})
    return out


def cache_mount(ins: Instruction, *targets: str) -> bool:
    for m in mounts(ins):
        if m.get("type") == "cache":
            where = m.get("target") or m.get("dst") or m.get("destination") or ""
            if not targets or any(where.rstrip("/").startswith(t) or t.startswith(where.rstrip("/") + "/")
                                  for t in targets):
                return True
    return False


def shown(paths: list[str], total: int, limit: int = 3) -> str:
    names = ", ".join(f"`{p}`" for p in paths[:limit])
    more = total - min(len(paths), limit)
    return names + (f" and {more} more" if more > 0 else "")


def artifact_folder_stop(rel: str) -> bool:
    """Folders a context walk reports by name instead of entering: datasets, experiment logs, .git."""
    from .. import knowledge

    base = posixpath.basename(rel)
    a = knowledge.artifacts()
    return base in a["data_folders"] or base in a["log_folders"]
