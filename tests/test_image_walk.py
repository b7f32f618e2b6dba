"""The streaming layer walk and the image facts, on images built in-process (no tools needed)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from mllint.errors import MllintError
from mllint.image.facts import build_facts
from mllint.image.lint import inspect
from mllint.image.sources import load_image
from mllint.image.synth import build_docker_archive, build_oci, build_oci_archive
from mllint.image.walk import normalize, scan_blob


def _tar(members) -> bytes:
    """members: (TarInfo kwargs, data) pairs, in order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for kwargs, data in members:
            info = tarfile.TarInfo(kwargs.pop("name"))
            for k, v in kwargs.items():
                setattr(info, k, v)
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def test_walk_reads_headers_and_only_small_interesting_files():
    meta = b"Name: numpy\nVersion: 1.26.4\n\nlong description"
    data = _tar([({"name": "./usr/lib/python3/site-packages/numpy-1.26.4.dist-info/METADATA"}, meta),
                 ({"name": "usr/lib/big.so"}, b"\0" * 5000),
                 ({"name": "usr/bin/py", "type": tarfile.SYMTYPE, "linkname": "/etc/../../outside"}, None),
                 ({"name": "usr/bin/py2", "type": tarfile.LNKTYPE, "linkname": "usr/lib/big.so"}, None),
                 ({"name": "../../escape/me"}, b"x"),
                 ({"name": "a/" + "long" * 40 + "/file"}, b"yy")])
    scan = scan_blob(io.BytesIO(data))
    assert scan.compression == "none"
    assert scan.digest == "sha256:" + hashlib.sha256(data).hexdigest() and scan.size == len(data)
    paths = {p: (k, s) for p, k, s in scan.entries}
    assert paths["usr/lib/big.so"] == ("f", 5000)
    assert paths["usr/bin/py"] == ("l", 0) and paths["usr/bin/py2"] == ("h", 0)
    assert "escape/me" in paths  # .. never climbs out of the image root
    assert paths["a/" + "long" * 40 + "/file"] == ("f", 2)
    assert list(scan.facts.values()) == [("dist-metadata", ("numpy", "1.26.4"))]


def test_gzip_multi_member_and_zstd_streams():
    data = _tar([({"name": "etc/os-release"}, b"ID=debian\nVERSION_ID=\"12\"\n")])
    half = len(data) // 2
    multi = gzip.compress(data[:half]) + gzip.compress(data[half:])
    scan = scan_blob(io.BytesIO(multi), want_uncompressed_digest=True)
    assert scan.compression == "gzip" and scan.uncompressed_size == len(data)
    assert scan.uncompressed_digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert scan.facts["etc/os-release"] == ("os-release", ("debian", "12", ""))
    zstandard = pytest.importorskip("zstandard")
    scan = scan_blob(io.BytesIO(zstandard.ZstdCompressor().compress(data)))
    assert scan.compression == "zstd" and scan.facts["etc/os-release"][1][0] == "debian"


def test_truncated_and_garbage_layers_are_errors_naming_the_layer():
    data = _tar([({"name": "x"}, b"a" * 3000)])
    with pytest.raises(MllintError, match="truncated"):
        scan_blob(io.BytesIO(data[:1500]), where="img: layer 1")
    with pytest.raises(MllintError, match="img: layer 1: .*not a tar"):
        scan_blob(io.BytesIO(b"hello world" * 100), where="img: layer 1")
    with pytest.raises(MllintError, match="gzip"):
        scan_blob(io.BytesIO(gzip.compress(data)[:-30] + b"\xff" * 30), where="img: layer 1")


def test_normalize():
    assert normalize("./a//b/./c/") == "a/b/c"
    assert normalize("/../../etc/passwd") == "etc/passwd"
    assert normalize("usr/lib") == "usr/lib"


SPEC = {
    "base_layers": 1,
    "config": {"User": "app", "Env": ["A=1"], "ExposedPorts": {"80/tcp": {}}, "Entrypoint": ["python"]},
    "layers": [
        {"created_by": "base", "files": {"var/cache/x": 1000, "usr/share/doc/a": 300, "keep/me": 10},
         "dirs": ["var/log"]},
        {"created_by": "RUN pip install", "files": {"root/.cache/pip/w1": 4000, "root/.cache/pip/w2": 2000,
                                                     "usr/share/doc/a": 500, "var/log/x.log": 7},
         "delete": ["var/cache/x"]},
        {"created_by": "RUN cleanup", "delete": ["root/.cache"], "opaque": ["var/log"],
         "files": {"usr/share/doc/a": 600, "var/log/new.log": 1}},
    ],
}


def test_facts_count_dead_copies_once_and_split_base_from_own(tmp_path):
    facts = inspect(f"oci:{build_oci(SPEC, tmp_path / 'oci')}")
    l0, l1, l2 = facts.layers
    assert (l0.base, l1.base, l2.base) == (True, False, False)
    # layer 2 deletes the base's var/cache/x (1000) and overwrites usr/share/doc/a (300)
    assert l1.wasted_bytes == 1300 and l1.changed == 1 and l1.deleted == 1
    # layer 3 deletes the pip cache (6000), overwrites doc/a (500) and hides var/log/x.log (7)
    assert l2.wasted_bytes == 6507 and l2.changed == 1
    assert dict(l2.wasted_paths)["root/.cache/pip/w1"] == 4000
    assert facts.wasted_own == 7807 and facts.wasted_base == 0
    # the surviving copy is never counted
    assert facts.tree["usr/share/doc/a"] == (2, 600, "f")
    assert "var/log/x.log" not in facts.tree and "var/log/new.log" in facts.tree
    assert not any(p.startswith("root/.cache") for p in facts.tree)
    assert facts.user == "app" and facts.entrypoint == ("python",) and facts.ports == ("80/tcp",)
    assert facts.env["A"] == "1"


def test_a_fact_from_a_file_a_later_layer_deletes_is_dropped(tmp_path):
    spec = {"layers": [
        {"files": {"usr/lib/python3/site-packages/pytest-8.0.dist-info/METADATA": "Name: pytest\nVersion: 8.0\n"}},
        {"delete": ["usr/lib/python3/site-packages/pytest-8.0.dist-info"]}]}
    facts = inspect(f"oci:{build_oci(spec, tmp_path / 'oci')}")
    assert facts.python == []


def test_all_archive_kinds_give_the_same_facts(tmp_path):
    refs = [f"oci:{build_oci(SPEC, tmp_path / 'gz')}", f"oci:{build_oci(SPEC, tmp_path / 'raw', 'none')}",
            f"docker-archive:{build_docker_archive(SPEC, tmp_path / 'd.tar')}",
            f"oci-archive:{build_oci_archive(SPEC, tmp_path / 'o.tar')}",
            str(tmp_path / "d.tar"), str(tmp_path / "gz")]
    if importlib.util.find_spec("zstandard"):
        refs.append(f"oci:{build_oci(SPEC, tmp_path / 'zst', 'zstd')}")
    summaries = [inspect(r).summary() for r in refs]
    assert all(s == summaries[0] for s in summaries)


def _tamper(layout: Path) -> None:
    manifest_digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs/sha256" / manifest_digest.split(":")[1]).read_text())
    blob = layout / "blobs/sha256" / manifest["layers"][0]["digest"].split(":")[1]
    data = bytearray(blob.read_bytes())
    data[-5] ^= 0xFF  # inside the gzip trailer's size field: the stream may still decode
    blob.write_bytes(bytes(data))


def test_digest_and_size_are_verified(tmp_path):
    layout = build_oci({"layers": [{"files": {"a": 100}}]}, tmp_path / "oci")
    _tamper(layout)
    with pytest.raises(MllintError) as err:
        load_image(f"oci:{layout}")
    assert str(err.value).startswith(f"oci:{layout}: ")
    assert "mismatch" in str(err.value) or "cannot read" in str(err.value)
    layout = build_oci({"layers": [{"files": {"a": 100}}]}, tmp_path / "oci2")
    index = json.loads((layout / "index.json").read_text())
    mpath = layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(mpath.read_text())
    manifest["layers"][0]["size"] += 1
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(MllintError, match="manifest sha256:.*digest mismatch"):  # the manifest is checked too
        load_image(f"oci:{layout}")
    data = json.dumps(manifest).encode()  # a consistent manifest that lies about the layer's size
    new = hashlib.sha256(data).hexdigest()
    (layout / "blobs/sha256" / new).write_bytes(data)
    index["manifests"][0].update(digest="sha256:" + new, size=len(data))
    (layout / "index.json").write_text(json.dumps(index))
    with pytest.raises(MllintError, match="size mismatch"):
        load_image(f"oci:{layout}")
    blob = layout / "blobs/sha256" / manifest["layers"][0]["digest"].split(":")[1]
    blob.write_bytes(gzip.compress(_tar([({"name": "b"}, b"other")])))
    manifest["layers"][0]["size"] = blob.stat().st_size
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(MllintError, match="digest mismatch"):
        load_image(f"oci:{layout}")


def test_docker_archive_diff_ids_are_verified(tmp_path):
    archive = build_docker_archive({"layers": [{"files": {"a": "x"}}]}, tmp_path / "d.tar")
    out = tmp_path / "bad.tar"
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read() if m.isfile() else None
            if m.name.endswith("layer.tar"):
                data = _tar([({"name": "a"}, b"y")])
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data) if data is not None else None)
    with pytest.raises(MllintError, match="digest mismatch"):
        load_image(f"docker-archive:{out}")


def test_platform_is_picked_from_an_index(tmp_path):
    amd = build_oci({"architecture": "amd64", "layers": [{"files": {"amd": "x"}}]}, tmp_path / "multi")
    arm = build_oci({"architecture": "arm64", "layers": [{"files": {"arm": "x"}}]}, tmp_path / "arm")
    for blob in (arm / "blobs/sha256").iterdir():
        (amd / "blobs/sha256" / blob.name).write_bytes(blob.read_bytes())
    index = json.loads((amd / "index.json").read_text())
    arm_desc = json.loads((arm / "index.json").read_text())["manifests"][0]
    index["manifests"][0]["platform"] = {"os": "linux", "architecture": "amd64"}
    arm_desc["platform"] = {"os": "linux", "architecture": "arm64"}
    index["manifests"].append(arm_desc)
    (amd / "index.json").write_text(json.dumps(index))
    assert "arm" in inspect(f"oci:{amd}", platform="linux/arm64").tree
    assert "amd" in inspect(f"oci:{amd}", platform="linux/amd64").tree
    with pytest.raises(MllintError, match="no image for platform linux/s390x"):
        inspect(f"oci:{amd}", platform="linux/s390x")


def test_memory_stays_bounded_on_a_large_file(tmp_path):
    layout = build_oci({"layers": [{"files": {"big/weights.bin": 50 << 20, "etc/os-release": "ID=x\n"}}]},
                       tmp_path / "oci")
    tracemalloc.start()
    try:
        facts = inspect(f"oci:{layout}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert facts.tree["big/weights.bin"][1] == 50 << 20
    assert peak < 24 << 20, f"peak {peak / 2**20:.1f} MiB for a 50 MiB file"


@pytest.mark.parametrize("ref,message", [
    ("oci:/nonexistent/layout", "no such OCI layout folder"),
    ("docker-archive:/nonexistent.tar", "no such archive file"),
    ("oci-archive:/nonexistent.tar", "no such archive file"),
    ("docker://localhost:1/Bad_Name", "not a valid repository name"),
])
def test_bad_references_name_the_source(ref, message):
    with pytest.raises(MllintError) as err:
        load_image(ref)
    assert str(err.value) == f"{ref}: {message}"


def test_a_file_that_is_no_archive(tmp_path):
    bogus = tmp_path / "x.tar"
    bogus.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(MllintError, match=rf"^{bogus}: "):
        load_image(str(bogus))
    with pytest.raises(MllintError, match="cannot read the archive"):
        load_image(f"docker-archive:{bogus}")


def test_build_facts_handles_a_folder_replaced_by_a_file():
    from mllint.image.walk import LayerScan

    a = LayerScan("sha256:a", 1, None, 1, "none", entries=[("d", "d", 0), ("d/x", "f", 10), ("d/y", "f", 5)])
    b = LayerScan("sha256:b", 1, None, 1, "none", entries=[("d", "f", 3), ("d", "f", 4)])
    facts = build_facts("ref", {}, [a, b])
    assert facts.tree == {"d": (1, 4, "f")}
    assert facts.layers[1].wasted_bytes == 18  # d/x, d/y and the duplicate entry's 3 bytes


def test_an_engine_export_is_read_as_one_stream(tmp_path):
    """docker-daemon: reads the engine's export front to back (legacy docker-archive, or the
    OCI layout that docker >= 25 writes inside it)."""
    from mllint.image.sources import load_archive_stream

    def chunks(path):
        with open(path, "rb") as fh:
            while data := fh.read(7777):
                yield data

    expected = inspect(f"oci:{build_oci(SPEC, tmp_path / 'oci')}").summary()
    for path in (build_docker_archive(SPEC, tmp_path / "d.tar"), build_oci_archive(SPEC, tmp_path / "o.tar")):
        image = load_archive_stream(chunks(path), "mllint/test:latest", None, "docker-daemon:x")
        assert build_facts("x", image.config, image.scans).summary() == expected
    with pytest.raises(MllintError, match="docker-daemon:x: cannot read the image export"):
        load_archive_stream(iter([b"garbage" * 200]), None, None, "docker-daemon:x")


def test_no_verify_skips_hashing_but_checks_sizes(tmp_path):
    archive = build_docker_archive({"layers": [{"files": {"a": 3000}}]}, tmp_path / "d.tar")
    assert inspect(f"docker-archive:{archive}", verify=False).tree["a"][1] == 3000


def test_benchmark_script_runs(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "bench.json"
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, str(root / "benchmarks" / "image_bench.py"), "--gb", "0.002", "--files", "200",
                    "--work", str(tmp_path / "work"), "--json", str(out)], check=True, capture_output=True)
    results = json.loads(out.read_text())
    assert results["mllint_docker_archive"]["rc"] in (0, 1)  # 2 would be an input error
    assert results["mllint_oci_gzip"]["peak_mib"] > 0 and results["zcat_floor_oci_gzip"]["wall_s"] > 0


def test_deep_and_odd_paths(tmp_path):
    deep = "/".join(["d"] * 3000)
    spec = {"layers": [{"files": {deep + "/f": "x", "odd/\u00fc \\\\ \x7fname": "y"}}, {"delete": ["d"]}]}
    facts = inspect(f"oci:{build_oci(spec, tmp_path / 'oci')}")
    assert facts.layers[1].deleted == 3001 and facts.layers[1].wasted_bytes == 1
    assert any(p.startswith("odd/") for p in facts.tree)


def test_conda_dpkg_cuda_and_torch_facts(tmp_path):
    conda = json.dumps({"build": "h1", "files": ["lib/x"] * 1000, "name": "pytorch", "size": 123,
                        "paths_data": {"paths": [{"_path": "lib/x", "size_in_bytes": 5}]}, "version": "2.3.1"})
    spec = {"layers": [{"files": {
        "opt/conda/conda-meta/pytorch-2.3.1-h1.json": conda,
        "var/lib/dpkg/status": "Package: a\nStatus: install ok installed\nVersion: 1\nInstalled-Size: 2\n\n"
                               "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n",
        "usr/local/cuda-11.8/version.txt": "CUDA Version 11.8.89\n",
        "usr/include/cudnn_version.h": "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 9\n#define CUDNN_PATCHLEVEL 2\n",
        "usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2": 10,
        "opt/conda/lib/python3.11/site-packages/torch/version.py": "__version__ = '2.3.1'\ncuda = None\n",
        "usr/lib/os-release": 'ID=ubuntu\nVERSION_ID="22.04"\n'},
        "symlinks": {"etc/os-release": "../usr/lib/os-release"}}]}
    facts = inspect(f"oci:{build_oci(spec, tmp_path / 'oci')}")
    assert [(p.manager, p.name, p.version, p.size) for p in facts.packages] == [
        ("conda", "pytorch", "2.3.1", 123), ("dpkg", "a", "1", 2048)]
    assert facts.cuda_version == "11.8.89" and facts.cudnn_version == "8.9.2"
    assert (facts.torch_version, facts.torch_cuda) == ("2.3.1", None)
    assert facts.os_release[:2] == ("ubuntu", "22.04")
