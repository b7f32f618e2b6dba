"""Shared helpers: write a build context to a temporary folder and lint it in-process."""

from __future__ import annotations

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
