"""Generate a corpus of ML Dockerfiles shaped like real ones, so benchmarks run from a clone alone.

The shape follows the 147 real ML Dockerfiles we studied: about 76 lines and 8 RUN instructions
a file, CUDA and Python bases, multi-stage builds, apt/pip/uv/conda installs with continuation
lines, heredocs, requirement files next to them. Deterministic for a given seed.

    python benchmarks/synth_corpus.py OUT_DIR [--count 147] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

BASES = [
    "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04", "nvidia/cuda:12.4.1-devel-ubuntu22.04",
    "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime", "python:3.11-slim", "python:3.10",
    "nvcr.io/nvidia/pytorch:24.05-py3", "ubuntu:22.04", "continuumio/miniconda3:24.4.0-0",
    "tensorflow/tensorflow:2.15.0-gpu",
]
APT = ["git", "curl", "wget", "build-essential", "libgl1", "libglib2.0-0", "ffmpeg", "vim", "cmake",
       "python3-dev", "libsm6", "libxext6", "ninja-build", "openssh-client", "ca-certificates"]
PIP = ["torch", "torchvision", "transformers", "accelerate", "datasets", "numpy", "scipy", "pandas",
       "fastapi", "uvicorn[standard]", "einops", "sentencepiece", "safetensors", "peft", "bitsandbytes",
       "xformers", "onnxruntime-gpu", "jupyterlab", "pytest", "black", "wandb", "deepspeed", "vllm"]
CONDA = ["numpy", "scipy", "faiss-gpu", "pytorch", "cudatoolkit=11.8", "mkl", "pillow=10.3.0"]


def _spec(rng: random.Random, name: str) -> str:
    return rng.choice([name, f"{name}==1.{rng.randint(0, 30)}.{rng.randint(0, 9)}", f"'{name}>=1.{rng.randint(0, 9)}'",
                       f"{name}~=2.{rng.randint(0, 5)}"])


def _continued(head: str, items: list[str], tail: str = "") -> str:
    lines = [head + " \\"] + [f"        {item} \\" for item in items[:-1]] + [f"        {items[-1]}" + tail]
    return "\n".join(lines)


def _run_block(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        pkgs = rng.sample(APT, rng.randint(3, 9))
        return _continued("RUN apt-get update && apt-get install -y --no-install-recommends", pkgs,
                          " \\\n    && rm -rf /var/lib/apt/lists/*")
    if kind == 1:
        pkgs = [_spec(rng, p) for p in rng.sample(PIP, rng.randint(2, 8))]
        return _continued("RUN pip install --no-cache-dir", pkgs)
    if kind == 2:
        return ("RUN --mount=type=cache,target=/root/.cache/uv \\\n"
                "    uv pip install --system -r requirements.txt")
    if kind == 3:
        return _continued("RUN conda install -y -c conda-forge", rng.sample(CONDA, rng.randint(2, 5)),
                          " && conda clean -afy")
    if kind == 4:
        return ("RUN <<EOF\nset -eux\npip install --no-cache-dir " + " ".join(rng.sample(PIP, 3)) +
                "\npython -c 'import torch; print(torch.__version__)'\nEOF")
    if kind == 5:
        return ("RUN git clone --depth 1 https://github.com/org/repo.git /opt/repo && \\\n"
                "    cd /opt/repo && pip install -e . && \\\n    rm -rf .git")
    return "RUN curl -fsSL https://example.com/install.sh | bash && echo done"


def dockerfile(rng: random.Random) -> str:
    out = ["# syntax=docker/dockerfile:1.7", f"ARG BASE={rng.choice(BASES)}"]
    stages = rng.choice([1, 1, 2, 3])
    for stage in range(stages):
        name = "runtime" if stage == stages - 1 else f"build{stage}"
        out.append(f"FROM ${{BASE}} AS {name}" if stage == 0 else f"FROM {rng.choice(BASES)} AS {name}")
        out += ["ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1", "WORKDIR /app",
                "COPY requirements.txt ."]
        for _ in range(rng.randint(3, 7)):
            out.append("")
            out.append(_run_block(rng))
        if stage:
            out.append(f"COPY --from=build{stage - 1} /opt /opt")
    out += ["COPY . .", "EXPOSE 8000", 'CMD ["python", "-m", "server"]']
    return "\n".join(out) + "\n"


def requirements(rng: random.Random) -> str:
    return "\n".join(_spec(rng, p).strip("'") for p in rng.sample(PIP, rng.randint(4, 12))) + "\n"


def generate(out: Path, count: int = 147, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        folder = out / f"repo{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "requirements.txt").write_text(requirements(rng))
        path = folder / "Dockerfile"
        path.write_text(dockerfile(rng))
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
