"""``pyproject.toml`` dependencies (PEP 621, PEP 735, Poetry, build-system) with positions.

tomllib gives no positions, so after it accepts a file :class:`_TomlPositions` walks the same
text once and records where every string value, key and table header sits, by key path
(``("project", "dependencies", 3)``). A PEP 508 string's span covers its content inside the
quotes; a Poetry dependency's span covers its name key.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from mllint.deps.requirements import parse_directives, reject_binary
from mllint.deps.specs import PackageSpec, parse_pip_spec
from mllint.errors import ParseError
from mllint.model import Span

from ..record import record

TYPE_CHECKING = False  # typing costs ~8 ms to import; only type checkers need these names
if TYPE_CHECKING:
    from typing import Any, NoReturn

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

KeyPath = tuple[str | int, ...]

# Lock files a resolver writes beside pyproject.toml, in the order find_lock prefers them.
LOCK_FILES = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "pixi.lock",
    "Pipfile.lock",
    "requirements.lock",
    "conda-lock.yml",
    "pylock.toml",
)
_NAMED_PYLOCK = re.compile(r"pylock\.[^.]+\.toml")  # PEP 751: pylock.<name>.toml
_TOML_ERROR_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_POETRY_EXACT = re.compile(r"^\s*(?:==?)?\s*([0-9][^\s,*|<>=!^~]*)\s*$")


@record(frozen=True, slots=True)
class PyDependency:
    text: str  # the PEP 508 string; for Poetry, "name constraint" (``spec.text`` holds a PEP 508 translation)
    spec: PackageSpec
    span: Span
    section: str  # "project" | "optional" | "group" | "poetry" | "build"
    group: str | None = None  # the extra, dependency group or Poetry group
    constraint: str | None = None  # Poetry's version constraint as written, e.g. "^1.26"
    ignores: frozenset[str] = frozenset()  # "# mllint: ignore=..." on its line


@record(frozen=True, slots=True)
class PyProject:
    path: str
    name: str | None
    requires_python: str | None
    dependencies: tuple[PyDependency, ...]  # project, optional, groups, then Poetry
    build_requires: tuple[PyDependency, ...]  # [build-system] requires
    file_ignores: frozenset[str]


def find_lock(names: set[str]) -> str | None:
    """The lock file among ``names`` (the files beside pyproject.toml), if any."""
    for name in LOCK_FILES:
        if name in names:
            return name
    named = sorted(n for n in names if _NAMED_PYLOCK.fullmatch(n))
    return named[0] if named else None


def parse_pyproject(text: str, path: str) -> PyProject:
    """Parse the text of a pyproject.toml; ``path`` is how findings name it."""
    text = text.removeprefix("\ufeff")
    reject_binary(text, path)
    try:
        data = tomllib.loads(text)
        positions = _TomlPositions(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer too long to convert
        message = str(exc)
        at = _TOML_ERROR_AT.search(message)
        line = int(at.group(1)) if at else None
        raise ParseError(f"invalid TOML: {message[: at.start()] if at else message}", path, line) from None
    except RecursionError:
        raise ParseError("invalid TOML: nested too deeply", path) from None
    return _Reader(data, positions, path).read()


class _Reader:
    """Turns tomllib's data into PyDependency entries, with spans from the positions."""

    def __init__(self, data: dict[str, Any], positions: _TomlPositions, path: str):
        self.data = data
        self.positions = positions
        self.path = path

    def read(self) -> PyProject:
        project = self._table(("project",))
        poetry = self._table(("tool", "poetry"))
        python = self._table(("tool", "poetry", "dependencies")).get("python")
        return PyProject(
            path=self.path,
            name=_str_or_none(project.get("name")) or _str_or_none(poetry.get("name")),
            requires_python=_str_or_none(project.get("requires-python")) or _str_or_none(python),
            dependencies=(
                *self._pep508_list(("project", "dependencies"), "project"),
                *self._pep508_groups(("project", "optional-dependencies"), "optional"),
                *self._pep508_groups(("dependency-groups",), "group"),
                *self._poetry(),
            ),
            build_requires=tuple(self._pep508_list(("build-system", "requires"), "build")),
            file_ignores=parse_directives("\n".join(self.positions.comments.values()))[1],
        )

    def _get(self, path: KeyPath) -> Any:
        value: Any = self.data
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    def _table(self, path: KeyPath) -> dict[str, Any]:
        value = self._get(path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._fail(path, "must be a table")
        return value

    def _fail(self, path: KeyPath, problem: str) -> NoReturn:
        raise ParseError(f"'{'.'.join(map(str, path))}' {problem}", self.path, self.positions.line(path))

    def _pep508_list(self, path: KeyPath, section: str, group: str | None = None) -> list[PyDependency]:
        value = self._get(path)
        if value is None:
            return []
        if not isinstance(value, list):
            self._fail(path, "must be an array of strings")
        entries = []
        for i, item in enumerate(value):
            if isinstance(item, dict) and section == "group":
                continue  # {include-group = "..."}: its entries are listed under that group
            if not isinstance(item, str):
                self._fail(path + (i,), "must be a string")
            span = self.positions.span(path + (i,))
            ignores = self.positions.ignores(span)
            entries.append(PyDependency(item, parse_pip_spec(item), span, section, group, ignores=ignores))
        return entries

    def _pep508_groups(self, path: KeyPath, section: str) -> list[PyDependency]:
        return [
            dep
            for group in self._table(path)
            for dep in self._pep508_list(path + (group,), section, group)
        ]

    def _poetry(self) -> list[PyDependency]:
        # The main group, the legacy dev-dependencies table, then [tool.poetry.group.<name>.dependencies].
        tables: list[tuple[KeyPath, str | None]] = [
            (("tool", "poetry", "dependencies"), None),
            (("tool", "poetry", "dev-dependencies"), "dev"),
        ]
        for group in self._table(("tool", "poetry", "group")):
            tables.append((("tool", "poetry", "group", group, "dependencies"), group))
        return [dep for table, group in tables for dep in self._poetry_table(table, group)]

    def _poetry_table(self, path: KeyPath, group: str | None) -> list[PyDependency]:
        entries = []
        for name, value in self._table(path).items():
            if name.lower() == "python":
                continue
            variants = value if isinstance(value, list) else [value]
            for item in variants:
                if not isinstance(item, (str, dict)):
                    self._fail(path + (name,), "must be a version string or a table")
                span = self.positions.key_span(path + (name,))
                requirement, constraint = _poetry_requirement(name, item)
                text = f"{name} {constraint}" if constraint else name
                spec = parse_pip_spec(requirement)
                ignores = self.positions.ignores(span)
                entries.append(PyDependency(text, spec, span, "poetry", group, constraint, ignores))
        return entries


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _poetry_requirement(name: str, entry: str | dict[str, Any]) -> tuple[str, str | None]:
    """A PEP 508 requirement saying what the Poetry entry says about pinning, and its constraint."""
    table = entry if isinstance(entry, dict) else {"version": entry}
    extras = table.get("extras")
    if isinstance(extras, list) and all(isinstance(e, str) for e in extras) and extras:
        name += f"[{','.join(extras)}]"
    markers = f" ; {table['markers']}" if isinstance(table.get("markers"), str) else ""
    constraint = _str_or_none(table.get("version"))
    if isinstance(table.get("git"), str):
        ref = next((table[k] for k in ("rev", "tag", "branch") if isinstance(table.get(k), str)), None)
        url = table["git"] if table["git"].startswith("git+") else "git+" + table["git"]
        return f"{name} @ {url}{'@' + ref if ref else ''}{markers}", constraint
    for key in ("url", "path"):
        if isinstance(table.get(key), str):
            return f"{name} @ {table[key]}{markers}", constraint
    return f"{name}{_poetry_specifier(constraint)}{markers}", constraint


def _poetry_specifier(constraint: str | None) -> str:
    """``==X`` for an exact Poetry version (``1.2.3``, ``=1.2.3``, ``==1.2.3``); a PEP 440 range
    as written; nothing for caret, tilde, wildcard and ``||`` constraints."""
    if not constraint:
        return ""
    exact = _POETRY_EXACT.match(constraint)
    if exact:
        try:
            return f"=={Version(exact.group(1))}"
        except InvalidVersion:
            return ""
    try:
        return str(SpecifierSet(constraint))
    except InvalidSpecifier:
        return ""


# --------------------------------------------------------------------------- positions


class _TomlPositions:
    """Where each string value, key and table header of valid TOML text sits, by key path.

    Arrays of tables count as lists (``[[tool.x]]`` -> ``("tool", "x", 0)``), as in tomllib.
    """

    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.strings: dict[KeyPath, tuple[int, int]] = {}  # content offsets, quotes excluded
        self.keys: dict[KeyPath, tuple[int, int]] = {}
        self.tables: dict[KeyPath, int] = {}  # header offset
        self.comments: dict[int, str] = {}  # 1-based line -> comment text after "#"
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._arrays: dict[KeyPath, int] = {}  # array-of-tables path -> index of its last table
        self._document()

    # ---- lookups

    def span(self, path: KeyPath) -> Span:
        """The string at ``path``, or else the line of the nearest enclosing table header."""
        if path in self.strings:
            return self._span(*self.strings[path])
        return self._fallback(path)

    def key_span(self, path: KeyPath) -> Span:
        if path in self.keys:
            return self._span(*self.keys[path])
        return self._fallback(path)

    def line(self, path: KeyPath) -> int:
        """The line of the value at ``path``, or of the nearest enclosing key or table."""
        for n in range(len(path), 0, -1):
            for found in (self.strings.get(path[:n]), self.keys.get(path[:n])):
                if found:
                    return self._position(found[0])[0]
            if path[:n] in self.tables:
                return self._position(self.tables[path[:n]])[0]
        return 1

    def ignores(self, span: Span) -> frozenset[str]:
        return parse_directives(self.comments.get(span.end_line, ""))[0]

    def _fallback(self, path: KeyPath) -> Span:
        for n in range(len(path), 0, -1):
            if path[:n] in self.tables:
                line, _ = self._position(self.tables[path[:n]])
                return Span.point(line, 1, len(self._line_text(line)))
        return Span.point(1, 1)

    def _position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def _span(self, start: int, end: int) -> Span:
        line, column = self._position(start)
        end_line, end_column = self._position(end)
        return Span(line, column, end_line, end_column)

    def _line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    # ---- scanning

    def _peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.text[j] if j < len(self.text) else ""

    def _skip(self, newlines: bool = True) -> None:
        """Skip blanks (and newlines and comments when ``newlines``); record comments."""
        while True:
            c = self._peek()
            if c in (" ", "\t") or (newlines and c in ("\r", "\n")):
                self.i += 1
            elif newlines and c == "#":
                end = self.text.find("\n", self.i)
                end = len(self.text) if end < 0 else end
                self.comments[self._position(self.i)[0]] = self.text[self.i + 1 : end].rstrip("\r")
                self.i = end
            else:
                return

    def _document(self) -> None:
        table: KeyPath = ()
        while True:
            self._skip()
            if not self._peek():
                return
            if self._peek() == "[":
                table = self._header()
            else:
                start = self.i
                self._key_value(table)
                if self.i == start:  # not TOML after all; stop rather than loop
                    return

    def _header(self) -> KeyPath:
        start = self.i
        array = self._peek(1) == "["
        self.i += 2 if array else 1
        names = tuple(name for name, _, _ in self._key())
        self._skip(newlines=False)
        self.i += 2 if array else 1
        if array:
            base = self._resolve(names[:-1]) + names[-1:]
            self._arrays[base] = self._arrays.get(base, -1) + 1
            path = base + (self._arrays[base],)
        else:
            path = self._resolve(names)
        self.tables.setdefault(path, start)
        return path

    def _resolve(self, names: tuple[str, ...]) -> KeyPath:
        """Key names of a header -> path, stepping into the last table of arrays of tables."""
        path: KeyPath = ()
        for name in names:
            path += (name,)
            if path in self._arrays:
                path += (self._arrays[path],)
        return path

    def _key_value(self, table: KeyPath) -> None:
        keys = self._key()
        if not keys:
            return
        path = table + tuple(name for name, _, _ in keys)
        self.keys[path] = keys[-1][1:]
        self._skip(newlines=False)
        if self._peek() == "=":
            self.i += 1
            self._skip(newlines=False)
            self._value(path)

    def _key(self) -> list[tuple[str, int, int]]:
        """A dotted key: (name, start, end) of each part."""
        parts = []
        while True:
            self._skip(newlines=False)
            start = self.i
            if self._peek() in ('"', "'"):
                content_start, content_end = self._string()
                raw = self.text[start : self.i]
                name = tomllib.loads(f"k = {raw}")["k"] if raw[0] == '"' else raw[1:-1]
                parts.append((name, content_start, content_end))
            else:
                while self._peek() and (self._peek().isalnum() or self._peek() in "_-"):
                    self.i += 1
                if self.i == start:
                    return parts
                parts.append((self.text[start : self.i], start, self.i))
            self._skip(newlines=False)
            if self._peek() != ".":
                return parts
            self.i += 1

    def _value(self, path: KeyPath) -> None:
        c = self._peek()
        if c in ('"', "'"):
            self.strings[path] = self._string()
        elif c == "[":
            self._array(path)
        elif c == "{":
            self._inline_table(path)
        else:  # number, boolean or date-time
            while self._peek() and self._peek() not in ",]}\n#":
                self.i += 1

    def _array(self, path: KeyPath) -> None:
        self.i += 1
        index = 0
        while True:
            self._skip()
            if self._peek() in ("]", ""):
                self.i += 1
                return
            start = self.i
            self._value(path + (index,))
            index += 1
            self._skip()
            if self._peek() == ",":
                self.i += 1
            elif self.i == start:
                self.i += 1

    def _inline_table(self, path: KeyPath) -> None:
        self.i += 1
        while True:
            self._skip()
            if self._peek() in ("}", ""):
                self.i += 1
                return
            start = self.i
            self._key_value(path)
            self._skip()
            if self._peek() == ",":
                self.i += 1
            elif self.i == start:
                self.i += 1

    def _string(self) -> tuple[int, int]:
        """Consume a string literal; return its content offsets."""
        quote = self._peek()
        if self.text.startswith(quote * 3, self.i):
            return self._multiline_string(quote)
        self.i += 1
        start = self.i
        while self._peek() and self._peek() != quote:
            self.i += 2 if quote == '"' and self._peek() == "\\" else 1
        end = min(self.i, len(self.text))
        self.i = end + 1
        return start, end

    def _multiline_string(self, quote: str) -> tuple[int, int]:
        self.i += 3
        # A newline right after the opening delimiter is not part of the string.
        for newline in ("\r\n", "\n"):
            if self.text.startswith(newline, self.i):
                self.i += len(newline)
                break
        start = self.i
        while self._peek():
            if quote == '"' and self._peek() == "\\":
                self.i += 2
            elif self.text.startswith(quote * 3, self.i):
                run = 3
                while run < 5 and self._peek(run) == quote:  # up to two quotes may end the content
                    run += 1
                end = self.i + run - 3
                self.i += run
                return start, end
            else:
                self.i += 1
        return start, len(self.text)
