"""Small phantom films for the detection tests (rendered once per session)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from alignment.io import ImageGeometry, Radiograph
from alignment.phantom import FilmParameters, LimbParameters, render_film
from alignment.phantom.render import Film
from alignment.vocabulary import Side

DOWNSCALE = 2.5  # 0.5 mm pixels


def as_radiograph(film: Film, *, name: str = "film.dcm", **changes: Any) -> Radiograph:
    """The film as :func:`alignment.io.read_radiograph` would give it (bone bright,
    spacing corrected by the magnification)."""
    row_mm, col_mm = film.spacing_mm
    m = film.magnification
    radiograph = Radiograph(
        name,
        "DICOM",
        film.pixels.shape[0],
        film.pixels.shape[1],
        film.bone_bright(),
        (row_mm / m, col_mm / m),
        "imager_pixel_spacing/ermf",
        m,
        film.laterality,
        film.view_position,
        film.patient_orientation,
        film.film.photometric,
        None,
        0,
        1,
        film.film.bits_stored,
        None,
        ImageGeometry.planar((row_mm / m, col_mm / m)),
        {},
    )
    return dataclasses.replace(radiograph, **changes) if changes else radiograph


@pytest.fixture(scope="session")
def ap_film() -> Film:
    """Bilateral AP film: replaced right knee, native left knee, MONOCHROME1."""
    film = FilmParameters.long_leg(photometric="MONOCHROME1").downscaled(DOWNSCALE)
    limbs: dict[Side, LimbParameters] = {
        "right": LimbParameters.postop(fta_deg=176.0, ffc_deg=91.0, ftc_deg=89.0),
        "left": LimbParameters.from_hka(176.0),
    }
    return render_film(film, limbs, seed=7001)


@pytest.fixture(scope="session")
def ap_result(ap_film):
    from alignment.detect import detect_landmarks

    return detect_landmarks(as_radiograph(ap_film))


def errors_mm(film: Film, table) -> dict[tuple[str, str], float]:
    """Distance (mm, in the landmark plane) of each detected landmark from the truth."""
    row_mm, col_mm = film.object_spacing_mm
    out = {}
    for row in table.itertuples():
        truth = film.landmarks[row.side][row.landmark]
        out[(row.side, row.landmark)] = float(
            np.hypot((row.x - truth[0]) * col_mm, (row.y - truth[1]) * row_mm)
        )
    return out
