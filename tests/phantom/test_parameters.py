from __future__ import annotations

import dataclasses

import pytest

from alignment.errors import AlignmentError, PhantomError
from alignment.phantom import FilmParameters, LimbParameters


def test_identity_of_the_coronal_angles() -> None:
    limb = LimbParameters(mldfa_deg=89.0, mpta_deg=84.0, jlca_deg=2.0)
    assert limb.hka_deg - 180 == pytest.approx(limb.mpta_deg - limb.mldfa_deg - limb.jlca_deg)
    assert limb.fta_deg == pytest.approx(360 - limb.hka_deg - limb.ama_deg)


def test_postop_gives_the_component_angles() -> None:
    limb = LimbParameters.postop(fta_deg=176, ffc_deg=92, ftc_deg=88.5, lfc_deg=94, ltc_deg=84)
    assert limb.implant
    got = (limb.fta_deg, limb.ffc_deg, limb.ftc_deg, limb.lfc_deg, limb.ltc_deg)
    assert got == pytest.approx((176, 92, 88.5, 94, 84))


def test_from_hka() -> None:
    assert LimbParameters.from_hka(172.0, mldfa_deg=90.0).hka_deg == pytest.approx(172.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mldfa_deg", 130.0, r"mldfa_deg is 130.0; expected a number in \[70.0, 110.0\]"),
        ("femur_length_mm", float("nan"), "femur_length_mm is nan"),
        ("ama_deg", "6", "ama_deg must be a number, got '6'"),
        ("implant", 1, "implant must be True or False"),
    ],
)
def test_limb_rejects_bad_values(field: str, value: object, message: str) -> None:
    with pytest.raises(PhantomError, match=message):
        LimbParameters(**{field: value})  # type: ignore[arg-type]


def test_errors_are_value_errors_of_the_hierarchy() -> None:
    with pytest.raises(ValueError):
        LimbParameters(jlca_deg=40.0)
    assert issubclass(PhantomError, AlignmentError)


def test_implausible_hka_is_refused() -> None:
    with pytest.raises(PhantomError, match="HKA would be"):
        LimbParameters(mldfa_deg=110.0, mpta_deg=70.0, jlca_deg=15.0)


def test_film_defaults_and_downscaling() -> None:
    film = FilmParameters.long_leg()
    assert film.shape == (6000, 2000) and film.size_mm == pytest.approx((1200, 400))
    small = film.downscaled(4)
    assert small.shape == (1500, 500)
    assert small.size_mm == pytest.approx(film.size_mm)
    assert small.photons == pytest.approx(16 * film.photons)
    assert film.magnification == pytest.approx(2500 / 2390)
    assert dataclasses.replace(film, oid_mm=0.0).magnification == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"view": "LAT", "sides": ("left", "right")}, "a LAT film images one knee"),
        ({"sides": ("left", "left")}, "one or two different legs"),
        ({"sides": ("middle",)}, "invalid side 'middle'"),
        ({"bits_stored": 20}, r"bits_stored is 20; expected an integer in \[8, 16\]"),
        ({"photometric": "RGB"}, "photometric is 'RGB'"),
        ({"shape": (10, 100)}, "shape must be"),
        ({"oid_mm": 900.0, "sid_mm": 1000.0}, "oid_mm .* must be well below sid_mm"),
    ],
)
def test_film_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PhantomError, match=message):
        FilmParameters(**kwargs)  # type: ignore[arg-type]


def test_downscale_factor_must_be_positive() -> None:
    with pytest.raises(PhantomError, match="factor must be a positive number"):
        FilmParameters().downscaled(0)
