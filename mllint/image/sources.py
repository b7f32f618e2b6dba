"""Image sources, named the way skopeo and podman name them.

``docker-archive:PATH`` (``docker save``), ``oci:DIR[:REF]``, ``oci-archive:PATH[:REF]``,
``docker-daemon:NAME:TAG`` (Docker Engine API via the docker SDK; ``DOCKER_HOST`` is honoured,
so Podman's API socket works too) and ``docker://REGISTRY/REPO:TAG|@DIGEST``. A bare path to an
existing archive or layout folder is detected; a bare ``name:tag`` asks the daemon.

Every source gives the image config and the layer scans (mllint.image.walk), with each blob's
digest and size checked against the manifest.
"""

from __future__ import annotations

import json
import os
import tarfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import MllintError
from ..record import record
from .walk import (
    _MAX_UNCOMPRESSED,
    CHUNK,
    DecompressionLimit,
    LayerScan,
    MemberReader,
    _Chunks,
    hash_window,
    headers,
    scan_blob,
    scan_file_window,
    walk_window,
    walks_by_position,
)

TYPE_CHECKING = False  # typing costs ~8 ms to import; only type checkers need these names
if TYPE_CHECKING:
    from typing import BinaryIO

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
JSON_MAX = 8 << 20  # manifests, indexes and configs larger than this are not images


@record
class Blob:
    digest: str | None  # what the bytes must hash to; None: unknown
    size: int | None  # how many bytes; None: unknown
    uncompressed: bool = False  # digest is of the uncompressed tar (a diff_id)


@record
class Window:
    """A blob that is ``size`` bytes at ``offset`` of a regular file."""

    path: str
    offset: int
    size: int


@record
class Image:
    reference: str  # as the user named it
    config: dict
    scans: list[LayerScan]


def workers() -> int:
    return max(1, min(6, os.cpu_count() or 1))  # each layer in flight holds about 10 MiB of buffers


def host_platform() -> str:
    import platform

    arch = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(arch, arch)
    return f"linux/{arch}"


def _json(data: bytes, what: str, where: str) -> dict:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MllintError(f"{what} is not valid JSON: {exc}", where) from None
    if not isinstance(value, dict) and not (what == "manifest.json" and isinstance(value, list)):
        raise MllintError(f"{what} is not a JSON object", where)
    return value


_VERIFY = [True]  # load_image(verify=False): sizes only (a trusted local archive, for speed)


def _verify(scan: LayerScan, blob: Blob, where: str, index: int) -> None:
    got = scan.uncompressed_digest if blob.uncompressed else scan.digest
    if blob.digest and got and got != blob.digest:
        raise MllintError(f"layer {index + 1}: digest mismatch: the manifest says {blob.digest}, "
                          f"the blob hashes to {got}", where)
    if blob.size is not None and not blob.uncompressed and scan.size != blob.size:
        raise MllintError(f"layer {index + 1} ({blob.digest}): size mismatch: the manifest says "
                          f"{blob.size} bytes, the blob has {scan.size}", where)


def scan_parallel(layers: list[Window | Callable[[], tuple[BinaryIO, int | None]]], blobs: list[Blob],
                  where: str) -> list[LayerScan]:
    """Scan every layer: a Window of a local file, or a callable that opens a stream.

    A pool of threads (hashing, reading and decompressing release the GIL) takes the largest
    layers first, so the longest does not start last. An uncompressed tar in a file (a
    docker-archive layer) is split in two: the pool hashes its bytes while this thread walks its
    headers, so the walk, which holds the GIL, overlaps the hashing. Errors are raised in layer
    order, as a layer-by-layer scan would meet them."""
    verify = _VERIFY[0]
    by_position = [_by_position(layer, where, i) for i, layer in enumerate(layers)]
    stop = threading.Event()  # set on the way out: hashing still running gives up

    def task(i: int) -> LayerScan | str | None:
        layer = layers[i]
        try:
            if by_position[i]:
                return hash_window(layer.path, layer.offset, layer.size, stop)
            return _scan(layer, blobs[i], f"{where}: layer {i + 1}")
        except DecompressionLimit as exc:  # name the layer by the digest the manifest gives it
            raise MllintError(f"layer {i + 1} ({blobs[i].digest}): {exc.message}", where) from None
        except OSError as exc:
            raise MllintError(f"layer {i + 1}: cannot read: {exc.strerror or exc}", where) from None

    pool = ThreadPoolExecutor(max_workers=min(workers(), len(layers) or 1))
    try:
        jobs = {i: pool.submit(task, i) for i in largest_first(layers, blobs)
                if verify or not by_position[i]}
        walked = _walk_windows(layers, by_position, where)
        scans = []
        for i, blob in enumerate(blobs):
            if by_position[i]:
                scan = walked[i]
                if isinstance(scan, MllintError):
                    raise scan
                if verify:  # "": not hashed, not compared
                    scan.digest = jobs[i].result()
                    scan.uncompressed_digest = scan.digest if blob.uncompressed else None
            else:
                scan = jobs[i].result()
            _verify(scan, blob, where, i)
            scans.append(scan)
        return scans
    finally:
        stop.set()
        pool.shutdown(cancel_futures=True)


def largest_first(layers: list, blobs: list[Blob]) -> list[int]:
    """Layer indexes, the most bytes to read first (a stream's size is the manifest's, if any)."""
    def size(i: int) -> int:
        return layers[i].size if isinstance(layers[i], Window) else blobs[i].size or 0

    return sorted(range(len(layers)), key=size, reverse=True)


def _by_position(layer, where: str, i: int) -> bool:
    if not isinstance(layer, Window):
        return False
    try:
        return walks_by_position(layer.path, layer.offset, layer.size)
    except OSError as exc:
        raise MllintError(f"layer {i + 1}: cannot read: {exc.strerror or exc}", where) from None


def _walk_windows(layers: list, by_position: list[bool], where: str) -> dict[int, LayerScan | MllintError]:
    """Walk the uncompressed tars in files, in order, up to the first that fails (kept, to be
    raised in its turn: a lower layer's digest mismatch comes first)."""
    walked: dict[int, LayerScan | MllintError] = {}
    for i, layer in enumerate(layers):
        if by_position[i]:
            try:
                walked[i] = walk_window(layer.path, layer.offset, layer.size, f"{where}: layer {i + 1}")
            except MllintError as exc:
                walked[i] = exc
                break
            except OSError as exc:
                walked[i] = MllintError(f"layer {i + 1}: cannot read: {exc.strerror or exc}", where)
                break
    return walked


def _scan(layer, blob: Blob, where: str) -> LayerScan:
    """One layer in one pass: a compressed Window, or a stream."""
    if isinstance(layer, Window):
        return scan_file_window(layer.path, layer.offset, layer.size, want_uncompressed_digest=blob.uncompressed,
                                where=where)
    fh, limit = layer()
    try:
        return scan_blob(fh, limit=limit, want_uncompressed_digest=blob.uncompressed, where=where)
    finally:
        fh.close()


def _pick_manifest(index: dict, platform: str | None, ref: str | None, where: str,
                   load: Callable[[dict], dict]) -> dict:
    """From an OCI index / Docker manifest list down to one image manifest."""
    for _ in range(8):
        media = index.get("mediaType", "")
        if "manifests" not in index or media in MANIFEST_TYPES or "layers" in index:
            return index
        entries = [m for m in index.get("manifests") or [] if isinstance(m, dict)]
        if ref is not None:
            named = [m for m in entries
                     if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") == ref
                     or (m.get("annotations") or {}).get("io.containerd.image.name", "").endswith(":" + ref)]
            if not named:
                raise MllintError(f"no image named {ref!r} in the index", where)
            entries, ref = named, None
        images = [m for m in entries if (m.get("platform") or {}).get("architecture") != "unknown"]
        if len(images) > 1 or platform:
            want = platform or host_platform()
            parts = want.split("/")
            match = [m for m in images if _platform_matches(m.get("platform") or {}, parts)]
            if not match:
                have = ", ".join(sorted({_platform_str(m.get("platform") or {}) for m in images})) or "none"
                raise MllintError(f"no image for platform {want} (the index has: {have}); use --platform", where)
            images = match
        if not images:
            raise MllintError("the index lists no image", where)
        index = load(images[0])
    raise MllintError("indexes nested too deeply", where)


def _platform_str(p: dict) -> str:
    return "/".join(x for x in (p.get("os", "?"), p.get("architecture", "?"), p.get("variant")) if x)


def _platform_matches(p: dict, parts: list[str]) -> bool:
    if p.get("os") != parts[0] or (len(parts) > 1 and p.get("architecture") != parts[1]):
        return False
    return len(parts) < 3 or p.get("variant") == parts[2]


def checked(data: bytes, desc: dict, what: str, where: str) -> bytes:
    """``data`` read by a descriptor: its size and sha256 digest must be the descriptor's, else the
    blob is refused, naming the digest."""
    import hashlib

    digest, size = desc.get("digest"), desc.get("size")
    if isinstance(size, int) and not isinstance(size, bool) and size != len(data):
        raise MllintError(f"{what} {digest}: size mismatch: the descriptor says {size} bytes, "
                          f"the blob has {len(data)}", where)
    if isinstance(digest, str) and digest.startswith("sha256:"):
        got = "sha256:" + hashlib.sha256(data).hexdigest()
        if got != digest:
            raise MllintError(f"{what} {digest}: digest mismatch: the blob hashes to {got}", where)
    return data


def _layers_of(manifest: dict, where: str) -> tuple[dict, list[Blob]]:
    config = manifest.get("config")
    layers = manifest.get("layers")
    if not isinstance(config, dict) or not isinstance(layers, list):
        raise MllintError("the manifest lacks config or layers", where)
    blobs = []
    for layer in layers:
        if not isinstance(layer, dict):
            raise MllintError("the manifest lists a layer that is not an object", where)
        blobs.append(Blob(layer.get("digest"), layer.get("size")))
    return config, blobs


# --- OCI image layout (a folder) -----------------------------------------------------------

def _blob_path(root: Path, digest: str, where: str) -> Path:
    algo, _, hexpart = str(digest).partition(":")
    if algo != "sha256" or not hexpart or "/" in hexpart or "." in hexpart:
        raise MllintError(f"unsupported digest {digest!r}", where)
    return root / "blobs" / algo / hexpart


def _read_small(path: Path, where: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(JSON_MAX + 1)
    except OSError as exc:
        raise MllintError(f"cannot read {path.name}: {exc.strerror or exc}", where) from None
    if len(data) > JSON_MAX:
        raise MllintError(f"{path.name} is too large for an image manifest or config", where)
    return data


def load_oci_dir(root: Path, ref: str | None, platform: str | None, where: str) -> Image:
    if not (root / "oci-layout").is_file() or not (root / "index.json").is_file():
        raise MllintError("not an OCI image layout (no oci-layout and index.json)", where)
    index = _json(_read_small(root / "index.json", where), "index.json", where)
    manifest = _pick_manifest(index, platform, ref, where,
                              lambda d: _json(checked(_read_small(_blob_path(root, d.get("digest"), where), where),
                                                      d, "manifest", where), "manifest", where))
    cfg_desc, blobs = _layers_of(manifest, where)
    config = _json(checked(_read_small(_blob_path(root, cfg_desc.get("digest"), where), where), cfg_desc,
                           "config", where), "config", where)

    def window(blob: Blob) -> Window:
        path = _blob_path(root, blob.digest, where)
        try:
            return Window(str(path), 0, path.stat().st_size)
        except OSError as exc:
            raise MllintError(f"cannot read blob {blob.digest}: {exc.strerror or exc}", where) from None

    scans = scan_parallel([window(b) for b in blobs], blobs, where)
    return Image(where, config, scans)


# --- tar archives (docker-archive, oci-archive) --------------------------------------------

def _tar_index(path: Path, where: str) -> dict[str, tarfile.TarInfo]:
    try:
        with tarfile.open(path, "r:") as tf:  # seeks past contents: only headers are read
            return {_member_name(m.name): m for m in tf.getmembers()}
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise MllintError(f"cannot read the archive: {exc}", where) from None


def _member_name(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")


class _Archive:
    """Members of an archive: random access for a file, or what a stream already held."""

    def __init__(self, path: Path, where: str):
        self.path, self.where = path, where
        self.members = _tar_index(path, where)

    def has(self, name: str) -> bool:
        return _member_name(name) in self.members

    def small(self, name: str) -> bytes:
        m = self.members.get(_member_name(name))
        if m is None or not m.isfile():
            raise MllintError(f"the archive has no {name}", self.where)
        if m.size > JSON_MAX:
            raise MllintError(f"{name} is too large for an image manifest or config", self.where)
        with open(self.path, "rb") as fh:
            fh.seek(m.offset_data)
            return fh.read(m.size)

    def window(self, name: str) -> Window:
        m = self.members.get(_member_name(name))
        if m is None:
            raise MllintError(f"the archive has no {name}", self.where)
        hops = 0
        while m.islnk() or m.issym():  # docker save links identical layers
            hops += 1
            if hops > 40:  # as the kernel's ELOOP: a hostile archive may link members in a circle
                raise MllintError(f"{name} links in a loop", self.where)
            target = self.members.get(_member_name(m.linkname if m.islnk() else
                                                   os.path.normpath(os.path.join(os.path.dirname(m.name),
                                                                                 m.linkname))))
            if target is None:
                raise MllintError(f"{name} links to a missing member", self.where)
            m = target
        return Window(str(self.path), m.offset_data, m.size)


def _docker_manifest(read: Callable[[str], bytes], where: str, name: str | None) -> dict:
    entries = _json(read("manifest.json"), "manifest.json", where)
    if not isinstance(entries, list) or not entries:
        raise MllintError("manifest.json lists no image", where)
    if name:
        want = name if ":" in name.rpartition("/")[2] else name + ":latest"
        hits = [e for e in entries if want in (e.get("RepoTags") or [])
                or any(t.endswith("/" + want) for t in (e.get("RepoTags") or []))]
        if not hits:
            raise MllintError(f"no image tagged {name!r} in the archive", where)
        return hits[0]
    if len(entries) > 1:
        tags = ", ".join(t for e in entries for t in (e.get("RepoTags") or [])) or "untagged"
        raise MllintError(f"the archive holds {len(entries)} images ({tags}); name one: docker-archive:PATH:NAME:TAG",
                          where)
    return entries[0]


def _docker_layers(entry: dict, config: dict, where: str) -> tuple[list[str], list[Blob]]:
    layers = entry.get("Layers")
    if not isinstance(layers, list):
        raise MllintError("manifest.json lacks Layers", where)
    diff_ids = ((config.get("rootfs") or {}).get("diff_ids")) or []
    if len(diff_ids) != len(layers):
        raise MllintError(f"the config lists {len(diff_ids)} layers, manifest.json {len(layers)}", where)
    blobs = []
    for name, diff_id in zip(layers, diff_ids):
        if name.startswith("blobs/sha256/"):  # docker >= 25 writes an OCI layout inside
            blobs.append(Blob("sha256:" + name.rsplit("/", 1)[1], None))
        else:
            blobs.append(Blob(diff_id, None, uncompressed=True))
    return layers, blobs


def load_docker_archive(path: Path, name: str | None, where: str) -> Image:
    archive = _Archive(path, where)
    if not archive.has("manifest.json"):
        if archive.has("index.json") and archive.has("oci-layout"):
            return load_oci_archive(path, None, None, where, archive)
        raise MllintError("not a docker-archive (no manifest.json)", where)
    entry = _docker_manifest(archive.small, where, name)
    config = _json(archive.small(str(entry.get("Config"))), "config", where)
    names, blobs = _docker_layers(entry, config, where)
    scans = scan_parallel([archive.window(n) for n in names], blobs, where)
    return Image(where, config, scans)


def load_oci_archive(path: Path, ref: str | None, platform: str | None, where: str,
                     archive: _Archive | None = None) -> Image:
    archive = archive or _Archive(path, where)
    if not archive.has("index.json"):
        raise MllintError("not an OCI archive (no index.json)", where)

    def blob_name(digest) -> str:
        algo, _, hexpart = str(digest).partition(":")
        return f"blobs/{algo}/{hexpart}"

    index = _json(archive.small("index.json"), "index.json", where)
    manifest = _pick_manifest(index, platform, ref, where,
                              lambda d: _json(checked(archive.small(blob_name(d.get("digest"))), d, "manifest", where),
                                              "manifest", where))
    cfg_desc, blobs = _layers_of(manifest, where)
    config = _json(checked(archive.small(blob_name(cfg_desc.get("digest"))), cfg_desc, "config", where),
                   "config", where)
    scans = scan_parallel([archive.window(blob_name(b.digest)) for b in blobs], blobs, where)
    return Image(where, config, scans)


# --- a tar stream (the engine's image export) ----------------------------------------------

def load_archive_stream(chunks_iter, name: str | None, platform: str | None, where: str) -> Image:
    """A docker-archive (legacy or OCI-inside) read once, front to back: every layer member is
    scanned as it passes, small JSON members are kept, and the manifest ties them up at the end."""
    chunks = _Chunks(iter(chunks_iter))
    small: dict[str, bytes] = {}
    scans: dict[str, LayerScan] = {}
    try:
        for raw_name, typeflag, size, padded in headers(chunks):
            member = _member_name(raw_name)
            if typeflag in (b"1", b"2"):
                chunks.skip(padded)
                continue
            if typeflag not in (b"0", b"\0", b"7"):
                chunks.skip(padded)
                continue
            reader = MemberReader(chunks, size)
            if member.endswith("layer.tar") or (member.endswith(".tar") and "/" not in member):
                scans[member] = scan_blob(reader, want_uncompressed_digest=True, where=f"{where}: {member}")
            elif size <= JSON_MAX:
                head = reader.read(size)
                if member.startswith("blobs/") and head[:1] not in (b"{", b"["):
                    scans[member] = scan_blob(_Prefix(head, reader), want_uncompressed_digest=True,
                                              where=f"{where}: {member}")
                else:
                    small[member] = head
            else:
                scans[member] = scan_blob(reader, want_uncompressed_digest=True, where=f"{where}: {member}")
            reader.finish(padded, size)
    except MllintError as exc:
        if exc.path:
            raise
        raise MllintError(f"cannot read the image export: {exc.message}", where) from None

    def read(n: str) -> bytes:
        n = _member_name(n)
        if n not in small:
            raise MllintError(f"the image export has no {n}", where)
        return small[n]

    if "manifest.json" in small:
        entry = _docker_manifest(read, where, None if len(_json(small["manifest.json"], "manifest.json", where)) == 1
                                 else name)
        config = _json(read(str(entry.get("Config"))), "config", where)
        names, blobs = _docker_layers(entry, config, where)
    elif "index.json" in small:
        def blob_name(digest) -> str:
            algo, _, hexpart = str(digest).partition(":")
            return f"blobs/{algo}/{hexpart}"

        manifest = _pick_manifest(_json(read("index.json"), "index.json", where), platform, None, where,
                                  lambda d: _json(read(blob_name(d.get("digest"))), "manifest", where))
        cfg_desc, blobs = _layers_of(manifest, where)
        config = _json(read(blob_name(cfg_desc.get("digest"))), "config", where)
        names = [blob_name(b.digest) for b in blobs]
    else:
        raise MllintError("the image export has neither manifest.json nor index.json", where)
    out = []
    for i, (n, blob) in enumerate(zip(names, blobs)):
        scan = scans.get(_member_name(n))
        if scan is None:
            raise MllintError(f"the image export lacks layer {n}", where)
        _verify(scan, blob, where, i)
        out.append(scan)
    return Image(where, config, out)


class _Prefix:
    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def read(self, n: int = CHUNK) -> bytes:
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.rest.read(n)


# --- Docker Engine API (Docker, or Podman's compatible socket) ------------------------------

def load_daemon(name: str, platform: str | None, where: str) -> Image:
    try:
        import docker
        from docker import errors as derrors
    except ImportError:
        raise MllintError("reading from the Docker engine needs the 'docker' package (pip install docker)",
                          where) from None
    try:
        client = docker.from_env(timeout=600)
    except Exception as exc:  # DockerException: no socket, bad DOCKER_HOST
        raise MllintError(f"cannot reach the Docker engine: {exc}", where) from None
    try:
        try:
            client.api.inspect_image(name)
        except derrors.ImageNotFound:
            raise MllintError(f"no image {name!r} in the Docker engine", where) from None
        stream = client.api.get_image(name, chunk_size=CHUNK)
        return load_archive_stream(stream, name, platform, where)
    except derrors.DockerException as exc:
        raise MllintError(f"the Docker engine failed: {exc}", where) from None
    except OSError as exc:
        raise MllintError(f"cannot reach the Docker engine: {exc}", where) from None
    finally:
        client.close()


# --- dispatch ----------------------------------------------------------------------------------

TRANSPORTS = ("docker-archive", "oci-archive", "oci", "docker-daemon", "docker")


def _split_path_ref(rest: str) -> tuple[str, str | None]:
    """``PATH[:REF]``: the longest prefix that exists is the path."""
    if os.path.exists(rest):
        return rest, None
    head, sep, tail = rest.rpartition(":")
    while sep:
        if os.path.exists(head):
            return head, rest[len(head) + 1:]
        head, sep, _ = head.rpartition(":")
    return rest, None


def load_image(reference: str, platform: str | None = None, insecure: tuple[str, ...] = (),
               verify: bool = True, max_uncompressed: int | None = None) -> Image:
    """Open ``reference`` and scan its layers. Errors are MllintErrors naming the reference.
    ``verify=False`` skips hashing the uncompressed layers of local files (sizes are still checked);
    ``max_uncompressed`` bounds what one compressed layer may inflate to (default 64 GiB)."""
    from .walk import DEFAULT_MAX_UNCOMPRESSED

    _VERIFY[0] = verify
    _MAX_UNCOMPRESSED[0] = max_uncompressed or DEFAULT_MAX_UNCOMPRESSED
    try:
        return _load_image(reference, platform, insecure)
    finally:
        _VERIFY[0] = True
        _MAX_UNCOMPRESSED[0] = DEFAULT_MAX_UNCOMPRESSED


def _load_image(reference: str, platform: str | None, insecure: tuple[str, ...]) -> Image:
    where = reference
    transport, sep, rest = reference.partition(":")
    if sep and transport == "docker" and rest.startswith("//"):
        from .registry import load_registry

        return load_registry(rest[2:], platform, insecure, where)
    if sep and transport in ("docker-archive", "oci-archive", "oci"):
        path, ref = _split_path_ref(rest)
        p = Path(path)
        if transport == "oci":
            if not p.is_dir():
                raise MllintError("no such OCI layout folder", where)
            return load_oci_dir(p, ref, platform, where)
        if not p.is_file():
            raise MllintError("no such archive file", where)
        if transport == "oci-archive":
            return load_oci_archive(p, ref, platform, where)
        return load_docker_archive(p, ref, where)
    if sep and transport == "docker-daemon":
        if not rest:
            raise MllintError("docker-daemon: needs NAME:TAG", where)
        return load_daemon(rest, platform, where)
    # bare: an existing path, else a name for the daemon
    p = Path(reference)
    if p.is_dir():
        return load_oci_dir(p, None, platform, where)
    if p.is_file():
        try:
            with tarfile.open(p, "r:") as tf:
                names = {_member_name(n) for n in tf.getnames()[:50000]}
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise MllintError(f"not an image archive: {exc}", where) from None
        if "manifest.json" in names:
            return load_docker_archive(p, None, where)
        if "index.json" in names:
            return load_oci_archive(p, None, platform, where)
        raise MllintError("not an image archive (no manifest.json or index.json)", where)
    if "/" in reference and (reference.startswith((".", "/")) or reference.endswith((".tar", ".tar.gz"))):
        raise MllintError("no such file or folder", where)
    return load_daemon(reference, platform, where)
