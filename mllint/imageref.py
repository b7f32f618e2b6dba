"""Container image references: ``[registry/]repository[:tag][@digest]``."""

from __future__ import annotations

from .record import record


@record(frozen=True, slots=True)
class ImageRef:
    registry: str | None  # "ghcr.io", "localhost:5000"; None for Docker Hub
    repository: str  # "library/python" is kept as written: "python"
    tag: str | None
    digest: str | None  # "sha256:..."

    @property
    def is_scratch(self) -> bool:
        return self.registry is None and self.repository == "scratch"


def parse_image_ref(text: str) -> ImageRef:
    """Split a reference the way the distribution reference grammar does; never raises."""
    rest, _, digest = text.partition("@")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    repository, tag = rest, None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        repository, tag = rest[:colon], rest[colon + 1:] or None
    return ImageRef(registry, repository, tag, digest or None)
