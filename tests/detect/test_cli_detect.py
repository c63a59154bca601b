"""`alignment detect`: the canonical CSV `alignment measure` reads as is, and overlays."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alignment.cli import main
from alignment.landmarks import read_landmarks

SAMPLES = Path(__file__).resolve().parents[2] / "sample_images"


def test_detect_then_measure(tmp_path, capsys):
    films = [str(SAMPLES / "case001_AP.dcm"), str(SAMPLES / "case001_LAT.dcm")]
    out, overlays = tmp_path / "detected.csv", tmp_path / "overlays"
    assert main(["detect", *films, "--out", str(out), "--overlay", str(overlays)]) in (0, 1)
    table = pd.read_csv(out)
    assert {"confidence", "method", "review", "row_spacing_mm", "col_spacing_mm"} <= set(
        table.columns
    )
    assert table["confidence"].between(0, 1).all() and table["row_spacing_mm"].notna().all()
    assert set(table["view"]) == {"AP", "LAT"}
    read_landmarks(out)  # the canonical table, as is
    assert sorted(p.suffix for p in overlays.iterdir()) == [".png", ".png"]
    measured = tmp_path / "measured.csv"
    assert main(["measure", str(out), "--out", str(measured)]) == 0
    results = pd.read_csv(measured)
    values = results.set_index("measure")["value"]
    assert values[["hka", "fta", "lfc", "ltc"]].notna().all()
    capsys.readouterr()
