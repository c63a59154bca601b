"""Power and sample size of a two-group study: mean deviations, equivalence, outlier rates.

Four tests, each in both directions (the power of given group sizes, or the group
sizes that reach a given power), from assumed values or from a pilot results table:

- ``welch``: two-sided Welch t-test of the mean difference (noncentral t);
- ``tost``: equivalence by two one-sided t-tests within a margin (exact integral
  over the sampling distribution of the standard error);
- ``proportions``: two-sided z-test of two proportions (pooled variance under H0);
- ``fisher``: Fisher's exact test, two-sided, by exact enumeration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, special, stats
from statsmodels.stats.proportion import power_proportions_2indep

from alignment.errors import StatsError
from alignment.options import POWER_TESTS
from alignment.stats._common import check_choice, join_notes, recorded
from alignment.stats._observations import prepare
from alignment.stats.equivalence import margin_bounds

__all__ = [
    "POWER_COLUMNS",
    "POWER_TESTS",
    "pilot_power",
    "power_analysis",
    "power_fisher",
    "power_proportions",
    "power_tost",
    "power_welch",
]

POWER_COLUMNS: tuple[str, ...] = (
    "measure",
    "metric",
    "group1",
    "group2",
    "test",
    "source",
    "solved_for",
    "alpha",
    "difference",
    "sd1",
    "sd2",
    "p1",
    "p2",
    "margin_low",
    "margin_high",
    "n1",
    "n2",
    "power",
    "notes",
)
"""Columns of :func:`pilot_power` (and keys of :func:`power_analysis`)."""

_INPUTS: tuple[str, ...] = ("difference", "sd1", "sd2", "p1", "p2", "margin_low", "margin_high")

MAX_N = 1_000_000
"""Largest group size :func:`power_analysis` searches."""

MAX_FISHER_LEGS = 4000
"""Largest ``n1 + n2`` :func:`power_fisher` enumerates (the work grows as its square)."""


def _welch_se_df(sd1: float, sd2: float, n1: float, n2: float) -> tuple[float, float]:
    v1, v2 = sd1**2 / n1, sd2**2 / n2
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    return se, df


def power_welch(
    difference: float, sd1: float, sd2: float, n1: float, n2: float, *, alpha: float = 0.05
) -> float:
    """Power of the two-sided Welch t-test of ``mean1 - mean2 = 0``.

    Parameters
    ----------
    difference : float
        True ``mean1 - mean2`` (e.g. degrees of absolute deviation).
    sd1, sd2 : float
        True SDs of the two groups, same unit.
    n1, n2 : float
        Group sizes (legs), each >= 2.
    alpha : float, default 0.05

    Returns
    -------
    float
        ``P(T > t_c) + P(T < -t_c)`` with ``T`` noncentral t, noncentrality
        ``difference / sqrt(sd1^2/n1 + sd2^2/n2)`` and Welch-Satterthwaite df computed
        from the true SDs, ``t_c`` its ``1 - alpha/2`` quantile. With equal SDs and
        sizes this is the Student power of :class:`statsmodels.stats.power.TTestIndPower`.

    Examples
    --------
    >>> round(power_welch(1.0, 2.0, 2.0, 64, 64), 4)  # Cohen (1988) Table 2.3.1: d 0.5, n 64
    0.8015
    """
    se, df = _welch_se_df(sd1, sd2, n1, n2)
    ncp = difference / se
    critical = stats.t.ppf(1.0 - alpha / 2.0, df)
    return float(stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp))


def power_tost(
    difference: float,
    sd1: float,
    sd2: float,
    n1: float,
    n2: float,
    *,
    margin: float | Sequence[float],
    alpha: float = 0.05,
) -> float:
    """Power of the TOST (two one-sided t-tests, level alpha each) to show equivalence.

    Parameters
    ----------
    difference : float
        True ``mean1 - mean2`` (0 for two techniques assumed alike).
    sd1, sd2, n1, n2 : float
        True SDs and group sizes.
    margin : float or (float, float)
        Equivalence bounds of the difference: ``m`` means ``(-m, m)``.
    alpha : float, default 0.05

    Returns
    -------
    float
        ``P(low + t_c s < d < high - t_c s)`` where ``d ~ N(difference, se^2)`` and
        ``s^2 ~ se^2 chi2_df / df``, integrated exactly over ``s`` (the method of
        Owen 1965 behind R's ``PowerTOST``), ``se^2 = sd1^2/n1 + sd2^2/n2``, ``df``
        the Welch-Satterthwaite df (``n1 + n2 - 2`` for equal SDs and sizes, where
        the result is exact).

    Examples
    --------
    >>> round(power_tost(0.0, 1.0, 1.0, 20, 20, margin=1.0), 3)
    0.856
    """
    low, high = margin_bounds(margin)
    se, df = _welch_se_df(sd1, sd2, n1, n2)
    critical = float(stats.t.ppf(1.0 - alpha, df))
    # d must fall in (low + c s, high - c s): empty once s > (high - low) / (2 c).
    u_max = df * ((high - low) / (2.0 * critical * se)) ** 2

    def integrand(u: float) -> float:
        s = se * math.sqrt(u / df)
        upper = special.ndtr((high - critical * s - difference) / se)
        lower = special.ndtr((low + critical * s - difference) / se)
        return float(max(upper - lower, 0.0) * stats.chi2.pdf(u, df))

    mode = max(df - 2.0, 0.0)
    points = [p for p in (mode, df) if 0.0 < p < u_max]
    value, _ = integrate.quad(integrand, 0.0, u_max, points=points or None, limit=200)
    return float(min(max(value, 0.0), 1.0))


def power_proportions(p1: float, p2: float, n1: float, n2: float, *, alpha: float = 0.05) -> float:
    """Power of the two-sided z-test of two proportions (pooled variance under H0).

    Returns
    -------
    float
        :func:`statsmodels.stats.proportion.power_proportions_2indep`: ``Phi((|p1 -
        p2| - z sqrt(v0)) / sqrt(v1))`` plus the far tail, ``v0`` the variance at the
        pooled proportion, ``v1`` the unpooled one (Fleiss, Levin & Paik 2003, 4.2).

    Examples
    --------
    >>> round(power_proportions(0.10, 0.30, 62, 62), 3)
    0.803
    """
    ratio = n2 / n1
    result, _ = recorded(
        power_proportions_2indep, p1 - p2, p2, n1, ratio=ratio, alpha=alpha, return_results=True
    )
    return float(result.power)


def _fisher_rejects(n1: int, n2: int, alpha: float) -> np.ndarray:
    """Boolean (n1 + 1, n2 + 1): does Fisher's two-sided test reject for (a, c) events?

    For each total ``t = a + c`` the conditional law of ``a`` is hypergeometric; the
    two-sided P sums the probabilities not above that of the observed table, with
    scipy's relative tolerance ``1 + 1e-7``.
    """
    rejects = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    log_factorial = special.gammaln(np.arange(n1 + n2 + 2, dtype="float64") + 1.0)

    def log_choose(n: int, k: np.ndarray) -> np.ndarray:
        return log_factorial[n] - log_factorial[k] - log_factorial[n - k]

    for total in range(n1 + n2 + 1):
        a = np.arange(max(0, total - n2), min(n1, total) + 1)
        log_pmf = log_choose(n1, a) + log_choose(n2, total - a)
        pmf = np.exp(log_pmf - log_choose(n1 + n2, np.array([total]))[0])
        order = np.argsort(pmf, kind="stable")
        cumulative = np.cumsum(pmf[order])
        # P(a) = sum of pmf <= pmf[a] * (1 + 1e-7): the last index in sorted order at or below
        position = np.searchsorted(pmf[order], pmf * (1.0 + 1e-7), side="right") - 1
        rejects[a, total - a] = cumulative[position] <= alpha
    return rejects


def power_fisher(p1: float, p2: float, n1: int, n2: int, *, alpha: float = 0.05) -> float:
    """Power of Fisher's exact test (two-sided), by exact enumeration of all 2 x 2 tables.

    Returns
    -------
    float
        ``sum over (a, c) of Bin(a; n1, p1) Bin(c; n2, p2) [P_Fisher(a, c) <= alpha]``,
        the two-sided P of :func:`scipy.stats.fisher_exact` (probabilities not above
        the observed table's). The cost grows as ``(n1 + n2)^2``; above
        :data:`MAX_FISHER_LEGS` legs it raises :class:`StatsError`.

    Examples
    --------
    >>> round(power_fisher(0.10, 0.30, 62, 62), 3)
    0.749
    """
    n1, n2 = int(n1), int(n2)
    if n1 + n2 > MAX_FISHER_LEGS:
        raise StatsError(
            f"Fisher's exact power enumerates every table: n1 + n2 = {n1 + n2} exceeds "
            f"{MAX_FISHER_LEGS}; use the 'proportions' z-test, which it approaches"
        )
    rejects = _fisher_rejects(n1, n2, alpha)
    first = stats.binom.pmf(np.arange(n1 + 1), n1, p1)
    second = stats.binom.pmf(np.arange(n2 + 1), n2, p2)
    return float(first @ rejects.astype("float64") @ second)


def _check_positive(name: str, value: float | None) -> float:
    if value is None or not (math.isfinite(value) and value > 0):
        raise StatsError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_proportion(name: str, value: float | None) -> float:
    if value is None or not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise StatsError(f"{name} must be a proportion between 0 and 1, got {value!r}")
    return float(value)


def _smallest_n(power_of: Callable[[int], float], target: float, minimum: int) -> int:
    """Smallest n1 >= minimum with ``power_of(n1) >= target``, by doubling and bisection."""
    low, high = minimum - 1, minimum
    while power_of(high) < target:
        low, high = high, high * 2
        if high > MAX_N:
            raise StatsError(f"no group size up to {MAX_N} reaches power {target}")
    while high - low > 1:
        middle = (low + high) // 2
        if power_of(middle) >= target:
            high = middle
        else:
            low = middle
    return high


def power_analysis(
    test: str = "welch",
    *,
    difference: float | None = None,
    sd1: float | None = None,
    sd2: float | None = None,
    p1: float | None = None,
    p2: float | None = None,
    margin: float | Sequence[float] | None = None,
    n1: int | None = None,
    n2: int | None = None,
    ratio: float = 1.0,
    power: float | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Power of given group sizes, or the group sizes for a given power.

    Parameters
    ----------
    test : {"welch", "tost", "proportions", "fisher"}, default "welch"
    difference : float, optional
        True ``mean1 - mean2`` (welch: required; tost: default 0).
    sd1, sd2 : float, optional
        True SDs (welch, tost); `sd2` defaults to `sd1`.
    p1, p2 : float, optional
        True proportions, e.g. outlier rates (proportions, fisher).
    margin : float or (float, float), optional
        Equivalence margin (tost).
    n1, n2 : int, optional
        Group sizes: give `n1` (and `n2`, default ``ceil(ratio n1)``) for the power.
    ratio : float, default 1.0
        ``n2 / n1`` when solving for sizes (or when `n2` is not given).
    power : float, optional
        Target power: give it instead of `n1` to get the sizes (the smallest `n1`,
        with ``n2 = ceil(ratio n1)``, whose power reaches it).
    alpha : float, default 0.05
        Two-sided level (welch, proportions, fisher); one-sided level of each TOST test.

    Returns
    -------
    dict
        Keys ``test``, ``solved_for`` (``power`` or ``n``), ``alpha``,
        ``difference``, ``sd1``, ``sd2``, ``p1``, ``p2``, ``margin_low``,
        ``margin_high`` (NaN where not used), ``n1``, ``n2``, ``power`` and ``notes``
        (a list).

    Raises
    ------
    StatsError
        An unknown test, a missing or invalid value, both or neither of `n1` and
        `power`, or no size up to :data:`MAX_N` reaching the power.

    Examples
    --------
    >>> out = power_analysis("welch", difference=1.0, sd1=2.0, power=0.8)
    >>> out["n1"], out["n2"], round(out["power"], 3)
    (64, 64, 0.801)
    >>> out = power_analysis("fisher", p1=0.1, p2=0.3, n1=62)
    >>> round(out["power"], 3)
    0.749
    """
    check_choice("test", test, POWER_TESTS)
    if not 0.0 < alpha < 1.0:
        raise StatsError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    ratio = _check_positive("ratio", ratio)
    if (n1 is None) == (power is None):
        raise StatsError("give either n1 (to get the power) or power (to get n1 and n2)")
    if power is not None and not 0.0 < power < 1.0:
        raise StatsError(f"power must lie strictly between 0 and 1, got {power!r}")
    notes: list[str] = []
    out: dict[str, Any] = {
        "test": test,
        "solved_for": "n" if n1 is None else "power",
        "alpha": float(alpha),
    }
    out |= dict.fromkeys(_INPUTS, math.nan)
    func: Callable[[int, int], float]
    if test in ("welch", "tost"):
        s1 = _check_positive("sd1", sd1)
        s2 = _check_positive("sd2", sd2 if sd2 is not None else s1)
        if test == "welch":
            if difference is None or not math.isfinite(difference):
                raise StatsError("the welch power needs the true difference (difference=...)")
            delta = float(difference)
            if delta == 0.0:
                raise StatsError("difference must not be 0: there is nothing to detect")

            def func(a: int, b: int) -> float:
                return power_welch(delta, s1, s2, a, b, alpha=alpha)

        else:
            if margin is None:
                raise StatsError("the tost power needs an equivalence margin (margin=...)")
            low, high = margin_bounds(margin)
            delta = 0.0 if difference is None else float(difference)
            if not low < delta < high:
                raise StatsError(
                    f"true difference {delta} lies outside the margin ({low}, {high}): "
                    "equivalence cannot be shown"
                )
            out["margin_low"], out["margin_high"] = low, high

            def func(a: int, b: int) -> float:
                return power_tost(delta, s1, s2, a, b, margin=(low, high), alpha=alpha)

        out |= {"difference": delta, "sd1": s1, "sd2": s2}
        minimum = 2
    else:
        q1, q2 = _check_proportion("p1", p1), _check_proportion("p2", p2)
        if q1 == q2:
            raise StatsError("p1 equals p2: there is nothing to detect")
        out |= {"p1": q1, "p2": q2, "difference": q1 - q2}
        if test == "fisher":

            def func(a: int, b: int) -> float:
                return power_fisher(q1, q2, a, b, alpha=alpha)

            if power is not None:
                notes.append(
                    "Fisher's power is not monotone in n (saw-tooth): the n given reaches "
                    "the power, a slightly smaller n may too"
                )
        else:

            def func(a: int, b: int) -> float:
                return power_proportions(q1, q2, a, b, alpha=alpha)

        minimum = 1

    def second(a: int) -> int:
        return max(math.ceil(ratio * a - 1e-9), minimum)

    if power is not None:
        size1 = _smallest_n(lambda a: func(a, second(a)), float(power), minimum)
        size2 = second(size1)
    else:
        size1 = int(n1) if n1 is not None else minimum
        size2 = int(n2) if n2 is not None else second(size1)
        if min(size1, size2) < minimum:
            raise StatsError(f"group sizes must be >= {minimum} for {test}, got {size1}, {size2}")
    out |= {"n1": size1, "n2": size2, "power": func(size1, size2), "notes": notes}
    return out


_PILOT_INPUTS: tuple[str, ...] = ("difference", "sd1", "sd2", "p1", "p2")


def _pilot_problem(test: str, kwargs: dict[str, Any]) -> str:
    """Why the pilot's estimates cannot feed :func:`power_analysis` (``""`` if they can)."""
    for name in ("sd1", "sd2"):
        if name in kwargs and not (math.isfinite(kwargs[name]) and kwargs[name] > 0):
            return f"{name} is {kwargs[name]} (fewer than 2 legs, or all equal)"
    if "p1" in kwargs:
        if not (math.isfinite(kwargs["p1"]) and math.isfinite(kwargs["p2"])):
            return "a group has no deviation, so no outlier rate"
        if kwargs["p1"] == kwargs["p2"]:
            return f"equal outlier rates ({kwargs['p1']:.3g}): nothing to detect"
    if test == "welch" and not kwargs["difference"]:
        return f"difference is {kwargs['difference']}: nothing to detect"
    return ""


def pilot_power(
    results: pd.DataFrame,
    groups: Any = None,
    *,
    tests: Sequence[str] = ("welch",),
    difference: float | None = None,
    margin: float | Sequence[float] | None = None,
    n1: int | None = None,
    n2: int | None = None,
    ratio: float = 1.0,
    power: float | None = None,
    alpha: float = 0.05,
    measures: Sequence[str] | None = None,
    metric: str = "abs_deviation",
    order: Sequence[str] | None = None,
    tolerance: float | None = None,
    reader: str | None = None,
) -> pd.DataFrame:
    """Power or sample size per measure, with SDs and outlier rates taken from a pilot.

    Parameters
    ----------
    results : DataFrame
        The pilot's long results table (see :func:`compare_groups`).
    groups : DataFrame or mapping, optional
        ``case,group`` or ``image,group``; ``None`` if `results` has ``group``.
    tests : sequence of {"welch", "tost", "proportions", "fisher"}, default ("welch",)
        One output row per measure and test.
    difference : float, optional
        The difference to detect (welch) or the true difference (tost, default 0).
        Default for welch: the pilot's observed ``mean1 - mean2``, which the notes
        flag (an observed effect overstates the effect, on average, of a study that
        happened to find one).
    margin : float or (float, float), optional
        Equivalence margin (tost).
    n1, n2, ratio, power, alpha
        As for :func:`power_analysis`. With neither `n1` nor `power`, the power of
        the pilot's own group sizes.
    measures, metric, order, tolerance, reader
        As for :func:`compare_groups`; outlier rates use ``abs_deviation >
        tolerance``.

    Returns
    -------
    DataFrame
        One row per measure and test with :data:`POWER_COLUMNS`: ``measure``,
        ``metric`` (``outlier`` for rate tests), ``group1``, ``group2``, ``test``,
        ``source`` (``pilot``), ``solved_for``, ``alpha``, ``difference``, ``sd1``,
        ``sd2`` (pilot SDs, ddof=1), ``p1``, ``p2`` (pilot outlier rates),
        ``margin_low``, ``margin_high``, ``n1``, ``n2``, ``power`` and ``notes``. A
        measure whose pilot cannot give the inputs (fewer than 2 legs, SD 0, equal
        rates) gets NaN power and a note.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({
    ...     "case": [f"c{i}" for i in range(8)], "measure": "hka", "status": "ok",
    ...     "abs_deviation": [1.0, 1.5, 0.5, 2.0, 2.0, 3.5, 2.5, 4.0],
    ...     "group": ["PSI"] * 4 + ["CI"] * 4,
    ... })
    >>> table = pilot_power(results, order=["PSI", "CI"], difference=-1.0, power=0.8)
    >>> table[["measure", "test", "n1", "n2"]]
      measure   test  n1  n2
    0     hka  welch  11  11
    """
    for test in tests:
        check_choice("test", test, POWER_TESTS)
    prepared = prepare(
        results,
        groups,
        metric=metric,
        measures=measures,
        order=order,
        tolerance=tolerance,
        reader=reader,
        what="pilot_power",
    )
    rows = []
    for data in prepared.measures:
        x1, x2 = data.values
        sizes = {"n1": n1, "n2": n2} if (n1 is not None or power is not None) else {}
        if not sizes:
            sizes = {"n1": int(x1.size), "n2": int(x2.size)}
        for test in tests:
            notes = list(data.notes)
            row: dict[str, Any] = {
                "measure": data.measure,
                "metric": "outlier" if test in ("proportions", "fisher") else metric,
                "group1": prepared.group1,
                "group2": prepared.group2,
                "test": test,
                "source": "pilot",
            }
            kwargs: dict[str, Any] = {"ratio": ratio, "power": power, "alpha": alpha} | sizes
            if test in ("welch", "tost"):
                sd1 = float(np.std(x1, ddof=1)) if x1.size > 1 else math.nan
                sd2 = float(np.std(x2, ddof=1)) if x2.size > 1 else math.nan
                kwargs |= {"sd1": sd1, "sd2": sd2, "margin": margin}
                delta = difference
                if test == "welch" and delta is None and x1.size and x2.size:
                    delta = float(np.mean(x1) - np.mean(x2))
                    notes.append("difference: the pilot's observed mean difference")
                kwargs["difference"] = delta
            else:
                counts = [
                    (int(np.count_nonzero(dev > tol)), int(dev.size))
                    for dev, tol in zip(data.abs_deviation, data.tolerance, strict=True)
                ]
                kwargs |= {
                    "p1": counts[0][0] / counts[0][1] if counts[0][1] else math.nan,
                    "p2": counts[1][0] / counts[1][1] if counts[1][1] else math.nan,
                }
            problem = _pilot_problem(test, kwargs)
            if problem:
                fields = {key: kwargs.get(key, math.nan) for key in _PILOT_INPUTS}
                fields |= {"solved_for": "n" if power is not None else "power", "alpha": alpha}
                fields |= {"n1": kwargs.get("n1"), "n2": kwargs.get("n2"), "power": math.nan}
                fields["notes"] = [f"pilot gives no usable input: {problem}"]
            else:
                fields = power_analysis(test, **kwargs)
            notes += fields.pop("notes")
            row |= fields
            row["notes"] = join_notes(notes)
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(POWER_COLUMNS))
    return table
