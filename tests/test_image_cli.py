"""`mllint image`: the report and exit-code machinery of `mllint check`, on images."""

from __future__ import annotations

import json
import subprocess
import sys

from mllint.image.synth import build_docker_archive, build_oci

from .conftest import invoke

SPEC = {"config": {"User": ""},
        "layers": [{"created_by": "RUN pip install x", "files": {"root/.cache/pip/a": 3000, "app/x.py": "x"}},
                   {"created_by": "COPY . /app", "files": {"app/.env": "A=1\n"}}]}


def run(*args):
    result = invoke(args)
    return result.exit_code, result.stdout, result.stderr


def test_json_findings_name_the_image_with_null_positions(tmp_path):
    ref = f"oci:{build_oci(SPEC, tmp_path / 'oci')}"
    code, out, _ = run("image", ref, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert {f["rule"] for f in data["findings"]} == {"ML705", "ML708", "ML709"}
    for f in data["findings"]:
        assert list(f) == ["rule", "category", "severity", "path", "line", "column", "end_line", "end_column",
                           "message", "fix"]
        assert f["path"] == ref and f["line"] is None and f["column"] is None and f["end_line"] is None
        assert f["end_column"] is None
    assert data["summary"]["files"] == 1 and data["summary"]["errors"] == []


def test_dockerfile_puts_findings_on_lines(tmp_path):
    archive = build_docker_archive(SPEC, tmp_path / "img.tar")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nRUN pip install x\nCOPY . /app\n")
    code, out, _ = run("image", str(archive), "--dockerfile", str(dockerfile), "--format", "json")
    lines = {(f["rule"], f["line"]) for f in json.loads(out)["findings"]}
    assert lines == {("ML705", 2), ("ML708", 3), ("ML709", 1)}


def test_exit_codes_and_fail_level(tmp_path):
    ref = f"oci:{build_oci(SPEC, tmp_path / 'oci')}"
    assert run("image", ref, "--select", "ML709", "--fail-level", "error", "--color", "never")[0] == 0
    assert run("image", ref, "--select", "ML708", "--fail-level", "error", "--color", "never")[0] == 1
    code, out, _ = run("image", ref, "--ignore", "ML7", "--color", "never")
    assert code == 0 and "No findings" in out


def test_bad_references_exit_2_naming_the_source(tmp_path):
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(b"\0garbage" * 100)
    for ref in (f"oci:{tmp_path}/missing", str(bogus), f"docker-archive:{bogus}"):
        code, out, err = run("image", ref)
        assert code == 2 and out == ""
        assert err.startswith(f"mllint: error: {ref}: ") and "Traceback" not in err


def test_sarif_and_text_render_image_findings(tmp_path):
    ref = f"oci:{build_oci(SPEC, tmp_path / 'oci')}"
    code, out, _ = run("image", ref, "--format", "text", "--color", "never")
    assert f"{ref}: ML708 [error]" in out
    code, out, _ = run("image", ref, "--format", "sarif")
    assert code == 1 and json.loads(out)["runs"][0]["results"]


def test_linting_a_dockerfile_never_imports_the_image_stack(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11.9-slim\n")
    code = ("import sys; from mllint.cli import main\n"
            "try:\n    main([str(sys.argv[1])])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('docker', 'zstandard', 'isal', 'mllint.image', 'http.client') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "Dockerfile")], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr
