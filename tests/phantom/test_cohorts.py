"""Cohorts: the psi-vs-ci study's group statistics, scores, files and determinism."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from alignment.errors import PhantomError
from alignment.landmarks import read_landmarks
from alignment.phantom import PSI_VS_CI, TARGETS, generate_phantoms, plan_cohort


def _deviations(cases):
    rows = []
    for case in cases:
        (side,) = case.annotated
        limb = case.limbs[side]
        values = {**limb.expected_measures("AP"), **limb.expected_measures("LAT")}
        for measure, target in TARGETS.items():
            rows.append((case.group, measure, abs(values[measure] - target)))
    return pd.DataFrame(rows, columns=["group", "measure", "abs_deviation"])


def test_study_cohort_has_the_requested_group_statistics():
    cases = plan_cohort(100, seed=0, cohort="psi-vs-ci")
    assert [c.group for c in cases].count("PSI") == 47
    stats = (
        _deviations(cases)
        .groupby(["group", "measure"])["abs_deviation"]
        .agg(["mean", "std", "count"])
    )
    for group, measures in PSI_VS_CI.items():
        for measure, (mean, sd) in measures.items():
            row = stats.loc[(group, measure)]
            assert row["mean"] == pytest.approx(mean, abs=1e-9)
            assert row["std"] == pytest.approx(sd, abs=1e-9)
            assert row["count"] == (47 if group == "PSI" else 53)


def test_every_patient_is_an_operated_knee_with_a_native_other_leg():
    for case in plan_cohort(10, seed=3, cohort="psi-vs-ci"):
        (side,) = case.annotated
        other = "left" if side == "right" else "right"
        assert case.limbs[side].implant and not case.limbs[other].implant
        assert [f.view for f in case.films] == ["AP", "LAT"]
        assert case.films[1].sides == (side,)


@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_group_sizes_keep_the_study_proportions(n):
    groups = [c.group for c in plan_cohort(n, seed=1, cohort="psi-vs-ci")]
    assert groups.count("PSI") == round(47 * n / 100)
    assert groups.count("CI") == n - round(47 * n / 100)


def test_plan_is_a_function_of_the_seed():
    a = plan_cohort(5, seed=4)
    b = plan_cohort(5, seed=4)
    c = plan_cohort(5, seed=5)
    assert [x.limbs for x in a] == [x.limbs for x in b]
    assert [x.limbs for x in a] != [x.limbs for x in c]


def test_bad_cohort_arguments():
    with pytest.raises(PhantomError, match="unknown cohort 'rct'; expected one of mixed"):
        plan_cohort(3, cohort="rct")
    with pytest.raises(PhantomError, match="n must be a positive integer, got 0"):
        plan_cohort(0)
    with pytest.raises(PhantomError, match="unknown format 'bmp'"):
        generate_phantoms("unused", n=1, fmt="bmp")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    return generate_phantoms(
        folder, n=6, seed=2, cohort="psi-vs-ci", downscale=10, compression="rle"
    )


def test_study_folder(study):
    names = sorted(p.name for p in study.folder.iterdir())
    assert names == sorted(
        [f"case00{i}_{v}.dcm" for i in range(1, 7) for v in ("AP", "LAT")]
        + ["groups.csv", "landmarks.csv", "scores.csv", "truth.csv"]
    )
    groups = pd.read_csv(study.groups)
    assert list(groups.columns) == ["case", "group"] and len(groups) == 6
    landmarks = read_landmarks(study.landmarks)
    assert set(landmarks["case"]) == set(groups["case"])
    per_case = landmarks.groupby("case")["image"].nunique()
    assert (per_case == 2).all()  # both films of a patient share its case
    assert (landmarks.groupby(["image"])["side"].nunique() == 1).all()  # operated leg only


def test_truth_matches_the_planned_deviations(study):
    truth = pd.read_csv(study.truth)
    assert list(truth.columns) == ["image", "side", "view", "measure", "value"]
    planned = {c.case: c for c in plan_cohort(6, seed=2, cohort="psi-vs-ci", downscale=10)}
    for row in truth.itertuples():
        case = planned[row.image.split("_")[0]]
        expected = case.limbs[row.side].expected_measures(row.view)
        if row.measure in expected:
            assert row.value == pytest.approx(expected[row.measure], abs=0.01)
    assert set(truth["measure"]) >= {"hka", "fta", "ffc", "ftc", "lfc", "ltc"}


def test_scores_improve_with_no_group_difference_by_design(study):
    scores = pd.read_csv(study.scores)
    assert list(scores.columns) == ["subject", "group", "time", "instrument", "score"]
    assert sorted(scores["time"].unique()) == [0, 3, 6, 12, 18]
    assert set(scores["instrument"]) == {"HSS", "VAS", "WOMAC", "ROM"}
    assert len(scores) == 6 * 4 * 5


def test_score_means_over_a_large_cohort():
    from alignment.phantom.cohorts import _scores

    scores = _scores(plan_cohort(200, seed=0, cohort="psi-vs-ci"), 0)
    means = scores.groupby(["instrument", "time"])["score"].mean().unstack()
    assert means.loc["HSS", 18] > means.loc["HSS", 0] + 25
    assert means.loc["VAS", 18] < means.loc["VAS", 0] - 4
    assert means.loc["WOMAC", 18] < means.loc["WOMAC", 0] - 30
    assert means.loc["ROM", 18] > means.loc["ROM", 0] + 10


def test_files_are_reproducible_byte_for_byte(tmp_path):
    def digest(folder) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    a = generate_phantoms(tmp_path / "a", n=2, seed=9, downscale=12, fmt="png")
    b = generate_phantoms(tmp_path / "b", n=2, seed=9, downscale=12, fmt="png")
    assert digest(a.folder) == digest(b.folder)
    assert len(list(a.folder.glob("*.spacing.json"))) == 4


def test_mixed_cohort_annotates_both_legs(tmp_path):
    written = generate_phantoms(tmp_path, n=2, seed=1, downscale=12)
    landmarks = read_landmarks(written.landmarks)
    ap = landmarks[landmarks["view"] == "AP"]
    assert (ap.groupby("image")["side"].nunique() == 2).all()
    assert written.groups is None and written.scores is None
    assert np.isfinite(pd.read_csv(written.truth)["value"]).all()
