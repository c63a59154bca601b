"""Synthetic long-leg and knee radiographs whose true geometry is known exactly.

A limb is built from the angles of the measurement spec (:class:`LimbParameters`) as
analytic solids (:mod:`.anatomy`, :mod:`.solids`), imaged by a cone beam onto a
detector (:class:`FilmParameters`, :func:`render_film`) and written as DICOM or PNG
(:func:`write_film`) beside the projected, true landmarks. :func:`generate_phantoms`
does this for a whole cohort, including the ``psi-vs-ci`` study cohort
(:mod:`.cohorts`). See ``docs/phantom.md``.

Examples
--------
>>> from alignment.phantom import FilmParameters, LimbParameters, render_film
>>> limb = LimbParameters.from_hka(176.0)
>>> film = render_film(FilmParameters.long_leg().downscaled(10), limb, seed=0)
>>> film.pixels.shape
(600, 200)
>>> x, y = film.landmarks["right"]["femoral_head_center"]
>>> 0 < x < 100 < y  # the right leg is on the viewer's left
True
"""

from __future__ import annotations

from alignment.phantom.anatomy import MU, Limb, build_limb
from alignment.phantom.cohorts import (
    COHORTS,
    PSI_VS_CI,
    SCORE_MONTHS,
    TARGETS,
    Case,
    PhantomSet,
    generate_phantoms,
    plan_cohort,
)
from alignment.phantom.parameters import FilmParameters, LimbParameters
from alignment.phantom.render import Film, render_film
from alignment.phantom.writers import FORMATS, FakePatient, fake_patient, write_film

__all__ = [
    "COHORTS",
    "FORMATS",
    "MU",
    "PSI_VS_CI",
    "SCORE_MONTHS",
    "TARGETS",
    "Case",
    "FakePatient",
    "Film",
    "FilmParameters",
    "Limb",
    "LimbParameters",
    "PhantomSet",
    "build_limb",
    "fake_patient",
    "generate_phantoms",
    "plan_cohort",
    "render_film",
    "write_film",
]
