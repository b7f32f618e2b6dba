"""--fix on a tree someone cares about: a killed run leaves each file old or new and whole; the
mode and owner are kept; several mllint runs on the same tree at once (pre-commit) do not step on
each other."""

from __future__ import annotations

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
# many fixable lines: the write takes long enough to be interrupted
BIG = "FROM python:3.11.9-slim\n" + "RUN pip install torch==2.3.1  # " + "x" * 200 + "\n" * 1 + \
    "RUN pip install torch==2.3.1\n" * 300 + "USER 1000\n"


def _mllint(*args, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mllint", *map(str, args)], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _fixed_text(tmp_path: Path, name: str, text: str) -> str:
    ref = tmp_path / "reference"
    ref.mkdir(exist_ok=True)
    (ref / name).write_text(text)
    proc = _mllint("--fix", name, cwd=ref)
    proc.communicate(timeout=300)
    assert proc.returncode in (0, 1)
    fixed = (ref / name).read_text()
    assert fixed != text
    return fixed


_SLOW_WRITE = r"""
import os, sys, time
real = os.fdopen

class Slow:
    def __init__(self, fh):
        self.fh, self.n = fh, 0
    def write(self, text):
        for i in range(0, len(text), 256):
            self.fh.write(text[i:i + 256]); self.fh.flush()
            self.n += 1
            if self.n == 8:
                print("WRITING", flush=True)
            time.sleep(0.005)
    def __enter__(self):
        return self
    def __exit__(self, *a):
        return self.fh.__exit__(*a)
    def __getattr__(self, name):
        return getattr(self.fh, name)

os.fdopen = lambda *a, **k: Slow(real(*a, **k))  # a very slow disk, only in this process
from mllint.cli import run
sys.argv = ["mllint", "--fix", sys.argv[1]]
run()
"""


def test_killed_in_the_middle_of_writing_leaves_the_old_file_whole(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    df = work / "Dockerfile"
    df.write_text(BIG)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITE, "Dockerfile"], cwd=work, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "WRITING", proc.stderr.read()
        partial = [p for p in work.iterdir() if p.name.endswith(".mllint")]
        assert partial and 0 < partial[0].stat().st_size  # the temporary file is being written...
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert df.read_text() == BIG  # ...and the real one is untouched


def test_killed_at_random_moments_the_file_is_old_or_new_never_torn(tmp_path):
    new = _fixed_text(tmp_path, "Dockerfile", BIG)
    work = tmp_path / "work"
    work.mkdir()
    df = work / "Dockerfile"
    rng = random.Random(8)
    started = time.monotonic()
    probe = _mllint("--fix", "Dockerfile", cwd=tmp_path / "reference")  # how long one run takes here
    probe.communicate(timeout=300)
    full = time.monotonic() - started
    seen = set()
    for _ in range(6):
        df.write_text(BIG)
        proc = _mllint("--fix", "Dockerfile", cwd=work)
        time.sleep(rng.uniform(0.3, 1.3) * full)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        text = df.read_text()
        assert text in (BIG, new), "a torn file"
        seen.add("new" if text == new else "old")
        for leftover in work.glob(".*.mllint"):  # what a killed run may leave: never the file itself
            leftover.unlink()
    assert seen  # which of old/new depends on timing; both are whole


def test_mode_and_owner_are_kept(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    df = work / "Dockerfile"
    df.write_text(BIG[:2000])
    os.chmod(df, 0o751)
    root = os.geteuid() == 0
    if root:
        os.chown(df, 4321, 4322)
    proc = _mllint("--fix", "Dockerfile", cwd=work)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), err
    st = df.stat()
    assert "PIP_NO_CACHE_DIR" in df.read_text()
    assert stat.S_IMODE(st.st_mode) == 0o751
    if root:
        assert (st.st_uid, st.st_gid) == (4321, 4322)
    assert not list(work.glob(".*.mllint"))


def test_symlinked_file_is_written_through(tmp_path):
    work = tmp_path / "work"
    (work / "real").mkdir(parents=True)
    (work / "real" / "Dockerfile").write_text(BIG[:2000])
    os.symlink("real/Dockerfile", work / "Dockerfile")
    proc = _mllint("--fix", "Dockerfile", cwd=work)
    proc.communicate(timeout=120)
    assert (work / "Dockerfile").is_symlink()
    assert "PIP_NO_CACHE_DIR" in (work / "real" / "Dockerfile").read_text()


def test_concurrent_runs_on_the_same_tree_do_not_interfere(tmp_path):
    files = {
        "a/Dockerfile": "FROM python:3.11.9-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
                        "USER 1000\n",
        "a/requirements.txt": "torch==2.3.1\n",
        "b/Dockerfile": BIG,
        "c/Dockerfile": "FROM python:3.11.9-slim\nADD app.py /app/\nRUN pip install numpy==1.26.4\nUSER 1000\n",
        "c/app.py": "print(1)\n",
    }
    expected = {}
    for name, text in files.items():
        if name.endswith("Dockerfile"):
            ref = tmp_path / "ref" / name
            ref.parent.mkdir(parents=True, exist_ok=True)
            for other, t in files.items():
                if other.startswith(name.split("/")[0] + "/"):
                    (tmp_path / "ref" / other).write_text(t)
    proc = _mllint("--fix", "a", "b", "c", cwd=tmp_path / "ref")
    proc.communicate(timeout=300)
    for name in files:
        expected[name] = (tmp_path / "ref" / name).read_text()
    assert expected != files

    work = tmp_path / "work"
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    procs = [_mllint("--fix", "a", "b", "c", cwd=work) for _ in range(3)]
    procs += [_mllint("--format", "json", "a", "b", "c", cwd=work) for _ in range(3)]  # pre-commit style readers
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode in (0, 1), err.decode()
        assert b"Traceback" not in err and b"error" not in err.lower(), err.decode()
    for name in files:
        assert (work / name).read_text() == expected[name], name
    assert not [p for p in work.rglob("*") if p.name.endswith(".mllint")]
    shutil.rmtree(work)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_read_only_file_is_left_alone(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    df = work / "Dockerfile"
    df.write_text(BIG[:2000])
    os.chmod(df, 0o444)
    proc = _mllint("--fix", "Dockerfile", cwd=work)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and b"read-only" in err and df.read_text() == BIG[:2000]
