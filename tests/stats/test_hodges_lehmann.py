"""Mann-Whitney with the Hodges-Lehmann shift and CI, against R and scipy.

R's ``wilcox.test(x, y, conf.int = TRUE)`` is the reference. Where R's printed
values are published they are used; otherwise the CI is checked by what defines
it: it is the set of shifts the test does not reject, so scipy's own Mann-Whitney
P (exact, or asymptotic with continuity correction) must be >= alpha just inside
each bound and < alpha just outside.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignment.stats import between_groups_by_time
from alignment.stats._twosample import _rank_sum_counts, hodges_lehmann

# Kirkwood & Sterne, Essentials of Medical Statistics, 2nd ed., Table 30.4: birth
# weights (kg) of babies of 15 non-smokers and 14 heavy smokers (ties present).
BW_NON = np.array(
    [3.99, 3.89, 3.6, 3.73, 3.31, 3.7, 4.08, 3.61, 3.83, 3.41, 4.13, 3.36, 3.54, 3.51, 2.71]
)
BW_SMOKE = np.array(
    [3.18, 2.74, 2.9, 3.27, 3.65, 3.42, 3.23, 2.86, 3.6, 3.65, 3.69, 3.53, 2.38, 2.34]
)
# R's stats::wilcox.test(bw_s, bw_ns, conf.int = TRUE) on these data, as published
# by the PHUSE CAMIS project (psiaims.github.io/CAMIS, "R vs SAS Wilcoxon Rank-Sum
# Test"): P = 0.01001 (normal approximation with continuity correction) and the
# 95% CI (-0.77, -0.090); SAS PROC NPAR1WAY prints the same (-0.77, -0.09).
R_BIRTH_WEIGHT_P = 0.01001
R_BIRTH_WEIGHT_CI = (-0.77, -0.090)

# R's ?wilcox.test example (Hollander & Wolfe 1973, p. 69): permeability constants,
# no ties, exact; R prints W = 35, p-value = 0.1272 for alternative = "greater".
HW_X = np.array([0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46])
HW_Y = np.array([1.15, 0.88, 0.90, 0.74, 1.21])


def test_birth_weights_match_r_published_values():
    fields, notes = hodges_lehmann(BW_SMOKE, BW_NON, 0.95)
    assert notes == []
    assert fields["p_method"] == "normal approximation, continuity correction"
    assert round(fields["p_value"], 5) == R_BIRTH_WEIGHT_P
    assert round(fields["hl_ci_low"], 2) == R_BIRTH_WEIGHT_CI[0]
    assert round(fields["hl_ci_high"], 3) == R_BIRTH_WEIGHT_CI[1]
    expected = stats.mannwhitneyu(BW_SMOKE, BW_NON, method="asymptotic", use_continuity=True)
    assert fields["p_value"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert fields["statistic"] == expected.statistic
    # the estimate: where the standardised rank sum (no correction) crosses 0
    differences = np.subtract.outer(BW_SMOKE, BW_NON).ravel()
    assert fields["hl_ci_low"] < fields["hodges_lehmann"] < fields["hl_ci_high"]
    assert fields["hodges_lehmann"] == pytest.approx(np.median(differences), abs=0.01)


def test_exact_case_matches_r_documentation_example():
    fields, _ = hodges_lehmann(HW_X, HW_Y, 0.95)
    assert fields["p_method"] == "exact"
    assert fields["statistic"] == 35.0
    assert round(fields["p_value"] / 2, 4) == 0.1272  # R's one-sided P
    differences = np.subtract.outer(HW_X, HW_Y).ravel()
    assert fields["hodges_lehmann"] == pytest.approx(np.median(differences), rel=1e-12)


def test_null_distribution_of_u_against_scipy():
    for m, n in ((3, 4), (7, 5), (12, 15)):
        counts = _rank_sum_counts(m, n)
        assert counts.sum() == pytest.approx(math.comb(m + n, m), rel=1e-12)
        cdf = np.cumsum(counts) / counts.sum()
        values = np.arange(m + n, dtype=float)
        for u in range(0, m * n + 1, max(1, m * n // 7)):
            x = _sample_with_u(m, n, u)
            y = np.setdiff1d(values, x)
            # scipy's exact one-sided P of an observed U is the null cdf at U
            p = stats.mannwhitneyu(x, y, method="exact", alternative="less").pvalue
            assert stats.mannwhitneyu(x, y).statistic == u
            assert p == pytest.approx(cdf[u], rel=1e-10)


def _sample_with_u(m: int, n: int, u: int) -> np.ndarray:
    """m of the values 0 .. m+n-1 whose Mann-Whitney U against the rest is `u`."""
    chosen = list(range(m))  # U = 0; move the largest chosen value up one at a time
    for _ in range(u):
        for i in reversed(range(m)):
            limit = m + n - (m - i)
            if chosen[i] < limit:
                chosen[i] += 1
                break
    return np.array(chosen, dtype=float)


def _check_inversion(x, y, fields, method, alpha=0.05):
    step = 1e-9
    kwargs = {"method": method, "use_continuity": True}
    for bound, inside in (("hl_ci_low", step), ("hl_ci_high", -step)):
        edge = fields[bound]
        p_in = stats.mannwhitneyu(x - (edge + inside), y, **kwargs).pvalue
        p_out = stats.mannwhitneyu(x - (edge - inside), y, **kwargs).pvalue
        assert p_in >= alpha > p_out, (bound, p_in, p_out)


@pytest.mark.parametrize("seed", range(6))
def test_exact_ci_is_the_set_of_shifts_the_exact_test_keeps(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(1.0, 1.0, 6 + seed), rng.normal(0.0, 1.5, 11 - seed)
    fields, _ = hodges_lehmann(x, y, 0.95)
    assert fields["p_method"] == "exact"
    _check_inversion(x, y, fields, "exact")


@pytest.mark.parametrize("seed", range(4))
def test_normal_ci_is_the_set_of_shifts_the_corrected_test_keeps(seed):
    rng = np.random.default_rng(seed)
    # rounded to 0.1 degree, as angles are recorded: ties force the normal approximation
    x, y = np.round(rng.normal(1.0, 1.0, 20), 1), np.round(rng.normal(0.0, 1.0, 25), 1)
    fields, _ = hodges_lehmann(x, y, 0.95)
    assert fields["p_method"] == "normal approximation, continuity correction"
    _check_inversion(x, y, fields, "asymptotic")
    big_x, big_y = rng.normal(0.5, 1, 60), rng.normal(0, 1, 55)  # n >= 50: normal too
    big, _ = hodges_lehmann(big_x, big_y, 0.9)
    assert big["p_method"] == "normal approximation, continuity correction"
    _check_inversion(big_x, big_y, big, "asymptotic", alpha=0.1)


def test_followup_mann_whitney_rows_carry_the_shift():
    scores = pd.DataFrame(
        {
            "subject": range(29),
            "group": ["smoke"] * 14 + ["non"] * 15,
            "time": 0,
            "score": np.r_[BW_SMOKE, BW_NON],
        }
    )
    scores = pd.concat([scores, scores.assign(time=1)])
    table = between_groups_by_time(scores, test="mannwhitney", order=["smoke", "non"])
    row = table.iloc[0]
    fields, _ = hodges_lehmann(BW_SMOKE, BW_NON, 0.95)
    assert row["estimate"] == fields["hodges_lehmann"]
    assert (row["ci_low"], row["ci_high"]) == (fields["hl_ci_low"], fields["hl_ci_high"])
    assert "Hodges-Lehmann" in row["notes"] and "continuity correction" in row["notes"]


def test_constant_groups_give_the_shift_without_a_ci():
    fields, notes = hodges_lehmann(np.array([2.0, 2, 2]), np.array([1.0, 1, 1]), 0.95)
    assert fields["hodges_lehmann"] == 1.0
    assert math.isnan(fields["hl_ci_low"]) and math.isnan(fields["hl_ci_high"])
    assert "both groups constant: no CI of the shift" in notes
    same, notes = hodges_lehmann(np.array([1.0, 1, 1]), np.array([1.0, 1]), 0.95)
    assert same["hodges_lehmann"] == 0.0 and math.isnan(same["hl_ci_low"])
