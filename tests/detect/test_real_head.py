"""The femoral head on real crops whose shaft trace ran past the trochanters
(internal evaluation; skipped where the folder of real films is absent)."""

from __future__ import annotations

import pytest

from .conftest import assert_crop_hka_for_review


@pytest.mark.parametrize(
    "case",
    [
        # no circle at all over a trace run 200 mm past the trochanters: no head, no HKA
        "02252901",
        # the trace ran up a lone lateral edge to the film's top: the head was a circle
        # on the ilium there, 5.8 deg of HKA off; on its femur 2.7-3.0 (the median of
        # the head's readings, HEAD_READINGS, 3.0)
        "02111402",
    ],
)
def test_real_head_is_looked_for_over_the_paired_cortices(realfilms, case):
    assert_crop_hka_for_review(realfilms, case, 3.5)
