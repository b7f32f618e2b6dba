"""The benchmark corpus generator: deterministic, corpus-shaped, and every file lints."""

import sys
from pathlib import Path

from mllint.lint import Linter, Options

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from synth_corpus import generate  # noqa: E402


def test_generated_corpus_is_deterministic_and_lints_without_errors(tmp_path):
    first = generate(tmp_path / "a", count=24, seed=3)
    second = generate(tmp_path / "b", count=24, seed=3)
    assert [p.read_text() for p in first] == [p.read_text() for p in second]
    assert generate(tmp_path / "c", count=24, seed=4)[0].read_text() != first[0].read_text()
    report = Linter(Options()).run(first)
    assert report.errors == [] and report.files == 24
    rules = {f.rule for f in report.findings}
    assert {"ML103", "ML301"} <= rules  # unpinned installs and caches, as in real ML images


def test_generated_files_are_corpus_sized(tmp_path):
    texts = [p.read_text() for p in generate(tmp_path, count=147, seed=0)]
    chars = sum(map(len, texts)) / len(texts)
    runs = sum(line.startswith("RUN ") for t in texts for line in t.splitlines()) / len(texts)
    assert 2300 < chars < 3400 and 6.5 < runs < 9  # the real corpus: 2,870 characters and 7.8 RUNs a file
