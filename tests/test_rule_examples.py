"""Every rule's declared examples: each bad one reports the rule, each good one does not."""

import pytest

from mllint.rules import CATEGORIES, all_rules

from .conftest import lint

RULES = sorted(all_rules().values(), key=lambda r: r.id)
BAD = [(r.id, i, ex) for r in RULES for i, ex in enumerate(r.examples_bad)]
GOOD = [(r.id, i, ex) for r in RULES for i, ex in enumerate(r.examples_good)]


def test_every_rule_is_complete():
    assert RULES, "no rules loaded"
    for rule in RULES:
        assert rule.category in CATEGORIES
        assert rule.examples_bad and rule.examples_good, rule.id
        assert len(rule.rationale) > 80, f"{rule.id}: say why it matters for an ML image"


def _is_image(example) -> bool:
    return isinstance(example, dict) and example.get("kind") == "image"


def _lint(tmp_path, example):
    """Dockerfile examples are linted as a build context; ``kind: image`` examples (ML7xx) are
    built as a small OCI layout and linted with `mllint image`."""
    if _is_image(example):
        from mllint.image.synth import lint_example

        return lint_example(tmp_path, example)
    return lint(tmp_path, example)


@pytest.mark.parametrize("rule_id,index,example", BAD, ids=[f"{r}-bad{i}" for r, i, _ in BAD])
def test_bad_example_reports_the_rule(tmp_path, rule_id, index, example):
    findings, errors = _lint(tmp_path, example)
    assert not errors
    hits = [f for f in findings if f.rule == rule_id]
    assert hits, f"{rule_id} bad example {index} gave {[f.rule for f in findings]}"
    if _is_image(example):  # no Dockerfile given: the finding names the image and has no line
        assert all(f.span.line == 0 and f.path.startswith("oci:") and f.message for f in hits)
        return
    for f in hits:
        assert f.span.line >= 1 and f.span.column >= 1
        assert f.span.end_line > f.span.line or f.span.end_column > f.span.column
        assert f.message and f.snippet


@pytest.mark.parametrize("rule_id,index,example", GOOD, ids=[f"{r}-good{i}" for r, i, _ in GOOD])
def test_good_example_is_clean_for_the_rule(tmp_path, rule_id, index, example):
    findings, errors = _lint(tmp_path, example)
    assert not errors
    assert [f for f in findings if f.rule == rule_id] == []


def test_rule_docs_are_current():
    from pathlib import Path

    from mllint.ruledocs import pages

    docs = Path(__file__).resolve().parent.parent / "docs" / "rules"
    for name, text in pages().items():
        assert (docs / name).read_text(encoding="utf-8") == text, f"run `python -m mllint.ruledocs` ({name})"


def test_compiled_data_is_current_and_used():
    from mllint import datafiles

    compiled = datafiles.rules_dir() / datafiles.COMPILED
    assert compiled.read_text(encoding="utf-8") == datafiles.compile_all(), "run `python -m mllint.ruledocs`"
    datafiles._compiled.cache_clear()
    served = datafiles._compiled()
    assert set(served) == set(datafiles.names())  # every file is served without parsing YAML
    for rel in datafiles.names():
        assert served[rel] == datafiles.parse_yaml(dict(datafiles._sources())[rel])


def test_stale_compiled_data_is_ignored(tmp_path, monkeypatch):
    from mllint import datafiles

    (tmp_path / "pinning").mkdir()
    (tmp_path / "pinning" / "X.yaml").write_text("id: X\nseverity: error\n")
    monkeypatch.setattr(datafiles, "rules_dir", lambda: tmp_path)
    for fn in (datafiles._sources, datafiles._compiled, datafiles.load):
        fn.cache_clear()
    try:
        (tmp_path / "compiled.json").write_text(datafiles.compile_all())
        (tmp_path / "pinning" / "X.yaml").write_text("id: X\nseverity: info\n")  # edited, not regenerated
        datafiles._sources.cache_clear()
        datafiles._compiled.cache_clear()
        assert datafiles.load("pinning/X.yaml") == {"id": "X", "severity": "info"}
    finally:
        for fn in (datafiles._sources, datafiles._compiled, datafiles.load):
            fn.cache_clear()
