"""Running tasks: a worker that dies costs only its own task."""

from __future__ import annotations

import os

import pytest

from alignment.batch import run_tasks


def square_or_die(n: int) -> int:
    if n == 3:
        os.abort()  # what a decoder's C++ terminate does to its process
    return n * n


def _crashed(task: int, error: BaseException) -> int:
    return -1


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_dying_worker_costs_only_its_task(jobs):
    done = dict(run_tasks(square_or_die, list(range(6)), jobs=jobs, on_crash=_crashed))
    assert done == {0: 0, 1: 1, 2: 4, 3: -1, 4: 16, 5: 25}


def test_in_process_runs_in_order():
    assert list(run_tasks(abs, [-2, 1], jobs=0, on_crash=_crashed)) == [(-2, 2), (1, 1)]
