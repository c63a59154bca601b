"""``alignment measure`` and ``alignment measures`` through ``main([...])``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alignment import landmark_table, write_landmarks
from alignment.cli import exitcodes, main
from alignment.measures import RESULT_COLUMNS, catalogue_markdown
from tests.legs import Leg, ap_leg

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def landmarks(tmp_path):
    return write_landmarks(landmark_table([ap_leg(side="left"), ap_leg(side="right")]),
                           tmp_path / "landmarks.csv")  # fmt: skip


def test_measure_writes_long_results(landmarks, tmp_path, capsys):
    out = tmp_path / "results.csv"
    assert main(["measure", str(landmarks), "--out", str(out)]) == exitcodes.OK
    results = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert tuple(results.columns) == RESULT_COLUMNS
    hka = results[results["measure"] == "hka"]["value"]
    assert hka.tolist() == pytest.approx([Leg().expected()["hka"]] * 2, abs=0.005)
    assert (results["value"].dropna().round(2) == results["value"].dropna()).all()  # 0.01
    assert "2 landmark sets" in capsys.readouterr().err


def test_measure_wide_to_stdout(landmarks, capsys):
    assert main(["measure", str(landmarks), "--wide"]) == exitcodes.OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("image,case,reader,side,view,hka,fta,mldfa")
    assert len(lines) == 3


def test_measure_preset_and_overrides(landmarks, tmp_path):
    preset = tmp_path / "mine.toml"
    preset.write_text('name = "mine"\nextends = "default"\n[measures]\nhka = { target = 178 }\n')
    out = tmp_path / "r.csv"
    code = main(["measure", str(landmarks), "--out", str(out), "--preset", str(preset),
                 "--set", "hka.tolerance=0.5"])  # fmt: skip
    assert code == exitcodes.OK
    hka = pd.read_csv(out).query("measure == 'hka'").iloc[0]
    assert (hka["preset"], hka["target"], hka["tolerance"]) == ("mine", 178, 0.5)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["measure", "absent.csv"], "absent.csv: no such landmark file"),
        (["measure", "{landmarks}", "--preset", "nope"], "unknown preset 'nope'"),
        (["measure", "{landmarks}", "--set", "hka=2"], "expected MEASURE.target=VALUE"),
        (["measure", "{landmarks}", "--set", "hkka.target=2"], "unknown measure 'hkka'"),
    ],
)
def test_errors_are_one_line(landmarks, capsys, argv, message):
    argv = [a.format(landmarks=landmarks) for a in argv]
    assert main(argv) == exitcodes.INPUT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_unknown_landmark_exit_code(tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text("image,side,view,landmark,x,y\na,left,AP,femoral_head,1,2\n")
    assert main(["measure", str(path)]) == exitcodes.INPUT_ERROR
    assert "did you mean 'femoral_head_center'" in capsys.readouterr().err


def test_usage_error_and_help(capsys):
    assert main(["measure"]) == exitcodes.USAGE_ERROR
    assert main(["--help"]) == exitcodes.OK
    assert "exit codes:" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["text", "csv", "json", "markdown"])
def test_measures_lists_the_registry(capsys, fmt):
    assert main(["measures", "--format", fmt]) == exitcodes.OK
    out = capsys.readouterr().out
    assert "posterior_slope" in out and "mldfa" in out


def test_docs_measures_page_is_generated_from_the_registry():
    assert (ROOT / "docs" / "measures.md").read_text() == catalogue_markdown(), (
        "docs/measures.md drifted: regenerate it with "
        "`alignment measures --format markdown > docs/measures.md`"
    )


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "alignment", "--version"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout.startswith("alignment ")


def test_measure_carries_detection_review_into_flags(tmp_path):
    # a detection CSV: the left leg flagged for review, the right one not
    table = landmark_table([ap_leg(side="left"), ap_leg(side="right")])
    table = table.assign(confidence=0.9, method="detect", review=table["side"] == "left")
    path = tmp_path / "detected.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "r.csv"
    assert main(["measure", str(path), "--out", str(out)]) == exitcodes.OK
    results = pd.read_csv(out, keep_default_na=False)
    flagged = results["flags"].str.split(";").map(lambda f: "review" in f)
    assert flagged[results["side"] == "left"].all()
    assert not flagged[results["side"] == "right"].any()
