"""`mllint --fix`, `--unsafe-fixes` and `--diff` from the command line."""

from __future__ import annotations

import json
import os

from .conftest import write_context
from .test_cli import run

BAD = "FROM python:3.11.9-slim\nRUN pip install torch==2.3.1\nUSER 1000\n"
SECRET = "hf_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7"


def test_fix_writes_and_reports_what_is_left(tmp_path):
    df = write_context(tmp_path, BAD)
    result = run("--fix", "--format", "json", str(df))
    assert "--no-cache-dir" in df.read_text()
    data = json.loads(result.stdout)
    assert "ML301" not in {f["rule"] for f in data["findings"]}
    assert "Fixed 1 finding (1 file)" in result.stderr
    assert result.exit_code == (1 if data["summary"]["failing"] else 0)
    again = run("--fix", str(df))
    assert "Fixed 0 findings (0 files)" in again.stderr


def test_diff_writes_nothing_and_exits_1(tmp_path):
    df = write_context(tmp_path, BAD)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run("--diff", str(df))
    assert result.exit_code == 1
    assert "-RUN pip install torch==2.3.1" in result.stdout
    assert "+RUN pip install --no-cache-dir torch==2.3.1" in result.stdout
    assert df.read_text() == BAD and sorted(p.name for p in tmp_path.iterdir()) == before
    run("--fix", str(df))
    clean = run("--diff", str(df))
    assert clean.exit_code == 0 and clean.stdout == ""


def test_diff_redacts_secrets(tmp_path):
    df = write_context(tmp_path, f"FROM python:3.11.9-slim\nENV HF_TOKEN={SECRET}\nRUN pip install torch==2.3.1\n"
                                 f"USER 1000\n")
    result = run("--diff", str(df))
    assert result.exit_code == 1 and SECRET not in result.stdout and "***" in result.stdout
    run("--fix", str(df))
    assert SECRET in df.read_text()  # the written file is never redacted


def test_unsafe_fixes_flag(tmp_path):
    text = "FROM nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04\nUSER 1000\n"
    df = write_context(tmp_path, text)
    run("--fix", str(df))
    assert df.read_text() == text
    result = run("--unsafe-fixes", str(df))
    assert "runtime" in df.read_text() and "Fixed 1 finding" in result.stderr


def test_read_only_file_is_a_clear_error(tmp_path, monkeypatch):
    df = write_context(tmp_path, BAD)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p).endswith("Dockerfile") and mode & os.W_OK
                        else real_access(p, mode))
    result = run("--fix", str(df))
    assert result.exit_code == 2 and "read-only" in result.stderr
    assert df.read_text() == BAD


def test_rules_explain_and_json_show_the_fix_kind(tmp_path):
    listing = run("rules")
    assert "ML301" in listing.stdout and "fix:safe" in listing.stdout and "fix:unsafe" in listing.stdout
    assert "fix: unsafe" in run("explain", "ML305").stdout
    df = write_context(tmp_path, BAD)
    data = json.loads(run("--format", "json", str(df)).stdout)
    fix = next(f["fix"] for f in data["findings"] if f["rule"] == "ML301")
    assert fix and "--no-cache-dir" in fix


def test_sarif_carries_the_fix(tmp_path):
    df = write_context(tmp_path, BAD)
    sarif = json.loads(run("--format", "sarif", str(df)).stdout)
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "ML301")
    repl = result["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert repl["insertedContent"]["text"] == " --no-cache-dir"
    assert repl["deletedRegion"]["startLine"] == 2
