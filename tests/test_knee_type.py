"""Native and replaced knees: each is scored on its own kind of targets only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignment import LandmarkFileError, measure_landmarks, read_landmarks
from alignment.cli import exitcodes, main
from alignment.report import render_report

SAMPLES = Path(__file__).resolve().parents[1] / "sample_images"
NATIVE = ["mldfa", "mpta", "aldfa", "jlca"]
COMPONENT = ["ffc", "ftc", "ffc_anatomical", "ftc_anatomical", "lfc", "ltc"]


@pytest.fixture(scope="module")
def ap_only() -> pd.DataFrame:
    table = read_landmarks(SAMPLES / "landmarks.csv")
    return table[table["view"] == "AP"].reset_index(drop=True)


def _targets(results: pd.DataFrame, measures: list[str]) -> pd.Series:
    return results.loc[results["measure"].isin(measures), "target"]


def test_unknown_knee_keeps_every_target(ap_only):
    results = measure_landmarks(ap_only)
    assert set(results["knee"].astype(str)) == {""}
    assert _targets(results, NATIVE).notna().all()
    assert _targets(results, ["ffc", "ftc"]).notna().all()


SPELLINGS = [("yes", "replaced"), ("TRUE", "replaced"), ("native", "native"), ("0", "native")]


@pytest.mark.parametrize(("spelled", "knee"), SPELLINGS)
def test_implant_column_picks_the_targets(ap_only, spelled, knee):
    results = measure_landmarks(ap_only.assign(implant=spelled))
    assert set(results["knee"].astype(str)) == {knee}
    kept, dropped = (COMPONENT, NATIVE) if knee == "replaced" else (NATIVE, COMPONENT)
    assert _targets(results, kept).notna().any()
    off = results[results["measure"].isin(dropped)]
    assert off["target"].isna().all() and off["tolerance"].isna().all()
    assert off["deviation"].isna().all() and off["outlier"].isna().all()
    assert off["value"].notna().any()  # measured all the same


def test_implant_argument_fills_only_what_the_table_leaves_open(ap_only):
    first = ap_only["image"] == ap_only["image"].iloc[0]
    table = ap_only.assign(implant=np.where(first, "no", ""))
    results = measure_landmarks(table, implant=True)
    knee = results.groupby("image", observed=True)["knee"].first().astype(str)
    assert knee.iloc[0] == "native" and set(knee.iloc[1:]) == {"replaced"}


def test_component_landmarks_on_the_lateral_film_mean_replaced():
    results = measure_landmarks(SAMPLES / "landmarks.csv")
    assert set(results["knee"].astype(str)) == {"replaced"}  # AP legs too, by case and side
    assert _targets(results, NATIVE).isna().all()
    assert not results.loc[results["measure"].isin(NATIVE), "outlier"].any()


def test_bad_implant_value_names_the_row(ap_only, tmp_path):
    path = tmp_path / "marks.csv"
    ap_only.assign(implant="maybe").to_csv(path, index=False)
    with pytest.raises(LandmarkFileError, match=r"marks.csv.*implant is 'maybe'"):
        read_landmarks(path)


def test_cli_implant_option(ap_only, tmp_path):
    path = tmp_path / "marks.csv"
    ap_only.to_csv(path, index=False)
    out = tmp_path / "r.csv"
    assert main(["measure", str(path), "--out", str(out), "--implant", "no"]) == exitcodes.OK
    results = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert set(results["knee"]) == {"native"} and _targets(results, ["ffc"]).isna().all()
    assert main(["measure", str(path), "--implant", "maybe"]) == exitcodes.USAGE_ERROR


def test_report_says_which_knees_and_targets(ap_only):
    page = render_report(results=measure_landmarks(ap_only, implant=True))
    assert "6 replaced, 0 native, 0 unknown" in page
    assert "scored on replaced knees only" in page


def test_batch_gives_each_film_the_knee_type_the_study_shows(tmp_path):
    from alignment.batch import run_batch

    out = tmp_path / "out"
    result = run_batch(SAMPLES, out, jobs=0, overlays=False, report=False)
    assert set(result.results["knee"].astype(str)) == {"replaced"}
    written = pd.read_csv(out / "landmarks.csv", keep_default_na=False)
    assert set(written["implant"]) == {"yes"}  # what each image's task measured with
    native = run_batch(SAMPLES, tmp_path / "n", jobs=0, overlays=False, report=False,
                       implant=False)  # fmt: skip
    assert set(native.results["knee"].astype(str)) == {"native"}
