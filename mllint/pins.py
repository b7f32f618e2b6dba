"""Sources of truth for `--pin-from`: the versions an unpinned install should be pinned to.

SOURCE is a file or an image:
- ``pip freeze`` output or a pip constraints/requirements file (``name==version``; ``name @ url``
  lines carry no version and pin nothing),
- a ``uv.lock``, ``poetry.lock`` or ``pdm.lock`` (TOML ``[[package]]`` tables with name and version),
- a conda explicit list (``@EXPLICIT`` then package URLs: name, version and build from the file name),
- any reference ``mllint image`` takes (an archive, an OCI layout, ``docker-daemon:``, ``docker://``):
  the Python distributions, conda packages and dpkg packages installed in it.
"""

from __future__ import annotations

import re
from pathlib import Path

from .deps.specs import normalize_name
from .errors import MllintError
from .record import field, record


@record(frozen=True)
class Pins:
    origin: str  # what the versions came from, for messages
    python: dict[str, str] = field(default_factory=dict)  # normalized name -> version
    conda: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (version, build)
    deb: dict[str, str] = field(default_factory=dict)  # dpkg package -> version

    def python_version(self, name: str | None) -> str | None:
        return self.python.get(normalize_name(name)) if name else None

    def conda_version(self, name: str | None) -> str | None:
        if not name:
            return None
        got = self.conda.get(name.lower())
        if got:
            return got[0]
        return self.python.get(normalize_name(name))  # a conda install of a Python package

    def deb_version(self, name: str | None) -> str | None:
        return self.deb.get(name.split(":")[0]) if name else None


_CONDA_FILE = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<build>[^-]+)\.(?:conda|tar\.bz2)$")


def parse_conda_explicit(text: str, origin: str) -> Pins:
    conda: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "@")):
            continue
        base = line.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        m = _CONDA_FILE.match(base)
        if m:
            conda[m.group("name").lower()] = (m.group("version"), m.group("build"))
    return Pins(origin, conda=conda)


def parse_lock(text: str, origin: str) -> Pins:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MllintError(f"not a TOML lock file: {exc}", origin) from None
    python = {}
    for pkg in data.get("package") or ():
        if isinstance(pkg, dict) and isinstance(pkg.get("name"), str) and isinstance(pkg.get("version"), str):
            python[normalize_name(pkg["name"])] = pkg["version"]
    return Pins(origin, python=python)


def parse_freeze(text: str, origin: str) -> Pins:
    """pip freeze / constraints: every ``name==version`` (or ``===``) line; the rest is skipped."""
    python = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;,]+)\s*(?:;.*)?$", line)
        if m and "*" not in m.group(2):
            python[normalize_name(m.group(1))] = m.group(2)
    return Pins(origin, python=python)


def from_image_facts(facts, origin: str) -> Pins:
    python = {normalize_name(d.name): d.version for d in facts.python}
    conda = {p.name.lower(): (p.version, "") for p in facts.packages if p.manager == "conda"}
    deb = {p.name: p.version for p in facts.packages if p.manager == "dpkg"}
    return Pins(origin, python=python, conda=conda, deb=deb)


def _looks_like_image(path: Path) -> bool:
    if path.is_dir():
        return (path / "index.json").is_file() or (path / "oci-layout").is_file()
    if path.suffix in (".tar", ".tgz") or path.name.endswith(".tar.gz"):
        return True
    return False


def load_pin_source(source: str) -> Pins:
    path = Path(source)
    if path.exists() and not _looks_like_image(path):
        if path.is_dir():
            raise MllintError("--pin-from: a folder that is not an OCI image layout", source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise MllintError(f"--pin-from: cannot read: {getattr(exc, 'strerror', None) or exc}", source) from None
        if "@EXPLICIT" in text:
            return parse_conda_explicit(text, source)
        if path.suffix == ".lock" or re.search(r"^\[\[package\]\]", text, re.M):
            return parse_lock(text, source)
        return parse_freeze(text, source)
    from .image.lint import inspect

    return from_image_facts(inspect(source), source)
