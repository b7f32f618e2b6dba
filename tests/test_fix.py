"""mllint.fix: edits on exact spans, conflicts, verification, atomic writes; every fix kind on a bad
and a good example, and every rule's bad examples fixed twice (the second run changes nothing)."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from mllint.errors import MllintError
from mllint.findings import Edit, FileEdit, Finding
from mllint.fix import plan, run, verify_text, write
from mllint.lint import Linter, Options
from mllint.model import Span
from mllint.rules import all_rules

from .conftest import write_context

DIGEST = "sha256:" + "ab" * 32


def fix_context(tmp_path: Path, files, unsafe: bool = False, **options) -> tuple[str, object]:
    dockerfile = write_context(tmp_path, files)
    outcome = run(lambda: Linter(Options(**options)), [dockerfile], unsafe=unsafe)
    return dockerfile.read_text(encoding="utf-8"), outcome


def rules_left(outcome) -> set[str]:
    return {f.rule for f in outcome.report.findings}


# --------------------------------------------------------------------------- every fix kind

CASES = [
    # (rule, bad Dockerfile, expected text in the result, good Dockerfile, unsafe)
    ("ML301", "FROM python:3.11.9-slim\nRUN pip install torch==2.3.1\n", "pip install --no-cache-dir torch",
     "FROM python:3.11.9-slim\nRUN pip install --no-cache-dir torch==2.3.1\n", False),
    ("ML301", "FROM python:3.11.9-slim\nRUN uv pip install --system torch==2.3.1\n", "uv pip install --no-cache --system",
     "FROM python:3.11.9-slim\nRUN uv pip install --no-cache --system torch==2.3.1\n", False),
    ("ML302", "FROM debian:12.5\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
     "apt-get install --no-install-recommends -y curl",
     "FROM debian:12.5\nRUN apt-get update && apt-get install --no-install-recommends -y curl && rm -rf /var/lib/apt/lists/*\n",
     True),
    ("ML303", "FROM debian:12.5\nRUN apt-get update && apt-get install --no-install-recommends -y curl\n",
     "curl && rm -rf /var/lib/apt/lists/*\n",
     "FROM debian:12.5\nRUN apt-get update && apt-get install --no-install-recommends -y curl && rm -rf /var/lib/apt/lists/*\n",
     False),
    ("ML304", "FROM continuumio/miniconda3:24.1.2-0\nRUN conda install -y numpy=1.26.4\n",
     "conda install -y numpy=1.26.4 && conda clean -afy\n",
     "FROM continuumio/miniconda3:24.1.2-0\nRUN conda install -y numpy=1.26.4 && conda clean -afy\n", False),
    ("ML104", "FROM python:3.11.9-slim\nRUN pip install --no-cache-dir torch>=2.1\n", 'install --no-cache-dir "torch>=2.1"',
     "FROM python:3.11.9-slim\nRUN pip install --no-cache-dir 'torch>=2.1'\n", False),
    ("ML305", "FROM nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04\nRUN echo hi\n",
     "FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04\n",
     "FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04\nRUN echo hi\n", True),
    ("ML306", "FROM python:3.11.9-slim\nCOPY model/ /app/\nRUN chown -R app:app /app\nUSER app\n",
     "COPY --chown=app:app model/ /app/\nUSER app\n",
     "FROM python:3.11.9-slim\nCOPY --chown=app:app model/ /app/\nUSER app\n", True),
    ("ML602", "FROM python:3.11.9-slim\nADD serve.py /app/\n", "COPY serve.py /app/",
     "FROM python:3.11.9-slim\nCOPY serve.py /app/\n", False),
]


@pytest.mark.parametrize("rule,bad,expected,good,unsafe", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_fix_kind_on_bad_and_good(tmp_path, rule, bad, expected, good, unsafe):
    extra = {"serve.py": "print(1)\n", "model/w.txt": "w\n"}
    text, outcome = fix_context(tmp_path / "bad", {"Dockerfile": bad, **extra}, unsafe=unsafe)
    assert expected in text, text
    assert rule not in rules_left(outcome)
    assert outcome.fixed >= 1
    text2, outcome2 = fix_context(tmp_path / "good", {"Dockerfile": good, **extra}, unsafe=unsafe)
    assert text2 == good and outcome2.fixed == 0 and not outcome2.files


def test_unsafe_fixes_need_the_flag(tmp_path):
    bad = "FROM nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04\nRUN echo hi\n"
    text, outcome = fix_context(tmp_path, bad)
    assert text == bad and "ML305" in rules_left(outcome)


def test_many_pip_installs_get_one_env(tmp_path):
    bad = ("FROM python:3.11.9-slim\nWORKDIR /app\nRUN pip install torch==2.3.1\nRUN pip install numpy==1.26.4\n"
           "RUN pip install fastapi==0.111.0\n")
    text, outcome = fix_context(tmp_path, bad)
    assert text.count("ENV PIP_NO_CACHE_DIR=1\n") == 1
    assert text.index("ENV PIP_NO_CACHE_DIR=1") < text.index("RUN pip install torch")
    assert "--no-cache-dir" not in text and "ML301" not in rules_left(outcome)


def test_env_goes_above_the_comments_of_the_first_install(tmp_path):
    bad = ("FROM python:3.11.9-slim\n# mllint: ignore=ML103\nRUN pip install torch\nRUN pip install numpy==1.26.4\n"
           "RUN pip install fastapi==0.111.0\n")
    text, outcome = fix_context(tmp_path, bad)
    assert text.startswith("FROM python:3.11.9-slim\nENV PIP_NO_CACHE_DIR=1\n# mllint: ignore=ML103\nRUN pip install torch\n")
    assert "ML103" not in rules_left(outcome)


def test_apt_update_alone_is_not_cleaned(tmp_path):
    """Removing the lists in a RUN that only updates would break the next RUN's install."""
    bad = "FROM debian:12.5\nRUN apt-get update\nRUN apt-get install --no-install-recommends -y curl\n"
    text, _ = fix_context(tmp_path, bad)
    assert "rm -rf" not in text


def test_dockerignore_created_and_extended(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\n",
             "serve.py": "print(1)\n", "data/train.csv": "a,b\n", "train.py": "print(2)\n"}
    _, outcome = fix_context(tmp_path / "safe", files)
    ignore = (tmp_path / "safe" / ".dockerignore").read_text()
    assert ".git" in ignore.splitlines() and ".env" in ignore.splitlines()
    assert "data" not in ignore.splitlines()  # datasets are the unsafe fix's
    assert "ML207" not in rules_left(outcome)
    _, outcome = fix_context(tmp_path / "unsafe", files, unsafe=True)
    lines = (tmp_path / "unsafe" / ".dockerignore").read_text().splitlines()
    assert {"data", "train.py", ".git"} <= set(lines)
    assert not {"ML205", "ML206", "ML207"} & rules_left(outcome)
    # an existing .dockerignore is extended, its lines kept, nothing added twice
    files2 = dict(files, **{".dockerignore": "# mine\n.git"})
    fix_context(tmp_path / "ext", files2, unsafe=True)
    text = (tmp_path / "ext" / ".dockerignore").read_text()
    assert text.startswith("# mine\n.git\n") and text.count(".git\n") == 1 and "data\n" in text


def test_dockerignore_never_excludes_what_the_dockerfile_names(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY . .\nCOPY .env /app/.env\nUSER 1000\n",
             "serve.py": "print(1)\n", ".env": "X=1\n"}
    fix_context(tmp_path, files)
    assert ".env" not in (tmp_path / ".dockerignore").read_text().splitlines()


def test_add_of_archive_or_url_stays(tmp_path):
    good = "FROM python:3.11.9-slim\nADD model.tar.gz /opt/\nADD weights /opt/w\n"
    text, _ = fix_context(tmp_path, {"Dockerfile": good, "model.tar.gz": "x", "weights": "x"})
    assert text == good


def test_chown_with_other_commands_is_left(tmp_path):
    bad = "FROM python:3.11.9-slim\nCOPY model/ /app/\nRUN chown -R app:app /app && echo done\n"
    text, _ = fix_context(tmp_path, {"Dockerfile": bad, "model/w": "w"}, unsafe=True)
    assert "chown -R app:app /app && echo done" in text and "--chown" not in text


# --------------------------------------------------------------------------- layout


def test_crlf_bom_tabs_comments_and_continuations_are_kept(tmp_path):
    raw = ("\ufeffFROM python:3.11.9-slim\r\n# comment\r\nRUN apt-get update \\\r\n\t&& apt-get install -y \\\r\n"
           "  # inner comment\r\n\tcurl\r\nRUN pip install torch==2.3.1\r\n")
    df = tmp_path / "Dockerfile"
    df.write_bytes(raw.encode("utf-8"))
    run(lambda: Linter(Options()), [df], unsafe=True)
    out = df.read_bytes().decode("utf-8")
    assert out.startswith("\ufeffFROM python:3.11.9-slim\r\n# comment\r\n")
    assert "\r\n\t&& apt-get install --no-install-recommends -y \\\r\n  # inner comment\r\n\tcurl " \
           "&& rm -rf /var/lib/apt/lists/*\r\n" in out
    assert "pip install --no-cache-dir torch==2.3.1\r\n" in out
    assert out.count("\n") == out.count("\r\n")


def test_positions_map_to_offsets_on_the_original_text():
    from mllint.fix import line_starts, offset

    text = "\ufeffab\r\ncd\re\nf"
    tl = line_starts(text)
    assert text[offset(tl, 1, 1)] == "a" and text[offset(tl, 2, 2)] == "d"
    assert text[offset(tl, 3, 1)] == "e" and text[offset(tl, 4, 1)] == "f"
    assert offset(tl, 1, 99) == 3  # past the end of a line: its end, before the line break


# --------------------------------------------------------------------------- conflicts, verification


def _finding(rule, path, edits, line=1, col=1):
    return Finding(rule, str(path), Span(line, col, line, col + 1), "m", edits=tuple(edits))


def test_conflicting_edits_resolved_by_rule_then_position(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM a\nRUN x y z\n")
    rules = {"A1": type("R", (), {"fix": "safe"})(), "B1": type("R", (), {"fix": "safe"})()}
    b = _finding("B1", df, [Edit(Span(2, 5, 2, 8), "Q")], 2, 5)
    a = _finding("A1", df, [Edit(Span(2, 7, 2, 10), "P")], 2, 7)
    same = _finding("B1", df, [Edit(Span(2, 7, 2, 10), "P")], 2, 8)  # the same edit twice: applied once
    p = plan([b, a, same], rules)
    assert p.changes[0].after == "FROM a\nRUN x P\n"
    assert [f.rule for f, _ in p.dropped] == ["B1"] and "conflicts" in p.dropped[0][1]
    assert {f.span.column for f in p.fixed} == {7, 8}
    # deterministic whatever the input order
    assert plan([same, a, b], rules).changes[0].after == "FROM a\nRUN x P\n"


def test_fix_that_breaks_parsing_is_dropped(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM a\nRUN x\n")
    rules = {"A1": type("R", (), {"fix": "safe"})(), "B1": type("R", (), {"fix": "safe"})()}
    breaks = _finding("A1", df, [Edit(Span(1, 1, 1, 7), "")])  # removes FROM
    ok = _finding("B1", df, [Edit(Span(2, 6, 2, 6), " y")], 2)
    p = plan([breaks, ok], rules, verify=verify_text)
    assert p.changes[0].after == "FROM a\nRUN x y\n"
    assert [f.rule for f, _ in p.dropped] == ["A1"] and "break" in p.dropped[0][1]


def test_file_edits_merge_and_create(tmp_path):
    rules = {"A1": type("R", (), {"fix": "safe"})()}
    target = tmp_path / "sub" / ".dockerignore"
    target.parent.mkdir()
    f1 = _finding("A1", tmp_path / "Dockerfile", [FileEdit(str(target), (".git", "data"))])
    f2 = _finding("A1", tmp_path / "Dockerfile", [FileEdit(str(target), ("data", ".env"))], 2)
    p = plan([f1, f2], rules)
    assert p.changes[0].before is None and p.changes[0].after == ".git\ndata\n.env\n"
    write(p.changes)
    assert target.read_text() == ".git\ndata\n.env\n"


# --------------------------------------------------------------------------- writing


def test_symlinked_dockerfile_is_written_through(tmp_path):
    real = tmp_path / "real" / "Dockerfile"
    real.parent.mkdir()
    real.write_text("FROM python:3.11.9-slim\nRUN pip install torch==2.3.1\n")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    link = ctx / "Dockerfile"
    link.symlink_to(real)
    run(lambda: Linter(Options()), [link])
    assert link.is_symlink() and "--no-cache-dir" in real.read_text()


def test_mode_is_kept(tmp_path):
    df = write_context(tmp_path, "FROM python:3.11.9-slim\nRUN pip install torch==2.3.1\n")
    os.chmod(df, 0o640)
    run(lambda: Linter(Options()), [df])
    assert stat.S_IMODE(os.stat(df).st_mode) == 0o640 and "--no-cache-dir" in df.read_text()


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else False, reason="root writes read-only files")
def test_read_only_file_is_an_error_and_nothing_is_written(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY . .\nRUN pip install torch==2.3.1\n",
             "serve.py": "x"}
    df = write_context(tmp_path, files)
    os.chmod(df, 0o444)
    before = df.read_text()
    with pytest.raises(MllintError, match="read-only"):
        run(lambda: Linter(Options()), [df])
    assert df.read_text() == before and not (tmp_path / ".dockerignore").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".Dockerfile")] == []


def test_read_only_check_does_not_depend_on_root(tmp_path, monkeypatch):
    """Root can write anything, so the same guarantee is checked with os.access reporting read-only."""
    files = {"Dockerfile": "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY . .\nRUN pip install torch==2.3.1\n",
             "serve.py": "x"}
    df = write_context(tmp_path, files)
    before = df.read_text()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p).endswith("Dockerfile") and mode & os.W_OK
                        else real_access(p, mode))
    with pytest.raises(MllintError, match="read-only"):
        run(lambda: Linter(Options()), [df])
    assert df.read_text() == before and not (tmp_path / ".dockerignore").exists()


# --------------------------------------------------------------------------- every rule: twice


def _examples():
    for rule in sorted(all_rules().values(), key=lambda r: r.id):
        if rule.fix == "none":
            continue
        for i, example in enumerate(rule.examples_bad):
            if isinstance(example, dict) and example.get("kind") == "image":
                continue
            yield rule.id, i, example


EXAMPLES = list(_examples())


def _files(example):
    if isinstance(example, str):
        return {"Dockerfile": example}
    return {k: (textwrap.dedent(v) if isinstance(v, str) else v) for k, v in example.items()}


@pytest.mark.parametrize("rule_id,index,example", EXAMPLES, ids=[f"{r}-bad{i}" for r, i, _ in EXAMPLES])
def test_every_fix_is_idempotent_and_parses(tmp_path, rule_id, index, example):
    df = write_context(tmp_path, _files(example))
    first = run(lambda: Linter(Options()), [df], unsafe=True)
    assert not first.report.errors and not first.dropped
    text = df.read_text(encoding="utf-8")
    assert verify_text(str(df), text) is None
    snapshot = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    second = run(lambda: Linter(Options()), [df], unsafe=True)
    assert second.fixed == 0 and not second.files
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == snapshot


# --------------------------------------------------------------------------- lint before write


def test_fixed_text_is_linted_before_it_is_written(tmp_path):
    from mllint.target import pending_writes

    df = write_context(tmp_path, "FROM python:3.11.9\nRUN pip install torch\n")
    before = df.read_text()
    fixed = "FROM python:3.11.9\nRUN pip install --no-cache-dir torch==2.3.1\n"
    with pending_writes({df: fixed}):
        rules = {f.rule for f in Linter(Options(select=frozenset({"ML103"}))).run([df]).findings}
    assert rules == set() and df.read_text() == before  # linted as fixed, nothing written
    assert {f.rule for f in Linter(Options(select=frozenset({"ML103"}))).run([df]).findings} == {"ML103"}


def test_a_fix_that_makes_its_file_worse_is_not_written(tmp_path, monkeypatch):
    import mllint.fix as fix_module

    df = write_context(tmp_path, "FROM python:3.11.9\nRUN pip install --no-cache-dir torch==2.3.1\n")
    before = df.read_text()
    worse = fix_module.FileChange(str(df), df, before, before + "RUN pip install einops numpy\n")
    calls = []

    def fake_plan(findings, rules, unsafe=False, verify=None):
        calls.append(1)
        return fix_module.FixPlan(changes=[worse] if len(calls) == 1 else [])

    monkeypatch.setattr(fix_module, "plan", fake_plan)
    outcome = run(lambda: Linter(Options(select=frozenset({"ML103"}))), [df])
    assert df.read_text() == before
    assert outcome.fixed == 0 and any("more findings than before" in d for d in outcome.dropped)


def test_a_file_changed_after_linting_is_not_edited_at_stale_positions(tmp_path):
    df = write_context(tmp_path, "FROM python:3.11.9\nRUN pip install -r requirements.txt\n")
    findings = Linter(Options(select=frozenset({"ML301"}))).run([df]).findings
    assert findings and findings[0].edits
    df.write_text("FROM python:3.11.9\nRUN pip install --no-cache-dir -r requirements.txt\n")  # fixed meanwhile
    p = plan(findings, all_rules())
    assert p.changes == [] and "changed after it was linted" in p.dropped[0][1]
