"""Clinical scores over follow-up: mixed model, between-group and within-group tests.

The input is a long table, one row per subject x time point (x instrument), with the
score of an instrument such as HSS, VAS, WOMAC or range of motion. Three analyses
answer the usual questions of a follow-up table: is the course different between the
groups (linear mixed model with group x time), do the groups differ at each visit,
and did each group change from baseline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from alignment.errors import StatsError
from alignment.stats._common import (
    as_float,
    check_choice,
    check_confidence,
    group_order,
    join_notes,
    recorded,
    require_columns,
    text_column,
)
from alignment.stats._twosample import describe, paired_t, two_sample
from alignment.stats.groups import adjust_p_values

__all__ = [
    "FOLLOWUP_COLUMNS",
    "between_groups_by_time",
    "change_from_baseline",
    "followup_analysis",
    "followup_model",
]

FOLLOWUP_COLUMNS: tuple[str, ...] = (
    "instrument",
    "analysis",
    "term",
    "time",
    "baseline",
    "group",
    "group1",
    "group2",
    "n",
    "n1",
    "n2",
    "mean1",
    "sd1",
    "mean2",
    "sd2",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "confidence",
    "test",
    "statistic",
    "df",
    "p_value",
    "p_holm",
    "converged",
    "notes",
)
"""Columns of every follow-up table (a field that does not apply is NaN or empty)."""

OPTIMIZERS: tuple[str, ...] = ("lbfgs", "bfgs", "cg", "powell", "nm")
"""Optimisers tried in turn until a mixed model fit converges without warning."""

_COLUMNS_DOC = """\
    DataFrame
        Columns :data:`FOLLOWUP_COLUMNS`: ``instrument``, ``analysis``
        (``mixed_model``, ``between_groups`` or ``within_group``), ``term`` (model
        term, e.g. ``group[T.CI]:time[T.12]``, or the joint ``group:time`` Wald
        test), ``time``, ``baseline``, ``group`` (within-group rows), ``group1``,
        ``group2``, ``n`` (observations, or pairs), ``n1``, ``n2``, ``mean1``,
        ``sd1``, ``mean2``, ``sd2`` (per group at that time; for within-group rows
        the baseline and the later visit of the same subjects), ``estimate``
        (coefficient or variance, mean1 - mean2 (for Mann-Whitney the
        Hodges-Lehmann shift, which goes with the test), or mean change later -
        baseline), ``se``,
        ``ci_low``, ``ci_high``, ``confidence``, ``test``, ``statistic`` (z, t,
        U, W or chi-square), ``df``, ``p_value``, ``p_holm`` (Holm across the time
        points of one instrument and analysis), ``converged`` (mixed model only) and
        ``notes`` (caveats and every warning raised)."""


def _sort_times(times: Sequence[str], time_order: Sequence[Any] | None) -> list[str]:
    found = list(dict.fromkeys(times))
    if time_order is not None:
        order = [str(t) for t in time_order]
        unknown = sorted(set(found) - set(order))
        if unknown:
            raise StatsError(
                f"time point(s) {', '.join(map(repr, unknown))} not in time_order {order!r}"
            )
        return [t for t in order if t in found]
    try:
        return sorted(found, key=float)
    except ValueError:
        return sorted(found)


def _prepare(
    scores: pd.DataFrame,
    columns: dict[str, str],
    instrument: str | None,
    order: Sequence[str] | None,
    time_order: Sequence[Any] | None,
) -> tuple[pd.DataFrame, list[str], list[str], list[str]]:
    """Normalise to columns instrument, subject, group, time, score; return the design."""
    needed = [columns["subject"], columns["group"], columns["time"], columns["score"]]
    if instrument is not None:
        needed.append(instrument)
    require_columns(scores, needed, "scores table")
    table = pd.DataFrame(
        {
            "instrument": (
                text_column(scores[instrument]) if instrument is not None else columns["score"]
            ),
            "subject": text_column(scores[columns["subject"]]),
            "group": text_column(scores[columns["group"]]),
            "time": text_column(scores[columns["time"]]),
            "score": as_float(scores[columns["score"]], columns["score"]),
        }
    )
    table = table[np.isfinite(table["score"]) & (table["group"] != "") & (table["time"] != "")]
    duplicated = table.duplicated(["instrument", "subject", "time"], keep=False)
    if duplicated.any():
        first = table[duplicated].iloc[0]
        raise StatsError(
            f"subject {first['subject']!r} has several scores at time {first['time']!r}"
            f" ({first['instrument']}); expected one per subject and time"
        )
    groups = group_order(table["group"], order, "follow-up scores")
    table = table[table["group"].isin(groups)]
    if table.empty:
        raise StatsError("scores table has no usable score")
    times = _sort_times(list(table["time"]), time_order)
    if len(times) < 2:
        raise StatsError(f"follow-up needs two or more time points, found {times!r}")
    return table, groups, times, list(dict.fromkeys(table["instrument"]))


def _empty_row(instrument: str, analysis: str, confidence: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FOLLOWUP_COLUMNS, math.nan)
    row.update(
        instrument=instrument,
        analysis=analysis,
        term="",
        time="",
        baseline="",
        group="",
        group1="",
        group2="",
        test="",
        confidence=confidence,
        converged=pd.NA,
        notes="",
    )
    return row


def _means_sds(first: np.ndarray, second: np.ndarray) -> dict[str, float]:
    """The ``mean1``, ``sd1``, ``mean2`` and ``sd2`` fields of a row.

    Parameters
    ----------
    first, second : ndarray
        The scores of the two samples (two groups, or baseline and later visit).

    Returns
    -------
    dict
        Mean and SD (ddof=1) of each sample, NaN where undefined, as computed by
        :func:`~alignment.stats._twosample.describe`.
    """
    one, two = describe(first), describe(second)
    return {"mean1": one["mean"], "sd1": one["sd"], "mean2": two["mean"], "sd2": two["sd"]}


def _with_holm(block: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill ``p_holm`` of `block`'s rows: Holm across the rows of one block."""
    adjusted = adjust_p_values([r["p_value"] for r in block], method="holm")
    for row, p_holm in zip(block, adjusted, strict=True):
        row["p_holm"] = float(p_holm)
    return block


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(FOLLOWUP_COLUMNS))
    table["converged"] = table["converged"].astype("boolean")
    for column in ("n", "n1", "n2"):
        table[column] = table[column].astype("Int64")
    return table


def _fit_mixed(data: pd.DataFrame) -> tuple[Any, str, list[str]]:
    """Fit the REML mixed model, trying optimisers until one converges cleanly."""
    model = smf.mixedlm(_FORMULA, data, groups=data["subject"])
    attempts: list[str] = []
    best: Any = None
    best_method = ""
    for method in OPTIMIZERS:
        try:
            result, caught = recorded(model.fit, reml=True, method=[method])
        except (np.linalg.LinAlgError, ValueError) as exc:
            attempts.append(f"{method}: failed ({type(exc).__name__}: {exc})")
            continue
        if result.converged and not caught:
            notes = [f"fit: {a}" for a in attempts]
            if attempts:
                notes.append(f"fit: {method} converged cleanly")
            return result, method, notes
        attempts.append(f"{method}: " + ("; ".join(caught) if caught else "did not converge"))
        if best is None or (result.converged and not best.converged):
            best, best_method = result, method
    if best is None:
        raise StatsError("mixed model could not be fitted: " + "; ".join(attempts))
    return best, best_method, [f"fit: {a}" for a in attempts]


def _term_name(name: str) -> str:
    name = re.sub(r"C\(_g\)", "group", name)
    return re.sub(r"C\(_t\)", "time", name)


_FORMULA = "score ~ C(_g) * C(_t)"
"""The fixed effects of :func:`followup_model` (columns _g = group, _t = time)."""

_ROUNDING = 64.0 * float(np.finfo("float64").eps)
"""Relative size below which a sum of squares counts as zero (rounding noise)."""


def _no_residual_variation(data: pd.DataFrame) -> bool:
    """True if every score equals its group x time cell mean (e.g. constant scores).

    The model's residual variance is then zero and its Wald tests divide by zero.
    """
    scores = data["score"].to_numpy(dtype="float64")
    cell_means = data.groupby(["_g", "_t"], observed=True)["score"].transform("mean")
    residual = scores - cell_means.to_numpy(dtype="float64")
    zero = scores.size * (_ROUNDING * float(np.abs(scores).max(initial=0.0))) ** 2
    return float(residual @ residual) <= zero


def _variance_rows(result: Any) -> list[dict[str, Any]]:
    """The subject (random intercept) and residual variance, each with its own row.

    statsmodels' ``params["Group Var"]`` is the subject variance divided by the
    residual variance; the variances themselves are ``cov_re`` and ``scale``.
    ``bse_re`` is the SE of ``cov_re``; the REML residual variance is profiled out
    and has none.
    """
    return [
        {
            "term": "subject variance",
            "estimate": float(np.asarray(result.cov_re)[0, 0]),
            "se": float(np.asarray(result.bse_re)[0]),
        },
        {"term": "residual variance", "estimate": float(result.scale), "se": math.nan},
    ]


def followup_model(
    scores: pd.DataFrame,
    *,
    subject: str = "subject",
    group: str = "group",
    time: str = "time",
    score: str = "score",
    instrument: str | None = None,
    order: Sequence[str] | None = None,
    time_order: Sequence[Any] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Linear mixed model of a score with group, time and group x time.

    ``score ~ group * time`` with time as a categorical factor (baseline = first time
    point, group1 = reference group) and a random intercept per subject, fitted by
    REML with :func:`statsmodels.formula.api.mixedlm`. Subjects with missed visits
    contribute the visits they have.

    Parameters
    ----------
    scores : DataFrame
        Long table, one row per subject x time (x instrument).
    subject, group, time, score : str
        Names of those columns in `scores`.
    instrument : str, optional
        Column naming the instrument (HSS, VAS, WOMAC, ...); one model each. Without
        it, the whole table is one instrument named after the `score` column.
    order : sequence of two str, optional
        ``[reference group, other group]``; default sorted.
    time_order : sequence, optional
        Time points in order (first = baseline); default numeric order when every
        time is a number, else sorted text.
    confidence : float, default 0.95

    Returns
    -------
    %(columns)s

    Rows of this function have ``analysis == "mixed_model"``: one per fixed-effect
    term (Wald z), a ``subject variance`` row (the random-intercept variance,
    statsmodels' ``cov_re``, with its SE) and a ``residual variance`` row
    (``scale``), both in the score's unit squared, and a joint ``group:time`` Wald
    chi-square test of all interaction terms. If the scores do not vary within the
    group x time cells (constant scores, say) no model is fitted: every estimate is
    NaN, ``converged`` is empty and ``notes`` says why.

    Raises
    ------
    StatsError
        Missing column, duplicated subject x time, fewer than two time points, groups
        not two, or no optimiser could fit the model.

    Notes
    -----
    Optimisers are tried in the order of :data:`OPTIMIZERS`; the first fit that
    converges without a warning is kept. Otherwise the best attempt is returned with
    ``converged`` False (if statsmodels says so) and every warning in ``notes``: a
    boundary warning (subject variance near zero) is common and harmless for the
    fixed effects, a failed convergence is not.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> subjects = np.repeat(np.arange(20), 3)
    >>> scores = pd.DataFrame({
    ...     "subject": subjects, "group": np.where(subjects < 10, "CI", "PSI"),
    ...     "time": np.tile([0, 3, 12], 20),
    ...     "score": 50 + np.tile([0, 20, 30], 20) + rng.normal(0, 5, 60)
    ...              + np.repeat(rng.normal(0, 5, 20), 3),
    ... })
    >>> model = followup_model(scores)
    >>> model["term"].tolist()[:3]
    ['Intercept', 'group[T.PSI]', 'time[T.3]']
    >>> bool(model["converged"].all())
    True
    """
    confidence = check_confidence(confidence)
    columns = {"subject": subject, "group": group, "time": time, "score": score}
    table, groups, times, instruments = _prepare(scores, columns, instrument, order, time_order)
    rows: list[dict[str, Any]] = []
    for name in instruments:
        data = table[table["instrument"] == name].copy()
        present = [t for t in times if t in set(data["time"])]
        data["_g"] = pd.Categorical(data["group"], categories=groups)
        data["_t"] = pd.Categorical(data["time"], categories=present)
        shared: dict[str, Any] = {"group1": groups[0], "group2": groups[1]}
        shared["baseline"] = present[0]
        if _no_residual_variation(data):
            note = (
                "scores do not vary within the group x time cells (constant scores?): "
                "no residual variance, mixed model not fitted"
            )
            terms = [_term_name(t) for t in smf.ols(_FORMULA, data).exog_names]
            for term in [*terms, "subject variance", "residual variance", "group:time"]:
                row = _empty_row(name, "mixed_model", confidence)
                row.update(shared, term=term, n=len(data), notes=note)
                rows.append(row)
            continue
        result, method, notes = _fit_mixed(data)
        interval = result.conf_int(alpha=1.0 - confidence)
        fit_note = join_notes([f"REML, optimiser {method}", *notes])
        # The fields every row of this instrument's model shares.
        shared |= {"n": int(result.nobs), "converged": bool(result.converged)}
        for term in result.fe_params.index:
            row = _empty_row(name, "mixed_model", confidence)
            row.update(
                shared,
                term=_term_name(str(term)),
                estimate=float(result.params[term]),
                se=float(result.bse[term]),
                ci_low=float(interval.loc[term, 0]),
                ci_high=float(interval.loc[term, 1]),
                test="wald_z",
                statistic=float(result.tvalues[term]),
                p_value=float(result.pvalues[term]),
                notes=fit_note,
            )
            rows.append(row)
        for fields in _variance_rows(result):
            row = _empty_row(name, "mixed_model", confidence)
            row.update(shared)
            row.update(fields, notes=fit_note)
            rows.append(row)
        names = list(result.params.index)
        interaction = [i for i, term in enumerate(names) if ":" in str(term)]
        if interaction:
            contrast = np.zeros((len(interaction), len(names)))
            for j, i in enumerate(interaction):
                contrast[j, i] = 1.0
            wald, caught = recorded(result.wald_test, contrast, scalar=True, use_f=False)
            row = _empty_row(name, "mixed_model", confidence)
            row.update(
                shared,
                term="group:time",
                test="wald_chi2",
                statistic=float(np.squeeze(wald.statistic)),
                df=float(len(interaction)),
                p_value=float(np.squeeze(wald.pvalue)),
                notes=join_notes([fit_note, *caught]),
            )
            rows.append(row)
    return _frame(rows)


_MEAN_KEYS = ("mean_diff", "ci_low", "ci_high")
"""Fields of :func:`two_sample` giving a t-test row's estimate and CI."""


def _scores_at(data: pd.DataFrame, group: str, time: str) -> pd.Series:
    mine = data[(data["group"] == group) & (data["time"] == time)]
    return pd.Series(mine["score"].to_numpy(), index=mine["subject"].to_numpy())


def between_groups_by_time(
    scores: pd.DataFrame,
    *,
    subject: str = "subject",
    group: str = "group",
    time: str = "time",
    score: str = "score",
    instrument: str | None = None,
    order: Sequence[str] | None = None,
    time_order: Sequence[Any] | None = None,
    test: str = "welch",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compare the two groups at each time point (Welch t by default).

    Parameters
    ----------
    scores : DataFrame
    subject, group, time, score, instrument, order, time_order
        As in :func:`followup_model`.
    test : {"welch", "student", "mannwhitney", "auto"}, default "welch"
        As in :func:`compare_groups`.
    confidence : float, default 0.95

    Returns
    -------
    %(columns)s

    Rows have ``analysis == "between_groups"``, one per instrument and time point.

    Raises
    ------
    StatsError
        As :func:`followup_model`, or an unknown `test`.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({
    ...     "subject": [1, 2, 3, 4, 1, 2, 3, 4], "group": ["A", "A", "B", "B"] * 2,
    ...     "time": [0, 0, 0, 0, 6, 6, 6, 6], "score": [50, 52, 49, 51, 80, 82, 70, 72],
    ... })
    >>> table = between_groups_by_time(scores)
    >>> table[["time", "n1", "n2", "estimate"]]
      time  n1  n2  estimate
    0    0   2   2       1.0
    1    6   2   2      10.0
    """
    check_choice("test", test, ("welch", "student", "mannwhitney", "auto"))
    confidence = check_confidence(confidence)
    columns = {"subject": subject, "group": group, "time": time, "score": score}
    table, groups, times, instruments = _prepare(scores, columns, instrument, order, time_order)
    rows: list[dict[str, Any]] = []
    for name in instruments:
        data = table[table["instrument"] == name]
        block: list[dict[str, Any]] = []
        for when in times:
            x1 = _scores_at(data, groups[0], when).to_numpy(dtype="float64")
            x2 = _scores_at(data, groups[1], when).to_numpy(dtype="float64")
            if x1.size == 0 and x2.size == 0:
                continue
            compared = two_sample(
                x1, x2, test=test, confidence=confidence, labels=(groups[0], groups[1])
            )
            # Mann-Whitney rows carry the Hodges-Lehmann shift, which goes with the test.
            ranked = compared["test"] == "mannwhitney"
            keys = ("hodges_lehmann", "hl_ci_low", "hl_ci_high") if ranked else _MEAN_KEYS
            estimate, ci_low, ci_high = (compared[k] for k in keys)
            notes = [compared["test_reason"], *compared["notes"]]
            if ranked:
                notes.append(
                    "estimate: Hodges-Lehmann shift with its CI; "
                    f"P {compared['p_method'] or 'not computed'}"
                )
            row = _empty_row(name, "between_groups", confidence)
            row.update(
                _means_sds(x1, x2),
                time=when,
                baseline=times[0],
                group1=groups[0],
                group2=groups[1],
                n1=int(x1.size),
                n2=int(x2.size),
                estimate=estimate,
                ci_low=ci_low,
                ci_high=ci_high,
                test=compared["test"],
                statistic=compared["statistic"],
                df=compared["df"],
                p_value=compared["p_value"],
                notes=join_notes(notes),
            )
            block.append(row)
        rows += _with_holm(block)
    return _frame(rows)


def change_from_baseline(
    scores: pd.DataFrame,
    *,
    subject: str = "subject",
    group: str = "group",
    time: str = "time",
    score: str = "score",
    instrument: str | None = None,
    order: Sequence[str] | None = None,
    time_order: Sequence[Any] | None = None,
    test: str = "paired_t",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Within-group change from baseline at each later time point.

    Only subjects scored at both baseline and the later time enter a comparison.

    Parameters
    ----------
    scores : DataFrame
    subject, group, time, score, instrument, order, time_order
        As in :func:`followup_model`; the first time point is the baseline.
    test : {"paired_t", "wilcoxon"}, default "paired_t"
        :func:`scipy.stats.ttest_rel` or :func:`scipy.stats.wilcoxon` (signed-rank,
        statistic W; the CI is then the paired t interval).
    confidence : float, default 0.95

    Returns
    -------
    %(columns)s

    Rows have ``analysis == "within_group"``, one per instrument, group and later
    time point; ``estimate`` is the mean of later - baseline.

    Raises
    ------
    StatsError
        As :func:`followup_model`, or an unknown `test`.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({
    ...     "subject": [1, 2, 3, 4, 1, 2, 3, 4], "group": ["A", "A", "B", "B"] * 2,
    ...     "time": ["pre"] * 4 + ["post"] * 4, "score": [50, 52, 49, 51, 80, 83, 70, 72],
    ... })
    >>> table = change_from_baseline(scores, time_order=["pre", "post"])
    >>> table[["group", "time", "n", "estimate"]]
      group  time  n  estimate
    0     A  post  2      30.5
    1     B  post  2      21.0
    """
    check_choice("test", test, ("paired_t", "wilcoxon"))
    confidence = check_confidence(confidence)
    columns = {"subject": subject, "group": group, "time": time, "score": score}
    table, groups, times, instruments = _prepare(scores, columns, instrument, order, time_order)
    rows: list[dict[str, Any]] = []
    for name in instruments:
        data = table[table["instrument"] == name]
        for who in groups:
            block: list[dict[str, Any]] = []
            before = _scores_at(data, who, times[0])
            for when in times[1:]:
                after = _scores_at(data, who, when)
                common = before.index.intersection(after.index)
                if len(common) == 0:
                    continue
                b = before.loc[common].to_numpy(dtype="float64")
                a = after.loc[common].to_numpy(dtype="float64")
                change = a - b
                row = _empty_row(name, "within_group", confidence)
                row.update(
                    _means_sds(b, a),
                    time=when,
                    baseline=times[0],
                    group=who,
                    n=int(change.size),
                    estimate=float(change.mean()),
                    test=test,
                )
                notes: list[str] = []
                if change.size < 2:
                    notes.append("fewer than 2 pairs: no test")
                elif np.ptp(change) == 0.0:
                    notes.append("every change equal: test undefined")
                else:
                    paired, caught = paired_t(a, b, confidence)
                    notes += caught
                    row.update(paired, se=float(change.std(ddof=1) / math.sqrt(change.size)))
                    if test == "wilcoxon":
                        signed, caught = recorded(stats.wilcoxon, a, b)
                        notes += caught
                        row.update(
                            statistic=float(signed.statistic),
                            df=math.nan,
                            p_value=float(signed.pvalue),
                        )
                row["notes"] = join_notes(notes)
                block.append(row)
            rows += _with_holm(block)
    return _frame(rows)


def followup_analysis(
    scores: pd.DataFrame,
    *,
    subject: str = "subject",
    group: str = "group",
    time: str = "time",
    score: str = "score",
    instrument: str | None = None,
    order: Sequence[str] | None = None,
    time_order: Sequence[Any] | None = None,
    test: str = "welch",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """All three follow-up analyses in one long table.

    The rows of :func:`followup_model`, :func:`between_groups_by_time` (with `test`)
    and :func:`change_from_baseline` (paired t; Wilcoxon when `test` is
    ``"mannwhitney"``), in that order.

    Parameters
    ----------
    scores : DataFrame
    subject, group, time, score, instrument, order, time_order, test, confidence
        As in those functions.

    Returns
    -------
    %(columns)s

    Raises
    ------
    StatsError
        As the three functions.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> subjects = np.repeat(np.arange(16), 2)
    >>> scores = pd.DataFrame({
    ...     "subject": subjects, "group": np.where(subjects < 8, "CI", "PSI"),
    ...     "time": np.tile([0, 12], 16), "score": rng.normal(60, 8, 32),
    ... })
    >>> followup_analysis(scores)["analysis"].unique().tolist()
    ['mixed_model', 'between_groups', 'within_group']
    """
    options = {
        "subject": subject,
        "group": group,
        "time": time,
        "score": score,
        "instrument": instrument,
        "order": order,
        "time_order": time_order,
        "confidence": confidence,
    }
    check_choice("test", test, ("welch", "student", "mannwhitney", "auto"))
    within = "wilcoxon" if test == "mannwhitney" else "paired_t"
    parts = [
        followup_model(scores, **options),  # type: ignore[arg-type]
        between_groups_by_time(scores, test=test, **options),  # type: ignore[arg-type]
        change_from_baseline(scores, test=within, **options),  # type: ignore[arg-type]
    ]
    return _frame(
        [{str(k): v for k, v in row.items()} for part in parts for row in part.to_dict("records")]
    )


for _function in (followup_model, between_groups_by_time, change_from_baseline, followup_analysis):
    if _function.__doc__:
        _function.__doc__ = _function.__doc__.replace("%(columns)s", _COLUMNS_DOC.strip())
