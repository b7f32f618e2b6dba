"""Rules on built images (ML7xx): pure functions of ImageFacts and the config.

A finding lands on the Dockerfile instruction that made the layer when ``--dockerfile`` mapped
it; otherwise its ``path`` is the image reference and it has no line (``Span(0, 0, 0, 0)``).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterator

from ..config import Config
from ..findings import Finding
from ..model import Span
from .facts import ImageFacts

NO_LINE = Span(0, 0, 0, 0)
MB = 1 << 20
DEFAULTS = {"max-layer-mb": 2048.0, "max-image-gb": 10.0, "wasted-mb": 50.0}

ImageCheck = Callable[[ImageFacts, Config], Iterator[Finding]]
IMAGE_CHECKS: list[tuple[str, ImageCheck]] = []


def image_check(rule_id: str):
    def register(fn: ImageCheck) -> ImageCheck:
        IMAGE_CHECKS.append((rule_id, fn))
        return fn

    return register


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _budget(config: Config, key: str) -> float:
    return float((config.size or {}).get(key, DEFAULTS[key]))


def _at(facts: ImageFacts, layer: int | None, rule: str, message: str) -> Finding:
    if layer is not None and 0 <= layer < len(facts.layers):
        ins = facts.layers[layer].instruction
        if ins is not None and facts.dockerfile:
            return Finding(rule, facts.dockerfile, ins.span, message)
    return Finding(rule, facts.reference, NO_LINE, message)


def _layer_name(facts: ImageFacts, i: int) -> str:
    layer = facts.layers[i]
    what = layer.created_by.strip()
    if len(what) > 60:
        what = what[:57] + "..."
    owner = "base image " if layer.base else ""
    return f"{owner}layer {i + 1}" + (f" ({what})" if what else "")


def _examples(paths: list[str], n: int = 3) -> str:
    shown = ", ".join("/" + p for p in paths[:n])
    return shown + (f" and {len(paths) - n} more" if len(paths) > n else "")


# --- size ------------------------------------------------------------------------------------

@image_check("ML701")
def layer_too_large(facts: ImageFacts, config: Config):
    limit = _budget(config, "max-layer-mb") * MB
    for layer in facts.layers:
        if layer.uncompressed_size > limit:
            yield _at(facts, layer.index, "ML701",
                      f"{_layer_name(facts, layer.index)} is {human(layer.uncompressed_size)}, over the "
                      f"{human(limit)} layer budget (size.max-layer-mb)")


@image_check("ML702")
def image_too_large(facts: ImageFacts, config: Config):
    limit = _budget(config, "max-image-gb") * 1024 * MB
    if facts.size > limit:
        split = ""
        if facts.base_layers:
            split = f" (base image {human(facts.base_bytes)}, this Dockerfile {human(facts.own_bytes)})"
        largest = max(facts.layers, key=lambda lf: lf.uncompressed_size)
        yield _at(facts, None, "ML702",
                  f"the image is {human(facts.size)}{split}, over the {human(limit)} budget (size.max-image-gb); "
                  f"the largest is {_layer_name(facts, largest.index)} at {human(largest.uncompressed_size)}")


def _waste_message(facts: ImageFacts, i: int) -> str:
    layer = facts.layers[i]
    paths = ", ".join(f"/{p} ({human(n)})" for p, n in layer.wasted_paths)
    return (f"{_layer_name(facts, i)} overwrites or deletes {human(layer.wasted_bytes)} that a lower layer "
            f"still carries" + (f", e.g. {paths}" if paths else ""))


@image_check("ML703")
def wasted_space(facts: ImageFacts, config: Config):
    limit = _budget(config, "wasted-mb") * MB
    if facts.wasted_own <= limit:
        return
    for layer in facts.layers:
        if not layer.base and layer.wasted_bytes:
            yield _at(facts, layer.index, "ML703",
                      _waste_message(facts, layer.index) +
                      f"; this Dockerfile wastes {human(facts.wasted_own)} in all (budget {human(limit)}, "
                      f"size.wasted-mb)")


@image_check("ML704")
def base_wasted_space(facts: ImageFacts, config: Config):
    limit = _budget(config, "wasted-mb") * MB
    if facts.wasted_base > limit:
        worst = max((lf for lf in facts.layers if lf.base), key=lambda lf: lf.wasted_bytes)
        anchor = facts.anchors.get("FROM")
        on_line = anchor is not None and bool(facts.dockerfile)
        yield Finding("ML704", facts.dockerfile if on_line else facts.reference, anchor.span if on_line else NO_LINE,
                  f"the base image ({facts.base_layers} layer{'s' if facts.base_layers != 1 else ''}) wastes "
                  f"{human(facts.wasted_base)} in files its later layers overwrite or delete; the most in "
                  f"{_layer_name(facts, worst.index)}")


CACHES = (
    ("pip cache", re.compile(r"(^|/)\.cache/pip/")),
    ("uv cache", re.compile(r"(^|/)\.cache/uv/")),
    ("conda package cache", re.compile(r"(^|/)(conda|miniconda3?|anaconda3?|miniforge3?|mambaforge|micromamba)/pkgs/"
                                       r"(?!urls(\.txt)?$|cache/)")),
    ("apt package lists", re.compile(r"^var/lib/apt/lists/(?!lock$|partial/|auxfiles/)")),
    ("apt archives", re.compile(r"^var/cache/apt/archives/[^/]+\.deb$")),
    ("Hugging Face cache", re.compile(r"(^|/)\.cache/huggingface/")),
    ("torch hub cache", re.compile(r"(^|/)\.cache/torch/")),
)


@image_check("ML705")
def caches_left(facts: ImageFacts, config: Config):
    found: dict[str, dict[int, list]] = {}
    for path, (layer, size, kind) in facts.tree.items():
        if kind != "f" or ".cache/" not in path and "/pkgs/" not in path and not path.startswith("var/"):
            continue
        if facts.layers[layer].base:
            continue
        for name, rx in CACHES:
            if rx.search(path):
                entry = found.setdefault(name, {}).setdefault(layer, [0, 0, []])
                entry[0] += size
                entry[1] += 1
                if len(entry[2]) < 3:
                    entry[2].append(path)
                break
    for name, per_layer in sorted(found.items()):
        for layer, (size, count, examples) in sorted(per_layer.items()):
            yield _at(facts, layer, "ML705",
                      f"{_layer_name(facts, layer)} leaves the {name} in the image: {count} file"
                      f"{'s' if count != 1 else ''}, {human(size)} ({_examples(sorted(examples))})")


# --- production ------------------------------------------------------------------------------

@image_check("ML706")
def dev_tools(facts: ImageFacts, config: Config):
    if config.profile != "serving":
        return
    from ..knowledge import dev_os, dev_python, normalize_pypi

    py = dev_python(tuple(config.dev_tools_python))
    os_ = dev_os(tuple(config.dev_tools_os))
    per_layer: dict[int, list[str]] = {}
    for dist in facts.python:
        if normalize_pypi(dist.name) in py:
            per_layer.setdefault(dist.layer, []).append(f"{dist.name} {dist.version} (Python)".replace("  ", " "))
    for pkg in facts.packages:
        if pkg.manager == "dpkg" and pkg.name.lower() in os_:
            per_layer.setdefault(pkg.layer, []).append(f"{pkg.name} (dpkg)")
        elif pkg.manager == "conda" and normalize_pypi(pkg.name) in py:
            per_layer.setdefault(pkg.layer, []).append(f"{pkg.name} (conda)")
    for layer, names in sorted(per_layer.items()):
        names = sorted(set(names))
        where = "the base image" if facts.layers[layer].base else _layer_name(facts, layer)
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        yield _at(facts, layer, "ML706", f"{where} installs development tools a serving image does not need: {shown}")


_SYSTEM = ("usr/", "lib/", "lib32/", "lib64/", "bin/", "sbin/", "etc/ssl/", "etc/pki/", "etc/ca-certificates",
           "var/lib/", "proc/", "sys/", "dev/", "boot/", "opt/conda/pkgs/", "opt/conda/lib/", "opt/conda/share/",
           "opt/nvidia/", "snap/")


def _user_files(facts: ImageFacts) -> Iterator[tuple[str, int, int]]:
    """(path, layer, size) of the regular files outside system folders (the OS, installed packages)."""
    for path, (layer, size, kind) in facts.tree.items():
        if kind == "f" and not (path.startswith(_SYSTEM) or "/site-packages/" in path
                                or "/dist-packages/" in path or "/node_modules/" in path):
            yield path, layer, size


@functools.lru_cache(maxsize=1)
def _artifact_patterns() -> re.Pattern[str]:
    from ..knowledge import table

    rows = table("artifacts").get("checkpoint_files") or ()
    return re.compile("|".join(fnmatch.translate(str(r["pattern"]).lower()) for r in rows) or r"(?!)")


_CHECKPOINT_DIR = re.compile(r"(^|/)checkpoint-\d+/")


def _artifact_kind(path: str, patterns: re.Pattern[str]) -> str | None:
    if "/.git/" in path or path.startswith(".git/"):
        return ".git folder"
    if ".ipynb_checkpoints/" in path:
        return "notebook checkpoints"
    base = path.rpartition("/")[2].lower()
    if base.endswith(".ipynb"):
        return "notebook"
    if "checkpoint-" in path and _CHECKPOINT_DIR.search(path):
        return "training checkpoint"
    if patterns.match(base):
        return "training checkpoint"
    return None


@functools.lru_cache(maxsize=1)
def _secret_patterns() -> tuple[re.Pattern[str], frozenset[str]]:
    """One regex for rules/knowledge/secrets.yaml's file patterns (names only; contents never read)."""
    from ..knowledge import table

    rows = table("secrets").get("files") or ()
    pattern = re.compile("|".join(fnmatch.translate(str(r["pattern"]).lower()) for r in rows) or r"(?!)")
    return pattern, frozenset(str(n).lower() for r in rows for n in (r.get("not") or ()))


@image_check("ML707")
def training_artifacts(facts: ImageFacts, config: Config):
    if config.profile != "serving":
        return
    per_layer: dict[int, dict[str, list]] = {}
    patterns = _artifact_patterns()
    for path, layer, size in _user_files(facts):
        what = _artifact_kind(path, patterns)
        if what:
            entry = per_layer.setdefault(layer, {}).setdefault(what, [0, []])
            entry[0] += size
            entry[1].append(path)
    for layer, kinds in sorted(per_layer.items()):
        parts = [f"{what} ({len(paths)} file{'s' if len(paths) != 1 else ''}, {human(size)}: "
                 f"{_examples(sorted(paths), 2)})" for what, (size, paths) in sorted(kinds.items())]
        yield _at(facts, layer, "ML707",
                  f"{_layer_name(facts, layer)} ships training artifacts: " + "; ".join(parts))


# --- security --------------------------------------------------------------------------------

_CREDENTIAL_FILES = (".docker/config.json", ".aws/credentials", ".ssh/id_rsa")


@image_check("ML708")
def secret_files(facts: ImageFacts, config: Config):
    hits: list[tuple[int, str]] = []
    pattern, exceptions = _secret_patterns()
    for path, layer, _ in _user_files(facts):
        base = path.rpartition("/")[2].lower()
        if (pattern.match(base) and base not in exceptions) or path.endswith(_CREDENTIAL_FILES):
            hits.append((layer, path))
    for layer, path in sorted(hits)[:20]:
        yield _at(facts, layer, "ML708",
                  f"{_layer_name(facts, layer)} contains /{path}, a file that usually holds credentials; "
                  f"anyone who can pull the image can read it, even if a later layer deletes it")


def _is_root(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("", "root", "0")


@image_check("ML709")
def runs_as_root(facts: ImageFacts, config: Config):
    if not _is_root(facts.user):
        return
    said = f"USER {facts.user}" if facts.user else "no USER"
    anchor = facts.anchors.get("USER") or facts.anchors.get("FROM")
    if anchor is not None and facts.dockerfile:
        yield Finding("ML709", facts.dockerfile, anchor.span,
                      f"the image runs as root ({said} in its config); a process that is broken into owns the "
                      f"container")
        return
    yield Finding("ML709", facts.reference, NO_LINE,
                  f"the image runs as root ({said} in its config); a process that is broken into owns the container")


# --- CUDA ------------------------------------------------------------------------------------

_WHEEL_LIB = {"cublas": "cublas", "cudnn": "cudnn", "cufft": "cufft", "curand": "curand", "cusolver": "cusolver",
              "cusparse": "cusparse", "nccl": "nccl", "cuda-runtime": "cudart", "cuda-nvrtc": "nvrtc",
              "nvjitlink": "nvJitLink", "cuda-cupti": "cupti", "npp": "npp", "nvtx": "nvToolsExt"}
_SYS_LIB = re.compile(r"^(usr/local/cuda[^/]*/(targets/[^/]+/)?lib(64)?|usr/lib/(x86_64|aarch64)-linux-gnu|usr/lib64)"
                      r"/lib([A-Za-z_]+?)(_static)?\.(so[.0-9]*|a)$")


@image_check("ML710")
def cuda_duplicated(facts: ImageFacts, config: Config):
    wheels: dict[str, tuple[str, int]] = {}
    for dist in facts.python:
        m = re.fullmatch(r"nvidia-(.+?)(-cu\d+)?", dist.name.lower().replace("_", "-"))
        if m and m.group(1) in _WHEEL_LIB:
            wheels[_WHEEL_LIB[m.group(1)]] = (dist.name, dist.layer)
    if not wheels:
        return
    system: dict[str, int] = {}
    for path, (layer, size, kind) in facts.tree.items():
        if kind != "f" or "lib" not in path:
            continue
        m = _SYS_LIB.match(path)
        if m and m.group(5) in wheels:
            system[m.group(5)] = system.get(m.group(5), 0) + size
    if not system:
        return
    layer = min(wheels[lib][1] for lib in system)
    libs = ", ".join(f"lib{lib} ({human(n)}, also from {wheels[lib][0]})" for lib, n in sorted(system.items()))
    total = sum(system.values())
    yield _at(facts, layer, "ML710",
              f"CUDA libraries are installed twice: the system copies of {libs} ({human(total)} in all) and the "
              f"nvidia-* wheels that pip installed for the framework")


def run_image_checks(facts: ImageFacts, config: Config, enabled: set[str]) -> list[Finding]:
    out: list[Finding] = []
    for rule_id, fn in IMAGE_CHECKS:
        if rule_id in enabled:
            out.extend(fn(facts, config))
    return out
