"""GitHub workflow commands, GitLab Code Quality, and several formats in one run."""

import json
import os
import stat

from mllint.findings import Finding
from mllint.model import Span
from mllint.report import Report
from mllint.report import github, gitlab

from .conftest import write_context
from .test_cli import run as _run


def run(*args, cwd=None):
    """The CLI with the pinning rules only, so that other rule families do not change these reports."""
    return _run("--select", "ML1", *args, cwd=cwd)

WARN = "FROM python:3.11\nRUN pip install torch\n"


def test_github_annotations(tmp_path):
    write_context(tmp_path / "svc", WARN)
    result = run("--format", "github", "svc/Dockerfile", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::notice file=svc/Dockerfile,line=1,col=6,endLine=1,endColumn=16,"
                               "title=ML102 base-image-without-digest::")
    assert lines[1].startswith("::warning file=svc/Dockerfile,line=2,col=17,endLine=2,endColumn=21,"
                               "title=ML103 pip-install-unpinned::`torch` is installed")


def test_github_escaping_and_shapes():
    assert github.escape_data("50%\r\nnext: a,b") == "50%25%0D%0Anext: a,b"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert github.escape_data("\x1b[31m::error::x") == "\\x1b[31m::error::x"  # no terminal escapes
    multi = Finding("ML103", "dir,1/Docker:file", Span(2, 5, 4, 3), "bad\nthing 100%", severity="error")
    image = Finding("ML103", "repo/app:1", Span(0, 0, 0, 0), "in image", severity="info")
    out = github.render(Report([multi, image], 1)).splitlines()
    assert out[0] == ("::error file=dir%2C1/Docker%3Afile,line=2,endLine=4,title=ML103 pip-install-unpinned"
                      "::bad%0Athing 100%25")
    assert out[1] == "::notice title=ML103 pip-install-unpinned::repo/app:1: in image"


def test_gitlab_code_quality(tmp_path):
    write_context(tmp_path, WARN + "RUN pip install torch\n")
    result = run("--format", "gitlab", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 1
    assert not result.output.startswith("\ufeff")
    issues = json.loads(result.output)
    assert isinstance(issues, list) and len(issues) == 3
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] == "Dockerfile"
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert [i["check_name"] for i in issues] == ["ML102", "ML103", "ML103"]
    assert [i["severity"] for i in issues] == ["info", "major", "major"]
    assert [i["location"]["lines"]["begin"] for i in issues] == [1, 2, 3]
    assert len({i["fingerprint"] for i in issues}) == 3  # unique, even for identical lines
    # stable: the same as SARIF's, and unchanged when lines move
    sarif = json.loads(run("--format", "sarif", "Dockerfile", cwd=tmp_path).output)
    assert [r["partialFingerprints"]["mllint/v1"] for r in sarif["runs"][0]["results"]] == \
        [i["fingerprint"] for i in issues]
    write_context(tmp_path, "# moved\n\n" + WARN + "RUN pip install torch\n")
    moved = json.loads(run("--format", "gitlab", "Dockerfile", cwd=tmp_path).output)
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in issues]
    assert [i["location"]["lines"]["begin"] for i in moved] == [3, 4, 5]


def test_gitlab_image_finding_has_a_path_and_line():
    image = Finding("ML103", "repo/app:1", Span(0, 0, 0, 0), "in image", severity="error")
    (issue,) = json.loads(gitlab.render(Report([image], 1)))
    assert issue["location"] == {"path": "repo/app:1", "lines": {"begin": 1, "end": 1}}
    assert issue["severity"] == "critical"


def test_several_formats_at_once(tmp_path):
    write_context(tmp_path, WARN)
    (tmp_path / "out").mkdir()
    result = run("--format", "sarif:out/mllint.sarif", "--format", "gitlab:gl.json", "--format", "text",
                 "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 1
    assert "ML103" in result.output and "Found 2 findings" in result.output
    sarif = json.loads((tmp_path / "out" / "mllint.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 2
    assert len(json.loads((tmp_path / "gl.json").read_text())) == 2
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]  # no temporary files left behind


def test_output_option_with_one_format_and_with_several(tmp_path):
    write_context(tmp_path, WARN)
    result = run("--format", "json", "-o", "r.json", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 1 and result.output == ""
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["findings"] == 2
    result = run("--format", "github", "--format", "sarif:s.sarif", "-o", "gh.txt", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 1 and result.output == ""
    assert (tmp_path / "gh.txt").read_text().startswith("::notice ")
    assert json.loads((tmp_path / "s.sarif").read_text())["version"] == "2.1.0"


def test_format_usage_errors(tmp_path):
    write_context(tmp_path, WARN)
    for args in (["--format", "xml"], ["--format", "json", "--format", "text"], ["--format", "json:"],
                 ["--format", "json:a", "--format", "sarif:a"], ["--format", "json:a", "-o", "b"]):
        result = run(*args, "Dockerfile", cwd=tmp_path)
        assert result.exit_code == 2, args
        assert "--format" in result.output or "--output" in result.output, args
    result = run("--format", "json:no/such/dir/r.json", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 2 and "r.json" in result.stderr


def test_default_format_is_still_text(tmp_path):
    write_context(tmp_path, WARN)
    result = run("Dockerfile", cwd=tmp_path)
    assert result.output.startswith("Dockerfile:1:6: ML102 [info]")


def test_clean_file_in_every_format(tmp_path):
    write_context(tmp_path, "FROM python:3.11.9@sha256:" + "ab" * 32 + "\n")
    result = run("--format", "github", "--format", "gitlab:gl.json", "--format", "sarif:s.sarif", "Dockerfile",
                 cwd=tmp_path)
    assert result.exit_code == 0 and result.output == ""
    assert json.loads((tmp_path / "gl.json").read_text()) == []
    log = json.loads((tmp_path / "s.sarif").read_text())
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "s.sarif").stat().st_mode) == 0o666 & ~umask  # as open() would, not 0600


def test_printable_escapes_every_control_and_bidi_character_and_keeps_the_rest():
    from mllint.report import _CONTROL, printable

    escaped = [c for c in map(chr, range(0x3000)) if _CONTROL.match(c)]
    assert len(escaped) == 30 + 33 + 5 + 4  # C0 but \t \n, DEL and C1, bidi embeddings and isolates
    for c in escaped:
        assert not c.isprintable()  # so the isprintable() fast path never skips one
        assert printable(f"a{c}b") != f"a{c}b" and c not in printable(f"a{c}b")
    assert printable("torch==2.3.1 ünïcödé ✓") == "torch==2.3.1 ünïcödé ✓"
    assert printable("tab\there\nnewline") == "tab\there\nnewline"
