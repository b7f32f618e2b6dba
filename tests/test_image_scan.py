"""How layers are scanned: the tar header parser, the walk of an uncompressed tar by position,
the hashing apart from it, the largest-first schedule, and the digest checks on that split path."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from mllint.errors import MllintError
from mllint.image import walk
from mllint.image.lint import inspect
from mllint.image.sources import Blob, Window, largest_first, load_image
from mllint.image.synth import build_docker_archive, build_oci
from mllint.image.walk import (
    _Chunks,
    _octal,
    _size,
    hash_window,
    headers,
    scan_blob,
    walk_window,
    walks_by_position,
)

META = b"Name: numpy\nVersion: 1.26.4\n\n"
LONG = "usr/lib/python3/site-packages/" + "deep/" * 30 + "numpy-1.26.4.dist-info/METADATA"


def _tar(fmt: int, members) -> bytes:
    """members: (name, data or None for a folder, extra TarInfo attributes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data, extra in members:
            info = tarfile.TarInfo(name)
            for key, value in extra.items():
                setattr(info, key, value)
            if data is None:
                info.type = info.type if "type" in extra else tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _members(fmt: int):
    return [("./", None, {}),
            ("app/", None, {}),
            ("app/model.bin", b"\1" * 3000, {}),
            (LONG, META, {}),
            ("app/link", None, {"type": tarfile.SYMTYPE, "linkname": "model.bin"}),
            ("app/hard", None, {"type": tarfile.LNKTYPE, "linkname": "app/model.bin"}),
            ("tmp/.wh.old", b"", {}),
            ("var/cache/.wh..wh..opq", b"", {}),
            ("../../escape", b"x", {}),
            ("caf\u00e9/\u00fc.txt", b"u", {} if fmt != tarfile.USTAR_FORMAT else {"name": "cafe/u.txt"})]


def _headers_of(data: bytes) -> list[tuple[str, bytes, int, int]]:
    chunks = _Chunks(iter([data]))
    out = []
    for name, typeflag, size, padded in headers(chunks):
        out.append((name, typeflag, size, padded))
        chunks.skip(padded)
    return out


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_headers_apply_gnu_long_names_pax_records_and_ustar_prefixes(fmt):
    data = _tar(fmt, _members(fmt))
    names = [name.rstrip("/") for name, *_ in _headers_of(data)]
    assert LONG in names  # a GNU ././@LongLink, a pax path record, or a ustar prefix, by format
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert names == tf.getnames()


def test_a_pax_size_record_overrides_the_header():
    data = bytearray(_tar(tarfile.PAX_FORMAT, [("a", b"12345", {"pax_headers": {"size": "5"}}), ("b", b"x", {})]))
    # the ustar header of "a" (after the pax header and its one block of records) claims 0 bytes
    hdr = data.index(b"a\0", 1024)
    data[hdr + 124: hdr + 136] = b"00000000000\0"
    assert _size(bytes(data[hdr:hdr + 512])) == 0
    assert [(n, s) for n, _, s, _ in _headers_of(bytes(data))] == [("a", 5), ("b", 1)]


@pytest.mark.parametrize("field", [b"00000001750\0", b"00000001750 ", b"     1750 \0\0", b"1750\0\0\0\0\0\0\0\0",
                                   b"000000001750", b"\x80" + (1000).to_bytes(11, "big"), b"\0" * 12])
def test_size_field_forms(field):
    hdr = bytes(124) + field + bytes(376)
    assert _size(hdr) == _octal(field) == (0 if field == b"\0" * 12 else 1000)


def test_a_negative_base256_size_is_refused():
    data = bytearray(_tar(tarfile.GNU_FORMAT, [("a", b"x", {})]))
    data[124:136] = b"\xff" * 12
    with pytest.raises(MllintError, match="negative member size"):
        _headers_of(bytes(data))


def _file_with(tmp_path: Path, blob: bytes, pad: int = 777) -> tuple[str, int]:
    """``blob`` at an odd offset of a file, as a layer inside an archive is."""
    path = tmp_path / "archive.bin"
    path.write_bytes(b"\xaa" * pad + blob + b"\xbb" * 300)
    return str(path), pad


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_walk_window_sees_what_the_stream_walk_sees(tmp_path, fmt):
    data = _tar(fmt, _members(fmt))
    path, offset = _file_with(tmp_path, data)
    assert walks_by_position(path, offset, len(data))
    by_position = walk_window(path, offset, len(data))
    streamed = scan_blob(io.BytesIO(data))
    assert by_position.entries == streamed.entries
    assert by_position.facts == streamed.facts == {LONG: ("dist-metadata", ("numpy", "1.26.4"))}
    assert ("tmp/old", "w", 0) in by_position.entries and ("var/cache", "q", 0) in by_position.entries
    assert by_position.digest == ""  # hashed apart, by hash_window


def test_walk_window_errors_name_the_layer(tmp_path):
    data = _tar(tarfile.GNU_FORMAT, [("a", b"x" * 5000, {})])
    path, offset = _file_with(tmp_path, data[:3000])
    with pytest.raises(MllintError, match="^img: layer 2: truncated layer tar$"):
        walk_window(path, offset, 3000, "img: layer 2")


def test_only_uncompressed_tars_are_walked_by_position(tmp_path):
    data = _tar(tarfile.GNU_FORMAT, [("a", b"x" * 5000, {})])
    path, offset = _file_with(tmp_path, data)
    assert walks_by_position(path, offset, len(data))
    assert not walks_by_position(path, offset, 1000)  # tiny: streamed
    packed = gzip.compress(data)
    path, offset = _file_with(tmp_path, packed)
    assert not walks_by_position(path, offset, len(packed))


def test_hash_window(tmp_path, monkeypatch):
    monkeypatch.setattr(walk, "HASH_PIECE", 4096)  # several pieces, and a short last one
    blob = bytes(range(256)) * 100
    path, offset = _file_with(tmp_path, blob)
    assert hash_window(path, offset, len(blob)) == "sha256:" + hashlib.sha256(blob).hexdigest()
    assert hash_window(path, offset, 0) == "sha256:" + hashlib.sha256(b"").hexdigest()
    stop = threading.Event()
    stop.set()
    assert hash_window(path, offset, len(blob), stop) is None
    with pytest.raises(OSError, match="end of file"):
        hash_window(path, offset, 10 ** 6)


def test_largest_layers_are_scheduled_first():
    layers = [Window("a", 0, 10), lambda: None, Window("b", 0, 500), lambda: None, Window("c", 0, 20)]
    blobs = [Blob("d0", None), Blob("d1", 300), Blob("d2", None), Blob("d3", None), Blob("d4", None)]
    assert largest_first(layers, blobs) == [2, 1, 4, 0, 3]


# --- the split path on whole images: walked by position, hashed apart, checked in order --------

SPEC = {"layers": [{"created_by": "RUN a", "files": {"big/weights.bin": 9 << 20, "etc/os-release": "ID=x\n"}},
                   {"created_by": "RUN b", "files": {"app/a.py": ["text", 5000]}, "delete": ["big"]}]}


def _layer_offsets(archive: Path) -> list[tuple[int, int]]:
    """(offset, size) of each layer.tar in a docker-archive, in manifest order."""
    with tarfile.open(archive) as tf:
        members = {m.name: m for m in tf.getmembers()}
        manifest = json.loads(tf.extractfile("manifest.json").read())
    return [(members[n].offset_data, members[n].size) for n in manifest[0]["Layers"]]


def _flip(path: Path, at: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(at)
        byte = fh.read(1)
        fh.seek(at)
        fh.write(bytes([byte[0] ^ 0xFF]))


def test_a_changed_byte_inside_a_file_is_a_digest_mismatch(tmp_path):
    """The walk never reads file contents; only the hash sees this change."""
    archive = build_docker_archive(SPEC, tmp_path / "d.tar")
    expected = inspect(f"docker-archive:{archive}").summary()
    diff_id = _diff_ids(archive)[0]
    (offset, _), _ = _layer_offsets(archive)
    _flip(archive, offset + (5 << 20))  # deep inside big/weights.bin, in a later hash piece
    with pytest.raises(MllintError) as err:
        load_image(f"docker-archive:{archive}")
    assert str(err.value).startswith(f"docker-archive:{archive}: layer 1: digest mismatch: the manifest says "
                                     f"{diff_id}, the blob hashes to sha256:")
    assert inspect(f"docker-archive:{archive}", verify=False).summary() == expected  # sizes only


def _diff_ids(archive: Path) -> list[str]:
    with tarfile.open(archive) as tf:
        manifest = json.loads(tf.extractfile("manifest.json").read())
        return json.loads(tf.extractfile(manifest[0]["Config"]).read())["rootfs"]["diff_ids"]


def test_a_lower_layers_mismatch_is_reported_before_a_higher_layers_broken_tar(tmp_path):
    archive = build_docker_archive(SPEC, tmp_path / "d.tar")
    (first, _), (second, _) = _layer_offsets(archive)
    _flip(archive, first + (5 << 20))
    _flip(archive, second + 257)  # the magic of layer 2's first header: its checksum no longer adds up
    with pytest.raises(MllintError, match="layer 1: digest mismatch"):
        load_image(f"docker-archive:{archive}")
    _flip(archive, first + (5 << 20))  # layer 1 sound again: now layer 2 is at fault
    with pytest.raises(MllintError, match="layer 2.*(not a tar|digest mismatch)"):
        load_image(f"docker-archive:{archive}")


def test_compressed_and_uncompressed_layers_mix(tmp_path):
    plain, packed = build_oci(SPEC, tmp_path / "plain", "none"), build_oci(SPEC, tmp_path / "gzip", "gzip")
    expected = inspect(f"oci:{packed}").summary()
    assert inspect(f"oci:{plain}").summary() == expected
    # layer 1 uncompressed (walked by position), layer 2 gzip (streamed): one layout
    index = json.loads((plain / "index.json").read_text())
    mpath = plain / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(mpath.read_text())
    gz_manifest = json.loads((packed / "blobs/sha256" / json.loads((packed / "index.json").read_text())
                              ["manifests"][0]["digest"].split(":")[1]).read_text())
    manifest["layers"][1] = gz_manifest["layers"][1]
    blob = gz_manifest["layers"][1]["digest"].split(":")[1]
    (plain / "blobs/sha256" / blob).write_bytes((packed / "blobs/sha256" / blob).read_bytes())
    data = json.dumps(manifest).encode()
    digest = hashlib.sha256(data).hexdigest()
    (plain / "blobs/sha256" / digest).write_bytes(data)
    index["manifests"][0].update(digest="sha256:" + digest, size=len(data))
    (plain / "index.json").write_text(json.dumps(index))
    assert inspect(f"oci:{plain}").summary() == expected
