"""The build context as `docker build` sends it: `.dockerignore` with Docker's own matching rules.

Matching follows moby's ``patternmatcher`` (used by BuildKit for ``.dockerignore``):

- each line is trimmed; ``#`` lines and blank lines are skipped; a leading ``!`` re-includes;
- the pattern is cleaned like Go's ``filepath.Clean`` and a leading ``/`` is dropped;
- ``*`` matches within one path component, ``?`` one character, ``**`` any number of folders;
- a path is excluded when it or one of its parent folders matches; the last matching pattern wins;
- ``<Dockerfile>.dockerignore`` beside the Dockerfile takes precedence over ``<context>/.dockerignore``.

The walk is lazy and bounded: excluded folders are skipped when no ``!`` pattern can re-include
something inside them, and folders the caller marks as "stop" (a dataset, ``.git``) are reported by
name with a few sample entries and a capped count instead of being walked.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from .record import field, record


def clean(path: str) -> str:
    """Go's path.Clean for slash-separated paths."""
    if not path:
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    joined = "/".join(out)
    return ("/" + joined) if rooted else (joined or ".")


# pattern tokens: a literal character, "?", "*" (within a folder), "**/" (any folders), "**" at the
# end (anything), or a compiled one-character class
_ONE, _STAR, _FOLDERS, _ANY = "?", "*", "**/", "**"


def _tokens(pattern: str) -> list:
    tokens: list = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                tokens.append(_ANY if i >= n else _FOLDERS)
            else:
                tokens.append(_STAR)
        elif ch == "?":
            tokens.append(_ONE)
        elif ch == "\\":
            tokens.append(("lit", pattern[i] if i < n else "\\"))
            i += 1
        elif ch == "[":
            close = pattern.find("]", i + 1 if i < n and pattern[i] in "!^" else i)
            if close < 0:
                tokens.append(("lit", "["))
            else:
                tokens.append(("class", _char_class(pattern[i:close])))
                i = close + 1
        else:
            tokens.append(("lit", ch))
    return tokens


_cached_tokens = functools.lru_cache(maxsize=1024)(_tokens)


def _char_class(body: str) -> re.Pattern[str]:
    """``[...]`` as one regex class: every character escaped but ranges (no nested sets)."""
    out, negate = [], body[:1] in ("!", "^")
    i = 1 if negate else 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            i += 1
            ch = body[i]
        out.append("-" if ch == "-" and 0 < len(out) and i + 1 < len(body) else re.escape(ch))
        i += 1
    try:
        return re.compile("[" + ("^" if negate else "") + "".join(out) + "]")
    except re.error:  # a bad range such as [z-a]: matches nothing, as in Go
        return re.compile("(?!)")


def _regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    for tok in _tokens(pattern):
        if tok == _STAR:
            out.append("[^/]*")
        elif tok == _ONE:
            out.append("[^/]")
        elif tok == _ANY:
            out.append(".*")
        elif tok == _FOLDERS:
            out.append("(.*/)?")
        elif tok[0] == "lit":
            out.append(re.escape(tok[1]))
        else:
            out.append(tok[1].pattern)
    out.append("$")
    return re.compile("".join(out))


def _nfa_match(tokens: list, path: str) -> bool:
    """Whether ``path`` matches the tokens, in time linear in len(path) * len(tokens): a regex of
    many ``*`` backtracks exponentially (``*a*a*a*a*a*a*a*a*a*a*b`` on a long name)."""
    n = len(tokens)

    def closure(states: set[int]) -> set[int]:
        todo = list(states)
        while todo:
            s = todo.pop()
            i, loop = divmod(s, 2)
            if not loop and i < n and tokens[i] in (_STAR, _ANY, _FOLDERS) and 2 * (i + 1) not in states:
                states.add(2 * (i + 1))
                todo.append(2 * (i + 1))
        return states

    states = closure({0})
    for ch in path:
        nxt: set[int] = set()
        for s in states:
            i, loop = divmod(s, 2)
            if i >= n:
                continue
            tok = tokens[i]
            if tok == _STAR:
                if ch != "/":
                    nxt.add(s)
            elif tok == _ANY:
                nxt.add(s)
            elif tok == _FOLDERS:
                nxt.add(2 * i + 1)
                if ch == "/":
                    nxt.add(2 * (i + 1))
            elif loop:
                pass
            elif tok == _ONE:
                if ch != "/":
                    nxt.add(2 * (i + 1))
            elif tok[0] == "lit":
                if ch == tok[1]:
                    nxt.add(2 * (i + 1))
            elif tok[1].fullmatch(ch):
                nxt.add(2 * (i + 1))
        if not nxt:
            return False
        states = closure(nxt)
    return 2 * n in states


@record(frozen=True, slots=True)
class Pattern:
    text: str  # cleaned, without "!" and leading "/"
    exclusion: bool  # a "!" pattern: re-includes
    line: int
    regex: re.Pattern[str] = field(compare=False, repr=False)

    def match(self, path: str) -> bool:
        if self.text.count("*") > 2:  # the regex could backtrack for a very long time
            return _nfa_match(_cached_tokens(self.text), path)
        return bool(self.regex.match(path))


class DockerIgnore:
    def __init__(self, patterns: list[Pattern], path: Path | None = None):
        self.patterns = patterns
        self.path = path
        self.has_exclusions = any(p.exclusion for p in patterns)

    @staticmethod
    def parse(text: str, path: Path | None = None) -> "DockerIgnore":
        patterns = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
                if not line:
                    continue
            line = clean(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
            patterns.append(Pattern(line, exclusion, number, _regex(line)))
        return DockerIgnore(patterns, path)

    def excluded(self, rel: str) -> bool:
        """Whether ``rel`` (slash-separated, relative to the context) is left out of the context."""
        rel = clean(rel)
        parents = rel.split("/")[:-1]
        matched = False
        for p in self.patterns:
            hit = p.match(rel)
            if not hit and parents:
                for k in range(1, len(parents) + 1):
                    if p.match("/".join(parents[:k])):
                        hit = True
                        break
            if hit:
                matched = not p.exclusion
        return matched

    def may_reinclude_under(self, rel_dir: str) -> bool:
        """Whether some ``!`` pattern could bring back a path below an excluded folder."""
        prefix = rel_dir.rstrip("/") + "/"
        for p in self.patterns:
            if not p.exclusion:
                continue
            literal = re.split(r"[*?\[\\]", p.text, maxsplit=1)[0]
            if literal.startswith(prefix) or prefix.startswith(literal) or not literal:
                return True
        return False


def find_dockerignore(dockerfile: Path, context: Path) -> Path | None:
    """``<Dockerfile>.dockerignore`` beside the Dockerfile wins over ``<context>/.dockerignore``."""
    from .target import is_file  # counts a .dockerignore that --fix is about to create

    specific = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if is_file(specific):
        return specific
    general = context / ".dockerignore"
    return general if is_file(general) else None


@record(frozen=True)
class StoppedFolder:
    path: str  # relative to the context
    sample: tuple[str, ...]  # a few entry names
    count: int  # direct entries, capped
    capped: bool


@record(frozen=True)
class Listing:
    """What a COPY source brings from the context, after .dockerignore."""

    files: tuple[str, ...]  # relative to the context, sorted walk order
    stopped: tuple[StoppedFolder, ...]  # folders reported without walking
    truncated: bool  # the walk stopped at the file limit


class BuildContext:
    """A lazily walked build context; every answer is cached."""

    MAX_FILES = 20000
    MAX_ENTRIES = 1000

    def __init__(self, root: Path, dockerfile: Path):
        self.root = root
        self.dockerfile = dockerfile
        self._ignore: DockerIgnore | None | bool = False
        self._listings: dict[tuple[str, object], Listing] = {}

    @property
    def ignore_path(self) -> Path | None:
        ignore = self.ignore
        return ignore.path if ignore else None

    @property
    def ignore(self) -> DockerIgnore | None:
        if self._ignore is False:
            path = find_dockerignore(self.dockerfile, self.root)
            if path is None:
                self._ignore = None
            else:
                try:
                    from .target import read_bytes

                    self._ignore = DockerIgnore.parse(read_bytes(path).decode("utf-8", errors="replace"), path)
                except OSError:
                    self._ignore = None
        return self._ignore  # type: ignore[return-value]

    def excluded(self, rel: str) -> bool:
        ignore = self.ignore
        return bool(ignore and ignore.excluded(rel))

    def exists(self, rel: str) -> bool:
        return self._inside(rel) is not None

    def _inside(self, rel: str) -> Path | None:
        rel = clean(rel.lstrip("/"))
        if rel.startswith(".."):
            return None
        path = self.root / rel if rel != "." else self.root
        return path if path.exists() else None

    def listing(self, source: str, stop: Callable[[str], bool] | None = None) -> Listing:
        """Files that ``COPY <source>`` brings (a folder, ``.``, a file or a glob)."""
        key = (source, stop)
        if key not in self._listings:
            self._listings[key] = self._walk(source, stop)
        return self._listings[key]

    def _walk(self, source: str, stop) -> Listing:
        src = clean(source.lstrip("/"))
        if src.startswith(".."):
            return Listing((), (), False)
        files: list[str] = []
        stopped: list[StoppedFolder] = []
        if any(c in src for c in "*?["):
            parent = posixpath.dirname(src) or "."
            base = posixpath.basename(src)
            import fnmatch

            starts = []
            folder = self._inside(parent)
            if folder is not None and folder.is_dir():
                try:
                    names = sorted(os.listdir(folder))
                except OSError:
                    names = []
                starts = [clean(posixpath.join(parent, n)) for n in names if fnmatch.fnmatchcase(n, base)]
        else:
            starts = [src]
        truncated = False
        for start in starts:
            path = self._inside(start)
            if path is None or (start != "." and self.excluded(start) and not path.is_dir()):
                continue
            if path.is_file():
                files.append(start)
                continue
            truncated |= self._walk_dir(start, stop, files, stopped)
        return Listing(tuple(files), tuple(stopped), truncated)

    def _walk_dir(self, start: str, stop, files: list[str], stopped: list[StoppedFolder]) -> bool:
        ignore = self.ignore
        todo = [start]
        while todo:
            rel_dir = todo.pop()
            folder = self.root if rel_dir == "." else self.root / rel_dir
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            subdirs = []
            for entry in entries:
                rel = entry.name if rel_dir == "." else f"{rel_dir}/{entry.name}"
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                excluded = bool(ignore and ignore.excluded(rel))
                if is_dir:
                    if excluded and not ignore.may_reinclude_under(rel):
                        continue
                    if not excluded and stop is not None and stop(rel):
                        stopped.append(self._stopped(rel, entry.path))
                        continue
                    subdirs.append(rel)
                elif not excluded:
                    files.append(rel)
                    if len(files) >= self.MAX_FILES:
                        return True
            todo.extend(reversed(subdirs))
        return False

    def _stopped(self, rel: str, path: str) -> StoppedFolder:
        sample: list[str] = []
        count = 0
        capped = False
        try:
            with os.scandir(path) as it:
                for entry in it:
                    sub = f"{rel}/{entry.name}"
                    if self.excluded(sub):
                        continue
                    count += 1
                    if len(sample) < 3:
                        sample.append(entry.name)
                    if count >= self.MAX_ENTRIES:
                        capped = True
                        break
        except OSError:
            pass
        return StoppedFolder(rel, tuple(sorted(sample)), count, capped)
