"""The data tables in rules/knowledge/*.yaml, loaded lazily and cached.

Every row carries a ``source``; the checks read rows, never the YAML files.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable

from .datafiles import load
from .record import record

TYPE_CHECKING = False  # typing costs ~8 ms to import; only type checkers need these names
if TYPE_CHECKING:
    from typing import Any

@functools.lru_cache(maxsize=None)
def table(name: str) -> Any:
    """rules/knowledge/<name>.yaml as plain data."""
    return load(f"knowledge/{name}.yaml")


def normalize_pypi(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@record(frozen=True, slots=True)
class NameList:
    """Names with optional trailing-``*`` prefixes (``jupyter*``)."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    @staticmethod
    def of(names: Iterable[str], normalize=lambda s: s.lower()) -> "NameList":
        exact, prefixes = set(), []
        for n in names:
            n = str(n)
            if n.endswith("*"):
                prefixes.append(normalize(n[:-1]))
            else:
                exact.add(normalize(n))
        return NameList(frozenset(exact), tuple(prefixes))

    def __contains__(self, name: str) -> bool:
        return name in self.exact or any(name.startswith(p) for p in self.prefixes)


@functools.lru_cache(maxsize=64)
def dev_python(extra: tuple[str, ...] = ()) -> NameList:
    rows = [r["name"] for r in table("dev_tools")["python"]]
    return NameList.of(list(rows) + list(extra), normalize_pypi)


@functools.lru_cache(maxsize=64)
def dev_os(extra: tuple[str, ...] = (), compilers: bool = True) -> NameList:
    rows = [r["name"] for r in table("dev_tools")["os"] if compilers or not r.get("compiler")]
    return NameList.of(list(rows) + list(extra))


@functools.lru_cache(maxsize=1)
def compilers() -> NameList:
    return NameList.of(r["name"] for r in table("dev_tools")["os"] if r.get("compiler"))


def name_matches(name: str, pattern: str) -> bool:
    """``fnmatch.fnmatchcase`` for a knowledge-table pattern, without compiling a regex for the
    common shapes (a plain name, ``*.suffix``): tables hold ~80 patterns, each compile ~40 µs."""
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        return name == pattern
    if pattern[0] == "*" and "*" not in pattern[1:] and "?" not in pattern and "[" not in pattern:
        return name.endswith(pattern[1:])
    return fnmatch.fnmatchcase(name, pattern)


@functools.lru_cache(maxsize=4096)  # names repeat across files (PATH, CUDA_VERSION, requirements.txt)
def dev_requirement_file(name: str) -> bool:
    lower = name.lower()
    return any(name_matches(lower, r["pattern"]) for r in table("dev_tools")["requirement_files"])


@functools.lru_cache(maxsize=1)
def dev_extras() -> frozenset[str]:
    return frozenset(r["name"] for r in table("dev_tools")["extras"])


# --------------------------------------------------------------------------- secrets


@functools.lru_cache(maxsize=1)
def _secret_names():
    data = table("secrets")
    names = [(r["pattern"].upper(), r) for r in data["names"]]
    not_names = [r["pattern"].upper() for r in data["not_secret_names"]]
    return names, not_names, frozenset(v.lower() for row in data["placeholder_values"] for v in row["values"])


@functools.lru_cache(maxsize=4096)  # names repeat across files (PATH, CUDA_VERSION, requirements.txt)
def secret_name(name: str) -> dict | None:
    """The row naming ``name`` (an ARG/ENV name) as a secret, or None."""
    names, not_names, _ = _secret_names()
    upper = name.upper()
    if any(name_matches(upper, p) for p in not_names):
        return None
    for pattern, row in names:
        if name_matches(upper, pattern):
            return row
    return None


def placeholder(value: str) -> bool:
    return value.strip().lower() in _secret_names()[2]


@functools.lru_cache(maxsize=1)
def secret_shapes() -> tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...]:
    return tuple((r["name"], re.compile(r["regex"]), tuple(r.get("context_names", ())))
                 for r in table("secrets")["shapes"])


@functools.lru_cache(maxsize=1)
def any_secret_shape() -> re.Pattern[str]:
    """One regex matching wherever some secret shape does: most values hold none, and one search
    is cheaper than one per shape."""
    return re.compile("|".join(f"(?:{regex.pattern})" for _, regex, _ in secret_shapes()))


@functools.lru_cache(maxsize=4096)  # names repeat across files (PATH, CUDA_VERSION, requirements.txt)
def secret_file(basename: str) -> bool:
    lower = basename.lower()
    for row in table("secrets")["files"]:
        if name_matches(lower, row["pattern"]) and lower not in row.get("not", ()):
            return True
    return False


# --------------------------------------------------------------------------- training artifacts


@functools.lru_cache(maxsize=1)
def artifacts() -> dict[str, Any]:
    data = table("artifacts")
    return {
        "training_code": tuple(r["pattern"] for r in data["training_code"]),
        "training_folders": frozenset(r["name"] for r in data["training_folders"]),
        "data_folders": frozenset(r["name"] for r in data["data_folders"]),
        "log_folders": frozenset(r["name"] for r in data["log_folders"]),
        "checkpoint_files": tuple(r["pattern"] for r in data["checkpoint_files"]),
        "weight_extensions": tuple(r["ext"] for r in data["weight_extensions"]),
    }


def cuda_flavour_gb(flavour: str) -> float:
    for row in table("cuda_images")["flavours"]:
        if row["flavour"] == flavour:
            return float(row["gb"])
    return 0.0
