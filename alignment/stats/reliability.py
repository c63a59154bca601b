"""Measurement reliability: ICC (Shrout & Fleiss), SEM, MDC95 and Bland-Altman.

Inter-observer: two or more readers (or a reader and the automatic detection, which
is just another reader, e.g. ``"auto"``) measure the same images. Intra-observer: one
reader measures the same images in repeated sessions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignment.errors import StatsError
from alignment.stats._common import (
    CATEGORICAL_MEASURES,
    as_float,
    check_choice,
    check_confidence,
    join_notes,
    require_columns,
    text_column,
)
from alignment.stats._twosample import paired_t
from alignment.stats.agreement import (
    KAPPA_WEIGHTS,
    cohen_kappa,
    concordance_correlation,
    proportional_bias,
)

__all__ = [
    "BLAND_ALTMAN_COLUMNS",
    "ICC_COLUMNS",
    "RELIABILITY_COLUMNS",
    "MeanSquares",
    "PAIRED_COLUMNS",
    "REPLICATED_COLUMNS",
    "bland_altman",
    "icc",
    "icc_replicated",
    "mean_squares",
    "paired_ratings",
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

_ROUNDING = 64.0 * float(np.finfo("float64").eps)
"""Relative size below which a sum of squares counts as zero (rounding noise)."""


def _wide(
    data: pd.DataFrame, target: str, rater: str, rating: str, what: str
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Targets x raters matrix (NaN where a rater did not rate a target), raters, targets.

    Built from integer codes (:func:`pandas.factorize`) in one pass: no pivot, no
    model matrix. Rows are the targets in order of first appearance; columns the
    raters, sorted.
    """
    require_columns(data, [target, rater, rating], what)
    ratings = as_float(data[rating], rating).to_numpy()
    usable = np.isfinite(ratings)
    targets = text_column(data[target])[usable]
    raters = text_column(data[rater]).replace("", "(none)")[usable]
    ratings = ratings[usable]
    target_codes, target_names = pd.factorize(targets)
    rater_codes, rater_names = pd.factorize(raters, sort=True)
    n_all, k = len(target_names), len(rater_names)
    if k < 2:
        raise StatsError(f"{what}: needs two or more raters, found {list(rater_names)!r}")
    cells = target_codes.astype("int64") * k + rater_codes
    counts = np.bincount(cells, minlength=n_all * k)
    if counts.max(initial=0) > 1:
        first = int(np.flatnonzero(counts > 1)[0])
        raise StatsError(
            f"{what}: rater {str(rater_names[first % k])!r} rated target "
            f"{str(target_names[first // k])!r} more than once; expected one rating per "
            "target and rater (use a session column for repeated sessions)"
        )
    wide = np.full(n_all * k, np.nan)
    wide[cells] = ratings
    return wide.reshape(n_all, k), [str(r) for r in rater_names], np.asarray(target_names)


def _complete(wide: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The rows of `wide` without a NaN, and a note on how many were left out."""
    complete = ~np.isnan(wide).any(axis=1)
    left_out = int((~complete).sum())
    if not left_out:
        return wide, []
    return wide[complete], [f"{left_out} target(s) not rated by every rater were left out"]


def _pair(
    wide: np.ndarray, raters: list[str], names: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratings of the targets both raters of `names` rated, and which targets they are."""
    a, b = wide[:, raters.index(names[0])], wide[:, raters.index(names[1])]
    both = np.isfinite(a) & np.isfinite(b)
    return a[both], b[both], both


def _pair_notes(wide: np.ndarray, a: np.ndarray) -> list[str]:
    """A note on the targets a pair's analysis leaves out (rated, but not by both)."""
    rated = int(np.isfinite(wide).any(axis=1).sum())
    if a.size == rated:
        return []
    return [f"{rated - a.size} target(s) not rated by both raters were left out"]


@dataclass(frozen=True)
class MeanSquares:
    """Two-way ANOVA without replication of a complete targets x raters table.

    Attributes
    ----------
    n, k : int
        Targets and raters.
    rows, cols, error, within : float
        Mean squares of targets (MSR), raters (MSC), residual (MSE) and within
        targets (MSW = (SSC + SSE) / (n (k - 1))), in the rating's unit squared.
    degenerate : str
        Why no ICC can be estimated (every rating equal, or no between-target
        variance), else ``""``.
    """

    n: int
    k: int
    rows: float
    cols: float
    error: float
    within: float
    degenerate: str


def mean_squares(wide: np.ndarray) -> MeanSquares:
    """ANOVA mean squares of a complete targets x raters matrix, in closed form.

    Parameters
    ----------
    wide : ndarray, shape (n, k)
        One rating per target (row) and rater (column), n >= 2, k >= 2.

    Returns
    -------
    MeanSquares

    Notes
    -----
    With grand mean m, target means r_i and rater means c_j (deviations from m), SSR
    = k sum r_i^2, SSC = n sum c_j^2, SSW = sum (x_ij - m - r_i)^2 and SSE = sum
    (x_ij - m - r_i - c_j)^2: one pass over centred values, O(n k) time, no model
    matrix. A sum of squares below rounding level (64 machine epsilons of the largest
    rating, per rating) counts as zero.

    Examples
    --------
    >>> import numpy as np
    >>> ms = mean_squares(np.array([[9., 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...                             [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]))
    >>> round(ms.rows, 2), round(ms.cols, 2), round(ms.error, 2), round(ms.within, 2)
    (11.24, 32.49, 1.02, 6.26)
    """
    n, k = wide.shape
    centred = wide - wide.mean()
    row = centred.mean(axis=1)
    col = centred.mean(axis=0)
    within = centred - row[:, None]
    ss_within = float(np.einsum("ij,ij->", within, within))
    residual = within - col[None, :]
    ss_error = float(np.einsum("ij,ij->", residual, residual))
    ss_rows = float(k * row @ row)
    ss_cols = float(n * col @ col)
    zero = wide.size * (_ROUNDING * float(np.abs(wide).max(initial=0.0))) ** 2
    degenerate = ""
    if ss_rows + ss_within <= zero:
        degenerate = "every rating is equal: no variance, ICC undefined"
    elif ss_rows <= zero:
        degenerate = (
            "no between-target variance (every target has the same mean rating): ICC undefined"
        )
    return MeanSquares(
        n=n,
        k=k,
        rows=ss_rows / (n - 1),
        cols=0.0 if ss_cols <= zero else ss_cols / (k - 1),
        error=0.0 if ss_error <= zero else ss_error / ((n - 1) * (k - 1)),
        within=0.0 if ss_within <= zero else ss_within / (n * (k - 1)),
        degenerate=degenerate,
    )


def _f_limits(f: float, df1: float, df2: float, upper: float) -> tuple[float, float]:
    """Shrout & Fleiss's lower and upper F limits: F / F(upper; df1, df2), F F(upper; df2, df1)."""
    return f / float(stats.f.ppf(upper, df1, df2)), f * float(stats.f.ppf(upper, df2, df1))


def _single(low: float, k: int) -> float:
    """ICC(.,1) bound from an F bound: (F - 1) / (F + k - 1)."""
    return (low - 1.0) / (low + k - 1.0)


def _icc_values(
    ms: MeanSquares, confidence: float
) -> tuple[dict[str, tuple[float, ...]], list[str]]:
    """Estimate, CI, F, df and SEM of the six forms; notes on edge cases.

    Only called with MSR > 0 (``ms.degenerate`` empty).
    """
    n, k = ms.n, ms.k
    upper = 1.0 - (1.0 - confidence) / 2.0
    df_rows, df_error, df_within = n - 1.0, (n - 1.0) * (k - 1.0), n * (k - 1.0)
    notes: list[str] = []
    rater_var = (ms.cols - ms.error) / n
    if rater_var < 0.0:
        notes.append(
            "rater variance estimate (MSC - MSE) / n < 0: taken as 0 in the agreement SEM"
        )
    sem_agreement = math.sqrt(ms.error + max(rater_var, 0.0))
    icc1 = (ms.rows - ms.within) / (ms.rows + (k - 1) * ms.within)
    icc1k = (ms.rows - ms.within) / ms.rows
    icc2 = (ms.rows - ms.error) / (ms.rows + (k - 1) * ms.error + k * (ms.cols - ms.error) / n)
    icc2k = (ms.rows - ms.error) / (ms.rows + (ms.cols - ms.error) / n)
    icc3 = (ms.rows - ms.error) / (ms.rows + (k - 1) * ms.error)
    icc3k = (ms.rows - ms.error) / ms.rows
    nan2 = (math.nan, math.nan)
    one_way: tuple[float, ...] = (math.nan, math.nan, math.nan, math.nan)
    if ms.within > 0.0:
        f1 = ms.rows / ms.within
        low, high = _f_limits(f1, df_rows, df_within, upper)
        one_way = (f1, float(stats.f.sf(f1, df_rows, df_within)), low, high)
    else:
        notes.append("no variation within targets: ICC = 1 without F test or CI")
    two_way: tuple[float, ...] = (math.nan, math.nan, math.nan, math.nan)
    ci2, ci2k = nan2, nan2
    if ms.error > 0.0:
        f3 = ms.rows / ms.error
        low, high = _f_limits(f3, df_rows, df_error, upper)
        two_way = (f3, float(stats.f.sf(f3, df_rows, df_error)), low, high)
        # ICC(2,1): Satterthwaite degrees of freedom (McGraw & Wong 1996, case 2A).
        f_cols = ms.cols / ms.error
        base = n * (1 + (k - 1) * icc2) - k * icc2
        v = ((k - 1) * (n - 1) * (k * icc2 * f_cols + base) ** 2) / (
            (n - 1) * k**2 * icc2**2 * f_cols**2 + base**2
        )
        f_star_high = float(stats.f.ppf(upper, df_rows, v))
        f_star_low = float(stats.f.ppf(upper, v, df_rows))
        spread = k * ms.cols + (k * n - k - n) * ms.error
        low2 = n * (ms.rows - f_star_high * ms.error) / (f_star_high * spread + n * ms.rows)
        high2 = n * (f_star_low * ms.rows - ms.error) / (spread + n * f_star_low * ms.rows)
        ci2 = (low2, high2)
        ci2k = (low2 * k / (1 + low2 * (k - 1)), high2 * k / (1 + high2 * (k - 1)))
    elif ms.within > 0.0:
        notes.append(
            "no residual variation (raters differ by constants only): "
            "consistency ICC = 1 and agreement ICC without F test or CI"
        )
    f1, p1, f1_low, f1_high = one_way
    f3, p3, f3_low, f3_high = two_way
    sem_one, sem_error = math.sqrt(ms.within), math.sqrt(ms.error)
    # form: estimate, ci_low, ci_high, F, P, df_den, SEM
    values: dict[str, tuple[float, ...]] = {
        "ICC1": (icc1, _single(f1_low, k), _single(f1_high, k), f1, p1, df_within, sem_one),
        "ICC2": (icc2, *ci2, f3, p3, df_error, sem_agreement),
        "ICC3": (icc3, _single(f3_low, k), _single(f3_high, k), f3, p3, df_error, sem_error),
        "ICC1k": (icc1k, 1 - 1 / f1_low, 1 - 1 / f1_high, f1, p1, df_within, sem_one),
        "ICC2k": (icc2k, *ci2k, f3, p3, df_error, sem_agreement),
        "ICC3k": (icc3k, 1 - 1 / f3_low, 1 - 1 / f3_high, f3, p3, df_error, sem_error),
    }
    return values, notes


def _icc_rows(wide: np.ndarray, confidence: float, notes: list[str]) -> list[dict[str, Any]]:
    """The six ICC rows of a complete targets x raters matrix."""
    n, k = wide.shape
    notes = list(notes)
    values: dict[str, tuple[float, ...]] = {}
    df_rows = math.nan
    if n < 2:
        notes.append("fewer than 2 complete targets: ICC undefined")
    else:
        ms = mean_squares(wide)
        df_rows = n - 1.0
        if ms.degenerate:
            notes.append(ms.degenerate)
        else:
            values, extra = _icc_values(ms, confidence)
            notes += extra
    rows: list[dict[str, Any]] = []
    for kind, sf, description in _ICC_FORMS:
        row: dict[str, Any] = dict.fromkeys(ICC_COLUMNS, math.nan) | {
            "type": kind,
            "shrout_fleiss": sf,
            "description": description,
            "confidence": confidence,
            "n_targets": n,
            "n_raters": k,
            "df_num": df_rows,
            "notes": join_notes(notes),
        }
        if values:
            estimate, low, high, f, p, df_den, sem = values[kind]
            row.update(
                estimate=float(estimate),
                ci_low=float(low),
                ci_high=float(high),
                statistic=float(f),
                df_den=float(df_den),
                p_value=float(p),
                sem=float(sem),
                mdc95=Z95 * math.sqrt(2.0) * float(sem),
            )
        rows.append(row)
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
    Mean squares come in closed form from the target and rater means
    (:func:`mean_squares`): MSR (targets), MSC (raters), MSE (residual) and MSW =
    (SSC + SSE) / (n (k - 1)). With n targets and k raters:

    - ICC(1,1) = (MSR - MSW) / (MSR + (k - 1) MSW), ICC(1,k) = (MSR - MSW) / MSR;
    - ICC(2,1) = (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n),
      ICC(2,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n);
    - ICC(3,1) = (MSR - MSE) / (MSR + (k - 1) MSE), ICC(3,k) = (MSR - MSE) / MSR.

    F tests follow psych::ICC: F = MSR / MSW on (n - 1, n (k - 1)) df for the
    one-way forms, F = MSR / MSE on (n - 1, (n - 1)(k - 1)) df for the two-way
    forms, both against ICC = 0. CIs follow Shrout & Fleiss (1979) and McGraw &
    Wong (1996), with Satterthwaite's degrees of freedom for ICC(2,*). Only targets
    rated by every rater enter (the number left out is noted).

    SEM is the standard error of one rating, from the error variance of the row's
    model (Weir 2005; de Vet et al. 2006): sqrt(MSW) for the one-way forms,
    sqrt(MSE + sigma_r^2) with the rater variance sigma_r^2 = max(0, (MSC - MSE) /
    n) for the agreement forms ICC(2,*), and sqrt(MSE) for the consistency forms
    ICC(3,*). MDC95 = 1.96 sqrt(2) SEM.

    Without variance between targets (every rating equal, or every target with the
    same mean) no ICC, CI, F or P is given: they are NaN with a note. With no
    variation left within targets the ICC is 1, without F test or CI.

    References
    ----------
    Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater
    reliability. Psychol Bull 1979;86:420-428.
    McGraw KO, Wong SP. Forming inferences about some intraclass correlation
    coefficients. Psychol Methods 1996;1:30-46.
    Weir JP. Quantifying test-retest reliability using the intraclass correlation
    coefficient and the SEM. J Strength Cond Res 2005;19:231-240.
    de Vet HCW, Terwee CB, Knol DL, Bouter LM. When to use agreement versus
    reliability measures. J Clin Epidemiol 2006;59:1033-1039.

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
    wide, notes = _complete(_wide(data, target, rater, rating, "icc")[0])
    return pd.DataFrame(_icc_rows(wide, confidence, notes), columns=list(ICC_COLUMNS))


REPLICATED_COLUMNS: tuple[str, ...] = (
    "type",
    "description",
    "estimate",
    "ci_low",
    "ci_high",
    "confidence",
    "n_targets",
    "n_raters",
    "n_readings",
    "sem",
    "mdc95",
    "notes",
)
"""Columns of :func:`icc_replicated`."""

_COMPONENTS = ("target", "rater", "target x rater", "residual")


def _components(cube: np.ndarray) -> np.ndarray:
    """ANOVA variance components of targets x raters x readings arrays.

    Parameters
    ----------
    cube : ndarray, shape (..., n, k, m)
        Complete ratings; leading axes are independent data sets (bootstrap).

    Returns
    -------
    ndarray, shape (..., 4)
        ANOVA estimates of sigma^2 of target, rater, target x rater and residual
        (may be negative).
    """
    n, k, m = cube.shape[-3:]
    centred = cube - cube.mean(axis=(-3, -2, -1), keepdims=True)
    cell = centred.mean(axis=-1)  # (..., n, k)
    target = cell.mean(axis=-1)  # (..., n)
    rater = cell.mean(axis=-2)  # (..., k)
    interaction = cell - target[..., :, None] - rater[..., None, :]
    ms_target = k * m * (target**2).sum(axis=-1) / (n - 1)
    ms_rater = n * m * (rater**2).sum(axis=-1) / (k - 1)
    ms_inter = m * (interaction**2).sum(axis=(-2, -1)) / ((n - 1) * (k - 1))
    ms_error = ((centred - cell[..., None]) ** 2).sum(axis=(-3, -2, -1)) / (n * k * (m - 1))
    values = np.stack(
        [
            (ms_target - ms_inter) / (k * m),
            (ms_rater - ms_inter) / (n * m),
            (ms_inter - ms_error) / m,
            ms_error,
        ],
        axis=-1,
    )
    return values


def _replicated_indices(components: np.ndarray) -> np.ndarray:
    """Intra- and inter-rater ICC (Eliasziw et al. 1994) from variance components."""
    target, rater, inter, error = np.moveaxis(components, -1, 0)
    total = target + rater + inter + error
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.stack([(target + rater + inter) / total, target / total], axis=-1)


def icc_replicated(
    data: pd.DataFrame,
    *,
    target: str = "target",
    rater: str = "rater",
    reading: str = "reading",
    rating: str = "rating",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Intra- and inter-rater ICC when every rater read every target more than once.

    Parameters
    ----------
    data : DataFrame
        Long table, one row per target x rater x reading.
    target, rater, reading, rating : str
        Column names: the rated object, the rater, the reading (session, repeat)
        and the rating.
    confidence : float, default 0.95
    n_boot : int, default 2000
        Bootstrap resamples of the targets for the CIs (0: no CI).
    seed : int, default 0
        Seed of the bootstrap, so that a table is reproducible.

    Returns
    -------
    DataFrame
        Rows ``intra`` (intra-rater reliability: agreement of one rater's readings of
        a target), ``inter`` (inter-rater reliability of single readings, absolute
        agreement) and one ``variance:<component>`` row per variance component
        (``target``, ``rater``, ``target x rater``, ``residual``, in the rating's unit
        squared); columns :data:`REPLICATED_COLUMNS`. ``sem`` is the SD of the error
        the row's ICC counts (intra: sqrt(sigma_e^2), the repeatability SD; inter:
        sqrt(sigma_r^2 + sigma_tr^2 + sigma_e^2)), ``mdc95`` = 1.96 sqrt(2) SEM.

    Raises
    ------
    StatsError
        A column is missing, fewer than two raters or readings, or a rating given
        twice for one target x rater x reading.

    Notes
    -----
    Two-way random model with interaction and replication, x_ijr = mu + t_i + r_j +
    (tr)_ij + e_ijr, n targets, k raters, m readings, on the targets every rater read
    m times (others are left out, with a note). Mean squares in closed form from
    the cell, target and rater means; ANOVA estimators sigma_e^2 = MSE, sigma_tr^2 =
    (MSTR - MSE) / m, sigma_t^2 = (MST - MSTR) / (k m), sigma_r^2 = (MSR - MSTR) /
    (n m), negatives set to 0 (noted). Then (Eliasziw et al. 1994, random raters)

    - intra = (sigma_t^2 + sigma_r^2 + sigma_tr^2) / total,
    - inter = sigma_t^2 / total, total = sigma_t^2 + sigma_r^2 + sigma_tr^2 + sigma_e^2.

    CIs: percentile bootstrap over targets (raters held fixed), so they reflect the
    sampling of targets only.

    References
    ----------
    Eliasziw M, Young SL, Woodbury MG, Fryday-Field K. Statistical methodology for
    the concurrent assessment of interrater and intrarater reliability: using
    goniometric measurements as an example. Phys Ther 1994;74:777-788.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> truth = rng.normal(180, 3, 20)
    >>> data = pd.DataFrame([(t, r, s, truth[t] + rng.normal(0, 0.5))
    ...                      for t in range(20) for r in "AB" for s in (1, 2)],
    ...                     columns=["target", "rater", "reading", "rating"])
    >>> table = icc_replicated(data, n_boot=200).set_index("type")
    >>> bool(table.loc["intra", "estimate"] > 0.9), int(table.loc["intra", "n_readings"])
    (True, 2)
    """
    confidence = check_confidence(confidence)
    require_columns(data, [target, rater, reading, rating], "icc_replicated")
    ratings = as_float(data[rating], rating).to_numpy()
    usable = np.isfinite(ratings)
    codes = []
    names = []
    for column in (target, rater, reading):
        code, uniques = pd.factorize(text_column(data[column])[usable], sort=True)
        codes.append(code.astype("int64"))
        names.append(uniques)
    n_all, k, m = (len(u) for u in names)
    if k < 2 or m < 2:
        raise StatsError(
            f"icc_replicated: needs two or more raters and readings, found {k} rater(s) "
            f"and {m} reading(s)"
        )
    cells = (codes[0] * k + codes[1]) * m + codes[2]
    counts = np.bincount(cells, minlength=n_all * k * m)
    if counts.max(initial=0) > 1:
        first = int(np.flatnonzero(counts > 1)[0])
        raise StatsError(
            f"icc_replicated: rater {str(names[1][first // m % k])!r} rated target "
            f"{str(names[0][first // (k * m)])!r} more than once in reading "
            f"{str(names[2][first % m])!r}"
        )
    flat = np.full(n_all * k * m, np.nan)
    flat[cells] = ratings[usable]
    every = flat.reshape(n_all, k, m)
    complete = np.isfinite(every).all(axis=(1, 2))
    cube = every[complete]
    notes: list[str] = []
    if not complete.all():
        notes.append(
            f"{int((~complete).sum())} target(s) not read {m} times by every rater were left out"
        )
    n = cube.shape[0]
    base = {"confidence": confidence, "n_targets": n, "n_raters": k, "n_readings": m}
    if n < 2:
        notes.append("fewer than 2 complete targets: ICC undefined")
        components = np.full(4, np.nan)
    else:
        raw = _components(cube)
        negative = [name for name, value in zip(_COMPONENTS, raw, strict=True) if value < 0.0]
        notes += [f"{name} variance estimate < 0: set to 0" for name in negative]
        components = np.maximum(raw, 0.0)
    indices = _replicated_indices(components)
    low = high = np.full(2, np.nan)
    if n >= 2 and n_boot > 0 and np.isfinite(indices).all():
        rng = np.random.default_rng(seed)
        draws = np.empty((n_boot, 2))
        for b in range(n_boot):
            resampled = _components(cube[rng.integers(0, n, n)])
            draws[b] = _replicated_indices(np.maximum(resampled, 0.0))
        tail = (1.0 - confidence) / 2.0 * 100.0
        low, high = np.nanpercentile(draws, [tail, 100.0 - tail], axis=0)
    elif n >= 2 and not np.isfinite(indices).all():
        notes.append("no variance at all: ICC undefined")
    target_var, rater_var, inter_var, error_var = components
    sems = (math.sqrt(error_var), math.sqrt(rater_var + inter_var + error_var))
    rows = []
    described = {
        "intra": "intra-rater: agreement of one rater's readings of a target",
        "inter": "inter-rater: absolute agreement of single readings",
    }
    for i, kind in enumerate(("intra", "inter")):
        sem = sems[i] if n >= 2 else math.nan
        rows.append(
            base
            | {
                "type": kind,
                "description": described[kind],
                "estimate": float(indices[i]),
                "ci_low": float(low[i]),
                "ci_high": float(high[i]),
                "sem": sem,
                "mdc95": Z95 * math.sqrt(2.0) * sem,
                "notes": join_notes(notes),
            }
        )
    for name, value in zip(_COMPONENTS, components, strict=True):
        rows.append(
            dict.fromkeys(REPLICATED_COLUMNS, math.nan)
            | base
            | {
                "type": f"variance:{name}",
                "description": f"{name} variance component",
                "estimate": float(value),
                "notes": join_notes(notes),
            }
        )
    return pd.DataFrame(rows, columns=list(REPLICATED_COLUMNS))


def _pairs(raters: list[str], reference: str | None) -> list[tuple[str, str]]:
    if reference is None:
        return list(itertools.combinations(raters, 2))
    if reference not in raters:
        raise StatsError(f"reference rater {reference!r} not found; found {raters!r}")
    return [(r, reference) for r in raters if r != reference]


def _bland_altman_rows(
    a: np.ndarray,
    b: np.ndarray,
    names: tuple[str, str],
    confidence: float,
    notes: list[str],
) -> list[dict[str, Any]]:
    first, second = names
    n = int(a.size)
    diff = a - b
    base: dict[str, Any] = dict.fromkeys(BLAND_ALTMAN_COLUMNS, math.nan) | {
        "rater1": first,
        "rater2": second,
        "confidence": confidence,
        "n_targets": n,
    }
    kinds = ("bias", "sd_diff", "loa_low", "loa_high", "proportional_bias")
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
    slope = proportional_bias(a, b, confidence=confidence)
    rows[4].update(
        {k: slope[k] for k in ("ci_low", "ci_high", "statistic", "df", "p_value")},
        estimate=slope["slope"],
    )
    for row in rows:
        row["notes"] = join_notes(notes)
    rows[4]["notes"] = join_notes([*notes, *slope["notes"]])
    return rows


def _concordance_row(
    a: np.ndarray, b: np.ndarray, names: tuple[str, str], confidence: float, notes: list[str]
) -> dict[str, Any]:
    ccc = concordance_correlation(a, b, confidence=confidence)
    return dict.fromkeys(RELIABILITY_COLUMNS[4:], math.nan) | {
        "type": "ccc",
        "description": "Lin's concordance correlation coefficient",
        "rater1": names[0],
        "rater2": names[1],
        "estimate": ccc["estimate"],
        "ci_low": ccc["ci_low"],
        "ci_high": ccc["ci_high"],
        "confidence": confidence,
        "n_targets": ccc["n"],
        "notes": join_notes([*notes, *ccc["notes"]]),
    }


def _kappa_row(
    a: np.ndarray,
    b: np.ndarray,
    names: tuple[str, str],
    weights: str,
    confidence: float,
    notes: list[str],
) -> dict[str, Any]:
    kappa = cohen_kappa(a, b, weights=weights, confidence=confidence)
    kind = "kappa" if weights == "none" else f"kappa_{weights}"
    described = "Cohen's kappa" + ("" if weights == "none" else f", {weights} weights")
    categories = ", ".join(f"{c:g}" for c in kappa["categories"])
    return dict.fromkeys(RELIABILITY_COLUMNS[4:], math.nan) | {
        "type": kind,
        "description": described,
        "rater1": names[0],
        "rater2": names[1],
        "estimate": kappa["estimate"],
        "ci_low": kappa["ci_low"],
        "ci_high": kappa["ci_high"],
        "confidence": confidence,
        "statistic": kappa["statistic"],
        "p_value": kappa["p_value"],
        "n_targets": kappa["n"],
        "notes": join_notes([*notes, f"categories {categories}", *kappa["notes"]]),
    }


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
        Five rows per pair, ``type`` = ``bias`` (mean of rater1 - rater2, with its
        paired-t CI, ``statistic``, ``df`` and ``p_value`` against zero),
        ``sd_diff`` (SD of the differences), ``loa_low`` and ``loa_high`` (bias -+
        1.96 SD, with CIs) and ``proportional_bias`` (slope of the difference on
        the mean, with its CI and t test against 0,
        :func:`~alignment.stats.agreement.proportional_bias`); columns ``type``,
        ``rater1``, ``rater2``, ``estimate``, ``ci_low``, ``ci_high``,
        ``confidence``, ``statistic``, ``df``, ``p_value``, ``n_targets``,
        ``notes``.

    Raises
    ------
    StatsError
        A column is missing, fewer than two raters, a duplicated rating, or an
        unknown reference.

    Notes
    -----
    Each pair uses the targets both its raters rated. The CI of each limit is
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
    0               bias      A      B     0.375
    1            sd_diff      A      B     0.629
    2            loa_low      A      B    -0.858
    3           loa_high      A      B     1.608
    4  proportional_bias      A      B     0.266
    """
    confidence = check_confidence(confidence)
    wide, raters, _ = _wide(data, target, rater, rating, "bland_altman")
    rows: list[dict[str, Any]] = []
    for names in _pairs(raters, reference):
        a, b, _ = _pair(wide, raters, names)
        rows += _bland_altman_rows(a, b, names, confidence, _pair_notes(wide, a))
    return pd.DataFrame(rows, columns=list(BLAND_ALTMAN_COLUMNS))


@dataclass(frozen=True)
class _Block:
    """One measure x scope of a results table: its targets x raters matrix."""

    measure: str
    unit: str
    scope: str
    wide: np.ndarray
    raters: list[str]
    targets: np.ndarray


def _normalised(
    results: pd.DataFrame, measures: Sequence[str] | None, rater: str, session: str | None
) -> tuple[pd.DataFrame, list[str]]:
    """The results with columns _target, _rater, _value (NaN unless ok), _session; measures."""
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
    present = [str(m) for m in pd.unique(table["measure"])]
    chosen = present if measures is None else [str(m) for m in measures]
    unknown = [m for m in chosen if m not in present]
    if unknown:
        raise StatsError(
            f"measure(s) {', '.join(map(repr, unknown))} not in the results; "
            f"found {', '.join(map(repr, present)) or 'none'}"
        )
    return table, chosen


def _unit(rows: pd.DataFrame) -> str:
    found = text_column(rows["unit"]).unique() if "unit" in rows else ()
    return ";".join(str(u) for u in found if u)


def _blocks(table: pd.DataFrame, chosen: list[str], session: str | None) -> Iterator[_Block]:
    """Every measure x scope (``inter``, ``intra:<reader>``) with two or more raters."""
    for name in chosen:
        rows_of = table[table["measure"] == name]
        unit = _unit(rows_of)
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
            what = f"{name} ({scope})"
            wide, raters, targets = _wide(data, "_target", rater_column, "_value", what)
            yield _Block(name, unit, scope, wide, raters, targets)


PAIRED_COLUMNS: tuple[str, ...] = (
    "measure",
    "unit",
    "scope",
    "rater1",
    "rater2",
    "target",
    "rating1",
    "rating2",
)
"""Columns of :func:`paired_ratings`."""


def paired_ratings(
    results: pd.DataFrame,
    *,
    measures: Sequence[str] | None = None,
    rater: str = "reader",
    session: str | None = None,
    reference: str | None = None,
) -> pd.DataFrame:
    """The ratings each pairwise analysis of :func:`reliability` compares, side by side.

    Parameters
    ----------
    results : DataFrame
    measures, rater, session, reference
        As for :func:`reliability`.

    Returns
    -------
    DataFrame
        Columns :data:`PAIRED_COLUMNS`: ``measure``, ``unit``, ``scope``,
        ``rater1``, ``rater2``, ``target`` (image|side|view), ``rating1``,
        ``rating2``; one row per target both raters of the pair rated (what
        Bland-Altman, concordance and kappa use, and what a Bland-Altman plot draws).

    Raises
    ------
    StatsError
        As :func:`reliability`.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({
    ...     "image": ["a", "b", "a", "b"], "measure": "hka", "status": "ok",
    ...     "reader": ["R1", "R1", "R2", "R2"], "value": [178.0, 181.5, 178.5, 181.0],
    ... })
    >>> paired_ratings(results)[["rater1", "rater2", "target", "rating1", "rating2"]]
      rater1 rater2 target  rating1  rating2
    0     R1     R2      a    178.0    178.5
    1     R1     R2      b    181.5    181.0
    """
    parts = []
    for block in _blocks(*_normalised(results, measures, rater, session), session):
        anchor = reference if block.scope == "inter" else None
        for names in _pairs(block.raters, anchor):
            a, b, both = _pair(block.wide, block.raters, names)
            parts.append(
                pd.DataFrame(
                    {
                        "measure": block.measure,
                        "unit": block.unit,
                        "scope": block.scope,
                        "rater1": names[0],
                        "rater2": names[1],
                        "target": block.targets[both],
                        "rating1": a,
                        "rating2": b,
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=list(PAIRED_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(PAIRED_COLUMNS)]


def _pooled_rows(rows_of: pd.DataFrame, confidence: float) -> list[dict[str, Any]]:
    """:func:`icc_replicated` rows (scope ``intra``) of readers with repeated sessions."""
    sessions = rows_of.groupby("_rater")["_session"].nunique()
    readers = sessions[sessions > 1].index
    if len(readers) < 2:
        return []
    mine = rows_of[rows_of["_rater"].isin(readers)]
    table = icc_replicated(
        mine, target="_target", rater="_rater", reading="_session", rating="_value",
        confidence=confidence,
    )  # fmt: skip
    head = {
        "measure": str(rows_of["measure"].iloc[0]),
        "unit": _unit(rows_of),
        "scope": "intra",
        "analysis": "icc_readings",
    }
    out: list[dict[str, Any]] = []
    for raw in table.to_dict("records"):
        record = {str(key): value for key, value in raw.items()}
        readings = f"{record.pop('n_readings')} readings per reader"
        record["notes"] = join_notes([readings, str(record["notes"])])
        out.append(dict.fromkeys(RELIABILITY_COLUMNS, math.nan) | head | record)
    return out


def reliability(
    results: pd.DataFrame,
    *,
    measures: Sequence[str] | None = None,
    rater: str = "reader",
    session: str | None = None,
    reference: str | None = None,
    kappa_weights: str = "none",
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
        Default every measure. Categorical measures (``cpak``, the CPAK type code)
        get Cohen's kappa instead of the ICC, Bland-Altman and concordance.
    rater : str, default "reader"
        Column naming the reader (automatic detection is one more reader).
    session : str, optional
        Column naming the session. With it, each reader's sessions give an
        intra-observer analysis (scope ``intra:<reader>``), readers are compared
        on their first session (sorted), and with two or more readers read more
        than once the intra- and inter-rater ICC of all readings together
        (:func:`icc_replicated`, scope ``intra``); without it, readers are compared.
    reference : str, optional
        For the pairwise analyses, compare every reader with this one.
    kappa_weights : {"none", "linear", "quadratic"}, default "none"
        Weights of Cohen's kappa for categorical measures (weighted kappa treats
        the category codes as ordered).
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        Columns :data:`RELIABILITY_COLUMNS`: ``measure``, ``unit``, ``scope``
        (``inter``, ``intra:<reader>``, or ``intra`` pooled over the readers with
        repeated sessions), ``analysis`` (``icc``; ``icc_readings`` (scope
        ``intra``: :func:`icc_replicated`, types ``intra``, ``inter`` and
        ``variance:<component>``);
        ``bland_altman`` with types ``bias``, ``sd_diff``, ``loa_low``,
        ``loa_high`` and ``proportional_bias``; ``concordance`` (type ``ccc``,
        :func:`~alignment.stats.agreement.concordance_correlation`); or ``kappa``
        (types ``kappa``, ``kappa_linear``, ``kappa_quadratic``,
        :func:`~alignment.stats.agreement.cohen_kappa`), then the columns of
        :func:`icc` and :func:`bland_altman` (``type``, ``shrout_fleiss``,
        ``description``,
        ``rater1``, ``rater2``, ``estimate``, ``ci_low``, ``ci_high``,
        ``confidence``, ``statistic``, ``df``, ``df_num``, ``df_den``,
        ``p_value``, ``n_targets``, ``n_raters``, ``sem``, ``mdc95``, ``notes``);
        a field that does not apply is NaN or empty.

    Raises
    ------
    StatsError
        A column is missing, or no measure has two raters (or sessions).

    Notes
    -----
    Missing ratings: the ICC uses the targets rated by every rater (two-way ANOVA
    needs a complete table); each pairwise analysis (Bland-Altman, concordance,
    kappa) uses the targets both raters of the pair rated. The numbers left out
    are noted in each row.

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
    check_choice("kappa_weights", kappa_weights, KAPPA_WEIGHTS)
    rows: list[dict[str, Any]] = []
    table, chosen = _normalised(results, measures, rater, session)
    for block in _blocks(table, chosen, session):
        head = {"measure": block.measure, "unit": block.unit, "scope": block.scope}
        categorical = block.measure in CATEGORICAL_MEASURES
        if not categorical:
            complete, notes = _complete(block.wide)
            for row in _icc_rows(complete, confidence, notes):
                rows.append(head | {"analysis": "icc"} | row)
        anchor = reference if block.scope == "inter" else None
        for names in _pairs(block.raters, anchor):
            a, b, _ = _pair(block.wide, block.raters, names)
            notes = _pair_notes(block.wide, a)
            if categorical:
                row = _kappa_row(a, b, names, kappa_weights, confidence, notes)
                rows.append(head | {"analysis": "kappa"} | row)
                continue
            for row in _bland_altman_rows(a, b, names, confidence, notes):
                rows.append(head | {"analysis": "bland_altman"} | row)
            row = _concordance_row(a, b, names, confidence, notes)
            rows.append(head | {"analysis": "concordance"} | row)
    if session is not None:
        for name in chosen:
            if name not in CATEGORICAL_MEASURES:
                rows += _pooled_rows(table[table["measure"] == name], confidence)
    if not rows:
        raise StatsError(
            f"no measure has two or more raters (column {rater!r})"
            + (f" or sessions (column {session!r})" if session else "")
        )
    out = pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))
    for column in ("n_targets", "n_raters"):
        out[column] = out[column].astype("Int64")
    return out
