"""`--pin-from SOURCE`: unpinned installs pinned from an image, a freeze file, a lock, a conda list."""

from __future__ import annotations

import pytest

from mllint.errors import MllintError
from mllint.fix import run
from mllint.lint import Linter, Options
from mllint.pins import load_pin_source, parse_conda_explicit, parse_freeze, parse_lock

from .conftest import write_context
from .test_cli import run as cli

DOCKERFILE = """\
FROM python:3.11.9-slim
COPY requirements.txt environment.yml ./
RUN apt-get update && apt-get install --no-install-recommends -y curl git=1:2.39.2-1.1 \\
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir "torch[cuda]>=2.1" numpy unknownpkg -r requirements.txt
USER 1000
"""
REQUIREMENTS = """\
# serving deps
fastapi>=0.100 ; python_version >= "3.8"  # web
uvicorn[standard]
requests \\
    --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
pydantic<2
notinsource>=1
"""
FREEZE = """\
torch==2.3.1
numpy==1.26.4
fastapi==0.111.0
uvicorn==0.30.1
requests==2.32.3
pydantic==2.7.4
somepkg @ https://example.com/somepkg-1.0.tar.gz
"""


def fix(tmp_path, source, files=None):
    df = write_context(tmp_path, files or {"Dockerfile": DOCKERFILE, "requirements.txt": REQUIREMENTS})
    outcome = run(lambda: Linter(Options(pins=load_pin_source(str(source)))), [df])
    return df, outcome


def test_freeze_file_pins_dockerfile_and_requirements(tmp_path):
    freeze = tmp_path / "freeze.txt"
    freeze.write_text(FREEZE)
    df, outcome = fix(tmp_path / "ctx", freeze)
    text = df.read_text()
    assert '"torch[cuda]==2.3.1" numpy==1.26.4 unknownpkg' in text
    req = (tmp_path / "ctx" / "requirements.txt").read_text()
    assert req == ("# serving deps\n"
                   'fastapi==0.111.0 ; python_version >= "3.8"  # web\n'
                   "uvicorn[standard]==0.30.1\n"
                   "requests==2.32.3 \\\n"
                   "    --hash=sha256:" + "a" * 64 + "\n"
                   "pydantic<2\n"  # 2.7.4 is outside the range: left, still reported
                   "notinsource>=1\n")
    left = {(f.rule, f.message.split("`")[1]) for f in outcome.report.findings if f.rule in ("ML103", "ML105")}
    assert ("ML103", "unknownpkg") in left and ("ML105", "pydantic<2") in left
    assert ("ML105", "notinsource>=1") in left
    # a second run changes nothing
    again = run(lambda: Linter(Options(pins=load_pin_source(str(freeze)))), [df])
    assert again.fixed == 0 and not again.files


def test_lock_file(tmp_path):
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n\n[[package]]\nname = "torch"\nversion = "2.3.1"\n\n'
                    '[[package]]\nname = "NumPy"\nversion = "1.26.4"\nsource = { registry = "https://pypi.org/simple" }\n')
    pins = load_pin_source(str(lock))
    assert pins.python == {"torch": "2.3.1", "numpy": "1.26.4"}
    df, _ = fix(tmp_path / "ctx", lock)
    assert '"torch[cuda]==2.3.1" numpy==1.26.4' in df.read_text()
    poetry = parse_lock('[[package]]\nname = "fastapi"\nversion = "0.111.0"\n', "poetry.lock")
    assert poetry.python_version("FastAPI") == "0.111.0"


def test_conda_explicit_list(tmp_path):
    text = ("# platform: linux-64\n@EXPLICIT\n"
            "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda\n"
            "https://conda.anaconda.org/conda-forge/noarch/tqdm-4.66.4-pyhd8ed1ab_0.tar.bz2#md5\n")
    pins = parse_conda_explicit(text, "explicit.txt")
    assert pins.conda == {"numpy": ("1.26.4", "py311h64a7726_0"), "tqdm": ("4.66.4", "pyhd8ed1ab_0")}
    src = tmp_path / "explicit.txt"
    src.write_text(text)
    files = {"Dockerfile": "FROM continuumio/miniconda3:24.1.2-0\nCOPY environment.yml .\n"
                           "RUN conda install -y numpy tqdm>=4 scipy && conda env create -f environment.yml "
                           "&& conda clean -afy\nUSER 1000\n",
             "environment.yml": "name: s\ndependencies:\n  - numpy>=1.20  # keep\n  - tqdm\n"}
    df, _ = fix(tmp_path / "ctx", src, files)
    # tqdm>=4 is quoted by ML104's fix first, then pinned; scipy is not in the list: left
    assert 'conda install -y numpy=1.26.4 "tqdm=4.66.4" scipy' in df.read_text()
    assert (tmp_path / "ctx" / "environment.yml").read_text() == \
        "name: s\ndependencies:\n  - numpy=1.26.4  # keep\n  - tqdm=4.66.4\n"


def test_fixture_image(tmp_path):
    from mllint.image.synth import build_oci

    site = "usr/local/lib/python3.11/site-packages"
    layout = build_oci({"layers": [{"created_by": "RUN install", "files": {
        f"{site}/torch-2.3.1.dist-info/METADATA": "Name: torch\nVersion: 2.3.1\n",
        f"{site}/numpy-1.26.4.dist-info/METADATA": "Name: numpy\nVersion: 1.26.4\n",
        "var/lib/dpkg/status": "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\n"
                               "Installed-Size: 500\n",
    }}]}, tmp_path / "image")
    pins = load_pin_source(f"oci:{layout}")
    assert pins.python_version("torch") == "2.3.1" and pins.deb_version("curl") == "7.88.1-10+deb12u5"
    df, _ = fix(tmp_path / "ctx", f"oci:{layout}")
    text = df.read_text()
    assert "install --no-install-recommends -y curl=7.88.1-10+deb12u5 git=1:2.39.2-1.1" in text
    assert '"torch[cuda]==2.3.1" numpy==1.26.4' in text


def test_cli_pin_from_and_bad_source(tmp_path):
    freeze = tmp_path / "freeze.txt"
    freeze.write_text(FREEZE)
    df = write_context(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "requirements.txt": REQUIREMENTS})
    result = cli("--pin-from", str(freeze), "--diff", str(df))
    assert result.exit_code == 1 and "+fastapi==0.111.0" in result.stdout
    assert df.read_text() == DOCKERFILE
    result = cli("--pin-from", str(freeze), str(df))
    assert "numpy==1.26.4" in df.read_text() and "Fixed" in result.stderr
    bad = cli("--pin-from", str(tmp_path / "nope.tar"), str(df))
    assert bad.exit_code == 2 and "nope.tar" in bad.stderr


def test_freeze_parsing():
    pins = parse_freeze("# c\n-e git+https://x\nA_b==1.0\nc===2\nd>=1\ne==1.*\nf @ https://x/f.whl\n", "f")
    assert pins.python == {"a-b": "1.0", "c": "2"}
    with pytest.raises(MllintError):
        parse_lock("[[package]\n", "x.lock")


# --------------------------------------------------------------------------- --pin-digests

from .test_image_registry import fake_registry  # noqa: E402,F401  (the in-process registry fixture)


def _layout(tmp_path, ref):
    from mllint.image.synth import build_oci

    return build_oci({"layers": [{"created_by": "RUN x", "files": {"a": "b"}}]}, tmp_path / "layout", ref=ref)


def test_pin_digests_from_a_local_layout(tmp_path):
    import json

    layout = _layout(tmp_path, "docker.io/library/python:3.11.9-slim")
    digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    text = "FROM python:3.11.9-slim AS build\nRUN echo > /a\nFROM other:1.0\nCOPY --from=build /a /a\nUSER 1000\n"
    df = write_context(tmp_path / "ctx", text)
    result = cli("--digests-from", f"oci:{layout}", str(df))
    out = df.read_text()
    assert f"FROM python:3.11.9-slim@{digest} AS build\n" in out and "FROM other:1.0\n" in out
    assert "other:1.0: no digest" in result.stderr
    again = cli("--digests-from", f"oci:{layout}", "--diff", str(df))
    assert again.exit_code == 0 and again.stdout == ""


def test_pin_digests_tag_only_layout_and_diff(tmp_path):
    layout = _layout(tmp_path, "3.11.9-slim")
    df = write_context(tmp_path / "ctx", "FROM python:3.11.9-slim\nUSER 1000\n")
    result = cli("--digests-from", str(layout), "--diff", str(df))
    assert result.exit_code == 1 and "+FROM python:3.11.9-slim@sha256:" in result.stdout
    assert df.read_text() == "FROM python:3.11.9-slim\nUSER 1000\n"


def test_pin_digests_from_the_registry(fake_registry, monkeypatch, tmp_path):
    import re

    host, seen, config_dir = fake_registry
    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    df = write_context(tmp_path / "ctx", f"FROM {host}/team/model:1.0\nUSER 1000\n")
    cli("--pin-digests", "--insecure-registry", host, str(df))
    assert re.fullmatch(rf"FROM {re.escape(host)}/team/model:1\.0@sha256:[0-9a-f]{{64}}\nUSER 1000\n", df.read_text())
    assert ("/v2/team/model/manifests/1.0", "Bearer T0KEN") in seen["registry"]
    assert not any("/blobs/" in path for path, _ in seen["registry"])  # the digest only: no layer is pulled
