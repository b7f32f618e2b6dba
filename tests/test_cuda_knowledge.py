"""The CUDA knowledge tables: every row has a source, and spot checks against numbers copied
from shared/ml-facts.md (as literals: tests never read that file)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mllint.cuda import knowledge as kb
from mllint.knowledge import table

TABLES = ("cuda_toolkits", "cuda_frameworks", "cuda_gpus")


def _rows(data):
    for key, value in data.items():
        if key == "sources":
            continue
        if isinstance(value, list):
            for row in value:
                yield key, row
        elif isinstance(value, dict):
            yield key, value


@pytest.mark.parametrize("name", TABLES)
def test_every_row_has_a_source(name):
    data = table(name)
    rows = list(_rows(data))
    assert rows
    for key, row in rows:
        assert isinstance(row, dict), (name, key)
        assert str(row.get("source", "")).strip(), f"{name}.{key}: row without a source: {row}"
        assert row.get("verified", True) in (True, False), (name, key, row)
        # short source names are defined in the table's `sources`
        for part in str(row["source"]).split(";"):
            part = part.strip()
            if part.isidentifier() or part in ("test-infra", "release-md", "build-cuda"):
                assert part in data.get("sources", {}), f"{name}.{key}: unknown source name {part!r}"


def test_toolkit_rows_cover_every_release_line():
    lines = {kb.minor_of(r["cuda"]) for r in kb.known_toolkits(10)}
    expected = {"10.0", "10.1", "10.2"} | {f"11.{i}" for i in range(9)} | {f"12.{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)} \
        | {f"13.{i}" for i in range(6)}
    assert expected <= lines


# (toolkit, Linux driver) copied from ml-facts.md §1.1
DRIVERS = [
    ("10.0.130", "410.48"), ("10.2.89", "440.33"), ("11.0.3", "450.51.06"), ("11.4.3", "470.82.01"),
    ("11.8.0", "520.61.05"), ("12.0.0", "525.60.13"), ("12.1.1", "530.30.02"), ("12.2.2", "535.104.05"),
    ("12.4.1", "550.54.15"), ("12.6.3", "560.35.05"), ("12.8.0", "570.26"), ("12.9.1", "575.57.08"),
    ("13.0.0", "580.65.06"), ("13.1.0", "590.44.01"), ("13.2.1", "595.58.03"), ("13.3.1", "610.43.02"),
]


@pytest.mark.parametrize("cuda,driver", DRIVERS)
def test_toolkit_driver_matches_ml_facts(cuda, driver):
    assert kb.toolkit_driver(cuda) == driver


def test_unverified_toolkits_are_unknown():
    assert kb.toolkit_driver("12.3.2") is None  # meson has no 12.3.2 row
    assert kb.toolkit_driver("13.4.1") is None
    assert kb.toolkit_driver("13.5.0") is None
    assert kb.toolkit_driver("12.7.0") is None  # no such toolkit
    assert kb.toolkit_driver("12.4") == "550.54.14"  # x.y: its .0 row


def test_mvc_and_branches():
    assert kb.mvc_floor(11) == "450.80.02"
    assert kb.mvc_floor(12) == "525.60.13"
    assert kb.mvc_floor(13) == "580.65.06"
    assert kb.mvc_floor(10) is None
    assert kb.native_cuda("535.104.05") == "12.2"
    assert kb.native_cuda("470.82.01") == "11.4"
    assert kb.native_cuda("575.57.08") == "12.9"
    assert kb.native_cuda("565.57.01") == "12.6"  # R565's "12.7" is unverified
    assert any("PTX" in c for c in kb.mvc_caveats())


def test_image_require_clauses():
    req = kb.image_require("12.4.1")
    assert req.min_cuda() == "12.4" and req.branches() == (470, 525, 535) and "geforce" in req.brands()
    req = kb.image_require("12.9.0")
    assert req.branches() == (535, 550, 560, 565, 570) and "geforce" not in req.brands()
    assert kb.image_require("13.0.0").branches() == (535, 550, 565, 570, 575)
    assert kb.image_require("13.1.0") is None  # image facts stop at 13.0.0
    req = kb.Require.parse("cuda>=12.4 brand=tesla,driver>=535,driver<536")
    assert req.satisfied("535.104.05", "tesla") is True
    assert req.satisfied("535.104.05", "geforce") is False
    assert req.satisfied("535.104.05", None) is None
    assert req.satisfied("550.54.15", "geforce") is True
    assert req.satisfied("536.1", "tesla") is False


def test_torch_tables():
    assert kb.torch_release("2.5.1")["pypi"] == "cu124"
    assert kb.torch_release("2.8.0")["variants"] == ["cu126", "cu128", "cu129"]
    assert kb.torch_release("2.11.0")["pypi"] == "cu130"
    assert kb.torch_release("1.13.1")["variants"] == ["cu116", "cu117"]
    assert kb.torch_release("2.14.0") is None  # upcoming in the snapshot: unverified
    assert kb.variant_cuda("cu118") == "11.8" and kb.variant_cuda("cu130") == "13.0"
    assert kb.torch_arch("cu117", "1.13") == "3.7;5.0;6.0;7.0;7.5;8.0;8.6"
    assert kb.torch_arch("cu128", "2.7") == "7.5;8.0;8.6;9.0;10.0;12.0"
    assert kb.torch_arch("cu130", "2.9") == "7.5;8.0;8.6;9.0;10.0;12.0+PTX"
    assert kb.torch_domains("2.3") == {**kb.torch_domains("2.3"), "torchvision": "0.18", "torchaudio": "2.3"}
    assert kb.torch_domains("2.7") is None


def test_other_frameworks():
    assert (kb.tensorflow("2.15.0")["cuda"], kb.tensorflow("2.15.0")["cudnn"]) == ("12.2", "8.9")
    assert (kb.tensorflow("2.18.1")["cuda"], kb.tensorflow("2.18.1")["cudnn"]) == ("12.5", "9.3")
    assert kb.tensorflow("2.10.0")["cuda"] == "11.2"
    assert kb.jax_plugin(13)["min_cc"] == "7.5" and kb.jax_plugin(12)["min_cuda"] == "12.1"
    assert kb.onnxruntime_gpu("1.19.2")["cudnn_major"] == 9
    assert kb.onnxruntime_gpu("1.18.1")["cuda"] == "11.8"
    assert kb.cupy("cupy-cuda12x")["cuda_major"] == 12
    assert kb.cupy("cupy-cuda110")["min_cuda"] == "11.0"
    assert kb.cupy("cupy-cuda13x") is None  # only seen in code-index usages
    assert kb.ngc_cuda("24.04") is None  # NGC rows are unverified


@pytest.mark.parametrize("name,cc,datacenter", [
    ("A100", "8.0", True), ("NVIDIA A100-SXM4-80GB", "8.0", True), ("H100", "9.0", True),
    ("NVIDIA H100 80GB HBM3", "9.0", True), ("T4", "7.5", True), ("Tesla T4", "7.5", True), ("L4", "8.9", True),
    ("RTX 4090", "8.9", False), ("NVIDIA GeForce RTX 4090", "8.9", False), ("rtx5090", "12.0", False),
    ("B200", "10.0", True), ("V100", "7.0", True), ("Tesla V100-SXM2-16GB", "7.0", True),
])
def test_gpu_lookup(name, cc, datacenter):
    g = kb.gpu(name)
    assert g is not None and g.cc == cc and g.datacenter is datacenter


def test_unknown_gpu():
    assert kb.gpu("Radeon RX 7900") is None
    assert kb.gpu("GB10") is None  # unverified row


def test_arch_rules():
    arch = kb.parse_arch_list("7.0;7.5;8.0;8.6")
    assert kb.arch_runs(arch, "8.9")  # sm_86 SASS runs on 8.9
    assert not kb.arch_runs(arch, "9.0")
    assert kb.arch_runs(kb.parse_arch_list("8.0 8.6+PTX"), "12.0")
    assert kb.parse_arch_list("Ampere;Hopper") is None


def test_nothing_cuda_is_imported_until_a_check_needs_it():
    code = ("import sys; from mllint.engine import registered_checks; registered_checks(); "
            "import mllint.cli; "
            "assert not [m for m in sys.modules if m.startswith('mllint.cuda')], sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
