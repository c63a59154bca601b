"""Running tasks: in this process, in a local process pool, or on a Dask cluster.

Whichever runs them, :func:`run_tasks` yields each task's outcome as it completes, so
the caller can store it at once; the outcomes themselves do not depend on the runner.
"""

from __future__ import annotations

import ast
import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from types import FrameType
from typing import Any, TypeVar

from alignment.errors import BatchError, Interrupted
from alignment.notes import show_warnings_as_notes
from alignment.options import DEFAULT_TIME_LIMIT_S, default_jobs, default_memory_limit

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "check_main_guard",
    "default_jobs",
    "default_memory_limit",
    "run_tasks",
]

T = TypeVar("T")
R = TypeVar("R")
OnCrash = Callable[[T, BaseException], R]
"""What to return for a task whose process died while running it."""


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


def _pool(
    jobs: int, started: Any = None, memory_limit_bytes: int | None = None
) -> concurrent.futures.ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    return concurrent.futures.ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(started, memory_limit_bytes),
    )


def _isolated(
    function: Callable[[T], R], task: T, on_crash: OnCrash[T, R], memory_limit_bytes: int | None
) -> R:
    """Run one task alone in a fresh process; if that process dies, ask `on_crash`."""
    pool = _pool(1, memory_limit_bytes=memory_limit_bytes)
    try:
        return pool.submit(_run_marked, function, -1, task).result()
    except BrokenProcessPool as exc:
        return on_crash(task, exc)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_STARTED: Any = None
"""In a pool worker: for each task of its pool, the pid of the worker that started it."""
_MEMORY_LIMIT: int | None = None
"""In a pool worker: the address space a task may add to what the worker holds."""


def _run_marked(function: Callable[[T], R], index: int, task: T) -> R:
    """Run `task` in a pool worker: mark it started by this process, cap its memory."""
    if _STARTED is not None and index >= 0:
        _STARTED[index] = os.getpid()
    if _MEMORY_LIMIT:
        _cap_address_space(_MEMORY_LIMIT)
    return function(task)


def _cap_address_space(extra_bytes: int) -> None:
    """Let this process map at most `extra_bytes` more than it has mapped now.

    Counting from what is mapped (the interpreter, the libraries loaded, their
    reserved arenas: a gigabyte or more) keeps the cap about the image, not about the
    code; libraries imported while the task runs count against it.
    """
    try:
        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux: the cap is absolute
        mapped = 0
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = mapped + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _local(
    function: Callable[[T], R],
    tasks: Sequence[T],
    jobs: int,
    on_crash: OnCrash[T, R],
    memory_limit_bytes: int | None,
) -> Iterator[tuple[T, R]]:
    """Run `tasks` in a pool of `jobs` processes; see :func:`run_tasks`.

    A worker that dies breaks the whole pool: the pool ends its other workers
    (SIGTERM) and fails every task not finished. The task the dead worker was running
    is given to `on_crash`; every other task not finished goes to a new pool of `jobs`
    processes. So a crash costs its own task and one pool restart. Should the dead
    worker not be known (a private detail of :mod:`concurrent.futures` that changed),
    each task that was running is run again alone instead, which finds the culprit.
    """
    if jobs == 0:  # in this process: for debugging, and for tests that patch functions
        for task in tasks:
            yield task, function(task)
        return
    todo = list(tasks)
    with _stop_on_signals() as stop:
        while todo and not stop.signum:
            started = multiprocessing.get_context("forkserver").RawArray("i", len(todo))
            pool = _pool(jobs, started, memory_limit_bytes)
            futures = {pool.submit(_run_marked, function, i, t): i for i, t in enumerate(todo)}
            finished: set[int] = set()
            running: list[int] = []  # when the pool broke
            workers: dict[int, Any] | None = None
            try:
                for future in _completed(futures, stop):
                    index = futures[future]
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        if workers is None:
                            workers = dict(getattr(pool, "_processes", None) or {})
                        if started[index]:
                            running.append(index)
                        continue
                    finished.add(index)
                    yield todo[index], result
            finally:
                # On a signal (or a consumer that stops early) drop what has not
                # started and wait only for what is running.
                pool.shutdown(wait=True, cancel_futures=True)
            if stop.signum:
                # What finished while the pool wound down is kept, then the run stops.
                for future, index in futures.items():
                    if index in finished or future.cancelled() or future.exception() is not None:
                        continue
                    yield todo[index], future.result()
                break
            for index in running:
                process = (workers or {}).get(started[index])
                ended = None if process is None else process.exitcode
                if ended == -signal.SIGTERM:
                    continue  # ended by the pool as it broke: an innocent neighbour
                finished.add(index)
                if ended is None:  # the dead worker is not known: find it
                    yield (
                        todo[index],
                        _isolated(function, todo[index], on_crash, memory_limit_bytes),
                    )
                else:
                    error = BrokenProcessPool(f"the worker process ended with code {ended}")
                    yield todo[index], on_crash(todo[index], error)
            todo = [task for index, task in enumerate(todo) if index not in finished]
    if stop.signum:
        raise Interrupted(stop.signum)


def _completed(
    futures: Mapping[concurrent.futures.Future[Any], int], stop: _Stop
) -> Iterator[concurrent.futures.Future[Any]]:
    """Yield `futures` as they complete, until they all have or a stop is asked for.

    :func:`concurrent.futures.as_completed` waits efficiently (one waiter for all the
    futures) but not for a flag: it is restarted every half second to look at `stop`.
    """
    waiting = set(futures)
    while waiting and not stop.signum:
        try:
            for future in concurrent.futures.as_completed(waiting, timeout=0.5):
                waiting.discard(future)
                yield future
                if stop.signum:
                    return
        except TimeoutError:
            continue


class _Stop:
    """The signal that asked the run to stop, once one has (0 before)."""

    signum = 0


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[_Stop]:
    """While the block runs, SIGINT and SIGTERM ask it to stop instead of raising;
    a second signal raises :class:`~alignment.errors.Interrupted` at once.

    Only in the main thread (where Python delivers signals); elsewhere the block runs
    with the handlers it has.
    """
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def ask(signum: int, frame: object) -> None:
        if stop.signum:  # asked twice: stop now, without waiting for running tasks
            raise Interrupted(signum)
        stop.signum = signum

    previous = {s: signal.signal(s, ask) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _start_worker(started: Any, memory_limit_bytes: int | None) -> None:
    """Leave Ctrl-C to the parent, which stops the pool cleanly; remember what
    :func:`_run_marked` needs; show warnings as plain log lines; end with the parent.

    A worker whose parent is killed outright (SIGKILL, the OOM killer) would wait on
    its task queue forever and keep the fork server alive with it; a thread watches
    the parent and ends the worker once the parent is gone.
    """
    global _STARTED, _MEMORY_LIMIT
    _STARTED, _MEMORY_LIMIT = started, memory_limit_bytes
    show_warnings_as_notes()
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
    memory_limit_bytes: int | None = None,
) -> Iterator[tuple[T, R]]:
    """Yield ``(task, function(task))`` for every task, in order of completion.

    In a local pool, SIGINT and SIGTERM stop the run cleanly: tasks not started are
    dropped, running ones are waited for and yielded, then :class:`~alignment.errors.
    Interrupted` is raised (with the signal's number).

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
    memory_limit_bytes : int, optional
        Address space (``RLIMIT_AS``) each task of a local pool may map beyond what
        its worker holds when the task starts (the interpreter and the libraries
        loaded); a task past it gets a :class:`MemoryError`. None: no limit. Not applied in this
        process (``jobs=0``) nor on Dask, whose workers have their own memory limit.
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs > 0 and scheduler in (None, "local"):
        check_main_guard()
    if scheduler is None:
        return _local(function, tasks, jobs, on_crash, memory_limit_bytes)
    return _dask(function, tasks, max(jobs, 1), scheduler, on_crash)
