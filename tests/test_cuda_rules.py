"""CUDA rules (ML401–ML410): table-driven over every nvidia/cuda release line and framework table row."""

from __future__ import annotations

import pytest

from .conftest import lint

ML4 = frozenset({"ML401", "ML402", "ML403", "ML404", "ML405", "ML406", "ML407", "ML408", "ML409", "ML410"})


def rules_of(tmp_path, files, **options):
    findings, errors = lint(tmp_path, files, select=ML4, **options)
    assert not errors
    return findings


def ids(findings):
    return ",".join(f.rule for f in findings) or "-"


# (toolkit, its minimum driver, at it, just under it, just under + A100, far under it (an older
#  major's branch), far + A100 (data-center: forward compatibility if the image's clauses allow the
#  branch), far + RTX 4090 (GeForce: never forward compatibility))
BASE_TABLE = [
    ("11.0.1", "450.36.06", "-", "450.36.05", "ML401", "ML401", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.0.2", "450.51.05", "-", "450.51.04", "ML401", "ML401", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.0.3", "450.51.06", "-", "450.51.05", "ML401", "ML401", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.1.0", "455.23", "-", "455.22", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.1.1", "455.32", "-", "455.31", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.2.0", "460.27.03", "-", "460.27.02", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.2.1", "460.32.03", "-", "460.32.02", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.2.2", "460.32.03", "-", "460.32.02", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.3.0", "465.19.01", "-", "465.19.00", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.3.1", "465.19.01", "-", "465.19.00", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.4.0", "470.42.01", "-", "470.42.00", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.4.1", "470.57.02", "-", "470.57.01", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.4.2", "470.57.02", "-", "470.57.01", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.4.3", "470.82.01", "-", "470.82.00", "ML402", "ML402", "418.226.00", "ML401", "ML401", "ML401"),
    ("11.4.4", "470.82.01", "-", "470.82.00", "ML402", "ML402", "418.226.00", "ML401", "ML401", "ML401"),
    ("11.5.0", "495.29.05", "-", "495.29.04", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.5.1", "495.29.05", "-", "495.29.04", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.5.2", "495.29.05", "-", "495.29.04", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.6.0", "510.39.01", "-", "510.39.00", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.6.1", "510.47.03", "-", "510.47.02", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.6.2", "510.47.03", "-", "510.47.02", "ML402", "ML402", "418.226.00", "ML401", "ML402", "ML401"),
    ("11.7.0", "515.43.04", "-", "515.43.03", "ML402", "ML402", "418.226.00", "ML401", "ML401", "ML401"),
    ("11.7.1", "515.48.07", "-", "515.48.06", "ML402", "ML402", "418.226.00", "ML401", "ML401", "ML401"),
    ("11.8.0", "520.61.05", "-", "520.61.04", "ML402", "ML402", "418.226.00", "ML401", "ML401", "ML401"),
    ("12.0.0", "525.60.13", "-", "525.60.12", "ML401", "ML401", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.0.1", "525.85.11", "-", "525.85.10", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.1.0", "530.30.02", "-", "530.30.01", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.1.1", "530.30.02", "-", "530.30.01", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.2.0", "535.54.03", "-", "535.54.02", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.2.1", "535.86.09", "-", "535.86.08", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.2.2", "535.104.05", "-", "535.104.04", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.3.0", "545.23.06", "-", "545.23.05", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.3.1", "545.23.08", "-", "545.23.07", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.4.0", "550.54.14", "-", "550.54.13", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.4.1", "550.54.15", "-", "550.54.14", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.5.0", "555.42.02", "-", "555.42.01", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.5.1", "555.42.06", "-", "555.42.05", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.6.0", "560.28.03", "-", "560.28.02", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.6.1", "560.35.03", "-", "560.35.02", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.6.2", "560.35.03", "-", "560.35.02", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.6.3", "560.35.05", "-", "560.35.04", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.8.0", "570.26", "-", "570.25", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.8.1", "570.124.06", "-", "570.124.05", "ML402", "ML402", "470.82.01", "ML401", "ML402", "ML401"),
    ("12.9.0", "575.51.03", "-", "575.51.02", "ML402", "ML402", "470.82.01", "ML401", "ML401", "ML401"),
    ("12.9.1", "575.57.08", "-", "575.57.07", "ML402", "ML402", "470.82.01", "ML401", "ML401", "ML401"),
    ("13.0.0", "580.65.06", "-", "580.65.05", "ML401", "ML401", "535.104.05", "ML401", "ML402", "ML401"),
    ("13.0.1", "580.82.07", "-", "580.82.06", "ML402", "ML402", "535.104.05", "ML401", "ML402", "ML401"),
    ("13.0.2", "580.95.05", "-", "580.95.04", "ML402", "ML402", "535.104.05", "ML401", "ML402", "ML401"),
    ("13.1.0", "590.44.01", "-", "590.44.00", "ML402", "ML402", "535.104.05", "ML401", "ML401", "ML401"),
    ("13.1.1", "590.48.01", "-", "590.48.00", "ML402", "ML402", "535.104.05", "ML401", "ML401", "ML401"),
    ("13.2.0", "595.45.04", "-", "595.45.03", "ML402", "ML402", "535.104.05", "ML401", "ML401", "ML401"),
    ("13.2.1", "595.58.03", "-", "595.58.02", "ML402", "ML402", "535.104.05", "ML401", "ML401", "ML401"),
    ("13.3.0", "610.43.02", "-", "610.43.01", "ML402", "ML402", "535.104.05", "ML401", "ML401", "ML401"),
    ("13.3.1", "610.43.02", "-", "610.43.01", "ML402", "ML402", "535.104.05", "ML401", "ML401", "ML401"),
]


@pytest.mark.parametrize("cuda,need,at,under,under_res,under_dc,far,far_res,far_dc,far_geforce", BASE_TABLE,
                         ids=[r[0] for r in BASE_TABLE])
def test_base_image_vs_driver(tmp_path, cuda, need, at, under, under_res, under_dc, far, far_res, far_dc, far_geforce):
    dockerfile = f"FROM nvidia/cuda:{cuda}-base-ubuntu22.04\n"
    assert ids(rules_of(tmp_path / "at", dockerfile, drivers=(need,))) == at
    assert ids(rules_of(tmp_path / "under", dockerfile, drivers=(under,))) == under_res
    assert ids(rules_of(tmp_path / "under-dc", dockerfile, drivers=(under,), gpus=("A100",))) == under_dc
    assert ids(rules_of(tmp_path / "far", dockerfile, drivers=(far,))) == far_res
    assert ids(rules_of(tmp_path / "far-dc", dockerfile, drivers=(far,), gpus=("A100",))) == far_dc
    assert ids(rules_of(tmp_path / "far-gf", dockerfile, drivers=(far,), gpus=("RTX 4090",))) == far_geforce
    # newer drivers run older toolkits (backward compatibility)
    assert ids(rules_of(tmp_path / "new", dockerfile, drivers=("999.1.1",), gpus=("A100",))) == "-"


def test_no_target_no_driver_findings(tmp_path):
    assert rules_of(tmp_path, "FROM nvidia/cuda:12.9.1-runtime-ubuntu22.04\n") == []


@pytest.mark.parametrize("cuda", ["12.3.2", "13.4.1", "13.5.0"])
def test_unverified_minimum_driver_says_nothing(tmp_path, cuda):
    assert rules_of(tmp_path, f"FROM nvidia/cuda:{cuda}-runtime-ubuntu22.04\n", drivers=("470.82.01",)) == []


def test_base_message_numbers_and_ways_out(tmp_path):
    [f] = rules_of(tmp_path, "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n", drivers=("535.104.05",))
    assert f.rule == "ML402" and f.span.line == 1 and f.span.column == 6 and f.span.end_column == 44
    assert "needs driver >= 550.54.15; the target has 535.104.05" in f.message
    assert "use a CUDA 12.2 base" in f.message and "upgrade the driver" in f.message
    assert "minor-version compatibility" in f.message and "PTX" in f.message
    [f] = rules_of(tmp_path / "b", "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n", drivers=("470.82.01",))
    assert f.rule == "ML401" and "data-center GPUs" in f.message
    [f] = rules_of(tmp_path / "c", "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n", drivers=("470.82.01",),
                   gpus=("H100",))
    assert f.rule == "ML402" and "forward compatibility" in f.message and "R470" in f.message


def test_geforce_refused_by_require_clauses(tmp_path):
    # 12.5+ images have no geforce brand clause: an R550 GeForce host is refused at container start
    [f] = rules_of(tmp_path, "FROM nvidia/cuda:12.6.3-runtime-ubuntu22.04\n", drivers=("550.54.15",),
                   gpus=("RTX 4090",))
    assert f.rule == "ML401" and "NVIDIA_REQUIRE_CUDA" in f.message
    # the same host with NVIDIA_DISABLE_REQUIRE: MVC makes it run, with the caveats (and ML410)
    found = rules_of(tmp_path / "d", "FROM nvidia/cuda:12.6.3-runtime-ubuntu22.04\nENV NVIDIA_DISABLE_REQUIRE=1\n",
                     drivers=("550.54.15",), gpus=("RTX 4090",))
    assert ids(found) == "ML402,ML410"


def test_arg_built_tag_and_env_cuda_version(tmp_path):
    text = "ARG CUDA=12.4.1\nFROM nvidia/cuda:${CUDA}-cudnn-runtime-ubuntu22.04\n"
    assert ids(rules_of(tmp_path, text, drivers=("470.82.01",))) == "ML401"
    text = "FROM registry.example.com/base/gpu:1\nENV CUDA_VERSION=12.4.1\n"
    [f] = rules_of(tmp_path / "env", text, drivers=("535.104.05",))
    assert f.rule == "ML402" and f.span.line == 2 and f.span.column == 5 and f.span.end_column == 17


# --------------------------------------------------------------------------- PyTorch


TORCH = [  # (torch, variants, PyPI default)
    ("1.13.1", ["cu116", "cu117"], "cu117"),
    ("2.0.1", ["cu117", "cu118"], "cu117"),
    ("2.1.2", ["cu118", "cu121"], "cu121"),
    ("2.2.2", ["cu118", "cu121"], "cu121"),
    ("2.3.1", ["cu118", "cu121"], "cu121"),
    ("2.4.1", ["cu118", "cu121", "cu124"], "cu121"),
    ("2.5.1", ["cu118", "cu121", "cu124"], "cu124"),
    ("2.6.0", ["cu118", "cu124", "cu126"], "cu124"),
    ("2.7.1", ["cu118", "cu126", "cu128"], "cu126"),
    ("2.8.0", ["cu126", "cu128", "cu129"], "cu128"),
    ("2.9.1", ["cu126", "cu128", "cu130"], "cu128"),
    ("2.10.0", ["cu126", "cu128", "cu130"], "cu128"),
    ("2.11.0", ["cu126", "cu128", "cu130"], "cu130"),
    ("2.12.0", ["cu126", "cu130", "cu132"], "cu130"),
    ("2.13.0", ["cu126", "cu130", "cu132"], "cu130"),
]
ALL_VARIANTS = ["cu116", "cu117", "cu118", "cu121", "cu124", "cu126", "cu128", "cu129", "cu130", "cu132"]
FLOOR = {"11": "450.80.02", "12": "525.60.13", "13": "580.65.06"}


@pytest.mark.parametrize("torch,variants,default", TORCH, ids=[t[0] for t in TORCH])
def test_torch_variants_on_index(tmp_path, torch, variants, default):
    for variant in ALL_VARIANTS:
        text = (f"FROM python:3.10-slim\nRUN pip install --no-cache-dir torch=={torch} "
                f"--index-url https://download.pytorch.org/whl/{variant}\n")
        found = [f for f in rules_of(tmp_path / variant, text) if f.rule == "ML406"]
        # the index can hold variants the release matrix does not list: only a variant outside the
        # release's CUDA range is known to be missing
        inside = variants[0] <= variant <= variants[-1]
        if variant in variants or inside:
            assert found == [], (torch, variant)
        else:
            [f] = found
            assert f.span.column == 52 + len(torch)  # the --index-url value word
            assert variant in f.message and ", ".join(variants) in f.message
        local = f"FROM python:3.10-slim\nRUN pip install --no-cache-dir torch=={torch}+{variant}\n"
        found = [f for f in rules_of(tmp_path / ("l" + variant), local) if f.rule == "ML406"]
        assert bool(found) == (not inside)


@pytest.mark.parametrize("torch,variants,default", TORCH, ids=[t[0] for t in TORCH])
def test_torch_driver_floor_per_variant(tmp_path, torch, variants, default):
    major = default[2:4]
    text = f"FROM python:3.10-slim\nRUN pip install --no-cache-dir torch=={torch}\n"
    assert ids(rules_of(tmp_path / "at", text, drivers=(FLOOR[major],))) == "-"
    [f] = rules_of(tmp_path / "below", text, drivers=("450.51.06" if major == "11" else "470.82.01"
                                                    if major == "12" else "535.104.05",))
    assert f.rule == "ML403" and default in f.message and FLOOR[major] in f.message
    for variant in variants:
        vmajor = variant[2:4]
        text = (f"FROM python:3.10-slim\nRUN pip install --no-cache-dir torch=={torch} "
                f"--index-url https://download.pytorch.org/whl/{variant}\n")
        assert ids(rules_of(tmp_path / variant, text, drivers=(FLOOR[vmajor],))) == "-"


ARCH = [  # (torch, variant, GPU, runs)
    ("1.13.1", "cu117", "H100", False),
    ("1.13.1", "cu117", "A100", True),
    ("1.13.1", "cu117", "L4", True),  # sm_86 SASS runs on 8.9
    ("2.0.1", "cu118", "H100", True),
    ("2.3.1", "cu121", "K80", False),
    ("2.3.1", "cu118", "K80", True),
    ("2.5.1", "cu124", "B200", False),
    ("2.6.0", "cu126", "RTX 5090", False),
    ("2.7.1", "cu128", "RTX 5090", True),
    ("2.7.1", "cu128", "P100", False),
    ("2.7.1", "cu128", "V100", False),
    ("2.8.0", "cu128", "V100", True),
    ("2.8.0", "cu129", "GB10", True),
    ("2.11.0", "cu128", "V100", False),
    ("2.11.0", "cu130", "V100", False),
    ("2.11.0", "cu130", "T4", True),
    ("2.13.0", "cu132", "B300", True),
    ("2.13.0", "cu126", "B200", False),
]


@pytest.mark.parametrize("torch,variant,gpu,runs", ARCH, ids=[f"{a}-{b}-{c}" for a, b, c, _ in ARCH])
def test_gpu_arch_in_torch_build(tmp_path, torch, variant, gpu, runs):
    text = f"FROM python:3.10-slim\nRUN pip install --no-cache-dir torch=={torch}+{variant}\n"
    found = [f for f in rules_of(tmp_path, text, gpus=(gpu,)) if f.rule == "ML409"]
    assert bool(found) != runs
    if found:
        assert found[0].span.line == 2 and found[0].span.column == 32


def test_torch_arch_list_env(tmp_path):
    text = 'FROM nvidia/cuda:12.1.1-devel-ubuntu22.04\nENV TORCH_CUDA_ARCH_LIST="7.5;8.0;8.6+PTX"\n'
    assert rules_of(tmp_path, text, gpus=("H100",)) == []  # 8.6+PTX JITs forward
    text = 'FROM nvidia/cuda:12.1.1-devel-ubuntu22.04\nENV TORCH_CUDA_ARCH_LIST="7.5;8.0;8.6"\n'
    [f] = rules_of(tmp_path / "b", text, gpus=("H100", "A100"))
    assert f.rule == "ML409" and "H100" in f.message and (f.span.column, f.span.end_column) == (5, 25)


def test_cpu_wheel_on_cuda_image(tmp_path):
    text = ("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n"
            "RUN pip install --no-cache-dir torch==2.5.1 torchvision==0.20.1 --index-url https://download.pytorch.org/whl/cpu\n")
    [f] = rules_of(tmp_path, text)
    assert f.rule == "ML405" and f.span.column == 77
    text = "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\nRUN pip install --no-cache-dir tensorflow-cpu==2.16.1\n"
    assert ids(rules_of(tmp_path / "tf", text)) == "ML405"
    text = "FROM python:3.11-slim\nRUN pip install --no-cache-dir torch==2.5.1+cpu\n"
    assert rules_of(tmp_path / "slim", text) == []


def test_major_mismatch_names_unused_libraries(tmp_path):
    text = ("FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04\n"
            "RUN pip install --no-cache-dir torch==2.4.1 --index-url https://download.pytorch.org/whl/cu124\n")
    [f] = rules_of(tmp_path, text)
    assert f.rule == "ML404" and "CUDA 11" in f.message and "cuDNN 8" in f.message and "go unused" in f.message
    text = "FROM nvidia/cuda:11.8.0-runtime-ubuntu22.04\nRUN pip install --no-cache-dir 'jax[cuda12]==0.4.30'\n"
    [f] = rules_of(tmp_path / "jax", text)
    assert f.rule == "ML404" and "LD_LIBRARY_PATH" in f.message


def test_uv_torch_backend_and_conda(tmp_path):
    text = "FROM python:3.11-slim\nRUN uv pip install --system --torch-backend cu124 torch==2.8.0\n"
    [f] = rules_of(tmp_path, text)
    assert f.rule == "ML406" and f.span.column == 45
    text = ("FROM continuumio/miniconda3:24.1.2-0\n"
            "RUN conda install -y -c pytorch -c nvidia pytorch=2.1.2 pytorch-cuda=12.1\n")
    [f] = rules_of(tmp_path / "conda", text, drivers=("470.82.01",))
    assert f.rule == "ML403" and "cu121" in f.message


def test_requirements_file_index(tmp_path):
    files = {
        "Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n",
        "requirements.txt": "--index-url https://download.pytorch.org/whl/cu124\ntorch==2.8.0\n",
    }
    [f] = rules_of(tmp_path, files)
    assert f.rule == "ML406" and f.path.endswith("requirements.txt") and f.span.line == 1


TF = [  # (tf, CUDA major, cuDNN major)
    ("2.10.1", 11, 8), ("2.11.1", 11, 8), ("2.12.1", 11, 8), ("2.13.1", 11, 8), ("2.14.1", 11, 8),
    ("2.15.1", 12, 8), ("2.16.2", 12, 8), ("2.17.1", 12, 8), ("2.18.1", 12, 9), ("2.19.0", 12, 9),
    ("2.20.0", 12, 9), ("2.21.0", 12, 9),
]
IMAGE = {(11, 8): "11.8.0-cudnn8-runtime-ubuntu22.04", (12, 8): "12.2.2-cudnn8-runtime-ubuntu22.04",
         (12, 9): "12.6.3-cudnn-runtime-ubuntu22.04", (13, 9): "13.0.0-cudnn-runtime-ubuntu24.04"}


@pytest.mark.parametrize("tf,major,cudnn", TF, ids=[t[0] for t in TF])
def test_tensorflow_vs_image(tmp_path, tf, major, cudnn):
    for (imajor, icudnn), tag in IMAGE.items():
        text = f"FROM nvidia/cuda:{tag}\nRUN pip install --no-cache-dir tensorflow=={tf}\n"
        found = [f for f in rules_of(tmp_path / tag, text) if f.rule == "ML407"]
        assert bool(found) == ((imajor, icudnn) != (major, cudnn)), (tf, tag)
        text = f"FROM nvidia/cuda:{tag}\nRUN pip install --no-cache-dir 'tensorflow[and-cuda]=={tf}'\n"
        assert [f for f in rules_of(tmp_path / ("x" + tag), text) if f.rule == "ML407"] == []


def test_onnxruntime_jax_local_cupy(tmp_path):
    text = "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\nRUN pip install --no-cache-dir onnxruntime-gpu==1.18.1\n"
    assert ids(rules_of(tmp_path / "a", text)) == "ML407"  # PyPI 1.18 is CUDA 11.8
    text = "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\nRUN pip install --no-cache-dir onnxruntime-gpu==1.20.1\n"
    assert rules_of(tmp_path / "b", text) == []
    text = "FROM nvidia/cuda:12.0.1-cudnn8-runtime-ubuntu22.04\nRUN pip install --no-cache-dir 'jax[cuda12-local]==0.4.30'\n"
    assert ids(rules_of(tmp_path / "c", text)) == "ML407"
    text = "FROM nvidia/cuda:11.8.0-runtime-ubuntu22.04\nRUN pip install --no-cache-dir cupy-cuda12x==13.3.0\n"
    assert ids(rules_of(tmp_path / "d", text)) == "ML407"
    text = "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\nRUN pip install --no-cache-dir cupy-cuda12x==13.3.0\n"
    assert rules_of(tmp_path / "e", text) == []


def test_jax_cuda13_driver_and_arch(tmp_path):
    text = "FROM python:3.12-slim\nRUN pip install --no-cache-dir 'jax[cuda13]==0.7.2'\n"
    found = rules_of(tmp_path, text, drivers=("570.124.06",), gpus=("V100",))
    assert ids(found) == "ML403,ML409"


DOMAINS = [  # (torch, torchvision, torchaudio, mismatch expected)
    ("1.13.1", "0.14.1", "0.13.1", ""),
    ("2.0.1", "0.15.2", "2.0.2", ""),
    ("2.1.2", "0.16.2", "2.1.2", ""),
    ("2.2.2", "0.17.2", "2.2.2", ""),
    ("2.3.1", "0.18.1", "2.3.1", ""),
    ("2.3.1", "0.17.2", "2.3.1", "torchvision"),
    ("2.4.1", "0.19.1", "2.3.1", "torchaudio"),
    ("2.6.0", "0.21.0", "2.6.0", ""),
    ("2.1.2", "0.16.2", "2.2.0", "torchaudio"),
    ("1.13.1", "0.15.2", "0.13.1", "torchvision"),
]


@pytest.mark.parametrize("torch,tv,ta,bad", DOMAINS, ids=[f"{a}-{b}-{c}" for a, b, c, _ in DOMAINS])
def test_torch_domain_pairs(tmp_path, torch, tv, ta, bad):
    text = f"FROM python:3.10-slim\nRUN pip install --no-cache-dir torch=={torch} torchvision=={tv} torchaudio=={ta}\n"
    found = [f for f in rules_of(tmp_path, text) if f.rule == "ML408"]
    assert [f.message.split("`")[1].split("==")[0] for f in found] == ([bad] if bad else [])


def test_domain_against_pytorch_base_image(tmp_path):
    text = "FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\nRUN pip install --no-cache-dir torchvision==0.19.0\n"
    assert ids(rules_of(tmp_path, text)) == "ML408"


def test_variant_mismatch_between_torch_and_torchvision(tmp_path):
    text = "FROM python:3.10-slim\nRUN pip install --no-cache-dir torch==2.1.2+cu121 torchvision==0.16.2+cu118\n"
    assert ids(rules_of(tmp_path, text)) == "ML408"


def test_requirement_overrides(tmp_path):
    text = 'FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\nENV NVIDIA_REQUIRE_CUDA="cuda>=11.0"\n'
    [f] = rules_of(tmp_path, text)
    assert f.rule == "ML410" and (f.span.line, f.span.column, f.span.end_column) == (2, 5, 24)
    # the override is what the toolkit checks: a 535 host passes cuda>=11.0, MVC still applies
    assert ids(rules_of(tmp_path / "b", text, drivers=("535.104.05",), gpus=("RTX 4090",))) == "ML402,ML410"


def test_non_cuda_images_are_silent(tmp_path):
    text = "FROM python:3.11-slim\nRUN pip install --no-cache-dir numpy==2.1.0\n"
    assert rules_of(tmp_path, text, drivers=("470.82.01",), gpus=("T4",)) == []


def test_fixture_example(tmp_path):
    from pathlib import Path

    from mllint.lint import Linter, Options

    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "examples" / "cuda" / "Dockerfile"
    report = Linter(Options(select=ML4, drivers=("535.104.05",), gpus=("T4", "H100"))).run([fixture])
    assert not report.errors
    assert {f.rule for f in report.findings} >= {"ML402", "ML403", "ML404", "ML408", "ML410"}


def test_framework_on_forward_compatible_image(tmp_path):
    text = ("FROM nvidia/cuda:13.0.0-runtime-ubuntu22.04\n"
            "RUN pip install --no-cache-dir torch==2.11.0 --index-url https://download.pytorch.org/whl/cu130\n")
    # data-center GPU on R535, which the 13.0 image's clauses allow: cuda-compat runs the cu130 wheel
    assert ids(rules_of(tmp_path, text, drivers=("535.104.05",), gpus=("A100",))) == "ML402"
    # GeForce: no forward compatibility, both the base and the wheel fail
    assert ids(rules_of(tmp_path / "gf", text, drivers=("535.104.05",), gpus=("RTX 4090",))) == "ML401,ML403"
