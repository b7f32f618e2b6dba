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


_ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack", "exclude"})
_ARCHIVE_ENDINGS = (".tar", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".zst", ".tzst", ".lz4", ".z")
_PLAIN_ENDINGS = (".py", ".txt", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".sh", ".md", ".conf")


def _local_plain(t: Target, source: str) -> bool:
    """A local file or folder that ADD copies as is: not a URL or git repo, and not a file that could
    be a tar archive (ADD recognises archives by their content, so only known text endings and
    folders are sure)."""
    lower = source.lower()
    if "://" in lower or lower.startswith("git@") or "$" in source or lower.endswith(".git"):
        return False
    if lower.endswith(_ARCHIVE_ENDINGS):
        return False
    if lower.endswith(_PLAIN_ENDINGS) or source in (".", "./") or source.endswith("/"):
        return True
    if any(c in source for c in "*?["):
        return False
    ctx = t.build_context
    rel = source.lstrip("/")
    return ctx is not None and bool(rel) and ctx.exists(rel) and (ctx.root / rel).is_dir()


@check("ML602")
def add_local(t: Target) -> Iterator[Finding]:
    from ..findings import Edit
    from ._common import arg_words

    for ins in t.dockerfile.instructions:
        if ins.keyword != "ADD" or ins.stage < 0 or ins.heredocs or not t.in_use(ins):
            continue
        if any(f.name in _ADD_ONLY_FLAGS for f in ins.flags):
            continue
        words = arg_words(ins)
        if len(words) < 2 or not all(_local_plain(t, w.value) for w in words[:-1]):
            continue
        span = ins.source.span(0, 3)
        written = ins.text[:3]
        yield Finding("ML602", t.dockerfile.path, span,
                      f"`ADD {' '.join(w.value for w in words[:-1])}` copies local files: use `COPY`, which "
                      f"does the same and cannot unpack an archive or fetch a URL by surprise.",
                      edits=(Edit(span, "COPY" if written.isupper() else "copy" if written.islower() else "Copy"),))
