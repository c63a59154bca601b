"""Running tasks: in this process, in a local process pool, or on a Dask cluster.

Whichever runs them, :func:`run_tasks` yields each task's outcome as it completes, so
the caller can store it at once; the outcomes themselves do not depend on the runner.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from alignment.errors import BatchError

__all__ = ["default_jobs", "run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _local(function: Callable[[T], R], tasks: Sequence[T], jobs: int) -> Iterator[tuple[T, R]]:
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield task, function(task)
        return
    context = multiprocessing.get_context("forkserver")
    pool = concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_ignore_interrupts
    )
    try:
        futures = {pool.submit(function, task): task for task in tasks}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()
    finally:
        # On Ctrl-C (or a consumer that stops early) drop what has not started and
        # wait only for what is running; the caller has stored every finished task.
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _dask(
    function: Callable[[T], R], tasks: Sequence[T], jobs: int, address: str
) -> Iterator[tuple[T, R]]:
    try:
        from distributed import Client, LocalCluster, as_completed
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
            yield owner[future.key], future.result()
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
) -> Iterator[tuple[T, R]]:
    """Yield ``(task, function(task))`` for every task, in order of completion.

    Parameters
    ----------
    function : callable
        A picklable module-level function.
    tasks : sequence
        Picklable tasks.
    jobs : int, optional
        Worker processes (default: all cores); 1 runs in this process.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running Dask scheduler, or ``local`` for a Dask
        LocalCluster of `jobs` workers. None uses a local process pool.
    """
    jobs = jobs or default_jobs()
    if scheduler is None:
        return _local(function, tasks, jobs)
    return _dask(function, tasks, jobs, scheduler)
