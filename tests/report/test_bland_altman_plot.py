"""The Bland-Altman plot: valid SVG and PNG showing every pair, its lines and legend."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

from alignment.report.bland_altman import (
    bland_altman_png,
    bland_altman_svg,
    write_bland_altman_plot,
)

NS = "{http://www.w3.org/2000/svg}"


def _pairs(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.normal(180, 3, n)
    return truth + rng.normal(0.3, 0.5, n), truth + rng.normal(0, 0.5, n)


def test_svg_is_valid_and_shows_every_pair_and_the_numbers():
    a, b = _pairs()
    a[3] = np.nan  # a pair with a missing rating is left out
    svg = bland_altman_svg(a, b, labels=("R<1>", "auto"), unit="deg", title="HKA & co")
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert len(root.findall(f"{NS}circle")) == 29
    texts = " ".join(t.text or "" for t in root.iter(f"{NS}text"))
    keep = np.isfinite(a)
    diff = a[keep] - b[keep]
    assert f"bias {diff.mean():.2f}" in texts and "(n = 29)" in texts
    assert "R<1> - auto (deg)" in texts and "HKA & co" in texts  # escaped, parsed back
    assert "proportional bias: slope" in texts
    dashed = [x for x in root.iter(f"{NS}line") if x.get("stroke-dasharray") == "6 4"]
    assert len(dashed) == 2  # the two limits of agreement


def test_png_matches_the_svg_size_and_is_not_blank(tmp_path):
    a, b = _pairs()
    rgb = bland_altman_png(a, b, width=400, height=300, scale=2)
    assert rgb.shape == (600, 800, 3) and rgb.dtype == np.uint8
    assert (rgb < 128).any() and (rgb == 255).mean() > 0.5
    out = write_bland_altman_plot(tmp_path / "ba.png", a, b, labels=("R1", "R2"))
    decoded = cv2.imread(str(out))
    assert decoded is not None and decoded.shape[2] == 3
    svg = write_bland_altman_plot(tmp_path / "ba.svg", a, b).read_text()
    assert ET.fromstring(svg).tag == f"{NS}svg"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ba.png", "ba.svg"]


def test_plot_errors_and_too_few_pairs(tmp_path):
    with pytest.raises(ValueError, match="suffix must be .svg or .png"):
        write_bland_altman_plot(tmp_path / "ba.pdf", [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="1-D of one length"):
        bland_altman_svg([1.0, 2.0], [1.0])
    svg = bland_altman_svg([1.0], [2.0])
    assert "fewer than 2 targets" in svg and "<circle" not in svg
