"""Size checks, statically: caches, apt, conda, CUDA -devel, chown copies, late deletes, ADD of URLs,
baked weights, PyTorch wheels on a CUDA base. Only the shipped stages count."""

from mllint.model import Span
from mllint.rules import match_ids

from .conftest import lint

SIZE = frozenset(match_ids(["ML3"], what="test"))


def run(tmp_path, files, **options):
    options.setdefault("select", SIZE)
    findings, errors = lint(tmp_path, files, **options)
    assert not errors
    return [(f.rule, f.span) for f in findings], findings


def test_pip_cache_reported_in_shipped_stage_only(tmp_path):
    df = ("FROM python:3.11.9-slim AS build\n"
          "RUN pip install --prefix=/install torch==2.3.1\n"
          "FROM python:3.11.9-slim\n"
          "COPY --from=build /install /usr/local\n"
          "RUN python -m pip install numpy==1.26.4\n")
    got, findings = run(tmp_path, df)
    assert got == [("ML301", Span(5, 5, 5, 26))]
    assert "--no-cache-dir" in findings[0].message and findings[0].severity == "warning"
    got, _ = run(tmp_path, df, target="build")
    assert got == [("ML301", Span(2, 5, 2, 16))]


def test_pip_cache_exemptions(tmp_path):
    for df in ("FROM python:3.11.9-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install numpy==1.26.4\n",
               "FROM python:3.11.9-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install numpy==1.26.4\n",
               "FROM python:3.11.9-slim\nRUN pip install numpy==1.26.4 && pip cache purge\n",
               "FROM python:3.11.9-slim\nENV UV_NO_CACHE=1\nRUN uv pip install --system numpy==1.26.4\n",
               "FROM python:3.11.9-slim\nRUN uv pip install --no-cache --system numpy==1.26.4\n"):
        assert run(tmp_path, df)[0] == [], df
    for df in ("FROM python:3.11.9-slim\nRUN --mount=type=cache,target=/var/cache/apt pip install numpy==1.26.4\n",
               "FROM python:3.11.9-slim\nRUN pip config set global.cache-dir false\nRUN pip install numpy==1.26.4\n"):
        assert len(run(tmp_path, df)[0]) == (1 if "apt" in df else 0), df  # an apt cache mount is not pip's
    got, findings = run(tmp_path, "FROM python:3.11.9-slim\nRUN uv pip install --system numpy==1.26.4\n")
    assert got == [("ML301", Span(2, 5, 2, 19))] and "UV_NO_CACHE" in findings[0].message


def test_apt_recommends_and_lists(tmp_path):
    df = ("FROM ubuntu:22.04\n"
          "RUN apt-get update && apt-get install -y python3\n"
          "RUN rm -rf /var/lib/apt/lists/*\n")
    got, _ = run(tmp_path, df)
    assert got == [("ML303", Span(2, 13, 2, 19)), ("ML302", Span(2, 23, 2, 38)), ("ML307", Span(3, 12, 3, 32))]
    clean = ("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y --no-install-recommends python3 \\\n"
             "    && rm -rf /var/lib/apt/lists/*\n")
    assert run(tmp_path, clean)[0] == []
    cached = ("FROM ubuntu:22.04\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && "
              "apt-get install -y --no-install-recommends python3\n")
    assert run(tmp_path, cached)[0] == []


def test_conda_clean(tmp_path):
    got, findings = run(tmp_path, "FROM continuumio/miniconda3:24.4.0-0\nRUN mamba install -y -c conda-forge numpy=1.26.4\n")
    assert got == [("ML304", Span(2, 5, 2, 18))] and "mamba clean -afy" in findings[0].message
    assert run(tmp_path, "FROM continuumio/miniconda3:24.4.0-0\nRUN conda env create -f env.yml && conda clean -afy\n")[0] == []


def test_cuda_devel_shipped_unless_something_compiles(tmp_path):
    df = "FROM nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04\nCMD [\"python3\", \"serve.py\"]\n"
    got, findings = run(tmp_path, df)
    assert got == [("ML305", Span(1, 6, 1, 49))]
    assert "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04" in findings[0].message
    compiles = df + "RUN pip install --no-cache-dir flash-attn==2.5.9 --no-build-isolation\n"
    assert run(tmp_path, compiles)[0] == []
    assert run(tmp_path, df, profile="training")[0] == []
    multistage = ("FROM nvidia/cuda:12.1.1-devel-ubuntu22.04 AS build\nRUN nvcc -o /k k.cu\n"
                  "FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04\nCOPY --from=build /k /k\n")
    assert run(tmp_path, multistage)[0] == []


def test_copy_then_chown(tmp_path):
    df = "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY models/ models/\nRUN chown -R app:app /app && chmod -R g+w models\n"
    got, findings = run(tmp_path, df)
    assert got == [("ML306", Span(4, 22, 4, 26)), ("ML306", Span(4, 43, 4, 49))]
    assert "COPY --chown=...`" in findings[0].message and "line 3" in findings[0].message
    assert run(tmp_path, "FROM python:3.11.9-slim\nCOPY --chown=app models/ /app/models/\nRUN chown -R app /data\n")[0] == []


def test_deleted_in_later_layer(tmp_path):
    df = ("FROM python:3.11.9-slim\n"
          "RUN curl -fsSL -o /tmp/model.tar.gz https://example.com/m-1.0.tar.gz\n"
          "RUN tar -xzf /tmp/model.tar.gz -C /opt && rm /tmp/model.tar.gz\n")
    got, findings = run(tmp_path, df)
    assert got == [("ML307", Span(3, 46, 3, 63))]
    assert "the download on line 2" in findings[0].message
    same = "FROM python:3.11.9-slim\nRUN curl -fsSL -o /tmp/m.tgz https://x/m-1.tgz && tar -xzf /tmp/m.tgz && rm /tmp/m.tgz\n"
    assert run(tmp_path, same)[0] == []


def test_add_remote_archive(tmp_path):
    got, _ = run(tmp_path, "FROM python:3.11.9-slim\nADD https://example.com/trt-10.0.tar.gz /tmp/\n")
    assert got == [("ML308", Span(2, 5, 2, 40))]
    assert run(tmp_path, "FROM python:3.11.9-slim\nADD https://github.com/org/repo.git /src\n")[0] == []


def test_model_weights_downloaded_is_info_with_model_named(tmp_path):
    df = ("FROM python:3.11.9-slim\n"
          "RUN huggingface-cli download Qwen/Qwen2-7B --local-dir /m\n"
          "RUN wget -q https://example.com/weights/yolov8n.pt -O /m/yolo.pt\n"
          "RUN python -c \"from transformers import AutoModel; AutoModel.from_pretrained('bert-base-uncased')\"\n")
    got, findings = run(tmp_path, df)
    assert [g[1].line for g in got] == [2, 3, 4]
    assert all(f.rule == "ML309" and f.severity == "info" for f in findings)
    assert ["Qwen/Qwen2-7B" in findings[0].message, "yolov8n.pt" in findings[1].message,
            "bert-base-uncased" in findings[2].message] == [True, True, True]
    assert got[0][1] == Span(2, 30, 2, 43)


def test_torch_wheels_on_cudnn_runtime_base(tmp_path):
    df = "FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04\nRUN pip install --no-cache-dir torch==2.3.1\n"
    got, findings = run(tmp_path, df)
    assert got == [("ML310", Span(2, 32, 2, 44))]
    assert "3.5 GB" in findings[0].message and "nvidia-*" in findings[0].message
    files = {"Dockerfile": "FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04\nCOPY r.txt .\n"
                           "RUN pip install --no-cache-dir -r r.txt\n",
             "r.txt": "numpy==1.26.4\ntorch==2.3.1\n"}
    got, findings = run(tmp_path, files)
    assert got == [("ML310", Span(2, 1, 2, 13))] and "2.5 GB" in findings[0].message
    assert run(tmp_path, df.replace("cudnn8-runtime", "base"))[0] == []
