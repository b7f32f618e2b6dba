"""Apply the text edits that checks attach to findings: group by file, drop conflicting edits
deterministically, verify the result still parses, and write every file atomically.

Positions in edits are those of the model: 1-based lines and columns counted in characters on
the text without its byte-order mark, lines split on ``\\r\\n``, ``\\r`` and ``\\n``. They are turned into
offsets of the original text, so CRLF line ends, a BOM, tabs and continuation layout survive.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import MllintError
from .findings import FileEdit, Finding
from .record import field, record

_EOL = re.compile(r"\r\n|\r|\n")
BOM = "\ufeff"


@record
class FileChange:
    path: str  # as the findings name it
    real: Path  # symlinks resolved: the file that is written
    before: str | None  # None: the file does not exist yet
    after: str


@record
class FixPlan:
    changes: list[FileChange] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)  # findings whose edits were all applied
    dropped: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, why)
    errors: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.changes)


# --------------------------------------------------------------------------- positions → offsets


def line_starts(text: str) -> tuple[list[int], list[int]]:
    """(offset where each line starts, offset where its content ends) of ``text`` (BOM excluded)."""
    start = 1 if text.startswith(BOM) else 0
    starts, ends = [start], []
    for m in _EOL.finditer(text, start):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    return starts, ends


def offset(text_lines: tuple[list[int], list[int]], line: int, column: int) -> int:
    starts, ends = text_lines
    if line < 1:
        return starts[0]
    if line > len(starts):
        return ends[-1]
    return min(starts[line - 1] + max(column, 1) - 1, ends[line - 1])


# --------------------------------------------------------------------------- choosing edits


def _stale(f: Finding, path: str, text: str, tl: tuple[list[int], list[int]]) -> bool:
    """Whether the file no longer holds the line the finding was made on: another process (a
    concurrent `mllint --fix`, an editor) changed it after it was linted, so the edit's positions
    would land on other text. Redacted snippets cannot be compared and are trusted."""
    if f.path != path or not f.snippet or "***" in f.snippet:
        return False
    starts, ends = tl
    n = f.span.line
    return not (0 < n <= len(starts)) or text[starts[n - 1]:ends[n - 1]] != f.snippet


def _edit_path(f: Finding, e) -> str:
    return e.path if isinstance(e, FileEdit) else (e.path or f.path)


def fixable(f: Finding, rules, unsafe: bool) -> bool:
    rule = rules.get(f.rule)
    if rule is None or not f.edits:
        return False
    return rule.fix == "safe" or (unsafe and rule.fix == "unsafe")


def _read(path: str) -> tuple[Path, str | None]:
    real = Path(os.path.realpath(path))
    try:
        data = real.read_bytes()
    except FileNotFoundError:
        return real, None
    except OSError as exc:
        raise MllintError(f"cannot read: {exc.strerror or exc}", path) from None
    try:
        return real, data.decode("utf-8")
    except UnicodeDecodeError:
        raise MllintError("not UTF-8 text", path) from None


def _apply_file(text: str | None, ranges: list[tuple[int, int, str]], appends: list[str]) -> str:
    out = text or ""
    eol = m.group() if (m := _EOL.search(out)) else "\n"
    # from the end backwards; insertions at one point keep the order they were accepted in
    order = sorted(range(len(ranges)), key=lambda i: (ranges[i][0], ranges[i][1], i), reverse=True)
    for i in order:
        start, end, new = ranges[i]
        out = out[:start] + new.replace("\n", eol) + out[end:]
    if appends:
        body = out[1:] if out.startswith(BOM) else out
        have = {line.strip() for line in _EOL.split(body)}
        missing = [line for line in dict.fromkeys(appends) if line.strip() not in have]
        if missing:
            if out and not out.endswith(("\n", "\r")):
                out += eol
            out += eol.join(missing) + eol
    return out


def plan(findings: list[Finding], rules, unsafe: bool = False, verify=None) -> FixPlan:
    """Which edits to apply, file by file, and the new texts. ``verify(path, text)`` returns an
    error message when the new text of a file no longer parses (the fix is then dropped)."""
    result = FixPlan()
    candidates = sorted((f for f in findings if fixable(f, rules, unsafe)),
                        key=lambda f: (f.rule, f.path, f.span.line, f.span.column, f.message))
    texts: dict[str, tuple[Path, str | None]] = {}
    lines: dict[str, tuple[list[int], list[int]]] = {}
    taken: dict[str, list[tuple[int, int, str]]] = {}  # path -> accepted (start, end, text)
    appends: dict[str, list[str]] = {}
    owners: dict[str, list[Finding]] = {}
    accepted: list[tuple[Finding, list[tuple[str, object]]]] = []
    for f in candidates:
        resolved: list[tuple[str, object]] = []
        why = None
        for e in f.edits:
            path = _edit_path(f, e)
            if path not in texts:
                try:
                    texts[path] = _read(path)
                except MllintError as exc:
                    why = str(exc)
                    break
                lines[path] = line_starts(texts[path][1] or "")
            if isinstance(e, FileEdit):
                resolved.append((path, e))
                continue
            if texts[path][1] is None:
                why = f"{path}: no such file"
                break
            tl = lines[path]
            if _stale(f, path, texts[path][1], tl):
                why = f"{path} changed after it was linted (another mllint --fix?): run again"
                break
            start = offset(tl, e.span.line, e.span.column)
            end = offset(tl, e.span.end_line, e.span.end_column)
            resolved.append((path, (start, max(start, end), e.text)))
        if why is None:
            why = _conflict(resolved, taken)
        if why is not None:
            result.dropped.append((f, why))
            continue
        for path, r in resolved:
            if isinstance(r, FileEdit):
                appends.setdefault(path, []).extend(r.lines)
            elif r not in taken.setdefault(path, []):
                taken[path].append(r)
            owners.setdefault(path, []).append(f)
        accepted.append((f, resolved))

    # verify file by file; when a file breaks, retry its fixes one at a time in the same order
    broken: set[int] = set()
    paths = sorted(set(taken) | set(appends))
    for path in paths:
        real, before = texts[path]
        after = _apply_file(before, taken.get(path, []), appends.get(path, []))
        problem = verify(path, after) if verify else None
        if problem:
            keep_ranges: list[tuple[int, int, str]] = []
            keep_appends: list[str] = []
            for f, resolved in accepted:
                mine = [r for p, r in resolved if p == path]
                if not mine or id(f) in broken:
                    continue
                ranges = keep_ranges + [r for r in mine if not isinstance(r, FileEdit) and r not in keep_ranges]
                lines_ = keep_appends + [x for r in mine if isinstance(r, FileEdit) for x in r.lines]
                trial = _apply_file(before, ranges, lines_)
                if verify(path, trial):
                    broken.add(id(f))
                    result.dropped.append((f, f"the fix would break {path}: {verify(path, trial)}"))
                else:
                    keep_ranges, keep_appends = ranges, lines_
            after = _apply_file(before, keep_ranges, keep_appends)
        if after != (before or ""):
            result.changes.append(FileChange(path, real, before, after))
    # a finding is fixed when none of its files broke
    for f, _ in accepted:
        if id(f) not in broken:
            result.fixed.append(f)
    if broken:  # edits of a dropped finding in other files must go too: recompute those files
        keep = [(f, r) for f, r in accepted if id(f) not in broken]
        result.changes = _recompute(texts, keep, {c.path for c in result.changes}
                                    | {p for f, r in accepted if id(f) in broken for p, _ in r})
    return result


def _recompute(texts, keep, paths) -> list[FileChange]:
    changes = []
    for path in sorted(paths):
        real, before = texts[path]
        ranges: list = []
        lines_: list[str] = []
        for _, resolved in keep:
            for p, r in resolved:
                if p != path:
                    continue
                if isinstance(r, FileEdit):
                    lines_.extend(r.lines)
                elif r not in ranges:
                    ranges.append(r)
        after = _apply_file(before, ranges, lines_)
        if after != (before or ""):
            changes.append(FileChange(path, real, before, after))
    return changes


def _conflict(resolved, taken) -> str | None:
    for path, r in resolved:
        if isinstance(r, FileEdit):
            continue
        start, end, text = r
        for s, e, t in taken.get(path, []):
            if (s, e, t) == (start, end, text):
                continue  # the same edit from another finding: applied once
            if start < e and s < end:  # overlapping ranges
                return f"conflicts with another fix at {path} (offset {start})"
            if (start == end and s < start < e) or (s == e and start < s < end):
                return f"conflicts with another fix at {path} (offset {start})"
    return None


# --------------------------------------------------------------------------- verification


def _kind(name: str) -> str:
    from .lint import dependency_kind, is_dockerfile_name

    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return "dockerignore"
    if is_dockerfile_name(name):
        return "dockerfile"
    kind = dependency_kind(name)
    if kind:
        return kind
    if lower.endswith((".txt", ".in")):  # a requirements file a Dockerfile installs with -r
        return "requirements"
    if lower.endswith((".yml", ".yaml")):
        return "conda"
    if lower.endswith(".toml"):
        return "pyproject"
    return "dockerfile"


def verify_text(path: str, text: str) -> str | None:
    """Why the new text no longer parses as what it is (a Dockerfile, a requirements, conda or
    pyproject file), or None when it does."""
    body = text[1:] if text.startswith(BOM) else text
    kind = _kind(Path(path).name)
    try:
        if kind == "requirements":
            from .deps.requirements import parse_requirements

            parse_requirements(body, path)
        elif kind == "conda":
            from .deps.conda_env import parse_environment

            parse_environment(body, path)
        elif kind == "pyproject":
            from .deps.pyproject import parse_pyproject

            parse_pyproject(body, path)
        elif kind == "dockerfile":
            from .dockerfile.parser import parse_dockerfile

            if not parse_dockerfile(body, path).stages:
                return "no FROM instruction"
            return _buildkit_error(body)
    except MllintError as exc:
        return str(exc)
    except (ValueError, TypeError, IndexError, KeyError, RecursionError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def _buildkit_error(body: str) -> str | None:
    """BuildKit's own parser (the `dockerfile` package), when it is installed, has the last word."""
    try:
        import dockerfile
    except ImportError:
        return None
    try:
        dockerfile.parse_string(body)
    except dockerfile.GoParseError as exc:
        return f"BuildKit's parser: {exc}"
    return None


# --------------------------------------------------------------------------- output


def unified_diff(changes: list[FileChange]) -> str:
    out = []
    for c in changes:
        before = (c.before or "").splitlines(keepends=True)
        after = c.after.splitlines(keepends=True)
        a = f"a/{c.path}" if c.before is not None else "/dev/null"
        for line in difflib.unified_diff(before, after, a, f"b/{c.path}"):
            out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def check_writable(changes: list[FileChange]) -> list[str]:
    """Every reason a change cannot be written, before anything is written."""
    problems = []
    for c in changes:
        folder = c.real.parent
        if c.before is not None and not os.access(c.real, os.W_OK):
            problems.append(f"{c.path}: cannot write: the file is read-only")
        elif not os.access(folder, os.W_OK | os.X_OK):
            problems.append(f"{c.path}: cannot write: its folder {folder} is not writable")
    return problems


def write(changes: list[FileChange]) -> None:
    """Write every change atomically: all temporary files first, then one rename each. A failure
    before the renames leaves every file as it was."""
    problems = check_writable(changes)
    if problems:
        raise MllintError("; ".join(problems))
    staged: list[tuple[str, FileChange]] = []
    try:
        for c in changes:
            fd, tmp = tempfile.mkstemp(prefix=f".{c.real.name}.", suffix=".mllint", dir=c.real.parent)
            staged.append((tmp, c))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(c.after)
                fh.flush()
                os.fsync(fh.fileno())  # the rename below never exposes a file whose data is not on disk
            if c.before is not None:
                old = os.stat(c.real)
                mode = stat.S_IMODE(old.st_mode)
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    try:  # keep the owner (root fixing a user's file); a plain user cannot give files away
                        os.chown(tmp, old.st_uid, old.st_gid)
                    except OSError:
                        pass
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
    except OSError as exc:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise MllintError(f"cannot write: {exc.strerror or exc}", getattr(exc, "filename", None)) from None
    for tmp, c in staged:
        os.replace(tmp, c.real)


# --------------------------------------------------------------------------- the --fix / --diff run


@record
class FixOutcome:
    report: object  # the Report after fixing (or before, for --diff)
    fixed: int = 0
    files: set = field(default_factory=set)
    diff: str = ""
    dropped: list[str] = field(default_factory=list)  # fixes dropped because they break a file


MAX_PASSES = 5  # a fix can make another applicable (a conflict dropped in one pass applies in the next)


def _relint(make_linter, paths: list, changes: list[FileChange]):
    """Lint the fixed text before it is written: the files are read as if they held it."""
    from .target import pending_writes

    with pending_writes({c.real: c.after for c in changes}):
        return make_linter().run(paths)


def _worse(before, after, changes: list[FileChange]) -> list[FileChange]:
    """Changes after which their file has more findings, or more errors, than before."""
    def tally(report, path):
        found = [f for f in report.findings if f.path == path]
        return len(found), sum(f.severity == "error" for f in found)

    worse = []
    for c in changes:
        (n0, e0), (n1, e1) = tally(before, c.path), tally(after, c.path)
        if n1 > n0 or e1 > e0:
            worse.append(c)
    return worse


@contextmanager
def _one_fixer_at_a_time(write_files: bool):
    """Concurrent `mllint --fix` runs (pre-commit starts several) take turns from lint to write: a
    run that linted a file another one then rewrote would place its edits at stale positions."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the stale-line check in plan() is the only guard
        yield
        return
    if not write_files:
        yield
        return
    lock = Path(tempfile.gettempdir()) / f"mllint-fix-{os.getuid()}.lock"
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run(make_linter, paths: list, unsafe: bool = False, write_files: bool = True) -> FixOutcome:
    with _one_fixer_at_a_time(write_files):
        return _run(make_linter, paths, unsafe, write_files)


def _run(make_linter, paths: list, unsafe: bool, write_files: bool) -> FixOutcome:
    """Lint, apply fixes, lint again, until nothing changes. Each pass lints the fixed text before
    writing it: a file that would end with more findings (or errors) keeps its old text.
    ``make_linter()`` gives a fresh Linter (files are read again after each pass). With ``write_files`` False (``--diff``) nothing is
    written: the outcome carries the diff of the first pass, redacted."""
    from .engine import redact
    from .rules import all_rules

    rules = all_rules()
    linter = make_linter()
    report = linter.run(paths)
    outcome = FixOutcome(report)
    for _ in range(MAX_PASSES):
        p = plan(report.findings, rules, unsafe, verify_text)
        for f, why in p.dropped:
            if why.startswith("the fix would break"):
                outcome.dropped.append(f"{f.path}:{f.span.line}:{f.span.column}: {f.rule}: fix dropped: {why}")
        if not p.changes:
            break
        if not write_files:
            outcome.diff = redact(unified_diff(p.changes), linter.secrets) if linter.secrets else unified_diff(p.changes)
            outcome.fixed = len(p.fixed)
            outcome.files = {c.path for c in p.changes}
            break
        relinted = _relint(make_linter, paths, p.changes)
        worse = _worse(report, relinted, p.changes)
        if worse:  # keep the other files' fixes; the worse ones are reported, not written
            outcome.dropped += [f"{c.path}: fixes dropped: the fixed file has more findings than before"
                                for c in worse]
            p.changes = [c for c in p.changes if c not in worse]
            p.fixed = [f for f in p.fixed if f.path not in {c.path for c in worse}]
            if not p.changes:
                break
            relinted = _relint(make_linter, paths, p.changes)
        write(p.changes)
        outcome.fixed += len(p.fixed)
        outcome.files |= {str(c.real) for c in p.changes}
        report = outcome.report = relinted
    outcome.dropped = list(dict.fromkeys(outcome.dropped))
    return outcome
