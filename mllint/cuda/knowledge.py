"""Lookups over rules/knowledge/cuda_*.yaml (loaded lazily, once, by mllint.knowledge.table).

Versions are compared as tuples of ints. A row marked ``verified: false`` is never used to
report a problem: the lookups return None for it, and the checks say nothing (unknown).
"""

from __future__ import annotations

import functools
import re

from ..knowledge import table
from ..record import record


def vtuple(text: str | None) -> tuple[int, ...]:
    """'535.104.05' -> (535, 104, 5); trailing zero parts dropped for comparison."""
    if not text:
        return ()
    parts = [int(p) for p in re.findall(r"\d+", str(text))]
    while parts and parts[-1] == 0 and len(parts) > 1:
        parts.pop()
    return tuple(parts)


def vcmp(a: str, b: str) -> int:
    ta, tb = vtuple(a), vtuple(b)
    n = max(len(ta), len(tb))
    ta, tb = ta + (0,) * (n - len(ta)), tb + (0,) * (n - len(tb))
    return (ta > tb) - (ta < tb)


def minor_of(version: str) -> str:
    parts = re.findall(r"\d+", version)
    return ".".join(parts[:2]) if len(parts) >= 2 else (parts[0] if parts else "")


def major_of(version: str) -> int:
    return int(re.match(r"\d+", version).group(0))


def _verified(row: dict) -> bool:
    return row.get("verified", True) is not False


def source_of(tab: str, row: dict) -> str:
    """The row's source, with short names expanded from the table's ``sources``."""
    names = table(tab).get("sources", {})
    return "; ".join(names.get(part.strip(), part.strip()) for part in str(row.get("source", "")).split(";"))


# --------------------------------------------------------------------------- toolkits and drivers


@functools.lru_cache(maxsize=256)
def toolkit_driver(cuda: str) -> str | None:
    """Minimum Linux driver for full functionality of toolkit ``cuda`` (x.y.z, or x.y: its .0 row,
    else its first). None when unknown or unverified."""
    rows = table("cuda_toolkits")["toolkits"]
    want = vtuple(cuda)
    if len(re.findall(r"\d+", cuda)) >= 3:
        for row in rows:
            if vtuple(row["cuda"]) == want:
                return row["driver"] if _verified(row) and row.get("driver") else None
        # an unlisted patch release: the highest listed patch of the same minor below it
        same = [r for r in rows if minor_of(r["cuda"]) == minor_of(cuda) and vcmp(r["cuda"], cuda) <= 0]
        if same and _verified(same[-1]) and same[-1].get("driver"):
            return same[-1]["driver"]
        return None
    same = [r for r in rows if minor_of(r["cuda"]) == minor_of(cuda)]
    if not same or not _verified(same[0]) or not same[0].get("driver"):
        return None
    return same[0]["driver"]


def known_toolkits(min_major: int = 11) -> list[dict]:
    return [r for r in table("cuda_toolkits")["toolkits"] if major_of(r["cuda"]) >= min_major]


@functools.lru_cache(maxsize=16)
def mvc_floor(major: int) -> str | None:
    for row in table("cuda_toolkits")["mvc"]:
        if row["major"] == major:
            return row["floor"]
    return None


def mvc_caveats() -> list[str]:
    return [r["caveat"] for r in table("cuda_toolkits")["mvc_caveats"]]


def branch_of(driver: str) -> int:
    return vtuple(driver)[0] if vtuple(driver) else 0


@functools.lru_cache(maxsize=64)
def native_cuda(driver: str) -> str | None:
    """Highest CUDA (major.minor) the driver runs natively; None when its branch is not known."""
    branch = branch_of(driver)
    best = None
    for row in table("cuda_toolkits")["branches"]:
        if row["branch"] <= branch and _verified(row):
            best = row["cuda"]
    return best


@record(frozen=True, slots=True)
class Require:
    """An NVIDIA_REQUIRE_CUDA expression: space-separated OR of comma-separated AND terms."""

    text: str
    clauses: tuple[tuple[tuple[str, str, str], ...], ...]  # ((prop, op, value), ...) per OR clause

    @staticmethod
    def parse(text: str) -> "Require":
        clauses = []
        for token in text.split():
            terms = []
            for term in token.split(","):
                m = re.match(r"^([A-Za-z_]+)\s*(>=|<=|!=|=|<|>)\s*(.+)$", term.strip())
                if m:
                    terms.append((m.group(1).lower(), m.group(2), m.group(3)))
            if terms:
                clauses.append(tuple(terms))
        return Require(text, tuple(clauses))

    def min_cuda(self) -> str | None:
        for clause in self.clauses:
            for prop, op, value in clause:
                if prop == "cuda" and op == ">=":
                    return value
        return None

    def satisfied(self, driver: str, brand: str | None, cc: str | None = None) -> bool | None:
        """Whether a host with this driver (and GPU brand) passes; None when it depends on an
        unknown brand."""
        host_cuda = native_cuda(driver)
        undecided = False
        for clause in self.clauses:
            result = True
            for prop, op, value in clause:
                if prop == "cuda":
                    ok = None if host_cuda is None else _compare(vcmp(host_cuda, value), op)
                elif prop == "driver":
                    ok = _compare(vcmp(driver, value), op)
                elif prop == "brand":
                    ok = None if brand is None else _compare(0 if brand.lower() == value.lower() else 1, op)
                elif prop == "arch":
                    ok = None if cc is None else _compare(vcmp(cc, value), op)
                else:
                    ok = None
                if ok is False:
                    result = False
                    break
                if ok is None:
                    result = None
            if result is True:
                return True
            if result is None:
                undecided = True
        return None if undecided else False

    def branches(self) -> tuple[int, ...]:
        out = []
        for clause in self.clauses:
            for prop, op, value in clause:
                if prop == "driver" and op == ">=":
                    out.append(branch_of(value))
        return tuple(sorted(set(out)))

    def brands(self) -> tuple[str, ...]:
        return tuple(sorted({v.lower() for c in self.clauses for p, _, v in c if p == "brand"}))


def _compare(c: int, op: str) -> bool:
    return {"=": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


@functools.lru_cache(maxsize=256)
def image_require(cuda: str) -> Require | None:
    """The NVIDIA_REQUIRE_CUDA an official nvidia/cuda image of toolkit ``cuda`` (x.y.z) sets."""
    for row in table("cuda_toolkits")["image_require"]:
        if vcmp(row["from"], cuda) <= 0 <= vcmp(row["to"], cuda):
            if not _verified(row):
                return None
            clauses = [f"cuda>={minor_of(cuda)}"]
            for branch in row["branches"]:
                for brand in row["brands"]:
                    clauses.append(f"brand={brand},driver>={branch},driver<{branch + 1}")
            return Require.parse(" ".join(clauses))
    return None


# --------------------------------------------------------------------------- GPUs


@record(frozen=True, slots=True)
class Gpu:
    name: str
    cc: str
    min_branch: int | None
    datacenter: bool
    brand: str
    verified_min_branch: bool
    source: str


def _gpu_key(name: str) -> str:
    key = re.sub(r"[\s_\-]+", "", name.lower())
    return re.sub(r"^(nvidia|tesla|geforce)", "", re.sub(r"^nvidia", "", key))


@functools.lru_cache(maxsize=1)
def _gpu_index() -> dict[str, dict]:
    index: dict[str, dict] = {}
    for row in table("cuda_gpus")["gpus"]:
        for name in [row["name"], *row.get("aliases", ())]:
            index[_gpu_key(name)] = row
    return index


@functools.lru_cache(maxsize=128)
def gpu(name: str) -> Gpu | None:
    """The GPU row for a user-given or nvidia-smi name ("A100", "NVIDIA A100-SXM4-80GB", "rtx4090")."""
    index = _gpu_index()
    key = _gpu_key(name)
    row = index.get(key)
    if row is None:  # longest known name that starts the given one: "h10080gbhbm3" -> "h100"
        for known in sorted(index, key=len, reverse=True):
            if key.startswith(known) and (len(key) == len(known) or not key[len(known)].isdigit()):
                row = index[known]
                break
    if row is None or not _verified(row):
        return None
    return Gpu(row["name"], str(row["cc"]), row.get("min_branch"), bool(row["datacenter"]), row["brand"],
               row.get("verified_min_branch", True) is not False, source_of("cuda_gpus", row))


def gpu_names() -> list[str]:
    return [r["name"] for r in table("cuda_gpus")["gpus"]]


# --------------------------------------------------------------------------- frameworks


@functools.lru_cache(maxsize=64)
def torch_release(version: str) -> dict | None:
    for row in table("cuda_frameworks")["torch"]:
        if row["torch"] == minor_of(version):
            return row if _verified(row) else None
    return None


def torch_releases() -> list[dict]:
    return [r for r in table("cuda_frameworks")["torch"] if _verified(r)]


def variant_cuda(variant: str) -> str | None:
    """cu124 -> 12.4, cu118 -> 11.8, cu130 -> 13.0."""
    m = re.fullmatch(r"cu(\d+)(\d)", variant)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def torch_arch(variant: str, torch_minor: str) -> str | None:
    for row in table("cuda_frameworks")["torch_arch"]:
        if row["variant"] == variant and torch_minor in row["torch"]:
            return row["arch"] if _verified(row) else None
    return None


def torch_arch_rows(variant: str) -> list[dict]:
    return [r for r in table("cuda_frameworks")["torch_arch"] if r["variant"] == variant and _verified(r)]


def torch_domains(torch_minor: str) -> dict | None:
    for row in table("cuda_frameworks")["torch_domains"]:
        if row["torch"] == torch_minor:
            return row if _verified(row) else None
    return None


def domain_to_torch(package: str, minor: str) -> dict | None:
    for row in table("cuda_frameworks")["torch_domains"]:
        if row[package] == minor:
            return row if _verified(row) else None
    return None


def tensorflow(version: str) -> dict | None:
    for row in table("cuda_frameworks")["tensorflow"]:
        if row["tf"] == minor_of(version):
            return row if _verified(row) else None
    return None


def jax_plugin(major: int) -> dict | None:
    for row in table("cuda_frameworks")["jax"]:
        if row["cuda_major"] == major:
            return row if _verified(row) else None
    return None


def onnxruntime_gpu(version: str) -> dict | None:
    for row in table("cuda_frameworks")["onnxruntime_gpu"]:
        if vcmp(row["from"], minor_of(version)) <= 0 and (row["to"] is None or vcmp(minor_of(version), row["to"]) <= 0):
            return row if _verified(row) else None
    return None


def cupy(package: str) -> dict | None:
    for row in table("cuda_frameworks")["cupy"]:
        if row["package"] == package:
            return row if _verified(row) else None
    m = re.fullmatch(r"cupy-cuda(\d\d)(\d)", package)  # legacy per-minor: cupy-cuda110, cupy-cuda102
    if m:
        return {"package": package, "cuda_major": int(m.group(1)), "min_cuda": f"{int(m.group(1))}.{m.group(2)}",
                "source": "cupy"}
    return None


def ngc_cuda(release: str) -> str | None:
    for row in table("cuda_frameworks")["ngc"]:
        if row["release"] == release:
            return row["cuda"] if _verified(row) else None
    return None


# --------------------------------------------------------------------------- arch lists


def parse_arch_list(text: str) -> tuple[tuple[str, bool], ...] | None:
    """'7.0;7.5;8.0+PTX' -> (('7.0', False), ('7.5', False), ('8.0', True)); None if it names
    architectures by name or is not understood."""
    out = []
    for item in re.split(r"[;\s,]+", text.strip()):
        if not item:
            continue
        m = re.fullmatch(r"(\d+\.\d+)[af]?(\+PTX)?", item, re.I)
        if not m:
            return None
        out.append((m.group(1), bool(m.group(2))))
    return tuple(out) or None


def arch_runs(arch: tuple[tuple[str, bool], ...], cc: str) -> bool:
    """SASS for sm_XY runs on the same major with minor >= Y; PTX compute_XY runs on any newer CC."""
    major, minor = (int(x) for x in cc.split(".")[:2])
    for entry, ptx in arch:
        emaj, emin = (int(x) for x in entry.split("."))
        if emaj == major and emin <= minor:
            return True
        if ptx and (emaj, emin) <= (major, minor):
            return True
    return False
