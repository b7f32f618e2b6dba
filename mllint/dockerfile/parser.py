"""Dockerfile parser: BuildKit's structure, with exact line and column positions.

The structure follows moby/buildkit (``frontend/dockerfile/parser`` and
``instructions``): parser directives, line continuations that skip blank and
comment lines, flags, the JSON (exec) form, heredocs, stages and ARG/ENV
scoping. Everything a check may point at carries a position in the file.

``Instruction.variables`` is the scope an instruction *sees*: what ARG and
ENV declared before it, not what the instruction itself declares. FROM sees
the global ARGs (those before the first FROM); every other instruction sees
its stage's ARGs and ENVs plus the ENVs inherited from a base stage.
"""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType

from mllint.dockerfile.expand import expand
from mllint.errors import ParseError
from mllint.model import (
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    SourceMap,
    Span,
    Stage,
    Variable,
    Word,
)

from ..record import record

KEYWORDS = frozenset(
    "FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG "
    "ONBUILD STOPSIGNAL HEALTHCHECK SHELL".split()
)
_JSON_FORMS = frozenset("RUN CMD ENTRYPOINT SHELL COPY ADD VOLUME HEALTHCHECK".split())
_HEREDOC_FORMS = frozenset("RUN COPY ADD".split())

_BLANKS = re.compile(r"[ \t\v\f\r]+")  # BuildKit's reWhitespace: splits keyword and FROM words


def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Possessive quantifiers and atomic groups keep these scans linear; Python 3.10's re lacks
    them, and there the plain forms match the same text (nothing after them can fail)."""
    if sys.version_info < (3, 11):
        pattern = pattern.replace("(?>", "(?:").replace("++", "+").replace("*+", "*").replace("?+", "?")
    return re.compile(pattern, flags)


_NON_BLANKS = re.compile(r"[^ \t\v\f\r]+")
_DIRECTIVE = re.compile(r"#[ \t\f]*([a-zA-Z][a-zA-Z0-9]*)[ \t\f]*=")
_PRAGMA = re.compile(r"#\s*mllint\s*:\s*(ignore-file|ignore)\s*=(.*)", re.IGNORECASE)
_PRAGMA_IDS = re.compile(r"[\s,]+")
# A flag word: quotes may hide spaces, a backslash escapes the next character.
_FLAG_WORD = _rx(r"""--(?>[^\s'"\\]++|'(?:[^'\\]|\\.)*+'?|"(?:[^"\\]|\\.)*+"?|\\.?)*+""", re.S)
# A word of BuildKit's shell lexer, as heredocsFromLine sees it (escape is always
# a backslash; "<<" keeps the blanks after it); a lone quote is an unterminated one.
_SHELL_WORD = _rx(
    r"""(?>[^\s'"\\<]++|'[^']*+'|"(?:[^"\\]|\\.)*+"|\\.?|<<[ \t\r]*+|<)++|(?P<bad>['"])""", re.S
)
_HEREDOC = re.compile(r"(\d*)<<(-?)[ \t\n\f\r]*([^<]*)")
_DELIMITER_PART = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.?)|([^'"\\]+)""", re.S)
_DQ_ESCAPE = re.compile(r'\\([\\"$])')  # what a backslash escapes inside double quotes
_SPACE = re.compile(r"\s*")
_FLAG_PART = _rx(r"""\\(.?)|'((?:[^'\\]|\\.)*+)'?|"((?:[^"\\]|\\.)*+)"?|([^'"\\]+)""", re.S)
_BACKSLASH = re.compile(r"\\(.?)", re.S)
# one element of a JSON array of strings, with the "," or "]" after it
_JSON_ELEMENT = _rx(r'[ \t\n\r]*+("(?:[^"\\]|\\.)*+")[ \t\n\r]*+[,\]]')


def _reject(name: str) -> None:
    raise ValueError(name)


_JSON = json.JSONDecoder(parse_constant=_reject)  # Go's JSON has no NaN or Infinity


@lru_cache(maxsize=None)
def _arg_word(escape: str) -> re.Pattern[str]:
    """A word of ARG/ENV arguments (BuildKit's parseWords): quotes kept, may run to the end."""
    e = re.escape(escape)
    return _rx(rf"""(?>[^\s'"{e}]++|'[^']*+'?|"(?:[^"{e}]|{e}.)*+"?|{e}.?)++""", re.S)


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Parse a decoded Dockerfile; ``path`` is only used in messages and findings."""
    lines = _split_lines(text)
    reader = _Reader(lines, path)
    directives = reader.directives()
    builder = _Builder(path, reader.escape)
    for raw in reader.instructions():
        builder.add(raw)
    if not builder.instructions:
        raise ParseError("no instructions", path)
    return Dockerfile(
        path=path,
        directives=MappingProxyType(directives),
        escape=reader.escape,
        instructions=tuple(builder.instructions),
        global_args=tuple(builder.global_args),
        stages=builder.stages(),
        file_ignores=frozenset(reader.file_ignores),
        lines=lines,
    )


def _split_lines(text: str) -> tuple[str, ...]:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":  # the newline that ends the last line does not start another
        lines.pop()
    return tuple(lines)


# --------------------------------------------------------------------------- reading lines


@record(slots=True)
class _Raw:
    """An instruction as read, before stages and scopes are known."""

    keyword: str
    span: Span
    text: str
    source: SourceMap
    args_offset: int
    flags: tuple[Flag, ...]
    json_args: tuple[Word, ...] | None
    heredocs: tuple[Heredoc, ...]
    ignores: frozenset[str]


class _Reader:
    def __init__(self, lines: tuple[str, ...], path: str):
        self.lines = lines
        self.path = path
        self.pos = 0  # index of the next line to read
        self.escape = "\\"
        self.file_ignores: set[str] = set()
        self.pending: set[str] = set()  # "ignore=" ids from the comments just read

    def directives(self) -> dict[str, str]:
        """Read the parser directives at the top; stop at the first other line."""
        found: dict[str, str] = {}
        while self.pos < len(self.lines):
            line = self.lines[self.pos].lstrip()
            m = _DIRECTIVE.match(line)
            value = line[m.end() :].strip(" \t\n\f\r") if m else ""
            key = m.group(1).lower() if m else ""
            if not value or key not in ("syntax", "escape", "check"):
                break
            if key in found:
                raise ParseError(f"only one {key} parser directive can be used", self.path, self.pos + 1)
            if key == "escape":
                if value not in ("\\", "`"):
                    message = f"invalid escape token '{value}' does not match ` or \\"
                    raise ParseError(message, self.path, self.pos + 1)
                self.escape = value
            found[key] = value
            self.pos += 1
        return found

    def instructions(self) -> Iterator[_Raw]:
        lines = self.lines
        while self.pos < len(lines):
            line = lines[self.pos]
            body = line.lstrip()
            if not body:
                self.pending = set()  # a blank line detaches the pragmas above it
                self.pos += 1
            elif body[0] == "#":
                self._comment(body)
                self.pos += 1
            else:
                yield self._instruction(len(line) - len(body) + 1)

    def _comment(self, body: str) -> None:
        m = _PRAGMA.match(body)
        if m:
            ids = {i.upper() for i in _PRAGMA_IDS.split(m.group(2)) if i}
            (self.file_ignores if m.group(1).lower() == "ignore-file" else self.pending).update(ids)

    def _instruction(self, column: int) -> _Raw:
        first_line = self.pos + 1
        text, source, last_line = self._logical_line(column)
        if not text:  # BuildKit makes an instruction with no keyword of it, which docker build refuses
            raise ParseError("line continuation with no instruction after it", self.path, first_line)
        line, col = source.position(0)
        keyword, flags, args_offset = _split_command(text, source)
        if keyword not in KEYWORDS:
            # BuildKit's parser keeps it and `docker build` refuses it: a finding (ML601), so that
            # the rest of the file (often a template with {placeholders}) is still linted.
            ignores, self.pending = frozenset(self.pending), set()
            span = Span(line, col, last_line, len(self.lines[last_line - 1]) + 1)
            return _Raw(keyword, span, text, source, len(text), (), None, (), ignores)
        json_args = _json_words(text, args_offset, source, keyword, self.path, line)
        heredocs: tuple[Heredoc, ...] = ()
        if "<<" in text and self._can_hold_heredocs(keyword, json_args, text, args_offset, line):
            heredocs = tuple(self._heredoc(text, source, *h) for h in _heredoc_words(text))
        if heredocs:
            span = Span(line, col, heredocs[-1].span.end_line, heredocs[-1].span.end_column)
        else:
            span = Span(line, col, last_line, len(self.lines[last_line - 1]) + 1)
        ignores, self.pending = frozenset(self.pending), set()
        return _Raw(keyword, span, text, source, args_offset, flags, json_args, heredocs, ignores)

    def _logical_line(self, column: int) -> tuple[str, SourceMap, int]:
        """Join an instruction's continuation lines; return text, map and last line.

        A pragma comment between the continuation lines applies to this instruction.
        """
        lines, escape = self.lines, self.escape
        piece, more = _trim_continuation(lines[self.pos][column - 1 :], escape)
        pieces, starts, nums, cols = [piece], [0], [self.pos + 1], [column]
        offset, last = len(piece), self.pos + 1
        self.pos += 1
        while more and self.pos < len(lines):
            line = lines[self.pos]
            self.pos += 1
            body = line.lstrip()
            if body.startswith("#"):  # BuildKit drops comment and blank lines here
                self._comment(body)
                continue
            if not body:
                continue
            piece, more = _trim_continuation(line, escape)
            if piece:
                pieces.append(piece)
                starts.append(offset)
                nums.append(self.pos)
                cols.append(1)
                offset += len(piece)
            last = self.pos
        return _finish_text("".join(pieces), SourceMap(tuple(starts), tuple(nums), tuple(cols)), last)

    def _can_hold_heredocs(
        self, keyword: str, json_args: tuple[Word, ...] | None, text: str, args_offset: int, line: int
    ) -> bool:
        """RUN, COPY and ADD in shell form, also as ONBUILD's trigger (BuildKit's canContainHeredoc)."""
        if keyword == "ONBUILD":
            inner = text[args_offset:]
            source = SourceMap.single(line, 1)  # positions are not needed here
            keyword, _, offset = _split_command(inner, source)
            json_args = _json_words(inner, offset, source, keyword, self.path, line)
        return keyword in _HEREDOC_FORMS and json_args is None

    def _heredoc(
        self, text: str, source: SourceMap, start: int, end: int, name: str, quoted: bool, strip: bool
    ) -> Heredoc:
        """Read the body of the heredoc written at ``text[start:end]`` and its terminator."""
        lines, first = self.lines, self.pos
        for last in range(first, len(lines)):
            if (lines[last].lstrip("\t") if strip else lines[last]) == name:
                break
        else:
            line = source.position(start)[0]
            raise ParseError(f"unterminated heredoc {text[start:end]} started here", self.path, line)
        self.pos = last + 1
        body, starts, cols = [], [], []
        offset = 0
        for n in range(first, last):
            line = lines[n].lstrip("\t") if strip else lines[n]
            body.append(line + "\n")  # every body line ends with a newline, as in BuildKit
            starts.append(offset)
            cols.append(len(lines[n]) - len(line) + 1)
            offset += len(line) + 1
        if body:
            source_map = SourceMap(tuple(starts), tuple(range(first + 1, last + 1)), tuple(cols))
        else:
            source_map = SourceMap.single(last + 1, 1)
        span = Span(first + 1, 1, last + 1, len(lines[last]) + 1)
        return Heredoc(name, quoted, strip, "".join(body), source_map, span)


def _trim_continuation(line: str, escape: str) -> tuple[str, bool]:
    """BuildKit's rule: the line ends with the escape character (trailing blanks
    ignored) that is not itself escaped; the character and blanks are dropped."""
    stripped = line.rstrip(" \t")
    if stripped.endswith(escape) and (len(stripped) == 1 or stripped[-2] != escape):
        return stripped[:-1], True
    return line, False


def _finish_text(text: str, source: SourceMap, last: int) -> tuple[str, SourceMap, int]:
    """Trim the joined line to start at the keyword and end at its last non-blank."""
    lead = len(text) - len(text.lstrip())
    if lead:  # only when the first line was a lone escape character
        text, source = text[lead:], source.sub(lead)
    text = text.rstrip()
    starts = source.starts
    keep = max(bisect_right(starts, max(len(text) - 1, 0)), 1)
    if keep < len(starts):
        source = SourceMap(starts[:keep], source.lines[:keep], source.columns[:keep])
    return text, source, last


# --------------------------------------------------------------------------- words of one instruction


def _split_command(text: str, source: SourceMap) -> tuple[str, tuple[Flag, ...], int]:
    """Keyword (upper-case), the ``--flags`` after it, and where the arguments start."""
    m = _BLANKS.search(text)
    if not m:
        return text.upper(), (), len(text)
    flags, args_offset = _flags(text, m.end(), source)
    return text[: m.start()].upper(), flags, args_offset


def _flags(text: str, pos: int, source: SourceMap) -> tuple[tuple[Flag, ...], int]:
    """BuildKit's extractBuilderFlags: ``--name[=value]`` words until another word or ``--``."""
    flags = []
    while True:
        pos = _skip_space(text, pos)
        if not text.startswith("--", pos):
            return tuple(flags), pos
        m = _FLAG_WORD.match(text, pos)
        word = _unquote_flag(m.group())
        if word == "--":
            return tuple(flags), _skip_space(text, m.end())
        name, eq, value = word[2:].partition("=")
        flags.append(Flag(name, value if eq else None, source.span(pos, m.end())))
        pos = m.end()


def _skip_space(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()


def _unquote_flag(raw: str) -> str:
    """A flag word without its quotes and backslash escapes (which work inside quotes too)."""
    out = []
    for m in _FLAG_PART.finditer(raw):
        escaped, single, double, plain = m.groups()
        if plain is not None:
            out.append(plain)
        elif escaped is not None:
            out.append(escaped)
        else:
            out.append(_BACKSLASH.sub(r"\1", single if single is not None else double))
    return "".join(out)


def _json_words(
    text: str, start: int, source: SourceMap, keyword: str, path: str, line: int
) -> tuple[Word, ...] | None:
    """Elements of the exec form ``["a", "b"]`` (BuildKit: trailing text after the array is ignored)."""
    if keyword not in _JSON_FORMS:
        return None
    if keyword == "HEALTHCHECK":  # HEALTHCHECK [--flags] CMD ["a", "b"]
        m = _BLANKS.search(text, start)
        if not m:
            return None
        start = m.end()
    if not text.startswith("[", start):
        return None
    try:
        values, _ = _JSON.raw_decode(text, start)
    except ValueError:
        return None  # not JSON: shell form
    if not all(isinstance(v, str) for v in values):
        raise ParseError("when using JSON array syntax, arrays must be comprised of strings only", path, line)
    words = []
    pos = start + 1
    for value in values:
        m = _JSON_ELEMENT.match(text, pos)
        words.append(Word(value, m.group(1), source.span(m.start(1), m.end(1)), quoted=True))
        pos = m.end()
    return tuple(words)


def _heredoc_words(text: str) -> list[tuple[int, int, str, bool, bool]]:
    """``(start, end, name, quoted, strip_tabs)`` of each heredoc word, in order.

    As BuildKit: the line is split into shell words and a word is a heredoc when
    it is ``[n]<<[-]WORD`` as a whole, so ``"<<EOF"``, ``cat<<EOF`` and
    ``<<<x`` are not. An unterminated quote makes BuildKit find none at all.
    """
    found = []
    for m in _SHELL_WORD.finditer(text):
        if m.group("bad"):
            return []
        h = _HEREDOC.fullmatch(m.group()) if "<<" in m.group() else None
        if h:
            name, quoted = _heredoc_name(h.group(3))
            if name:  # "<<" alone or <<'' is no heredoc
                found.append((m.start(), m.end(), name, quoted, h.group(2) == "-"))
    return found


def _heredoc_name(word: str) -> tuple[str, bool]:
    """The delimiter after quote removal, and whether any part of it was quoted."""
    name, quoted = [], False
    for part in _DELIMITER_PART.finditer(word):
        single, double, escaped, plain = part.groups()
        if single is not None:
            name.append(single)
        elif double is not None:
            name.append(_DQ_ESCAPE.sub(r"\1", double))
        else:
            name.append(escaped if escaped is not None else plain)
        quoted = quoted or single is not None or double is not None
    return "".join(name), quoted


# --------------------------------------------------------------------------- stages and scopes


class _Scope:
    """The ARG/ENV assignments of one stage (or of the global ARGs), in order.

    Every assignment bumps a version; a view is the scope as it was at one
    version. Views are immutable and shared by all the instructions between two
    assignments, so a long Dockerfile costs one view per ARG/ENV, not a copy of
    every variable per instruction.
    """

    def __init__(self, inherited: Mapping[str, Variable]):
        self.inherited = inherited
        self.history: dict[str, tuple[list[int], list[Variable]]] = {}
        self.version = 0
        self._view: _ScopeView | None = None

    def lookup(self, name: str, version: int) -> Variable | None:
        entry = self.history.get(name)
        if entry:
            i = bisect_right(entry[0], version)
            if i:
                return entry[1][i - 1]
        return self.inherited.get(name)

    def assign(self, var: Variable) -> None:
        current = self.lookup(var.name, self.version)
        if var.kind == "arg" and current is not None and current.kind == "env":
            return  # Docker: an ENV wins over an ARG of the same name
        self.version += 1
        versions, values = self.history.setdefault(var.name, ([], []))
        versions.append(self.version)
        values.append(var)
        self._view = None

    def view(self) -> _ScopeView:
        if self._view is None:
            self._view = _ScopeView(self, self.version)
        return self._view


class _ScopeView(Mapping[str, Variable]):
    __slots__ = ("_scope", "_version")

    def __init__(self, scope: _Scope, version: int):
        self._scope = scope
        self._version = version

    def __getitem__(self, name: str) -> Variable:
        var = self._scope.lookup(name, self._version)
        if var is None:
            raise KeyError(name)
        return var

    def get(self, name: str, default: Variable | None = None) -> Variable | None:
        var = self._scope.lookup(name, self._version)
        return default if var is None else var

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._scope.lookup(name, self._version) is not None

    def __iter__(self) -> Iterator[str]:
        inherited = self._scope.inherited
        yield from inherited
        for name, (versions, _) in self._scope.history.items():
            if versions[0] <= self._version and name not in inherited:
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"Variables({dict(self)!r})"


@record(slots=True)
class _StageDraft:
    index: int
    name: str | None
    base: str
    base_raw: str
    base_span: Span
    base_stage: int | None
    platform: str | None
    scope: _Scope
    instructions: list[Instruction]

    def stage(self) -> Stage:
        return Stage(
            self.index, self.name, self.base, self.base_raw, self.base_span, self.base_stage,
            self.platform, tuple(self.instructions),
        )  # fmt: skip


class _Builder:
    """Turns raw instructions into stages, with the variables each one sees."""

    def __init__(self, path: str, escape: str):
        self.path = path
        self.escape = escape
        self.globals = _Scope(MappingProxyType({}))
        self.instructions: list[Instruction] = []
        self.global_args: list[Instruction] = []
        self.drafts: list[_StageDraft] = []
        self.stage_names: dict[str, int] = {}

    def add(self, raw: _Raw) -> None:
        if raw.keyword == "FROM":
            self._from(raw)
        elif not self.drafts:
            self._global_arg(raw)
        else:
            draft = self.drafts[-1]
            scope = draft.scope
            inst = self._make(raw, draft.index, scope.view())
            draft.instructions.append(inst)
            if raw.keyword in ("ARG", "ENV"):
                self._declare(raw, scope)

    def stages(self) -> tuple[Stage, ...]:
        if not self.drafts:
            first = self.instructions[0].span.line
            raise ParseError("no FROM instruction: a Dockerfile needs at least one stage", self.path, first)
        return tuple(d.stage() for d in self.drafts)

    def _global_arg(self, raw: _Raw) -> None:
        if raw.keyword != "ARG":
            message = f"{raw.keyword} before the first FROM (only ARG may come before it)"
            raise ParseError(message, self.path, raw.span.line)
        self.global_args.append(self._make(raw, -1, self.globals.view()))
        for name, value, span in _arg_pairs(raw, self.escape, self.path):
            # unlike a stage ARG, a global one sees those before it on its own line (as BuildKit)
            self.globals.assign(Variable(name, self._expand(value, self.globals.view()), "arg", span))

    def _make(self, raw: _Raw, stage: int, variables: Mapping[str, Variable]) -> Instruction:
        inst = Instruction(
            raw.keyword, raw.span, raw.text, raw.source, raw.args_offset, raw.flags,
            raw.json_args, raw.heredocs, stage, variables, raw.ignores,
        )  # fmt: skip
        self.instructions.append(inst)
        return inst

    def _from(self, raw: _Raw) -> None:
        words = [(m.start(), m.end()) for m in _NON_BLANKS.finditer(raw.text, raw.args_offset)]
        if len(words) not in (1, 3) or (len(words) == 3 and raw.text[slice(*words[1])].lower() != "as"):
            raise ParseError("FROM requires either one or three arguments", self.path, raw.span.line)
        index = len(self.drafts)
        base_raw = raw.text[slice(*words[0])]
        base = self._expand(base_raw, self.globals.view())
        base_stage = self._stage_index(base)
        inherited: Mapping[str, Variable] = MappingProxyType({})
        if base_stage is not None:
            parent = self.drafts[base_stage].scope.view()
            inherited = MappingProxyType({k: v for k, v in parent.items() if v.kind == "env"})
        platform = next((f.value for f in raw.flags if f.name == "platform"), None)
        name = raw.text[slice(*words[2])].lower() if len(words) == 3 else None
        draft = _StageDraft(
            index, name, base, base_raw, raw.source.span(*words[0]), base_stage,
            platform, _Scope(inherited), [],
        )  # fmt: skip
        draft.instructions.append(self._make(raw, index, self.globals.view()))
        self.drafts.append(draft)
        if name:
            self.stage_names[name] = index

    def _stage_index(self, base: str) -> int | None:
        """An earlier stage named ``base`` (the latest one), or numbered ``base``."""
        name = base.lower()
        if name in self.stage_names:
            return self.stage_names[name]
        if name.isascii() and name.isdigit() and len(name) < 10 and int(name) < len(self.drafts):  # not "²"
            return int(name)
        return None

    def _declare(self, raw: _Raw, scope: _Scope) -> None:
        """Apply a stage's ARG/ENV; all its values expand in the scope before it (as BuildKit)."""
        before = scope.view()
        if raw.keyword == "ENV":
            pairs = list(_env_pairs(raw, self.escape, self.path))
        else:
            pairs = [
                (name, value if value is not None else self._global_default(name), span)
                for name, value, span in _arg_pairs(raw, self.escape, self.path)
            ]
        kind = raw.keyword.lower()
        for name, value, span in pairs:
            scope.assign(Variable(name, self._expand(value, before), kind, span))

    def _global_default(self, name: str) -> str | None:
        """``ARG NAME`` in a stage takes the value of a global ARG of that name."""
        var = self.globals.view().get(name)
        return var.value if var is not None else None

    def _expand(self, value: str | None, variables: Mapping[str, Variable]) -> str | None:
        if value is None:
            return None
        return expand(value, variables, escape=self.escape, unquote=True)[0]


def _arg_pairs(raw: _Raw, escape: str, path: str) -> Iterator[tuple[str, str | None, Span]]:
    """``ARG A``, ``ARG A=1 B="x y"``: name, raw value (None without ``=``), span."""
    for m in _arg_word(escape).finditer(raw.text, raw.args_offset):
        name, eq, value = m.group().partition("=")
        if not name:
            raise ParseError("ARG names can not be blank", path, raw.span.line)
        yield name, value if eq else None, raw.source.span(m.start(), m.end())


def _env_pairs(raw: _Raw, escape: str, path: str) -> Iterator[tuple[str, str, Span]]:
    """``ENV A=1 B="x y"`` or the legacy ``ENV A 1 2`` (the value is the rest of the line)."""
    words = list(_arg_word(escape).finditer(raw.text, raw.args_offset))
    if not words:
        return
    if "=" not in words[0].group():
        parts = _BLANKS.split(raw.text[raw.args_offset :], maxsplit=1)
        if len(parts) < 2:
            raise ParseError("ENV must have two arguments", path, raw.span.line)
        yield parts[0], parts[1], raw.source.span(raw.args_offset, len(raw.text))
        return
    for m in words:
        name, eq, value = m.group().partition("=")
        if not eq:
            message = f"Syntax error - can't find = in {name!r}. Must be of the form: name=value"
            raise ParseError(message, path, raw.span.line)
        yield name, value, raw.source.span(m.start(), m.end())
