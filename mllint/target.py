"""Build the model of one lint target: a Dockerfile, its stages, RUN commands, and the
dependency files it installs from the build context."""

from __future__ import annotations

import fnmatch
import os
import posixpath
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

from .deps.commands import Install, recognise
from .dockerfile.expand import expand
from .dockerfile.parser import parse_dockerfile
from .dockerfile.shell import Command, commands_of
from .errors import MllintError, ParseError
from .model import Dockerfile, Instruction, Span
from .record import field, record


@record(frozen=True, slots=True)
class Step:
    """One recognised command of a RUN instruction."""

    instruction: Instruction
    command: Command
    action: object | None  # Install, GitClone, GitCheckout, Fetch, HubDownload, or None


@record(frozen=True, slots=True)
class DepFile:
    """A dependency file found in the build context by following the Dockerfile."""

    kind: str  # "requirements" | "conda" | "pyproject"
    path: Path
    display: str
    model: object  # RequirementFile | CondaEnvironment | PyProject
    installed_by: Span  # the install command that reads it
    lock: str | None = None  # for pyproject: a lock file beside it
    constraint: bool = False  # a pip constraints file (-c): its pins apply to other requirements


@record(frozen=True)
class Target:
    dockerfile: Dockerfile
    path: Path
    context: Path
    target_stage: int
    used_stages: frozenset[int]  # stages that feed the target: its FROM chain, COPY --from, RUN --mount from
    steps: tuple[Step, ...]
    dep_files: tuple[DepFile, ...] = ()
    dep_errors: tuple[MllintError, ...] = field(default=())  # unparsable dependency files
    # The stages that ship: the target stage and the stages it is built FROM (not COPY --from sources).
    shipped_stages: frozenset[int] = frozenset()
    workdirs: Mapping[int, str] = field(default_factory=dict)  # instruction start line -> WORKDIR there
    build_context: object | None = None  # mllint.context.BuildContext, walked lazily
    # Set by the engine from the config:
    profile: str = "serving"  # serving | training | dev
    dev_tools_python: tuple[str, ...] = ()
    dev_tools_os: tuple[str, ...] = ()
    target_drivers: tuple[str, ...] = ()  # the fleet the image runs on (--driver, config target.drivers)
    target_gpus: tuple[str, ...] = ()  # (--gpu, config target.gpus)
    # Values derived from this model by the checks, computed once per target (see once()).
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    pins: object | None = None  # mllint.pins.Pins from --pin-from: pinning checks attach pin edits
    digests: Mapping[str, str] = field(default_factory=dict)  # --pin-digests: base image ref -> sha256 digest

    def in_use(self, ins: Instruction) -> bool:
        return ins.stage < 0 or ins.stage in self.used_stages

    def ships(self, ins: Instruction) -> bool:
        """Whether the instruction's stage is in the shipped stage's FROM chain."""
        return ins.stage in self.shipped_stages

    def workdir(self, ins: Instruction) -> str:
        return self.workdirs.get(ins.span.line, "/")

    def once(self, key, compute):
        """``compute(self)``, computed once per target: several checks read the same derived values."""
        if key not in self.memo:
            self.memo[key] = compute(self)
        return self.memo[key]


def display_path(path: Path) -> str:
    """The path relative to the current folder when it is below it, else absolute."""
    try:
        return Path(os.path.relpath(path)).as_posix() if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


# Text that --fix is about to write (real path -> text): it is linted before it is written.
_PENDING: dict[Path, str] = {}


@contextmanager
def pending_writes(texts: Mapping[Path, str]):
    """Read these files as if they held this text (only inside the block)."""
    _PENDING.update({path.resolve(): text for path, text in texts.items()})
    try:
        yield
    finally:
        _PENDING.clear()


def read_bytes(path: Path) -> bytes:
    if _PENDING:
        pending = _PENDING.get(path.resolve())
        if pending is not None:
            return pending.encode("utf-8")
    return path.read_bytes()


def is_file(path: Path) -> bool:
    return path.is_file() or (bool(_PENDING) and path.resolve() in _PENDING)


def read_text(path: Path) -> str:
    try:
        data = read_bytes(path)
    except IsADirectoryError:
        raise MllintError("is a directory, not a file", str(path)) from None
    except OSError as exc:
        raise MllintError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start})", str(path)) from None


# --------------------------------------------------------------------------- stages


def _stage_ref(dockerfile: Dockerfile, name: str | None) -> int | None:
    if not name:
        return None
    stage = dockerfile.stage_named(name)
    return stage.index if stage else None


def _mount_froms(ins: Instruction) -> list[str]:
    froms = []
    for flag in ins.flags:
        if flag.name == "mount" and flag.value:
            for part in flag.value.split(","):
                key, _, value = part.partition("=")
                if key.strip() == "from" and value:
                    froms.append(value.strip())
    return froms


def used_stages(dockerfile: Dockerfile, target: int) -> frozenset[int]:
    seen: set[int] = set()
    todo = [target]
    while todo:
        index = todo.pop()
        if index in seen:
            continue
        seen.add(index)
        stage = dockerfile.stages[index]
        deps = [stage.base_stage]
        for ins in stage.instructions:
            frm = ins.flag("from")
            if frm and frm.value:
                deps.append(_stage_ref(dockerfile, frm.value))
            deps.extend(_stage_ref(dockerfile, f) for f in _mount_froms(ins))
        todo.extend(d for d in deps if d is not None)
    return frozenset(seen)


def pick_target(dockerfile: Dockerfile, name: str | None) -> int:
    if not dockerfile.stages:
        raise ParseError("no FROM instruction", dockerfile.path)
    if name is None:
        return len(dockerfile.stages) - 1
    stage = dockerfile.stage_named(name)
    if stage is None:
        names = ", ".join(s.name for s in dockerfile.stages if s.name) or "none"
        raise MllintError(f"--target {name!r}: no such stage (named stages: {names})", dockerfile.path)
    return stage.index


# --------------------------------------------------------------------------- image paths -> context


class ContextFiles:
    """Where files in the image came from in the build context, stage by stage."""

    def __init__(self, context: Path):
        self.context = context
        # per stage: list of (image destination, context sources, destination is a folder)
        self.copies: dict[int, list[tuple[str, tuple[str, ...], bool]]] = {}
        self._root: Path | None = None
        self._inside_memo: dict[str, Path | None] = {}  # each install looks up the same sources

    def add_copy(self, stage: int, dest: str, sources: tuple[str, ...], into_folder: bool) -> None:
        self.copies.setdefault(stage, []).append((dest, sources, into_folder))

    def locate(self, image_path: str, stages: list[int]) -> Path | None:
        """The context file that ``image_path`` (absolute, normalized) was copied from."""
        for stage in stages:
            for dest, sources, into_folder in reversed(self.copies.get(stage, [])):
                for src in sources:
                    found = self._match(image_path, dest, src, into_folder)
                    if found is not None:
                        return found
        return None

    def _inside(self, rel: str) -> Path | None:
        if rel not in self._inside_memo:
            if self._root is None:
                self._root = self.context.resolve()
            candidate = (self.context / rel).resolve()
            inside = candidate == self._root or self._root in candidate.parents  # never read outside the context
            self._inside_memo[rel] = candidate if inside and candidate.exists() else None
        return self._inside_memo[rel]

    def _match(self, image_path: str, dest: str, src: str, into_folder: bool) -> Path | None:
        src = src.lstrip("/")
        src_path = self._inside(src) if not any(c in src for c in "*?[") else None
        if src_path is not None and src_path.is_dir():
            # COPY dir/ /dest copies the folder's contents into /dest
            if image_path == dest or image_path.startswith(dest.rstrip("/") + "/"):
                rel = image_path[len(dest.rstrip("/")) + 1:]
                return self._inside(posixpath.join(src, rel)) if rel else src_path
            return None
        if into_folder:
            parent, base = posixpath.split(image_path)
            if parent.rstrip("/") != dest.rstrip("/") and not (parent == "/" and dest == "/"):
                return None
            if fnmatch.fnmatchcase(base, posixpath.basename(src)):
                return self._inside(posixpath.join(posixpath.dirname(src), base))
            return None
        return self._inside(src) if image_path == dest else None


def _abs(path: str, workdir: str) -> str:
    return posixpath.normpath(posixpath.join(workdir, path))


def _bind_mounts(ins: Instruction, workdir: str) -> list[tuple[str, str]]:
    """RUN --mount=type=bind,source=X,target=Y from the context: (image target, context source)."""
    mounts = []
    for flag in ins.flags:
        if flag.name != "mount" or not flag.value:
            continue
        opts = dict(part.partition("=")[::2] for part in flag.value.split(","))
        if opts.get("type", "bind") == "bind" and "from" not in opts:
            target = opts.get("target") or opts.get("dst") or opts.get("destination")
            if target:
                mounts.append((_abs(target, workdir), opts.get("source", opts.get("src", ".")).lstrip("/")))
    return mounts


# --------------------------------------------------------------------------- building the target


def load_target(path: Path, display: str, context: Path | None, stage_name: str | None) -> Target:
    text = read_text(path)
    dockerfile = parse_dockerfile(text, display)
    target_stage = pick_target(dockerfile, stage_name)
    stages = used_stages(dockerfile, target_stage)
    context = context if context is not None else path.parent
    files = ContextFiles(context)
    steps: list[Step] = []
    wanted: list[tuple[str, Path, Span, bool]] = []  # (kind, context path, install span, constraint)
    workdirs: dict[int, str] = {}
    workdir_at: dict[int, str] = {}
    for ins in dockerfile.instructions:
        if ins.stage < 0:
            continue
        stage = dockerfile.stages[ins.stage]
        if ins.keyword == "FROM":
            workdirs[ins.stage] = workdirs.get(stage.base_stage, "/") if stage.base_stage is not None else "/"
            continue
        workdir = workdirs.get(ins.stage, "/")
        workdir_at[ins.span.line] = workdir
        if ins.keyword == "WORKDIR":
            value, _ = expand(ins.args.strip(), ins.variables)
            workdirs[ins.stage] = _abs(value or "/", workdir)
        elif ins.keyword in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs:
            _record_copy(files, ins, workdir)
        elif ins.keyword == "RUN":
            chain = _stage_chain(dockerfile, ins.stage)
            mounts = _bind_mounts(ins, workdir)
            for cmd in commands_of(ins, dockerfile.escape):
                action = recognise(cmd, ins.variables)
                steps.append(Step(ins, cmd, action))
                if isinstance(action, Install) and ins.stage in stages:
                    for kind, word, constraint in _dep_words(action):
                        value, _ = expand(word.value, ins.variables)
                        image_path = _abs(value, workdir)
                        found = _from_mounts(files, mounts, image_path) or files.locate(image_path, chain)
                        if found is None and not value.startswith("/"):
                            found = files._inside(value)  # commonly run from the context layout
                        if found is not None:
                            wanted.append((kind, found, word.span, constraint))
    dep_files, errors = _load_dep_files(wanted)
    from .context import BuildContext

    return Target(dockerfile, path, context, target_stage, stages, tuple(steps), dep_files, errors,
                  shipped_stages=frozenset(_stage_chain(dockerfile, target_stage)), workdirs=workdir_at,
                  build_context=BuildContext(context, path))


def _stage_chain(dockerfile: Dockerfile, index: int) -> list[int]:
    chain = []
    current: int | None = index
    while current is not None and current not in chain:
        chain.append(current)
        current = dockerfile.stages[current].base_stage
    return chain


def _record_copy(files: ContextFiles, ins: Instruction, workdir: str) -> None:
    if ins.json_args is not None:
        words = [w.value for w in ins.json_args]
    else:
        words = ins.args.split()
    words = [expand(w, ins.variables)[0] for w in words]
    if len(words) < 2:
        return
    *sources, dest = words
    into_folder = dest.endswith("/") or len(sources) > 1 or dest in (".", "./")
    files.add_copy(ins.stage, _abs(dest, workdir), tuple(sources), into_folder)


def _from_mounts(files: ContextFiles, mounts, image_path: str) -> Path | None:
    for target, source in mounts:
        if image_path == target:
            return files._inside(source)
        if image_path.startswith(target.rstrip("/") + "/"):
            return files._inside(posixpath.join(source, image_path[len(target.rstrip("/")) + 1:]))
    return None


def _dep_words(install: Install):
    """(kind, word, is a constraints file) for each file an install reads."""
    for word in install.requirement_files:
        yield "requirements", word, False
    for word in install.constraint_files:
        yield "requirements", word, True
    for word in install.env_files:
        yield "conda", word, False
    for word in install.projects:
        yield "pyproject", word, False


def load_dep_file(kind: str, path: Path, display: str, installed_by: Span | None,
                  constraint: bool = False) -> tuple[DepFile, ...]:
    """Parse one dependency file (and, for requirements, the files it includes)."""
    if kind == "requirements":
        from .deps.requirements import load_requirements

        return tuple(
            DepFile("requirements", Path(req_file.path), req_file.path, req_file, installed_by,
                    constraint=constraint or req_file.constraint)
            for req_file in load_requirements(path, display, read_bytes)
        )
    if kind == "conda":
        from .deps.conda_env import parse_environment

        return (DepFile("conda", path, display, parse_environment(read_text(path), display), installed_by),)
    from .deps.pyproject import find_lock, parse_pyproject

    lock = find_lock({p.name for p in path.parent.iterdir()})
    return (DepFile("pyproject", path, display, parse_pyproject(read_text(path), display), installed_by, lock),)


def _load_dep_files(wanted) -> tuple[tuple[DepFile, ...], tuple[MllintError, ...]]:
    seen: set[Path] = set()
    out: list[DepFile] = []
    errors: list[MllintError] = []
    for kind, found, span, constraint in wanted:
        if kind == "pyproject":
            found = found / "pyproject.toml" if found.is_dir() else found
            if found.name != "pyproject.toml" or not found.is_file():
                continue
        if found in seen or found.is_dir():
            continue
        seen.add(found)
        try:
            out.extend(load_dep_file(kind, found, display_path(found), span, constraint))
        except MllintError as exc:
            errors.append(exc)
    return tuple(out), tuple(errors)
