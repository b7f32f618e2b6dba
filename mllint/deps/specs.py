"""What one package spec says, for pip/uv (PEP 508) and conda (MatchSpec).

Pinned means the spec names exactly one build of the package: ``==X`` without a
wildcard or ``===X`` for pip; a VCS URL at a full commit; a URL or path to a
versioned archive. Everything else is a range, however narrow.
"""

from __future__ import annotations

import functools
import re

from ..record import record

_HEX_COMMIT = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$", re.IGNORECASE)
_FLOATING_WORD = re.compile(r"(?:^|[_.\-])(latest|nightly|snapshot)(?:$|[_.\-])")
_BRANCHES = frozenset({"main", "master", "head", "dev", "develop", "trunk"})
_REF_SLOTS = frozenset({"heads", "archive", "raw", "resolve", "blob", "tree", "download"})  # …/<slot>/<ref>
_VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVE = re.compile(r"\.(whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip|egg)$", re.I)
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


@record(frozen=True, slots=True)
class PackageSpec:
    text: str  # as given, quotes removed
    name: str | None  # normalized (PEP 503) project name, when known
    kind: str  # "name" | "vcs" | "url" | "path"
    pinned: bool
    version: str | None = None  # the exact version when pinned by ==/===
    specifier: str = ""  # e.g. ">=1.0,<2"
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None
    vcs_ref: str | None = None  # the @ref of a VCS URL
    floating_url: bool = False  # URL naming a moving target: latest, nightly, main…
    error: str | None = None  # not a valid requirement


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_full_commit(ref: str | None) -> bool:
    return bool(ref and _HEX_COMMIT.match(ref))


def _floating(url: str) -> bool:
    """A URL that serves different bytes over time: a `latest`/`nightly` release, or a branch
    (`main`, `master`…) where a ref belongs (`/refs/heads/main.zip`, `/resolve/main/`, raw
    GitHub paths). A `main` folder elsewhere (Ubuntu's `pool/main/`) is not a moving target."""
    rest = url.split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    host, _, path = rest.partition("/") if "://" in url else ("", "", rest)
    segments = [s for s in path.split("/") if s]
    for i, seg in enumerate(segments):
        lower = seg.lower()
        if _FLOATING_WORD.search(lower):
            return True
        stem = _ARCHIVE.sub("", lower)
        if stem in _BRANCHES and i > 0 and segments[i - 1].lower() in _REF_SLOTS:
            return True
    if host.lower() == "raw.githubusercontent.com" and len(segments) > 2:
        return segments[2].lower() in _BRANCHES or segments[2].lower() == "refs"
    return False


def _vcs_spec(text: str, url: str, name: str | None, extras=(), marker=None) -> PackageSpec:
    bare = url.split("#", 1)[0]
    ref = None
    tail = bare.split("://", 1)[-1]
    # git+https://host/org/repo.git@ref : the @ after the last "/" is the ref (user@host is before it)
    last = tail.rsplit("/", 1)[-1]
    if "@" in last:
        ref = last.rsplit("@", 1)[1] or None
    if name is None:
        egg = re.search(r"[#&]egg=([^&]+)", url)
        name = normalize_name(egg.group(1)) if egg else None
    return PackageSpec(text, name, "vcs", is_full_commit(ref), extras=extras, marker=marker, url=url, vcs_ref=ref)


def _url_spec(text: str, url: str, name: str | None, extras=(), marker=None) -> PackageSpec:
    floating = _floating(url)
    path = url.split("#", 1)[0].split("?", 1)[0]
    # A versioned archive (foo-1.2.3.whl) names one build; a bare folder or branch archive does not.
    pinned = bool(_ARCHIVE.search(path)) and bool(re.search(r"\d", path.rsplit("/", 1)[-1])) and not floating
    kind = "path" if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I) else "url"
    return PackageSpec(text, name, kind, pinned, extras=extras, marker=marker, url=url, floating_url=floating)


def _looks_like_path(text: str) -> bool:
    if re.match(r"^[A-Za-z0-9._-]+(\[[^\]]*\])?\s*@", text):  # "name @ url"
        return False
    return text in (".", "..") or text.startswith(("./", "../", "/", "~")) or "/" in text or bool(
        _ARCHIVE.search(text)
    )


# The common requirement, `name[extras] op version, ...` with no marker or URL, is classified
# without importing packaging (its import is a third of a small lint's time). The grammar is a
# strict subset of PEP 508/440 that packaging accepts; anything else goes to packaging.
_SIMPLE_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_SIMPLE_VERSION = r"(?:\d+!)?\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?"
_LOCAL = r"\+[a-z0-9]+(?:\.[a-z0-9]+)*"  # only == and != may carry a local version (+cu121)
_SIMPLE_CLAUSE = (rf"(?:(?:==|!=)\s*{_SIMPLE_VERSION}(?:\.\*|{_LOCAL})?|(?:>=|<=|>|<)\s*{_SIMPLE_VERSION}"
                  rf"|~=\s*\d+(?:\.\d+)+)")
_SIMPLE = re.compile(
    rf"(?P<name>{_SIMPLE_NAME})\s*(?:\[\s*(?P<extras>{_SIMPLE_NAME}(?:\s*,\s*{_SIMPLE_NAME})*)?\s*\])?"
    rf"\s*(?P<spec>{_SIMPLE_CLAUSE}(?:\s*,\s*{_SIMPLE_CLAUSE})*)?\s*",
    re.I,
)
_CLAUSE = re.compile(r"(===|==|!=|>=|<=|~=|>|<)\s*([^\s,]+)")


def _simple_pip_spec(text: str) -> PackageSpec | None:
    m = _SIMPLE.fullmatch(text)
    if m is None:
        return None
    clauses = _CLAUSE.findall(m.group("spec") or "")
    if len({op for op, _ in clauses}) < len(clauses):
        return None  # packaging merges equal clauses (==1.0,==1.0.0): let it decide
    version = None
    for op, ver in clauses:
        if op == "==" and "*" not in ver:
            version = ver
    extras = tuple(sorted({e.strip() for e in (m.group("extras") or "").split(",") if e.strip()}))
    return PackageSpec(
        text, normalize_name(m.group("name")), "name", version is not None, version=version,
        specifier=",".join(sorted(op + ver for op, ver in clauses)), extras=extras,
    )


@functools.lru_cache(maxsize=4096)  # the same requirements recur across files; PackageSpec is immutable
def parse_pip_spec(text: str) -> PackageSpec:
    """Classify one pip/uv requirement: ``torch==2.3.1``, ``git+https://…@sha``, ``./pkg``, ``x @ url``."""
    text = text.strip()
    if not text:
        return PackageSpec(text, None, "name", False, error="empty requirement")
    if text.startswith(_VCS_SCHEMES):
        return _vcs_spec(text, text, None)
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        return _url_spec(text, text, None)
    if _looks_like_path(text):
        return _url_spec(text, text, None)
    return _simple_pip_spec(text) or _packaging_pip_spec(text)


def _packaging_pip_spec(text: str) -> PackageSpec:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except (InvalidRequirement, SyntaxError, ValueError) as exc:  # packaging raises SyntaxError on odd markers
        name_match = _NAME.match(text)
        name = normalize_name(name_match.group(0)) if name_match else None
        return PackageSpec(text, name, "name", False, error=str(exc).splitlines()[0])
    name = normalize_name(req.name)
    extras = tuple(sorted(req.extras))
    marker = str(req.marker) if req.marker else None
    if req.url:
        if req.url.startswith(_VCS_SCHEMES):
            return _vcs_spec(text, req.url, name, extras, marker)
        return _url_spec(text, req.url, name, extras, marker)
    version = None
    for spec in req.specifier:
        if spec.operator == "===" or (spec.operator == "==" and "*" not in spec.version):
            version = spec.version
    return PackageSpec(
        text, name, "name", version is not None, version=version,
        specifier=str(req.specifier), extras=extras, marker=marker,
    )


_CONDA = re.compile(
    r"""^(?:(?P<channel>[^:\s]+)::)?            # conda-forge::
        (?P<name>[A-Za-z0-9_.\-]+)
        (?P<extras>\[[^\]]*\])?
        \s*(?P<spec>.*)$""",
    re.X,
)


def _conda_version_pinned(spec: str) -> tuple[bool, str | None]:
    """``==1.2.3``, ``=1.2.3=build`` and ``1.2.3=build`` are exact; ``=1.2.3`` pins a patch release
    (conda matches 1.2.3*), accepted as pinned when it has three or more parts; ``=1.2``,
    ``>=1``, ``1.2.*`` float."""
    spec = spec.strip()
    if not spec:
        return False, None
    if re.search(r"[<>!~|,*]", spec):
        return False, None
    if spec.startswith("=="):
        v = spec[2:].split("=", 1)[0].strip()
        return bool(v), v or None
    if spec.startswith("="):
        parts = spec[1:].split("=")
        v = parts[0].strip()
        if len(parts) > 1 and parts[1].strip():  # =version=build
            return True, v
        return v.count(".") >= 2, v
    # "name 1.2.3" or "name 1.2.3 build" (space-separated MatchSpec)
    parts = spec.replace("=", " ").split()
    v = parts[0]
    return (len(parts) > 1 or v.count(".") >= 2), v


@functools.lru_cache(maxsize=4096)
def parse_conda_spec(text: str) -> PackageSpec:
    """Classify one conda MatchSpec: ``numpy=1.26.4``, ``conda-forge::numpy==1.26.4=py311_0``, ``numpy>=1``."""
    text = text.strip()
    m = _CONDA.match(text)
    if not m:
        return PackageSpec(text, None, "name", False, error="not a conda package spec")
    spec = m.group("spec").strip()
    bracket = m.group("extras") or ""
    version_in_bracket = re.search(r"version\s*=\s*['\"]?([^'\",\]]+)", bracket)
    if version_in_bracket and not spec:
        spec = "==" + version_in_bracket.group(1) if re.match(r"^[\d.]+$", version_in_bracket.group(1)) else ">" + version_in_bracket.group(1)
    pinned, version = _conda_version_pinned(spec)
    return PackageSpec(
        text, normalize_name(m.group("name")), "name", pinned,
        version=version if pinned else None, specifier=spec,
    )


def os_package_pinned(manager: str, text: str) -> bool:
    """apt ``pkg=1.2-3``, apk ``pkg=1.2-r0`` / ``pkg~1.2``, dnf/yum ``pkg-1.2.3``; local package files."""
    if manager in ("apt-get", "apt"):
        return "=" in text or text.endswith(".deb")
    if manager == "apk":
        return any(c in text for c in "=~<>") or text.endswith(".apk")
    # dnf, yum, microdnf: name-version[-release], or a comparison in quotes
    return bool(re.search(r"-\d", text)) or text.endswith(".rpm") or any(c in text for c in "<>=")


def has_version(url: str) -> bool:
    """A URL that names a version or a commit: ``/0.4.18/``, ``v2.1``, a 40-hex commit."""
    return bool(re.search(r"(?<![A-Za-z])v?\d+\.\d+|[0-9a-f]{40}", url, re.I))


def floating_url(url: str) -> bool:
    return _floating(url)
