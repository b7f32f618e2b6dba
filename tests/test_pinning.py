"""Pinning checks on whole build contexts: the rule, the exact position, the message."""

from mllint.model import Span
from mllint.rules import match_ids

from .conftest import lint as _lint

PINNING = frozenset(match_ids(["ML1"], what="test"))


def lint(root, files, **options):
    """These tests are about pinning: the other families (root user, caches…) are tested elsewhere."""
    options.setdefault("select", PINNING)
    return _lint(root, files, **options)

SHA = "0a7af19f4dc868bafc82f35eb7e8d13bac87a594"
DIGEST = "sha256:" + "ab" * 32


def by_rule(findings, rule):
    return [f for f in findings if f.rule == rule]


def test_base_image_without_tag_points_at_the_image(tmp_path):
    findings, _ = lint(tmp_path, "FROM pytorch/pytorch\n")
    (f,) = by_rule(findings, "ML101")
    assert f.span == Span(1, 6, 1, 21)
    assert "has no tag" in f.message and "digest" in f.message
    assert f.severity == "warning" and f.category == "pinning"


def test_base_image_from_arg_default(tmp_path):
    findings, _ = lint(tmp_path, "ARG TAG=latest\nFROM python:${TAG} AS app\n")
    (f,) = by_rule(findings, "ML101")
    assert "`python:latest` (from `python:${TAG}`)" in f.message
    assert f.span.line == 2


def test_base_image_arg_without_default_is_info(tmp_path):
    findings, _ = lint(tmp_path, "ARG TAG\nFROM python:${TAG}\n")
    assert [f.rule for f in findings] == ["ML113"]
    assert findings[0].severity == "info"


def test_digest_and_stage_references_are_pinned(tmp_path):
    findings, _ = lint(tmp_path, f"FROM python:3.11.9-slim@{DIGEST} AS build\nFROM build\nCOPY --from=build /a /a\n")
    assert findings == []


def test_copy_from_external_image(tmp_path):
    findings, _ = lint(tmp_path, f"FROM python:3.11.9@{DIGEST}\nCOPY --from=ghcr.io/astral-sh/uv:0.4.18 /uv /bin/\n")
    (f,) = findings
    assert f.rule == "ML102" and f.span.line == 2 and f.span.column == 6
    assert "`COPY --from` image" in f.message


def test_pip_on_continuation_line_has_exact_column(tmp_path):
    df = (f"FROM python:3.11.9@{DIGEST}\n"
          "RUN pip install --no-cache-dir \\\n"
          "        numpy==1.26.4 \\\n"
          "        torch\n")
    findings, _ = lint(tmp_path, df)
    (f,) = findings
    assert f.rule == "ML103" and f.span == Span(4, 9, 4, 14)
    assert "`torch`" in f.message and "torch==X.Y.Z" in f.message


def test_pip_range_named_in_message(tmp_path):
    findings, _ = lint(tmp_path, f"FROM python:3.11.9@{DIGEST}\nRUN python3.11 -m pip install 'transformers>=4.40'\n")
    (f,) = findings
    assert f.rule == "ML103" and "`>=4.40` is a range" in f.message


def test_unquoted_redirect_spec(tmp_path):
    findings, _ = lint(tmp_path, f"FROM python:3.11.9@{DIGEST}\nRUN pip install torch>=2.0 numpy==1.26.4\n")
    (f,) = by_rule(findings, "ML104")
    assert f.severity == "error"
    assert f.span == Span(2, 17, 2, 27)
    assert "`torch>=2.0`" in f.message and "`=2.0`" in f.message
    assert not by_rule(findings, "ML103")  # ML104 already says torch is unconstrained


def test_quoted_spec_and_real_redirect_are_fine(tmp_path):
    findings, _ = lint(tmp_path, f"FROM python:3.11.9@{DIGEST}\nRUN pip install 'torch==2.3.1' > /tmp/log 2>&1\n")
    assert findings == []


def test_arg_default_pins_pip_version(tmp_path):
    df = f"FROM python:3.11.9@{DIGEST}\nARG TORCH=2.3.1\nARG TV\nRUN pip install torch==${{TORCH}} torchvision==$TV\n"
    findings, _ = lint(tmp_path, df)
    (f,) = findings
    assert f.rule == "ML113" and "TV" in f.message and f.span.line == 4


def test_heredoc_body_positions(tmp_path):
    df = (f"FROM python:3.11.9@{DIGEST}\n"
          "RUN <<EOF\n"
          "set -e\n"
          "pip install fastapi==0.111.0 uvicorn\n"
          "EOF\n")
    findings, _ = lint(tmp_path, df)
    (f,) = findings
    assert f.rule == "ML103" and f.span == Span(4, 30, 4, 37)


def test_sh_c_string_is_linted(tmp_path):
    findings, _ = lint(tmp_path, f"FROM python:3.11.9@{DIGEST}\nRUN sh -c 'pip install einops'\n")
    (f,) = findings
    assert f.rule == "ML103" and f.span == Span(2, 24, 2, 30)


def test_requirements_file_followed_with_include_and_constraints(tmp_path):
    files = {
        "Dockerfile": f"FROM python:3.11.9@{DIGEST}\nWORKDIR /app\nCOPY reqs/ ./reqs/\n"
                      "RUN pip install -r reqs/base.txt\n",
        "reqs/base.txt": "-r extra.txt\n-c pins.txt\ntorch>=2  # pinned by pins.txt\nnumpy\n",
        "reqs/extra.txt": "# extra\nfastapi>=0.100\n",
        "reqs/pins.txt": "torch==2.3.1\n",
    }
    findings, errors = lint(tmp_path, files)
    assert not errors
    got = sorted((f.path.rsplit("/", 1)[-1], f.rule, f.span.line, f.span.column) for f in findings)
    assert got == [("base.txt", "ML105", 4, 1), ("extra.txt", "ML105", 2, 1)]


def test_requirements_via_bind_mount(tmp_path):
    files = {
        "Dockerfile": f"FROM python:3.11.9@{DIGEST}\n"
                      "RUN --mount=type=bind,source=requirements.txt,target=/tmp/r.txt \\\n"
                      "    --mount=type=cache,target=/root/.cache/uv \\\n"
                      "    uv pip install --system -r /tmp/r.txt\n",
        "requirements.txt": "scipy\n",
    }
    findings, _ = lint(tmp_path, files)
    (f,) = findings
    assert f.rule == "ML105" and f.path.endswith("requirements.txt") and f.span == Span(1, 1, 1, 6)


def test_vcs_requirement_and_pragma_on_requirement_line(tmp_path):
    files = {
        "Dockerfile": f"FROM python:3.11.9@{DIGEST}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
        "requirements.txt": "peft @ git+https://github.com/huggingface/peft@main\nnumpy  # mllint: ignore=ML105\n",
    }
    findings, _ = lint(tmp_path, files)
    (f,) = findings
    assert f.rule == "ML106" and "`main`" in f.message and f.span.line == 1


def test_pragma_above_instruction_and_ignore_file(tmp_path):
    df = (f"FROM python:3.11.9@{DIGEST}\n"
          "# mllint: ignore=ML103\n"
          "RUN pip install a \\\n    b\n"
          "RUN pip install c\n")
    findings, _ = lint(tmp_path, df)
    assert [(f.rule, f.span.line) for f in findings] == [("ML103", 5)]
    findings, _ = lint(tmp_path, "# mllint: ignore-file=ML101\nFROM python\n")
    assert findings == []


def test_git_clone_pinned_by_checkout_in_same_run(tmp_path):
    ok = f"FROM python:3.11.9@{DIGEST}\nRUN git clone https://github.com/o/r /r && cd /r && git checkout {SHA}\n"
    assert lint(tmp_path, ok)[0] == []
    bad = f"FROM python:3.11.9@{DIGEST}\nRUN git clone -b v1.2 https://github.com/o/r /r\n"
    (f,) = lint(tmp_path, bad)[0]
    assert f.rule == "ML110" and "`v1.2`" in f.message and f.span == Span(2, 23, 2, 45)


def test_hub_download_and_floating_urls(tmp_path):
    df = (f"FROM python:3.11.9@{DIGEST}\n"
          "RUN hf download org/model --local-dir /m\n"
          "RUN wget -q https://huggingface.co/org/m/resolve/main/model.safetensors\n"
          "RUN curl -fsSL https://ollama.com/install.sh | sh\n")
    findings, _ = lint(tmp_path, df)
    assert [(f.rule, f.span.line) for f in findings] == [("ML111", 2), ("ML107", 3), ("ML112", 4)]


def test_conda_install_and_environment_file(tmp_path):
    files = {
        "Dockerfile": "FROM continuumio/miniconda3:24.4.0-0@" + DIGEST + "\n"
                      "COPY environment.yml /tmp/\n"
                      "RUN conda env create -f /tmp/environment.yml && conda install -y -c conda-forge faiss-cpu\n",
        "environment.yml": "name: svc\nchannels: [conda-forge]\ndependencies:\n  - python=3.11.9\n  - numpy\n"
                           "  - pip\n  - pip:\n    - torch>=2\n",
    }
    findings, _ = lint(tmp_path, files)
    got = [(f.rule, f.path.rsplit("/", 1)[-1], f.span.line) for f in findings]
    assert ("ML108", "Dockerfile", 3) in got
    assert ("ML108", "environment.yml", 5) in got
    assert ("ML105", "environment.yml", 8) in got
    assert len(got) == 3


def test_pyproject_without_lock_and_uv_sync(tmp_path):
    files = {
        "Dockerfile": f"FROM python:3.11.9@{DIGEST}\nCOPY . /app\nRUN pip install /app\n",
        "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = [\n  "torch>=2",\n  "numpy==1.26.4",\n]\n',
    }
    findings, _ = lint(tmp_path, files)
    (f,) = findings
    assert f.rule == "ML114" and f.path.endswith("pyproject.toml") and f.span.line == 5
    (tmp_path / "uv.lock").write_text("version = 1\n")
    assert lint(tmp_path, files)[0] == []
    files["Dockerfile"] = f"FROM python:3.11.9@{DIGEST}\nCOPY . /app\nWORKDIR /app\nRUN uv sync --no-dev\n"
    (f,) = lint(tmp_path, files)[0]
    assert f.rule == "ML115"


def test_only_stages_feeding_the_target_are_checked(tmp_path):
    df = (f"FROM python:3.11.9@{DIGEST} AS build\nRUN pip install wheel\n"
          f"FROM python:3.11.9@{DIGEST} AS unused\nRUN pip install debugpy\n"
          f"FROM python:3.11.9@{DIGEST} AS final\nCOPY --from=build /w /w\n")
    findings, _ = lint(tmp_path, df)
    assert [(f.rule, f.span.line) for f in findings] == [("ML103", 2)]
    findings, _ = lint(tmp_path, df, target="unused")
    assert [(f.rule, f.span.line) for f in findings] == [("ML103", 4)]


def test_os_packages_are_info(tmp_path):
    df = f"FROM debian:12@{DIGEST}\nRUN apt-get update && apt-get install -y --no-install-recommends libgl1 curl=7.88.1-10\n"
    findings, _ = lint(tmp_path, df)
    (f,) = findings
    assert (f.rule, f.severity, f.span.column) == ("ML109", "info", 66)
