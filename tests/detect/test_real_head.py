"""The femoral head on real films: crops whose shaft trace ran past the trochanters,
and the digital OAI film's faint heads (internal evaluation; skipped where the folder
of real films is absent)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .conftest import OAI_SPACING_MM, assert_crop_hka_for_review, landmarks_mm, oai_film


@pytest.mark.parametrize(
    "case",
    [
        # no circle at all over a trace run 200 mm past the trochanters: no head, no HKA
        "02252901",
        # the trace ran up a lone lateral edge to the film's top: the head was a circle
        # on the ilium there, 5.8 deg of HKA off
        "02111402",
    ],
)
def test_real_head_is_looked_for_over_the_paired_cortices(realfilms, case):
    assert_crop_hka_for_review(realfilms, case, 3.0)


def test_real_oai_heads_read_coarse_are_moved_down_to_their_centres(realfilms):
    # the digital OAI film's faint heads are coarse circles of 16-18 mm inscribed under
    # their domes (the heads' radii are 23-25 mm): taken as they were, their centres lay
    # 8.5 and 9.5 mm above the reference's; moved down by the radii's difference, both
    # lie within 7 mm of it
    film = oai_film(realfilms)
    found = landmarks_mm(film)
    reference = pd.read_csv(realfilms / "reference_landmarks.csv")
    heads = reference[
        (reference["image"] == "longleg/01924704_1x1.jpg")
        & (reference["landmark"] == "femoral_head_center")
    ]
    assert len(heads) == 2
    for row in heads.itertuples():
        truth = np.array([row.x, row.y]) * OAI_SPACING_MM
        assert np.hypot(*(found[row.side, "femoral_head_center"] - truth)) <= 7.0, row.side
