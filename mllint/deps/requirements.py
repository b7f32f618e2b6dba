"""pip requirement files, read the way pip's ``req_file.py`` reads them, with exact positions.

pip joins ``\\`` continuations, drops ``#`` comments (at line start or after whitespace),
splits each logical line into a requirement part and an options part at the first
space-separated word that starts with ``-``, and parses the options with ``shlex`` and
``optparse``. This module does the same, keeping a :class:`SourceMap` for every logical line
so spans land on the physical line and column even inside continuations. ``${VAR}``
references are kept verbatim (pip expands them only at install time).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import namedtuple
from collections.abc import Callable, Iterator
from pathlib import Path

from mllint.deps.specs import PackageSpec, parse_pip_spec
from mllint.errors import ParseError
from mllint.model import SourceMap, Span

from ..record import field, record, replace

Reader = Callable[[Path], bytes]

_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's COMMENT_RE
_URL_SCHEME = re.compile(r"^(http|https|file):", re.I)  # pip's SCHEME_RE
_DIRECTIVE = re.compile(r"mllint:\s*(ignore-file|ignore)\s*=\s*([\w.-]+(?:\s*,\s*[\w.-]+)*)")

# pip's SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ (pip 23-25): long name -> takes a value.
_LONG_OPTIONS = {
    "--index-url": True,
    "--pypi-url": True,
    "--extra-index-url": True,
    "--no-index": False,
    "--constraint": True,
    "--requirement": True,
    "--editable": True,
    "--find-links": True,
    "--no-binary": True,
    "--only-binary": True,
    "--prefer-binary": False,
    "--require-hashes": False,
    "--pre": False,
    "--trusted-host": True,
    "--use-feature": True,
    "--global-option": True,
    "--hash": True,
    "--config-settings": True,
}
_SHORT_OPTIONS = {
    "-i": "--index-url",
    "-c": "--constraint",
    "-r": "--requirement",
    "-e": "--editable",
    "-f": "--find-links",
    "-C": "--config-settings",
}
_ALIASES = {"--pypi-url": "--index-url"}
_STRONG_HASHES = ("sha256", "sha384", "sha512")
_FILE_OPTIONS = (
    "--no-index", "--pre", "--prefer-binary", "--only-binary", "--no-binary", "--trusted-host", "--use-feature",
)


@record(frozen=True, slots=True)
class Requirement:
    path: str  # file it was read from, as displayed
    text: str  # the requirement as written, without options or comment
    spec: PackageSpec
    span: Span  # of ``text``
    hashes: tuple[str, ...] = ()  # "sha256:..." from --hash
    editable: bool = False  # from -e/--editable
    ignores: frozenset[str] = frozenset()  # "# mllint: ignore=..." on its line
    options: tuple[tuple[str, str], ...] = ()  # other per-requirement options: --config-settings, --global-option


@record(frozen=True, slots=True)
class Include:
    path: str  # as written: relative to the including file, or a URL
    constraint: bool  # -c/--constraint (else -r/--requirement)
    span: Span  # of the path
    ignores: frozenset[str] = frozenset()


@record(frozen=True, slots=True)
class RequirementFile:
    path: str
    requirements: tuple[Requirement, ...]
    includes: tuple[Include, ...]
    index_urls: tuple[tuple[str, Span], ...]  # -i/--index-url
    extra_index_urls: tuple[tuple[str, Span], ...]
    find_links: tuple[tuple[str, Span], ...]
    require_hashes: bool
    file_ignores: frozenset[str]
    options: tuple[tuple[str, str | None, Span], ...]  # other global options: ("--pre", None, span)
    constraint: bool = False  # loaded through -c (set by load_requirements)
    missing_includes: tuple[Include, ...] = ()  # includes that could not be read (set by load_requirements)


# value: shell quotes removed; raw: as written; start/end: offsets of raw in the options string
_Word = namedtuple("_Word", "value raw start end")
# name: canonical long name, e.g. "--requirement"; span: of the value when there is one, else of the option
_Option = namedtuple("_Option", "name value span")
# line: first physical line, as pip numbers it
_LogicalLine = namedtuple("_LogicalLine", "line text source")


def parse_directives(comment: str) -> tuple[frozenset[str], frozenset[str]]:
    """``(ignores, file_ignores)`` named by ``mllint: ignore=A,B`` / ``mllint: ignore-file=C`` in a comment."""
    ignores: set[str] = set()
    file_ignores: set[str] = set()
    for kind, ids in _DIRECTIVE.findall(comment):
        target = file_ignores if kind == "ignore-file" else ignores
        target.update(i.strip() for i in ids.split(","))
    return frozenset(ignores), frozenset(file_ignores)


def decode_utf8(data: bytes, display: str) -> str:
    """UTF-8 text of a file (a BOM is dropped); ParseError naming the file otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not valid UTF-8 text (byte {exc.start})", display) from None


def reject_binary(text: str, path: str) -> None:
    nul = text.find("\x00")
    if nul >= 0:
        raise ParseError("binary file (NUL byte)", path, text.count("\n", 0, nul) + 1)


class RequirementFileBuilder:
    """Collects logical requirement lines into a :class:`RequirementFile`.

    Also used for files that embed requirement lines elsewhere (the ``pip:`` list of a conda
    environment file), which is why a line comes with its own :class:`SourceMap`.
    """

    def __init__(self, path: str):
        self.path = path
        self.requirements: list[Requirement] = []
        self.includes: list[Include] = []
        self.index_urls: list[tuple[str, Span]] = []
        self.extra_index_urls: list[tuple[str, Span]] = []
        self.find_links: list[tuple[str, Span]] = []
        self.options: list[tuple[str, str | None, Span]] = []
        self.require_hashes = False
        self.file_ignores: set[str] = set()

    def add_line(self, text: str, source: SourceMap, line: int, ignores: frozenset[str] = frozenset()) -> None:
        """One logical line (continuations already joined): strip its comment, then read it."""
        comment = _COMMENT.search(text)
        code = text[: comment.start()] if comment else text
        if comment:
            line_ignores, file_ignores = parse_directives(comment.group(0))
            ignores |= line_ignores
            self.file_ignores |= file_ignores
        stripped = code.strip()
        if stripped:
            base = len(code) - len(code.lstrip())
            self._add_code(stripped, source.sub(base), line, ignores)

    def build(self) -> RequirementFile:
        return RequirementFile(
            path=self.path,
            requirements=tuple(self.requirements),
            includes=tuple(self.includes),
            index_urls=tuple(self.index_urls),
            extra_index_urls=tuple(self.extra_index_urls),
            find_links=tuple(self.find_links),
            require_hashes=self.require_hashes,
            file_ignores=frozenset(self.file_ignores),
            options=tuple(self.options),
        )

    def _add_code(self, code: str, source: SourceMap, line: int, ignores: frozenset[str]) -> None:
        args, options_at = _break_args_options(code)
        try:
            words = _shell_split(code[options_at:])
            options = _parse_options(words, source.sub(options_at))
        except _OptionError as exc:
            raise ParseError(f"invalid requirements line: {exc}", self.path, line) from None
        if args:
            self._add_requirement(args, source.span(0, len(args)), options, ignores, editable=False)
        elif editable := next((o for o in options if o.name == "--editable"), None):
            self._add_requirement(editable.value, editable.span, (), ignores, editable=True)
        else:
            self._add_global_options(options, ignores)

    def _add_requirement(self, text, span, options, ignores, editable: bool) -> None:
        hashes = tuple(o.value for o in options if o.name == "--hash")
        extra = tuple((o.name, o.value) for o in options if o.name in ("--config-settings", "--global-option"))
        spec = parse_pip_spec(text)
        self.requirements.append(Requirement(self.path, text, spec, span, hashes, editable, ignores, extra))

    def _add_global_options(self, options: list[_Option], ignores: frozenset[str]) -> None:
        # pip follows only the first -r of a line, or else its first -c.
        include = next((o for o in options if o.name == "--requirement"), None)
        include = include or next((o for o in options if o.name == "--constraint"), None)
        if include:
            self.includes.append(Include(include.value, include.name == "--constraint", include.span, ignores))
        for o in options:
            if o.name == "--index-url":
                self.index_urls.append((o.value, o.span))
            elif o.name == "--extra-index-url":
                self.extra_index_urls.append((o.value, o.span))
            elif o.name == "--find-links":
                self.find_links.append((o.value, o.span))
            elif o.name == "--require-hashes":
                self.require_hashes = True
            elif o.name in _FILE_OPTIONS:
                self.options.append((o.name, o.value, o.span))


def parse_requirements(text: str, path: str) -> RequirementFile:
    """Parse the text of a pip requirements file; ``path`` is how findings name it."""
    reject_binary(text, path)
    builder = RequirementFileBuilder(path)
    for logical in _join_lines(text):
        builder.add_line(logical.text, logical.source, logical.line)
    return builder.build()


def load_requirements(path: Path, display: str, read: Reader = Path.read_bytes) -> list[RequirementFile]:
    """The file at ``path`` and every file it includes with -r/-c, in load order, each once.

    Includes resolve relative to the including file. URLs and paths holding ``${VAR}`` are
    kept in ``includes`` but not followed; an include that cannot be read is recorded in the
    including file's ``missing_includes``.
    """
    try:
        data = read(path)
    except OSError as exc:
        raise ParseError(f"cannot read requirements file: {exc.strerror or exc}", display) from None
    return resolve_includes(parse_requirements(decode_utf8(data, display), display), path, read)


def resolve_includes(root: RequirementFile, path: Path, read: Reader = Path.read_bytes) -> list[RequirementFile]:
    """``root`` (read from ``path``) followed by the files it includes, as :func:`load_requirements`."""
    files: list[RequirementFile] = []
    seen: set[str] = set()

    def visit(file: RequirementFile, fs_path: Path, constraint: bool) -> None:
        seen.add(os.path.realpath(fs_path))
        index = len(files)
        files.append(file)
        missing = []
        for include in file.includes:
            if _URL_SCHEME.match(include.path) or "${" in include.path:
                continue
            child = fs_path.parent / include.path
            if os.path.realpath(child) in seen:
                continue
            try:
                data = read(child)
            except OSError:
                missing.append(include)
                continue
            display = posixpath.normpath(posixpath.join(posixpath.dirname(file.path), include.path))
            visit(parse_requirements(decode_utf8(data, display), display), child, include.constraint)
        files[index] = replace(file, constraint=constraint, missing_includes=tuple(missing))

    visit(root, path, root.constraint)
    return files


# --------------------------------------------------------------------------- lines


@record
class _Joiner:
    """Builds one logical line out of pieces of physical lines."""

    first_line: int = 0
    pieces: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    length: int = 0

    def add(self, piece: str, line: int, column: int) -> None:
        if not self.pieces:
            self.first_line = line
        self.pieces.append(piece)
        self.starts.append(self.length)
        self.lines.append(line)
        self.columns.append(column)
        self.length += len(piece)

    def build(self) -> _LogicalLine:
        source = SourceMap(tuple(self.starts), tuple(self.lines), tuple(self.columns))
        return _LogicalLine(self.first_line, "".join(self.pieces), source)


def _join_lines(text: str) -> Iterator[_LogicalLine]:
    """pip's join_lines: a line ending in ``\\`` continues on the next, unless it is a comment line."""
    joiner = _Joiner()
    for number, raw in enumerate(text.splitlines(), start=1):
        is_comment = bool(_COMMENT.match(raw))
        if raw.endswith("\\") and not is_comment:
            lead = len(raw) - len(raw.lstrip("\\"))  # pip strips backslashes at both ends
            joiner.add(raw.strip("\\"), number, 1 + lead)
            continue
        if is_comment and joiner.pieces:
            joiner.add(" ", number, 1)  # pip's fix so the comment still reads as one once joined
        joiner.add(raw, number, 1)
        yield joiner.build()
        joiner = _Joiner()
    if joiner.pieces:
        yield joiner.build()


def _break_args_options(line: str) -> tuple[str, int]:
    """pip's break_args_options: the requirement part, and the offset where options start."""
    words = line.split(" ")
    for i, word in enumerate(words):
        if word.startswith("-"):
            args = " ".join(words[:i])
            return args.rstrip(), len(args) + (1 if i else 0)
    return line.rstrip(), len(line)


# --------------------------------------------------------------------------- options


class _OptionError(Exception):
    pass


def _shell_split(text: str) -> list[_Word]:
    """``shlex.split(text)`` (POSIX mode, no comments), keeping where each word sits."""
    words: list[_Word] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t\r\n":
            i += 1
            continue
        start, out = i, []
        while i < n and text[i] not in " \t\r\n":
            c = text[i]
            if c == "'":
                close = text.find("'", i + 1)
                if close < 0:
                    raise _OptionError("no closing quotation")
                out.append(text[i + 1 : close])
                i = close + 1
            elif c == '"':
                i = _double_quoted(text, i + 1, out)
            elif c == "\\":
                if i + 1 >= n:
                    raise _OptionError("no escaped character")
                out.append(text[i + 1])
                i += 2
            else:
                out.append(c)
                i += 1
        words.append(_Word("".join(out), text[start:i], start, i))
    return words


def _double_quoted(text: str, i: int, out: list[str]) -> int:
    """Read a double-quoted run starting after its quote; return the offset after the closing one."""
    while i < len(text):
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    raise _OptionError("no closing quotation")


def _parse_options(words: list[_Word], source: SourceMap) -> list[_Option]:
    """optparse over pip's requirement-file options: ``--name=v``, ``--name v``, ``-xv``, ``-x v``,
    unique prefixes of long names; other words are ignored, as pip ignores them."""
    options: list[_Option] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.value == "--":
            break
        if word.value.startswith("--"):
            given, eq, attached = word.value.partition("=")
            name = _match_long(given)
            if not _LONG_OPTIONS[name]:
                if eq:
                    raise _OptionError(f"{name} option does not take a value")
                options.append(_Option(name, None, source.span(word.start, word.end)))
                continue
            value_start = word.start + word.raw.find("=") + 1 if eq else None
        elif word.value.startswith("-") and len(word.value) > 1:
            given = word.value[:2]
            if given not in _SHORT_OPTIONS:
                raise _OptionError(f"no such option: {given}")
            name, attached = _SHORT_OPTIONS[given], word.value[2:]
            value_start = word.start + 2 if attached else None
        else:
            continue
        if value_start is not None:
            value, span = attached, source.span(value_start, word.end)
        elif i < len(words):
            value, span = words[i].value, source.span(words[i].start, words[i].end)
            i += 1
        else:
            raise _OptionError(f"{given} option requires 1 argument")
        name = _ALIASES.get(name, name)
        _check_value(name, value)
        options.append(_Option(name, value, span))
    return options


def _match_long(given: str) -> str:
    if given in _LONG_OPTIONS:
        return given
    matches = sorted(name for name in _LONG_OPTIONS if name.startswith(given))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise _OptionError(f"no such option: {given}")
    raise _OptionError(f"ambiguous option: {given} ({', '.join(matches)})")


def _check_value(name: str, value: str) -> None:
    if name == "--hash":
        algo, sep, _ = value.partition(":")
        if not sep:
            raise _OptionError("--hash must be a hash name followed by a value, like --hash=sha256:abcde...")
        if algo not in _STRONG_HASHES:
            raise _OptionError(f"allowed hash algorithms for --hash are {', '.join(_STRONG_HASHES)}")
    elif name == "--config-settings" and "=" not in value:
        raise _OptionError("--config-settings must be of the form KEY=VAL")
