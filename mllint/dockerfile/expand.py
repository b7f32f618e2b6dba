"""Variable expansion the way BuildKit's shell lexer does it for ARG, ENV and FROM.

Supported: ``$VAR``, ``${VAR}``, ``${VAR:-x}``, ``${VAR-x}``, ``${VAR:+x}``,
``${VAR+x}``, ``${VAR:?x}``, ``${VAR?x}``, ``${VAR#pat}``, ``${VAR##pat}``,
``${VAR%pat}`` and ``${VAR%%pat}``. Single quotes stop expansion, the escape
character makes the next character literal. Unlike BuildKit this never fails:
an unterminated quote runs to the end of the text, a substitution it does not
support (``${VAR/a/b}``) is left as written with VAR reported, ``${}`` stays literal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from functools import lru_cache

from mllint.model import Variable

_MAX_DEPTH = 100  # nested ${A:-${B:-...}} deeper than this stays literal (no RecursionError)
_TRIM_MAX = 4096  # ${VAR#*pat} on a longer value is left untrimmed (each cut is a glob match)

# BuildKit's processName: a run of digits ($1), one special parameter, or a word.
_NAME = re.compile(r"\d+|[@*#?\-$!]|\w+")


@lru_cache(maxsize=None)
def _plain(escape: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Runs of characters that need no special handling, outside and inside double quotes."""
    e = re.escape(escape)
    return re.compile(f"[^'\"$}}{e}]+"), re.compile(f'[^"${e}]+')


def expand(
    text: str,
    variables: Mapping[str, Variable],
    *,
    escape: str = "\\",
    unquote: bool = False,
) -> tuple[str, tuple[str, ...]]:
    """Expand the variables in ``text``.

    Returns the expanded text and the names, in order of first use, that had no
    known value (undeclared, or an ARG without a default) where that mattered:
    ``${VAR:-x}`` and ``${VAR-x}`` fall back to ``x`` and do not report VAR.
    Unknown variables expand to the empty string, as in Docker.

    With ``unquote`` the quotes and escape characters are removed as Docker
    does for ARG/ENV values and the FROM image; without it they are kept
    (they still stop expansion), so the result can be split again later.
    """
    lexer = _Lexer(text, variables, escape, unquote)
    return lexer.word(stop=None), tuple(lexer.missing)


class _Lexer:
    def __init__(self, text: str, variables: Mapping[str, Variable], escape: str, unquote: bool):
        self.text = text
        self.pos = 0
        self.variables = variables
        self.escape = escape
        self.unquote = unquote
        self.plain, self.plain_in_quotes = _plain(escape)
        self.missing: dict[str, None] = {}  # an ordered set
        self.depth = 0

    def word(self, stop: str | None) -> str:
        """Process up to ``stop`` (consumed) or the end of the text."""
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            m = self.plain.match(text, self.pos)
            if m:
                out.append(m.group())
                self.pos = m.end()
                continue
            ch = text[self.pos]
            if ch == stop:
                self.pos += 1
                break
            if ch == "'":
                out.append(self._single_quoted())
            elif ch == '"':
                out.append(self._double_quoted())
            elif ch == "$":
                out.append(self._dollar())
            elif ch == self.escape:
                out.append(self._escaped(text[self.pos + 1 : self.pos + 2]))
            else:  # a "}" outside ${...}
                out.append(ch)
                self.pos += 1
        return "".join(out)

    def _escaped(self, nxt: str) -> str:
        """The escape character and the one after it (none at the very end)."""
        self.pos += 1 + len(nxt)
        return nxt if self.unquote else self.escape + nxt

    def _single_quoted(self) -> str:
        start = self.pos + 1
        end = self.text.find("'", start)
        if end < 0:
            end = len(self.text)
        self.pos = end + 1
        inner = self.text[start:end]
        return inner if self.unquote else self.text[start - 1 : self.pos]

    def _double_quoted(self) -> str:
        out = [] if self.unquote else ['"']
        text = self.text
        self.pos += 1
        while self.pos < len(text):
            m = self.plain_in_quotes.match(text, self.pos)
            if m:
                out.append(m.group())
                self.pos = m.end()
                continue
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                if not self.unquote:
                    out.append('"')
                break
            if ch == "$":
                out.append(self._dollar())
            elif ch == self.escape and text[self.pos + 1 : self.pos + 2] in ('"', "$", self.escape):
                out.append(self._escaped(text[self.pos + 1]))
            else:  # inside double quotes other escapes stay literal
                out.append(ch)
                self.pos += 1
        return "".join(out)

    def _dollar(self) -> str:
        start = self.pos
        self.pos += 1
        if self.text.startswith("{", self.pos):
            return self._braced(start)
        m = _NAME.match(self.text, self.pos)
        if not m:
            return "$"
        self.pos = m.end()
        return self._value(m.group()) or ""

    def _braced(self, start: int) -> str:
        """``${...}``; ``start`` is the offset of the ``$``."""
        if self.depth >= _MAX_DEPTH:  # pathological nesting: the rest is kept as written
            self.pos = len(self.text)
            return self.text[start:]
        m = _NAME.match(self.text, self.pos + 1)
        if not m:  # ${} or ${:x}: not a substitution, keep the "$" literally
            return "$"
        name = m.group()
        self.pos = m.end()
        op = self.text[self.pos : self.pos + 2]
        if op.startswith("}"):
            self.pos += 1
            return self._value(name) or ""
        if op in (":-", ":+", ":?"):
            self.pos += 2
            return self._modifier(name, op[1], null_is_unset=True)
        if op[:1] in ("-", "+", "?", "#", "%"):
            self.pos += 1
            return self._modifier(name, op[0], null_is_unset=False)
        # unsupported (${VAR/a/b}, ${VAR:x}): leave it as written
        self.depth += 1
        try:
            self.word(stop="}")
        finally:
            self.depth -= 1
        self.missing[name] = None
        return self.text[start : self.pos]

    def _modifier(self, name: str, op: str, null_is_unset: bool) -> str:
        self.depth += 1
        try:
            arg = self.word(stop="}")
        finally:
            self.depth -= 1
        var = self.variables.get(name)
        value = var.value if var is not None else None
        unset = value is None or (null_is_unset and value == "")
        if op == "-":
            return arg if unset else value
        if value is None:
            self.missing[name] = None
            return ""
        if op == "+":
            return "" if unset else arg
        if op == "?":
            return value
        return _trim(value, arg, op)

    def _value(self, name: str) -> str | None:
        var = self.variables.get(name)
        if var is None or var.value is None:
            self.missing[name] = None
            return None
        return var.value


def _trim(value: str, pattern: str, op: str) -> str:
    """``${VAR#pat}`` (shortest prefix), ``##`` (longest), ``%`` and ``%%`` (suffix)."""
    longest = pattern.startswith(op)
    if longest:
        pattern = pattern[1:]
    if not any(c in pattern for c in "*?["):  # a literal: no glob match per cut
        if op == "#":
            return value[len(pattern):] if value.startswith(pattern) else value
        return value[: len(value) - len(pattern)] if value.endswith(pattern) else value
    if len(value) > _TRIM_MAX:
        return value
    cuts = range(len(value) + 1)
    if op == "#":
        for i in reversed(cuts) if longest else cuts:
            if fnmatchcase(value[:i], pattern):
                return value[i:]
    else:
        for i in cuts if longest else reversed(cuts):
            if fnmatchcase(value[i:], pattern):
                return value[:i]
    return value
