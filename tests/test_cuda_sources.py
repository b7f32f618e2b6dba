"""Where the CUDA comes from: image tags, ENV, framework builds, with the spans of each fact."""

from __future__ import annotations

import pytest

from mllint.cuda.sources import cuda_facts
from mllint.model import Span
from mllint.target import load_target

from .conftest import write_context


def facts_of(tmp_path, files):
    path = write_context(tmp_path, files)
    return cuda_facts(load_target(path, "Dockerfile", None, None))


@pytest.mark.parametrize("image,kind,cuda,cudnn,flavor", [
    ("nvidia/cuda:12.4.1-runtime-ubuntu22.04", "nvidia-cuda", "12.4.1", None, "runtime"),
    ("nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04", "nvidia-cuda", "11.8.0", 8, "devel"),
    ("nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04", "nvidia-cuda", "12.3.2", 9, "runtime"),
    ("nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04", "nvidia-cuda", "12.6.3", 9, "runtime"),
    ("nvidia/cuda:13.0.0-base-ubi9", "nvidia-cuda", "13.0.0", None, "base"),
    ("docker.io/nvidia/cuda:12.1.1-devel-ubuntu22.04@sha256:" + "a" * 64, "nvidia-cuda", "12.1.1", None, "devel"),
    ("nvcr.io/nvidia/cuda:12.8.1-runtime-ubuntu22.04", "nvidia-cuda", "12.8.1", None, "runtime"),
    ("pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime", "pytorch", "12.1", 8, "runtime"),
    ("tensorflow/tensorflow:2.15.0-gpu", "tensorflow", "12.2", 8, None),
    ("nvcr.io/nvidia/pytorch:24.04-py3", "ngc", None, None, None),  # NGC table unverified: CUDA unknown
])
def test_base_image_tags(tmp_path, image, kind, cuda, cudnn, flavor):
    facts = facts_of(tmp_path, f"FROM {image}\n")
    b = facts.base
    assert (b.kind, b.cuda, b.cudnn, b.flavor) == (kind, cuda, cudnn, flavor)
    assert b.span == Span(1, 6, 1, 6 + len(image))


@pytest.mark.parametrize("image", ["python:3.11-slim", "ubuntu:22.04", "nvidia/cuda:latest",
                                   "nvidia/cuda", "pytorch/pytorch:latest", "tensorflow/tensorflow:2.15.0"])
def test_non_cuda_or_unversioned_bases(tmp_path, image):
    assert facts_of(tmp_path, f"FROM {image}\n").base is None


def test_arg_built_tag_and_stage_chain(tmp_path):
    facts = facts_of(tmp_path, """\
        ARG CUDA_VERSION=12.4.1
        ARG FLAVOR=runtime
        FROM nvidia/cuda:${CUDA_VERSION}-cudnn-${FLAVOR}-ubuntu22.04 AS base
        FROM base AS app
        RUN pip install --no-cache-dir torch==2.5.1
        """)
    assert facts.base.cuda == "12.4.1" and facts.base.cudnn == 9 and facts.base.span.line == 3
    assert facts.base.require.min_cuda() == "12.4"
    [b] = facts.builds
    assert (b.package, b.version, b.variant, b.variant_from, b.cuda) == ("torch", "2.5.1", "cu124", "pypi-default", "12.4")


def test_env_cuda_version_and_overrides(tmp_path):
    facts = facts_of(tmp_path, """\
        FROM myorg/gpu-base:3
        ENV CUDA_VERSION=12.2.2 NVIDIA_REQUIRE_CUDA="cuda>=12.0"
        ENV NVIDIA_DISABLE_REQUIRE=true
        """)
    assert facts.base.kind == "env" and facts.base.cuda == "12.2.2" and facts.base.span == Span(2, 5, 2, 17)
    assert facts.require_override is None  # on a plain base it defines the requirement (a clone of nvidia/cuda)
    assert facts.disable_require.span == Span(3, 5, 3, 27)
    assert facts.base.require is None  # disabled


def test_require_override_on_a_cuda_image(tmp_path):
    facts = facts_of(tmp_path, """\
        FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
        ENV NVIDIA_REQUIRE_CUDA="cuda>=12.0"
        """)
    assert facts.require_override.span == Span(2, 5, 2, 24)
    assert facts.base.require.min_cuda() == "12.0"
    facts = facts_of(tmp_path / "arg", """\
        FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
        ARG REQUIRE_OVERRIDE
        ENV NVIDIA_REQUIRE_CUDA=${REQUIRE_OVERRIDE:-$NVIDIA_REQUIRE_CUDA}
        """)
    assert facts.require_override is None and facts.base.require.min_cuda() == "12.4"


def test_local_version_index_url_and_spans(tmp_path):
    facts = facts_of(tmp_path, """\
        FROM python:3.11-slim
        RUN pip install --no-cache-dir torch==2.1.2+cu118 torchvision==0.16.2 \\
              --extra-index-url https://download.pytorch.org/whl/cu121
        RUN pip install --no-cache-dir --index-url=https://download.pytorch.org/whl/nightly/cu130 torch
        """)
    torch, vision, nightly = facts.builds
    assert (torch.variant, torch.variant_from, torch.version) == ("cu118", "local-version", "2.1.2")
    assert torch.span == Span(2, 32, 2, 50)
    assert (vision.variant, vision.variant_from, vision.cuda) == ("cu121", "index-url", "12.1")
    assert vision.variant_span == Span(3, 25, 3, 63)
    assert (nightly.variant, nightly.version, nightly.variant_span.column) == ("cu130", None, 44)


def test_uv_torch_backend_and_conda(tmp_path):
    facts = facts_of(tmp_path, """\
        FROM python:3.11-slim
        RUN uv pip install --system --torch-backend=cu126 torch==2.7.1
        RUN conda install -y -c pytorch -c nvidia pytorch==2.1.2 pytorch-cuda=12.1
        RUN conda install -y -c pytorch pytorch=1.13.1 cudatoolkit=11.6
        RUN conda install -y -c pytorch pytorch=2.0.1 cpuonly
        """)
    uv, conda, old, cpu = facts.builds
    assert (uv.variant, uv.variant_from, uv.variant_span) == ("cu126", "torch-backend", Span(2, 45, 2, 50))
    assert (conda.package, conda.variant, conda.variant_from) == ("torch", "cu121", "conda")
    assert (old.variant, old.cuda) == ("cu116", "11.6")
    assert cpu.variant == "cpu"


def test_other_frameworks(tmp_path):
    facts = facts_of(tmp_path, """\
        FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
        RUN pip install --no-cache-dir tensorflow==2.16.1 "tensorflow[and-cuda]==2.18.0" tensorflow-cpu==2.16.1 \\
            "jax[cuda12]==0.4.30" "jax[cuda12_local]==0.4.30" jax-cuda13-plugin==0.7.2 \\
            onnxruntime-gpu==1.20.1 cupy-cuda12x==13.3.0 numpy==2.1.0
        """)
    got = [(b.package, b.variant, b.cuda, b.own_libs) for b in facts.builds]
    assert got == [
        ("tensorflow", None, "12.3", False), ("tensorflow", None, "12.5", True), ("tensorflow-cpu", "cpu", None, False),
        ("jax", "cuda12", "12.0", True), ("jax", "cuda12", "12.0", False), ("jax", "cuda13", "13.0", False),
        ("onnxruntime-gpu", None, "12", False), ("cupy-cuda12x", None, "12.0", False),
    ]


def test_requirement_file_with_index(tmp_path):
    facts = facts_of(tmp_path, {
        "Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n",
        "requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cu124\ntorch==2.4.1\ntorchaudio==2.4.1\n",
    })
    torch, audio = facts.builds
    assert torch.path.endswith("requirements.txt") and torch.span == Span(2, 1, 2, 13)
    assert (torch.variant, torch.variant_span) == ("cu124", Span(1, 19, 1, 57))
    assert audio.variant == "cu124"


def test_builder_stage_installs_do_not_ship(tmp_path):
    facts = facts_of(tmp_path, """\
        FROM nvidia/cuda:12.4.1-devel-ubuntu22.04 AS build
        RUN pip install --no-cache-dir torch==2.5.1+cpu
        FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
        COPY --from=build /usr/local/lib /usr/local/lib
        """)
    assert facts.builds == () and facts.base.flavor == "runtime"


def test_index_from_pip_config_env_and_build_args(tmp_path):
    facts = facts_of(tmp_path, """\
        FROM python:3.11-slim
        RUN pip config set global.index-url https://download.pytorch.org/whl/cpu
        RUN pip install --no-cache-dir torch==2.7.1
        """)
    [b] = facts.builds
    assert (b.variant, b.variant_from, b.variant_span.line) == ("cpu", "index-url", 2)
    facts = facts_of(tmp_path / "env", """\
        FROM python:3.11-slim
        ENV PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cu118
        RUN pip install --no-cache-dir torch==2.7.1
        """)
    [b] = facts.builds
    assert (b.variant, b.variant_span) == ("cu118", Span(2, 5, 2, 24))
    facts = facts_of(tmp_path / "arg", """\
        FROM python:3.11-slim
        ARG TORCH_INDEX_URL
        ARG TORCH_BACKEND=auto
        RUN pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" torch==2.6.0
        RUN UV_TORCH_BACKEND=$TORCH_BACKEND uv pip install --system torch==2.6.0
        RUN pip install --no-cache-dir torch==2.6.0
        """)
    unknown1, unknown2, pypi = facts.builds
    assert (unknown1.variant, unknown1.variant_from) == (None, "unknown")
    assert (unknown2.variant, unknown2.variant_from) == (None, "unknown")
    assert (pypi.variant, pypi.variant_from) == ("cu124", "pypi-default")
