"""Check the AP detectors' confidences against their errors on fresh phantom films.

A developer tool for calibrating the confidence mappings of :mod:`alignment.detect`
(the review flag should mean "likely wrong"). Renders ``--n`` AP long-leg films of the
benchmark's kind (``scripts/bench_detect.py``'s film and limb draws, its lateral films
skipped) with seeds from ``--seed`` (default 920000, a development range apart from
the benchmark's 910000-910999), detects their landmarks and prints, per landmark: the
number placed, the number correct (within 3 mm of the truth; the femoral head within
4 mm) and the share of those with a confidence at or above the review threshold, and
the number of gross errors (over 6 mm) and the share of those below it. A calibrated
detector has both shares near 1.

    python scripts/calibrate_confidence.py --n 60
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from bench_detect import draw_film, draw_limb

from alignment.detect import detect_landmarks
from alignment.detect.result import REVIEW_THRESHOLD
from alignment.io import read_radiograph
from alignment.phantom import render_film, write_film

CORRECT_MM = 3.0
"""Largest error (mm) of a correct landmark."""

CORRECT_HEAD_MM = 4.0
"""Largest error (mm) of a correct femoral head centre (a circle's centre on a
textured head)."""

GROSS_MM = 6.0
"""Smallest error (mm) of a gross error."""


def collect(n: int, seed: int) -> pd.DataFrame:
    """Detect on `n` AP films from `seed`; one row per placed landmark with its
    ``landmark``, ``confidence`` and ``error_mm``."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, float, float]] = []
    done, i = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        while done < n:
            # the benchmark's draws, in its order (every third film is lateral)
            view = "LAT" if i % 3 == 2 else "AP"
            side = str(rng.choice(["left", "right"]))
            film = draw_film(rng, view, side, 1.0)
            limbs = {s: draw_limb(rng, bool(rng.random() < 0.5)) for s in ("left", "right")}
            i += 1
            if view == "LAT":
                continue
            rendered = render_film(film, limbs, seed=seed + i - 1)  # type: ignore[arg-type]
            path = Path(tmp) / f"film{i:04d}.dcm"
            write_film(rendered, path)
            result = detect_landmarks(read_radiograph(path), image=path.name)
            row_mm, col_mm = rendered.object_spacing_mm
            for rec in result.landmarks.to_dict("records"):
                truth = rendered.landmarks.get(rec["side"], {}).get(rec["landmark"])
                if truth is None:
                    continue
                error = float(
                    np.hypot((rec["x"] - truth[0]) * col_mm, (rec["y"] - truth[1]) * row_mm)
                )
                rows.append((str(rec["landmark"]), float(rec["confidence"]), error))
            done += 1
            print(f"film {done}/{n}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return pd.DataFrame(rows, columns=["landmark", "confidence", "error_mm"])


def summary(table: pd.DataFrame, threshold: float = REVIEW_THRESHOLD) -> pd.DataFrame:
    """Per landmark: ``n``, ``correct``, ``correct_ok`` (share of the correct ones at or
    above `threshold`), ``gross``, ``gross_flagged`` (share of the gross ones below it)."""
    limit = np.where(table["landmark"] == "femoral_head_center", CORRECT_HEAD_MM, CORRECT_MM)
    correct = table["error_mm"] <= limit
    gross = table["error_mm"] > GROSS_MM
    high = table["confidence"] >= threshold
    frame = table.assign(
        correct=correct, gross=gross, correct_ok=correct & high, gross_flagged=gross & ~high
    )
    out = frame.groupby("landmark").agg(
        n=("error_mm", "size"),
        correct=("correct", "sum"),
        correct_ok=("correct_ok", "sum"),
        gross=("gross", "sum"),
        gross_flagged=("gross_flagged", "sum"),
    )
    # NaN where there is nothing to share out
    out["correct_ok"] = out["correct_ok"] / out["correct"].where(out["correct"] > 0)
    out["gross_flagged"] = out["gross_flagged"] / out["gross"].where(out["gross"] > 0)
    return out[["n", "correct", "correct_ok", "gross", "gross_flagged"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="AP films (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=920000)
    args = parser.parse_args(argv)
    table = collect(args.n, args.seed)
    print(summary(table).round(3).to_string())
    print(
        f"\nconfidence threshold {REVIEW_THRESHOLD:g}; correct: within {CORRECT_MM:g} mm "
        f"(head {CORRECT_HEAD_MM:g} mm); gross: over {GROSS_MM:g} mm"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
