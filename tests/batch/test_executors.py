"""Running tasks: a worker that dies costs only its own task and a pool restart."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from alignment.batch import executors, run_tasks
from alignment.errors import Interrupted


def square_or_die(n: int) -> int:
    if n == 3:
        os.abort()  # what a decoder's C++ terminate does to its process
    return n * n


def pid_or_die(task: tuple[int, str]) -> int:
    """Task 0 dies once another task is running; that one is stuck until the pool
    ends its process; tasks started after the death return their worker's pid."""
    n, folder = task
    crashed, waiting = Path(folder) / "crashed", Path(folder) / "waiting"
    if n == 0:
        while not waiting.exists():
            os.sched_yield()
        crashed.touch()
        os.abort()
    if not crashed.exists():
        waiting.touch()
        while not crashed.exists():
            os.sched_yield()
        time.sleep(600)  # was running when the pool broke: the pool ends this process
    return os.getpid()


def _crashed(task: object, error: BaseException) -> int:
    return -1


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_dying_worker_costs_only_its_task(jobs):
    done = dict(run_tasks(square_or_die, list(range(6)), jobs=jobs, on_crash=_crashed))
    assert done == {0: 0, 1: 1, 2: 4, 3: -1, 4: 16, 5: 25}


def test_after_a_crash_the_rest_run_in_a_new_pool_not_alone(tmp_path, monkeypatch):
    pools: list[int] = []
    make = executors._pool

    def counted(jobs: int, *args: Any, **kwargs: Any) -> Any:
        pools.append(jobs)
        return make(jobs, *args, **kwargs)

    monkeypatch.setattr(executors, "_pool", counted)
    tasks = [(n, str(tmp_path)) for n in range(12)]
    done = {n: pid for (n, _), pid in run_tasks(pid_or_die, tasks, jobs=2, on_crash=_crashed)}
    assert done[0] == -1
    assert set(done) == set(range(12))
    # The first pool and one restart of two workers; no task is run alone.
    assert pools == [2, 2]
    workers = {pid for task, pid in done.items() if task != 0}
    assert len(workers) <= 2 + 2  # not one process per remaining task


def signal_or_wait(task: tuple[str, int, int]) -> int:
    """Signal `owner` with `signum` and touch ``go``; wait for ``go``; or (a later
    task) wait for ``release``, which the test touches once it holds a result."""
    path, owner, signum = task
    go, release = Path(path).with_name("go"), Path(path).with_name("release")
    if path.endswith("signal"):
        os.kill(owner, signum)
        go.touch()
    else:
        awaited = go if path.endswith("wait") else release
        deadline = time.monotonic() + 5  # a broken run fails instead of hanging
        while not awaited.exists() and time.monotonic() < deadline:
            os.sched_yield()
    return os.getpid()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_keeps_the_tasks_that_finish_while_it_waits(tmp_path, signum):
    # One task signals this process (the pool's owner), then lets the other, which
    # was waiting for it, finish: that one finished after the signal and is kept.
    # The later tasks wait until this process holds a result of the first two, which
    # come after the signal: had they been quick, all of them could finish before the
    # signal's handler ran, and nothing would be left to drop.
    names = ["wait", "signal"] + [f"later{i}" for i in range(20)]
    tasks = [(str(tmp_path / name), os.getpid(), int(signum)) for name in names]
    done: dict[tuple[str, int, int], int] = {}
    with pytest.raises(Interrupted) as stopped:
        for task, pid in run_tasks(signal_or_wait, tasks, jobs=2, on_crash=_crashed):
            done[task] = pid
            (tmp_path / "release").touch()
    assert stopped.value.signum == signum
    assert tasks[0] in done and tasks[1] in done  # the waiting task was kept
    assert len(done) < len(tasks)  # the rest were dropped


def test_in_process_runs_in_order():
    assert list(run_tasks(abs, [-2, 1], jobs=0, on_crash=_crashed)) == [(-2, 2), (1, 1)]


def headroom_then_allocate(size: int) -> tuple[int, str]:
    """Address space left under this worker's limit, and whether `size` bytes could be had."""
    import resource

    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    headroom = resource.getrlimit(resource.RLIMIT_AS)[0] - mapped
    try:
        block = bytearray(size)
    except MemoryError:
        return headroom, "memory"
    return headroom, f"got {len(block)}"


def test_each_task_runs_under_the_memory_limit():
    limit = 3 * 2**30
    tasks = [2**20, 8 * 2**30, 2**21]
    done = dict(run_tasks(headroom_then_allocate, tasks, jobs=1, on_crash=_crashed,
                          memory_limit_bytes=limit))  # fmt: skip
    assert {size: outcome for size, (_, outcome) in done.items()} == {
        2**20: f"got {2**20}",
        8 * 2**30: "memory",
        2**21: f"got {2**21}",
    }
    # Counted from what the worker holds when each task starts (its libraries).
    assert all(0 < headroom <= limit for headroom, _ in done.values())
    assert executors.default_memory_limit(2) >= 2**31
