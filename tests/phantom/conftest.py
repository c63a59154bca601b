"""Small, fast films shared by the phantom tests."""

from __future__ import annotations

import pytest

from alignment.phantom import Film, FilmParameters, LimbParameters, render_film
from alignment.vocabulary import Side

SMALL = 10.0
"""Downscale factor of the test films (2 mm pixels on AP)."""


@pytest.fixture(scope="session")
def postop_limb() -> LimbParameters:
    return LimbParameters.postop(
        fta_deg=175.5, ffc_deg=91.2, ftc_deg=88.7, lfc_deg=93.0, ltc_deg=85.0
    )


@pytest.fixture(scope="session")
def ap_film(postop_limb: LimbParameters) -> Film:
    limbs: dict[Side, LimbParameters] = {
        "right": postop_limb,
        "left": LimbParameters(mldfa_deg=88.0, mpta_deg=85.0),
    }
    return render_film(FilmParameters.long_leg().downscaled(SMALL), limbs, seed=3)


@pytest.fixture(scope="session")
def lat_film(postop_limb: LimbParameters) -> Film:
    return render_film(FilmParameters.lateral_knee("right").downscaled(4), postop_limb, seed=4)
