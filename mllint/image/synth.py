"""Build small (or large) synthetic images from a plain spec, without any tool or engine.

Used by the tests, the rule examples (``kind: image``) and the benchmark. A spec::

    {"config": {"User": "app", "Env": ["A=1"], "Entrypoint": ["python"], "ExposedPorts": {"80/tcp": {}}},
     "base_layers": 1,              # optional: mark the first N layers as the base image's (history comment)
     "layers": [{"created_by": "RUN pip install x",
                 "files": {"usr/bin/x": "text", "data.bin": 1024,    # text, bytes, a size (random bytes)
                           "lib/a.py": ["text", 4096]},             # or ["text", size] (compressible)
                 "delete": ["tmp/a"], "opaque": ["var/cache"],
                 "symlinks": {"usr/bin/y": "x"}, "hardlinks": {"usr/bin/z": "usr/bin/x"}}]}

Layers are written to temporary files one by one and streamed into place, so a large image
never sits in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import shutil
import tarfile
import tempfile
from pathlib import Path

RANDOM_CHUNK = 1 << 20


class _RandomReader(io.RawIOBase):
    def __init__(self, size: int, seed: int):
        self.left = size
        self.rng = random.Random(seed)

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left, RANDOM_CHUNK)
        if n <= 0:
            return 0
        b[:n] = self.rng.randbytes(n)
        self.left -= n
        return n


class _TextReader(io.RawIOBase):
    """Compressible, text-like bytes (source code, metadata) of a given size."""

    WORDS = b"import torch def forward self return tensor model layer weight bias numpy array the of and ".split()

    BLOCKS: dict[int, bytes] = {}

    def __init__(self, size: int, seed: int):
        self.left = size
        key = seed % 16
        if key not in self.BLOCKS:
            rng = random.Random(key)
            self.BLOCKS[key] = b" ".join(rng.choice(self.WORDS) for _ in range(4096)) + b"\n"
        self.block = self.BLOCKS[key]

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left, len(self.block))
        if n <= 0:
            return 0
        b[:n] = self.block[:n]
        self.left -= n
        return n


def _content(value, seed: int) -> tuple[int, io.RawIOBase | io.BytesIO]:
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] == "text":
        return int(value[1]), io.BufferedReader(_TextReader(int(value[1]), seed), RANDOM_CHUNK)
    if isinstance(value, int):
        return value, io.BufferedReader(_RandomReader(value, seed), RANDOM_CHUNK)
    data = value.encode() if isinstance(value, str) else bytes(value)
    return len(data), io.BytesIO(data)


def write_layer_tar(layer: dict, fh, seed: int = 0) -> None:
    """The layer as an uncompressed tar written to ``fh``."""
    with tarfile.open(fileobj=fh, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        seen_dirs: set[str] = set()

        def dirs_for(path: str):
            parts = path.split("/")[:-1]
            for k in range(1, len(parts) + 1):
                d = "/".join(parts[:k])
                if d not in seen_dirs:
                    seen_dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                    tf.addfile(info)

        for d in layer.get("dirs", ()):
            dirs_for(d.strip("/") + "/x")
        for d in layer.get("opaque", ()):
            d = d.strip("/")
            dirs_for(d + "/.wh..wh..opq")
            info = tarfile.TarInfo(d + "/.wh..wh..opq")
            info.mtime = 0
            tf.addfile(info, io.BytesIO())
        for path in layer.get("delete", ()):
            path = path.strip("/")
            dirs_for(path)
            parent, _, name = path.rpartition("/")
            info = tarfile.TarInfo((parent + "/" if parent else "") + ".wh." + name)
            info.mtime = 0
            tf.addfile(info, io.BytesIO())
        for n, (path, value) in enumerate((layer.get("files") or {}).items()):
            path = path.strip("/")
            dirs_for(path)
            size, stream = _content(value, seed * 1000003 + n)
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = size, 0o644, 0
            tf.addfile(info, stream)
        for path, target in (layer.get("symlinks") or {}).items():
            path = path.strip("/")
            dirs_for(path)
            info = tarfile.TarInfo(path)
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, target, 0
            tf.addfile(info)
        for path, target in (layer.get("hardlinks") or {}).items():
            path = path.strip("/")
            dirs_for(path)
            info = tarfile.TarInfo(path)
            info.type, info.linkname, info.mtime = tarfile.LNKTYPE, target.strip("/"), 0
            tf.addfile(info)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _compress(src: Path, dst: Path, compression: str) -> None:
    with open(src, "rb") as fin:
        if compression == "gzip":
            with open(dst, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
                shutil.copyfileobj(fin, out, 1 << 20)
        elif compression == "zstd":
            import zstandard

            with open(dst, "wb") as raw:
                zstandard.ZstdCompressor(level=3).copy_stream(fin, raw)
        else:
            with open(dst, "wb") as out:
                shutil.copyfileobj(fin, out, 1 << 20)


def _config(spec: dict, diff_ids: list[str]) -> dict:
    history = []
    base = spec.get("base_layers", 0)
    for i, layer in enumerate(spec["layers"]):
        entry = {"created": "2024-01-01T00:00:00Z", "created_by": layer.get("created_by", f"layer {i}")}
        if base and i == base:
            entry["comment"] = "FROM example.org/base:1"
        history.append(entry)
    cfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    cfg.update(spec.get("config") or {})
    return {"created": "2024-01-01T00:00:00Z", "architecture": spec.get("architecture", "amd64"),
            "os": "linux", "config": cfg, "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history}


def _layer_files(spec: dict, work: Path) -> list[tuple[Path, str]]:
    """Each layer as an uncompressed tar in ``work``, with its diff_id."""
    out = []
    for i, layer in enumerate(spec["layers"]):
        path = work / f"layer{i}.tar"
        with open(path, "wb") as fh:
            write_layer_tar(layer, fh, seed=i + 1)
        out.append((path, _sha256_file(path)))
    return out


def _put_blob(root: Path, data_or_path, ) -> tuple[str, int]:
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    if isinstance(data_or_path, Path):
        digest = _sha256_file(data_or_path)
        target = blobs / digest.split(":")[1]
        shutil.move(str(data_or_path), target)
        return digest, target.stat().st_size
    digest = "sha256:" + hashlib.sha256(data_or_path).hexdigest()
    (blobs / digest.split(":")[1]).write_bytes(data_or_path)
    return digest, len(data_or_path)


def build_oci(spec: dict, out: Path, compression: str = "gzip", ref: str = "latest") -> Path:
    """An OCI image layout folder at ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    media = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
             "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
             "none": "application/vnd.oci.image.layer.v1.tar"}[compression]
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        work = Path(tmp)
        layers, diff_ids = [], []
        for path, diff_id in _layer_files(spec, work):
            packed = work / (path.name + ".c")
            _compress(path, packed, compression)
            path.unlink()
            digest, size = _put_blob(out, packed)
            layers.append({"mediaType": media, "digest": digest, "size": size})
            diff_ids.append(diff_id)
    config = json.dumps(_config(spec, diff_ids), sort_keys=True).encode()
    cdigest, csize = _put_blob(out, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cdigest, "size": csize},
                           "layers": layers}).encode()
    mdigest, msize = _put_blob(out, manifest)
    (out / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (out / "index.json").write_text(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest,
                       "size": msize, "annotations": {"org.opencontainers.image.ref.name": ref}}]}))
    return out


def build_docker_archive(spec: dict, out: Path, tag: str = "mllint/test:latest") -> Path:
    """A ``docker save`` style tar (legacy layout: uncompressed ``<id>/layer.tar``)."""
    out = Path(out)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        work = Path(tmp)
        files = _layer_files(spec, work)
        config = json.dumps(_config(spec, [d for _, d in files]), sort_keys=True).encode()
        chex = hashlib.sha256(config).hexdigest()
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
            names = []
            for path, diff_id in files:
                name = f"{diff_id.split(':')[1]}/layer.tar"
                tf.add(str(path), arcname=name)
                names.append(name)
            for name, data in ((f"{chex}.json", config),
                               ("manifest.json", json.dumps([{"Config": f"{chex}.json", "RepoTags": [tag],
                                                              "Layers": names}]).encode())):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return out


def build_oci_archive(spec: dict, out: Path, compression: str = "gzip", ref: str = "latest") -> Path:
    out = Path(out)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        layout = build_oci(spec, Path(tmp) / "layout", compression, ref)
        with tarfile.open(out, "w") as tf:
            for name in sorted(os.listdir(layout)):
                tf.add(str(layout / name), arcname=name)
    return out


def lint_example(root: Path, example: dict, dockerfile: str | None = None):
    """A rule example of ``kind: image``: build it as an OCI layout under ``root`` (with its
    ``config`` as .mllint.yaml) and lint it; returns (findings, errors) like the Dockerfile helper."""
    import yaml

    from ..errors import MllintError
    from ..lint import Options
    from .lint import lint_image

    root = Path(root)
    config_file = root / ".mllint.yaml"
    config_file.write_text(yaml.safe_dump(example.get("config") or {}), encoding="utf-8")
    layout = build_oci(example["image"], root / "image")
    df = None
    if dockerfile is not None:
        df = root / "Dockerfile"
        df.write_text(dockerfile, encoding="utf-8")
    try:
        report = lint_image(f"oci:{layout}", Options(config_file=config_file), dockerfile=df)
    except MllintError as exc:
        return [], [str(exc)]
    return report.findings, report.errors
