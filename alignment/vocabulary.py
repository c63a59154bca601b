"""The fixed vocabulary of the measurement spec: views, sides and landmark names.

Names are snake_case strings. Importers of other tools' files map their names onto
these (see :mod:`alignment.annotations`); nothing downstream ever sees another name.

Examples
--------
>>> AP_LANDMARKS[:2]
('femoral_head_center', 'femoral_shaft_proximal')
>>> check_landmark_name("ankle_centre", "AP")
Traceback (most recent call last):
...
alignment.errors.UnknownLandmarkError: unknown landmark 'ankle_centre'; did you mean ...?
"""

from __future__ import annotations

import difflib
from typing import Literal

from alignment.errors import LandmarkError, UnknownLandmarkError

__all__ = [
    "AP_LANDMARKS",
    "LANDMARKS",
    "LAT_LANDMARKS",
    "SIDES",
    "VIEWS",
    "Side",
    "View",
    "check_landmark_name",
    "normalise_side",
    "normalise_view",
]

View = Literal["AP", "LAT"]
Side = Literal["left", "right"]

VIEWS: tuple[View, ...] = ("AP", "LAT")
SIDES: tuple[Side, ...] = ("left", "right")

AP_LANDMARKS: tuple[str, ...] = (
    "femoral_head_center",
    "femoral_shaft_proximal",
    "femoral_shaft_distal",
    "femoral_knee_center",
    "distal_femur_medial",
    "distal_femur_lateral",
    "tibial_knee_center",
    "tibial_plateau_medial",
    "tibial_plateau_lateral",
    "tibial_shaft_proximal",
    "tibial_shaft_distal",
    "ankle_center",
    "knee_center",
)
"""Landmarks of a coronal (AP) film, per leg, in the spec's order."""

LAT_LANDMARKS: tuple[str, ...] = (
    "femoral_shaft_proximal",
    "femoral_shaft_distal",
    "femoral_component_anterior",
    "femoral_component_posterior",
    "tibial_plateau_anterior",
    "tibial_plateau_posterior",
    "tibial_shaft_proximal",
    "tibial_shaft_distal",
)
"""Landmarks of a sagittal (LAT) knee film, per knee, in the spec's order."""

LANDMARKS: dict[View, tuple[str, ...]] = {"AP": AP_LANDMARKS, "LAT": LAT_LANDMARKS}

_SIDE_ALIASES = {"left": "left", "l": "left", "right": "right", "r": "right"}
_VIEW_ALIASES = {
    "ap": "AP",
    "pa": "AP",
    "coronal": "AP",
    "lat": "LAT",
    "lateral": "LAT",
    "ll": "LAT",
    "rl": "LAT",
    "sagittal": "LAT",
}


def _normalise(value: object, aliases: dict[str, str], what: str, valid: tuple[str, ...]) -> str:
    key = str(value).strip().lower()
    if key not in aliases:
        raise LandmarkError(f"invalid {what} {value!r}: expected one of {', '.join(valid)}")
    return aliases[key]


def normalise_side(value: object) -> Side:
    """Return ``'left'`` or ``'right'`` for a side written any common way.

    Accepts ``left``, ``right``, ``L`` and ``R`` in any case.

    Raises
    ------
    LandmarkError
        For anything else.

    Examples
    --------
    >>> normalise_side("R")
    'right'
    """
    return _normalise(value, _SIDE_ALIASES, "side", SIDES)  # type: ignore[return-value]


def normalise_view(value: object) -> View:
    """Return ``'AP'`` or ``'LAT'`` for a view written any common way.

    ``PA`` and ``coronal`` count as ``AP`` (both are coronal films); ``lateral``,
    ``LL``, ``RL`` and ``sagittal`` as ``LAT``.

    Raises
    ------
    LandmarkError
        For anything else.

    Examples
    --------
    >>> normalise_view("lateral")
    'LAT'
    """
    return _normalise(value, _VIEW_ALIASES, "view", VIEWS)  # type: ignore[return-value]


def check_landmark_name(name: str, view: View, *, where: str = "") -> str:
    """Return `name` if it belongs to the vocabulary of `view`, else raise.

    Parameters
    ----------
    name : str
        A landmark name.
    view : {'AP', 'LAT'}
        The view whose vocabulary applies.
    where : str, optional
        Context for the error message, such as ``"landmarks.csv, row 7"``.

    Raises
    ------
    UnknownLandmarkError
        With the closest valid names of that view (or of any view) as suggestions.
    """
    valid = LANDMARKS[view]
    if name in valid:
        return name
    prefix = f"{where}: " if where else ""
    if name in AP_LANDMARKS + LAT_LANDMARKS:
        raise UnknownLandmarkError(
            name, [], f"{prefix}not a {view} landmark; {view} landmarks are {', '.join(valid)}"
        )
    suggestions = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    raise UnknownLandmarkError(name, suggestions, where)
