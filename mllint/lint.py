"""Lint paths: find the files, build each target's model, run the checks, collect one Report."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from .config import Config, discover_config, load_config_file, with_overrides
from .engine import Suppressions, instruction_suppressions, run_checks
from .errors import MllintError
from .findings import Finding
from .model import Dockerfile
from .record import record, replace
from .report import Report, is_failing
from .target import DepFile, Target, display_path, load_target, read_text

PARALLEL_MIN_FILES = 16  # below this, forking workers costs more than it saves


_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


@record(frozen=True)
class Options:
    """What the command line says; None means "use the config file's value"."""

    config_file: Path | None = None
    context: Path | None = None
    target: str | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()  # added to the config's ignores
    fail_level: str | None = None
    baseline: frozenset[str] | None = None  # fingerprints from --baseline: not reported, not failing
    baseline_file: str | None = None
    profile: str | None = None  # serving | training | dev: what the image is for
    drivers: tuple[str, ...] | None = None  # --driver/--detect-host: the fleet's NVIDIA drivers
    gpus: tuple[str, ...] | None = None  # --gpu/--detect-host: the fleet's GPU models
    pins: object | None = None  # --pin-from: mllint.pins.Pins
    digests: object | None = None  # --pin-digests: a mllint.digests.DigestResolver


def dependency_kind(name: str) -> str | None:
    lower = name.lower()
    if lower == "pyproject.toml":
        return "pyproject"
    if fnmatch.fnmatch(lower, "environment*.y*ml") or fnmatch.fnmatch(lower, "*conda*.y*ml"):
        return "conda"
    if lower.endswith((".txt", ".in")) and ("requirement" in lower or "constraint" in lower):
        return "requirements"
    return None


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return False
    return (lower in ("dockerfile", "containerfile")
            or lower.startswith(("dockerfile.", "dockerfile-", "containerfile."))
            or lower.endswith((".dockerfile", ".containerfile")))


def discover(path: Path) -> list[Path]:
    """Dockerfiles under a folder, sorted; hidden and vendored folders are skipped."""
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        found.extend(Path(root, name) for name in sorted(files) if is_dockerfile_name(name))
    return found


class Linter:
    def __init__(self, options: Options):
        self.options = options
        self._explicit = load_config_file(options.config_file) if options.config_file else None
        self._lines: dict[str, tuple[str, ...]] = {}
        self.secrets: set[str] = set()  # secret values seen in any target (--diff redacts them)

    def config_for(self, path: Path) -> Config:
        base = self._explicit or discover_config(path.resolve().parent)
        o = self.options
        return with_overrides(
            base,
            select=o.select,
            ignore=(base.ignore | o.ignore) if o.ignore else None,
            fail_level=o.fail_level,
            profile=o.profile,
            target_drivers=o.drivers,
            target_gpus=o.gpus,
        )

    def lines_of(self, path: str) -> tuple[str, ...]:
        if path not in self._lines:
            try:
                self._lines[path] = tuple(read_text(Path(path)).lstrip("\ufeff").splitlines())
            except MllintError:
                self._lines[path] = ()
        return self._lines[path]

    def run(self, paths: list[Path]) -> Report:
        report = Report([], 0)
        seen: set[Finding] = set()
        failing: set[Finding] = set()
        targets = [path for given in paths for path in self._expand(given, report)]
        for outcome, secrets in self._outcomes(targets):
            self.secrets |= secrets
            if isinstance(outcome, str):
                report.errors.append(outcome)
                continue
            findings, fail_level = outcome
            report.files += 1
            for f in findings:
                if f not in seen:  # a requirements file shared by two Dockerfiles reports once
                    seen.add(f)
                    report.findings.append(f)
                    if is_failing(f, fail_level):
                        failing.add(f)
        report.findings.sort(key=Finding.sort_key)
        if self.options.baseline is not None:
            from .baseline import apply

            report.baseline = self.options.baseline_file or "baseline"
            apply(report, self.options.baseline, failing)
        report.failing = len(failing)
        return report

    def _outcomes(self, targets: list[Path]):
        """(findings and fail level, or an error message; secrets seen) per target, in order.
        Many files are shared among processes forked from this one, one per core."""
        workers = min(os.cpu_count() or 1, len(targets) // PARALLEL_MIN_FILES)
        if workers < 2 or os.environ.get("MLLINT_DEBUG"):
            return [self.outcome(path) for path in targets]
        from .forked import map_forked

        return map_forked(self.outcome, targets, workers)

    def outcome(self, path: Path):
        before = set(self.secrets)
        try:
            findings, config = self.lint_one(path)
            result = (findings, config.fail_level)
        except MllintError as exc:
            result = str(exc)
        except (RecursionError, MemoryError, ValueError, TypeError, AttributeError,
                IndexError, KeyError, OSError) as exc:  # a bug in mllint: other paths still run
            if os.environ.get("MLLINT_DEBUG"):
                raise
            result = f"{path}: internal error: {exc.__class__.__name__}: {exc} (please report it)"
        return result, self.secrets - before

    def _expand(self, given: Path, report: Report) -> list[Path]:
        if given.is_dir():
            found = discover(given)
            if not found:
                report.errors.append(f"{given}: no Dockerfile found in this folder")
            return found
        if not given.exists():
            report.errors.append(f"{given}: no such file or folder")
            return []
        return [given]

    def lint_one(self, path: Path) -> tuple[list[Finding], Config]:
        config = self.config_for(path)
        display = display_path(path) if path.is_absolute() else path.as_posix()
        kind = dependency_kind(path.name)
        if kind:
            target = self._dependency_target(path, display, kind)
        else:
            target = load_target(path, display, self.options.context, self.options.target)
        if target.dep_errors:
            raise target.dep_errors[0]
        suppressions = self._suppressions(target)
        path_ignores = config.ignored_for_path(path)
        # what the image is for, the config's extra dev tools, and the fleet it runs on
        target = replace(target, profile=config.profile, dev_tools_python=config.dev_tools_python,
                         dev_tools_os=config.dev_tools_os, target_drivers=config.target_drivers,
                         target_gpus=config.target_gpus, pins=self.options.pins)
        if self.options.digests is not None:
            from .digests import base_digests

            target = replace(target, digests=base_digests(target, self.options.digests))
        findings = run_checks(target, config, suppressions, self._target_lines(target), self.secrets)
        findings = [f for f in findings if f.rule not in path_ignores and
                    f.rule not in self._dep_path_ignores(config, target, f.path)]
        return findings, config

    def _dep_path_ignores(self, config: Config, target: Target, path: str) -> frozenset[str]:
        if path == target.dockerfile.path or not config.per_path_ignores:
            return frozenset()
        return config.ignored_for_path(Path(path))

    def _target_lines(self, target: Target):
        dockerfile_lines = target.dockerfile.lines

        def lines_of(path: str):
            return dockerfile_lines if path == target.dockerfile.path and dockerfile_lines else self.lines_of(path)

        return lines_of

    @staticmethod
    def _suppressions(target: Target) -> dict[str, Suppressions]:
        supp = {target.dockerfile.path: instruction_suppressions(target.dockerfile)}
        for dep in target.dep_files:
            lines: dict[int, frozenset[str]] = {}
            for entry in _entries(dep):
                if entry.ignores:
                    lines[entry.span.line] = lines.get(entry.span.line, frozenset()) | entry.ignores
            supp[dep.display] = Suppressions(getattr(dep.model, "file_ignores", frozenset()), lines)
        return supp

    @staticmethod
    def _dependency_target(path: Path, display: str, kind: str) -> Target:
        from .target import load_dep_file

        dep_files = load_dep_file(kind, path, display, installed_by=None)
        empty = Dockerfile(path="", directives={}, escape="\\", instructions=(), global_args=(), stages=())
        return Target(empty, path, path.parent, -1, frozenset(), (), dep_files)


def _entries(dep: DepFile):
    model = dep.model
    if dep.kind == "requirements":
        return model.requirements
    if dep.kind == "conda":
        return tuple(model.dependencies) + tuple(model.pip)
    return model.dependencies
