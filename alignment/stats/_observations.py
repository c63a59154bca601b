"""From a long results table to one observation per leg, per group and measure.

The unit of analysis is the leg: one ``case`` x ``side`` (a bilateral case gives two
legs). Where a leg has several usable rows for one measure (several readers, or several
images of the same view), their values are averaged and the output says so. Rows whose
``status`` is not ``ok``, or whose analysed value is missing, are left out and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alignment.errors import StatsError
from alignment.options import METRICS
from alignment.stats._common import (
    CATEGORICAL_MEASURES,
    DEFAULT_TOLERANCE_DEG,
    as_float,
    attach_groups,
    check_choice,
    group_order,
    require_columns,
    text_column,
)


@dataclass(frozen=True)
class MeasureData:
    """The legs of one measure: values of the metric and outlier inputs, per group."""

    measure: str
    unit: str
    values: tuple[np.ndarray, np.ndarray]
    """The metric per leg, finite only, for group1 and group2."""
    abs_deviation: tuple[np.ndarray, np.ndarray]
    """abs_deviation per leg (finite only), for outlier rates."""
    tolerance: tuple[np.ndarray, np.ndarray]
    """Tolerance per leg, aligned with `abs_deviation`."""
    excluded: tuple[int, int]
    """Rows left out per group: status not ok, or the metric missing."""
    notes: list[str] = field(default_factory=list)
    legs: tuple[np.ndarray, np.ndarray] = (np.array([], dtype=object),) * 2
    """Leg key (``case|side``) of each entry of `values`, per group."""
    patients: tuple[np.ndarray, np.ndarray] = (np.array([], dtype=object),) * 2
    """Patient of each entry of `values` (the `patient` column, default the case)."""


@dataclass(frozen=True)
class Prepared:
    """The two compared groups and the data of each measure."""

    group1: str
    group2: str
    metric: str
    measures: list[MeasureData]


def leg_keys(table: pd.DataFrame) -> pd.Series:
    """The leg of each row: ``case`` (else ``image``), then ``|side`` where there is one."""
    keys = text_column(table["case" if "case" in table.columns else "image"])
    if "side" in table.columns:
        keys = keys + "|" + text_column(table["side"])
    return keys


def prepare(
    results: Any,
    groups: Any,
    *,
    metric: str,
    measures: Sequence[str] | None,
    order: Sequence[str] | None,
    tolerance: float | None,
    reader: str | None,
    what: str,
    patient: str | None = None,
) -> Prepared:
    """Check `results`, attach groups, and collect one value per leg per measure.

    `patient` names the column that identifies the patient of each leg (default the
    leg's ``case``, else its ``image``); it fills :attr:`MeasureData.patients`.
    """
    check_choice("metric", metric, METRICS)
    require_columns(results, ["measure", "status", metric], "results table")
    if not ({"case", "image"} & set(results.columns)):
        raise StatsError("results table lacks both 'case' and 'image'; one identifies a leg")
    if tolerance is not None and not (np.isfinite(tolerance) and tolerance >= 0):
        raise StatsError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    table = attach_groups(results, groups)
    unassigned = text_column(table.loc[table["group"] == "", "measure"]).value_counts()
    table = table[table["group"] != ""]
    group1, group2 = group_order(table["group"], order, what)
    table = table[table["group"].isin([group1, group2])].copy()
    table["measure"] = text_column(table["measure"])
    if reader is not None:
        if "reader" not in table.columns:
            raise StatsError(f"reader={reader!r} given, but the results table has no 'reader'")
        table = table[text_column(table["reader"]) == str(reader)]
        if table.empty:
            raise StatsError(f"no rows of reader {reader!r} in the two compared groups")
    identity = "case" if "case" in table.columns else "image"
    if patient is not None and patient not in table.columns:
        raise StatsError(
            f"patient column {patient!r} not in the results table; "
            f"found {', '.join(map(repr, map(str, table.columns)))}"
        )
    table["_patient"] = text_column(table[patient or identity])
    table["_leg"] = leg_keys(table)
    table["_metric"] = as_float(table[metric], metric)
    table["_absdev"] = (
        as_float(table["abs_deviation"], "abs_deviation")
        if "abs_deviation" in table.columns
        else np.nan
    )
    row_tolerance = (
        as_float(table["tolerance"], "tolerance") if "tolerance" in table.columns else np.nan
    )
    table["_tol"] = (
        float(tolerance)
        if tolerance is not None
        else pd.Series(row_tolerance, index=table.index).fillna(DEFAULT_TOLERANCE_DEG)
    )
    table["_ok"] = (text_column(table["status"]) == "ok") & np.isfinite(table["_metric"])
    table["_unit"] = text_column(table["unit"]) if "unit" in table.columns else ""

    present = list(dict.fromkeys(table["measure"]))
    if measures is None:
        # Measures whose metric is never defined (no target for a deviation) are left out.
        defined = set(table.loc[np.isfinite(table["_metric"]), "measure"])
        chosen = [m for m in present if m not in CATEGORICAL_MEASURES and m in defined]
    else:
        chosen = [str(m) for m in measures]
        unknown = [m for m in chosen if m not in present]
        if unknown:
            raise StatsError(
                f"measure(s) {', '.join(map(repr, unknown))} not in the results of the "
                f"compared groups; found {', '.join(map(repr, present)) or 'none'}"
            )
        categorical = [m for m in chosen if m in CATEGORICAL_MEASURES]
        if categorical:
            raise StatsError(
                f"measure(s) {', '.join(map(repr, categorical))} are categories, "
                "not numbers: they cannot be compared as means"
            )
    out: list[MeasureData] = []
    for name in chosen:
        rows = table[table["measure"] == name]
        units = [u for u in dict.fromkeys(rows["_unit"]) if u]
        notes: list[str] = []
        if unassigned.get(name, 0):
            notes.append(f"{unassigned[name]} row(s) had no group and were left out")
        values, absdev, tol, excluded, legs_of, patients = [], [], [], [], [], []
        for group in (group1, group2):
            mine = rows[rows["group"] == group]
            excluded.append(int((~mine["_ok"]).sum()))
            ok = mine[mine["_ok"]]
            legs = ok.groupby("_leg", sort=True).agg(
                metric=("_metric", "mean"),
                absdev=("_absdev", "mean"),
                tol=("_tol", "first"),
                rows=("_metric", "size"),
                patient=("_patient", "first"),
            )
            averaged = int((legs["rows"] > 1).sum())
            if averaged:
                notes.append(
                    f"{group}: {averaged} leg(s) had several rows (readers or images), averaged"
                )
            values.append(legs["metric"].to_numpy(dtype="float64"))
            legs_of.append(legs.index.to_numpy(dtype=object))
            patients.append(legs["patient"].to_numpy(dtype=object))
            keep = np.isfinite(legs["absdev"].to_numpy(dtype="float64"))
            absdev.append(legs["absdev"].to_numpy(dtype="float64")[keep])
            tol.append(legs["tol"].to_numpy(dtype="float64")[keep])
        out.append(
            MeasureData(
                measure=name,
                unit=units[0] if len(units) == 1 else ";".join(units),
                values=(values[0], values[1]),
                abs_deviation=(absdev[0], absdev[1]),
                tolerance=(tol[0], tol[1]),
                excluded=(excluded[0], excluded[1]),
                notes=notes,
                legs=(legs_of[0], legs_of[1]),
                patients=(patients[0], patients[1]),
            )
        )
    return Prepared(group1=group1, group2=group2, metric=metric, measures=out)
