"""Layer scans + image config → ImageFacts: plain data the image checks read.

Layers are stacked in order: each layer's whiteouts and opaque folders delete from the layers
below, then its entries add or change paths. A copy that a later layer (or a later entry of the
same layer) overwrites or deletes is wasted; it is counted once, against the layer that made it
dead, and split into the base image's waste and this Dockerfile's.
"""

from __future__ import annotations

import heapq
import re

from ..model import Instruction
from ..record import field, record
from .walk import DIR, FILE, OPAQUE, WHITEOUT, LayerScan


@record(frozen=True)
class LayerFacts:
    index: int  # 0-based
    digest: str
    size: int  # blob bytes as stored (compressed when compressed)
    uncompressed_size: int
    files: int  # regular files in the layer's tar
    file_bytes: int  # their bytes
    added: int
    changed: int
    deleted: int
    wasted_bytes: int  # bytes of lower (or earlier same-layer) copies this layer overwrote or deleted
    created_by: str
    base: bool  # belongs to the base image
    wasted_paths: tuple[tuple[str, int], ...] = ()  # the largest of those copies
    instruction: Instruction | None = None  # the Dockerfile instruction it came from (--dockerfile)


@record(frozen=True)
class Dist:
    name: str
    version: str
    size: int  # from RECORD
    installer: str
    path: str  # the .dist-info folder
    layer: int


@record(frozen=True)
class Package:
    manager: str  # conda | dpkg
    name: str
    version: str
    size: int
    layer: int


@record
class ImageFacts:
    reference: str
    layers: list[LayerFacts]
    os: str
    architecture: str
    user: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: dict[str, str]
    ports: tuple[str, ...]
    workdir: str
    python: list[Dist]
    packages: list[Package]  # conda and dpkg
    os_release: tuple[str, str, str] | None  # (ID, VERSION_ID, PRETTY_NAME)
    cuda_version: str | None  # from /usr/local/cuda*/version.json|txt
    cudnn_version: str | None  # from the header, else the library name
    cudart_versions: tuple[str, ...]  # from libcudart.so.X.Y.Z names
    torch_version: str | None
    torch_cuda: str | None  # torch/version.py's cuda
    nvidia_wheels: tuple[str, ...]  # nvidia-* distributions
    # the final filesystem: path -> (layer index, size, kind)
    tree: dict[str, tuple[int, int, str]] = field(repr=False, default_factory=dict)
    base_layers: int = 0
    dockerfile: str | None = None  # its display path, when --dockerfile was given
    anchors: dict = field(default_factory=dict)  # keyword -> the Dockerfile instruction (FROM, USER)

    @property
    def size(self) -> int:
        return sum(layer.uncompressed_size for layer in self.layers)

    @property
    def base_bytes(self) -> int:
        return sum(layer.uncompressed_size for layer in self.layers if layer.base)

    @property
    def own_bytes(self) -> int:
        return sum(layer.uncompressed_size for layer in self.layers if not layer.base)

    @property
    def wasted_base(self) -> int:
        return sum(layer.wasted_bytes for layer in self.layers if layer.base)

    @property
    def wasted_own(self) -> int:
        return sum(layer.wasted_bytes for layer in self.layers if not layer.base)

    def summary(self) -> dict:
        """Facts as plain JSON-able data (what the tests compare across sources)."""
        return {
            "layers": [{"size": lf.uncompressed_size, "files": lf.files, "file_bytes": lf.file_bytes,
                        "added": lf.added, "changed": lf.changed, "deleted": lf.deleted,
                        "wasted": lf.wasted_bytes, "created_by": lf.created_by, "base": lf.base}
                       for lf in self.layers],
            "user": self.user, "entrypoint": list(self.entrypoint), "cmd": list(self.cmd), "env": self.env,
            "ports": list(self.ports), "workdir": self.workdir,
            "python": [(d.name, d.version, d.size, d.installer, d.layer) for d in self.python],
            "packages": [(p.manager, p.name, p.version, p.size, p.layer) for p in self.packages],
            "os_release": self.os_release, "cuda": self.cuda_version, "cudnn": self.cudnn_version,
            "cudart": list(self.cudart_versions), "torch": [self.torch_version, self.torch_cuda],
            "nvidia_wheels": list(self.nvidia_wheels),
            "files": len(self.tree), "wasted_base": self.wasted_base, "wasted_own": self.wasted_own,
        }


_CUDART = re.compile(r"(?:^|/)libcudart\.so\.(\d+\.\d+\.\d+)$")
_CUDNN_LIB = re.compile(r"(?:^|/)libcudnn\.so\.(\d+\.\d+\.\d+)$")


def _history(config: dict, n_layers: int) -> tuple[list[str], int]:
    """created_by of each layer, and how many leading layers belong to the base image (from a
    buildah/podman ``FROM`` history comment; 0 when the history does not tell)."""
    history = [h for h in (config.get("history") or []) if isinstance(h, dict)]
    per_layer: list[tuple[str, str]] = [(str(h.get("created_by") or ""), str(h.get("comment") or ""))
                                        for h in history if not h.get("empty_layer")]
    if len(per_layer) != n_layers:
        per_layer = (per_layer + [("", "")] * n_layers)[:n_layers]
    base = 0
    # buildah (podman build) comments the first entry of a build "FROM <base name>" and later
    # ones "FROM <parent id>"; the last named one starts this build
    marks = [i for i, h in enumerate(history)
             if str(h.get("comment") or "").startswith("FROM ")
             and not re.fullmatch(r"(sha256:)?[0-9a-f]{12,64}", str(h.get("comment"))[5:].strip())]
    if marks:
        base = sum(1 for h in history[: marks[-1]] if not h.get("empty_layer"))
    return [c for c, _ in per_layer], min(base, n_layers)


def build_facts(reference: str, config: dict, scans: list[LayerScan]) -> ImageFacts:
    created, base_layers = _history(config, len(scans))
    tree: dict[str, tuple[int, int, str]] = {}
    kids: dict[str, set[str]] = {}
    fact_at: dict[str, tuple[int, str, object]] = {}
    layers: list[LayerFacts] = []

    dead_paths: list[tuple[int, str]] = []

    def remove(top: str, counter: list[int]) -> None:
        stack = [top]  # iterative: a hostile image may nest folders thousands deep
        while stack:
            path = stack.pop()
            old = tree.pop(path, None)
            if old is not None:
                counter[0] += 1
                if old[2] == FILE and old[1]:
                    counter[1] += old[1]
                    dead_paths.append((old[1], path))
                fact_at.pop(path, None)
            stack.extend(kids.pop(path, ()))

    for i, scan in enumerate(scans):
        added = changed = files = file_bytes = 0
        dead = [0, 0]  # entries removed, their bytes
        dead_paths = []
        # deletions first: they apply to the layers below only
        for path, kind, _ in scan.entries:
            if kind == WHITEOUT:
                remove(path, dead)
            elif kind == OPAQUE:
                for child in list(kids.get(path, ())):
                    remove(child, dead)
        deleted = dead[0]
        get = tree.get
        for path, kind, size in scan.entries:
            if kind == FILE:
                files += 1
                file_bytes += size
            elif kind == WHITEOUT or kind == OPAQUE:
                continue
            old = get(path)
            if old is not None:
                if old[2] == DIR and kind == DIR:
                    tree[path] = (old[0], 0, DIR)
                    continue
                if old[2] == FILE and old[1]:
                    dead[1] += old[1]
                    dead_paths.append((old[1], path))
                if old[2] == DIR and kind != DIR:  # a folder replaced by a file drops its contents
                    for child in list(kids.get(path, ())):
                        remove(child, dead)
                if old[0] < i:
                    changed += 1
                fact_at.pop(path, None)
            else:
                added += 1
                parent = path.rpartition("/")[0]
                siblings = kids.get(parent)
                if siblings is None:
                    kids[parent] = {path}
                else:
                    siblings.add(path)
            tree[path] = (i, size, kind)
        for path, (kind, fact) in scan.facts.items():
            fact_at[path] = (i, kind, fact)
        layers.append(LayerFacts(
            index=i, digest=scan.digest, size=scan.size, uncompressed_size=scan.uncompressed_size,
            files=files, file_bytes=file_bytes, added=added, changed=changed, deleted=deleted,
            wasted_bytes=dead[1], created_by=created[i], base=i < base_layers,
            wasted_paths=tuple((p, n) for n, p in heapq.nlargest(3, dead_paths))))
    # a fact counts when its file is the one that survives
    facts = {p: (layer, kind, fact) for p, (layer, kind, fact) in fact_at.items()
             if p in tree and tree[p][0] == layer}
    return _assemble(reference, config, layers, tree, facts, base_layers)


def _assemble(reference, config, layers, tree, facts, base_layers) -> ImageFacts:
    cfg = config.get("config") or {}
    env: dict[str, str] = {}
    for item in cfg.get("Env") or []:
        key, _, value = str(item).partition("=")
        env[key] = value
    by_dir: dict[str, dict[str, tuple[int, object]]] = {}
    conda, dpkg = [], []
    os_release = None
    cuda_versions: dict[str, str] = {}
    cudnn = None
    torch = (None, None)
    for path, (layer, kind, fact) in sorted(facts.items()):
        if kind.startswith("dist-"):
            by_dir.setdefault(path.rpartition("/")[0], {})[kind] = (layer, fact)
        elif kind == "conda":
            name, version, size = fact
            conda.append(Package("conda", name, version, size, layer))
        elif kind == "dpkg":
            dpkg.extend(Package("dpkg", n, v, s, layer) for n, v, s in fact)
        elif kind == "os-release":
            if os_release is None or path == "etc/os-release":
                os_release = fact
        elif kind == "cuda-version":
            cuda_versions[path] = fact
        elif kind == "cudnn-header":
            cudnn = fact
        elif kind == "torch-version":
            torch = fact
    python = []
    for folder, found in sorted(by_dir.items()):
        if "dist-metadata" not in found:
            continue
        layer, (name, version) = found["dist-metadata"]
        size = found.get("dist-record", (0, (0, 0)))[1][0]
        installer = found.get("dist-installer", (0, ""))[1]
        python.append(Dist(name, version or "", size, installer, folder, layer))
    cuda = None
    for preferred in ("usr/local/cuda/version.json", "usr/local/cuda/version.txt"):
        if preferred in cuda_versions:
            cuda = cuda_versions[preferred]
            break
    if cuda is None and cuda_versions:
        cuda = cuda_versions[sorted(cuda_versions)[-1]]
    cudart, cudnn_libs = set(), set()
    for path in tree:
        if "libcud" in path:
            m = _CUDART.search(path)
            if m:
                cudart.add(m.group(1))
            m = _CUDNN_LIB.search(path)
            if m:
                cudnn_libs.add(m.group(1))
    if cudnn is None and cudnn_libs:
        cudnn = sorted(cudnn_libs)[-1]
    ports = tuple(sorted((cfg.get("ExposedPorts") or {}).keys()))

    def words(value) -> tuple[str, ...]:
        return tuple(str(v) for v in value) if isinstance(value, list) else ((str(value),) if value else ())

    return ImageFacts(
        reference=reference, layers=layers,
        os=str(config.get("os") or ""), architecture=str(config.get("architecture") or ""),
        user=str(cfg.get("User") or ""), entrypoint=words(cfg.get("Entrypoint")), cmd=words(cfg.get("Cmd")),
        env=env, ports=ports, workdir=str(cfg.get("WorkingDir") or ""),
        python=python, packages=sorted(conda, key=lambda p: p.name) + sorted(dpkg, key=lambda p: p.name),
        os_release=os_release, cuda_version=cuda, cudnn_version=cudnn,
        cudart_versions=tuple(sorted(cudart)), torch_version=torch[0], torch_cuda=torch[1],
        nvidia_wheels=tuple(sorted(d.name for d in python if d.name.lower().startswith("nvidia-"))),
        tree=tree, base_layers=base_layers,
    )
