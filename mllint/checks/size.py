"""Size, statically: what makes the shipped image bigger than it needs to be, read from the
Dockerfile alone (caches left in layers, files stored twice, CUDA toolkits nothing uses)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from .. import knowledge
from ..deps.commands import Fetch, GitClone, HubDownload, Install
from ..engine import check
from ..findings import Edit, Finding
from ..imageref import parse_image_ref
from ..record import replace
from ..target import Target
from ._common import (
    APT_LIKE,
    CONDA_LIKE,
    cache_mount,
    command_head,
    copies,
    expanded,
    mounts,
    program,
    same_run,
    shipped_root_stage,
    shipped_steps,
)
from ._fixes import at, delete_lines, insert_after, run_end, subcommand_word


def _env_set(ins, name: str) -> bool:
    var = ins.variables.get(name)
    return var is not None and var.kind == "env" and var.value is not None and var.value.strip() != ""


# --------------------------------------------------------------------------- caches left in layers


def _clears_cache(s) -> bool:
    prog, args = program(s)
    values = [a.value for a in args]
    if prog.startswith("pip") and values[:2] == ["cache", "purge"]:
        return True
    if prog == "uv" and values[:2] in (["cache", "clean"], ["cache", "prune"]):
        return True
    return prog == "rm" and any(".cache" in v for v in values)


def _pip_cache_cleared(t: Target, step, memo: dict | None = None) -> bool:
    """Whether a later command of the same RUN clears the cache; ``memo`` keeps each RUN's answer
    (the last clearing command) so that a RUN of many installs is read once, not once per install."""
    key = id(step.instruction)
    entry = memo.get(key) if memo is not None else None
    if entry is None:
        run = same_run(t, step)
        last = max((i for i, s in enumerate(run) if _clears_cache(s)), default=-1)
        entry = (last, {id(s): i for i, s in enumerate(run)})
        if memo is not None:
            memo[key] = entry
    last, index = entry
    return index.get(id(step), last) < last


def _python_cache_mount(ins) -> bool:
    """A BuildKit cache mount where pip/uv keep their cache (not, say, /var/cache/apt)."""
    return any(m.get("type") == "cache" and any(k in (m.get("target") or m.get("dst") or "")
                                                 for k in ("/.cache", "pip", "uv"))
               for m in mounts(ins))


def _pip_config_no_cache_line(t: Target) -> int | None:
    """The line of the first shipped `pip config set global.no-cache-dir true` (or `global.cache-dir
    false`): installs from that line on keep no cache. One pass per target, not one per install."""
    for _, step in shipped_steps(t):
        prog, args = program(step)
        if not prog.startswith("pip"):
            continue
        values = [a.value.lower() for a in args]
        if values[:2] == ["config", "set"] and len(values) >= 4 and \
                values[2] in ("global.no-cache-dir", "global.cache-dir", "install.no-cache-dir"):
            return step.instruction.span.line
    return None


# With this many pip installs without a cache option in one stage, the fix sets ENV PIP_NO_CACHE_DIR=1
# once, above the first, instead of adding --no-cache-dir to each.
ENV_FIX_THRESHOLD = 3


@check("ML301")
def python_cache(t: Target) -> Iterator[Finding]:
    found = list(_python_cache(t))
    pip_by_stage: dict[int, list] = {}
    for finding, step, action in found:
        if action.manager == "pip" and step.instruction.json_args is None:
            pip_by_stage.setdefault(step.instruction.stage, []).append(step)
    first_of_stage = {stage: min(steps, key=lambda s: s.instruction.span.line).instruction
                      for stage, steps in pip_by_stage.items()}  # once per stage, not once per finding
    for finding, step, action in found:
        ins = step.instruction
        edits = ()
        stage_steps = pip_by_stage.get(ins.stage, [])
        if action.manager == "pip" and len(stage_steps) >= ENV_FIX_THRESHOLD:
            first = first_of_stage[ins.stage]
            edits = (Edit(at(_above_comments(t, first.span.line), 1), "ENV PIP_NO_CACHE_DIR=1\n"),)
        else:
            word = subcommand_word(step, "install") or subcommand_word(step, action.subcommand)
            if word is not None and not step.command.nested:
                edits = (insert_after(word, " --no-cache-dir" if action.manager == "pip" else " --no-cache"),)
        yield replace(finding, edits=edits) if edits else finding


def _above_comments(t: Target, line: int) -> int:
    """The line to insert above, so that comments (and pragmas) above an instruction stay with it."""
    lines = t.dockerfile.lines
    while line > 1 and line - 2 < len(lines) and lines[line - 2].lstrip().startswith("#"):
        line -= 1
    return line


def _python_cache(t: Target):
    path = t.dockerfile.path
    config_line = _pip_config_no_cache_line(t)
    cleared_memo: dict = {}
    for _, step in shipped_steps(t):
        action = step.action
        if not isinstance(action, Install) or action.manager not in ("pip", "uv"):
            continue
        ins = step.instruction
        if action.manager == "uv" and action.subcommand in ("tool-install",):
            continue
        if "--no-cache-dir" in action.options or _python_cache_mount(ins):
            continue
        if action.manager == "pip" and config_line is not None and config_line <= ins.span.line:
            continue
        if action.manager == "pip" and _env_set(ins, "PIP_NO_CACHE_DIR"):
            continue
        if action.manager == "uv" and _env_set(ins, "UV_NO_CACHE"):
            continue
        if _pip_cache_cleared(t, step, cleared_memo):
            continue
        flag, env, where = (("--no-cache-dir", "PIP_NO_CACHE_DIR=1", "~/.cache/pip") if action.manager == "pip"
                            else ("--no-cache", "UV_NO_CACHE=1", "~/.cache/uv"))
        head = command_head(step, action.subcommand if action.subcommand != "install" else "install")
        yield Finding("ML301", path, head,
                      f"`{action.manager}` keeps its download cache ({where}) in this layer: for ML wheels "
                      f"(torch, CUDA libraries) that is often gigabytes stored twice. Add `{flag}`, set "
                      f"`ENV {env}`, or use `RUN --mount=type=cache,target=/root/.cache`."), step, action


def _rm_targets(s) -> list[tuple[str, object]]:
    prog, args = program(s)
    if prog != "rm":
        return []
    return [(a.value, a) for a in args if not a.value.startswith("-")]


@check("ML302", "ML303")
def apt(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    shipped = {id(s.instruction): s.instruction for _, s in shipped_steps(t)}  # each RUN once, not once per command
    config_says_no_recommends = any("Install-Recommends" in ins.text for ins in shipped.values())
    for _, step in shipped_steps(t):
        prog, args = program(step)
        ins = step.instruction
        action = step.action
        if isinstance(action, Install) and action.manager in APT_LIKE:
            if "--no-install-recommends" not in action.options and not config_says_no_recommends \
                    and "Install-Recommends" not in ins.text and action.packages:
                word = subcommand_word(step, "install")
                yield Finding("ML302", path, command_head(step, "install"),
                              f"`{action.manager} install` without `--no-install-recommends` also installs "
                              f"every recommended package (docs, X11 and font libraries, extra compilers): "
                              f"often hundreds of MB in a CUDA image. Add `--no-install-recommends`.",
                              edits=(insert_after(word, " --no-install-recommends"),) if word else ())
        if prog in ("apt-get", "apt") and args and any(a.value == "update" for a in args[:3]):
            if cache_mount(ins, "/var/lib/apt"):
                continue
            cleaned = any(v.startswith("/var/lib/apt/lists") for s in same_run(t, step) for v, _ in _rm_targets(s))
            if not cleaned:
                upd = next(a for a in args[:3] if a.value == "update")
                yield Finding("ML303", path, upd.span,
                              f"`{prog} update` leaves the package lists (/var/lib/apt/lists, 30-100 MB) in "
                              f"this layer; removing them in a later RUN does not shrink the image. End the "
                              f"same RUN with `&& rm -rf /var/lib/apt/lists/*`.",
                              edits=_append_to_run(t, step, "rm -rf /var/lib/apt/lists/*", _installs_after(t, step)))


def _installs_after(t: Target, step) -> bool:
    """Whether the RUN installs with apt after this `apt-get update` (else a later RUN needs the lists)."""
    after = False
    for s in same_run(t, step):
        if s is step:
            after = True
        elif after and isinstance(s.action, Install) and s.action.manager in APT_LIKE:
            return True
    return False


def _append_to_run(t: Target, step, command: str, when: bool = True) -> tuple:
    if not when:
        return ()
    where = run_end(t.steps, step.instruction)
    return (Edit(where, f" && {command}"),) if where is not None else ()


@check("ML304")
def conda_clean(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    for _, step in shipped_steps(t):
        action = step.action
        if not isinstance(action, Install) or action.manager not in CONDA_LIKE:
            continue
        ins = step.instruction
        if cache_mount(ins):
            continue
        cleaned = False
        for s in same_run(t, step):
            prog, args = program(s)
            values = [a.value for a in args]
            if prog in CONDA_LIKE and "clean" in values[:2]:
                cleaned = True
            if prog == "rm" and any("pkgs" in v for v in values):
                cleaned = True
        if not cleaned:
            yield Finding("ML304", path, command_head(step, action.subcommand.split("-")[-1]),
                          f"`{action.manager} {action.subcommand.replace('-', ' ')}` leaves downloaded packages "
                          f"and tarballs (pkgs/ cache, often 1-3 GB with CUDA toolkits and MKL) in this layer. "
                          f"End the same RUN with `&& {action.manager} clean -afy`.",
                          edits=_append_to_run(t, step, f"{action.manager} clean -afy"))


# --------------------------------------------------------------------------- CUDA images

_COMPILES = re.compile(r"\b(nvcc|cmake|make|ninja|gcc|g\+\+|cc|c\+\+|setup\.py|build_ext|TORCH_CUDA_ARCH_LIST|"
                       r"--no-build-isolation|cpp_extension|DS_BUILD_[A-Z_]+|MAX_JOBS|bazel)\b")
_BUILDS_FROM_SOURCE = frozenset({"flash-attn", "flash_attn", "apex", "mamba-ssm", "causal-conv1d", "auto-gptq",
                                 "deepspeed", "xformers", "detectron2", "pytorch3d", "torch-scatter",
                                 "torch-sparse", "torch-cluster", "tiny-cuda-nn", "gsplat", "nvdiffrast"})


def _compiles(t: Target) -> bool:
    for _, step in shipped_steps(t):
        text = step.instruction.text
        if _COMPILES.search(text):
            return True
        action = step.action
        if isinstance(action, Install):
            if action.projects:
                return True
            for pkg in action.packages:
                name = knowledge.normalize_pypi(pkg.spec.name or "")
                if name in _BUILDS_FROM_SOURCE or pkg.spec.kind in ("vcs", "path"):
                    return True
    for ins in t.dockerfile.instructions:
        if ins.stage >= 0 and t.ships(ins) and ins.keyword == "ENV" and "TORCH_CUDA_ARCH_LIST" in ins.text:
            return True
    return False


def _base_image(t: Target):
    stage = shipped_root_stage(t)
    return stage, parse_image_ref(stage.base)


@check("ML305")
def cuda_devel(t: Target) -> Iterator[Finding]:
    if t.profile != "serving" or not t.dockerfile.stages:
        return
    stage, ref = _base_image(t)
    tag = ref.tag or ""
    if "devel" not in tag.lower() or _compiles(t):
        return
    runtime = tag.replace("devel", "runtime")
    gb = knowledge.cuda_flavour_gb("devel")
    yield Finding("ML305", t.dockerfile.path, stage.base_span,
                  f"the shipped stage is built on `{stage.base}`, a CUDA -devel image (compiler, headers, "
                  f"static libraries: about {gb:g} GB more than -runtime), and nothing in it compiles. Use "
                  f"`{ref.repository}:{runtime}` (or a base image) for the stage that ships, and keep -devel "
                  f"in a builder stage if something needs nvcc.",
                  edits=_runtime_edit(stage))


def _runtime_edit(stage) -> tuple:
    """-devel → -runtime in the FROM line, when the tag is written out (not an ARG) and has no digest."""
    raw = stage.base_raw
    if "$" in raw or "@" in raw or "devel" not in raw or stage.base_span.line != stage.base_span.end_line:
        return ()
    if stage.base_span.end_column - stage.base_span.column != len(raw):
        return ()
    repo, _, tag = raw.rpartition(":")
    if parse_image_ref(repo + ":x").repository.lower() not in _RUNTIME_TWINS:
        return ()
    return (Edit(stage.base_span, f"{repo}:{tag.replace('devel', 'runtime')}"),)


# Repositories that publish a -runtime tag for every -devel tag (others may not: no fix is offered).
_RUNTIME_TWINS = frozenset({"nvidia/cuda", "docker.io/nvidia/cuda", "pytorch/pytorch", "docker.io/pytorch/pytorch",
                            "nvcr.io/nvidia/cuda"})


_CPU_INDEX = re.compile(r"/whl/(nightly/)?cpu|\+cpu")


@check("ML310")
def torch_on_cuda_base(t: Target) -> Iterator[Finding]:
    if not t.dockerfile.stages:
        return
    stage, ref = _base_image(t)
    repo = ref.repository.lower()
    tag = (ref.tag or "").lower()
    if not (repo.endswith("nvidia/cuda") and ("runtime" in tag or "cudnn" in tag)) or "devel" in tag:
        return
    gb = knowledge.cuda_flavour_gb("runtime") + (knowledge.cuda_flavour_gb("cudnn") if "cudnn" in tag else 0)
    libs = "CUDA runtime libraries" + (" and cuDNN" if "cudnn" in tag else "")
    for _, step in shipped_steps(t):
        action = step.action
        if not isinstance(action, Install) or action.manager not in ("pip", "uv"):
            continue
        if any(_CPU_INDEX.search(w.value) for w in action.index_urls + action.extra_index_urls):
            continue
        for pkg in action.packages:
            if (pkg.spec.name or "").lower() == "torch" and not _CPU_INDEX.search(pkg.text):
                yield Finding("ML310", t.dockerfile.path, pkg.span, _torch_message(pkg.text, libs, stage.base, gb))
                return
        spans = {(w.span.line, w.span.column) for w in action.requirement_files}
        for dep in t.dep_files:
            if dep.kind != "requirements" or dep.constraint or dep.installed_by is None or \
                    (dep.installed_by.line, dep.installed_by.column) not in spans:
                continue
            if any(_CPU_INDEX.search(url) for url, _ in dep.model.index_urls + dep.model.extra_index_urls):
                continue
            for req in dep.model.requirements:
                if (req.spec.name or "").lower() == "torch" and not _CPU_INDEX.search(req.text):
                    yield Finding("ML310", dep.display, req.span, _torch_message(req.text, libs, stage.base, gb))
                    return


def _torch_message(text: str, libs: str, base: str, gb: float) -> str:
    return (f"`{text}` from PyPI brings its own CUDA libraries as `nvidia-*` wheels (cuBLAS, cuDNN, NCCL…), "
            f"so the {libs} of `{base}` go unused: roughly {gb:g} GB shipped twice. Build on a small base "
            f"(`nvidia/cuda:*-base-*` or `python:*-slim`) and let the wheels bring CUDA, or use a PyTorch "
            f"image that already has torch.")


# --------------------------------------------------------------------------- layers stored twice


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@check("ML306")
def copy_then_chown(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    copied = [cp for cp in copies(t) if not cp.chown]
    if not copied:
        return
    for _, step in shipped_steps(t):
        prog, args = program(step)
        if prog not in ("chown", "chmod"):
            continue
        values = [a.value for a in args]
        if not any(v in ("-R", "--recursive") or (v.startswith("-") and not v.startswith("--") and "R" in v)
                   for v in values):
            continue
        operands = [a for a in args if not a.value.startswith("-")][1:]
        ins = step.instruction
        for word in operands:
            target = posixpath.normpath(posixpath.join(t.workdir(ins), expanded(word, ins)))
            for cp in copied:
                if cp.ins.span.line >= ins.span.line:
                    continue
                dest = cp.dest.rstrip("/") or "/"
                if dest == "/" and target == "/":
                    continue
                if _under(dest, target) or _under(target, dest):
                    flag = "--chown" if prog == "chown" else "--chmod"
                    yield Finding("ML306", path, word.span,
                                  f"`{prog} -R {word.value}` rewrites files that the {cp.ins.keyword} on line "
                                  f"{cp.ins.span.line} added: every changed file is stored again in this "
                                  f"layer, doubling the size of the copied code/models. Use "
                                  f"`{cp.ins.keyword} {flag}=...` instead.",
                                  edits=_chown_edits(t, step, prog, args, operands, cp, copied, target))
                    break
            else:
                continue
            break


def _chown_edits(t: Target, step, prog: str, args, operands, cp, copied, target: str) -> tuple:
    """COPY --chown=OWNER (or --chmod=MODE) and the RUN removed, when the RUN is only that one command
    on that one folder and exactly one earlier COPY put files there (unsafe: files later RUNs made
    under the folder keep their owner)."""
    ins = step.instruction
    if ins.json_args is not None or ins.heredocs or len(same_run(t, step)) != 1 or len(operands) != 1:
        return ()
    if step.command.redirects or step.command.piped_to or step.command.piped_from or step.command.nested:
        return ()
    values = [a.value for a in args if not a.value.startswith("-")]
    if len(values) != 2 or any(a.value not in ("-R", "--recursive") for a in args if a.value.startswith("-")):
        return ()
    value = values[0]
    if "$" in value or (prog == "chmod" and not value.isdigit()):
        return ()
    users = [c for c in copied if c.ins.span.line < ins.span.line and
             (_under(c.dest.rstrip("/") or "/", target) or _under(target, c.dest.rstrip("/") or "/"))]
    if len(users) != 1 or users[0] is not cp or (cp.dest.rstrip("/") or "/") != target:
        return ()
    kw = cp.ins.span
    flag = "--chown" if prog == "chown" else "--chmod"
    return (Edit(at(kw.line, kw.column + len(cp.ins.keyword)), f" {flag}={value}"), delete_lines(ins.span))


_SCRIPTS = (".sh", ".py", ".bash", ".txt", ".json", ".yaml", ".yml", ".cfg", ".conf")


def _removes(t: Target, ins, made: str, memo: dict | None = None) -> bool:
    """Whether a command of RUN ``ins`` removes ``made`` (or a folder above it); ``memo`` keeps each
    RUN's removed paths, read once however many files the RUN creates."""
    targets = memo.get(id(ins)) if memo is not None else None
    if targets is None:
        targets = []
        for s in t.steps:
            if s.instruction is not ins:
                continue
            for value, _ in _rm_targets(s):
                target = posixpath.normpath(posixpath.join(t.workdir(ins), value.rstrip("*").rstrip("/") or "/"))
                if target != "/":
                    targets.append(target)
        if memo is not None:
            memo[id(ins)] = targets
    return any(_under(made, target) for target in targets)


def _created(t: Target):
    """(absolute path, instruction, what) for files earlier layers create."""
    out = []
    for cp in copies(t):
        what = f"{cp.ins.keyword} on line {cp.ins.span.line}"
        if cp.from_stage is None and len(cp.sources) == 1 and not cp.dest.endswith("/"):
            if not cp.dest.endswith(_SCRIPTS):  # an install script: a few KB, not worth a finding
                out.append((cp.dest, cp.ins, what))
        else:
            for word in cp.sources:
                base = posixpath.basename(expanded(word, cp.ins).rstrip("/"))
                if base and base != "." and cp.dest.endswith("/") and not any(c in base for c in "*?[") \
                        and not base.endswith(_SCRIPTS):
                    out.append((posixpath.join(cp.dest, base), cp.ins, what))
    for _, step in shipped_steps(t):
        ins = step.instruction
        action = step.action
        line = ins.span.line
        if isinstance(action, Fetch) and action.output is not None and action.output.value not in ("-", "/dev/null"):
            out.append((posixpath.normpath(posixpath.join(t.workdir(ins), expanded(action.output, ins))), ins,
                        f"the download on line {line}"))
        elif isinstance(action, GitClone):
            prog, args = program(step)
            ops = [a for a in args if not a.value.startswith("-")]
            dest = ops[2].value if len(ops) > 2 else posixpath.basename(action.url.value).removesuffix(".git")
            out.append((posixpath.normpath(posixpath.join(t.workdir(ins), dest)), ins, f"the clone on line {line}"))
        elif isinstance(action, Install) and action.manager in ("pip", "uv") and not cache_mount(ins) \
                and "--no-cache-dir" not in action.options:
            out.append(("/root/.cache", ins, f"the {action.manager} install on line {line}"))
        else:
            prog, args = program(step)
            if prog in APT_LIKE and any(a.value == "update" for a in args[:3]):
                out.append(("/var/lib/apt/lists", ins, f"`{prog} update` on line {line}"))
    return out


@check("ML307")
def deleted_later(t: Target) -> Iterator[Finding]:
    # what a RUN creates and removes itself is gone from its layer: only leftovers count
    everything = _created(t)
    memo: dict = {}
    created = [c for c in everything if c[1].keyword != "RUN" or not _removes(t, c[1], c[0], memo)]
    if not created:
        return
    path = t.dockerfile.path
    for _, step in shipped_steps(t):
        ins = step.instruction
        for value, word in _rm_targets(step):
            target = posixpath.normpath(posixpath.join(t.workdir(ins), value.rstrip("*").rstrip("/") or "/"))
            if target == "/" or any(m_ins is ins and _under(m, target) for m, m_ins, _ in everything):
                continue  # this RUN removes what it created itself (apt-get update ... && rm -rf lists)
            for made, made_ins, what in created:
                if made_ins is ins or made_ins.span.line >= ins.span.line:
                    continue
                if _under(made, target) or (value.endswith("*") and _under(target, made) and made != target):
                    yield Finding("ML307", path, word.span,
                                  f"`rm {value}` deletes what {what} created, but in a later layer: the files "
                                  f"stay in the earlier layer and the image does not shrink. Delete them in the "
                                  f"same RUN that creates them (or use a multi-stage build / a cache mount).")
                    break


_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".zip", ".7z", ".gz",
             ".xz", ".bz2", ".zst", ".whl", ".deb", ".rpm", ".run", ".bin")


@check("ML308")
def add_remote(t: Target) -> Iterator[Finding]:
    for cp in copies(t):
        if cp.ins.keyword != "ADD":
            continue
        for word in cp.sources:
            url = expanded(word, cp.ins)
            if url.startswith(("http://", "https://")) and url.split("?")[0].lower().endswith(_ARCHIVES):
                yield Finding("ML308", t.dockerfile.path, word.span,
                              f"`ADD {url}` stores the download in its own layer (remote archives are not "
                              f"extracted), so extracting and deleting it later keeps both copies. Download, "
                              f"verify, extract and delete in one RUN (`curl -fsSL ... | tar -x`), or "
                              f"`ADD --checksum=sha256:...` a file you keep as is.")


# --------------------------------------------------------------------------- model weights in the image

_PY_DOWNLOAD = re.compile(r"(?:from_pretrained|snapshot_download|hf_hub_download|load_dataset|"
                          r"SentenceTransformer|pipeline)\s*\(\s*(?:[a-z_]+\s*=\s*)?['\"]([^'\"]+)['\"]")


@check("ML309")
def weights_downloaded(t: Target) -> Iterator[Finding]:
    if t.profile == "dev":
        return
    path = t.dockerfile.path
    weights = knowledge.artifacts()["weight_extensions"]
    for _, step in shipped_steps(t):
        action = step.action
        ins = step.instruction
        name = span = None
        if isinstance(action, HubDownload):
            name, span = action.repo.value, action.repo.span
        elif isinstance(action, Fetch) and action.url is not None:
            url = expanded(action.url, ins).split("?")[0]
            if url.lower().endswith(weights):
                name, span = posixpath.basename(url), action.url.span
        elif isinstance(action, GitClone) and "huggingface.co/" in action.url.value:
            name = action.url.value.split("huggingface.co/", 1)[1].removesuffix(".git")
            span = action.url.span
        else:
            prog, args = program(step)
            if prog == "ollama" and len(args) >= 2 and args[0].value == "pull":
                name, span = args[1].value, args[1].span
            elif prog.startswith("python"):
                for word in args:
                    m = _PY_DOWNLOAD.search(word.value)
                    if m:
                        name, span = m.group(1), word.span
                        break
        if name:
            yield Finding("ML309", path, span,
                          f"model `{name}` is downloaded into the image: every pull and every new tag carries "
                          f"its weights, and a model update needs an image rebuild. If that is intended, pin "
                          f"the revision; otherwise download at start-up into a volume or cache shared "
                          f"by replicas.")
