"""Shared helpers: write a build context to a temporary folder and lint it in-process."""

from __future__ import annotations

import io
import os
import sys
import textwrap
from pathlib import Path

import pytest

from mllint.config import discover_config
from mllint.lint import Linter, Options


def write_context(root: Path, files: dict[str, str] | str) -> Path:
    """Write {name: text} (or a Dockerfile text) under root; return the Dockerfile's path."""
    if isinstance(files, str):
        files = {"Dockerfile": files}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if name == "Dockerfile" else text, encoding="utf-8")
    return root / "Dockerfile"


def lint(root: Path, files: dict[str, str] | str, **options):
    """Lint a context written under root; returns (findings, report errors)."""
    dockerfile = write_context(root, files)
    report = Linter(Options(**options)).run([dockerfile])
    return report.findings, report.errors


@pytest.fixture(autouse=True)
def _fresh_config_cache():
    discover_config.cache_clear()
    yield
    discover_config.cache_clear()


class CliResult:
    """What one in-process `mllint` call printed: stdout, stderr, both interleaved, and its exit code."""

    def __init__(self, exit_code: int, stdout: str, stderr: str, output: str):
        self.exit_code, self.stdout, self.stderr, self.output = exit_code, stdout, stderr, output


class _Capture(io.StringIO):
    def __init__(self, log: list[str]):
        super().__init__()
        self._log = log

    def write(self, text: str) -> int:
        self._log.append(text)
        return super().write(text)


def invoke(args, cwd: Path | str | None = None) -> CliResult:
    """Run mllint.cli.main(args) in this process (as the console script would, minus the exit)."""
    from mllint.cli import main

    log: list[str] = []
    out, err = _Capture(log), _Capture(log)
    saved = sys.stdout, sys.stderr, os.getcwd()
    sys.stdout, sys.stderr = out, err
    try:
        if cwd is not None:
            os.chdir(cwd)
        code = main([str(a) for a in args])
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        os.chdir(saved[2])
    return CliResult(code, out.getvalue(), err.getvalue(), "".join(log))
