"""End to end, as a new user: `pip install .` into a fresh venv, then run the installed command.

This proves rules/ ships inside the wheel (an installed mllint finds its rules without a checkout).
"""

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if os.environ.get("MLLINT_SKIP_INSTALL_TEST"):
        pytest.skip("MLLINT_SKIP_INSTALL_TEST is set")
    base = tmp_path_factory.mktemp("install")
    src = base / "src"  # a copy, so the build never writes into the checkout
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info",
                                                               ".pytest_cache", ".hypothesis", "build", "dist"))
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    proc = subprocess.run([str(pip), "install", "-q", "--disable-pip-version-check", str(src)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"pip install failed:\n{proc.stdout}\n{proc.stderr}")
    shutil.rmtree(src)  # the installed command must not need the checkout
    return env_dir / "bin" / "mllint"


def test_installed_command_lints_the_bundled_example(installed, tmp_path):
    example = tmp_path / "serving"
    shutil.copytree(ROOT / "fixtures" / "examples" / "serving", example)
    proc = subprocess.run([str(installed), "--format", "json", str(example / "Dockerfile")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    rules = {f["rule"] for f in data["findings"]}
    assert {"ML102", "ML104", "ML105", "ML106", "ML110", "ML111", "ML112"} <= rules
    assert any(f["path"] == "serving/requirements.txt" for f in data["findings"])


def test_installed_command_lists_rules_and_version(installed):
    proc = subprocess.run([str(installed), "rules"], capture_output=True, text=True)
    assert proc.returncode == 0 and "ML101" in proc.stdout
    proc = subprocess.run([str(installed), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "mllint" in proc.stdout


def test_clean_example_passes(installed):
    proc = subprocess.run([str(installed), "--fail-level", "info", str(ROOT / "fixtures/examples/clean/Dockerfile")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings in 1 file." in proc.stdout
