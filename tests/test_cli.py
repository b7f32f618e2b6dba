"""The command line: exit codes, the JSON contract, config and option handling."""

import json
import os
import subprocess
import sys

import pytest

from mllint import __version__

from .conftest import invoke, write_context

DIGEST = "sha256:" + "ab" * 32
# USER and --no-cache-dir keep the security and size rules quiet: these tests are about the CLI.
CLEAN = f"FROM python:3.11.9@{DIGEST}\nRUN pip install --no-cache-dir torch==2.3.1\nUSER 1000\n"
WARN = f"FROM python:3.11.9@{DIGEST}\nRUN pip install torch --no-cache-dir\nUSER 1000\n"
INFO_ONLY = "FROM python:3.11.9\nUSER 1000\n"


def run(*args, cwd=None):
    return invoke(args, cwd=cwd)


def test_exit_codes_follow_fail_level(tmp_path):
    clean = write_context(tmp_path / "a", CLEAN)
    warn = write_context(tmp_path / "b", WARN)
    info = write_context(tmp_path / "c", INFO_ONLY)
    assert run(str(clean)).exit_code == 0
    assert run(str(warn)).exit_code == 1
    assert run(str(info)).exit_code == 0
    assert run("--fail-level", "info", str(info)).exit_code == 1
    assert run("--fail-level", "error", str(warn)).exit_code == 0


def test_json_shape_is_exact(tmp_path):
    df = write_context(tmp_path, WARN)
    result = run("--format", "json", str(df), cwd=tmp_path)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert set(data) == {"version", "findings", "summary"}
    assert data["version"] == __version__
    (finding,) = data["findings"]
    assert list(finding) == ["rule", "category", "severity", "path", "line", "column",
                             "end_line", "end_column", "message", "fix"]
    assert finding == {
        "rule": "ML103", "category": "pinning", "severity": "warning", "path": "Dockerfile",
        "line": 2, "column": 17, "end_line": 2, "end_column": 22, "message": finding["message"], "fix": None,
    }
    assert data["summary"] == {
        "files": 1, "findings": 1, "failing": 1,
        "by_severity": {"error": 0, "warning": 1, "info": 0},
        "by_category": {"pinning": 1}, "errors": [],
    }


def test_json_path_is_as_given(tmp_path):
    df = write_context(tmp_path / "svc", WARN)
    data = json.loads(run("--format", "json", "svc/Dockerfile", cwd=tmp_path).output)
    assert data["findings"][0]["path"] == "svc/Dockerfile"
    data = json.loads(run("--format", "json", str(df)).output)
    assert data["findings"][0]["path"] in (str(df), os.path.relpath(df))


def test_bad_path_is_exit_2_but_others_are_linted(tmp_path):
    good = write_context(tmp_path, WARN)
    result = run("--format", "json", str(tmp_path / "missing"), str(good))
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert len(data["findings"]) == 1
    assert "missing: no such file or folder" in result.stderr


def test_unparsable_dockerfile_names_file_and_line(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11\nRUN <<EOF\npip install x\n")
    result = run(str(bad))
    assert result.exit_code == 2
    assert f"{bad}:2: unterminated heredoc <<EOF" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    bad.write_bytes(b"FROM python\nRUN echo \xff\n")
    result = run(str(bad))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


def test_unknown_instruction_is_a_finding_not_a_crash(tmp_path):
    df = write_context(tmp_path, f"FROM python:3.11.9@{DIGEST}\nFROOM x\n")
    data = json.loads(run("--format", "json", "--select", "ML1,ML6", str(df)).output)
    assert [(f["rule"], f["line"], f["column"], f["end_column"]) for f in data["findings"]] == [("ML601", 2, 1, 6)]


def test_config_errors_exit_2(tmp_path):
    df = write_context(tmp_path, CLEAN)
    (tmp_path / ".mllint.yaml").write_text("fail_level: loud\n")
    result = run(str(df))
    assert result.exit_code == 2 and ".mllint.yaml" in result.stderr and "fail-level" in result.stderr
    assert run("--select", "NOPE", str(df)).exit_code == 2


def test_config_applies_and_cli_overrides(tmp_path):
    df = write_context(tmp_path, WARN)
    (tmp_path / ".mllint.yaml").write_text("severity: {ML103: info}\n")
    assert run(str(df)).exit_code == 0
    assert run("--fail-level", "info", str(df)).exit_code == 1
    (tmp_path / ".mllint.yaml").write_text("ignore: [ML103]\nfail-level: info\n")
    assert run(str(df)).exit_code == 0
    assert run("--select", "ML103", str(df)).exit_code == 0  # --ignore in config still applies
    other = tmp_path / "other.yaml"
    other.write_text("fail-level: error\n")
    assert run("--config", str(other), "--fail-level", "warning", str(df)).exit_code == 1


def test_pyproject_tool_table(tmp_path):
    df = write_context(tmp_path, WARN)
    (tmp_path / "pyproject.toml").write_text("[tool.mllint]\nignore = ['ML103']\n")
    assert run(str(df)).exit_code == 0


def test_select_and_ignore_options(tmp_path):
    df = write_context(tmp_path, "FROM python\nRUN pip install torch\n")
    data = json.loads(run("--format", "json", "--select", "ML101", str(df)).output)
    assert [f["rule"] for f in data["findings"]] == ["ML101"]
    data = json.loads(run("--format", "json", "--select", "ML1", "--ignore", "ML101,ML103", str(df)).output)
    assert data["findings"] == []


def test_folder_discovery(tmp_path):
    for name in ("Dockerfile", "svc/api.Dockerfile", "svc/Dockerfile.gpu", "x/Containerfile",
                 ".git/Dockerfile", "svc/Dockerfile.dockerignore", "notes.txt"):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(WARN)
    data = json.loads(run("--format", "json", str(tmp_path)).output)
    assert data["summary"]["files"] == 4
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(str(empty))
    assert result.exit_code == 2 and "no Dockerfile found" in result.stderr


def test_context_and_target_options(tmp_path):
    write_context(tmp_path, {"requirements.txt": "numpy\n"})
    df = tmp_path / "docker" / "Dockerfile"
    df.parent.mkdir()
    df.write_text(f"FROM python:3.11.9@{DIGEST} AS a\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
                  f"FROM python:3.11.9@{DIGEST} AS b\n")
    assert run("--select", "ML1", str(df)).exit_code == 0  # last stage b ships; a is unused
    data = json.loads(run("--format", "json", "--select", "ML1", "--target", "a", "--context", str(tmp_path),
                          str(df)).output)
    assert [f["rule"] for f in data["findings"]] == ["ML105"]
    result = run("--target", "nope", str(df))
    assert result.exit_code == 2 and "no such stage" in result.stderr


def test_output_file_and_plain_text(tmp_path):
    df = write_context(tmp_path, WARN)
    out = tmp_path / "report.txt"
    assert run("--output", str(out), str(df)).exit_code == 1
    text = out.read_text()
    assert f"{df}:2:17: ML103 [warning]" in text or "Dockerfile:2:17: ML103 [warning]" in text
    assert "RUN pip install torch" in text and "^^^^^" in text and "\x1b[" not in text
    assert "Found 1 finding (1 warning) in 1 file." in text


def test_rules_and_explain():
    result = run("rules")
    assert result.exit_code == 0 and "ML104" in result.output and "pinning" in result.output
    data = json.loads(run("rules", "--format", "json").output)
    assert {r["id"] for r in data} >= {"ML101", "ML115"}
    result = run("explain", "ml104")
    assert result.exit_code == 0 and "redirect" in result.output and "Bad:" in result.output
    assert run("explain", "ML999").exit_code == 2


def test_version():
    assert __version__ in run("--version").output


def test_help_lists_commands_and_options():
    top = run("--help")
    assert top.exit_code == 0 and all(c in top.output for c in ("check", "image", "rules", "explain"))
    check = run("check", "--help")
    assert check.exit_code == 0 and "--fail-level" in check.output and "--pin-digests" in check.output


@pytest.mark.parametrize("args, says", [
    (["--format", "xml", "Dockerfile"], "argument --format: 'xml' is not one of"),
    (["--profile", "prod", "Dockerfile"], "argument --profile: invalid choice: 'prod'"),
    (["--driver", "latest", "Dockerfile"], "argument --driver: 'latest' is not a driver version"),
    (["--no-such-option", "Dockerfile"], "unrecognized arguments: --no-such-option"),
    (["--fail", "error", "Dockerfile"], "unrecognized arguments: --fail"),  # no abbreviations
    ([], "the following arguments are required: PATH"),
    (["explain"], "the following arguments are required: RULE"),
])
def test_usage_errors_exit_2_with_one_clear_line(tmp_path, args, says):
    write_context(tmp_path, CLEAN)
    result = run(*args, cwd=tmp_path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("mllint: error: ") and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_closed_pipe_ends_quietly(tmp_path):
    df = write_context(tmp_path, WARN)
    proc = subprocess.run(f"{sys.executable} -m mllint rules | head -c 10; {sys.executable} -m mllint {df} | true",
                          shell=True, capture_output=True, text=True)
    assert proc.stderr == "", proc.stderr


def test_a_one_file_run_imports_no_cli_framework_or_introspection(tmp_path):
    """Start-up cost (issue 9): these were a third of a one-file run."""
    df = write_context(tmp_path, WARN)
    code = ("import sys; from mllint.cli import main; main([sys.argv[1]]); "
            "print(sorted(m for m in ('click', 'rich', 'yaml', 'inspect', 'dataclasses', 'typing', 'shutil', "
            "'tomllib', 'hashlib') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(df)], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


def test_control_characters_are_escaped(tmp_path):
    df = write_context(tmp_path, f"FROM python:3.11.9@{DIGEST}\nRUN git clone 'https://x.org/evil\x1b[31m'\n")
    result = run(str(df))
    assert "\x1b[31m" not in result.output and "\\x1b" in result.output


@pytest.mark.parametrize("color_env", [{"NO_COLOR": "1"}, {}])
def test_subprocess_plain_when_piped(tmp_path, color_env):
    df = write_context(tmp_path, WARN)
    env = {**os.environ, **color_env}
    proc = subprocess.run([sys.executable, "-m", "mllint", str(df)], capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "\x1b[" not in proc.stdout and "ML103" in proc.stdout


def test_rich_output_when_forced(tmp_path):
    df = write_context(tmp_path, WARN)
    proc = subprocess.run([sys.executable, "-m", "mllint", "--color", "always", str(df)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "\x1b[" in proc.stdout and "ML103" in proc.stdout
