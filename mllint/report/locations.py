"""Finding → location, shared by the CI formats (SARIF, GitHub, GitLab).

A finding with a file line (``span.line >= 1``) is a physical location: its path as reported,
turned into a relative, percent-encoded URI under ``%SRCROOT%`` (the current folder) when it is
below it, else an absolute ``file:`` URI. A finding without a file line (an image finding the
Dockerfile does not explain) is a logical location: the thing its ``path`` names (an image).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from ..findings import Finding
from ..model import Span
from ..record import record

SRCROOT = "%SRCROOT%"


@record(frozen=True)
class Location:
    path: str  # posix, as reported
    span: Span | None  # None: no file line → a logical location named by ``path``
    uri: str  # relative (to %SRCROOT%) or absolute file: URI; for a logical location, ``path``
    relative: bool  # uri is relative to %SRCROOT%


def srcroot_uri(cwd: str | None = None) -> str:
    return Path(cwd or os.getcwd()).resolve().as_uri().rstrip("/") + "/"


def _uri(path: str) -> tuple[str, bool]:
    posix = path.replace("\\", "/")
    pure = PurePosixPath(posix)
    if not pure.is_absolute() and not (len(posix) > 1 and posix[1] == ":"):
        parts = [p for p in pure.parts if p != "."]
        if ".." not in parts:
            return quote("/".join(parts), safe="/"), True
    return Path(os.path.abspath(path)).as_uri(), False


def location_of(f: Finding) -> Location:
    path = f.path.replace("\\", "/")
    if f.span.line < 1:
        return Location(path, None, path, False)
    uri, relative = _uri(f.path)
    return Location(path, f.span, uri, relative)


def artifact_location(path: str) -> dict:
    uri, relative = _uri(path)
    return {"uri": uri, "uriBaseId": SRCROOT} if relative else {"uri": uri}
