"""``alignment reliability``: kappa weights and Bland-Altman plot files."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pandas as pd

from alignment.cli import exitcodes, main
from alignment.stats import cohen_kappa, paired_ratings
from tests.stats.conftest import make_results


def test_reliability_kappa_weights_and_plots(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative --plots folder is relative to it
    results, _ = make_results(readers=("R1", "auto"), reader_noise=0.3, missing=0.02)
    results.to_csv(tmp_path / "results.csv", index=False)
    out = tmp_path / "reliability.csv"
    argv = ["reliability", str(tmp_path / "results.csv"), "--out", str(out)]
    extra = ["--measures", "hka,cpak", "--kappa-weights", "linear", "--plots", "plots"]
    code = main([*argv, *extra, "--plot-format", "png"])
    assert code == exitcodes.OK
    table = pd.read_csv(out)
    kappa = table[table["analysis"] == "kappa"].iloc[0]
    assert kappa["measure"] == "cpak" and kappa["type"] == "kappa_linear"
    pairs = paired_ratings(results, measures=["cpak"])
    expected = cohen_kappa(pairs["rating1"], pairs["rating2"], weights="linear")
    assert kappa["estimate"] == expected["estimate"]
    assert set(table.loc[table["measure"] == "hka", "analysis"]) == {
        "icc",
        "bland_altman",
        "concordance",
    }
    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == ["bland_altman_hka_inter_R1_vs_auto.png"]  # cpak is not plotted
    assert "wrote 1 Bland-Altman plot(s) to plots" in capsys.readouterr().out


def test_reliability_plots_land_in_the_folder_named(tmp_path, capsys):
    results, _ = make_results(readers=("R 1", "auto"), reader_noise=0.3, missing=0.0)
    results.to_csv(tmp_path / "results.csv", index=False)
    plots = tmp_path / "ba"
    argv = ["reliability", str(tmp_path / "results.csv"), "--out", str(tmp_path / "r.csv")]
    assert main([*argv, "--measures", "hka,mad_mm", "--plots", str(plots)]) == exitcodes.OK
    names = sorted(p.name for p in plots.iterdir())
    assert names == [
        "bland_altman_hka_inter_R_1_vs_auto.svg",
        "bland_altman_mad_mm_inter_R_1_vs_auto.svg",
    ]
    root = ET.fromstring((plots / names[0]).read_text())
    hka = results[(results["measure"] == "hka") & results["value"].notna()]
    assert len(root.findall("{http://www.w3.org/2000/svg}circle")) == hka["image"].nunique()
    assert main([*argv, "--measures", "hka", "--plots", str(plots), "--plot-format", "png"]) == 0
    png = cv2.imread(str(plots / "bland_altman_hka_inter_R_1_vs_auto.png"))
    assert png is not None and np.asarray(png).std() > 0
    capsys.readouterr()
