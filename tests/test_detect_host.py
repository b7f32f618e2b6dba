"""--detect-host: NVML and nvidia-smi outputs recorded as literals, and a machine without a GPU."""

from __future__ import annotations

import subprocess
import types

from mllint.cuda.host import NO_DRIVER, detect_host, parse_nvidia_smi

from .conftest import invoke

# `nvidia-smi --query-gpu=driver_version,name --format=csv,noheader` on an 8×H100 node and a T4 VM
SMI_H100 = "\n".join(["535.104.05, NVIDIA H100 80GB HBM3"] * 8) + "\n"
SMI_T4 = "550.54.15, Tesla T4\n"
SMI_MIXED = "570.124.06, NVIDIA A100-SXM4-80GB\n570.124.06, NVIDIA L4\n"
SMI_WITH_HEADER = "driver_version, name\n560.35.03, NVIDIA GeForce RTX 4090\n"


SMI_FAILED = ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
              "Make sure that the latest NVIDIA driver is installed and running.\n")


def test_parse_recorded_nvidia_smi():
    info = parse_nvidia_smi(SMI_H100)
    assert info.drivers == ("535.104.05",) and info.gpus == ("NVIDIA H100 80GB HBM3",) and info.via == "nvidia-smi"
    assert parse_nvidia_smi(SMI_T4).gpus == ("Tesla T4",)
    assert parse_nvidia_smi(SMI_MIXED).gpus == ("NVIDIA A100-SXM4-80GB", "NVIDIA L4")
    assert parse_nvidia_smi(SMI_WITH_HEADER).drivers == ("560.35.03",)
    assert parse_nvidia_smi(SMI_FAILED).drivers == ()


class FakeNVML:
    """What nvidia-ml-py returns on a 2×A100 host (bytes names, as older releases give)."""

    def __init__(self, names=(b"NVIDIA A100-SXM4-40GB", b"NVIDIA A100-SXM4-40GB"), driver=b"525.85.12", fail=None):
        self.names, self.driver, self.fail = names, driver, fail

    def nvmlInit(self):
        if self.fail:
            raise self.fail

    def nvmlShutdown(self):
        pass

    def nvmlSystemGetDriverVersion(self):
        return self.driver

    def nvmlDeviceGetCount(self):
        return len(self.names)

    def nvmlDeviceGetHandleByIndex(self, i):
        return i

    def nvmlDeviceGetName(self, handle):
        return self.names[handle]


class NVMLError_LibraryNotFound(Exception):
    pass


def _no_smi(name):
    return None


def _smi(output, rc=0):
    def run(argv, **kwargs):
        assert argv[1:] == ["--query-gpu=driver_version,name", "--format=csv,noheader"]
        return subprocess.CompletedProcess(argv, rc, stdout=output if rc == 0 else "", stderr=output if rc else "")
    return run


def test_nvml_first():
    info = detect_host(nvml_module=FakeNVML(), which=_no_smi)
    assert info.via == "nvml" and info.drivers == ("525.85.12",) and info.gpus == ("NVIDIA A100-SXM4-40GB",)


def test_falls_back_to_nvidia_smi():
    info = detect_host(nvml_module=FakeNVML(fail=NVMLError_LibraryNotFound("libnvidia-ml.so.1 not found")),
                       which=lambda name: "/usr/bin/nvidia-smi", run=_smi(SMI_T4))
    assert info.via == "nvidia-smi" and info.drivers == ("550.54.15",) and info.error is None


def test_no_gpu_clear_message():
    info = detect_host(nvml_module=types.SimpleNamespace(), which=_no_smi)  # NVML without a library
    assert info.drivers == () and info.error and "nvidia-smi not on PATH" in info.error
    assert "target-dependent CUDA rules skipped" in info.error


def test_this_machine_says_why_when_no_gpu():
    import shutil

    info = detect_host()
    if shutil.which("nvidia-smi") is None:
        assert info.error is not None and info.drivers == ()
        try:
            import pynvml  # noqa: F401
        except ImportError:
            assert info.error == NO_DRIVER
    else:  # a GPU machine: either it works or it says why
        assert info.drivers or info.error


def test_nvidia_smi_failure_is_reported():
    info = detect_host(nvml_module=types.SimpleNamespace(), which=lambda n: "/usr/bin/nvidia-smi",
                       run=_smi(SMI_FAILED, rc=9))
    assert info.error.startswith("no NVIDIA driver found: nvidia-smi failed: NVIDIA-SMI has failed")


def test_cli_detect_host_without_gpu_continues(tmp_path, monkeypatch):
    import mllint.cuda.host as host

    monkeypatch.setattr(host, "_import_nvml", lambda: None)
    monkeypatch.setattr(host.shutil, "which", lambda name: None)
    (tmp_path / "Dockerfile").write_text("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n")
    result = invoke(["--select", "ML4", "--detect-host", "--color", "never",
                                                       str(tmp_path / "Dockerfile")])
    assert result.exit_code == 0, result.output
    assert NO_DRIVER in result.stderr


def test_cli_detect_host_uses_recorded_host(tmp_path, monkeypatch):
    import mllint.cuda.host as host

    monkeypatch.setattr(host, "_import_nvml", lambda: None)
    monkeypatch.setattr(host.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(host.subprocess, "run", _smi("470.82.01, Tesla T4\n"))
    (tmp_path / "Dockerfile").write_text("FROM nvidia/cuda:12.9.1-runtime-ubuntu22.04\n")
    result = invoke(["--select", "ML4", "--detect-host", "--color", "never",
                                                       str(tmp_path / "Dockerfile")])
    assert result.exit_code == 1
    assert "ML401" in result.stdout and "470.82.01" in result.stdout
    assert "host (nvidia-smi): driver 470.82.01; GPUs Tesla T4" in result.stderr


def test_cli_driver_and_gpu_options(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n")
    result = invoke(["--select", "ML4", "--driver", "470.82.01", "--gpu", "A100",
                                                       "--color", "never", str(tmp_path / "Dockerfile")])
    assert "ML402" in result.stdout and "forward compatibility" in result.stdout
    result = invoke(["--driver", "latest", str(tmp_path / "Dockerfile")])
    assert result.exit_code == 2 and "not a driver version" in result.stderr


def test_cli_overrides_config_target(tmp_path):
    (tmp_path / ".mllint.yaml").write_text("target: {drivers: ['470.82.01']}\n")
    (tmp_path / "Dockerfile").write_text("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n")
    result = invoke(["--select", "ML4", "--color", "never", str(tmp_path / "Dockerfile")])
    assert "ML401" in result.stdout
    result = invoke(["--select", "ML4", "--driver", "560.35.05", "--color", "never",
                                                       str(tmp_path / "Dockerfile")])
    assert "ML40" not in result.stdout and result.exit_code == 0
