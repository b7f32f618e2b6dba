"""Pinning: everything that lets tomorrow's rebuild differ from today's."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..deps.commands import Fetch, GitCheckout, GitClone, HubDownload, Install
from ..deps.specs import (
    PackageSpec,
    floating_url,
    has_version,
    is_full_commit,
    os_package_pinned,
)
from ..dockerfile.expand import expand
from ..engine import check
from ..findings import Edit, Finding
from ..imageref import parse_image_ref
from ..model import Span
from ..target import Target
from ._common import CONDA_LIKE, OS_LIKE, PIP_LIKE

# `pip install torch>=2` -> the shell redirects to a file named "=2"
_REDIRECTED_SPEC = re.compile(r"^(=|[=~!]?=?\s*\d)")


# BuildKit sets these for every build, so a reference to them is neither unpinned nor unknown.
AUTOMATIC_ARGS = frozenset({"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
                            "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"})


def _args_without_default(unknown, variables) -> tuple[list[str], bool]:
    """(declared ARGs with no default, whether some name is not an ARG/ENV at all).

    A name that is neither is a shell variable set inside the RUN: its value is unknown
    here, so the checks say nothing rather than guess."""
    no_default = [n for n in unknown if n in variables and variables[n].value is None and n not in AUTOMATIC_ARGS]
    undeclared = any(n not in variables and n not in AUTOMATIC_ARGS for n in unknown)
    return no_default, undeclared


# --------------------------------------------------------------------------- base images


def _image_findings(t: Target, raw: str, variables, span: Span, what: str) -> Iterator[Finding]:
    value, unknown = expand(raw, variables)
    path = t.dockerfile.path
    if unknown:
        no_default, _ = _args_without_default(unknown, variables)
        if no_default:
            yield Finding("ML113", path, span,
                          f"{what} `{raw}` depends on ARG {', '.join(no_default)} with no default: the image "
                          f"is only pinned when every build passes --build-arg. Give the ARG a pinned default.")
        return  # a platform-dependent name (base-${TARGETARCH}) is checked where it is defined
    ref = parse_image_ref(value)
    if ref.is_scratch or ref.digest:
        return
    shown = f"`{value}`" + (f" (from `{raw}`)" if value != raw else "")
    if ref.tag is None or ref.tag == "latest":
        state = "has no tag" if ref.tag is None else "uses the `latest` tag"
        yield Finding("ML101", path, span,
                      f"{what} {shown} {state}: each build can get a different Python, CUDA and "
                      f"framework stack. Pin a version tag, ideally with its digest "
                      f"(`{ref.repository}:<version>@sha256:...`).",
                      edits=_digest_edit(t, raw, value, span))
    else:
        yield Finding("ML102", path, span,
                      f"{what} {shown} is pinned by tag only; tags are re-pushed (security rebuilds, "
                      f"re-pointed CUDA tags). Add the digest: `{value}@sha256:...`.",
                      edits=_digest_edit(t, raw, value, span))


def _digest_edit(t: Target, raw: str, value: str, span: Span) -> tuple:
    """`FROM name:tag` → `FROM name:tag@sha256:...` with the digest --pin-digests resolved."""
    digest = t.digests.get(value) if t.digests else None
    if not digest or raw != value or span.line != span.end_line or span.end_column - span.column != len(raw):
        return ()
    return (Edit(Span(span.end_line, span.end_column, span.end_line, span.end_column), f"@{digest}"),)


@check("ML101", "ML102", "ML113")
def base_images(t: Target) -> Iterator[Finding]:
    df = t.dockerfile
    for stage in df.stages:
        if stage.index not in t.used_stages:
            continue
        if stage.base_stage is None:
            yield from _image_findings(t, stage.base_raw, stage.instructions[0].variables,
                                       stage.base_span, "Base image")
        for ins in stage.instructions[1:]:
            for flag in ins.flags:
                for ref, what in _external_refs(df, flag):
                    yield from _image_findings(t, ref, ins.variables, flag.span, what)


def _external_refs(df, flag) -> Iterator[tuple[str, str]]:
    """Images named by `COPY --from=` and `RUN --mount=...,from=` that are not stages."""
    if flag.name == "from" and flag.value and df.stage_named(flag.value) is None:
        yield flag.value, "`COPY --from` image"
    elif flag.name == "mount" and flag.value:
        for part in flag.value.split(","):
            key, _, value = part.partition("=")
            if key.strip() == "from" and value and df.stage_named(value.strip()) is None:
                yield value.strip(), "`RUN --mount` image"


# --------------------------------------------------------------------------- installs in RUN


def _spec_findings(path: str, spec: PackageSpec, span: Span, where: str) -> Iterator[Finding]:
    """VCS and URL requirements, shared by commands and dependency files."""
    if spec.kind == "vcs" and not spec.pinned:
        ref = f"`{spec.vcs_ref}`" if spec.vcs_ref else "no ref (the default branch)"
        yield Finding("ML106", path, span,
                      f"{where} `{spec.text}` installs from {ref}, which moves as the repository changes. "
                      f"Pin a full 40-hex commit: `...@<sha>`.")
    elif spec.kind in ("url", "path") and spec.floating_url:
        yield Finding("ML107", path, span,
                      f"{where} `{spec.text}` points at a moving target: the same URL serves different "
                      f"code over time. Use a versioned release URL or a commit.")


def _pip_package(t: Target, pkg, manager: str, pinned_by_constraints: set[str]) -> Iterator[Finding]:
    spec = pkg.spec
    path = t.dockerfile.path
    if spec.kind == "name" and not spec.pinned and spec.error is None and spec.name not in pinned_by_constraints:
        rng = f" (`{spec.specifier}` is a range)" if spec.specifier else ""
        yield Finding("ML103", path, pkg.span,
                      f"`{pkg.text}` is installed by {manager} without an exact version{rng}: a rebuild "
                      f"can pull a different {spec.name} than the one your model was tested with. "
                      f"Pin it (`{spec.name}==X.Y.Z`) or install from a lock/constraints file.",
                      edits=_pin_word(pkg, t.pins.python_version(spec.name) if t.pins else None, "==", spec))
    else:
        yield from _spec_findings(path, spec, pkg.span, f"{manager} package")


def _conda_package(t: Target, pkg, manager: str) -> Iterator[Finding]:
    spec = pkg.spec
    if not spec.pinned:
        rng = f" (`{spec.specifier}` matches many releases)" if spec.specifier else ""
        yield Finding("ML108", t.dockerfile.path, pkg.span,
                      f"`{pkg.text}` is installed by {manager} without an exact version{rng}: the solver "
                      f"can pick new builds (and swap CUDA/MKL underneath). Pin `{spec.name}=X.Y.Z`.",
                      edits=_pin_word(pkg, t.pins.conda_version(spec.name) if t.pins else None, "=", spec))


def _os_package(t: Target, pkg, manager: str) -> Iterator[Finding]:
    if not os_package_pinned(manager, pkg.text):
        version = t.pins.deb_version(pkg.text) if t.pins and manager in ("apt-get", "apt") \
            and "=" not in pkg.text else None
        yield Finding("ML109", t.dockerfile.path, pkg.span,
                      f"`{pkg.text}` is installed by {manager} without a version. Distributions drop old "
                      f"versions, so pin only where it matters (CUDA/cuDNN libraries) and pin the base "
                      f"image digest for reproducibility.",
                      edits=_pin_word(pkg, version, "=", None))


def _redirected_specs(install: Install) -> Iterator[tuple[Span, str, object]]:
    """(span, spec as written, redirect) for each `pkg>=1` the shell split into word + redirect."""
    cmd = install.command
    for redirect in cmd.redirects:
        target = redirect.target
        if redirect.op in (">", ">>", "<") and target is not None and _REDIRECTED_SPEC.match(target.value):
            before = [w for w in cmd.argv
                      if (w.span.end_line, w.span.end_column) <= (redirect.span.line, redirect.span.column)]
            start = before[-1].span if before else redirect.span
            span = Span(start.line, start.column, target.span.end_line, target.span.end_column)
            yield span, (before[-1].raw if before else "") + redirect.op + target.raw, redirect


def _redirect_findings(t: Target, install: Install, redirected) -> Iterator[Finding]:
    for span, spec, redirect in redirected:
        yield Finding("ML104", t.dockerfile.path, span,
                      f"`{spec}` is not quoted: the shell reads `{redirect.op}{redirect.target.raw}` as a "
                      f"redirect, so {install.manager} installs an unconstrained version and writes a file "
                      f"named `{redirect.target.value}`. Quote it: `\"{spec}\"`.",
                      edits=_quote_edit(install, span, spec, redirect))


def _quote_edit(install: Install, span: Span, spec: str, redirect) -> tuple:
    """Quote `pkg>=1` when the word and its redirect sit side by side on one line and nothing else
    (another redirect: `pkg>=1,<2`) follows; the text replaced must be exactly the spec."""
    if span.line != span.end_line or span.end_column - span.column != len(spec):
        return ()
    if any(c in spec for c in "\"'$`\\") or install.command.nested:
        return ()
    for other in install.command.redirects:
        if other is not redirect and other.span.line == span.line and \
                span.column <= other.span.column <= span.end_column:
            return ()
    return (Edit(span, f'"{spec}"'),)


def _lock_enforced(install: Install) -> Iterator[tuple[str, str]]:
    opts = install.options
    if install.manager == "uv" and install.subcommand == "sync" and not opts & {"--locked", "--frozen"}:
        yield "uv sync", "add `--locked` (fail on a stale uv.lock) or `--frozen`"
    if install.manager == "pipenv" and install.subcommand == "install" and not install.packages \
            and not opts & {"--deploy", "--ignore-pipfile"}:
        yield "pipenv install", "add `--deploy` (fail on a stale Pipfile.lock)"


def _constraint_pins(t: Target) -> set[str]:
    pins = set()
    for dep in t.dep_files:
        if dep.kind == "requirements" and dep.constraint:
            pins |= {r.spec.name for r in dep.model.requirements if r.spec.pinned and r.spec.name}
    return pins


def _checked_out(steps, index: int) -> bool:
    ins = steps[index].instruction
    for later in steps[index + 1:]:
        if later.instruction is not ins:
            break
        if isinstance(later.action, GitCheckout) and is_full_commit(later.action.ref.value):
            return True
    return False


@check("ML103", "ML104", "ML106", "ML107", "ML108", "ML109", "ML110", "ML111", "ML112", "ML113", "ML115")
def run_commands(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    constraint_pins = _constraint_pins(t)
    for i, step in enumerate(t.steps):
        if not t.in_use(step.instruction):
            continue
        action = step.action
        if isinstance(action, Install):
            family = action.manager
            redirected = list(_redirected_specs(action)) if family in PIP_LIKE | CONDA_LIKE else []
            split_words = {(span.line, span.column) for span, _, _ in redirected}
            yield from _redirect_findings(t, action, redirected)
            for pkg in action.packages:
                if (pkg.span.line, pkg.span.column) in split_words:
                    continue  # ML104 already says this install is unconstrained
                if pkg.unresolved:
                    no_default, undeclared = _args_without_default(pkg.unresolved, step.instruction.variables)
                    if no_default and not undeclared:
                        yield Finding("ML113", path, pkg.span,
                                      f"`{pkg.word.raw}` takes its version from ARG {', '.join(no_default)}, "
                                      f"which has no default: unpinned unless every build passes --build-arg.")
                elif family in PIP_LIKE:
                    yield from _pip_package(t, pkg, family, constraint_pins)
                elif family in CONDA_LIKE:
                    yield from _conda_package(t, pkg, family)
                elif family in OS_LIKE:
                    yield from _os_package(t, pkg, family)
            for what, how in _lock_enforced(action):
                yield Finding("ML115", path, action.span,
                              f"`{what}` may re-resolve and rewrite the lock during the build, shipping "
                              f"versions nobody reviewed; {how}.")
        elif isinstance(action, GitClone) and not _checked_out(t.steps, i):
            ref = f"branch/tag `{action.branch}`" if action.branch else "the default branch"
            yield Finding("ML110", path, action.url.span,
                          f"`git clone {action.url.value}` builds from {ref}, which moves: two builds ship "
                          f"different code. Check out a full commit in the same RUN "
                          f"(`git -C <dir> checkout <sha>`).")
        elif isinstance(action, HubDownload) and not is_full_commit(action.revision):
            got = f"`--revision {action.revision}` is not a commit" if action.revision else "no `--revision`"
            yield Finding("ML111", path, action.repo.span,
                          f"`{action.tool} download {action.repo.value}` has {got}: the model owner can push "
                          f"new weights under the same name. Pass `--revision <40-hex commit>`.")
        elif isinstance(action, Fetch) and action.url is not None:
            url, unknown = expand(action.url.value, step.instruction.variables)
            if unknown:
                continue  # the URL's version comes from a variable: see ML113 for ARGs without default
            if action.piped_to_shell and not has_version(url):
                yield Finding("ML112", path, action.url.span,
                              f"`{url}` is piped to a shell with no version in the URL: the installer and "
                              f"what it installs change without notice. Use a versioned URL and verify "
                              f"its checksum.")
            elif floating_url(url):
                yield Finding("ML107", path, action.url.span,
                              f"`{url}` points at a moving target (`latest`, `main`…): the download changes "
                              f"without any change to this Dockerfile. Use a versioned URL or a commit.")


# --------------------------------------------------------------------------- pins from --pin-from

_NAME_PART = re.compile(r"^\s*(?:[A-Za-z0-9_.-]+::)?[A-Za-z0-9][A-Za-z0-9._+-]*(?::[a-z0-9]+)?\s*(?:\[[^\]]*\])?")


def _satisfies(specifier: str, version: str, op: str) -> bool:
    """Whether the source's version is inside the range the install asked for (else it is not pinned)."""
    if not specifier:
        return True
    spec = specifier.strip()
    if op == "=" and re.fullmatch(r"=?[0-9][^,|<>=!~*\s]*\*?", spec):  # conda "=1.2" / "1.2*": a prefix
        prefix = spec.lstrip("=").rstrip("*").rstrip(".")
        return version == prefix or version.startswith(prefix + ".")
    try:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(spec.replace(" ", "")).contains(version, prereleases=True)
    except Exception:  # not a PEP 440 range (a conda build string…): do not guess
        return False


def _pinned_text(text: str, version: str, op: str, specifier: str) -> tuple[int, int, str] | None:
    """(start, end, replacement) in ``text`` that pins it: the range after the name and extras is
    replaced, a marker after `;` is kept."""
    m = _NAME_PART.match(text)
    if not m or not _satisfies(specifier, version, op):
        return None
    start = m.end()
    end = text.find(";", start)
    end = len(text) if end < 0 else end
    while end > start and text[end - 1] in " \t":
        end -= 1
    if any(c in text[start:end] for c in "@$ \t"):  # a URL or a variable: not a plain range
        return None
    return start, end, f"{op}{version}"


def _pin_word(pkg, version: str | None, op: str, spec) -> tuple:
    """Pin an install word of a RUN (pip `torch` → `torch==2.3.1`, conda `numpy=1.26.4`, apt `curl=7.88.1-10`)."""
    word = pkg.word
    if version is None or pkg.unresolved or "$" in word.raw or word.span.line != word.span.end_line:
        return ()
    if word.span.end_column - word.span.column != len(word.raw):
        return ()
    quote = word.raw[0] if len(word.raw) >= 2 and word.raw[0] == word.raw[-1] and word.raw[0] in "'\"" else ""
    inner = word.raw[1:-1] if quote else word.raw
    if not quote and any(c in word.raw for c in "'\"\\"):
        return ()
    got = _pinned_text(inner, version, op, spec.specifier if spec is not None else "")
    if got is None:
        return ()
    start, end, new = got
    text = inner[:start] + new + inner[end:]
    if not quote and any(c in text for c in ";<> \t"):
        quote = '"'
    return (Edit(word.span, f"{quote}{text}{quote}"),)


def _pin_entry(text: str, span: Span, version: str | None, op: str, specifier: str) -> tuple:
    """Pin a requirement or conda entry in its file, on its own line (layout, marker, hashes, comment kept)."""
    if version is None or span.line != span.end_line or span.end_column - span.column != len(text):
        return ()
    got = _pinned_text(text, version, op, specifier)
    if got is None:
        return ()
    start, end, new = got
    return (Edit(Span(span.line, span.column + start, span.line, span.column + end), new),)


# --------------------------------------------------------------------------- dependency files


@check("ML105", "ML106", "ML107", "ML108", "ML114")
def dependency_files(t: Target) -> Iterator[Finding]:
    constraint_pins = _constraint_pins(t)
    for dep in t.dep_files:
        if dep.kind == "requirements":
            for req in dep.model.requirements:
                yield from _requirement(dep.display, req.spec, req.span, constraint_pins, "requirement",
                                        t.pins, req.text)
        elif dep.kind == "conda":
            for entry in dep.model.dependencies:
                if not entry.spec.pinned and entry.spec.name not in ("pip",):
                    version = t.pins.conda_version(entry.spec.name) if t.pins else None
                    yield Finding("ML108", dep.display, entry.span,
                                  f"conda dependency `{entry.text}` has no exact version: every solve can "
                                  f"pick new builds. Pin `{entry.spec.name}=X.Y.Z` or use conda-lock.",
                                  edits=_pin_entry(entry.text, entry.span, version, "=", entry.spec.specifier))
            for entry in dep.model.pip:
                yield from _requirement(dep.display, entry.spec, entry.span, constraint_pins, "pip entry",
                                        t.pins, entry.text)
        elif dep.kind == "pyproject" and dep.lock is None:
            for entry in dep.model.dependencies:
                if entry.spec.kind == "name" and not entry.spec.pinned and entry.spec.error is None:
                    yield Finding("ML114", dep.display, entry.span,
                                  f"dependency `{entry.text}` is a range and no lock file sits beside "
                                  f"{dep.display}: `pip install` resolves new versions at every build. "
                                  f"Commit a lock (uv.lock, poetry.lock…) and install from it, or pin "
                                  f"`{entry.spec.name}==X.Y.Z`.")
                else:
                    yield from _spec_findings(dep.display, entry.spec, entry.span, "dependency")


def _requirement(path: str, spec: PackageSpec, span: Span, pins: set[str], what: str,
                 source=None, text: str = "") -> Iterator[Finding]:
    if spec.kind == "name":
        if not spec.pinned and spec.error is None and spec.name not in pins:
            rng = f" (`{spec.specifier}` is a range)" if spec.specifier else ""
            version = source.python_version(spec.name) if source is not None else None
            yield Finding("ML105", path, span,
                          f"{what} `{spec.text}` is not pinned{rng}: each build can install a different "
                          f"{spec.name} than the one the model was validated with. Pin `{spec.name}==X.Y.Z` "
                          f"or compile a lock with `uv pip compile`/`pip-compile`.",
                          edits=_pin_entry(text, span, version, "==", spec.specifier))
    else:
        yield from _spec_findings(path, spec, span, what.capitalize())
