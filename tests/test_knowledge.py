"""The knowledge tables: every row names its source; the loader is lazy and cached."""

import pytest

from mllint import knowledge
from mllint.rules import rules_dir


def _rows(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _rows(value)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                yield item
                yield from _rows({k: v for k, v in item.items() if isinstance(v, (list, dict))})


def test_every_row_of_my_tables_has_a_source():
    for name in ("dev_tools", "secrets", "artifacts", "cuda_images"):
        rows = [r for r in _rows(knowledge.table(name)) if "source" in r or len(r) > 1]
        assert rows, name
        for row in rows:
            assert str(row.get("source", "")).strip(), (name, row)
    assert (rules_dir() / "knowledge" / "dev_tools.yaml").is_file()


def test_lookups():
    assert "jupyterlab-git" in knowledge.dev_python() and "pytest-cov" in knowledge.dev_python()
    assert "torch" not in knowledge.dev_python()
    assert "tensorboard" in knowledge.dev_python(("TensorBoard",))
    assert "build-essential" in knowledge.dev_os() and "build-essential" not in knowledge.dev_os(compilers=False)
    assert knowledge.secret_name("HF_TOKEN")["what"] == "Hugging Face token"
    assert knowledge.secret_name("MY_SERVICE_PASSWORD") and not knowledge.secret_name("AWS_ACCESS_KEY_ID")
    assert not knowledge.secret_name("GPG_KEY") and not knowledge.secret_name("MAX_TOKENS")
    assert knowledge.secret_file(".env") and not knowledge.secret_file(".env.example")
    assert knowledge.dev_requirement_file("requirements-dev.txt") and not knowledge.dev_requirement_file("requirements.txt")


@pytest.mark.parametrize("pattern", ["train.py", "*.ckpt", "*train*.py", "model-?.bin", "[ab].pt", "*", "*.tar.gz",
                                     "*.", "a*", ".env", "id_rsa*"])
@pytest.mark.parametrize("name", ["train.py", "x.ckpt", "my_train_v2.py", "model-1.bin", "a.pt", "c.pt", "",
                                  "x.tar.gz", "y.", "abc", ".env", "id_rsa.pub", "TRAIN.PY"])
def test_name_matches_is_fnmatchcase(pattern, name):
    import fnmatch

    from mllint.knowledge import name_matches

    assert name_matches(name, pattern) == fnmatch.fnmatchcase(name, pattern)
