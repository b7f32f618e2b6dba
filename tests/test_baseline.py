"""--write-baseline records today's findings; --baseline then reports and fails only on new ones."""

import json

from mllint.findings import Finding
from mllint.fingerprint import fingerprints, offending_text
from mllint.model import Span

from .conftest import write_context
from .test_cli import run as _run


def run(*args, cwd=None):
    """The CLI with the pinning rules only, so that other rule families do not change these reports."""
    return _run("--select", "ML1", *args, cwd=cwd)

OLD = "FROM python:3.11\nRUN pip install torch\n"


def test_write_then_apply_baseline(tmp_path):
    write_context(tmp_path, OLD)
    result = run("--write-baseline", "mllint-baseline.json", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "mllint-baseline.json").read_text())
    assert data["mllint-baseline"] == 1
    assert [e["rule"] for e in data["findings"]] == ["ML102", "ML103"]

    result = run("--baseline", "mllint-baseline.json", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 0
    assert "No findings in 1 file. 2 findings suppressed by the baseline mllint-baseline.json." in result.output

    # lines move and a new problem appears: only the new one is reported and fails
    write_context(tmp_path, "# comment\nFROM python:3.11\nRUN pip install torch\nRUN pip install numpy\n")
    result = run("--baseline", "mllint-baseline.json", "--format", "json", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("ML103", 4)]
    assert list(report["findings"][0]) == ["rule", "category", "severity", "path", "line", "column",
                                           "end_line", "end_column", "message", "fix"]
    assert report["summary"]["baseline_suppressed"] == 2
    assert report["summary"]["findings"] == 1 and report["summary"]["failing"] == 1

    result = run("--baseline", "mllint-baseline.json", "Dockerfile", cwd=tmp_path)
    assert "Found 1 finding (1 warning) in 1 file. 2 findings suppressed by the baseline" in result.output


def test_baselined_findings_do_not_fail_but_new_identical_ones_do(tmp_path):
    write_context(tmp_path, OLD)
    assert run("--write-baseline", "b.json", "Dockerfile", cwd=tmp_path).exit_code == 0
    write_context(tmp_path, OLD + "RUN pip install torch\n")  # the same line once more: a new finding
    report = json.loads(run("--baseline", "b.json", "--format", "json", "Dockerfile", cwd=tmp_path).output)
    assert [f["rule"] for f in report["findings"]] == ["ML103"]
    assert report["summary"]["baseline_suppressed"] == 2


def test_baseline_and_sarif_fingerprints_agree(tmp_path):
    write_context(tmp_path, OLD)
    run("--write-baseline", "b.json", "--format", "sarif:s.sarif", "Dockerfile", cwd=tmp_path)
    base = [e["fingerprint"] for e in json.loads((tmp_path / "b.json").read_text())["findings"]]
    sarif = json.loads((tmp_path / "s.sarif").read_text())
    assert base == [r["partialFingerprints"]["mllint/v1"] for r in sarif["runs"][0]["results"]]


def test_without_baseline_the_summary_shape_is_unchanged(tmp_path):
    write_context(tmp_path, OLD)
    summary = json.loads(run("--format", "json", "Dockerfile", cwd=tmp_path).output)["summary"]
    assert "baseline_suppressed" not in summary


def test_missing_or_invalid_baseline_is_exit_2_naming_the_file(tmp_path):
    write_context(tmp_path, OLD)
    result = run("--baseline", "nope.json", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 2 and "nope.json" in result.stderr and "not found" in result.stderr
    for name, text in (("bad.json", "{not json"), ("list.json", "[]"),
                       ("entry.json", '{"mllint-baseline": 1, "fingerprint": "v1", "findings": [{"rule": "x"}]}'),
                       ("old.json", '{"mllint-baseline": 1, "fingerprint": "v0", "findings": []}')):
        (tmp_path / name).write_text(text)
        result = run("--baseline", name, "Dockerfile", cwd=tmp_path)
        assert result.exit_code == 2, name
        assert name in result.stderr and "Traceback" not in result.output, name


def test_fingerprint_recipe():
    def finding(line, snippet, col=5, end=10, path="Dockerfile", rule="ML103"):
        return Finding(rule, path, Span(line, col, line, end), "msg", snippet=snippet)

    a = finding(2, "RUN torch  x")
    assert offending_text(a) == "torch"
    moved = finding(9, "RUN torch  x")
    assert fingerprints([a])[a] == fingerprints([moved])[moved]
    other_path = finding(2, "RUN torch  x", path="svc/Dockerfile")
    other_rule = finding(2, "RUN torch  x", rule="ML104")
    changed = finding(2, "RUN numpy  x")
    prints = {fingerprints([f])[f] for f in (a, other_path, other_rule, changed)}
    assert len(prints) == 4
    # span across lines: the rest of the first line, whitespace collapsed
    multi = Finding("ML103", "Dockerfile", Span(1, 5, 3, 2), "m", snippet="RUN pip  install \\")
    assert offending_text(multi) == "pip install \\"
    # identical (rule, path, text) findings are numbered in file order
    b = finding(7, "RUN torch  x")
    both = fingerprints([b, a])
    assert both[a] == fingerprints([a])[a] and both[b] != both[a]
    # no source line: the message identifies it
    image = Finding("ML103", "repo/app:1", Span(0, 0, 0, 0), "torch  in image")
    assert offending_text(image) == "torch in image"
