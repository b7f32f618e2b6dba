"""Many files are linted by forked workers; the report must be exactly the serial one."""

import os

import pytest

from mllint.forked import map_forked
from mllint.lint import PARALLEL_MIN_FILES, Linter, Options

DIGEST = "sha256:" + "ab" * 32


def _write(tmp_path, count):
    paths = []
    for i in range(count):
        folder = tmp_path / f"svc{i:02d}"
        folder.mkdir()
        (folder / "requirements.txt").write_text(f"torch>=2.{i}\nnumpy=={i}.0\n")
        (folder / "Dockerfile").write_text(
            f"FROM python:3.11.{i}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt einops\n"
            + ("RUN <<EOF\n" if i == 7 else "")  # one broken file: an error, the others go on
        )
        paths.append(folder / "Dockerfile")
    return paths


def test_parallel_report_equals_serial(tmp_path, monkeypatch):
    paths = _write(tmp_path, 2 * PARALLEL_MIN_FILES + 3)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    parallel = Linter(Options()).run(paths)
    monkeypatch.setenv("MLLINT_DEBUG", "1")  # forces the serial path
    serial = Linter(Options()).run(paths)
    assert parallel.findings == serial.findings and len(parallel.findings) > 3 * len(paths)
    assert parallel.errors == serial.errors and len(serial.errors) == 1 and "svc07" in serial.errors[0]
    assert (parallel.files, parallel.failing) == (serial.files, serial.failing)


def _square_or_die(x):
    if x == 13 and os.getpid() != PARENT:
        os._exit(3)  # a worker that dies mid-share
    return x * x


PARENT = os.getpid()


@pytest.mark.parametrize("workers", [1, 2, 3, 5])
def test_map_forked_keeps_order_and_redoes_a_dead_workers_share(workers):
    items = list(range(40))
    assert map_forked(_square_or_die, items, workers) == [x * x for x in items]


def test_map_forked_results_come_from_other_processes():
    pids = set(map_forked(lambda _: os.getpid(), list(range(12)), 3))
    assert len(pids) == 3 and os.getpid() in pids
