"""Running tasks: in this process, in a local process pool, or on a Dask cluster.

Whichever runs them, :func:`run_tasks` yields each task's outcome as it completes, so
the caller can store it at once; the outcomes themselves do not depend on the runner.
"""

from __future__ import annotations

import ast
import concurrent.futures
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from types import FrameType
from typing import Any, TypeVar

from alignment.errors import BatchError

__all__ = ["DEFAULT_TIME_LIMIT_S", "check_main_guard", "default_jobs", "run_tasks"]

DEFAULT_TIME_LIMIT_S = 300.0
"""Default longest time one image may take in a batch (seconds)."""

T = TypeVar("T")
R = TypeVar("R")
OnCrash = Callable[[T, BaseException], R]
"""What to return for a task whose process died while running it."""


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    sides = [test.left, *test.comparators]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    texts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return isinstance(test.ops[0], ast.Eq) and names == {"__name__"} and texts == {"__main__"}


def check_main_guard() -> None:
    """Fail at once when worker processes would run the calling script again.

    Worker processes (started by ``forkserver`` or ``spawn``, never ``fork``, which is
    unsafe with threads) import the main script again before they run a task. A script
    that starts the work at its top level, outside ``if __name__ == "__main__":``, would
    start it again in every worker, and each would die: every image would end as a
    crash. This finds the main script's top-level statement that led here and checks
    that it lies inside such a block (or that there is no script: ``python -c``, a
    notebook, an interactive session).

    Raises
    ------
    BatchError
        Naming the script and the line, and saying what to add.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path:
        return
    frame: FrameType | None = sys._getframe()
    while frame is not None and not (
        frame.f_globals is vars(main) and frame.f_code.co_name == "<module>"
    ):
        frame = frame.f_back
    if frame is None:  # called from a thread, or not from the script's top level
        return
    line = frame.f_lineno
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return
    guards = [n for n in ast.walk(tree) if isinstance(n, ast.If) and _is_main_test(n.test)]
    if any(n.lineno <= line <= (n.end_lineno or n.lineno) for n in guards):
        return
    raise BatchError(
        f"{path}, line {line}: worker processes import this script again and would run "
        'it again; put the code that starts the batch under `if __name__ == "__main__":` '
        "(or pass jobs=0 to run in this process)"
    )


def _pool(jobs: int) -> concurrent.futures.ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    return concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker
    )


def _isolated(function: Callable[[T], R], task: T, on_crash: OnCrash[T, R]) -> R:
    """Run one task alone in a fresh process; if that process dies, ask `on_crash`."""
    pool = _pool(1)
    try:
        return pool.submit(function, task).result()
    except BrokenProcessPool as exc:
        return on_crash(task, exc)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _local(
    function: Callable[[T], R], tasks: Sequence[T], jobs: int, on_crash: OnCrash[T, R]
) -> Iterator[tuple[T, R]]:
    if jobs == 0:  # in this process: for debugging, and for tests that patch functions
        for task in tasks:
            yield task, function(task)
        return
    pool = _pool(jobs)
    futures = {pool.submit(function, task): task for task in tasks}
    survivors: list[T] = []
    try:
        for future in concurrent.futures.as_completed(futures):
            try:
                result = future.result()
            except BrokenProcessPool:
                # A worker died (a decoder's C++ abort, the OOM killer...): every task
                # not finished is run again alone, so only the culprit is lost.
                survivors.append(futures[future])
                continue
            yield futures[future], result
    finally:
        # On Ctrl-C (or a consumer that stops early) drop what has not started and
        # wait only for what is running; the caller has stored every finished task.
        pool.shutdown(wait=True, cancel_futures=True)
    for task in survivors:
        yield task, _isolated(function, task, on_crash)


def _start_worker() -> None:
    """Leave Ctrl-C to the parent, which stops the pool cleanly, and end with the parent.

    A worker whose parent is killed outright (SIGKILL, the OOM killer) would wait on
    its task queue forever and keep the fork server alive with it; a thread watches
    the parent and ends the worker once the parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_after, args=(parent.sentinel,), daemon=True).start()


def _exit_after(sentinel: int) -> None:
    """End this process once `sentinel` (a process's) is ready: that process ended."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _dask(
    function: Callable[[T], R],
    tasks: Sequence[T],
    jobs: int,
    address: str,
    on_crash: OnCrash[T, R],
) -> Iterator[tuple[T, R]]:
    try:
        from distributed import Client, LocalCluster, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise BatchError(
            "--scheduler needs Dask distributed: pip install 'radiographic-alignment[dask]'"
        ) from None
    cluster: Any = None
    try:
        if address == "local":
            cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(address, timeout="20s")
    except OSError as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        futures = client.map(function, tasks, pure=False)
        owner = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in as_completed(futures):
            task = owner[future.key]
            try:
                yield task, future.result()
            except KilledWorker as exc:  # the task killed every worker it was given
                yield task, on_crash(task, exc)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(
    function: Callable[[T], R],
    tasks: Sequence[T],
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    on_crash: OnCrash[T, R],
) -> Iterator[tuple[T, R]]:
    """Yield ``(task, function(task))`` for every task, in order of completion.

    Parameters
    ----------
    function : callable
        A picklable module-level function.
    tasks : sequence
        Picklable tasks.
    jobs : int, optional
        Worker processes (default: all cores); 0 runs the tasks in this process,
        without isolation.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running Dask scheduler, or ``local`` for a Dask
        LocalCluster of `jobs` workers. None uses a local process pool.
    on_crash : callable
        ``on_crash(task, error)`` gives the result of a task whose worker process died
        while running it (each is first run again alone, to spare its neighbours).
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs > 0 and scheduler in (None, "local"):
        check_main_guard()
    if scheduler is None:
        return _local(function, tasks, jobs, on_crash)
    return _dask(function, tasks, max(jobs, 1), scheduler, on_crash)
