"""Benchmark: reliability (ICC) in closed form against a plain numpy pass, same run.

For 100, 10,000 and 1,000,000 ratings (targets x 4 readers, targets named like the
results table's ``image|side|view``), times :func:`alignment.stats.icc` on the long
table (validation, coding and all six forms with CIs included) and
:func:`alignment.stats.reliability` on the same ratings as a results table (ICC plus
Bland-Altman for every reader pair), beside a plain numpy pass that only computes
the mean squares of the already-wide matrix.

Aim (issue 15): a million ratings in under 5 s.

    python scripts/bench_stats.py [--ratings 100 10000 1000000] [--readers 4]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

# One core; must be set before numpy loads its BLAS.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alignment.stats import icc, reliability  # noqa: E402

T = TypeVar("T")


def long_table(n_targets: int, n_readers: int, seed: int = 0) -> pd.DataFrame:
    """Long ratings table: one row per target x reader, HKA-like values in degrees."""
    rng = np.random.default_rng(seed)
    wide = (
        180.0
        + rng.normal(0.0, 3.0, (n_targets, 1))
        + rng.normal(0.0, 0.3, (1, n_readers))
        + rng.normal(0.0, 0.5, (n_targets, n_readers))
    )
    names = pd.Series([f"film_{i:07d}.dcm|left|AP" for i in range(n_targets)]).to_numpy()
    return pd.DataFrame(
        {
            "target": np.repeat(names, n_readers),
            "rater": np.tile([f"R{j}" for j in range(n_readers)], n_targets),
            "rating": wide.ravel(),
        }
    )


def numpy_pass(ratings: np.ndarray, n_readers: int) -> float:
    """ICC(2,1) from textbook mean squares of the wide matrix: the baseline."""
    wide = ratings.reshape(-1, n_readers)
    n, k = wide.shape
    grand = wide.mean()
    row, col = wide.mean(axis=1), wide.mean(axis=0)
    msr = k * ((row - grand) ** 2).sum() / (n - 1)
    msc = n * ((col - grand) ** 2).sum() / (k - 1)
    mse = ((wide - row[:, None] - col[None, :] + grand) ** 2).sum() / ((n - 1) * (k - 1))
    return float((msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n))


def results_table(data: pd.DataFrame) -> pd.DataFrame:
    """The same ratings as a long results table (image, side, view, reader, value)."""
    return pd.DataFrame(
        {
            "image": data["target"].str.removesuffix("|left|AP"),
            "side": "left",
            "view": "AP",
            "measure": "hka",
            "unit": "deg",
            "status": "ok",
            "reader": data["rater"],
            "value": data["rating"],
        }
    )


def timed(function: Callable[..., T], *args: Any) -> tuple[T, float]:
    """`function(*args)` and its wall time in seconds."""
    start = time.perf_counter()
    out = function(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, nargs="+", default=[100, 10_000, 1_000_000])
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()
    print(f"{'ratings':>10} {'targets':>8} {'numpy s':>9} {'icc s':>8} {'reliability s':>14}")
    for count in args.ratings:
        n_targets = max(2, count // args.readers)
        data = long_table(n_targets, args.readers)
        baseline, numpy_s = timed(numpy_pass, data["rating"].to_numpy(), args.readers)
        table, icc_s = timed(icc, data)
        estimate = float(table.loc[table["type"] == "ICC2", "estimate"].iloc[0])
        if not np.isclose(estimate, baseline, rtol=1e-9):
            raise SystemExit(f"ICC(2,1) {estimate} differs from the numpy pass {baseline}")
        results = results_table(data)
        _, reliability_s = timed(reliability, results)
        figures = f"{numpy_s:>9.3f} {icc_s:>8.3f} {reliability_s:>14.3f}"
        print(f"{len(data):>10,} {n_targets:>8,} {figures}")


if __name__ == "__main__":
    main()
