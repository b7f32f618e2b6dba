"""Production: what the shipped stage carries that a serving image should not (dev tools, training
code and data, notebook servers). Only the stages that ship count: the target stage's FROM chain,
plus what it copies from other stages."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator

from .. import knowledge
from ..deps.commands import Install
from ..dockerfile.expand import expand
from ..engine import check
from ..findings import FileEdit, Finding
from ..knowledge import normalize_pypi
from ..model import Span
from ..target import Target
from ._common import (
    CONDA_LIKE,
    OS_LIKE,
    PIP_LIKE,
    arg_words,
    artifact_folder_stop,
    copies,
    expanded,
    program,
    same_run,
    shown,
)

_EXTRAS = re.compile(r"\[([^\]]*)\]")


def _python_dev(t: Target):
    return knowledge.dev_python(tuple(t.dev_tools_python))


def _os_dev(t: Target):
    return knowledge.dev_os(tuple(t.dev_tools_os), compilers=t.profile != "training")


# Where Python environments live: a COPY --from of one of these ships what the other stage installed.
_ENV_PATH = re.compile(r"^/(usr/local|usr/lib/python[^/]*|opt/(venv|conda|env|miniconda3?|mamba)|install|"
                       r"root/\.local|venv|\.venv)(/|$)|site-packages|/\.?venv(/|$)")


def _environment_copies(t: Target) -> dict:
    """Stages whose Python environment the shipped stage copies: stage index -> the COPY."""
    out = {}
    for cp in copies(t):
        if cp.from_stage is None:
            continue
        stage = t.dockerfile.stage_named(cp.from_stage)
        if stage is None or stage.index in t.shipped_stages:
            continue
        if any(_ENV_PATH.search(expanded(w, cp.ins)) for w in cp.sources):
            for index in _chain(t, stage.index):
                out.setdefault(index, cp)
    return out


def _chain(t: Target, index: int) -> list[int]:
    chain = []
    current = index
    while current is not None and current not in chain:
        chain.append(current)
        current = t.dockerfile.stages[current].base_stage
    return chain


def _stage_label(t: Target, index: int) -> str:
    return t.dockerfile.stages[index].name or str(index)


def _shipped_requirement_spans(t: Target) -> set[tuple[int, int]]:
    spans = set()
    env_stages = _environment_copies(t)
    for step in t.steps:
        if not (t.ships(step.instruction) or step.instruction.stage in env_stages):
            continue
        if isinstance(step.action, Install):
            for w in step.action.requirement_files:
                spans.add((w.span.line, w.span.column))
    return spans


def _removed_later(t: Target, step, name: str) -> bool:
    """``apt-get purge -y --auto-remove build-essential`` later in the same RUN."""
    after = False
    for s in same_run(t, step):
        if s is step:
            after = True
            continue
        if not after:
            continue
        prog, args = program(s)
        values = [a.value for a in args]
        if prog in ("apt-get", "apt", "apk", "dnf", "yum", "microdnf") and values[:1] and \
                values[0] in ("purge", "remove", "del", "autoremove", "erase") and name in values:
            return True
    return False


@check("ML201", "ML202", "ML203")
def dev_tools(t: Target) -> Iterator[Finding]:
    if t.profile == "dev" or not t.dockerfile.stages:
        return
    path = t.dockerfile.path
    py_dev = _python_dev(t)
    os_dev = _os_dev(t)
    env_copies = _environment_copies(t)
    for step in t.steps:
        action = step.action
        if not isinstance(action, Install):
            continue
        shipped = t.ships(step.instruction)
        via = env_copies.get(step.instruction.stage) if not shipped else None
        if not shipped and (via is None or action.manager not in PIP_LIKE | CONDA_LIKE):
            continue
        where = ("in the stage that ships" if via is None else
                 f"in stage `{_stage_label(t, step.instruction.stage)}`, whose environment the shipped stage "
                 f"copies (`COPY --from` on line {via.ins.span.line})")
        if action.manager in PIP_LIKE | CONDA_LIKE:
            for pkg in action.packages:
                name = normalize_pypi(pkg.spec.name or "") if pkg.spec.name else ""
                if name and name in py_dev:
                    yield Finding("ML201", path, pkg.span,
                                  f"`{pkg.text}` is a development tool installed {where}: it "
                                  f"adds size and attack surface to every replica and is never used to serve "
                                  f"the model. Install it in a dev/test stage (or use `--profile dev` for a "
                                  f"development image).")
                yield from _extras(t, pkg.span, pkg.text, where)
            for word in action.projects:
                yield from _extras(t, word.span, word.value, where)
            for word in action.requirement_files:
                base = posixpath.basename(expanded(word, step.instruction))
                if knowledge.dev_requirement_file(base):
                    yield Finding("ML203", path, word.span,
                                  f"`{base}` is a development/test requirement file installed {where}: "
                                  f"test runners, linters and notebooks end up in the serving "
                                  f"image. Install only the runtime requirements there; keep this file for a "
                                  f"test stage.")
        elif action.manager in OS_LIKE:
            for pkg in action.packages:
                name = (pkg.spec.name or pkg.text).lower()
                if name in os_dev and not _removed_later(t, step, name):
                    what = "a compiler/build tool" if name in knowledge.compilers() else "a development tool"
                    yield Finding("ML202", path, pkg.span,
                                  f"`{pkg.text}` ({what}) is installed by {action.manager} in the stage that "
                                  f"ships: it adds size and attack surface and is not needed to serve the "
                                  f"model. Install it in a builder stage and copy only the built artifacts "
                                  f"(`COPY --from=builder`), or purge it in the same RUN.")
    shipped_reqs = _shipped_requirement_spans(t)
    for dep in t.dep_files:
        if dep.kind != "requirements" or dep.constraint or dep.installed_by is None:
            continue
        if (dep.installed_by.line, dep.installed_by.column) not in shipped_reqs:
            continue
        for req in dep.model.requirements:
            name = normalize_pypi(req.spec.name) if req.spec.name else ""
            if name and name in py_dev:
                yield Finding("ML201", dep.display, req.span,
                              f"`{req.text}` is a development tool listed in {dep.display}, which the "
                              f"shipped stage installs: it adds size and attack surface to the serving "
                              f"image. Move it to a dev/test requirements file.")


def _extras(t: Target, span: Span, text: str, where: str = "in the stage that ships") -> Iterator[Finding]:
    m = _EXTRAS.search(text)
    if not m:
        return
    extras = {e.strip().lower() for e in m.group(1).split(",")}
    bad = sorted(extras & knowledge.dev_extras())
    if bad:
        yield Finding("ML203", t.dockerfile.path, span,
                      f"`{text}` installs the `{', '.join(bad)}` extra {where}: test and "
                      f"development dependencies end up in the serving image. Install the package "
                      f"without that extra there.")


# --------------------------------------------------------------------------- Jupyter

_NO_TOKEN = re.compile(r"--(?:NotebookApp|ServerApp|IdentityProvider)\.(?:token|password)\s*=\s*(?:''|\"\"|(?=\s|$|[\"',\]]))"
                       r"|c\.(?:NotebookApp|ServerApp|IdentityProvider)\.(?:token|password)\s*=\s*u?(?:''|\\?\"\\?\")")
_JUPYTER_PORTS = {"8888", "8889", "8890"}


@check("ML204")
def jupyter(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    for ins in t.dockerfile.instructions:
        if ins.stage < 0 or not t.ships(ins):
            continue
        if ins.keyword == "EXPOSE" and t.profile == "serving":
            for word in arg_words(ins):
                port = expanded(word, ins).split("/")[0]
                if port in _JUPYTER_PORTS:
                    yield Finding("ML204", path, word.span,
                                  f"port {port} is Jupyter's: a serving image should not run a notebook "
                                  f"server, which executes arbitrary code for whoever reaches it. Remove the "
                                  f"notebook server and this EXPOSE from the serving image.")
        elif ins.keyword in ("CMD", "ENTRYPOINT", "RUN"):
            text = ins.text
            if "jupyter" not in text and "notebook" not in text.lower():
                continue
            for m in _NO_TOKEN.finditer(text):
                if ins.keyword == "RUN" and "jupyter" not in text:
                    continue
                yield Finding("ML204", path, ins.source.span(m.start(), m.end()),
                              "Jupyter is started with an empty token/password: anyone who can reach the "
                              "port can run code in the container (and read mounted data and credentials). "
                              "Keep the token (pass it at run time) or bind to 127.0.0.1 only.")
                break  # token and password off on one line: one finding


# --------------------------------------------------------------------------- training code and data


@functools.lru_cache(maxsize=4096)
def _is_training_file(base: str) -> bool:
    lower = base.lower()
    return any(knowledge.name_matches(lower, p) for p in knowledge.artifacts()["training_code"])


@functools.lru_cache(maxsize=4096)
def _is_checkpoint_file(base: str) -> bool:
    lower = base.lower()
    return any(knowledge.name_matches(lower, p) for p in knowledge.artifacts()["checkpoint_files"])


def _artifact_folder(name: str) -> str | None:
    a = knowledge.artifacts()
    if name in a["data_folders"]:
        return "data"
    if name in a["log_folders"]:
        return "log"
    return None


def _classify(rel: str) -> str | None:
    """"training", "checkpoint", or None for one file path relative to the context."""
    parts = rel.split("/")
    base = parts[-1]
    if _is_checkpoint_file(base):
        return "checkpoint"
    if _is_training_file(base) or any(p in knowledge.artifacts()["training_folders"] for p in parts[:-1]):
        return "training"
    for part in parts[:-1]:  # inside a dataset/log folder that an exception re-included
        kind = _artifact_folder(part)
        if kind:
            return kind
    return None


_WHY = {
    "training": ("training code (scripts, notebooks, tests)",
                 "it is not needed to serve the model, enlarges the image and invalidates the layer cache "
                 "whenever an experiment changes"),
    "data": ("a data folder", "datasets belong in object storage or a volume, not in every image pull"),
    "log": ("experiment logs or VCS metadata",
            "they are large, change constantly and can leak run configs, tokens and history"),
    "checkpoint": ("training checkpoints/optimizer states",
                   "optimizer and scheduler states are several times the model's size and never used to serve"),
}


def _message(kind: str, what: str) -> str:
    title, why = _WHY[kind]
    return (f"{what} brings {title} into the shipped image: {why}. Copy only what serving needs "
            f"(`COPY src/ model/ ./`) or exclude it in `.dockerignore`.")


@check("ML205", "ML206", "ML207")
def context_copies(t: Target) -> Iterator[Finding]:
    if t.profile == "dev" or not t.dockerfile.stages:
        return
    path = t.dockerfile.path
    ctx = t.build_context
    reported_ignore = False
    for cp in copies(t, shipped_only=False):
        shipped = t.ships(cp.ins)
        for word in cp.sources:
            src, unknown = expand(word.value, cp.ins.variables)
            if src.startswith(("http://", "https://", "git@")) or "$" in src or unknown:
                continue  # an ARG without default: what is copied is not known here
            rel = posixpath.normpath(src.lstrip("/")) if src not in ("", ".") else "."
            base = posixpath.basename(rel.rstrip("/"))
            # what the source names directly (also for COPY --from another stage)
            kind = _artifact_folder(base) or _classify(rel if rel != "." else "") or (
                "training" if base in knowledge.artifacts()["training_folders"] else None)
            if kind and shipped:
                if kind != "training" or t.profile == "serving":
                    yield Finding("ML206" if kind != "training" else "ML205", path, word.span,
                                  _message(kind, f"`COPY {src}`"))
                continue
            if cp.from_stage is not None or ctx is None:
                continue
            broad = rel == "." or ctx.exists(rel) and (ctx.root / rel).is_dir()
            if not broad:
                continue
            if rel == "." and ctx.ignore is None and not reported_ignore and t.in_use(cp.ins):
                reported_ignore = True
                yield Finding("ML207", path, word.span,
                              f"`{cp.ins.keyword} {src}` copies the whole build context and there is no "
                              f".dockerignore: `.git`, virtualenvs, datasets, checkpoints and secret files "
                              f"(`.env`) all go into the image and bust the layer cache on every change. "
                              f"Add a `.dockerignore` (start from `**` and re-include with `!src/`).",
                              edits=_ignore_edit(t, DOCKERIGNORE_DEFAULTS))
            if not shipped:
                continue
            listing = ctx.listing(rel, artifact_folder_stop)
            found: dict[str, list[str]] = {}
            patterns: dict[str, list[str]] = {}
            for folder in listing.stopped:
                if folder.count:
                    kind = _artifact_folder(posixpath.basename(folder.path))
                    count = f"{folder.count}{'+' if folder.capped else ''} entries"
                    found.setdefault(kind, []).append(f"{folder.path}/ ({count})")
                    patterns.setdefault(kind, []).append(folder.path)
            for rel_file in listing.files:
                kind = _classify(rel_file)
                if kind:
                    found.setdefault(kind, []).append(rel_file)
                    patterns.setdefault(kind, []).append(rel_file)
            for kind, items in sorted(found.items()):
                items = sorted(items)
                if kind == "training" and t.profile != "serving":
                    continue
                rule = "ML205" if kind == "training" else "ML206"
                ignore = ctx.ignore_path.name if ctx.ignore_path else None
                after = f" after {ignore}" if ignore else ""
                yield Finding(rule, path, word.span,
                              _message(kind, f"`{cp.ins.keyword} {src}` (build context{after}: "
                                       f"{shown(items, len(items))})"),
                              edits=_ignore_edit(t, sorted(patterns.get(kind, ()))))


# What a .dockerignore created by the ML207 fix excludes: VCS metadata, virtualenvs, caches and local
# secrets, which no image needs. Datasets and training code are added by the (unsafe) ML205/ML206 fixes.
DOCKERIGNORE_DEFAULTS = (".git", ".hg", ".svn", ".dvc", ".venv", "venv", "**/__pycache__", "**/*.pyc",
                         "**/.ipynb_checkpoints", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".env",
                         ".env.*", "*.pem", ".netrc", ".aws", ".ssh")


def _named_by_dockerfile(t: Target, pattern: str) -> bool:
    """Whether a COPY/ADD source or a RUN names what the pattern would exclude: excluding it breaks the build."""
    bare = pattern.removeprefix("**/")
    matches = knowledge.name_matches
    for src, parts in _copied_sources(t):
        if matches(src, bare) or any(matches(p, bare) for p in parts) or \
                src.startswith(bare.rstrip("/") + "/") or bare.startswith(src + "/"):
            return True
    if bare == ".git" and _uses_git_metadata(t):
        return True
    if "*" in bare:
        return False
    texts = [text for text in _run_texts(t) if bare in text]  # most patterns appear in no RUN at all
    if not texts:
        return False
    word = re.compile(r"(?:^|[\s/\"'=:])" + re.escape(bare) + r"(?:$|[\s/\"';:])")
    return any(word.search(text) for text in texts)


def _copied_sources(t: Target) -> tuple[tuple[str, list[str]], ...]:
    """Every COPY/ADD source of the stages in use, expanded, with its path parts (computed once:
    each ML205-ML207 fix checks some 20 patterns against them)."""
    return t.once("copied_sources", lambda t: tuple(
        (src, src.split("/")) for cp in copies(t, shipped_only=False) for word in cp.sources
        if (src := expanded(word, cp.ins).strip("/")) not in ("", ".")))


def _run_texts(t: Target) -> list[str]:
    return t.once("run_texts", lambda t: [ins.text for ins in t.dockerfile.instructions if ins.keyword == "RUN"])


def _uses_git_metadata(t: Target) -> bool:
    """A RUN that runs git, or installs the project itself (setuptools-scm, versioneer read .git)."""
    for step in t.steps:
        prog, _ = program(step)
        if prog == "git" or (isinstance(step.action, Install) and step.action.projects):
            return True
    return False


def _ignore_edit(t: Target, patterns) -> tuple:
    """Lines to add to the .dockerignore the build reads (created beside the Dockerfile's context)."""
    from ..target import display_path

    ctx = t.build_context
    if ctx is None:
        return ()
    lines = tuple(p for p in patterns if not _named_by_dockerfile(t, p))
    if not lines:
        return ()
    where = ctx.ignore_path or (ctx.root / ".dockerignore")
    return (FileEdit(display_path(where.absolute()), lines),)


# --------------------------------------------------------------------------- training entry point

_TRAIN_MODULE = re.compile(r"(^|\.)(train|finetune|fine_tune|pretrain)(_[a-z0-9_]+)?$")


@check("ML208")
def training_entrypoint(t: Target) -> Iterator[Finding]:
    if t.profile != "serving" or not t.dockerfile.stages:
        return
    last = {}
    for ins in t.dockerfile.instructions:
        if ins.stage >= 0 and t.ships(ins) and ins.keyword in ("CMD", "ENTRYPOINT"):
            last[ins.keyword] = ins
    for ins in last.values():
        words = arg_words(ins)
        for k, word in enumerate(words):
            value = word.value.strip("'\";&")
            base = posixpath.basename(value)
            module = k > 0 and words[k - 1].value == "-m" and _TRAIN_MODULE.search(value)
            if (base.endswith(".py") and _is_training_file(base)) or module:
                yield Finding("ML208", t.dockerfile.path, word.span,
                              f"the image's {ins.keyword} runs `{value}`, a training entry point, but the "
                              f"profile is serving: the container would start training instead of serving "
                              f"the model. Point {ins.keyword} at the inference server, or lint with "
                              f"`--profile training` if this is a training image.")
                break
