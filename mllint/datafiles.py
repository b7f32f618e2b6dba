"""The YAML under rules/ (rule metadata and knowledge tables), read fast.

YAML is the source of truth, but parsing ~70 files costs more than the whole lint of a small
Dockerfile. ``python -m mllint.ruledocs`` also writes ``rules/compiled.json``: the same data
as JSON, with a digest of the YAML it came from. It is used only while that digest matches
(a checksum of the YAML bytes is far cheaper than parsing them), so an edited rule is never served
stale: it is read from YAML until the compiled copy is regenerated.
"""

from __future__ import annotations

import functools
import json
import zlib
from pathlib import Path

TYPE_CHECKING = False  # typing costs ~8 ms to import; only type checkers need these names
if TYPE_CHECKING:
    from typing import Any

COMPILED = "compiled.json"


def rules_dir() -> Path:
    """rules/ is packaged as mllint/rules in the wheel, and sits beside mllint/ in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


@functools.lru_cache(maxsize=1)
def _sources() -> tuple[tuple[str, bytes], ...]:
    root = rules_dir()
    return tuple((p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.glob("*/*.yaml")))


def _digest(sources) -> str:
    """A checksum of the YAML, to notice edits (not an adversary): zlib is loaded already,
    while hashlib's OpenSSL costs a few ms to load on every run."""
    crc, total = 0, 0
    for rel, data in sources:
        crc = zlib.crc32(rel.encode() + b"\0" + len(data).to_bytes(8, "little") + data, crc)
        total += len(data)
    return f"crc32:{crc:08x}:{total}"


@functools.lru_cache(maxsize=1)
def _compiled() -> dict[str, Any]:
    try:
        data = json.loads((rules_dir() / COMPILED).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("digest") != _digest(_sources()):
        return {}
    return data.get("files", {})


def names() -> list[str]:
    """Every YAML file under rules/, as ``family/NAME.yaml``, sorted."""
    return [rel for rel, _ in _sources()]


def parse_yaml(data: bytes) -> Any:
    import yaml

    return yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.lru_cache(maxsize=None)
def load(rel: str) -> Any:
    """The data of ``rules/<rel>``: from the compiled copy when it is current, else from YAML."""
    compiled = _compiled()
    if rel in compiled:
        return compiled[rel]
    return parse_yaml(dict(_sources())[rel])


def compile_all() -> str:
    """The text of rules/compiled.json. Files whose data JSON cannot carry exactly (YAML dates,
    non-string keys) are left out and always read from YAML."""
    sources = _sources()
    files = {}
    for rel, data in sources:
        value = parse_yaml(data)
        if json.loads(json.dumps(value)) == value:
            files[rel] = value
    return json.dumps({"digest": _digest(sources), "files": files}, sort_keys=True, separators=(",", ":")) + "\n"
