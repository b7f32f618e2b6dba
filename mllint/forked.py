"""Run a function over many items on every core, with forked copies of this process.

Linting is pure Python, so threads would not run in parallel. Rather than a multiprocessing pool
(its import, its feeder threads, a pickle per task and an idle parent), this process forks
``workers - 1`` children, every process takes an interleaved share of the items (``items[k::n]``,
which balances files of mixed sizes), and each child sends its results back once, pickled,
through a pipe. A child that dies or sends nothing usable has its share redone here, so the
results are always complete and in order.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence


def map_forked(fn: Callable, items: Sequence, workers: int) -> list:
    """``[fn(x) for x in items]``, computed by ``workers`` processes (this one included)."""
    if workers < 2 or not hasattr(os, "fork"):
        return [fn(x) for x in items]
    children = [_spawn(fn, items[k::workers]) for k in range(1, workers)]
    results: list = [None] * len(items)
    results[0::workers] = [fn(x) for x in items[0::workers]]
    for k, (pid, fd) in enumerate(children, start=1):
        share = items[k::workers]
        theirs = _collect(pid, fd, len(share))
        results[k::workers] = theirs if theirs is not None else [fn(x) for x in share]
    return results


def _spawn(fn: Callable, share: Sequence) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, send, and leave without running the parent's exit handlers
        code = 1
        try:
            os.close(read_fd)
            data = pickle.dumps([fn(x) for x in share], protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _collect(pid: int, fd: int, expected: int) -> list | None:
    """The child's results, or None when it failed."""
    with os.fdopen(fd, "rb") as inp:
        data = inp.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        results = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a truncated or garbled message: redo the share
        return None
    return results if isinstance(results, list) and len(results) == expected else None
