"""Generate a corpus of ML Dockerfiles shaped like real ones, so benchmarks run from a clone alone.

The distributions below were measured with benchmarks/corpus_stats.py on the 147 real ML
Dockerfiles of ../shared/corpus (public repositories) and are hard-coded here, so generation needs
nothing but this file: RUNs per file; by file size, FROMs per file, shell commands per RUN and the
other instructions per RUN; heredoc, --mount and license-header shares; lines per requirement file.
The text is generated from patterns common in ML images (CUDA bases, apt/pip/uv/conda installs,
source builds, downloads, users, if/else); recipe weights and list lengths were set by hand so that
characters per RUN and the commands' first words (apt-get, pip, rm, uv, cd, if ...) come out as in
the real corpus. `python benchmarks/corpus_stats.py --synth ../shared/corpus` compares the two.
Deterministic for a given seed.

    python benchmarks/synth_corpus.py OUT_DIR [--count 147] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import random
import re
from pathlib import Path
from typing import TypeVar

K = TypeVar("K")

# --- Measured on ../shared/corpus (147 Dockerfiles, 53 requirement files) --------------------------

# RUN instructions per file: {count: files}.
RUNS_PER_FILE = {1: 21, 2: 16, 3: 10, 4: 19, 5: 11, 6: 11, 7: 7, 8: 13, 9: 2, 10: 6, 11: 3, 12: 4,
                 13: 4, 15: 2, 17: 2, 18: 2, 20: 1, 23: 2, 24: 2, 25: 3, 26: 1, 29: 1, 30: 1, 33: 1,
                 35: 1, 56: 1}
# By file size (files with at most N RUNs: 47, 61 and 39 files): FROMs per file {count: files},
# shell commands per RUN (split on && || ; | and newlines) {count: RUNs}, other instructions per RUN.
GROUPS = [
    (3, {"stages": {1: 44, 2: 1, 3: 2},
         "commands": {1: 47, 2: 16, 3: 9, 4: 5, 5: 1, 7: 2, 9: 1, 17: 1, 21: 1},
         "per_run": {"ENV": 0.59, "COPY": 0.59, "ARG": 0.43, "WORKDIR": 0.25, "CMD": 0.23, "LABEL": 0.19,
                     "EXPOSE": 0.17, "ENTRYPOINT": 0.12, "USER": 0.05, "SHELL": 0.04, "ADD": 0.04}}),
    (8, {"stages": {1: 44, 2: 11, 4: 2, 5: 1, 6: 1, 7: 1, 17: 1},
         "commands": {1: 169, 2: 63, 3: 33, 4: 30, 5: 12, 6: 10, 7: 3, 8: 6, 9: 3, 10: 3, 13: 3, 14: 1, 15: 2,
                      16: 3, 17: 2, 18: 1, 19: 1, 21: 1, 27: 1, 30: 1, 31: 2},
         "per_run": {"ENV": 0.75, "ARG": 0.53, "COPY": 0.36, "WORKDIR": 0.15, "LABEL": 0.13, "CMD": 0.06,
                     "EXPOSE": 0.06, "ENTRYPOINT": 0.05, "USER": 0.05, "SHELL": 0.03, "ADD": 0.02}}),
    (10**6, {"stages": {1: 9, 2: 9, 3: 5, 4: 3, 6: 3, 7: 1, 8: 4, 10: 1, 15: 1, 16: 1, 20: 1, 36: 1},
             "commands": {1: 299, 2: 157, 3: 94, 4: 43, 5: 33, 6: 16, 7: 17, 8: 12, 9: 12, 10: 7, 11: 6, 12: 4,
                          13: 1, 14: 1, 16: 1, 17: 1, 18: 1, 19: 1, 25: 1, 27: 1, 28: 1},
             "per_run": {"ARG": 0.65, "COPY": 0.64, "ENV": 0.55, "WORKDIR": 0.12, "ENTRYPOINT": 0.05, "LABEL": 0.05,
                         "CMD": 0.03, "USER": 0.02, "EXPOSE": 0.01, "SHELL": 0.01, "ADD": 0.01}}),
]
# Files differ a lot in those rates (coefficient of variation 0.9, 0.8, 0.6 in the three groups,
# Poisson noise included): each file's rates are scaled by a Gamma(shape) factor of mean 1.
RATE_SHAPES = (2.0, 2.0, 3.5)
# Share of files with a `# syntax=` line, with heredoc RUNs; of RUNs with --mount; of one-command
# RUNs in exec form. License headers: in 11%, 18% and 23% of small, middle and large files.
P_SYNTAX, P_HEREDOC_FILE, P_MOUNT, P_EXEC = 0.10, 0.027, 0.12, 0.014
# Share of Dockerfiles that install from requirement files of their own: in the real corpus 83 of
# 147 Dockerfiles name one (its 53 files, some shared, hold 1,463 lines).
P_REQUIREMENTS = 0.56
# Lines per requirement file (requirements.txt, pyproject.toml, environment.yaml), all 53 of them.
REQ_LINES = [1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 6, 6, 6, 7, 7, 7, 7, 8, 9, 9, 9, 10, 12, 13,
             13, 14, 14, 16, 17, 19, 20, 22, 22, 23, 23, 24, 25, 33, 34, 37, 45, 60, 61, 86, 90, 96,
             109, 390]

# --- Vocabulary -------------------------------------------------------------------------------------

CUDA = ["11.8.0", "12.1.1", "12.2.2", "12.4.1", "12.6.3", "12.8.1"]
BASES = ["nvidia/cuda:{cuda}-cudnn8-devel-ubuntu22.04", "nvidia/cuda:{cuda}-runtime-ubuntu22.04",
         "nvidia/cuda:{cuda}-devel-ubuntu20.04", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
         "pytorch/pytorch:2.1.2-cuda11.8-cudnn8-devel", "python:3.11-slim", "python:3.10-slim-bookworm",
         "python:3.12", "nvcr.io/nvidia/pytorch:24.05-py3", "nvcr.io/nvidia/tritonserver:24.08-py3",
         "ubuntu:22.04", "ubuntu:20.04", "continuumio/miniconda3:24.4.0-0", "mambaorg/micromamba:1.5.8",
         "tensorflow/tensorflow:2.15.0-gpu", "rocm/pytorch:rocm6.1_ubuntu22.04_py3.10_pytorch_2.4",
         "huggingface/transformers-pytorch-gpu:4.41.2", "debian:bookworm-slim"]
APT = ["git", "git-lfs", "curl", "wget", "build-essential", "libgl1", "libglib2.0-0", "ffmpeg", "vim",
       "cmake", "python3-dev", "python3-pip", "python3-venv", "libsm6", "libxext6", "libxrender1",
       "ninja-build", "openssh-client", "openssh-server", "ca-certificates", "unzip", "zip", "htop",
       "libsndfile1", "libssl-dev", "libffi-dev", "pkg-config", "software-properties-common", "tzdata",
       "libgomp1", "libopenblas-dev", "liblapack-dev", "libjpeg-dev", "libpng-dev", "sudo", "tmux",
       "rsync", "jq", "gnupg", "lsb-release", "libnuma-dev", "libibverbs-dev", "rdma-core", "gcc-12",
       "g++-12", "ccache", "libcurl4-openssl-dev", "locales", "poppler-utils", "tesseract-ocr"]
APT_PINS = ["cuda-nvcc-12-4", "libcudnn9-cuda-12=9.1.0.70-1", "libnccl2=2.21.5-1+cuda12.4",
            "libnccl-dev=2.21.5-1+cuda12.4", "cuda-cupti-12-4", "libcublas-12-4", "python3.10=3.10.12-1~22.04"]
PIP = ["torch", "torchvision", "torchaudio", "transformers", "accelerate", "datasets", "numpy",
       "scipy", "pandas", "fastapi", "uvicorn[standard]", "einops", "sentencepiece", "safetensors",
       "peft", "bitsandbytes", "xformers", "onnxruntime-gpu", "jupyterlab", "pytest", "wandb",
       "deepspeed", "vllm", "gradio", "opencv-python-headless", "pillow", "tqdm", "huggingface_hub",
       "tokenizers", "triton", "ninja", "packaging", "protobuf", "grpcio", "pydantic", "librosa",
       "soundfile", "tensorboard", "scikit-learn", "matplotlib", "sentence-transformers", "optimum",
       "timm", "diffusers", "langchain", "openai", "flash-attn", "mlflow", "ray[serve]", "boto3",
       "nvidia-cudnn-cu12", "huggingface-hub[cli,hf_transfer]", "transformer-engine[pytorch]",
       "nvidia-ml-py", "llama-cpp-python", "text-generation", "prometheus-client", "opentelemetry-sdk",
       "torch-tensorrt", "sentencepiece-tokenizers", "accelerate[deepspeed]", "lm-eval[api]"]
# pip front ends and options, as real RUN lines spell them
PIP_TOOLS = ["pip install", "pip install --no-cache-dir", "pip3 install --no-cache-dir", "python3 -m pip install",
             "python3 -m pip install --no-cache-dir --upgrade", "uv pip install --system",
             "uv pip install --system --no-cache", "pip install -U", "pip install --no-cache-dir --no-deps",
             "pip install --break-system-packages --no-cache-dir", "pip install --pre --no-build-isolation"]
CONDA = ["numpy", "scipy", "faiss-gpu", "pytorch", "pytorch-cuda=12.1", "cudatoolkit=11.8", "mkl",
         "pillow=10.3.0", "python=3.10", "ffmpeg", "libsndfile", "cmake", "ninja"]
REPOS = ["huggingface/transformers", "NVIDIA/apex", "Dao-AILab/flash-attention", "facebookresearch/xformers",
         "ggml-org/llama.cpp", "openai/CLIP", "state-spaces/mamba", "microsoft/DeepSpeed",
         "NVIDIA/TransformerEngine", "vllm-project/vllm", "mlfoundations/open_clip", "TimDettmers/bitsandbytes",
         "pytorch/vision", "Stability-AI/generative-models", "salesforce/LAVIS", "IDEA-Research/GroundingDINO"]
INDEX = ["https://download.pytorch.org/whl/cu121", "https://download.pytorch.org/whl/cu118",
         "https://download.pytorch.org/whl/cpu", "https://pypi.nvidia.com", "https://flashinfer.ai/whl/cu121/torch2.4"]
DOWNLOADS = ["https://github.com/{repo}/releases/download/v{v}/{name}-linux-x86_64.tar.gz",
             "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64/{name}_{v}_amd64.deb",
             "https://repo.anaconda.com/miniconda/Miniconda3-py310_{v}-Linux-x86_64.sh",
             "https://huggingface.co/{repo}/resolve/main/{name}.safetensors",
             "https://storage.googleapis.com/{name}/releases/{v}/{name}-{v}.tar.gz",
             "https://dl.min.io/client/mc/release/linux-amd64/archive/mc.RELEASE.{v}"]
TOOLS = ["sccache", "s5cmd", "yq", "tini", "protoc", "bazelisk", "nvtop", "grpcurl", "mc", "gosu"]
ENVS = ['PATH="/opt/conda/bin:$PATH"', 'PATH="/opt/venv/bin:$PATH"', 'PATH="/root/.local/bin:${PATH}"',
        "PATH=/usr/local/cuda/bin:/usr/local/nvidia/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ("LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/extras/CUPTI/lib64:/usr/local/nvidia/lib64:"
         "${LD_LIBRARY_PATH}"),
        "LD_LIBRARY_PATH=/usr/local/lib/python${PYTHON_VERSION}/dist-packages/torch/lib:$LD_LIBRARY_PATH",
        "DEBIAN_FRONTEND=noninteractive", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
        "PIP_NO_CACHE_DIR=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "HF_HOME=/data/.cache/huggingface",
        'TRANSFORMERS_CACHE="${HF_HOME}/transformers"', 'TORCH_CUDA_ARCH_LIST="7.0 7.5 8.0 8.6 8.9 9.0+PTX"',
        "NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility", "LANG=C.UTF-8",
        "LC_ALL=C.UTF-8", "TZ=Etc/UTC", "CONDA_DIR=/opt/conda", "VIRTUAL_ENV=/opt/venv", "MAX_JOBS=8",
        "CUDA_HOME=/usr/local/cuda", "HF_HUB_ENABLE_HF_TRANSFER=1", 'FORCE_CUDA="1"', "UV_LINK_MODE=copy",
        "UV_COMPILE_BYTECODE=1", "PYTHONPATH=/workspace/src:${PYTHONPATH}", "MODEL_DIR=/models",
        "VLLM_WORKER_MULTIPROC_METHOD=spawn", "NCCL_DEBUG=INFO", "OMP_NUM_THREADS=1",
        "GRADIO_SERVER_NAME=0.0.0.0", "HOME=/root", "SHELL=/bin/bash", "PORT=7860", "WORKERS=2",
        "HF_HUB_OFFLINE=0", "CUDA_VISIBLE_DEVICES=0", "APP_HOME=/app", "USE_FLASH_ATTENTION=1",
        'CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=all-major"']
ARGS = ["PYTHON_VERSION=3.10", "CUDA_VERSION={cuda}", "TORCH_VERSION=2.3.1", "BASE_IMAGE", "TARGETARCH",
        "TARGETPLATFORM", "BUILDPLATFORM", "USERNAME=user", "USER_UID=1000", "USER_GID=$USER_UID",
        "DEBIAN_FRONTEND=noninteractive", "MAX_JOBS=4", "GIT_SHA", "VERSION", 'HTTP_PROXY=""',
        "TRANSFORMERS_VERSION=4.44.2", "UBUNTU_VERSION=22.04", "CUDA_ARCH_LIST=\"8.0 8.6 9.0\"",
        "INSTALL_DEV=false", "BUILD_TYPE=release", "MODEL_ID=meta-llama/Llama-3.1-8B-Instruct", "APP_HOME=/app"]
LABELS = ['maintainer="ml-platform@example.com"', 'org.opencontainers.image.source="https://github.com/{repo}"',
          'org.opencontainers.image.description="Inference server for {name}"', 'version="{v}"',
          'com.nvidia.volumes.needed="nvidia_driver"', 'org.opencontainers.image.licenses="Apache-2.0"',
          'com.amazonaws.sagemaker.capabilities.multi-models="true"']
# Comment lines, by the kind of instruction they precede.
COMMENTS = {
    "RUN": ["Install the system packages needed to build the Python wheels below",
            "Build the CUDA extensions from source; there are no wheels for this torch version",
            "Download the model weights at build time so the container starts quickly",
            "Create a non-root user to run the server", "Install uv and make it available on PATH",
            "TODO: remove once upstream publishes wheels for CUDA 12", "Clean up the apt cache to keep the image small",
            "libgl1 and libglib2.0-0 are needed by opencv-python",
            "flash-attn needs torch to be installed before it can be built",
            "Work around a missing libcuda.so symlink in the base image",
            "The base image ships an old pip that cannot resolve the extras"],
    "COPY": ["Copy the application code last, it changes most often",
             "Install Python dependencies first so that this layer is cached between builds",
             "Bring in the virtual environment built in the previous stage"],
    "ENV": ["Set the CUDA architectures to build for (Ampere, Ada and Hopper)",
            "Keep the Hugging Face cache on a volume so it survives restarts",
            "Set up a virtual environment and put it first on PATH"],
    "FROM": ["Runtime image: only what is needed to serve the model",
             "Builder stage: compilers and headers live here only", "Base image with CUDA and cuDNN"],
    "other": ["Expose the HTTP port used by the inference server", "Pin versions for reproducibility",
              "Build arguments, override with --build-arg", "Run as an unprivileged user"],
}
LICENSE = ["Copyright (c) 2024, The Authors. All rights reserved.", "",
           'Licensed under the Apache License, Version 2.0 (the "License");',
           "you may not use this file except in compliance with the License.",
           "You may obtain a copy of the License at", "", "    http://www.apache.org/licenses/LICENSE-2.0", "",
           "Unless required by applicable law or agreed to in writing, software",
           'distributed under the License is distributed on an "AS IS" BASIS,',
           "WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.",
           "See the License for the specific language governing permissions and",
           "limitations under the License."]
STAGE_NAMES = ["base", "builder", "build", "deps", "dev", "runtime", "final", "prod", "wheels", "server"]
PATHS = ["/app", "/workspace", "/opt/app", "/srv", "/home/user/app", "/code", "/opt/ml/code"]


def _weighted(rng: random.Random, table: dict[K, float]) -> K:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _poisson(rng: random.Random, mean: float) -> int:
    n, p, limit = 0, 1.0, math.exp(-mean)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def _stratified(rng: random.Random, table: dict, n: int) -> list[int]:
    """n draws that follow `table` closely (one per quantile), in random order."""
    values = sorted(v for v, weight in table.items() for _ in range(weight))
    picks = [values[int((i + rng.random()) * len(values) / n)] for i in range(n)]
    rng.shuffle(picks)
    return picks


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _ver(rng: random.Random) -> str:
    return f"{rng.randint(0, 4)}.{rng.randint(0, 40)}.{rng.randint(0, 12)}"


def _fill(rng: random.Random, text: str) -> str:
    """Fill {cuda} {repo} {name} {v} placeholders."""
    return text.format(cuda=rng.choice(CUDA), repo=rng.choice(REPOS), name=rng.choice(TOOLS), v=_ver(rng))


def _spec(rng: random.Random, name: str, pinned: float = 0.35) -> str:
    """A requirement: an exact pin with probability `pinned`, else a range or the bare name."""
    if rng.random() < pinned:
        return f"{name}=={_ver(rng)}"
    return rng.choice([name, name, f"{name}>={_ver(rng)}", f"{name}<{rng.randint(1, 5)}",
                       f"{name}~={rng.randint(0, 3)}.{rng.randint(0, 9)}"])


def _word(rng: random.Random, spec: str) -> str:
    """A requirement on a shell line: quoted where the shell would see a redirect or glob, as real files mostly do."""
    return f'"{spec}"' if re.search(r"[<>\[]", spec) and rng.random() < 0.9 else spec


def _few(rng: random.Random, mean: float, cap: int, bulk: float = 0.0) -> int:
    """A small count, mostly 1 to mean, now and then up to cap; with probability bulk, a long list."""
    if rng.random() < bulk:
        return rng.randint(cap // 3, cap)
    return min(cap, 1 + int(rng.expovariate(1 / mean)))


def _listed(rng: random.Random, words: list[str]) -> str:
    """A word list on one line, or one per continued line."""
    if len(words) > 4 and rng.random() < 0.65:
        return " \\\n        ".join(words)
    return " ".join(words)


# --- Shell recipes: each returns up to m commands (at least one); longer RUNs and a larger size get
# longer package lists -----------------------------------------------------------------------------

def _apt(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    pkgs = rng.sample(APT, _few(rng, (2 + min(m, 6)) * size, 40, bulk=0.06 * size))
    pkgs += rng.sample(APT_PINS, rng.choice([0, 0, 0, 0, 1, 2]))
    tool = rng.choice(["apt-get", "apt-get", "apt"])
    install = f"{tool} install -y {rng.choice(['--no-install-recommends ', ''])}{_listed(rng, pkgs)}"
    cmds = [f"{tool} update", install, "rm -rf /var/lib/apt/lists/*", f"{tool} clean",
            "apt-get autoremove -y", "rm -rf /tmp/* /var/tmp/*"]
    return [install] if m == 1 else cmds[:m]


def _pip(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    out = []
    for _ in range(min(m, rng.choice([1, 1, 2, 3]))):
        tool = rng.choice(PIP_TOOLS)
        names = rng.sample(PIP, _few(rng, (1.2 + min(m, 4) * 0.7) * size, 30, bulk=0.05 * size))
        pkgs = [_word(rng, _spec(rng, name)) for name in names]
        if rng.random() < 0.06:
            pkgs.append(f"git+https://github.com/{rng.choice(REPOS)}.git@{_sha(rng)}")
        if rng.random() < 0.1:
            pkgs.append(f"{rng.choice(['--extra-index-url', '--index-url'])} {rng.choice(INDEX)}")
        out.append(f"{tool} {_listed(rng, pkgs)}")
    if m >= 2 and rng.random() < 0.5:
        out[0] = "pip install --upgrade pip setuptools wheel"
    return out


def _uv(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    pkgs = " ".join(_word(rng, _spec(rng, name)) for name in rng.sample(PIP, _few(rng, 2 * size, 12)))
    cmds = ["uv venv --python ${PYTHON_VERSION} --seed ${VIRTUAL_ENV}",
            (f"uv pip install --system --no-cache --index-strategy unsafe-best-match --extra-index-url "
             f"{rng.choice(INDEX)} {pkgs}"),
            "uv sync --frozen --no-dev --no-install-project --extra cu124 --link-mode copy",
            "uv pip compile pyproject.toml --extra serve -o /tmp/requirements.lock",
            "uv pip install --system --no-deps -r /tmp/requirements.lock", "uv cache clean"]
    return cmds[rng.choice([0, 1, 2]):][:m]


# Build steps after a clone: pip, CMake (most common in the real corpus) or make.
BUILDS = [["pip install --no-build-isolation -v .", "python setup.py install"],
          [("cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DBUILD_TESTING=OFF "
            "-DCMAKE_CUDA_ARCHITECTURES=\"80;86;90\" -DCMAKE_INSTALL_PREFIX=/usr/local"),
           "cmake --build build --config Release -j$(nproc)", "cmake --install build --prefix /usr/local"],
          ["make -j$(nproc)", "make install", "ldconfig"]]


def _source_build(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    repo = rng.choice(REPOS)
    name = repo.split("/")[1]
    where = rng.choice(["/opt", "/tmp", "/workspace"])
    clone = f"git clone {rng.choice(['--depth 1 ', '--recursive ', ''])}https://github.com/{repo}.git {where}/{name}"
    build = rng.choices(BUILDS, weights=[1, 2, 1])[0]
    cmds = [clone, f"cd {where}/{name}", f"git checkout {_sha(rng)}", *build, "cd /", f"rm -rf {where}/{name}"]
    return cmds[:m]


def _download(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    url, tool = _fill(rng, rng.choice(DOWNLOADS)), rng.choice(TOOLS)
    if rng.random() < 0.4:
        cmds = [rng.choice([f"curl -fsSL {url} | tar -xz -C /usr/local/bin", f"wget -qO- {url} | tar xzf - -C /opt",
                            "curl -LsSf https://astral.sh/uv/install.sh | sh",
                            "curl -sSL https://install.python-poetry.org | python3 -"])]
    else:
        dest = f"/tmp/{tool}.tar.gz"
        fetch = [f"curl -fsSL -o {dest} {url}", f"wget -q {url} -O {dest}", f"curl -L --retry 5 {url} -o {dest}"]
        cmds = [rng.choice(fetch),
                f"tar -xzf {dest} -C /opt", f"rm -f {dest}"]
    cmds += [f"chmod +x /usr/local/bin/{tool}", f"ln -sf /opt/{tool}/bin/{tool} /usr/local/bin/{tool}",
             f"{tool} --version"]
    return cmds[:m]


def _user(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    user, home = rng.choice(["user", "appuser", "mluser", "${USERNAME}"]), rng.choice(PATHS)
    cmds = [f"useradd -m -u {rng.choice(['1000', '${USER_UID}'])} -s /bin/bash {user}", f"mkdir -p {home} /data",
            f"chown -R {user}:{user} {home} /data", f"echo \"{user} ALL=(ALL) NOPASSWD:ALL\" >> /etc/sudoers",
            "chmod 0440 /etc/sudoers"]
    if rng.random() < 0.4:
        cmds.insert(0, f"groupadd --gid {rng.choice(['1000', '${USER_GID}'])} {user}")
    return cmds[:m]


def _files(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    path = rng.choice(PATHS)
    pool = [f"mkdir -p {path}/models {path}/logs", "chmod +x /entrypoint.sh", "ln -s /usr/bin/python3 /usr/bin/python",
            "sed -i 's/^#\\s*\\(en_US.UTF-8\\)/\\1/' /etc/locale.gen", "locale-gen", f"mkdir {path}",
            "echo 'export PATH=/opt/conda/bin:$PATH' >> ~/.bashrc", f"cp -r {path}/configs /etc/app",
            f"find {path} -name '*.pyc' -delete", "touch /var/log/app.log", f"mv /tmp/build/*.whl {path}/wheels/",
            "update-alternatives --install /usr/bin/python python /usr/bin/python3.10 1", "./build.sh",
            "ldconfig", "git config --global --add safe.directory '*'", "export TORCH_CUDA_ARCH_LIST=\"8.0;8.6;9.0\"",
            f"cd {path}", "cd /tmp", "bash scripts/install_deps.sh", ". /opt/conda/etc/profile.d/conda.sh",
            "cargo build --release --locked", "unzip -q /tmp/weights.zip -d /models", "test -f /app/config.yaml",
            "VERSION=$(grep -m1 '^version' pyproject.toml | cut -d'\"' -f2)", f"cp -r /tmp/src/* {path}/",
            f"echo \"{rng.choice(TOOLS)} installed\" > /etc/motd", "chmod -R a+rwX /models",
            "chmod +x /usr/local/bin/docker-entrypoint.sh /usr/local/bin/healthcheck.sh",
            f"cp -r /opt/src/configs/* /etc/inference/ && cp /opt/src/scripts/*.sh {path}/bin/",
            "export CMAKE_ARGS=\"-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH_LIST}\"",
            "export LD_LIBRARY_PATH=/usr/local/cuda/lib64/stubs:${LD_LIBRARY_PATH}",
            "ln -sf /usr/local/cuda/lib64/stubs/libcuda.so /usr/local/cuda/lib64/stubs/libcuda.so.1"]
    return rng.sample(pool, min(m, len(pool)))


def _conda(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    pkgs = rng.sample(CONDA, _few(rng, 3 * size, 10))
    tool = rng.choice(["conda", "mamba", "/opt/conda/bin/conda"])
    cmds = [f"{tool} install -y -c conda-forge -c nvidia {_listed(rng, pkgs)}",
            "conda clean -afy", "conda init bash", "echo \"conda activate base\" >> ~/.bashrc"]
    if m >= 3 and rng.random() < 0.5:
        cmds = ["bash /tmp/miniconda.sh -b -p /opt/conda", "rm /tmp/miniconda.sh", *cmds]
    return cmds[:m]


def _python(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    pool = ["python3 -m venv /opt/venv",
            "python -c \"import torch; print(torch.__version__, torch.cuda.is_available())\"",
            (f"python -c \"from huggingface_hub import snapshot_download; snapshot_download('{rng.choice(REPOS)}', "
             "local_dir='/models')\""), "python download.py --output /models", "python -m compileall -q /app",
            "uv venv --python ${PYTHON_VERSION} --seed ${VIRTUAL_ENV}", "pip install -e .",
            "uv sync --frozen --no-dev --no-install-project --extra gpu --link-mode copy",
            "poetry config virtualenvs.create false", "poetry install --no-interaction --no-root --only main",
            "MAX_JOBS=4 pip install flash-attn --no-build-isolation", "pip install --upgrade pip",
            "python3 -m pip install --no-cache-dir -e '.[serve,metrics]'",
            "python3 -m nltk.downloader -d /usr/share/nltk_data punkt stopwords wordnet",
            "python3 -c \"import nltk, spacy; spacy.cli.download('en_core_web_sm')\""]
    return rng.sample(pool, min(m, len(pool)))


def _apt_repo(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    key = "/usr/share/keyrings/cuda-archive-keyring.gpg"
    repo = "https://developer.download.nvidia.com/compute/cuda/repos"
    cmds = ["add-apt-repository -y ppa:deadsnakes/ppa",
            f"curl -fsSL {repo}/ubuntu2204/x86_64/3bf863cc.pub | gpg --dearmor -o {key}",
            f"echo \"deb [signed-by={key}] {repo}/ubuntu2204/x86_64/ /\" > /etc/apt/sources.list.d/cuda.list",
            "apt-get update", "apt-get install -y --no-install-recommends python3.10 python3.10-dev python3.10-venv"]
    return cmds[:m]


def _conditional(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    """A for loop or short if (2 commands), or an if/then/else whose branches hold other recipes."""
    if m <= 2:
        return [rng.choice([f"for pkg in {' '.join(rng.sample(PIP, 3))}; do pip install --no-deps \"$pkg\"; done",
                            "if [ -f requirements-dev.txt ]; then pip install -r requirements-dev.txt; fi"])]
    test = rng.choice(['"$TARGETARCH" = "arm64"', '"${INSTALL_DEV}" = "true"', '-n "$GIT_SHA"',
                       '"$BUILD_TYPE" = "debug"', '"$(uname -m)" = "x86_64"', '-z "${CUDA_VERSION}"'])
    branch = lambda n: " && \\\n        ".join(_weighted(rng, BRANCH)(rng, n, size))
    then = rng.randint(1, m - 1)
    text = f"if [ {test} ]; then \\\n        {branch(then)}; \\\n"
    if m - 1 > then:
        text += f"    else \\\n        {branch(m - 1 - then)}; \\\n"
    return [text + "    fi"]


def _short(rng: random.Random, m: int, size: float = 1.0) -> list[str]:
    """One short command, the kind many RUNs hold alone."""
    return [rng.choice(["mkdir -p /data", "pip install -e .", "apt-get update", "chmod +x start.sh", "ldconfig",
                        "pip install --upgrade pip", "python setup.py develop", "make", "./build.sh", "uv sync",
                        "pip uninstall -y triton", "git lfs install", "conda init bash", "rm -rf /root/.cache",
                        f"pip install {rng.choice(PIP)}", f"mkdir {rng.choice(PATHS)}", "npm ci"])]


# Weights chosen so that the first words of commands follow the real corpus (apt-get 13%, pip 11%, rm 7%,
# uv 5%, cd 4%, if/then/else 8%, mkdir 3%, git 2.5%, ...).
RECIPES = {_apt: 20, _pip: 6, _uv: 4, _short: 4, _source_build: 7, _download: 9, _user: 5, _files: 20,
           _conda: 2, _python: 6, _apt_repo: 3, _conditional: 20}
# A RUN of a single command is mostly a short pip install or a file operation.
SINGLE = {_short: 25, _pip: 14, _files: 22, _python: 12, _apt: 8, _source_build: 4, _download: 4, _user: 1}
BRANCH = {_apt: 3, _pip: 1, _uv: 1, _files: 3, _download: 2, _source_build: 2}  # inside if/else
SPLIT = re.compile(r"&&|\|\||;|\||\n")


# --- RUN instructions ---------------------------------------------------------------------------------

def _count(cmd: str) -> int:
    """Commands in a shell string, counted (roughly) as corpus_stats.py does."""
    segments = SPLIT.split(cmd.replace("\\\n", " "))
    return sum(1 for seg in segments if seg.strip() not in ("", "fi", "done", "then", "else"))


def _commands(rng: random.Random, k: int, size: float = 1.0) -> list[str]:
    """About k shell commands drawn from recipes."""
    cmds: list[str] = []
    table = SINGLE if k == 1 else RECIPES
    while sum(map(_count, cmds)) < k:
        left = k - sum(map(_count, cmds))
        cmds += _weighted(rng, table)(rng, left, size)
    while len(cmds) > 1 and sum(map(_count, cmds)) > k:
        cmds.pop()
    return cmds


def _mount(rng: random.Random) -> str:
    target = rng.choice(["/root/.cache/pip", "/root/.cache/uv", "/var/cache/apt", "/root/.cache/ccache"])
    return f"--mount=type=cache,target={target}"


def run(rng: random.Random, k: int, size: float = 1.0, heredoc: bool = False) -> str:
    """A RUN instruction holding k shell commands."""
    cmds = _commands(rng, k, size)
    if heredoc:
        return "RUN <<EOF\nset -ex\n" + "\n".join(c.replace(" \\\n        ", " ") for c in cmds) + "\nEOF"
    return _layout(rng, cmds)


def _layout(rng: random.Random, cmds: list[str]) -> str:
    """RUN text for these commands, laid out the ways real files do."""
    head = "RUN " + (_mount(rng) + " \\\n    " if rng.random() < P_MOUNT else "")
    if len(cmds) == 1:
        if rng.random() < P_EXEC and not re.search(r'["\\]', cmds[0]):
            return f'RUN ["/bin/bash", "-c", "{cmds[0]}"]'
        return head + cmds[0]
    style = rng.random()
    if len(" && ".join(cmds)) < 110 and style < (0.5 if len(cmds) == 2 else 0.25):
        return head + " && ".join(cmds)
    if style < 0.7:
        return head + " \\\n    && ".join(cmds)
    if style < 0.9:
        return head + " && \\\n    ".join(cmds)
    return head + "set -eux; \\\n    " + "; \\\n    ".join(cmds)


# --- Other instructions -------------------------------------------------------------------------------

def env(rng: random.Random, terse: bool = False) -> str:
    pairs = rng.sample(ENVS, 1 if terse else rng.choice([1, 1, 1, 1, 1, 1, 2, 2, 3]))
    if len(pairs) == 1 and rng.random() < 0.15:
        return "ENV " + pairs[0].replace("=", " ", 1)  # legacy `ENV KEY value`
    return "ENV " + (" \\\n    " if len(pairs) > 2 else " ").join(pairs)


def arg(rng: random.Random) -> str:
    return "ARG " + _fill(rng, rng.choice(ARGS))


def copy(rng: random.Random, stages: list[str]) -> str:
    path = rng.choice(PATHS)
    options = [f"COPY . {path}", "COPY . .", f"COPY src/ {path}/src/",
               "COPY docker/entrypoint.sh /usr/local/bin/entrypoint.sh",
               f"COPY --chown=1000:1000 configs/ {path}/configs/",
               "COPY scripts/start_server.sh /usr/local/bin/start_server.sh",
               f"COPY pyproject.toml setup.py README.md {path}/",
               "COPY config/model_config.yaml /etc/inference/config.yaml",
               f"COPY server/model_server/ {path}/model_server/",
               f"COPY --chmod=755 scripts/download_weights.py {path}/"]
    if stages:
        src = rng.choice(["/opt/venv", "/workspace/dist", "/usr/local/lib/python3.10/dist-packages", "/opt/conda",
                          "/app/build/bin", "/usr/local/cuda/lib64/stubs", "/root/.cache/pip/wheels"])
        options += [f"COPY --from={rng.choice(stages)} {src} {src}"] * 4
    return rng.choice(options)


def label(rng: random.Random) -> str:
    return "LABEL " + _fill(rng, rng.choice(LABELS))


def tail(rng: random.Random, kind: str) -> str:
    """Instructions that appear once or so per file."""
    path = rng.choice(PATHS)
    return {
        "ENTRYPOINT": rng.choice(['ENTRYPOINT ["/entrypoint.sh"]', 'ENTRYPOINT ["python", "-m", "server"]',
                                  'ENTRYPOINT ["/usr/bin/tini", "--"]', 'ENTRYPOINT [ "/app/llama-server" ]']),
        "CMD": rng.choice(['CMD ["/bin/bash"]', 'CMD ["python", "app.py"]', "CMD python -u main.py --host 0.0.0.0",
                           'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]', 'CMD ["serve"]']),
        "EXPOSE": f"EXPOSE {rng.choice(['8000', '8080', '7860', '5000', '8888', '8500 8501'])}",
        "USER": f"USER {rng.choice(['1000', 'user', 'appuser', '${USERNAME}'])}",
        "SHELL": rng.choice(['SHELL ["/bin/bash", "-o", "pipefail", "-c"]', 'SHELL ["/bin/bash", "-c"]']),
        "ADD": f"ADD {_fill(rng, rng.choice(DOWNLOADS))} {path}/",
        "WORKDIR": f"WORKDIR {path}",
    }[kind]


# --- Requirement files ----------------------------------------------------------------------------------

def _req_line(rng: random.Random) -> str:
    """One line of a requirements file: a fifth are comments, half the requirements exact pins."""
    roll = rng.random()
    if roll < 0.2:
        return "# " + rng.choice(COMMENTS["other"] + COMMENTS["RUN"])
    if roll < 0.22:
        return f"--extra-index-url {rng.choice(INDEX)}"
    if roll < 0.24:
        return f"git+https://github.com/{rng.choice(REPOS)}.git@{_sha(rng)}"
    line = _spec(rng, rng.choice(PIP), pinned=0.5)
    if rng.random() < 0.1:
        line += rng.choice(['; python_version >= "3.9"', "; platform_machine == 'x86_64'", "  # pinned for CUDA 12"])
    return line


def requirements_txt(rng: random.Random, lines: int) -> str:
    return "\n".join(_req_line(rng) for _ in range(lines)) + "\n"


def pyproject(rng: random.Random, lines: int) -> str:
    head = ["[project]", f'name = "{rng.choice(TOOLS)}-service"', f'version = "{_ver(rng)}"',
            'requires-python = ">=3.10"', "dependencies = ["]
    deps = [f'    "{_spec(rng, rng.choice(PIP), pinned=0.5)}",' for _ in range(max(1, lines - len(head) - 4))]
    return "\n".join(head + deps + ["]", "", "[build-system]", 'requires = ["setuptools>=68"]']) + "\n"


def environment_yml(rng: random.Random, lines: int) -> str:
    head = ["name: ml", "channels:", "  - pytorch", "  - nvidia", "  - conda-forge", "dependencies:",
            "  - python=3.10", "  - pip", "  - pip:"]
    deps = [f"    - {_spec(rng, rng.choice(PIP), pinned=0.5)}" for _ in range(max(1, lines - len(head)))]
    return "\n".join(head + deps) + "\n"


REQ_NAMES = ["requirements.txt", "requirements-dev.txt", "requirements/base.txt", "requirements/cuda.txt",
             "requirements_common.txt", "docker/requirements.txt", "requirements-serve.txt"]


def requirement_files(rng: random.Random, line_counts: list[int]) -> dict[str, str]:
    """Requirement files (name: text) for one Dockerfile, one per line count."""
    files: dict[str, str] = {}
    for lines in line_counts:
        if lines >= 40 and rng.random() < 0.1 and "environment.yml" not in files:
            files["environment.yml"] = environment_yml(rng, lines)
        elif lines >= 20 and rng.random() < 0.2 and "pyproject.toml" not in files:
            files["pyproject.toml"] = pyproject(rng, lines)
        else:
            free = [n for n in REQ_NAMES if n not in files]
            name = REQ_NAMES[0] if not files and rng.random() < 0.8 else rng.choice(free)
            files[name] = requirements_txt(rng, lines)
    return files


def install(rng: random.Random, files: dict[str, str], k: int, size: float = 1.0) -> list[str]:
    """COPY of the requirement files and a RUN of about k commands that installs them."""
    path = rng.choice([".", ".", *PATHS])
    top, nested = [n for n in files if "/" not in n], [n for n in files if "/" in n]
    copies = [f"COPY {' '.join(top)} {path}/"] * bool(top) + [f"COPY {n} {path}/{n}" for n in nested]
    cmds = []
    for name in files:
        if name == "environment.yml":
            cmds += [f"conda env create -f {path}/environment.yml", "conda clean -afy"]
        elif name == "pyproject.toml":
            cmds.append(rng.choice([f"pip install --no-cache-dir {path}", "uv sync --frozen --no-dev",
                                    "poetry install --no-interaction --no-root"]))
        else:
            tool = rng.choice(["pip install", "pip install --no-cache-dir", "pip3 install", "uv pip install --system"])
            cmds.append(f"{tool} -r {name if path == '.' else f'{path}/{name}'}")
    cmds = (_commands(rng, k - len(cmds), size) if k > len(cmds) else []) + cmds
    return [*copies, _layout(rng, cmds)]


# --- Dockerfiles ----------------------------------------------------------------------------------------

def _group(runs: int) -> dict:
    return next(group for limit, group in GROUPS if runs <= limit)


def _plans(rng: random.Random, count: int) -> list[dict]:
    """Per file: RUN count, FROM count, commands per RUN, rate scale, heredocs and requirement file
    lengths, each drawn stratified (per size group) over the whole corpus so that any seed
    reproduces the measurements."""
    runs = _stratified(rng, RUNS_PER_FILE, count)
    plans = [{"runs": n, "commands": []} for n in runs]
    for (_, group), shape in zip(GROUPS, RATE_SHAPES):
        members = [plan for plan in plans if _group(plan["runs"]) is group]
        commands = iter(_stratified(rng, group["commands"], sum(plan["runs"] for plan in members)))
        scales = [rng.gammavariate(shape, 1 / shape) for _ in members]
        norm = sum(plan["runs"] for plan in members) / sum(p["runs"] * x for p, x in zip(members, scales))
        for plan, stages, scale in zip(members, _stratified(rng, group["stages"], len(members)), scales):
            plan["stages"], plan["scale"] = stages, scale * norm  # the group's totals stay as measured
            plan["commands"] = [next(commands) for _ in range(plan["runs"])]
    heredocs = set(rng.sample(range(count), round(P_HEREDOC_FILE * count)))
    for i, plan in enumerate(plans):
        plan["heredoc"] = i in heredocs
    installs = set(rng.sample(range(count), round(P_REQUIREMENTS * count)))
    reqs = [rng.choice([1] * 16 + [2] * 3 + [3]) if i in installs else 0 for i in range(count)]
    lines = iter(_stratified(rng, {n: REQ_LINES.count(n) for n in set(REQ_LINES)}, sum(reqs)))
    for plan, n in zip(plans, reqs):
        plan["req_lines"] = [next(lines) for _ in range(n)]
    return plans


def _style(rng: random.Random, runs: int, heredoc: bool) -> dict:
    """How a file is written: small files are often terse (one-line RUNs, short lists, no comments).
    Set so that files without continuation lines are 55%, 13%, 5% of small, middle and large files
    and files without comments 57%, 25%, 3%, as measured."""
    terse = rng.random() < max(0.02, 0.65 - 0.1 * runs)
    commented = not terse and rng.random() < min(0.97, 0.25 + 0.1 * runs)
    comments = rng.choice([0.1, 0.2, 0.35, 0.5]) if commented else 0
    return {"terse": terse, "size": 0.5 if terse else 1.0, "comments": comments, "heredoc": heredoc}


def _counts(rng: random.Random, runs: int, scale: float, install: bool) -> dict[str, int]:
    """How many instructions of each kind besides FROM; INSTALL (a COPY and a RUN) counts as one of each."""
    counts = {kind: _poisson(rng, rate * runs * scale) for kind, rate in _group(runs)["per_run"].items()}
    counts["RUN"], counts["INSTALL"] = runs - install, int(install)
    counts["COPY"] = max(0, counts["COPY"] - install)
    return counts


# Where each kind goes in a stage: (earliest, spread) of a random position in [0, 1].
ORDER = {"LABEL": (0.0, 0.4), "SHELL": (0.05, 0.3), "ARG": (0.05, 0.7), "ENV": (0.1, 0.7), "WORKDIR": (0.1, 0.7),
         "RUN": (0.15, 0.7), "COPY": (0.15, 0.7), "ADD": (0.15, 0.7), "INSTALL": (0.15, 0.7), "USER": (0.85, 0.05),
         "EXPOSE": (0.9, 0.05), "ENTRYPOINT": (0.96, 0.01), "CMD": (0.98, 0.01)}
LAST = ("USER", "EXPOSE", "ENTRYPOINT", "CMD")  # in the last stage, or in the last few when repeated


def _body(rng: random.Random, counts: dict[str, int], stages: int) -> list[list[str]]:
    """The kinds of instructions in each stage, in a typical order."""
    per_stage: list[list[str]] = [[] for _ in range(stages)]
    for kind, n in counts.items():
        for j in range(n):
            per_stage[stages - 1 - j % stages if kind in LAST else rng.randrange(stages)].append(kind)
    place = lambda kind: ORDER[kind][0] + rng.random() * ORDER[kind][1]
    return [sorted(kinds, key=place) for kinds in per_stage]


def _comment(rng: random.Random, style: dict, kind: str) -> list[str]:
    """Comment lines before an instruction, as often as this file comments."""
    if rng.random() >= style["comments"]:
        return []
    pool = COMMENTS.get("RUN" if kind == "INSTALL" else kind, COMMENTS["other"])
    return [f"# {c}" for c in rng.sample(pool, min(len(pool), rng.choice([1, 1, 1, 2, 3])))]


def _preamble(rng: random.Random, runs: int, style: dict, global_args: int) -> list[str]:
    """Syntax line, license header and the ARGs before the first FROM."""
    out = ["# syntax=docker/dockerfile:1"] if rng.random() < P_SYNTAX else []
    if style["comments"] and rng.random() < min(0.25, 0.1 + 0.01 * runs) / 0.7:  # ~70% of files comment
        out += [f"# {line}".rstrip() for line in LICENSE]
    if global_args:
        out += ["ARG BASE_IMAGE=" + _fill(rng, rng.choice(BASES))] + [arg(rng) for _ in range(global_args - 1)]
    return out


def _stage_name(i: int) -> str:
    return STAGE_NAMES[i % len(STAGE_NAMES)] + str(i // len(STAGE_NAMES) or "")


def _from(rng: random.Random, i: int, stages: int, base_arg: bool) -> str:
    image = "${BASE_IMAGE}" if base_arg and i == 0 else _fill(rng, rng.choice(BASES))
    if i and rng.random() < 0.5:
        image = _stage_name(rng.randrange(i))
    if stages == 1:
        return f"FROM {image}"
    return f"FROM {image} {rng.choice(['AS', 'AS', 'as'])} {_stage_name(i)}"


def dockerfile(rng: random.Random, plan: dict, files: dict[str, str]) -> str:
    """One Dockerfile following `plan`; one of its RUNs installs the requirement `files`, if any."""
    style, stages, commands = _style(rng, plan["runs"], plan["heredoc"]), plan["stages"], iter(plan["commands"])
    counts = _counts(rng, plan["runs"], plan["scale"], bool(files))
    global_args = min(counts["ARG"], rng.choice([0, 1, 2, 3])) if stages > 1 or rng.random() < 0.3 else 0
    counts["ARG"] -= global_args
    out = _preamble(rng, plan["runs"], style, global_args)
    for i, kinds in enumerate(_body(rng, counts, stages)):
        out += [""] * bool(out) + _comment(rng, style, "FROM") + [_from(rng, i, stages, bool(global_args))]
        for kind in kinds:
            lead = [""] * (rng.random() < 0.45) + _comment(rng, style, kind)
            if kind == "RUN":
                first = not any(line.startswith("RUN <<") for line in out)
                heredoc = style["heredoc"] and (first or rng.random() < 0.4)
                out += lead + [run(rng, next(commands), style["size"], heredoc)] + [""] * heredoc  # as real files do
            elif kind == "INSTALL":
                out += lead + install(rng, files, next(commands), style["size"])
            else:
                out += lead + [_instruction(rng, kind, [_stage_name(j) for j in range(i)], style["terse"])]
    text = "\n".join(out) + "\n"
    return re.sub(r"[ \t]*\\\n[ \t]*", " ", text) if style["terse"] else text


def _instruction(rng: random.Random, kind: str, earlier: list[str], terse: bool) -> str:
    """One instruction other than FROM and RUN."""
    if kind == "COPY":
        return copy(rng, earlier)
    if kind == "ENV":
        return env(rng, terse)
    make = {"ARG": arg, "LABEL": label}.get(kind)
    return make(rng) if make else tail(rng, kind)


def generate(out: Path, count: int = 147, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i, plan in enumerate(_plans(rng, count)):
        folder = out / f"repo{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        files = requirement_files(rng, plan["req_lines"])
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        path = folder / "Dockerfile"
        path.write_text(dockerfile(rng, plan, files))
        paths.append(path)
    return paths


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=147)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for p in generate(args.out, args.count, args.seed):
        print(p)
