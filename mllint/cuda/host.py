"""Read the local NVIDIA driver version and GPU models, for ``--detect-host``.

Tries NVML first (the optional ``nvidia-ml-py`` package, imported as ``pynvml``), then
``nvidia-smi --query-gpu=driver_version,name --format=csv,noheader``. Never raises: with no GPU
it returns a HostInfo with ``error`` saying why.
"""

from __future__ import annotations

import shutil
import subprocess

from ..record import record

NO_DRIVER = ("no NVIDIA driver found: nvidia-smi not on PATH and NVML not available; "
             "target-dependent CUDA rules skipped")


@record(frozen=True, slots=True)
class HostInfo:
    drivers: tuple[str, ...]
    gpus: tuple[str, ...]
    via: str | None  # "nvml" | "nvidia-smi" | None
    error: str | None = None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def from_nvml(nvml) -> HostInfo:
    """Query an NVML binding (``pynvml``); raises when NVML cannot initialise."""
    nvml.nvmlInit()
    try:
        driver = _text(nvml.nvmlSystemGetDriverVersion()).strip()
        names = []
        for i in range(nvml.nvmlDeviceGetCount()):
            names.append(_text(nvml.nvmlDeviceGetName(nvml.nvmlDeviceGetHandleByIndex(i))).strip())
    finally:
        try:
            nvml.nvmlShutdown()
        except Exception:  # noqa: BLE001 - shutting down a half-initialised NVML
            pass
    return HostInfo((driver,) if driver else (), tuple(dict.fromkeys(names)), "nvml")


def parse_nvidia_smi(output: str) -> HostInfo:
    """Parse ``nvidia-smi --query-gpu=driver_version,name --format=csv,noheader`` output."""
    drivers, gpus = [], []
    for line in output.splitlines():
        line = line.strip()
        if not line or line.lower().startswith("driver_version"):
            continue
        driver, _, name = line.partition(",")
        driver, name = driver.strip(), name.strip()
        if driver and driver[0].isdigit():
            drivers.append(driver)
            if name:
                gpus.append(name)
    return HostInfo(tuple(dict.fromkeys(drivers)), tuple(dict.fromkeys(gpus)), "nvidia-smi")


def _from_smi(which=None, run=None) -> HostInfo | str:
    which = which or shutil.which
    run = run or subprocess.run
    exe = which("nvidia-smi")
    if exe is None:
        return "nvidia-smi not on PATH"
    try:
        proc = run([exe, "--query-gpu=driver_version,name", "--format=csv,noheader"],
                   capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"nvidia-smi failed: {exc}"
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        return f"nvidia-smi failed: {detail[0] if detail else f'exit {proc.returncode}'}"
    info = parse_nvidia_smi(proc.stdout)
    return info if info.drivers else "nvidia-smi listed no GPUs"


def _import_nvml():
    try:
        import pynvml  # nvidia-ml-py
    except ImportError:
        return None
    return pynvml


def detect_host(nvml_module=None, which=None, run=None) -> HostInfo:
    """The local driver and GPUs; ``error`` set (and nothing else) when there are none."""
    nvml = nvml_module if nvml_module is not None else _import_nvml()
    nvml_why = "NVML not available"
    if nvml is not None:
        try:
            info = from_nvml(nvml)
            if info.drivers:
                return info
            nvml_why = "NVML found no driver"
        except Exception as exc:  # noqa: BLE001 - pynvml raises NVMLError_* (LibraryNotFound, DriverNotLoaded…)
            nvml_why = f"NVML not available ({exc.__class__.__name__})"
    smi = _from_smi(which, run)
    if isinstance(smi, HostInfo):
        return smi
    if smi == "nvidia-smi not on PATH" and nvml_why == "NVML not available":
        return HostInfo((), (), None, NO_DRIVER)
    return HostInfo((), (), None, f"no NVIDIA driver found: {smi} and {nvml_why}; target-dependent CUDA rules skipped")
