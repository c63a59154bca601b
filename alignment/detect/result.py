"""What :func:`~alignment.detect.detect_landmarks` returns.

Examples
--------
>>> status = LegStatus("right", "AP", "review", 0.4, 11, 12, "tibial_knee_center: low")
>>> status.review
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from alignment.landmarks import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from alignment.options import REVIEW_THRESHOLD
from alignment.vocabulary import Side, View

__all__ = ["DETECTION_COLUMNS", "REVIEW_THRESHOLD", "DetectionResult", "LegStatus", "Missing"]

DETECTION_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "review")
"""Columns of :attr:`DetectionResult.landmarks`: the canonical landmark table, then
``confidence`` (in [0, 1]), ``method`` (which detector placed the point) and ``review``
(True when the point's leg is flagged for a person to check)."""


@dataclass(frozen=True)
class Missing:
    """A landmark (or a whole leg, ``landmark == "*"``) that was not placed, and why."""

    side: str
    view: str
    landmark: str
    reason: str


@dataclass(frozen=True)
class LegStatus:
    """The outcome for one leg (AP) or knee (LAT).

    Attributes
    ----------
    side : {'left', 'right'}
    view : {'AP', 'LAT'}
    status : {'ok', 'review', 'incomplete'}
        ``ok``: every required landmark found with confidence at least the review
        threshold; ``review``: all found, some below it; ``incomplete``: some not found.
    confidence : float
        The smallest confidence of the required landmarks found (0 if none).
    found, required : int
        Landmarks placed, and landmarks the view requires for this knee (LAT: the
        femoral component's only on a replaced knee).
    reason : str
        Why the leg is not ``ok`` (``""`` when it is).
    """

    side: Side
    view: View
    status: str
    confidence: float
    found: int
    required: int
    reason: str = ""

    @property
    def review(self) -> bool:
        """True unless the status is ``ok``: a person should check this leg."""
        return self.status != "ok"


@dataclass(frozen=True)
class DetectionResult:
    """Landmarks found on one radiograph, how sure, and what was not found.

    Attributes
    ----------
    landmarks : pandas.DataFrame
        Columns :data:`DETECTION_COLUMNS`, one row per landmark placed; coordinates in
        pixels (spec convention) of the film as given; ``row_spacing_mm`` and
        ``col_spacing_mm`` the film's spacing (NaN if it has none); ``magnification``
        the calibration sphere's when the film's spacing is at the detector and a
        sphere was found (lengths are divided by it), else NaN. Ready for
        :func:`alignment.measure_landmarks` and :func:`alignment.write_landmarks`.
    legs : tuple of LegStatus
        One per leg or knee found.
    missing : tuple of Missing
        Every landmark of a found leg that was not placed, and every leg asked for and
        not found, with the reason.
    view : {'AP', 'LAT'} or None
        The view used; None if neither could be told.
    view_source : {'option', 'dicom', 'inferred', 'none'}
    side_source : {'option', 'dicom', 'marker', 'anatomy', 'unknown', 'none'}
        Where the sides came from: the `side` option, DICOM laterality and
        orientation, a lead marker, the anatomy (the other leg, the femoral neck) read
        in the radiological display convention, or nothing (``unknown``: the
        convention alone; every leg then goes to review).
    spacing_mm : (float, float) or None
        The film's spacing; None if it has none (detection then assumed one, see
        `notes`).
    sphere_magnification : float or None
        Magnification measured on the calibration sphere (None if none was found).
    notes : tuple of str
        Everything else worth knowing (assumptions made, film-level failures).
    seconds : float
        Time spent detecting, s.
    film_view : {'AP long-leg', 'AP knee', 'LAT knee', 'other', ''}
        The kind of film (see :func:`alignment.detect.infer.infer_film_view`); ``''``
        when the image was not read.
    view_confidence : float
        How sure the film view is (1 when given by the user or DICOM). An inferred view
        below :data:`alignment.detect.infer.VIEW_SURE` sends every leg to review.
    spacing_source : str
        Where the spacing of the landmark table came from: the I/O layer's
        :attr:`~alignment.io.Radiograph.spacing_source` when the film has one,
        ``ruler`` (a cm ruler on the film), ``sphere`` (the calibration sphere), or
        ``assumed`` (from the film's size; the table's spacing is then NaN).
    spacing_used_mm : (float, float) or None
        The spacing written in the landmark table (None when only assumed).
    """

    landmarks: pd.DataFrame = field(repr=False)
    legs: tuple[LegStatus, ...]
    missing: tuple[Missing, ...]
    view: View | None
    view_source: str
    side_source: str
    spacing_mm: tuple[float, float] | None
    sphere_magnification: float | None
    notes: tuple[str, ...]
    seconds: float
    film_view: str = ""
    view_confidence: float = 0.0
    spacing_source: str = "none"
    spacing_used_mm: tuple[float, float] | None = None

    @property
    def review(self) -> bool:
        """True if any leg needs review, or nothing was found."""
        return not self.legs or any(leg.review for leg in self.legs)

    def status_table(self) -> pd.DataFrame:
        """One row per leg: ``side, view, status, review, confidence, found, required,
        reason``."""
        rows = [
            (s.side, s.view, s.status, s.review, s.confidence, s.found, s.required, s.reason)
            for s in self.legs
        ]
        columns = ["side", "view", "status", "review", "confidence", "found", "required", "reason"]
        return pd.DataFrame(rows, columns=columns)
