"""Results rounded to the precision a reader expects, for CSV and the terminal.

Angles are kept to 0.01 degree and lengths to 0.1 mm in CSV files (Parquet keeps full
precision): measurement error on a radiograph is tenths of a degree, so further digits
are noise, and float noise (``-5.7e-14``) or a negative zero (``-0.0``) must never
reach a table a person reads.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["CSV_DECIMALS", "ROUNDED_COLUMNS", "round_results"]

CSV_DECIMALS: Mapping[str, int] = {"deg": 2, "mm": 1}
"""Decimals by unit in CSV files; other units (counts, classes) are left as they are."""

ROUNDED_COLUMNS = ("value", "target", "tolerance", "deviation", "abs_deviation")
"""Columns of the long results table rounded by their row's unit."""


def round_results(
    results: pd.DataFrame, decimals: Mapping[str, int] = CSV_DECIMALS
) -> pd.DataFrame:
    """A copy of a long results table with its numbers rounded by unit, never ``-0.0``.

    Parameters
    ----------
    results : pandas.DataFrame
        The long table of :func:`alignment.measure_landmarks` (``unit`` and the
        columns of :data:`ROUNDED_COLUMNS` that are present).
    decimals : mapping of str to int, optional
        Decimals by unit (default :data:`CSV_DECIMALS`: 0.01 degree, 0.1 mm).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> table = pd.DataFrame({"unit": ["deg", "deg", "mm", ""],
    ...                       "value": [180.747885, -5.7e-14, 12.345, 6.0],
    ...                       "deviation": [0.747885, -0.001, -0.04, np.nan]})
    >>> round_results(table)
      unit   value  deviation
    0  deg  180.75       0.75
    1  deg    0.00       0.00
    2   mm   12.30       0.00
    3         6.00        NaN
    >>> bool(np.signbit(round_results(table)["deviation"]).any())  # no -0.0
    False
    """
    out = results.copy()
    units = out["unit"].astype(str).to_numpy()
    for column in ROUNDED_COLUMNS:
        if column not in out.columns:
            continue
        values = out[column].to_numpy(dtype="float64", copy=True)
        for unit, places in decimals.items():
            rows = units == unit
            values[rows] = np.round(values[rows], places) + 0.0  # + 0.0: -0.0 -> 0.0
        out[column] = values
    return out
