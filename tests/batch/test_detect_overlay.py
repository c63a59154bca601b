"""A film on which detection finds nothing still gets its overlay, saying why."""

from __future__ import annotations

import cv2
import numpy as np

from alignment.batch import run_batch


def test_a_film_without_detected_landmarks_gets_an_overlay(tmp_path):
    folder = tmp_path / "films"
    folder.mkdir()
    cv2.imwrite(str(folder / "blank.png"), np.full((600, 200), 40, np.uint8))
    result = run_batch(folder, tmp_path / "out", detect="all", report=True, jobs=0)
    assert set(result.errors["stage"]) == {"detect"}, result.errors
    overlays = list((tmp_path / "out" / "overlays").glob("blank*.png"))
    assert len(overlays) == 1
    rgb = cv2.imread(str(overlays[0]))
    assert rgb.shape[0] >= 1600  # laid out as a long-leg film by its proportions
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f'href="overlays/{overlays[0].name}"' in report
