"""The pre-commit hook: its `files` regex is exactly what mllint reads, and the real pre-commit runs it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mllint.lint import dependency_kind, is_dockerfile_name

ROOT = Path(__file__).resolve().parent.parent
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
DIGEST = "sha256:" + "ab" * 32

NAMES = [
    "Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", "Dockerfile.gpu", "Dockerfile.", "Dockerfile-dev",
    "api.Dockerfile", "api.containerfile", ".dockerfile", "Containerfile.prod", "Containerfile-x",
    "Dockerfile.dockerignore", "api.Dockerfile.dockerignore", ".dockerignore", "Dockerfiles", "MyDockerfile",
    "dockerfile.py", "Dockerfile.txt",
    "requirements.txt", "requirements-dev.txt", "dev-requirements.in", "requirement.txt", "constraints.txt",
    "Requirements.TXT", "requirements.lock", "requirements.txt.bak", "requirements", "reqs.txt", "notes.txt",
    "environment.yml", "environment-gpu.yaml", "Environment.YML", "conda.yaml", "my-conda-env.yml",
    "environment.json", "env.yml", "anaconda.yml",
    "pyproject.toml", "PyProject.toml", "pyproject.toml.orig", "setup.cfg", "setup.py",
]


def understood(name: str) -> bool:
    return bool(dependency_kind(name)) or is_dockerfile_name(name)


def test_hook_definition():
    (hook,) = HOOKS
    assert hook["id"] == "mllint" and hook["entry"] == "mllint" and hook["language"] == "python"
    assert hook.get("pass_filenames", True) and not hook.get("require_serial", False)  # many files per call


@pytest.mark.parametrize("folder", ["", "svc/", "a/b.c/", "requirements/", "Dockerfile.d/"])
def test_files_regex_matches_exactly_what_mllint_reads(folder):
    pattern = re.compile(HOOKS[0]["files"])
    wrong = [name for name in NAMES if bool(pattern.search(folder + name)) != understood(name)]
    assert not wrong


def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=cwd, check=True, capture_output=True)


def _pre_commit() -> list[str] | None:
    try:
        import pre_commit  # noqa: F401

        return [sys.executable, "-m", "pre_commit"]
    except ImportError:
        exe = shutil.which("pre-commit")
        return [exe] if exe else None


def test_real_pre_commit_runs_the_hook(tmp_path):
    pre_commit = _pre_commit()
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (it is in the test extra: pip install -e '.[test]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    # The hook repository: a copy of the working tree (uncommitted work included), committed.
    hook_repo = tmp_path / "hook-repo"
    shutil.copytree(ROOT, hook_repo, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", "build", "dist",
        ".benchmarks", "site"))
    _git("init", "-q", cwd=hook_repo)
    _git("add", "-A", cwd=hook_repo)
    _git("commit", "-q", "-m", "hook", cwd=hook_repo)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True,
                         check=True).stdout.strip()

    project = tmp_path / "project"
    (project / "svc").mkdir(parents=True)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: mllint\n"
        f"        args: [--select, ML1]\n")  # the pinning rules: other families do not change this test
    (project / "svc" / "Dockerfile").write_text("FROM python:3.11.9@" + DIGEST + "\nRUN pip install torch\n")
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    (project / "README.md").write_text("not linted\n")
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)

    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)

    def pre_commit_run():
        return subprocess.run([*pre_commit, "run", "--all-files", "--color", "never"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=600)

    bad = pre_commit_run()
    output = bad.stdout + bad.stderr
    if bad.returncode != 1 and ("Could not find a version" in output or "Failed to establish" in output
                                or "No matching distribution" in output):
        pytest.skip(f"pre-commit could not install the hook from PyPI (no network?):\n{output[-2000:]}")
    assert bad.returncode == 1, output
    assert "mllint" in output and "Failed" in output and "exit code: 1" in output
    assert "svc/Dockerfile:2:17: ML103" in output, output

    (project / "svc" / "Dockerfile").write_text(
        "FROM python:3.11.9@" + DIGEST + "\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir torch==2.3.1\nUSER 1000\n")
    _git("add", "-A", cwd=project)
    good = pre_commit_run()
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
