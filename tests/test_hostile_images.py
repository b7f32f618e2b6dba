"""Hostile images: what mllint does with layers and manifests built to hurt the tool reading them.

Every case ends in image facts (the hostile entry recorded as data, never acted on) or a clean
MllintError naming the image (and the layer digest where one is at fault). Nothing is written
from an image: each test checks that its working folders are left as they were.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from mllint.errors import MllintError
from mllint.image.lint import inspect
from mllint.image.synth import build_oci

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20


# --- building hostile layouts by hand ---------------------------------------------------------

def _put(root: Path, data: bytes) -> tuple[str, int]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (blobs / digest[7:]).write_bytes(data)
    return digest, len(data)


def layout(root: Path, layers: list[bytes], *, platforms: list[dict] | None = None,
           layer_desc=None) -> Path:
    """An OCI layout holding ``layers`` as given (any bytes); ``layer_desc(i, desc)`` may lie."""
    root.mkdir(parents=True, exist_ok=True)
    descs = []
    for i, blob in enumerate(layers):
        digest, size = _put(root, blob)
        desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size}
        descs.append(layer_desc(i, desc) if layer_desc else desc)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64] * len(layers)}}).encode()
    cdigest, csize = _put(root, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cdigest, "size": csize}, "layers": descs}).encode()
    mdigest, msize = _put(root, manifest)
    entries = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
                **({"platform": p} if p else {})} for p in (platforms or [None])]
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": entries}))
    return root


def tar_of(*members) -> bytes:
    """members: (TarInfo-ish dict, data bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for spec, data in members:
            info = tarfile.TarInfo(spec["name"])
            info.type = spec.get("type", tarfile.REGTYPE)
            info.linkname = spec.get("link", "")
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            tf.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return buf.getvalue()


def _snapshot(*folders: Path) -> dict:
    out = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                p = Path(dirpath, name)
                st = p.lstat()
                out[str(p)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out


@pytest.fixture
def untouched(tmp_path, monkeypatch):
    """Run in an empty folder; afterwards nothing under tmp_path may have changed."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    before = {}

    def arm():
        before.update(_snapshot(tmp_path))

    yield arm
    assert _snapshot(tmp_path) == before, "mllint wrote something while reading an image"
    assert not list(work.iterdir())


def _facts_or_error(ref: str, **kw):
    try:
        return inspect(ref, **kw)
    except MllintError as exc:
        assert str(exc).startswith(ref + ": "), str(exc)
        return exc


# --- entries that would escape or loop if extracted ---------------------------------------------

def test_traversal_absolute_and_link_entries_are_data_not_actions(tmp_path, untouched):
    layer = tar_of(
        ({"name": "../../../../etc/evil"}, b"x"),
        ({"name": "/abs/file"}, b"y"),
        ({"name": "a/../../b"}, b"z"),
        ({"name": "loop1", "type": tarfile.SYMTYPE, "link": "loop2"}, b""),
        ({"name": "loop2", "type": tarfile.SYMTYPE, "link": "loop1"}, b""),
        ({"name": "self", "type": tarfile.SYMTYPE, "link": "self"}, b""),
        ({"name": "root", "type": tarfile.SYMTYPE, "link": "/"}, b""),
        ({"name": "etcdir", "type": tarfile.SYMTYPE, "link": "../../../../etc"}, b""),
        ({"name": "hard", "type": tarfile.LNKTYPE, "link": "../../../outside/secret"}, b""),
        ({"name": "hard_abs", "type": tarfile.LNKTYPE, "link": "/etc/shadow"}, b""),
        ({"name": "usr/.wh.nothing-here"}, b""),  # a whiteout of nothing
        ({"name": "gone/.wh..wh..opq"}, b""),  # an opaque folder that never existed
        ({"name": "dup"}, b"first"),
        ({"name": "dup"}, b"second, longer"),  # a duplicate: the last one wins
        ({"name": "./dup"}, b"third"),
    )
    root = layout(tmp_path / "oci", [gzip.compress(layer, mtime=0)])
    untouched()
    facts = inspect(f"oci:{root}")
    tree = facts.tree
    assert "etc/evil" in tree and "abs/file" in tree and "b" in tree  # clamped under the image root
    assert {"loop1", "loop2", "self", "root", "etcdir", "hard", "hard_abs"} <= set(tree)
    assert tree["dup"][1] == len(b"third") and facts.layers[0].wasted_bytes == len(b"first") + len(b"second, longer")
    assert not (tmp_path / "etc").exists() and not (tmp_path / "outside").exists()


def test_deeply_nested_folders_and_many_entries(tmp_path, untouched):
    deep = "/".join(["d"] * 3000)  # a pax path far beyond PATH_MAX
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(tarfile.TarInfo(deep + "/f"), io.BytesIO(b""))
        for i in range(20000):
            tf.addfile(tarfile.TarInfo(f"many/{i}"), io.BytesIO(b""))
    second = tar_of(({"name": ".wh.many"}, b""))
    root = layout(tmp_path / "oci", [gzip.compress(buf.getvalue(), 1), gzip.compress(second)])
    untouched()
    facts = inspect(f"oci:{root}")
    assert facts.layers[1].deleted == 20000 and "many/19999" not in facts.tree and deep + "/f" in facts.tree


# --- lies about sizes, truncation, garbage ---------------------------------------------------

def _member_claiming(size_field: bytes) -> bytes:
    """One tar header whose size field says ``size_field`` (checksum fixed), with 10 bytes after."""
    info = tarfile.TarInfo("big")
    info.size = 10
    hdr = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    hdr[124:136] = size_field
    hdr[148:156] = b" " * 8
    hdr[148:156] = b"%06o\0 " % sum(hdr)
    return bytes(hdr) + b"0123456789".ljust(512, b"\0")


@pytest.mark.parametrize("size_field, compress", [
    (b"77777777777\0", False),  # 8 GiB declared, 10 bytes there
    (b"77777777777\0", True),
    (b"\x80" + b"\0" * 3 + b"\xff" * 8, False),  # base-256: 2**64 - 1
    (b"\xff" * 12, False),  # base-256 negative: would move the reader backwards forever
    (b"\xff" * 12, True),
])
def test_declared_size_larger_than_the_data(tmp_path, untouched, size_field, compress):
    blob = _member_claiming(size_field)
    if not compress:
        blob = blob.ljust(2048, b"\0")[:1024]  # >= 1 KiB: the pread path for uncompressed layers
    root = layout(tmp_path / "oci", [gzip.compress(blob) if compress else blob])
    untouched()
    result = _facts_or_error(f"oci:{root}")
    assert isinstance(result, MllintError)
    assert "truncated" in str(result) or "negative member size" in str(result)


@pytest.mark.parametrize("make, expect", [
    (lambda: gzip.compress(tar_of(({"name": "a"}, b"x" * 5000)))[:-20], "truncated|gzip stream"),
    (lambda: tar_of(({"name": "a"}, os.urandom(5000)))[:3000], "truncated"),
    (lambda: os.urandom(4096), "not a tar archive"),
    (lambda: b"\x1f\x8b" + os.urandom(4096), "gzip stream"),
    (lambda: b"\x28\xb5\x2f\xfd" + os.urandom(4096), "zstd stream"),
    (lambda: gzip.compress(os.urandom(4096)), "not a tar archive"),
])
def test_truncated_and_random_layers(tmp_path, untouched, make, expect):
    root = layout(tmp_path / "oci", [make()])
    untouched()
    result = _facts_or_error(f"oci:{root}")
    assert isinstance(result, MllintError), result
    import re

    assert re.search(expect, str(result)), str(result)


@pytest.mark.parametrize("data", [b"", b"\0" * 10, os.urandom(10_000), b"PK\x03\x04" + os.urandom(600)])
def test_random_bytes_where_an_archive_should_be(tmp_path, untouched, data):
    path = tmp_path / "image.tar"
    path.write_bytes(data)
    untouched()
    for ref in (str(path), f"docker-archive:{path}", f"oci-archive:{path}"):
        result = _facts_or_error(ref)
        assert isinstance(result, MllintError)


def test_a_folder_or_a_symlink_loop_where_an_archive_should_be(tmp_path, untouched):
    (tmp_path / "folder").mkdir()
    os.symlink(tmp_path / "l2", tmp_path / "l1")
    os.symlink(tmp_path / "l1", tmp_path / "l2")
    untouched()
    for ref in (f"docker-archive:{tmp_path / 'folder'}", f"oci:{tmp_path / 'l1'}", f"docker-archive:{tmp_path / 'l1'}",
                f"oci:{tmp_path / 'folder'}"):
        assert isinstance(_facts_or_error(ref), MllintError)


def test_docker_archive_whose_layer_links_in_a_loop(tmp_path, untouched):
    config = json.dumps({"rootfs": {"diff_ids": ["sha256:" + "0" * 64]}}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in (("c.json", config),
                           ("manifest.json", json.dumps([{"Config": "c.json", "Layers": ["a/layer.tar"]}]).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, link in (("a/layer.tar", "../b/layer.tar"), ("b/layer.tar", "../a/layer.tar")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, link
            tf.addfile(info)
    path = tmp_path / "loop.tar"
    path.write_bytes(buf.getvalue())
    untouched()
    with pytest.raises(MllintError, match="links in a loop"):
        inspect(f"docker-archive:{path}")


# --- manifests that lie ----------------------------------------------------------------------

def test_layer_digest_and_size_mismatches_are_refused_naming_the_digest(tmp_path, untouched):
    good = gzip.compress(tar_of(({"name": "a"}, b"x")))
    root = layout(tmp_path / "size", [good], layer_desc=lambda i, d: {**d, "size": d["size"] + 100})
    tampered = layout(tmp_path / "digest", [good])
    blob = next(p for p in (tampered / "blobs/sha256").iterdir() if p.read_bytes() == good)
    blob.write_bytes(gzip.compress(tar_of(({"name": "a"}, b"evil"))))  # same name, other bytes
    untouched()
    with pytest.raises(MllintError, match=r"\(sha256:[0-9a-f]{64}\): size mismatch"):
        inspect(f"oci:{root}")
    with pytest.raises(MllintError, match=f"digest mismatch: the manifest says sha256:{blob.name}"):
        inspect(f"oci:{tampered}")


def test_tampered_manifest_and_config_are_refused_naming_the_digest(tmp_path, untouched):
    root = build_oci({"layers": [{"files": {"a": "x"}}]}, tmp_path / "oci")
    index = json.loads((root / "index.json").read_text())
    mdigest = index["manifests"][0]["digest"]
    mpath = root / "blobs/sha256" / mdigest[7:]
    manifest = json.loads(mpath.read_text())
    cpath = root / "blobs/sha256" / manifest["config"]["digest"][7:]
    cpath.write_text(cpath.read_text().replace('"amd64"', '"arm64"'))
    untouched()
    with pytest.raises(MllintError, match=f"config {manifest['config']['digest']}: digest mismatch"):
        inspect(f"oci:{root}")
    mpath.write_text(mpath.read_text() + " ")
    untouched()
    with pytest.raises(MllintError, match=f"manifest {mdigest}: size mismatch"):
        inspect(f"oci:{root}")


def test_manifest_list_without_the_asked_platform(tmp_path, untouched):
    root = layout(tmp_path / "oci", [gzip.compress(tar_of(({"name": "a"}, b"x")))],
                  platforms=[{"os": "linux", "architecture": "s390x"}, {"os": "windows", "architecture": "amd64"}])
    untouched()
    with pytest.raises(MllintError, match=r"no image for platform linux/arm64 \(the index has: linux/s390x, "
                                          r"windows/amd64\); use --platform"):
        inspect(f"oci:{root}", platform="linux/arm64")


def test_oversized_manifest_is_refused(tmp_path, untouched):
    root = build_oci({"layers": [{"files": {"a": "x"}}]}, tmp_path / "oci")
    (root / "index.json").write_bytes(b'{"manifests": [' + b" " * (9 << 20) + b"]}")
    untouched()
    with pytest.raises(MllintError, match="too large"):
        inspect(f"oci:{root}")


# --- decompression bombs ----------------------------------------------------------------------

def gzip_bomb(inflated: int, member: int = 16 * MiB) -> bytes:
    """A multi-member gzip of zeros: ``inflated`` bytes from about inflated/1000 stored."""
    one = gzip.compress(b"\0" * member, compresslevel=9, mtime=0)
    return one * (inflated // member)


def zstd_bomb(inflated: int, member: int = 16 * MiB) -> bytes:
    import zstandard

    one = zstandard.ZstdCompressor(level=19).compress(b"\0" * member)
    return one * (inflated // member)


@pytest.mark.parametrize("bomb", [gzip_bomb, zstd_bomb])
def test_decompression_bombs_stop_at_the_configured_limit(tmp_path, untouched, bomb):
    data = bomb(1 << 30)  # 1 GiB of zeros from about a megabyte
    assert len(data) < 2 * MiB
    root = layout(tmp_path / "oci", [data])
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    untouched()
    with pytest.raises(MllintError) as err:
        inspect(f"oci:{root}", max_uncompressed=64 * MiB)
    message = str(err.value)
    assert f"layer 1 ({digest})" in message and "inflates to more than 67108864 bytes" in message
    assert "limits.max-layer-uncompressed-gb" in message


_PEAK = r"""
import json, resource, sys, time
from mllint.errors import MllintError
from mllint.image.lint import inspect
t = time.perf_counter()
try:
    inspect(sys.argv[1], max_uncompressed=int(sys.argv[2]))
    out = "ok"
except MllintError as exc:
    out = str(exc)
# VmHWM is this program's own peak: ru_maxrss would also count the forking pytest process, whose
# high-water mark Linux carries across fork and exec.
try:
    peak = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rss_kib": peak, "s": time.perf_counter() - t, "out": out}))
"""


def test_bomb_memory_stays_bounded(tmp_path):
    """A 2 GiB-inflating gzip layer, read to a 1 GiB limit in a fresh process: peak memory is the
    interpreter plus a few chunk buffers, not the inflated size."""
    root = layout(tmp_path / "oci", [gzip_bomb(2 << 30)])
    proc = subprocess.run([sys.executable, "-c", _PEAK, f"oci:{root}", str(1 << 30)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert "inflates to more than" in result["out"]
    assert result["rss_kib"] < 250 * 1024, result
    print("peak", result)


def test_limit_is_configured_and_validated_from_the_cli(tmp_path):
    root = layout(tmp_path / "oci", [gzip_bomb(256 * MiB)])
    (tmp_path / ".mllint.yaml").write_text("limits: {max-layer-uncompressed-gb: 0.0625}\n")
    run = lambda *args: subprocess.run([sys.executable, "-m", "mllint", "image", *args], capture_output=True,
                                       text=True, cwd=tmp_path, timeout=120,
                                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc = run(f"oci:{root}")
    assert proc.returncode == 2 and "decompression bomb" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / ".mllint.yaml").write_text("limits: {max-layer-uncompressed-gb: -1}\n")
    proc = run(f"oci:{root}")
    assert proc.returncode == 2 and "'limits.max-layer-uncompressed-gb' must be a positive number" in proc.stderr


def test_a_normal_compressed_layer_is_untouched_by_the_limit(tmp_path):
    root = build_oci({"layers": [{"files": {"a.bin": ["text", 3 * MiB]}}]}, tmp_path / "oci")
    assert "a.bin" in inspect(f"oci:{root}", max_uncompressed=8 * MiB).tree
    with pytest.raises(MllintError, match="inflates"):
        inspect(f"oci:{root}", max_uncompressed=1 * MiB)


def test_zlib_error_inside_a_bomb_is_clean(tmp_path):
    data = gzip_bomb(64 * MiB)
    corrupt = data[:5000] + bytes(b ^ 0xFF for b in data[5000:5100]) + data[5100:]
    root = layout(tmp_path / "oci", [corrupt])
    result = _facts_or_error(f"oci:{root}")
    assert isinstance(result, MllintError) and "gzip stream" in str(result), result
