"""Rebuild repository folder layouts from a corpus folder with a MANIFEST.tsv.

The corpus stores files flattened (``owner__repo__path``); linting needs each Dockerfile next
to the requirement files it installs. Usage:

    python benchmarks/corpus_layout.py CORPUS_DIR OUT_DIR

prints the Dockerfile paths it laid out, one per line.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path


def lay_out(corpus: Path, out: Path) -> list[Path]:
    dockerfiles = []
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            target = out / row["repo"].replace("/", "__") / row["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / row["file"], target)
            if row["kind"] == "dockerfile":
                dockerfiles.append(target)
    return dockerfiles


if __name__ == "__main__":
    for path in lay_out(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
