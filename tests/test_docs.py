"""The docs build with `mkdocs build --strict`, cover every rule and config key, and the GitHub Action runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mllint import config
from mllint.rules import RULE_DOCS_URL, all_rules

ROOT = Path(__file__).resolve().parent.parent


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the test extra: pip install -e '.[test]'")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rule_id in all_rules():
        assert (tmp_path / "site" / "rules" / rule_id / "index.html").is_file(), rule_id
    assert (tmp_path / "site" / "integrations" / "index.html").is_file()
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()


def test_mkdocs_config_and_help_uris_point_at_rule_pages():
    data = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert data["docs_dir"] == "docs"
    assert RULE_DOCS_URL.endswith("/docs/rules/")
    for rule in all_rules().values():
        assert (ROOT / rule.doc_path).is_file(), rule.id
        assert rule.doc_url == RULE_DOCS_URL + Path(rule.doc_path).name


def test_configuration_reference_covers_every_key():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [key for key in config._KEYS if f"`{key}`" not in text]
    assert not missing, f"document these config keys in docs/configuration.md: {missing}"


def test_integration_guide_covers_every_ci():
    text = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    for needle in ("pre-commit", "GitHub Actions", "GitLab CI", "Jenkins", "--baseline", "--write-baseline",
                   "--format sarif:", "codequality:", "upload-sarif"):
        assert needle in text, needle
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("--format sarif", "--baseline", "pre-commit", "action", "docs/integrations.md"):
        assert needle in readme, needle


def test_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -q"
    assert command in ci and command in readme


def _action():
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_is_a_composite_that_uploads_sarif():
    action = _action()
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    install = next(s for s in steps if s.get("name") == "Install mllint")
    assert "pip install" in install["run"] and "$GITHUB_ACTION_PATH" in install["run"]
    lint = next(s for s in steps if s.get("id") == "lint")
    assert '--format "sarif:$MLLINT_SARIF" --format text' in lint["run"]
    assert "${{" not in lint["run"]  # inputs reach the script through env, never spliced into it
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"


def test_action_lint_step_runs(tmp_path):
    """Run the action's lint script as the runner would, with mllint on PATH."""
    lint = next(s for s in _action()["runs"]["steps"] if s.get("id") == "lint")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mllint"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mllint "$@"\n')
    shim.chmod(0o755)
    work = tmp_path / "repo"
    (work / "svc").mkdir(parents=True)
    (work / "svc" / "Dockerfile").write_text("FROM python:3.11\nRUN pip install torch\n")
    out = tmp_path / "github_output"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(out),
           "PYTHONPATH": str(ROOT), "MLLINT_PATHS": "svc", "MLLINT_ARGS": "--fail-level warning",
           "MLLINT_SARIF": "mllint.sarif", "NO_COLOR": "1"}
    proc = subprocess.run(["bash", "-e", "-c", lint["run"]], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "svc/Dockerfile:2:17: ML103" in proc.stdout
    assert out.read_text() == "exit-code=1\n"
    log = json.loads((work / "mllint.sarif").read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"svc/Dockerfile"}
