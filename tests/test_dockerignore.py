"""`.dockerignore` matching with Docker's own rules (moby patternmatcher) and the lazy context walk."""

import pytest

from mllint.context import BuildContext, DockerIgnore, clean

from .conftest import lint


def ignored(patterns: str, path: str) -> bool:
    return DockerIgnore.parse(patterns).excluded(path)


@pytest.mark.parametrize("patterns,path,expected", [
    ("data", "data/x.csv", True),  # a folder excluded excludes its content
    ("data", "src/data", False),  # patterns are anchored at the context root
    ("/data", "data/x.csv", True),  # leading / is stripped
    ("./data/", "data/a/b", True),  # cleaned like filepath.Clean
    ("*.ckpt", "model.ckpt", True),
    ("*.ckpt", "runs/model.ckpt", False),  # * does not cross folders
    ("**/*.ckpt", "runs/a/model.ckpt", True),  # ** matches any number of folders
    ("**/*.ckpt", "model.ckpt", True),  # ... including none
    ("runs/**", "runs/a/b.txt", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("?.txt", "a.txt", True),
    ("?.txt", "ab.txt", False),
    ("[ab].txt", "b.txt", True),
    ("*\n!keep.txt", "keep.txt", False),  # ! re-includes
    ("*\n!keep.txt\nkeep.txt", "keep.txt", True),  # the last match wins
    ("data\n!data/labels.csv", "data/labels.csv", False),
    ("data\n!data/labels.csv", "data/train.csv", True),
    ("# comment\n\n  data  ", "data/a", True),  # comments, blank lines, whitespace
    ("**\n!app/", "app/server.py", False),  # re-including a folder re-includes its content
    ("**\n!app/\n**/__pycache__", "app/__pycache__/x.pyc", True),
    ("file.$x", "file.$x", True),  # regex characters are literal
])
def test_docker_matching(patterns, path, expected):
    assert ignored(patterns, path) is expected


def test_clean_is_go_path_clean():
    assert clean("./a//b/../c/") == "a/c"
    assert clean("/") == "/"
    assert clean("") == "."


def test_walk_skips_excluded_folders_and_stops_at_datasets(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("venv\n**/*.pyc\n")
    for name in ("src/app.py", "src/app.pyc", "venv/lib/x.py", "data/1.csv", "data/2.csv"):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    ctx = BuildContext(tmp_path, tmp_path / "Dockerfile")
    listing = ctx.listing(".", lambda rel: rel.endswith("data"))
    assert "src/app.py" in listing.files and "src/app.pyc" not in listing.files
    assert not any(f.startswith(("venv/", "data/")) for f in listing.files)
    (folder,) = listing.stopped
    assert folder.path == "data" and folder.count == 2 and folder.sample == ("1.csv", "2.csv")


def test_dockerfile_specific_ignore_wins(tmp_path):
    (tmp_path / "api.Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("nothing\n")
    (tmp_path / "api.Dockerfile.dockerignore").write_text("secret.txt\n")
    ctx = BuildContext(tmp_path, tmp_path / "api.Dockerfile")
    assert ctx.ignore_path.name == "api.Dockerfile.dockerignore"
    assert ctx.excluded("secret.txt")


def test_exception_inside_excluded_folder_is_walked(tmp_path):
    files = {
        "Dockerfile": "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\n",
        ".dockerignore": "scripts\n!scripts/serve.py\n",
        "scripts/serve.py": "x", "scripts/train.py": "x",
    }
    findings, _ = lint(tmp_path, files)
    assert [f.rule for f in findings if f.rule == "ML205"] == []
    (tmp_path / ".dockerignore").write_text("scripts\n!scripts/*.py\n")
    findings, _ = lint(tmp_path, files | {".dockerignore": "scripts\n!scripts/*.py\n"})
    (f,) = [f for f in findings if f.rule == "ML205"]
    assert "`scripts/train.py`" in f.message and "after .dockerignore" in f.message
