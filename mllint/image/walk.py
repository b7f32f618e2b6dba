"""Streaming layer walk: a layer blob in, a small LayerScan out.

The blob is read once, front to back, in bounded chunks: its bytes are hashed (the digest the
manifest names), decompressed when gzip or zstd (bounded output per step), and the tar inside is
walked by its 512-byte headers; file contents are skipped, except the few small files the image
facts need (dist-info METADATA/RECORD/INSTALLER, conda-meta/*.json, dpkg status, os-release, CUDA
version files, torch/version.py, cuDNN's version header), which are parsed right away into small
facts. Nothing is extracted to disk and no layer is held in memory.

An uncompressed tar in a regular file (a docker-archive layer) is split instead: walk_window reads
just its headers by position, seeking past contents, while another thread runs hash_window over
its bytes (mllint.image.sources.scan_parallel schedules both).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import zlib
from collections.abc import Iterator

from ..errors import MllintError
from ..record import field, record

TYPE_CHECKING = False  # typing costs ~8 ms to import; only type checkers need these names
if TYPE_CHECKING:
    import queue
    from typing import BinaryIO

CHUNK = 1 << 20  # raw read size
OUT_CHUNK = 4 << 20  # at most this much decompressed output per step
SMALL_FILE_MAX = 8 << 20  # larger "interesting" files are not read (an 8 MiB dpkg status is huge)
DEFAULT_MAX_UNCOMPRESSED = 64 << 30  # a compressed layer that inflates past this is a bomb
_MAX_UNCOMPRESSED = [DEFAULT_MAX_UNCOMPRESSED]  # set per run: config limits.max-layer-uncompressed-gb


class DecompressionLimit(MllintError):
    """A compressed layer inflates past the configured limit (``limits.max-layer-uncompressed-gb``)."""

# entry kinds
FILE, DIR, SYMLINK, HARDLINK, OTHER, WHITEOUT, OPAQUE = "f", "d", "l", "h", "o", "w", "q"


@record
class LayerScan:
    digest: str  # sha256 of the blob as stored ("sha256:...")
    size: int  # blob bytes as stored
    uncompressed_digest: str | None  # only when asked for (docker-archive diff_ids)
    uncompressed_size: int
    compression: str  # none | gzip | zstd
    # (normalized path, kind, size) in tar order; whiteouts name the deleted path (kind w),
    # opaque markers name their folder (kind q)
    entries: list[tuple[str, str, int]] = field(default_factory=list)
    facts: dict[str, tuple[str, object]] = field(default_factory=dict)  # path -> (kind, parsed fact)


class _HashingReader:
    """Reads a raw blob in chunks, counting every byte and hashing it on a helper thread
    (hashlib releases the GIL), so hashing overlaps reading, decompressing and parsing."""

    def __init__(self, fh: BinaryIO, limit: int | None):
        import queue  # streams only: a docker-archive's plain layers never come here

        self.fh = fh
        self.left = limit
        self.sha = hashlib.sha256()
        self.count = 0
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.thread = threading.Thread(target=self._hash, daemon=True)
        self.thread.start()

    def _hash(self) -> None:
        update, get = self.sha.update, self.queue.get
        while True:
            data = get()
            if data is None:
                return
            update(data)

    def read(self, n: int = CHUNK) -> bytes:
        if self.left is not None:
            if self.left <= 0:
                return b""
            n = min(n, self.left)
        data = self.fh.read(n)
        if data:
            self.queue.put(data)
            self.count += len(data)
            if self.left is not None:
                self.left -= len(data)
        return data

    def readinto(self, b) -> int:  # for zstandard's stream_reader
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def hexdigest(self) -> str:
        self.close()
        return self.sha.hexdigest()

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()


def _raw_chunks(reader: _HashingReader, first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    while True:
        data = reader.read(CHUNK)
        if not data:
            return
        yield data


def _gzip_chunks(reader: _HashingReader, first: bytes) -> Iterator[bytes]:
    try:
        from isal import isal_zlib as zmod  # about 2-3x zlib's speed
    except ImportError:  # pragma: no cover - isal is a dependency, zlib is the fallback
        zmod = zlib
    d = zmod.decompressobj(wbits=31)
    fed = False  # the current member has had input and has not ended
    for data in _raw_chunks(reader, first):
        while data:
            fed = True
            out = d.decompress(data, OUT_CHUNK)
            if out:
                yield out
            if d.unconsumed_tail:
                data = d.unconsumed_tail
                continue
            if d.eof:  # a multi-member gzip stream: go on with the next member
                data = d.unused_data
                d = zmod.decompressobj(wbits=31)
                fed = False
                if data and data[:2] != b"\x1f\x8b":
                    return  # padding after the last member
                continue
            data = b""
    while fed and not d.eof:
        out = d.decompress(b"", OUT_CHUNK) if d.unconsumed_tail == b"" else d.decompress(d.unconsumed_tail, OUT_CHUNK)
        if not out:
            break
        yield out
    if fed and not d.eof:
        raise MllintError("truncated gzip stream")


def _zstd_chunks(reader: _HashingReader, first: bytes) -> Iterator[bytes]:
    try:
        import zstandard
    except ImportError:
        raise MllintError("a zstd-compressed layer needs the 'zstandard' package (pip install zstandard)") from None

    class _Prefixed:
        def __init__(self):
            self.first = first

        def read(self, n=CHUNK):
            if self.first:
                out, self.first = self.first, b""
                return out
            return reader.read(n)

    stream = zstandard.ZstdDecompressor().stream_reader(_Prefixed(), read_size=CHUNK, read_across_frames=True)
    while True:
        out = stream.read(OUT_CHUNK)
        if not out:
            return
        yield out


class _Chunks:
    """Take and skip exact byte counts over an iterator of chunks."""

    __slots__ = ("it", "buf", "pos", "sha", "count")

    def __init__(self, it: Iterator[bytes], sha=None):
        self.it = it
        self.buf = b""
        self.pos = 0
        self.sha = sha
        self.count = 0

    def _next(self) -> bytes | None:
        for c in self.it:
            if c:
                if self.sha is not None:
                    self.sha.update(c)
                self.count += len(c)
                return c
        return None

    def take(self, n: int) -> bytes:
        buf, pos = self.buf, self.pos
        if len(buf) - pos >= n:
            self.pos = pos + n
            return buf[pos:pos + n]
        parts = [buf[pos:]]
        need = n - (len(buf) - pos)
        self.buf, self.pos = b"", 0
        while need > 0:
            c = self._next()
            if c is None:
                break
            if len(c) <= need:
                parts.append(c)
                need -= len(c)
            else:
                parts.append(c[:need])
                self.buf, self.pos = c, need
                need = 0
        return b"".join(parts)

    def skip(self, n: int) -> int:
        avail = len(self.buf) - self.pos
        if avail >= n:
            self.pos += n
            return n
        skipped = avail
        need = n - avail
        self.buf, self.pos = b"", 0
        while need > 0:
            c = self._next()
            if c is None:
                break
            if len(c) <= need:
                need -= len(c)
                skipped += len(c)
            else:
                self.buf, self.pos = c, need
                skipped += need
                need = 0
        return skipped

    def drain(self) -> None:
        self.buf, self.pos = b"", 0
        while self._next() is not None:
            pass


def normalize(name: str) -> str:
    """A tar member name as a path from the image root: no leading /, ./, empty or . parts,
    and .. never climbs above the root."""
    if name.endswith("/"):  # a folder
        name = name.rstrip("/")
    if "/." not in name and "//" not in name and not name.startswith((".", "/")):
        return name
    out: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/".join(out)


def _octal(field_: bytes) -> int:
    if field_ and field_[0] & 0x80:  # GNU base-256
        value = int.from_bytes(field_[1:], "big")
        return value - (1 << (8 * len(field_) - 8)) if field_[0] & 0x40 else value
    text = field_.split(b"\0", 1)[0].strip(b" \0")
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise MllintError("not a tar archive (bad header)") from None


def _size(hdr: bytes) -> int:
    """The size field; the common form (11 octal digits, then NUL or space) without _octal's copies."""
    if hdr[135] in (0, 32):
        try:
            return int(hdr[124:135], 8)
        except ValueError:
            pass
    return _octal(hdr[124:136])


def _cstr(field_: bytes) -> str:
    return field_.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            break
        if length <= 0:
            break
        record = data[space + 1: pos + length - 1]  # without the trailing newline
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


_TYPES = {b"0": FILE, b"\0": FILE, b"7": FILE, b"S": FILE, b"1": HARDLINK, b"2": SYMLINK, b"5": DIR,
          b"3": OTHER, b"4": OTHER, b"6": OTHER}


def headers(chunks: _Chunks) -> Iterator[tuple[str, bytes, int, int]]:
    """(name as stored, typeflag, size, padded size) of each member; pax, GNU long names and
    ustar prefixes applied. The caller consumes exactly ``padded`` bytes before the next one.
    Runs once per member of every layer: kept to a few slices and C calls per header."""
    take = chunks.take
    pax_next: dict[str, str] = {}
    pax_global: dict[str, str] = {}
    long_name: str | None = None
    while True:
        hdr = take(512)
        if len(hdr) < 512:
            if hdr.strip(b"\0"):
                raise MllintError("truncated tar")
            return
        if not hdr[0] and hdr.count(0) == 512:
            return  # end-of-archive marker
        ustar = hdr.startswith(b"ustar", 257)  # the magic: trusted as a header, as tar does
        if not ustar and _octal(hdr[148:156]) != sum(hdr) - sum(hdr[148:156]) + 256:
            raise MllintError("not a tar archive (bad header checksum)")
        typeflag = hdr[156:157]
        size = _size(hdr)
        if size < 0:  # base-256 can say so; a negative size would move the reader backwards forever
            raise MllintError("not a tar archive (negative member size)")
        padded = (size + 511) & ~511
        if typeflag in (b"x", b"g", b"L", b"K"):
            data = take(padded)[:size]
            if len(data) < size:
                raise MllintError("truncated tar")
            if typeflag == b"x":
                pax_next = _pax(data)
            elif typeflag == b"g":
                pax_global.update(_pax(data))
            elif typeflag == b"L":
                long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            continue
        end = hdr.find(0, 0, 100)
        name = hdr[:end if end >= 0 else 100].decode("utf-8", "surrogateescape")
        if hdr[345] and ustar and hdr[262] == 0:  # a ustar (not GNU) prefix
            name = _cstr(hdr[345:500]) + "/" + name
        if long_name is not None:
            name, long_name = long_name, None
        if pax_next or pax_global:
            meta = {**pax_global, **pax_next}
            pax_next = {}
            name = meta.get("path", name)
            if "size" in meta:
                try:
                    size = int(meta["size"])
                    padded = (size + 511) & ~511
                except ValueError:
                    pass
                if size < 0:
                    raise MllintError("not a tar archive (negative member size in a pax header)")
        yield name, typeflag, size, padded


def walk_tar(chunks: _Chunks, scan: LayerScan) -> None:
    entries = scan.entries
    append, skip, types = entries.append, chunks.skip, _TYPES
    for name, typeflag, size, padded in headers(chunks):
        path = normalize(name)
        if ".wh." in path:
            parent, _, base = path.rpartition("/")
            if base.startswith(".wh."):
                if base == ".wh..wh..opq":
                    append((parent, OPAQUE, 0))
                else:
                    target = base[4:]
                    append(((parent + "/" + target) if parent else target, WHITEOUT, 0))
                skip(padded)
                continue
        if not path:  # the root folder itself
            skip(padded)
            continue
        kind = types.get(typeflag, OTHER)
        if kind != FILE:
            append((path, kind, 0))
        else:
            append((path, kind, size))
            want = interest(path)
            if want is not None and size <= SMALL_FILE_MAX:
                data = chunks.take(padded)[:size]
                if len(data) < size:
                    raise MllintError("truncated layer tar")
                fact = extract(want, path, data)
                if fact is not None:
                    scan.facts[path] = (want, fact)
                continue
        if padded and skip(padded) < padded:
            raise MllintError("truncated layer tar")


class MemberReader:
    """A file-like view of one member of an outer tar read through ``_Chunks``."""

    def __init__(self, chunks: _Chunks, size: int):
        self.chunks = chunks
        self.left = size

    def read(self, n: int = CHUNK) -> bytes:
        if self.left <= 0:
            return b""
        data = self.chunks.take(min(n, self.left))
        self.left -= len(data)
        if not data:
            self.left = 0
        return data

    def finish(self, padded: int, size: int) -> None:
        self.chunks.skip(self.left + (padded - size))
        self.left = 0


# --- the small files the facts need -------------------------------------------------------

_CUDA_VERSION = re.compile(r"^usr/local/cuda[^/]*/version\.(json|txt)$")


# every path interest() may want ends with one of these: most paths are refused by one C call
_TAILS = ("METADATA", "RECORD", "INSTALLER", ".json", "/status", "os-release", "/version.py", "/version.txt",
          "cudnn_version.h", "cudnn.h")


def interest(path: str) -> str | None:
    if not path.endswith(_TAILS):
        return None
    base = path.rpartition("/")[2]
    if base == "METADATA" or base == "RECORD" or base == "INSTALLER":
        parent = path[: -len(base) - 1]
        if parent.endswith(".dist-info"):
            return "dist-" + base.lower()
        return None
    if base.endswith(".json"):
        if path[: -len(base) - 1].endswith("conda-meta"):
            return "conda"
        if _CUDA_VERSION.match(path):
            return "cuda-version"
        return None
    if path == "var/lib/dpkg/status":
        return "dpkg"
    if base == "os-release" and path in ("etc/os-release", "usr/lib/os-release"):
        return "os-release"
    if base == "version.py" and path.endswith("/torch/version.py"):
        return "torch-version"
    if base == "version.txt" and _CUDA_VERSION.match(path):
        return "cuda-version"
    if base in ("cudnn_version.h", "cudnn.h") and "include" in path:
        return "cudnn-header"
    return None


_CONDA_NAME = re.compile(r'"name"\s*:\s*"([^"]+)"')
_CONDA_VERSION = re.compile(r'"version"\s*:\s*"([^"]*)"')
_CONDA_SIZE = re.compile(r'"size"\s*:\s*(\d+)')


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def extract(kind: str, path: str, data: bytes):
    """Parse one small file into a small fact; None when it says nothing useful."""
    try:
        if kind == "dist-metadata":
            name = version = None
            for line in _text(data).splitlines():
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
            return (name, version) if name else None
        if kind == "dist-record":
            total = count = 0
            for line in _text(data).splitlines():
                parts = line.rsplit(",", 2)
                if len(parts) == 3 and parts[2].strip().isdigit():
                    total += int(parts[2])
                count += 1
            return (total, count)
        if kind == "dist-installer":
            return _text(data).strip()[:40] or None
        if kind == "conda":  # top-level keys by pattern: a big package's file list never becomes objects
            text = _text(data)
            name = _CONDA_NAME.search(text)
            if not name:
                return None
            version = _CONDA_VERSION.search(text)
            size = _CONDA_SIZE.search(text)
            return (name.group(1), version.group(1) if version else "", int(size.group(1)) if size else 0)
        if kind == "dpkg":
            return _dpkg(_text(data))
        if kind == "os-release":
            values = {}
            for line in _text(data).splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    values[key.strip()] = value.strip().strip("\"'")
            return (values.get("ID", ""), values.get("VERSION_ID", ""), values.get("PRETTY_NAME", ""))
        if kind == "cuda-version":
            if path.endswith(".json"):
                meta = json.loads(data)
                ver = (meta.get("cuda") or meta.get("cuda_cudart") or {}).get("version")
                return str(ver) if ver else None
            m = re.search(r"CUDA Version (\d+(?:\.\d+)*)", _text(data))
            return m.group(1) if m else None
        if kind == "torch-version":
            text = _text(data)
            out = {}
            for key in ("__version__", "cuda", "git_version"):
                m = re.search(rf"^{key}\s*(?::[^=\n]*)?=\s*['\"]([^'\"]*)['\"]", text, re.M)
                if m:
                    out[key] = m.group(1)
                elif re.search(rf"^{key}\s*(?::[^=\n]*)?=\s*None", text, re.M):
                    out[key] = None
            return (out.get("__version__"), out.get("cuda"))
        if kind == "cudnn-header":
            text = _text(data)
            parts = [re.search(rf"#define CUDNN_{k}\s+(\d+)", text) for k in ("MAJOR", "MINOR", "PATCHLEVEL")]
            if parts[0]:
                return ".".join(m.group(1) for m in parts if m)
            return None
    except (ValueError, TypeError, AttributeError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return None


def _dpkg(text: str) -> tuple[tuple[str, str, int], ...]:
    out = []
    for block in text.split("\n\n"):
        name = version = status = ""
        size = 0
        for line in block.splitlines():
            if line.startswith("Package:"):
                name = line[8:].strip()
            elif line.startswith("Version:"):
                version = line[8:].strip()
            elif line.startswith("Status:"):
                status = line[7:].strip()
            elif line.startswith("Installed-Size:"):
                try:
                    size = int(line[15:].strip()) * 1024
                except ValueError:
                    size = 0
        if name and (not status or status.endswith(" installed")):
            out.append((name, version, size))
    return tuple(out)


# --- one blob -------------------------------------------------------------------------------

def scan_blob(fh: BinaryIO, *, limit: int | None = None, want_uncompressed_digest: bool = False,
              where: str = "layer") -> LayerScan:
    """Walk one layer blob read from ``fh`` (at most ``limit`` bytes); the blob is always read
    to its end so that its digest covers every byte."""
    reader = _HashingReader(fh, limit)
    first = reader.read(CHUNK)
    if first[:2] == b"\x1f\x8b":
        compression, it = "gzip", _gzip_chunks(reader, first)
    elif first[:4] == b"\x28\xb5\x2f\xfd":
        compression, it = "zstd", _zstd_chunks(reader, first)
    else:
        compression, it = "none", _raw_chunks(reader, first)
    if compression != "none":
        it = _bounded(it, _MAX_UNCOMPRESSED[0], compression)
    usha = hashlib.sha256() if (want_uncompressed_digest and compression != "none") else None
    chunks = _Chunks(it, usha)
    scan = LayerScan("", 0, None, 0, compression)
    try:
        _walk(chunks, scan, first, reader, where, compression)
    finally:
        reader.close()
    scan.digest = "sha256:" + reader.hexdigest()
    scan.size = reader.count
    scan.uncompressed_size = chunks.count
    if want_uncompressed_digest:
        scan.uncompressed_digest = scan.digest if usha is None else "sha256:" + usha.hexdigest()
    return scan


def _bounded(it: Iterator[bytes], limit: int, compression: str) -> Iterator[bytes]:
    """Decompressed chunks, stopping with DecompressionLimit past ``limit`` bytes: memory is
    bounded by the chunk sizes anyway, this bounds the time a gzip or zstd bomb can take."""
    total = 0
    for out in it:
        total += len(out)
        if total > limit:
            raise DecompressionLimit(f"the {compression} stream inflates to more than {limit} bytes "
                                     f"(a decompression bomb?); raise limits.max-layer-uncompressed-gb "
                                     f"in the config if the layer is genuine")
        yield out


def _walk(chunks: _Chunks, scan: LayerScan, first: bytes, reader: _HashingReader, where: str,
          compression: str) -> None:
    try:
        if first:
            walk_tar(chunks, scan)
        chunks.drain()
    except (zlib.error, EOFError, OSError) as exc:
        raise MllintError(f"{where}: cannot read the {compression} stream: {exc}") from None
    except DecompressionLimit:
        raise
    except Exception as exc:
        if exc.__class__.__name__ in ("ZstdError", "IsalError"):
            raise MllintError(f"{where}: cannot read the {compression} stream: {exc}") from None
        if isinstance(exc, MllintError) and not exc.path:
            raise MllintError(f"{where}: {exc.message}") from None
        raise
    reader.drain()


# --- a blob in a regular file: an uncompressed tar is walked by position and hashed apart -------

READ_AHEAD = 64 << 10
HASH_PIECE = 4 << 20  # few GIL round trips per layer: the walk holds the GIL meanwhile


class _PreadChunks:
    """``_Chunks`` over a window of a file: take reads just what is asked for (headers and the
    few small files) with pread, skip just moves the position (a seek past the contents)."""

    __slots__ = ("fd", "pos", "end", "buf", "buf_at")

    def __init__(self, fd: int, start: int, end: int):
        self.fd, self.pos, self.end = fd, start, end
        self.buf, self.buf_at = b"", start  # a small read-ahead: headers of small files are close

    def take(self, n: int) -> bytes:
        pos = self.pos
        stop = pos + n
        if stop > self.end:
            stop = self.end
        self.pos = stop
        off = pos - self.buf_at
        if 0 <= off and stop - self.buf_at <= len(self.buf):
            return self.buf[off:off + (stop - pos)]
        if stop - pos > READ_AHEAD:
            return os.pread(self.fd, stop - pos, pos)
        self.buf = os.pread(self.fd, min(READ_AHEAD, self.end - pos), pos)
        self.buf_at = pos
        return self.buf[: stop - pos]

    def skip(self, n: int) -> int:
        pos = self.pos
        stop = pos + n
        if stop > self.end:
            stop = self.end
        self.pos = stop
        return stop - pos


def walks_by_position(path: str, offset: int, size: int) -> bool:
    """Whether the blob at ``offset`` is an uncompressed tar for walk_window and hash_window;
    anything else (compressed, tiny, or no pread on this system) goes to scan_file_window."""
    if size < 1024 or not hasattr(os, "pread"):
        return False
    with open(path, "rb", buffering=0) as fh:
        head = os.pread(fh.fileno(), 4, offset)
    return head[:2] != b"\x1f\x8b" and head[:4] != b"\x28\xb5\x2f\xfd"


def walk_window(path: str, offset: int, size: int, where: str = "layer") -> LayerScan:
    """Walk an uncompressed tar that is ``size`` bytes at ``offset`` of a file by its headers,
    seeking past contents. Its digest is left empty: hash_window reads the bytes."""
    scan = LayerScan("", size, None, size, "none")
    with open(path, "rb", buffering=0) as fh:
        try:
            walk_tar(_PreadChunks(fh.fileno(), offset, offset + size), scan)
        except MllintError as exc:
            raise MllintError(f"{where}: {exc.message}") from None
    return scan


def hash_window(path: str, offset: int, size: int, stop: threading.Event | None = None) -> str | None:
    """The digest ("sha256:...") of ``size`` bytes at ``offset`` of a file, read piece by piece
    into one buffer; each read and each update releases the GIL, so threads hash windows in
    parallel. None when ``stop`` is set first."""
    sha = hashlib.sha256()
    view = memoryview(bytearray(min(HASH_PIECE, size)))
    with open(path, "rb", buffering=0) as fh:
        fh.seek(offset)
        left = size
        while left:
            if stop is not None and stop.is_set():
                return None
            n = fh.readinto(view[:left])
            if not n:
                raise OSError(f"unexpected end of file ({left} bytes short)")
            sha.update(view[:n])
            left -= n
    return "sha256:" + sha.hexdigest()


def scan_file_window(path: str, offset: int, size: int, *, want_uncompressed_digest: bool = False,
                     where: str = "layer") -> LayerScan:
    """scan_blob over ``size`` bytes at ``offset`` of a file (a compressed blob, mostly)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        return scan_blob(fh, limit=size, want_uncompressed_digest=want_uncompressed_digest, where=where)
