"""Generated results tables and the published data sets of the statistics tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignment.measures import RESULT_COLUMNS

DATA = Path(__file__).parent / "data"

ISSUE_COLUMNS = [
    "measure",
    "metric",
    "group1",
    "group2",
    "n1",
    "n2",
    "mean1",
    "sd1",
    "mean2",
    "sd2",
    "mean_diff",
    "ci_low",
    "ci_high",
    "test",
    "statistic",
    "p_value",
    "p_holm",
    "effect_size",
    "outliers1",
    "outliers2",
    "outlier_p_value",
]
"""Columns the issue asks of every group comparison table."""


# measure: (view, unit, target, tolerance)
MEASURES = {
    "hka": ("AP", "deg", 180.0, 3.0),
    "fta": ("AP", "deg", 174.0, 3.0),
    "ffc": ("AP", "deg", 90.0, 3.0),
    "ftc": ("AP", "deg", 90.0, 3.0),
    "ahka": ("AP", "deg", np.nan, np.nan),
    "cpak": ("AP", "", np.nan, np.nan),
    "mad_mm": ("AP", "mm", np.nan, np.nan),
    "lfc": ("LAT", "deg", 90.0, 3.0),
    "ltc": ("LAT", "deg", 87.0, 3.0),
}


def make_results(
    *,
    seed: int = 0,
    n_cases: tuple[int, int] = (24, 26),
    groups: tuple[str, str] = ("PSI", "CI"),
    spread: tuple[float, float] = (1.2, 2.5),
    readers: tuple[str, ...] = ("",),
    reader_noise: float = 0.0,
    missing: float = 0.05,
    bilateral: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A long results table with the engine's columns, and its case,group table."""
    rng = np.random.default_rng(seed)
    rows = []
    group_rows = []
    index = 0
    for group, count, sd in zip(groups, n_cases, spread, strict=True):
        for _ in range(count):
            index += 1
            case = f"{index:03d}"
            group_rows.append({"case": case, "group": group})
            sides = ("left", "right") if bilateral else (("left", "right")[index % 2],)
            for side in sides:
                truth = {m: rng.normal(0.0, sd) for m in MEASURES}
                for reader in readers:
                    for measure, (view, unit, target, tolerance) in MEASURES.items():
                        base = target if np.isfinite(target) else 0.0
                        value = base + truth[measure] + rng.normal(0.0, reader_noise)
                        label = ""
                        if measure == "cpak":
                            value = float(rng.integers(1, 10))
                            label = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"][
                                int(value) - 1
                            ]
                        status, reason = "ok", ""
                        if rng.random() < missing:
                            value, status, reason = np.nan, "missing", "ankle_center absent"
                        deviation = value - target
                        rows.append(
                            {
                                "image": f"{case}_{view}.dcm",
                                "case": case,
                                "reader": reader,
                                "side": side,
                                "view": view,
                                "measure": measure,
                                "value": value,
                                "unit": unit,
                                "target": target,
                                "tolerance": tolerance,
                                "deviation": deviation,
                                "abs_deviation": abs(deviation),
                                "outlier": (
                                    pd.NA
                                    if not np.isfinite(deviation)
                                    else bool(abs(deviation) > tolerance)
                                ),
                                "label": label,
                                "status": status,
                                "reason": reason,
                                "flags": "",
                                "preset": "default",
                                "preset_hash": "abc123",
                            }
                        )
    results = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    results["outlier"] = results["outlier"].astype("boolean")
    return results, pd.DataFrame(group_rows)


@pytest.fixture
def results_and_groups() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_results()


@pytest.fixture
def shrout_fleiss() -> pd.DataFrame:
    """Shrout & Fleiss (1979), Table 2: six targets rated by four judges, long format."""
    wide = pd.read_csv(DATA / "shrout_fleiss_1979.csv")
    return wide.melt(id_vars="target", var_name="rater", value_name="rating")


@pytest.fixture
def source_study() -> pd.DataFrame:
    """The source study's summary table (PSI vs conventional instruments), as printed."""
    return pd.read_csv(DATA / "source_study_summary.csv", dtype=str)
