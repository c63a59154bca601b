"""Benchmark: the vectorised engine against a naive per-leg loop, in the same run.

Builds a landmark table of N full AP legs (12 landmarks each, random but plausible),
times ``measure_landmarks`` on the whole table (validation included), then times the
same function called once per leg on a sample, and prints legs per second for both.

Aim (issue 2): 100,000 legs in under 5 s on one core, at least 50x the naive loop.

    python scripts/bench_measure.py [--legs 100000] [--naive-legs 300]
"""

from __future__ import annotations

import argparse
import os
import time

# One core, as the aim says; must be set before numpy loads its BLAS.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alignment import measure_landmarks  # noqa: E402

_MEAN_XY = {
    "femoral_head_center": (300, 200),
    "femoral_shaft_proximal": (310, 900),
    "femoral_shaft_distal": (330, 2100),
    "femoral_knee_center": (330, 3100),
    "distal_femur_medial": (400, 3150),
    "distal_femur_lateral": (260, 3150),
    "tibial_knee_center": (330, 3200),
    "tibial_plateau_medial": (410, 3210),
    "tibial_plateau_lateral": (250, 3210),
    "tibial_shaft_proximal": (330, 3900),
    "tibial_shaft_distal": (325, 5200),
    "ankle_center": (320, 5800),
}


def landmark_table(n_legs: int, seed: int = 0) -> pd.DataFrame:
    """A canonical table of `n_legs` right AP legs, two per image."""
    rng = np.random.default_rng(seed)
    names = list(_MEAN_XY)
    mean = np.array([_MEAN_XY[n] for n in names], dtype=float)
    xy = mean[None] + rng.normal(0, 12, (n_legs, len(names), 2))
    leg = np.repeat(np.arange(n_legs), len(names))
    return pd.DataFrame(
        {
            "image": pd.Series([f"film_{i // 2:06d}.dcm" for i in range(n_legs)]).to_numpy()[leg],
            "side": np.where(leg % 2 == 0, "right", "left"),
            "view": "AP",
            "landmark": np.tile(names, n_legs),
            "x": xy[..., 0].ravel(),
            "y": xy[..., 1].ravel(),
            "row_spacing_mm": 0.143,
            "col_spacing_mm": 0.143,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=100_000)
    parser.add_argument("--naive-legs", type=int, default=300)
    args = parser.parse_args()

    table = landmark_table(args.legs)
    measure_landmarks(table.head(24))  # warm up imports and caches
    start = time.perf_counter()
    results = measure_landmarks(table)
    vectorised_s = time.perf_counter() - start
    ok = (results["status"] == "ok").mean()

    sample = table.head(args.naive_legs * len(_MEAN_XY))
    start = time.perf_counter()
    for _, leg in sample.groupby(["image", "side"], sort=False):
        measure_landmarks(leg)
    naive_s = time.perf_counter() - start

    vectorised_rate = args.legs / vectorised_s
    naive_rate = args.naive_legs / naive_s
    print(f"legs: {args.legs:,} ({len(table):,} landmark rows, {len(results):,} result rows, "
          f"{ok:.1%} ok)")  # fmt: skip
    print(f"vectorised: {vectorised_s:.2f} s, {vectorised_rate:,.0f} legs/s")
    print(f"naive per-leg loop ({args.naive_legs} legs): {naive_s:.2f} s, "
          f"{naive_rate:,.0f} legs/s")  # fmt: skip
    print(
        f"speed-up: {vectorised_rate / naive_rate:,.0f}x (aim: >= 50x; "
        f"100,000 legs in < 5 s: {'yes' if vectorised_s * 100_000 / args.legs < 5 else 'no'})"
    )


if __name__ == "__main__":
    main()
