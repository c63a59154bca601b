"""Measurement reliability: ICC (Shrout & Fleiss), SEM, MDC95 and Bland-Altman.

Inter-observer: two or more readers (or a reader and the automatic detection, which
is just another reader, e.g. ``"auto"``) measure the same images. Intra-observer: one
reader measures the same images in repeated sessions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from alignment.errors import StatsError
from alignment.stats._common import (
    CATEGORICAL_MEASURES,
    as_float,
    check_confidence,
    join_notes,
    recorded,
    require_columns,
    text_column,
)
from alignment.stats._twosample import paired_t

__all__ = [
    "BLAND_ALTMAN_COLUMNS",
    "ICC_COLUMNS",
    "RELIABILITY_COLUMNS",
    "bland_altman",
    "icc",
    "reliability",
]

ICC_COLUMNS: tuple[str, ...] = (
    "type",
    "shrout_fleiss",
    "description",
    "estimate",
    "ci_low",
    "ci_high",
    "confidence",
    "statistic",
    "df_num",
    "df_den",
    "p_value",
    "n_targets",
    "n_raters",
    "sem",
    "mdc95",
    "notes",
)
"""Columns of :func:`icc`."""

BLAND_ALTMAN_COLUMNS: tuple[str, ...] = (
    "type",
    "rater1",
    "rater2",
    "estimate",
    "ci_low",
    "ci_high",
    "confidence",
    "statistic",
    "df",
    "p_value",
    "n_targets",
    "notes",
)
"""Columns of :func:`bland_altman`."""

RELIABILITY_COLUMNS: tuple[str, ...] = (
    "measure",
    "unit",
    "scope",
    "analysis",
    "type",
    "shrout_fleiss",
    "description",
    "rater1",
    "rater2",
    "estimate",
    "ci_low",
    "ci_high",
    "confidence",
    "statistic",
    "df",
    "df_num",
    "df_den",
    "p_value",
    "n_targets",
    "n_raters",
    "sem",
    "mdc95",
    "notes",
)
"""Columns of :func:`reliability`: the union of the ICC and Bland-Altman columns."""

_ICC_FORMS: tuple[tuple[str, str, str], ...] = (
    ("ICC1", "ICC(1,1)", "one-way random, single rater, absolute agreement"),
    ("ICC2", "ICC(2,1)", "two-way random, single rater, absolute agreement"),
    ("ICC3", "ICC(3,1)", "two-way mixed, single rater, consistency"),
    ("ICC1k", "ICC(1,k)", "one-way random, mean of k raters, absolute agreement"),
    ("ICC2k", "ICC(2,k)", "two-way random, mean of k raters, absolute agreement"),
    ("ICC3k", "ICC(3,k)", "two-way mixed, mean of k raters, consistency"),
)

Z95 = float(stats.norm.ppf(0.975))
"""The 97.5th normal percentile (1.959964...), used for MDC95 and the 95% limits."""


def _wide(
    data: pd.DataFrame, target: str, rater: str, rating: str, what: str
) -> tuple[pd.DataFrame, list[str]]:
    """Pivot to targets x raters, keeping complete targets; return it and notes."""
    require_columns(data, [target, rater, rating], what)
    table = pd.DataFrame(
        {
            "target": text_column(data[target]),
            "rater": text_column(data[rater]).replace("", "(none)"),
            "rating": as_float(data[rating], rating),
        }
    )
    table = table[np.isfinite(table["rating"])]
    duplicated = table.duplicated(["target", "rater"], keep=False)
    if duplicated.any():
        first = table[duplicated].iloc[0]
        raise StatsError(
            f"{what}: rater {first['rater']!r} rated target {first['target']!r} more than "
            "once; expected one rating per target and rater (use a session column for "
            "repeated sessions)"
        )
    wide = table.pivot(index="target", columns="rater", values="rating")
    raters = sorted(map(str, wide.columns))
    if len(raters) < 2:
        raise StatsError(f"{what}: needs two or more raters, found {raters!r}")
    wide = wide[raters]
    complete = wide.dropna()
    notes = []
    if len(complete) < len(wide):
        notes.append(
            f"{len(wide) - len(complete)} target(s) not rated by every rater were left out"
        )
    return complete, notes


def _icc_rows(wide: pd.DataFrame, confidence: float, notes: list[str]) -> list[dict[str, Any]]:
    n, k = wide.shape
    rows: list[dict[str, Any]] = []
    base: dict[str, Any] = {"confidence": confidence, "n_targets": n, "n_raters": k}
    if n < 2:
        notes.append("fewer than 2 complete targets: ICC undefined")
        for kind, sf, description in _ICC_FORMS:
            rows.append(
                dict.fromkeys(ICC_COLUMNS, math.nan)
                | base
                | {"type": kind, "shrout_fleiss": sf, "description": description}
                | {"notes": join_notes(notes)}
            )
        return rows
    long = wide.reset_index().melt(id_vars="target", var_name="rater", value_name="rating")
    fit, caught = recorded(lambda: smf.ols("rating ~ C(target) + C(rater)", long).fit())
    anova, caught_anova = recorded(anova_lm, fit, typ=1)
    notes += caught + caught_anova
    ss_rows = float(anova.loc["C(target)", "sum_sq"])
    ss_cols = float(anova.loc["C(rater)", "sum_sq"])
    ss_error = float(anova.loc["Residual", "sum_sq"])
    df_rows, df_error, df_within = n - 1, (n - 1) * (k - 1), n * (k - 1)
    ms_rows = ss_rows / df_rows
    ms_cols = ss_cols / (k - 1)
    ms_error = ss_error / df_error
    ms_within = (ss_cols + ss_error) / df_within
    # F tests: two-way (targets against residual) from the ANOVA table; one-way
    # (targets against within-target variation) from scipy's one-way ANOVA.
    f_two = float(anova.loc["C(target)", "F"])
    p_two = float(anova.loc["C(target)", "PR(>F)"])
    oneway, caught = recorded(stats.f_oneway, *wide.to_numpy())
    notes += caught
    f_one, p_one = float(oneway.statistic), float(oneway.pvalue)

    alpha = 1.0 - confidence
    upper = 1.0 - alpha / 2.0
    icc1 = (ms_rows - ms_within) / (ms_rows + (k - 1) * ms_within)
    icc2 = (ms_rows - ms_error) / (ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n)
    icc3 = (ms_rows - ms_error) / (ms_rows + (k - 1) * ms_error)
    icc1k = (ms_rows - ms_within) / ms_rows
    icc2k = (ms_rows - ms_error) / (ms_rows + (ms_cols - ms_error) / n)
    icc3k = (ms_rows - ms_error) / ms_rows

    f1_low = f_one / stats.f.ppf(upper, df_rows, df_within)
    f1_high = f_one * stats.f.ppf(upper, df_within, df_rows)
    f3_low = f_two / stats.f.ppf(upper, df_rows, df_error)
    f3_high = f_two * stats.f.ppf(upper, df_error, df_rows)
    # ICC(2,1): Satterthwaite degrees of freedom (McGraw & Wong 1996, case 2A).
    f_cols = ms_cols / ms_error
    v_num = (k - 1) * (n - 1) * (k * icc2 * f_cols + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v_den = (n - 1) * k**2 * icc2**2 * f_cols**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = v_num / v_den
    f_star_high = stats.f.ppf(upper, df_rows, v)
    f_star_low = stats.f.ppf(upper, v, df_rows)
    spread = k * ms_cols + (k * n - k - n) * ms_error
    icc2_low = n * (ms_rows - f_star_high * ms_error) / (f_star_high * spread + n * ms_rows)
    icc2_high = n * (f_star_low * ms_rows - ms_error) / (spread + n * f_star_low * ms_rows)

    values = {
        "ICC1": (icc1, (f1_low - 1) / (f1_low + k - 1), (f1_high - 1) / (f1_high + k - 1)),
        "ICC2": (icc2, icc2_low, icc2_high),
        "ICC3": (icc3, (f3_low - 1) / (f3_low + k - 1), (f3_high - 1) / (f3_high + k - 1)),
        "ICC1k": (icc1k, 1 - 1 / f1_low, 1 - 1 / f1_high),
        "ICC2k": (
            icc2k,
            icc2_low * k / (1 + icc2_low * (k - 1)),
            icc2_high * k / (1 + icc2_high * (k - 1)),
        ),
        "ICC3k": (icc3k, 1 - 1 / f3_low, 1 - 1 / f3_high),
    }
    sem = math.sqrt(ms_error)
    for kind, sf, description in _ICC_FORMS:
        estimate, low, high = values[kind]
        one_way = kind.startswith("ICC1")
        rows.append(
            base
            | {
                "type": kind,
                "shrout_fleiss": sf,
                "description": description,
                "estimate": float(estimate),
                "ci_low": float(low),
                "ci_high": float(high),
                "statistic": f_one if one_way else f_two,
                "df_num": float(df_rows),
                "df_den": float(df_within if one_way else df_error),
                "p_value": p_one if one_way else p_two,
                "sem": sem,
                "mdc95": Z95 * math.sqrt(2.0) * sem,
                "notes": join_notes(notes),
            }
        )
    return rows


def icc(
    data: pd.DataFrame,
    *,
    target: str = "target",
    rater: str = "rater",
    rating: str = "rating",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Intraclass correlation in all six Shrout & Fleiss forms, with CIs, SEM and MDC95.

    Parameters
    ----------
    data : DataFrame
        Long table, one row per target x rater.
    target, rater, rating : str
        Names of the columns holding the rated object (image x side, say), the rater
        (reader, or session for intra-observer reliability) and the rating.
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        Six rows (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k) with columns ``type``,
        ``shrout_fleiss`` (``ICC(1,1)`` ... ``ICC(3,k)``), ``description``,
        ``estimate``, ``ci_low``, ``ci_high``, ``confidence``, ``statistic`` (F
        against ICC = 0), ``df_num``, ``df_den``, ``p_value``, ``n_targets``,
        ``n_raters``, ``sem`` (standard error of measurement, in the rating's unit),
        ``mdc95`` (minimal detectable change) and ``notes``.

    Raises
    ------
    StatsError
        A column is missing, fewer than two raters, or a rater rated a target twice.

    Notes
    -----
    Mean squares come from a two-way ANOVA (``rating ~ target + rater``,
    :func:`statsmodels.stats.anova.anova_lm`): MSR (targets), MSC (raters), MSE
    (residual) and MSW = (SSC + SSE) / (n (k - 1)). With n targets and k raters:

    - ICC(1,1) = (MSR - MSW) / (MSR + (k - 1) MSW), ICC(1,k) = (MSR - MSW) / MSR;
    - ICC(2,1) = (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n),
      ICC(2,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n);
    - ICC(3,1) = (MSR - MSE) / (MSR + (k - 1) MSE), ICC(3,k) = (MSR - MSE) / MSR.

    The F tests are MSR/MSW (:func:`scipy.stats.f_oneway` over targets) and MSR/MSE
    (the ANOVA table). CIs follow Shrout & Fleiss (1979) and McGraw & Wong (1996),
    with Satterthwaite's degrees of freedom for ICC(2,*). Only targets rated by every
    rater enter. SEM = sqrt(MSE) (Weir 2005); MDC95 = 1.96 sqrt(2) SEM.

    References
    ----------
    Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater
    reliability. Psychol Bull 1979;86:420-428.
    McGraw KO, Wong SP. Forming inferences about some intraclass correlation
    coefficients. Psychol Methods 1996;1:30-46.
    Weir JP. Quantifying test-retest reliability using the intraclass correlation
    coefficient and the SEM. J Strength Cond Res 2005;19:231-240.

    Examples
    --------
    Shrout & Fleiss's own example: six targets, four judges.

    >>> import pandas as pd
    >>> ratings = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...            [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> data = pd.DataFrame(
    ...     [(t, j, r) for t, row in enumerate(ratings) for j, r in enumerate(row)],
    ...     columns=["target", "rater", "rating"])
    >>> icc(data)[["shrout_fleiss", "estimate"]].round(2)
      shrout_fleiss  estimate
    0      ICC(1,1)      0.17
    1      ICC(2,1)      0.29
    2      ICC(3,1)      0.71
    3      ICC(1,k)      0.44
    4      ICC(2,k)      0.62
    5      ICC(3,k)      0.91
    """
    confidence = check_confidence(confidence)
    wide, notes = _wide(data, target, rater, rating, "icc")
    return pd.DataFrame(_icc_rows(wide, confidence, notes), columns=list(ICC_COLUMNS))


def _pairs(raters: list[str], reference: str | None) -> list[tuple[str, str]]:
    if reference is None:
        return list(itertools.combinations(raters, 2))
    if reference not in raters:
        raise StatsError(f"reference rater {reference!r} not found; found {raters!r}")
    return [(r, reference) for r in raters if r != reference]


def _bland_altman_rows(
    wide: pd.DataFrame, first: str, second: str, confidence: float, notes: list[str]
) -> list[dict[str, Any]]:
    a = wide[first].to_numpy(dtype="float64")
    b = wide[second].to_numpy(dtype="float64")
    n = int(a.size)
    diff = a - b
    base: dict[str, Any] = dict.fromkeys(BLAND_ALTMAN_COLUMNS, math.nan) | {
        "rater1": first,
        "rater2": second,
        "confidence": confidence,
        "n_targets": n,
    }
    kinds = ("bias", "sd_diff", "loa_low", "loa_high")
    if n < 2:
        notes = [*notes, "fewer than 2 targets rated by both: no limits of agreement"]
        return [base | {"type": t, "notes": join_notes(notes)} for t in kinds]
    bias = float(diff.mean())
    sd = float(diff.std(ddof=1))
    rows = [base | {"type": t} for t in kinds]
    rows[0]["estimate"] = bias
    rows[1]["estimate"] = sd
    rows[2]["estimate"] = bias - Z95 * sd
    rows[3]["estimate"] = bias + Z95 * sd
    if sd > 0.0:
        paired, caught = paired_t(a, b, confidence)
        notes = [*notes, *caught]
        rows[0].update(paired)
        t_crit = float(stats.t.ppf(1.0 - (1.0 - confidence) / 2.0, n - 1))
        se_loa = sd * math.sqrt(1.0 / n + Z95**2 / (2.0 * (n - 1)))
        for row in rows[2:]:
            row.update(
                ci_low=row["estimate"] - t_crit * se_loa,
                ci_high=row["estimate"] + t_crit * se_loa,
                df=float(n - 1),
            )
    else:
        notes = [*notes, "all differences equal: no CI"]
    for row in rows:
        row["notes"] = join_notes(notes)
    return rows


def bland_altman(
    data: pd.DataFrame,
    *,
    target: str = "target",
    rater: str = "rater",
    rating: str = "rating",
    reference: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Bland-Altman bias and 95% limits of agreement, with CIs, for pairs of raters.

    Parameters
    ----------
    data : DataFrame
        Long table, one row per target x rater.
    target, rater, rating : str
        Column names, as in :func:`icc`.
    reference : str, optional
        Compare every other rater with this one (e.g. ``"auto"`` for automatic
        detection, or the senior reader); default every pair, in sorted order.
    confidence : float, default 0.95
        Level of the CIs (the limits themselves are always the 95% limits).

    Returns
    -------
    DataFrame
        Four rows per pair, ``type`` = ``bias`` (mean of rater1 - rater2, with its
        paired-t CI, ``statistic``, ``df`` and ``p_value`` against zero),
        ``sd_diff`` (SD of the differences), ``loa_low`` and ``loa_high`` (bias -+
        1.96 SD, with CIs); columns ``type``, ``rater1``, ``rater2``, ``estimate``,
        ``ci_low``, ``ci_high``, ``confidence``, ``statistic``, ``df``,
        ``p_value``, ``n_targets``, ``notes``.

    Raises
    ------
    StatsError
        A column is missing, fewer than two raters, a duplicated rating, or an
        unknown reference.

    Notes
    -----
    Only targets rated by every rater enter. The CI of each limit is
    ``loa +- t(n-1) s sqrt(1/n + 1.96^2 / (2 (n - 1)))`` (Bland & Altman 1999,
    section 5.2).

    References
    ----------
    Bland JM, Altman DG. Measuring agreement in method comparison studies. Stat
    Methods Med Res 1999;8:135-160.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({
    ...     "target": [1, 2, 3, 4, 1, 2, 3, 4], "rater": ["A"] * 4 + ["B"] * 4,
    ...     "rating": [180.0, 178.5, 182.0, 176.0, 179.5, 178.0, 181.0, 176.5],
    ... })
    >>> bland_altman(data)[["type", "rater1", "rater2", "estimate"]].round(3)
           type rater1 rater2  estimate
    0      bias      A      B     0.375
    1   sd_diff      A      B     0.629
    2   loa_low      A      B    -0.858
    3  loa_high      A      B     1.608
    """
    confidence = check_confidence(confidence)
    wide, notes = _wide(data, target, rater, rating, "bland_altman")
    rows: list[dict[str, Any]] = []
    for first, second in _pairs(list(wide.columns), reference):
        rows += _bland_altman_rows(wide, first, second, confidence, notes)
    return pd.DataFrame(rows, columns=list(BLAND_ALTMAN_COLUMNS))


def reliability(
    results: pd.DataFrame,
    *,
    measures: Sequence[str] | None = None,
    rater: str = "reader",
    session: str | None = None,
    reference: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Inter- and intra-observer reliability of every measure of a results table.

    Parameters
    ----------
    results : DataFrame
        Long results table measured by several readers (column `rater`, by default
        ``reader``) and, for intra-observer reliability, several sessions (column
        `session`). A target is one image x side x view.
    measures : sequence of str, optional
        Default every measure except the categorical ``cpak``.
    rater : str, default "reader"
        Column naming the reader (automatic detection is one more reader).
    session : str, optional
        Column naming the session. With it, each reader's sessions give an
        intra-observer analysis (scope ``intra:<reader>``) and readers are compared
        on their first session (sorted); without it, readers are compared.
    reference : str, optional
        For Bland-Altman, compare every reader with this one.
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        Columns :data:`RELIABILITY_COLUMNS`: ``measure``, ``unit``, ``scope``
        (``inter`` or ``intra:<reader>``), ``analysis`` (``icc`` or
        ``bland_altman``), then the columns of :func:`icc` and
        :func:`bland_altman` (``type``, ``shrout_fleiss``, ``description``,
        ``rater1``, ``rater2``, ``estimate``, ``ci_low``, ``ci_high``,
        ``confidence``, ``statistic``, ``df``, ``df_num``, ``df_den``,
        ``p_value``, ``n_targets``, ``n_raters``, ``sem``, ``mdc95``, ``notes``);
        a field that does not apply is NaN or empty.

    Raises
    ------
    StatsError
        A column is missing, or no measure has two raters (or sessions).

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({
    ...     "image": ["a", "b", "c", "d"] * 2, "side": "left", "view": "AP",
    ...     "measure": "hka", "unit": "deg", "status": "ok",
    ...     "reader": ["R1"] * 4 + ["R2"] * 4,
    ...     "value": [178.0, 181.5, 175.0, 183.0, 178.5, 181.0, 175.5, 182.0],
    ... })
    >>> table = reliability(results)
    >>> table.loc[table["type"] == "ICC2", ["measure", "scope", "estimate"]].round(3)
      measure  scope  estimate
    1     hka  inter     0.979
    """
    confidence = check_confidence(confidence)
    require_columns(results, ["measure", "value", "status", rater], "results table")
    if not ({"image", "case"} & set(results.columns)):
        raise StatsError("results table lacks both 'image' and 'case'")
    table = results.copy()
    table["_target"] = text_column(table["image" if "image" in table.columns else "case"])
    for column in ("side", "view"):
        if column in table.columns:
            table["_target"] = table["_target"] + "|" + text_column(table[column])
    table["_rater"] = text_column(table[rater]).replace("", "(none)")
    table["_value"] = as_float(table["value"], "value")
    table.loc[text_column(table["status"]) != "ok", "_value"] = np.nan
    table["measure"] = text_column(table["measure"])
    if session is not None:
        require_columns(table, [session], "results table")
        table["_session"] = text_column(table[session])
    present = list(dict.fromkeys(table["measure"]))
    chosen = (
        [m for m in present if m not in CATEGORICAL_MEASURES]
        if measures is None
        else [str(m) for m in measures]
    )
    unknown = [m for m in chosen if m not in present]
    if unknown:
        raise StatsError(
            f"measure(s) {', '.join(map(repr, unknown))} not in the results; "
            f"found {', '.join(map(repr, present)) or 'none'}"
        )
    rows: list[dict[str, Any]] = []
    for name in chosen:
        rows_of = table[table["measure"] == name]
        units = [u for u in dict.fromkeys(text_column(rows_of.get("unit", pd.Series()))) if u]
        unit = ";".join(units)
        scopes: list[tuple[str, pd.DataFrame, str]] = []
        if session is None:
            scopes.append(("inter", rows_of, "_rater"))
        else:
            first_sessions = rows_of.groupby("_rater")["_session"].transform("min")
            if rows_of["_rater"].nunique() > 1:
                scopes.append(("inter", rows_of[rows_of["_session"] == first_sessions], "_rater"))
            for who in sorted(rows_of["_rater"].unique()):
                mine = rows_of[rows_of["_rater"] == who]
                if mine["_session"].nunique() > 1:
                    scopes.append((f"intra:{who}", mine, "_session"))
        for scope, data, rater_column in scopes:
            if data[rater_column].nunique() < 2:
                continue
            wide, notes = _wide(data, "_target", rater_column, "_value", f"{name} ({scope})")
            head = {"measure": name, "unit": unit, "scope": scope}
            for row in _icc_rows(wide, confidence, list(notes)):
                rows.append(head | {"analysis": "icc"} | row)
            anchor = reference if scope == "inter" else None
            for first, second in _pairs(list(wide.columns), anchor):
                for row in _bland_altman_rows(wide, first, second, confidence, list(notes)):
                    rows.append(head | {"analysis": "bland_altman"} | row)
    if not rows:
        raise StatsError(
            f"no measure has two or more raters (column {rater!r})"
            + (f" or sessions (column {session!r})" if session else "")
        )
    out = pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))
    for column in ("n_targets", "n_raters"):
        out[column] = out[column].astype("Int64")
    return out
