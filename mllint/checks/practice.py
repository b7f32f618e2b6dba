"""Best practice: Dockerfile mistakes that are not about what ships, but about whether it builds."""

from __future__ import annotations

from collections.abc import Iterator

from ..dockerfile.parser import KEYWORDS
from ..engine import check
from ..findings import Finding
from ..target import Target


@check("ML601")
def unknown_instructions(t: Target) -> Iterator[Finding]:
    for ins in t.dockerfile.instructions:
        if ins.keyword not in KEYWORDS:
            word = ins.text.split(None, 1)[0] if ins.text.strip() else ins.text
            yield Finding("ML601", t.dockerfile.path, ins.source.span(0, len(word)),
                          f"`{word}` is not a Dockerfile instruction: `docker build` stops here with "
                          f"\"unknown instruction\". If this file is a template, lint the rendered "
                          f"Dockerfile; otherwise fix the keyword.")
