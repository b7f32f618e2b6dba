"""Shape statistics of a Dockerfile corpus, to compare the generated corpus with the real one.

    python benchmarks/corpus_stats.py DIR [DIR ...]     # one column per corpus
    python benchmarks/corpus_stats.py --synth [--seed 0] ../shared/corpus

A DIR with a MANIFEST.tsv (such as ../shared/corpus) is read through its manifest; any other
folder is walked: files named like Dockerfiles are Dockerfiles, *.txt, *.toml and *.y(a)ml files
are requirements. --synth adds a column for a freshly generated corpus (benchmarks/synth_corpus.py).
Commands per RUN are counted roughly: the RUN text split on && || ; | and newlines.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

HEREDOC = re.compile(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
SPLIT = re.compile(r"&&|\|\||;|\||\n")
FLAG = re.compile(r"^(--[a-z-]+=\S+\s+)+")
SHELL_WORDS = {"", "then", "fi", "do", "done", "else", "esac", "{", "}", ")", "EOF"}
MIX = ("FROM", "RUN", "COPY", "ENV", "ARG", "WORKDIR", "LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "USER")


def instructions(text: str) -> list[tuple[str, str, bool, bool]]:
    """(keyword, full text, continued, heredoc) for each instruction; comments and blanks skipped."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts, continued = [line], False
        while parts[-1].rstrip().endswith("\\") and i < len(lines):
            continued = True
            if not lines[i].lstrip().startswith("#"):  # Docker drops comment lines inside an instruction
                parts.append(lines[i])
            i += 1
        ends = HEREDOC.findall("\n".join(parts))
        for end in ends:  # heredoc bodies run to their terminator line
            while i < len(lines) and lines[i].strip() != end:
                parts.append(lines[i])
                i += 1
            parts.append(lines[i] if i < len(lines) else "")
            i += 1
        out.append((line.split(None, 1)[0].upper(), "\n".join(parts), continued, bool(ends)))
    return out


def shell_commands(run: str) -> int:
    """Rough count of shell commands in a RUN: split on && || ; | and newlines."""
    body = run.split(None, 1)[1] if len(run.split(None, 1)) > 1 else ""
    if body.lstrip().startswith("["):
        return 1
    body = FLAG.sub("", body.replace("\\\n", " "))
    return sum(1 for seg in SPLIT.split(body) if seg.strip() not in SHELL_WORDS and not seg.strip().startswith("#"))


def file_stats(text: str) -> dict:
    ins = instructions(text)
    runs = [body for kw, body, _, _ in ins if kw == "RUN"]
    kinds = Counter(kw for kw, *_ in ins)
    lines = text.splitlines()
    return {
        "chars": len(text), "lines": len(lines), "instructions": len(ins), "kinds": kinds,
        "blank": sum(1 for ln in lines if not ln.strip()),
        "comment": sum(1 for ln in lines if ln.lstrip().startswith("#")),
        "runs": len(runs), "run_chars": [len(r) for r in runs], "run_cmds": [shell_commands(r) for r in runs],
        "stages": kinds["FROM"], "heredoc": any(h for *_, h in ins), "continued": any(c for _, _, c, _ in ins),
    }


def corpus_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(Dockerfiles, requirement files) of a corpus folder."""
    manifest = folder / "MANIFEST.tsv"
    if manifest.exists():
        with open(manifest, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        pick = lambda kind: [folder / r["file"] for r in rows if r["kind"] == kind]
        return pick("dockerfile"), pick("requirements")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    docker = [p for p in files if "dockerfile" in p.name.lower()]
    return docker, [p for p in files if p.suffix in (".txt", ".toml", ".yml", ".yaml")]


def summary(folder: Path) -> dict[str, float]:
    dockerfiles, reqs = corpus_files(folder)
    stats = [file_stats(p.read_text(encoding="utf-8", errors="replace")) for p in dockerfiles]
    per = lambda key: [s[key] for s in stats]
    run_chars = [c for s in stats for c in s["run_chars"]]
    run_cmds = [c for s in stats for c in s["run_cmds"]]
    total_ins = sum(s["instructions"] for s in stats)
    kinds = sum((s["kinds"] for s in stats), Counter())
    req_lines = [len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in reqs]
    out = {"dockerfiles": len(stats)}
    for key in ("chars", "lines", "instructions", "runs", "blank", "comment"):
        values = per(key)
        out[f"{key}/file mean"] = statistics.mean(values)
        out[f"{key}/file median"] = statistics.median(values)
    out["chars/file p90"] = statistics.quantiles(per("chars"), n=10)[-1]
    out["chars/line"] = sum(per("chars")) / sum(per("lines"))
    out["chars/RUN mean"] = statistics.mean(run_chars)
    out["chars/RUN median"] = statistics.median(run_chars)
    out["cmds/RUN mean"] = statistics.mean(run_cmds)
    out["cmds/RUN median"] = statistics.median(run_cmds)
    out["RUN chars share"] = sum(run_chars) / sum(per("chars"))
    for kw in ("ARG", "ENV", "LABEL", "COPY", "FROM"):
        out[f"{kw}/file"] = kinds[kw] / len(stats)
    for kw in MIX:
        out[f"mix {kw} %"] = 100 * kinds[kw] / total_ins
    out["mix other %"] = 100 * sum(n for kw, n in kinds.items() if kw not in MIX) / total_ins
    out["multi-stage %"] = 100 * sum(1 for s in stats if s["stages"] > 1) / len(stats)
    out["heredoc %"] = 100 * sum(1 for s in stats if s["heredoc"]) / len(stats)
    out["continuation %"] = 100 * sum(1 for s in stats if s["continued"]) / len(stats)
    out["req files"] = len(reqs)
    out["req lines/file mean"] = statistics.mean(req_lines) if req_lines else 0
    out["req lines/file median"] = statistics.median(req_lines) if req_lines else 0
    return out


def table(columns: dict[str, dict[str, float]]) -> str:
    names = list(columns)
    rows = [f"{'':24}" + "".join(f"{n[-18:]:>20}" for n in names)]
    for key in columns[names[0]]:
        rows.append(f"{key:24}" + "".join(f"{columns[n].get(key, 0):20.1f}" for n in names))
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--synth", action="store_true", help="add a column for a generated corpus")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    columns = {str(d): summary(d) for d in args.dirs}
    if args.synth:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from synth_corpus import generate

        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp), seed=args.seed)
            columns[f"synth seed {args.seed}"] = summary(Path(tmp))
    print(table(columns))


if __name__ == "__main__":
    main()
