"""Split POSIX shell text (a RUN line, a heredoc body, an ``sh -c`` string) into simple commands.

Only what a linter needs is modelled: words with quotes and escapes removed and
their exact positions, leading ``NAME=value`` assignments, redirects, pipelines,
and the commands inside subshells, groups, control flow and ``sh -c '...'``.
``$(...)``, backticks and ``${...}`` stay verbatim inside their word.

Everything is a linear scan with explicit stacks: unterminated quotes run to the
end of the text, and no input raises or recurses deeply.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mllint.model import Heredoc, Instruction, SourceMap, Span, Word

from ..record import field, record, replace

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh", "mksh"})
MAX_NESTING = 4  # how deep ``sh -c 'sh -c "..."'`` strings are followed

_BLANKS = re.compile(r"[ \t\r]+")
_FD = re.compile(r"[0-9]+")
_DUP_TARGET = re.compile(r"[0-9]+-?|-")
_REDIRECT = re.compile(r"<<<|<<-|<<|<>|<&|<|>>|>&|>\||>")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", ";", "|", "&", "(", ")")
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
_SKIPPED_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"})


@record(frozen=True, slots=True)
class Redirect:
    op: str  # ">", ">>", "<", "2>", "&>", "2>&1", "<<", "<<-", "<<<", ...
    target: Word | None  # None for fd duplications such as 2>&1
    span: Span


@record(frozen=True, slots=True)
class Command:
    argv: tuple[Word, ...]
    assignments: tuple[tuple[str, Word], ...]
    redirects: tuple[Redirect, ...]
    span: Span
    piped_to: tuple[Word, ...] | None = None  # argv of the next command of the pipeline
    piped_from: tuple[Word, ...] | None = None  # argv of the previous one
    nested: bool = False  # from the string of ``sh -c '...'`` or a heredoc fed to a shell


# --------------------------------------------------------------------------- wrappers


# command name -> (options that take a value, positional arguments before the command)
_WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    "sudo": (frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user", "--group",
                        "--close-from", "--chdir", "--host", "--prompt", "--role", "--type",
                        "--command-timeout", "--other-user"}), 0),
    "doas": (frozenset({"-u", "-C"}), 0),
    "env": (frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}), 0),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "ionice": (frozenset({"-c", "-n", "-p", "-P", "-u", "--class", "--classdata"}), 0),
    "time": (frozenset({"-f", "-o", "--format", "--output"}), 0),
    "xargs": (frozenset({"-n", "-P", "-L", "-I", "-d", "-a", "-s", "-E", "--max-args", "--max-procs",
                         "--max-lines", "--delimiter", "--arg-file", "--max-chars", "--eof"}), 0),
    "exec": (frozenset({"-a"}), 0),
    "nohup": (frozenset(), 0),
    "command": (frozenset(), 0),
    "stdbuf": (frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}), 0),
    "timeout": (frozenset({"-s", "-k", "--signal", "--kill-after"}), 1),
}


def basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def unwrap_index(argv: tuple[Word, ...]) -> int:
    """Index of the real command in ``argv`` after ``sudo``, ``env X=1``, ``nice``, ``xargs``…"""
    k = 0
    while k < len(argv):
        name = basename(argv[k].value)
        if name not in _WRAPPERS or (name == "command" and _at(argv, k + 1) in ("-v", "-V")):
            return k
        with_value, positionals = _WRAPPERS[name]
        k += 1
        while k < len(argv) and argv[k].value.startswith("-") and argv[k].value != "-":
            option = argv[k].value
            k += 1
            if option == "--":
                break
            if option in with_value:
                k += 1
        if name == "env":
            while k < len(argv) and _ASSIGNMENT.match(argv[k].value):
                k += 1
        k += positionals
    return min(k, len(argv))


def unwrap(argv: tuple[Word, ...]) -> tuple[Word, ...]:
    return argv[unwrap_index(argv) :]


def _at(argv: tuple[Word, ...], k: int) -> str | None:
    return argv[k].value if k < len(argv) else None


def shell_invocation(argv: tuple[Word, ...]) -> tuple[str, int | None] | None:
    """How a shell command line gets its script.

    ``("c", k)`` for ``sh -c STRING`` (``argv[k]`` is the string), ``("stdin", None)`` when the
    shell reads its script from stdin (``bash``, ``sh -s``, ``bash -``), ``("file", k)`` for a
    script file, ``None`` when ``argv`` (after wrappers) is not a shell.
    """
    k = unwrap_index(argv)
    if k >= len(argv) or basename(argv[k].value) not in SHELLS:
        return None
    mode = "file"
    k += 1
    while k < len(argv):
        option = argv[k].value
        if option in ("-", "--"):
            k += 1
            break
        if len(option) < 2 or option[0] not in "-+":
            break
        k += 1
        if option.startswith("--"):
            k += option in ("--rcfile", "--init-file")
            continue
        letters = option[1:]
        if option[0] == "-" and "c" in letters:
            mode = "c"
        elif option[0] == "-" and "s" in letters and mode != "c":
            mode = "stdin"
        if "o" in letters or "O" in letters:
            k += 1  # -o pipefail, -euo pipefail
    if mode == "c":
        return ("c", k) if k < len(argv) else None
    if mode == "stdin" or k >= len(argv):
        return ("stdin", None)
    return ("file", k)


# --------------------------------------------------------------------------- lexer


@record(slots=True)
class _Token:
    kind: str  # "word" | "op" | "redir"
    start: int
    end: int
    text: str  # the operator, or the word's value
    quoted: bool = False
    has_target: bool = False  # redirects: whether a word follows as target


@lru_cache(maxsize=4)
def _patterns(escape: str) -> dict[str, re.Pattern[str]]:
    """Runs of characters with no special meaning, per lexical context."""
    esc = re.escape(escape)
    tick = "`" if escape != "`" else ""

    def run(specials: str, keywords: str = "") -> re.Pattern[str]:
        return re.compile("(?:[^" + specials + esc + tick + "]" + keywords + ")+")

    return {
        "word": run(r" \t\r\n'\"$;&|()<>"),
        '"': run(r'"$'),
        ")": run(r"'\"$()c", "|c(?!ase)"),
        "esac": run(r"'\"$ce", "|c(?!ase)|e(?!sac)"),  # inside a case: ")" ends patterns, not $(
        "}": run(r"'\"$}"),
        "`": re.compile("[^" + esc + "`]+"),
    }


class _Lexer:
    def __init__(self, text: str, escape: str):
        self.text = text
        self.n = len(text)
        self.escape = escape
        self.patterns = _patterns(escape)
        self.tokens: list[_Token] = []
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip_tabs) waiting for a newline
        self.wants_delimiter: bool | None = None  # strip_tabs of a << not yet given its delimiter

    def run(self) -> list[_Token]:
        i = 0
        while i < self.n:
            i = self._step(i)
        return self.tokens

    def _step(self, i: int) -> int:
        text, c = self.text, self.text[i]
        if c in " \t\r":
            return _BLANKS.match(text, i).end()
        if c == self.escape and text.startswith("\n", i + 1):
            return i + 2
        if c == "\n":
            self._op(i, i + 1, "\n")
            return self._skip_heredoc_bodies(i + 1)
        if c == "#":
            end = text.find("\n", i)
            return self.n if end < 0 else end
        if c == "&" and text.startswith(">", i + 1):
            op = "&>>" if text.startswith(">>", i + 1) else "&>"
            return self._redirect(i, i + len(op), op)
        if c in ";&|()":
            op = next(o for o in _OPERATORS if text.startswith(o, i))
            self._op(i, i + len(op), op)
            return i + len(op)
        if c in "<>" and not text.startswith("(", i + 1):
            return self._redirect_at(i, i, "")
        return self._word(i)

    def _op(self, start: int, end: int, op: str) -> None:
        self.wants_delimiter = None
        self.tokens.append(_Token("op", start, end, op))

    def _redirect_at(self, start: int, i: int, fd: str) -> int:
        op = _REDIRECT.match(self.text, i).group()
        end = i + len(op)
        if op in ("<&", ">&"):
            dup = _DUP_TARGET.match(self.text, end)
            if dup:
                return self._redirect(start, dup.end(), fd + op + dup.group(), has_target=False)
        return self._redirect(start, end, fd + op)

    def _redirect(self, start: int, end: int, op: str, has_target: bool = True) -> int:
        self.tokens.append(_Token("redir", start, end, op, has_target=has_target))
        kind = op.lstrip("0123456789")
        self.wants_delimiter = kind == "<<-" if kind in ("<<", "<<-") else None
        return end

    def _word(self, start: int) -> int:
        end, value, quoted = self._scan_word(start)
        if end < self.n and self.text[end] in "<>" and _FD.fullmatch(self.text, start, end) \
                and not self.text.startswith("(", end + 1):
            return self._redirect_at(start, end, value)
        self.tokens.append(_Token("word", start, end, value, quoted))
        if self.wants_delimiter is not None:
            self.heredocs.append((value, self.wants_delimiter))
            self.wants_delimiter = None
        return end

    def _scan_word(self, i: int) -> tuple[int, str, bool]:
        text, n, escape = self.text, self.n, self.escape
        plain = self.patterns["word"]
        parts: list[str] = []
        quoted = False
        while i < n:
            m = plain.match(text, i)
            if m:
                parts.append(m.group())
                i = m.end()
                continue
            c = text[i]
            if c in " \t\r\n;&|()" or (c in "<>" and not text.startswith("(", i + 1)):
                break
            if c == "'":
                close = text.find("'", i + 1)
                close = n if close < 0 else close
                parts.append(text[i + 1 : close])
                i, quoted = close + 1, True
            elif c == '"':
                i, quoted = self._double_quoted(i + 1, parts), True
            elif c == escape:
                if not text.startswith("\n", i + 1):
                    parts.append(text[i + 1 : i + 2] or c)
                    quoted = True
                i += 2
            else:  # $, a backtick, <( or >(
                end = self._substitution(i)
                parts.append(text[i:end])
                i = end
        return min(i, n), "".join(parts), quoted

    def _double_quoted(self, i: int, parts: list[str]) -> int:
        text, n, escape = self.text, self.n, self.escape
        plain = self.patterns['"']
        while i < n:
            m = plain.match(text, i)
            if m:
                parts.append(m.group())
                i = m.end()
                continue
            c = text[i]
            if c == '"':
                return i + 1
            if c == escape:
                following = text[i + 1 : i + 2]
                if following in ("$", "`", '"', "\n", escape):
                    parts.append(following if following != "\n" else "")
                    i += 2
                else:
                    parts.append(c)
                    i += 1
            else:
                end = self._substitution(i)
                parts.append(text[i:end])
                i = end
        return n

    def _substitution(self, i: int) -> int:
        """End of the ``$(...)``, ``${...}``, backtick, ``<(...)`` or lone ``$`` starting at ``i``."""
        text = self.text
        if text[i] == "`":
            return _skip_balanced(text, i + 1, "`", self.escape, self.patterns)
        follow = text[i + 1 : i + 2]
        if follow == "(":
            return _skip_balanced(text, i + 2, ")", self.escape, self.patterns)
        if follow == "{" and text[i] == "$":
            return _skip_balanced(text, i + 2, "}", self.escape, self.patterns)
        return i + 1

    def _skip_heredoc_bodies(self, i: int) -> int:
        """Heredocs opened on the line just ended: their bodies are data, not commands."""
        for delimiter, strip_tabs in self.heredocs:
            while i < self.n:
                end = self.text.find("\n", i)
                end = self.n if end < 0 else end
                line = self.text[i:end]
                i = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.heredocs.clear()
        return min(i, self.n)


def _skip_balanced(text: str, i: int, closer: str, escape: str, patterns: dict[str, re.Pattern[str]]) -> int:
    """Index just after the ``closer`` that balances an opener ending at ``i``; ``len(text)`` if none.

    Nesting is tracked on an explicit stack of expected closers, so depth costs no recursion.
    """
    n = len(text)
    stack = [closer]
    while i < n and stack:
        top = stack[-1]
        m = patterns[top].match(text, i)
        if m:
            i = m.end()
            continue
        c = text[i]
        if c == escape:
            i += 2
        elif c == top:
            stack.pop()
            i += 1
        elif top == "`":
            i += 1
        elif c == "`":
            stack.append("`")
            i += 1
        elif c == "$" and text.startswith(("(", "{"), i + 1):
            stack.append(")" if text[i + 1] == "(" else "}")
            i += 2
        elif top == '"':
            i += 1
        elif c == '"':
            stack.append('"')
            i += 1
        elif c == "'":
            close = text.find("'", i + 1)
            i = n if close < 0 else close + 1
        elif _keyword_at(text, i, "case"):
            stack.append("esac")
            i += 4
        elif top == "esac" and _keyword_at(text, i, "esac"):
            stack.pop()
            i += 4
        elif c == "(" and top == ")":
            stack.append(")")
            i += 1
        else:
            i += 1
    return min(i, n)


def _keyword_at(text: str, i: int, keyword: str) -> bool:
    """``keyword`` as a whole word at ``i``, in command position (after ``(``, ``;``, ``|``…)."""
    end = i + len(keyword)
    if not text.startswith(keyword, i) or (end < len(text) and text[end] not in " \t\n;&|)"):
        return False
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return i == 0 or text[i - 1] in "\n;&|("


# --------------------------------------------------------------------------- parser


@record(slots=True)
class _Draft:
    """A simple command being collected from tokens."""

    words: list[_Token] = field(default_factory=list)
    assignments: list[_Token] = field(default_factory=list)
    redirects: list[tuple[_Token, _Token | None]] = field(default_factory=list)
    start: int = -1
    end: int = -1

    def empty(self) -> bool:
        return not (self.words or self.assignments or self.redirects)

    def at_start(self) -> bool:
        return not (self.words or self.assignments)

    def touch(self, token: _Token) -> None:
        if self.start < 0:
            self.start = token.start
        self.end = max(self.end, token.end)


class _Splitter:
    def __init__(self, text: str, source: SourceMap, escape: str, depth: int):
        self.text = text
        self.source = source
        self.escape = escape
        self.depth = depth
        self.tokens = _Lexer(text, escape).run()
        self.commands: list[Command] = []
        self.pipeline: list[_Draft] = []
        self.draft = _Draft()
        self.cases: list[str] = []  # per open ``case``: "pattern" or "body"

    def run(self) -> list[Command]:
        i = 0
        while i < len(self.tokens):
            i = self._step(i)
        self._end_pipeline()
        return self.commands

    def _step(self, i: int) -> int:
        token = self.tokens[i]
        if self.cases and self.cases[-1] == "pattern":
            return self._case_pattern(i)
        if token.kind == "op":
            return self._operator(i)
        if token.kind == "redir":
            return self._redirection(i)
        if self.draft.at_start() and not token.quoted:
            keyword = self._keyword(i)
            if keyword is not None:
                return keyword
        self.draft.touch(token)
        if not self.draft.words and _ASSIGNMENT.match(self.text, token.start, token.end):
            self.draft.assignments.append(token)
            return i + 1
        self.draft.words.append(token)
        if len(self.draft.words) == 1 and token.text == "[[":
            return self._test_expression(i + 1)
        return i + 1

    def _redirection(self, i: int) -> int:
        """A redirect operator and, unless it duplicates a descriptor (2>&1), its target word."""
        token = self.tokens[i]
        self.draft.touch(token)
        following = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
        if not token.has_target or following is None or following.kind != "word":
            self.draft.redirects.append((token, None))
            return i + 1
        self.draft.redirects.append((token, following))
        self.draft.touch(following)
        return i + 2

    def _operator(self, i: int) -> int:
        op = self.tokens[i].text
        if op in ("|", "|&"):
            self._end_command()
            return i + 1
        if op == "(" and len(self.draft.words) == 1 and self._is_op(i + 1, ")"):
            self.draft = _Draft()  # name() { ...; }: a function definition, its body follows
            return i + 2
        self._end_pipeline()
        if op in _CASE_ENDS and self.cases:
            self.cases[-1] = "pattern"
        return i + 1

    def _is_op(self, i: int, op: str) -> bool:
        return i < len(self.tokens) and self.tokens[i].kind == "op" and self.tokens[i].text == op

    def _keyword(self, i: int) -> int | None:
        """Skip a reserved word at command start; ``None`` when the word is not one."""
        word = self.tokens[i].text
        if word in _SKIPPED_KEYWORDS:
            return i + 1
        if word in ("for", "select"):
            return self._skip_until(i + 1, lambda t: (t.kind == "op" and t.text in ("\n", ";")) or t.text == "do")
        if word == "case":
            self.cases.append("pattern")
            return self._skip_until(i + 1, lambda t: t.kind == "word" and t.text == "in") + 1
        if word == "esac" and self.cases:
            self.cases.pop()
            return i + 1
        if word == "function":
            end = i + 2
            return end + 2 if self._is_op(end, "(") and self._is_op(end + 1, ")") else end
        return None

    def _skip_until(self, i: int, stop) -> int:
        while i < len(self.tokens) and not stop(self.tokens[i]):
            i += 1
        return i

    def _case_pattern(self, i: int) -> int:
        token = self.tokens[i]
        if token.kind == "op" and token.text in ("\n", ";"):
            return i + 1
        if token.kind == "word" and token.text == "esac" and not token.quoted:
            self.cases.pop()
            return i + 1
        if token.kind == "op" and token.text == "(":
            i += 1
        self.cases[-1] = "body"
        return self._skip_until(i, lambda t: t.kind == "op" and t.text == ")") + 1

    def _test_expression(self, i: int) -> int:
        """``[[ a < b && c ]]``: operators inside are words of the test, not command separators."""
        while i < len(self.tokens):
            token = self.tokens[i]
            word = token if token.kind == "word" else _Token("word", token.start, token.end,
                                                               self.text[token.start : token.end])
            self.draft.words.append(word)
            self.draft.touch(word)
            i += 1
            if token.kind == "word" and token.text == "]]":
                break
        return i

    def _end_command(self) -> None:
        if not self.draft.empty():
            self.pipeline.append(self.draft)
        self.draft = _Draft()

    def _end_pipeline(self) -> None:
        self._end_command()
        argvs = [tuple(self._word(t) for t in d.words) for d in self.pipeline]
        for k, draft in enumerate(self.pipeline):
            command = Command(
                argv=argvs[k],
                assignments=tuple(self._assignment(t) for t in draft.assignments),
                redirects=tuple(self._redirect(op, target) for op, target in draft.redirects),
                span=self.source.span(draft.start, draft.end),
                piped_to=argvs[k + 1] if k + 1 < len(argvs) else None,
                piped_from=argvs[k - 1] if k > 0 else None,
            )
            self.commands.append(command)
            self.commands.extend(self._nested(command, draft))
        self.pipeline = []

    def _word(self, token: _Token) -> Word:
        return make_word(self.text, token.start, token.end, token.text, token.quoted, self.source)

    def _assignment(self, token: _Token) -> tuple[str, Word]:
        prefix = _ASSIGNMENT.match(self.text, token.start).group()
        value_start = token.start + len(prefix)
        word = make_word(self.text, value_start, token.end, token.text[len(prefix) :], token.quoted, self.source)
        return prefix.rstrip("+="), word

    def _redirect(self, op: _Token, target: _Token | None) -> Redirect:
        end = target.end if target else op.end
        return Redirect(op.text, self._word(target) if target else None, self.source.span(op.start, end))

    def _nested(self, command: Command, draft: _Draft) -> list[Command]:
        how = shell_invocation(command.argv)
        if not how or how[0] != "c" or self.depth >= MAX_NESTING:
            return []
        token = draft.words[how[1]]
        raw = self.text[token.start : token.end]
        if raw == token.text:
            inner: SourceMap | None = self.source.sub(token.start)
        elif len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0] and raw[1:-1] == token.text:
            inner = self.source.sub(token.start + 1)
        else:
            inner = None
        return nested_commands(command.argv[how[1]], inner, self.escape, self.depth + 1)


def make_word(text: str, start: int, end: int, value: str, quoted: bool, source: SourceMap) -> Word:
    raw = text[start:end]
    single = len(raw) >= 2 and raw[0] == "'" and raw.find("'", 1) == len(raw) - 1
    return Word(value, raw, source.span(start, end), quoted, single)


def nested_commands(word: Word, inner: SourceMap | None, escape: str, depth: int) -> list[Command]:
    """Commands of a string run by a shell; without an exact map every position is the word's."""
    source = inner or SourceMap.single(word.span.line, word.span.column)
    commands = _Splitter(word.value, source, escape, depth).run()
    if inner is None:
        commands = [_pinned(c, word.span) for c in commands]
    return [replace(c, nested=True) for c in commands]


def _pinned(command: Command, span: Span) -> Command:
    def pin(words: tuple[Word, ...] | None) -> tuple[Word, ...] | None:
        return None if words is None else tuple(replace(w, span=span) for w in words)

    return replace(
        command,
        argv=pin(command.argv),
        assignments=tuple((name, replace(w, span=span)) for name, w in command.assignments),
        redirects=tuple(
            Redirect(r.op, replace(r.target, span=span) if r.target else None, span) for r in command.redirects
        ),
        span=span,
        piped_to=pin(command.piped_to),
        piped_from=pin(command.piped_from),
    )


def split_commands(text: str, source: SourceMap, escape: str = "\\") -> tuple[Command, ...]:
    """The simple commands of ``text``, in order; ``sh -c`` strings follow their command."""
    return tuple(_Splitter(text, source, escape, 0).run())


# --------------------------------------------------------------------------- instructions


def commands_of(instruction: Instruction, escape: str = "\\") -> tuple[Command, ...]:
    """Commands a RUN (or other shell-form) instruction runs, heredoc bodies included."""
    if instruction.json_args is not None:
        return _exec_form(instruction.json_args, escape)
    outer = split_commands(instruction.args, instruction.source.sub(instruction.args_offset), escape)
    heredocs = list(instruction.heredocs)
    result: list[Command] = []
    for command in outer:
        fed = [] if command.nested else heredocs[: _heredoc_count(command)]
        del heredocs[: len(fed)]
        if command.argv or command.assignments or not fed:
            result.append(command)
        for heredoc in fed:
            result.extend(_body_commands(command, heredoc, escape))
    return tuple(result)


def _exec_form(argv: tuple[Word, ...], escape: str) -> tuple[Command, ...]:
    if not argv:
        return ()
    first, last = argv[0].span, argv[-1].span
    command = Command(argv, (), (), Span(first.line, first.column, last.end_line, last.end_column))
    how = shell_invocation(argv)
    if not how or how[0] != "c":
        return (command,)
    word = argv[how[1]]
    exact = word.span.line == word.span.end_line and word.raw[1:-1] == word.value and word.raw[:1] == '"'
    inner = SourceMap.single(word.span.line, word.span.column + 1) if exact else None
    return (command, *nested_commands(word, inner, escape, 1))


def _heredoc_count(command: Command) -> int:
    return sum(r.op.lstrip("0123456789") in ("<<", "<<-") for r in command.redirects)


def _body_commands(command: Command, heredoc: Heredoc, escape: str) -> list[Command]:
    """The body's commands when a shell runs it: ``RUN <<EOF`` or ``RUN bash -e <<EOF``."""
    if command.argv:
        how = shell_invocation(command.argv)
        if not how or how[0] != "stdin":
            return []
    elif not _shell_script(heredoc.body):
        return []
    commands = split_commands(heredoc.body, heredoc.source, escape)
    return [replace(c, nested=True) for c in commands] if command.argv else list(commands)


def _shell_script(body: str) -> bool:
    """A bare ``RUN <<EOF`` runs its body with the shell unless a ``#!`` names another interpreter."""
    if not body.startswith("#!"):
        return True
    interpreter = body[2:].split("\n", 1)[0].split()
    if interpreter and basename(interpreter[0]) == "env":
        interpreter = [w for w in interpreter[1:] if not w.startswith("-")]
    return bool(interpreter) and basename(interpreter[0]) in SHELLS
