"""SARIF 2.1.0: valid against the official schema, rules described, regions exact, fingerprints stable."""

import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra: pip install -e '.[test]'")

from mllint import __version__  # noqa: E402
from mllint.findings import Edit, Finding  # noqa: E402
from mllint.model import Span  # noqa: E402
from mllint.report import Report  # noqa: E402
from mllint.report import sarif  # noqa: E402
from mllint.rules import RULE_DOCS_URL, Rule, all_rules  # noqa: E402

from .conftest import write_context  # noqa: E402
from .test_cli import run as _run  # noqa: E402


def run(*args, cwd=None):
    """The CLI with the pinning rules only, so that other rule families do not change these reports."""
    return _run("--select", "ML1", *args, cwd=cwd)


SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
DOCKERFILE = ("FROM python:3.11\n"
              "RUN pip install torch\n"
              "RUN pip install torch\n")

_checker = jsonschema.FormatChecker()


@_checker.checks("uri")
def _is_uri(value):  # absolute URI (RFC 3986), no spaces or control characters
    return bool(urlsplit(value).scheme) and not re.search(r"[\s\x00-\x1f]", value)


@_checker.checks("uri-reference")
def _is_uri_reference(value):
    return not re.search(r"[\s\x00-\x1f]", value)


def validate(log: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA, format_checker=_checker).validate(log)


def sarif_of(tmp_path, text=DOCKERFILE, *args):
    write_context(tmp_path, text)
    result = run("--format", "sarif", *args, "Dockerfile", cwd=tmp_path)
    return result, json.loads(result.output)


def test_sarif_is_valid_and_complete(tmp_path):
    result, log = sarif_of(tmp_path)
    assert result.exit_code == 1
    validate(log)
    assert log["version"] == "2.1.0" and log["$schema"].startswith("https://")
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "mllint" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted({res["ruleId"] for res in run_["results"]})  # every rule that appears, once
    rules = all_rules()
    for descriptor in driver["rules"]:
        rule = rules[descriptor["id"]]
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert rule.rationale.split()[0] in descriptor["help"]["text"]
        assert descriptor["help"]["markdown"].startswith(f"# {rule.id} ")
        assert descriptor["helpUri"] == f"{RULE_DOCS_URL}{rule.id}.md"
        assert descriptor["defaultConfiguration"]["level"] == sarif.LEVELS[rule.severity]
        assert rule.category in descriptor["properties"]["tags"]
        assert "security-severity" not in descriptor["properties"]  # pinning rules are not security rules
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run_["columnKind"] == "unicodeCodePoints"
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_results_have_full_regions_and_relative_uris(tmp_path):
    _, log = sarif_of(tmp_path)
    results = log["runs"][0]["results"]
    ml103 = [r for r in results if r["ruleId"] == "ML103"]
    assert len(ml103) == 2
    first = ml103[0]
    assert first["level"] == "warning" and first["message"]["text"]
    assert log["runs"][0]["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "ML103"
    phys = first["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert phys["region"] == {"startLine": 2, "startColumn": 17, "endLine": 2, "endColumn": 22}
    ml102 = next(r for r in results if r["ruleId"] == "ML102")
    assert ml102["level"] == "note"
    # two identical lines stay distinct
    prints = [r["partialFingerprints"]["mllint/v1"] for r in ml103]
    assert len(set(prints)) == 2
    assert all(r["partialFingerprints"]["primaryLocationLineHash"] == r["partialFingerprints"]["mllint/v1"]
               for r in results)


def test_uri_is_percent_encoded_posix_and_relative(tmp_path):
    write_context(tmp_path / "my svc#1", "FROM python:3.11\nRUN pip install torch\n")
    result = run("--format", "sarif", "my svc#1/Dockerfile", cwd=tmp_path)
    log = json.loads(result.output)
    validate(log)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "my%20svc%231/Dockerfile", "uriBaseId": "%SRCROOT%"}


def test_fingerprints_survive_inserted_lines_and_change_with_the_text(tmp_path):
    def prints(text):
        _, log = sarif_of(tmp_path, text)
        return {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]):
                r["partialFingerprints"]["mllint/v1"] for r in log["runs"][0]["results"]}

    before = prints("FROM python:3.11\nRUN pip install torch\n")
    after = prints("# a comment\n\nFROM python:3.11\nLABEL a=b\nRUN   pip   install torch\n")
    assert before[("ML103", 2)] == after[("ML103", 5)]
    assert before[("ML102", 1)] == after[("ML102", 3)]
    changed = prints("FROM python:3.11\nRUN pip install numpy\n")
    assert changed[("ML103", 2)] != before[("ML103", 2)]
    assert changed[("ML102", 1)] == before[("ML102", 1)]


def test_security_rule_and_fixes_and_logical_location():
    rule = Rule(id="ML901", name="secret-in-env", category="security", severity="error",
                summary="A secret in ENV", rationale="Secrets in ENV end up in the image config. " * 3,
                fix="safe", fix_description="Use a build secret.", examples_bad=("FROM x\n",),
                examples_good=("FROM x\n",), source="ML901.yaml")
    in_file = Finding("ML901", "svc/Dockerfile", Span(3, 5, 3, 12), "token in ENV", severity="error",
                      category="security", fix="Use a build secret.", snippet="ENV TOKEN=abc",
                      edits=(Edit(Span(3, 1, 3, 14), "# removed"),))
    in_image = Finding("ML901", "registry.example/app:1.0", Span(0, 0, 0, 0), "token in image config",
                       severity="warning", category="security")
    report = Report([in_file, in_image], 1)
    log = json.loads(sarif.render(report, rules={"ML901": rule}))
    validate(log)
    descriptor = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert "security" in descriptor["properties"]["tags"]
    assert descriptor["properties"]["security-severity"] == "8.0"
    first, second = log["runs"][0]["results"]
    assert first["fixes"] == [{
        "description": {"text": "Use a build secret."},
        "artifactChanges": [{
            "artifactLocation": {"uri": "svc/Dockerfile", "uriBaseId": "%SRCROOT%"},
            "replacements": [{"deletedRegion": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 14},
                              "insertedContent": {"text": "# removed"}}],
        }],
    }]
    assert second["locations"] == [{"logicalLocations": [
        {"name": "registry.example/app:1.0", "fullyQualifiedName": "registry.example/app:1.0", "kind": "resource"}]}]
    assert "fixes" not in second and second["level"] == "warning"
    assert second["partialFingerprints"]["mllint/v1"] != first["partialFingerprints"]["mllint/v1"]


def test_errors_are_tool_notifications(tmp_path):
    write_context(tmp_path, "FROM python:3.11\nRUN pip install torch\n")
    result = run("--format", "sarif", "missing/Dockerfile", "Dockerfile", cwd=tmp_path)
    assert result.exit_code == 2
    log = json.loads(result.stdout)
    validate(log)
    inv = log["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert "missing/Dockerfile" in inv["toolExecutionNotifications"][0]["message"]["text"]


def test_absolute_path_outside_cwd_is_a_file_uri(tmp_path):
    df = write_context(tmp_path / "elsewhere", "FROM python:3.11\n")
    sub = tmp_path / "cwd"
    sub.mkdir()
    log = json.loads(run("--format", "sarif", str(df), cwd=sub).output)
    validate(log)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": df.resolve().as_uri()}


def test_json_and_text_do_not_import_sarif_machinery(tmp_path):
    import subprocess

    write_context(tmp_path, "FROM python:3.11\n")
    code = ("import sys; from mllint.cli import main\n"
            "for fmt in ('json', 'text'):\n"
            "    try: main(['--format', fmt, 'Dockerfile'])\n"
            "    except SystemExit: pass\n"
            "bad = [m for m in ('jsonschema', 'mllint.report.sarif', 'mllint.report.gitlab', 'mllint.report.github')"
            " if m in sys.modules]\n"
            "sys.stderr.write(repr(bad))\n")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert proc.stderr.strip().endswith("[]"), proc.stderr
