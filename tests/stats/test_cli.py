"""The four statistics commands, end to end through ``alignment.cli.main``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignment.cli import COMMANDS, exitcodes, main
from alignment.landmarks import LandmarkSet, landmark_table, write_landmarks
from alignment.stats import compare_groups, read_table
from tests.stats.conftest import DATA, ISSUE_COLUMNS, make_results


@pytest.fixture
def study(tmp_path):
    results, groups = make_results(seed=4)
    results.to_csv(tmp_path / "results.csv", index=False)
    groups.to_csv(tmp_path / "groups.csv", index=False)
    return tmp_path, results, groups


def test_commands_are_registered():
    assert {"compare", "reliability", "followup", "summary-test"} <= set(COMMANDS)


def test_compare_writes_the_full_precision_table(study, capsys):
    folder, results, groups = study
    out = folder / "table.csv"
    code = main(
        [
            "compare",
            str(folder / "results.csv"),
            "--groups",
            str(folder / "groups.csv"),
            "--order",
            "PSI,CI",
            "--tolerance",
            "2",
            "--equivalence-margin",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == exitcodes.OK
    assert "compared 6 measure(s) PSI vs CI" in capsys.readouterr().out
    table = read_table(out)
    assert set(ISSUE_COLUMNS) <= set(table.columns)
    assert table["group1"].eq("PSI").all()
    assert (table["tolerance"].dropna() == 2.0).all()  # NaN: measures without a target
    expected = compare_groups(
        results, groups, order=["PSI", "CI"], tolerance=2.0, equivalence_margin=1.0
    )
    for column in ("mean1", "sd2", "statistic", "p_value", "p_holm", "effect_size", "ci_low"):
        assert np.array_equal(table[column], expected[column], equal_nan=True), column


@pytest.mark.parametrize(
    ("fmt", "marker"), [("md", "| Measure |"), ("tex", r"\begin{tabular}"), ("html", "<table>")]
)
def test_compare_publication_formats(study, fmt, marker):
    folder, _, _ = study
    out = folder / f"table.{fmt}"
    code = main(
        [
            "compare",
            str(folder / "results.csv"),
            "--groups",
            str(folder / "groups.csv"),
            "--test",
            "auto",
            "--metric",
            "deviation",
            "--out",
            str(out),
            "--decimals",
            "2",
        ]
    )
    assert code == exitcodes.OK
    text = out.read_text(encoding="utf-8")
    assert marker in text
    assert ("±" in text) or (r"$\pm$" in text)


def test_compare_format_option_overrides_the_suffix(study):
    folder, _, _ = study
    out = folder / "table.csv"
    main(
        [
            "compare",
            str(folder / "results.csv"),
            "--groups",
            str(folder / "groups.csv"),
            "--out",
            str(out),
            "--format",
            "md",
        ]
    )
    assert out.read_text(encoding="utf-8").startswith("| Measure |")


def test_compare_input_errors_exit_3_with_one_line(study, capsys):
    folder, _, groups = study
    groups.rename(columns={"case": "patient"}).to_csv(folder / "bad.csv", index=False)
    code = main(
        [
            "compare",
            str(folder / "results.csv"),
            "--groups",
            str(folder / "bad.csv"),
            "--out",
            str(folder / "x.csv"),
        ]
    )
    assert code == exitcodes.INPUT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("alignment compare: error: groups table lacks a 'case' or 'image'")
    assert not (folder / "x.csv").exists()
    code = main(
        [
            "compare",
            str(folder / "nope.csv"),
            "--groups",
            str(folder / "groups.csv"),
            "--out",
            str(folder / "x.csv"),
        ]
    )
    assert code == exitcodes.INPUT_ERROR


def test_compare_requires_groups_and_out(study):
    folder, _, _ = study
    assert main(["compare", str(folder / "results.csv")]) == exitcodes.USAGE_ERROR


def test_reliability_from_a_results_table(tmp_path, capsys):
    results, _ = make_results(readers=("R1", "R2"), reader_noise=0.3, missing=0.0)
    results.to_csv(tmp_path / "results.csv", index=False)
    out = tmp_path / "reliability.csv"
    code = main(
        ["reliability", str(tmp_path / "results.csv"), "--out", str(out), "--measures", "hka,fta"]
    )
    assert code == exitcodes.OK
    table = pd.read_csv(out)
    assert set(table["measure"]) == {"hka", "fta"}
    assert "reliability of 2 measure(s) (inter)" in capsys.readouterr().out


def _leg(image: str, reader: str, shift: float) -> LandmarkSet:
    points = {
        "femoral_head_center": (100.0 + shift, 100.0),
        "femoral_knee_center": (120.0, 500.0 + shift),
        "tibial_knee_center": (120.0, 520.0),
        "ankle_center": (110.0 - shift, 900.0),
        "distal_femur_medial": (150.0, 505.0 + shift),
        "distal_femur_lateral": (90.0, 505.0),
        "tibial_plateau_medial": (150.0, 522.0),
        "tibial_plateau_lateral": (90.0, 521.0 + shift),
    }
    return LandmarkSet(image, "right", "AP", points, reader=reader)


def test_reliability_measures_a_landmark_file_first(tmp_path):
    rng = np.random.default_rng(2)
    sets = []
    for i in range(8):
        truth = rng.normal(0, 8)
        for reader in ("A", "B"):
            sets.append(_leg(f"film{i}.dcm", reader, truth + rng.normal(0, 0.5)))
    path = tmp_path / "landmarks.csv"
    write_landmarks(landmark_table(sets), path)
    out = tmp_path / "reliability.md"
    code = main(["reliability", str(path), "--out", str(out), "--measures", "hka,mpta"])
    assert code == exitcodes.OK
    text = out.read_text(encoding="utf-8")
    assert "| hka |" in text and "ICC(2,1)" in text


def test_reliability_rejects_an_unknown_table(tmp_path, capsys):
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "x.csv", index=False)
    code = main(["reliability", str(tmp_path / "x.csv"), "--out", str(tmp_path / "o.csv")])
    assert code == exitcodes.INPUT_ERROR
    assert "neither a landmark file" in capsys.readouterr().err


def test_followup_command(tmp_path, capsys):
    rng = np.random.default_rng(0)
    subjects = np.repeat(np.arange(20), 3)
    pd.DataFrame(
        {
            "subject": subjects,
            "group": np.where(subjects < 10, "PSI", "CI"),
            "time": np.tile(["pre", "3m", "12m"], 20),
            "score": 50
            + np.tile([0, 25, 30], 20)
            + rng.normal(0, 5, 60)
            + np.repeat(rng.normal(0, 5, 20), 3),
        }
    ).to_csv(tmp_path / "scores.csv", index=False)
    out = tmp_path / "followup.csv"
    code = main(
        [
            "followup",
            str(tmp_path / "scores.csv"),
            "--out",
            str(out),
            "--time-order",
            "pre,3m,12m",
            "--order",
            "CI,PSI",
        ]
    )
    assert code == exitcodes.OK
    table = pd.read_csv(out)
    assert table["analysis"].unique().tolist() == ["mixed_model", "between_groups", "within_group"]
    assert "group[T.PSI]:time[T.12m]" in set(table["term"])
    assert "follow-up of 1 instrument(s)" in capsys.readouterr().out


def test_summary_test_command_on_the_source_study(tmp_path, capsys):
    out = tmp_path / "retest.csv"
    code = main(["summary-test", str(DATA / "source_study_summary.csv"), "--out", str(out)])
    assert code == exitcodes.OK
    table = pd.read_csv(out)
    assert (table["welch_p_value"] < 0.05).all() and (table["student_p_value"] < 0.05).all()
    printed = capsys.readouterr().out
    assert "re-tested 13 row(s): 1 flagged, 0 P value(s) disagree" in printed


def test_help_of_every_statistics_command(capsys):
    for command in ("compare", "reliability", "followup", "summary-test"):
        assert main([command, "--help"]) == 0
        assert "exit codes:" in capsys.readouterr().out


def test_reliability_intra_observer_from_landmark_sessions(tmp_path):
    rng = np.random.default_rng(1)
    table = landmark_table(
        [_leg(f"film{i}.dcm", reader, rng.normal(0, 8)) for i in range(6) for reader in "AB"]
    )
    repeated = table.assign(x=table["x"] + rng.normal(0, 0.3, len(table)))
    both = pd.concat([table.assign(session="1"), repeated.assign(session="2")])
    both.to_csv(tmp_path / "landmarks.csv", index=False)
    out = tmp_path / "reliability.csv"
    argv = ["reliability", str(tmp_path / "landmarks.csv"), "--session", "session"]
    assert main([*argv, "--out", str(out), "--measures", "hka"]) == exitcodes.OK
    table = pd.read_csv(out)
    assert set(table["scope"]) == {"inter", "intra:A", "intra:B", "intra"}
    pooled = table[table["scope"] == "intra"].set_index("type")
    assert pooled.loc["intra", "analysis"] == "icc_readings"
    assert "2 readings per reader" in pooled.loc["intra", "notes"]


def test_compare_clusters_adjusts_gives_power_and_draws_the_forest(study):
    folder, results, groups = study
    pre = results.copy()
    pre["value"] = pre["value"] + np.random.default_rng(1).normal(0, 3, len(pre))
    pre.to_csv(folder / "pre.csv", index=False)
    common = ["compare", str(folder / "results.csv"), "--groups", str(folder / "groups.csv"),
              "--order", "PSI,CI", "--cluster", "gee", "--baseline", str(folder / "pre.csv"),
              "--power-difference", "1", "--non-inferiority-margin", "0.5",
              "--non-inferiority-rate-margin", "0.1"]  # fmt: skip
    out = folder / "table.csv"
    assert main([*common, "--out", str(out), "--forest", str(folder / "forest.svg")]) == 0
    table = read_table(out)
    expected = compare_groups(
        results, groups, order=["PSI", "CI"], cluster="gee", baseline=pre, power_difference=1.0,
        noninferiority_margin=0.5, noninferiority_rate_margin=0.1,
    )  # fmt: skip
    for column in ("mean_diff", "p_value", "adjusted_diff", "adjusted_p_value", "power",
                   "noninferiority_p_value", "rate_noninferiority_p_value",
                   "risk_difference", "odds_ratio"):  # fmt: skip
        assert np.allclose(table[column], expected[column], equal_nan=True, rtol=1e-6), column
    assert (table["test"] == "gee").all()
    assert table["legs_counted"].str.contains("clustered by patient").all()
    assert (folder / "forest.svg").read_text().startswith("<svg")
    assert (folder / "forest-adjusted.svg").exists()
    md = folder / "table.md"
    assert main([*common, "--out", str(md)]) == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("n = legs; legs clustered by patient: GEE")
    assert "| Adjusted difference | P (adjusted) | Power (1) |" in text


def test_compare_joins_formula_like_cases_written_by_the_toolkit(tmp_path, capsys):
    """results.csv from a batch quotes ``=c01`` as ``'=c01``; the groups file does not."""
    from alignment.csvtext import csv_text

    results, groups = make_results(seed=4)
    formula = {case: f"={case}" for case in groups["case"]}
    results["case"] = results["case"].map(formula)
    groups["case"] = groups["case"].map(formula)
    (tmp_path / "results.csv").write_text(csv_text(results))  # the toolkit's writer
    groups.to_csv(tmp_path / "groups.csv", index=False)  # as a user writes it
    assert "'=" in (tmp_path / "results.csv").read_text()
    out = tmp_path / "table.csv"
    args = ["compare", str(tmp_path / "results.csv"), "--groups", str(tmp_path / "groups.csv")]
    assert main([*args, "--out", str(out)]) == exitcodes.OK
    expected = compare_groups(results, groups)
    table = read_table(out)
    assert np.array_equal(table["n1"], expected["n1"]) and table["n1"].gt(0).all()
