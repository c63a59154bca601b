"""Automatic landmark detection: :func:`detect_landmarks`.

Coarse to fine. The film is resampled to square pixels of 1 mm (AP) or 0.5 mm (LAT)
(a film without a spacing at the scale it shows, :mod:`.film_scale`);
the diaphyses are found there as runs of cortical edge pairs (:mod:`.legs`); every
landmark is then placed at full resolution in a small window (:mod:`.shaft`,
:mod:`.hip` and :mod:`.femoral_head`, :mod:`.knee`, :mod:`.ankle`, :mod:`.lateral`).
Nothing is placed where nothing was seen: a landmark that is not found is listed with
the reason, and its leg is flagged for review.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import time
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import Work, row_means
from alignment.detect.ankle import (
    TIBIA_FEMUR_RATIO,
    AnkleFinding,
    ankle_below_tibia,
    ratio_rejection,
    tibia_to_femur,
)
from alignment.detect.calibration import SPHERE_DIAMETER_MM, Sphere, find_sphere
from alignment.detect.column import (
    COLUMN_CONFIDENCE,
    CONDYLES_ABOVE_MM,
    CONDYLES_TO_SHAFT,
    ColumnLeg,
    column_legs,
    condyles_wide,
    equalised,
    read_column_leg,
)
from alignment.detect.column import (
    LEG_SEPARATION_MM as COLUMN_SEPARATION_MM,
)
from alignment.detect.femoral_head import HEAD_ALONG_MM, find_head, medial_from_lean
from alignment.detect.film_scale import film_scale
from alignment.detect.framing import frame_film, square_pixels
from alignment.detect.infer import (
    LONG_LEG_ASPECT,
    FilmView,
    display_row_direction,
    field_aspect,
    infer_film_view,
    infer_knee_view,
    view_from_dicom,
)
from alignment.detect.knee import (
    DOUBTED_CONFIDENCE,
    KneeFinding,
    find_knee,
    joint_line_doubt,
    notch_apex,
    ruler_columns,
)
from alignment.detect.knee_film import detect_knee_film, fibula_side, find_joint
from alignment.detect.lateral import LAT_REQUIRED as _LAT_REQUIRED
from alignment.detect.lateral import detect_lateral, patella_beside_implant
from alignment.detect.legs import (
    LegGuess,
    Segment,
    film_seams,
    near_seam,
    pair_legs,
    shaft_candidates,
    shaft_segments,
)
from alignment.detect.marker import Marker, find_marker
from alignment.detect.result import (
    DETECTION_COLUMNS,
    REVIEW_THRESHOLD,
    DetectionResult,
    LegStatus,
    Missing,
)
from alignment.detect.shaft import ShaftAxis, refine_shaft
from alignment.geometry import line_angle_deg
from alignment.io import Radiograph
from alignment.vocabulary import AP_LANDMARKS, Side, View, normalise_side, normalise_view

__all__ = ["AP_REQUIRED", "LAT_REQUIRED", "detect_landmarks"]

logger = logging.getLogger(__name__)

F64 = NDArray[np.float64]

AP_REQUIRED: tuple[str, ...] = tuple(n for n in AP_LANDMARKS if n != "knee_center")
"""AP landmarks detection places for every leg (``knee_center`` is never placed)."""

LAT_REQUIRED = _LAT_REQUIRED
"""LAT landmarks placed on every knee; a replaced knee adds the femoral component's."""

SHAFT_FRACTIONS = {"femoral": (0.65, 0.30), "tibial": (0.30, 0.75)}
"""Where the AP shaft points go along each anatomical axis, as shares of the bone's
mechanical length measured from the knee: ``(proximal, distal)``."""

SHAFT_ENDS = {
    "femoral": ("femoral_knee_center", "femoral_head_center"),
    "tibial": ("tibial_knee_center", "ankle_center"),
}
"""The landmarks that set the level of each bone's AP shaft points: ``(knee, far end)``."""

JOINT_INTO_TIBIA_MM = 60.0
"""How far below the top of the tibial run the knee's joint line is still looked for
(:func:`_joint_level`): a run may begin a little above the joint, where the
metaphyses' texture happens to line up with the diaphysis."""

SHAFT_EXTENT_CONFIDENCE = 0.45
"""Factor on the axis' confidence of shaft points placed near the ends of the diaphysis
read (no femoral head or ankle to set their level): their line is seen, their level
along it is a guess, so they stay below the review threshold."""

_MIN_SIZE = 64

SURE_SIDE_SOURCES = frozenset({"option", "dicom", "marker", "anatomy"})
"""Where a leg's side may come from for the leg to be ``ok``: the user, DICOM, a lead
marker, or the anatomy of the film (a femoral neck, the other leg)."""

KNEE_SIDE_GUESS: Side = "right"
"""The side given to an AP knee that nothing tells the side of (no DICOM laterality,
no `side=`, no lead marker, no fibula on the film: a tight crop): a guess, recorded
as ``unknown`` so that the knee goes to review, where a reader can tell the side."""

MIN_AXIS_MM: dict[tuple[str, str], float] = {
    ("femoral_shaft_proximal", "femoral_shaft_distal"): 30.0,
    ("tibial_shaft_proximal", "tibial_shaft_distal"): 30.0,
    ("distal_femur_medial", "distal_femur_lateral"): 10.0,
    ("tibial_plateau_medial", "tibial_plateau_lateral"): 10.0,
    ("femoral_component_anterior", "femoral_component_posterior"): 10.0,
    ("tibial_plateau_anterior", "tibial_plateau_posterior"): 10.0,
}
"""Shortest distance (mm on the film) between the two points of an axis or line for
them to be emitted: a shorter pair (or two equal points) gives no direction worth
measuring, so neither point is placed and both are listed missing."""

AXIS_PARTNERS = {name: other for a, b in MIN_AXIS_MM for name, other in ((a, b), (b, a))}
"""Each point of an axis or line, and the other point it is drawn with."""


def _drop_off_film(points: dict[str, F64], reasons: dict[str, str], work: Work) -> None:
    """Leave out the points (mm) that lie off the film read by `work` (a shaft's end
    carried past the film's side along a steep, wrong axis), each with the other point
    of its axis or line (:data:`AXIS_PARTNERS`), with the reason.

    >>> work = Work.of(np.zeros((100, 50), np.uint8), (1.0, 1.0), coarse_mm=1.0)
    >>> points = {"femoral_shaft_proximal": np.array([-20.0, 5.0]),
    ...           "femoral_shaft_distal": np.array([25.0, 90.0]),
    ...           "ankle_center": np.array([25.0, 99.5])}
    >>> reasons = {}
    >>> _drop_off_film(points, reasons, work)
    >>> sorted(points), reasons["femoral_shaft_distal"]
    (['ankle_center'], 'femoral_shaft_proximal was placed off the film, at (-20, 5) px')
    """
    rows, columns = work.pixels.shape[:2]
    for name in list(points):
        if name not in points:
            continue  # left out with its partner
        x, y = work.px(points[name])[0]
        if 0.0 <= x <= columns and 0.0 <= y <= rows:
            continue
        why = f"{name} was placed off the film, at ({x:.0f}, {y:.0f}) px"
        for gone in (name, AXIS_PARTNERS.get(name)):
            if gone is not None and gone in points:
                del points[gone]
                reasons[gone] = why


LAT_COARSE_MM = 0.5
"""Pixel size of the coarse copy on which lateral knee films are read, mm."""

MARKER_VIEWS = frozenset({"AP knee", "LAT knee"})
"""Films on which the R/L lead marker is read (when neither DICOM nor the user gives the
side): a knee film shows one knee, and the marker its side. On a long-leg film the
legs' sides come from the anatomy."""

INFO_NOTES = (
    "side from the lead marker",
    "calibration sphere",
    "a round blob",
    "pixel spacing",
    "the film has no pixel spacing",
    "sides from the radiological display convention",
    "the view (",
    "the side was told by no",
    "lateral film: anterior told from the patella",
    "read as a knee film",
    "the metal looks mirror-symmetric (AP) but a patella",
)
"""Beginnings of notes that inform (an assumption, a calibration, a doubt) and never
say why nothing was found."""


def detect_landmarks(
    radiograph: Radiograph,
    *,
    view: str | None = None,
    sides: Sequence[str] | None = None,
    image: str | None = None,
    case: str = "",
    reader: str = "detect",
    review_threshold: float = REVIEW_THRESHOLD,
    sphere: bool = True,
    side: str | None = None,
) -> DetectionResult:
    """Find the landmarks of the measurement spec on a long-leg AP or lateral knee film.

    Never raises for what the film shows: a blank, noisy or foreign image, or a film
    cut short, gives a result that lists what was not found and why.

    Parameters
    ----------
    radiograph : Radiograph
        Read with pixels (:func:`alignment.io.read_radiograph`); bone bright.
    view : {'AP', 'LAT'}, optional
        Force the view; default: the DICOM View Position, else inferred from the film.
    sides : sequence of {'left', 'right'}, optional
        Keep only these legs; a side asked for and not found is listed in
        :attr:`DetectionResult.missing`.
    image : str, optional
        Value of the ``image`` column; default ``radiograph.path``.
    case : str, optional
        Value of the ``case`` column; default the image's stem.
    reader : str, optional
        Value of the ``reader`` column.
    review_threshold : float, optional
        A leg with any landmark below this confidence is flagged ``review``.
    sphere : bool, optional
        Look for a calibration sphere (its magnification fills ``magnification`` when
        the film's spacing is at the detector; on a film without spacing and without a
        ruler it gives the spacing).
    side : {'left', 'right'}, optional
        The side the user knows the film shows: a single leg or knee is that side
        (``side_source='option'``); of a bilateral film only that leg is kept.

    Returns
    -------
    DetectionResult

    Raises
    ------
    TypeError
        If `radiograph` is not a :class:`~alignment.io.Radiograph`.
    ValueError
        If it was read without pixels, or `view`, `sides` or `review_threshold` is
        invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from alignment.io import Radiograph, ImageGeometry
    >>> blank = Radiograph("blank.png", "PNG", 300, 100, np.zeros((300, 100), np.uint16),
    ...     (1.0, 1.0), "option", None, None, None, "", "MONOCHROME2", None, 0, 1, 16, None,
    ...     ImageGeometry.planar(), {})
    >>> result = detect_landmarks(blank)
    >>> len(result.landmarks), result.review
    (0, True)
    >>> result.notes[0]
    'the image is blank (no contrast)'
    """
    started = time.perf_counter()
    if not isinstance(radiograph, Radiograph):
        raise TypeError(
            f"radiograph must be an alignment.io.Radiograph, got {type(radiograph).__name__}"
        )
    if radiograph.pixels is None:
        raise ValueError(f"{radiograph.path}: read with pixels=False; detection needs the pixels")
    if not (isinstance(review_threshold, int | float) and 0.0 <= review_threshold <= 1.0):
        raise ValueError(f"review_threshold must be a number in [0, 1], got {review_threshold!r}")
    forced_view: View | None = normalise_view(view) if view is not None else None
    wanted: tuple[Side, ...] | None = (
        tuple(normalise_side(s) for s in sides) if sides is not None else None
    )
    known_side: Side | None = normalise_side(side) if side is not None else None
    if known_side is not None:
        # the user's side is read as the film's laterality; a bilateral film keeps it only
        letter = "L" if known_side == "left" else "R"
        radiograph = dataclasses.replace(radiograph, laterality=letter)
        wanted = wanted if wanted is not None else (known_side,)
    key = image if image is not None else radiograph.path
    case = case or PurePath(key).stem
    pixels = np.asarray(radiograph.pixels)
    if pixels.ndim != 2 or min(pixels.shape) < _MIN_SIZE:
        ctx = _Context(radiograph, key, case, reader, review_threshold)
        ctx.notes.append(
            f"the image is {pixels.shape}; expected a 2-D film of at least {_MIN_SIZE} "
            "pixels a side"
        )
        return ctx.finish(None, "none", "none", started, wanted)
    read = functools.partial(
        _detect_framed,
        key=key,
        case=case,
        reader=reader,
        review_threshold=review_threshold,
        forced_view=forced_view,
        wanted=wanted,
        known_side=known_side,
        sphere=sphere,
        started=started,
    )
    spacing = radiograph.spacing_mm
    framing = frame_film(pixels, turn=spacing is None or square_pixels(spacing), least=_MIN_SIZE)
    if not framing.notes:
        return read(radiograph)
    window = framing.pixels
    result = read(
        dataclasses.replace(
            radiograph, pixels=window, rows=window.shape[0], columns=window.shape[1]
        )
    )
    table = result.landmarks.copy()
    if len(table):
        table[["x", "y"]] = framing.to_film(table[["x", "y"]].to_numpy(float))
    return dataclasses.replace(result, landmarks=table, notes=(*framing.notes, *result.notes))


def _detect_framed(
    radiograph: Radiograph,
    *,
    key: str,
    case: str,
    reader: str,
    review_threshold: float,
    forced_view: View | None,
    wanted: tuple[Side, ...] | None,
    known_side: Side | None,
    sphere: bool,
    started: float,
) -> DetectionResult:
    """:func:`detect_landmarks` on the window of the film that it reads
    (:func:`.framing.frame_film`), its arguments checked."""
    ctx = _Context(radiograph, key, case, reader, review_threshold)
    pixels = np.asarray(radiograph.pixels)
    film_view = _film_view(pixels, forced_view, radiograph.view)
    result = _read_film(ctx, pixels, film_view, known_side, wanted, sphere=sphere, started=started)
    # what the long-leg reader placed on any leg, the sides not asked for included: a
    # leg left out by `sides` is no sign of a knee film
    found = ctx.placed
    if ctx.film_view is None or ctx.film_view.kind != "AP long-leg" or (found and film_view.sure):
        return result
    # a film whose field's shape said long-leg, on which no long bone was found, or
    # whose shape was not sure: a knee film whose thin limb leaves a tall, narrow
    # field once the air beside it falls away is read as one too, and the reading
    # that places more landmarks is kept
    knee_view = _knee_film_view(film_view, pixels)
    why = "more landmarks were placed so" if found else "no long bone was found on it"
    note = (
        f"read as a knee film: the field's shape suggested a long-leg film "
        f"({film_view.evidence}), but {why}"
    )

    def as_knee_film(sides: tuple[Side, ...] | None) -> DetectionResult:
        again = _Context(radiograph, key, case, reader, review_threshold)
        again.notes.append(note)
        return _read_film(
            again, pixels, knee_view, known_side, sides, sphere=sphere, started=started
        )

    # both readings counted on legs of any side, so that `sides` cannot pick the view
    second = as_knee_film(None)
    if len(second.landmarks) <= found:
        return result
    return second if wanted is None else as_knee_film(wanted)


def _knee_film_view(film_view: FilmView, pixels: NDArray[Any]) -> FilmView:
    """`film_view`, a long-leg film by its field's shape, read as a knee film: AP or
    lateral from its content (:func:`.infer.infer_knee_view`) where the view was
    inferred, AP where DICOM or the user gave it."""
    if film_view.source == "inferred":
        return infer_knee_view(pixels)
    return dataclasses.replace(film_view, kind="AP knee")


def _read_film(
    ctx: _Context,
    pixels: NDArray[Any],
    film_view: FilmView,
    known_side: Side | None,
    wanted: tuple[Side, ...] | None,
    *,
    sphere: bool,
    started: float,
) -> DetectionResult:
    """Detect the landmarks of one film read as `film_view` (see
    :func:`detect_landmarks`), recording them in `ctx`."""
    radiograph = ctx.radiograph
    spacing = radiograph.spacing_mm
    if spacing is None:
        spacing = ctx.spacing_from_film(pixels, film_view.kind)
    height_mm = pixels.shape[0] * spacing[0]
    if film_view.kind == "AP long-leg" and height_mm < KNEE_FILM_MM:
        # the spacing the film carries (DICOM) makes it a knee film: a ruler's or the
        # femoral shafts' is looked for within the long-leg prior, never this short
        ctx.notes.append(
            f"read as a knee film: the field's shape suggested a long-leg film "
            f"({film_view.evidence}), but the film is {height_mm:.0f} mm tall"
        )
        film_view = _knee_film_view(film_view, pixels)
    ctx.film_view = film_view
    view_used: View | None = film_view.view
    view_source = film_view.source
    work = Work.of(pixels, spacing, coarse_mm=1.0)
    spread = float(np.percentile(work.coarse, 95) - np.percentile(work.coarse, 5))
    if spread < 0.05 or work.high - work.low <= 0:
        ctx.notes.append("the image is blank (no contrast)")
        return ctx.finish(view_used, view_source, "none", started, wanted)
    if film_view.kind == "AP knee" and film_view.source == "inferred" and film_view.metal:
        film_view = _knee_view(film_view, pixels, spacing)
        ctx.film_view, view_used = film_view, film_view.view
        if film_view.kind == "LAT knee":
            ctx.notes.append(
                "the metal looks mirror-symmetric (AP) but a patella stands beside the "
                "femoral component: read as a lateral film"
            )
    if view_used is None:
        ctx.notes.append(
            f"the film is neither a long-leg AP nor a knee film ({film_view.evidence}); "
            "no landmark is placed on it"
        )
        return ctx.finish(None, view_source, "none", started, wanted)
    if not film_view.sure:
        ctx.doubts.append(
            f"the view ({film_view.kind}) was inferred from the film, confidence "
            f"{film_view.confidence:.2f}"
        )
    found_sphere: Sphere | None = None
    if sphere:
        try:
            found_sphere = find_sphere(work)
        except (ValueError, IndexError, np.linalg.LinAlgError):  # pragma: no cover
            found_sphere = None
    if ctx.set_sphere(found_sphere, work) and ctx.spacing is not None:
        spacing = ctx.spacing
        work = Work.of(pixels, spacing, coarse_mm=1.0)
    marker = None
    if known_side is None and film_view.kind in MARKER_VIEWS:
        if (radiograph.laterality or "").upper() not in ("L", "R"):
            marker = find_marker(pixels, spacing_mm=spacing[0])
        ctx.marker = marker
        if marker is not None:
            # the lead marker is read as the film's laterality
            ctx.radiograph = dataclasses.replace(radiograph, laterality=marker.letter)
            ctx.notes.append(
                f"side from the lead marker '{marker.letter}' at ({marker.centre[0]:.0f}, "
                f"{marker.centre[1]:.0f}) px"
            )
    if view_used == "AP":
        side_source = _detect_ap(ctx, work, wanted)
    else:
        lat_work = Work.of(pixels, spacing, coarse_mm=LAT_COARSE_MM)
        side_source = detect_lateral(ctx, lat_work, wanted)
    side_source = _side_source(side_source, view_used, known_side is not None)
    if marker is not None and side_source == "dicom":
        side_source = "marker"
    if ctx.legs and side_source not in SURE_SIDE_SOURCES:
        ctx.doubts.append(
            "the side was told by no DICOM tag, marker or anatomy: it is a guess "
            "(give it with side=)"
        )
    return ctx.finish(view_used, view_source, side_source, started, wanted)


def _film_view(pixels: NDArray[Any], forced: View | None, dicom_code: str | None) -> FilmView:
    """The kind of film: from the user's view or DICOM View Position (the long-leg or
    knee distinction from the film's content), else inferred from the content."""
    given, source = (forced, "option") if forced else view_from_dicom(dicom_code)
    if given is None:
        return infer_film_view(pixels)
    if given == "LAT":
        return FilmView("LAT knee", 1.0, source)
    aspect = field_aspect(pixels)
    kind = "AP long-leg" if aspect >= LONG_LEG_ASPECT else "AP knee"
    return FilmView(kind, 1.0, source, f"field {aspect:.2f} times as tall as wide")


def _side_source(found: str, view: View, option: bool) -> str:
    """Where the sides came from, in the result's words: a side told by the anatomy
    (and the display convention) is ``anatomy`` on an AP film; on a lateral film the
    convention alone decided, ``unknown``."""
    if option and found == "dicom":
        return "option"
    if found == "inferred":
        return "anatomy" if view == "AP" else "unknown"
    return found


class _Context:
    """Collects landmarks, statuses and notes while one film is processed."""

    def __init__(
        self, radiograph: Radiograph, key: str, case: str, reader: str, threshold: float
    ) -> None:
        self.radiograph = radiograph
        self.key = key
        self.case = case
        self.reader = reader
        self.threshold = threshold
        self.rows: list[tuple[Any, ...]] = []
        self.legs: list[LegStatus] = []
        self.missing: list[Missing] = []
        self.notes: list[str] = []
        self.magnification = math.nan
        self.sphere_magnification: float | None = None
        self.doubts: list[str] = []
        self.film_view: FilmView | None = None
        self.marker: Marker | None = None
        self.placed = 0  # landmarks a long-leg AP reading placed, on legs of any side
        self.spacing: tuple[float, float] | None = radiograph.spacing_mm
        self.spacing_source = radiograph.spacing_source if radiograph.spacing_mm else "none"

    def spacing_from_film(self, pixels: NDArray[Any], kind: str) -> tuple[float, float]:
        """The spacing to work with on a film without one, the scale it shows
        (:func:`.film_scale.film_scale`): a ruler's (recorded as ``ruler``), else one
        assumed (``assumed``; lengths are then not measured), on a long-leg AP film
        from the width of its femoral shafts, else from the film's size."""
        scale = film_scale(pixels, kind)
        s = scale.spacing_mm
        if scale.source == "ruler":
            self.spacing, self.spacing_source = (s, s), "ruler"
            self.notes.append(f"pixel spacing {s:.4g} mm from {scale.describe()}")
            return self.spacing
        self.spacing_source = "assumed"
        self.notes.append(
            f"the film has no pixel spacing and shows no ruler; detection assumed "
            f"{s:.3g} mm from {scale.describe()} (lengths will be missing)"
        )
        return (s, s)

    def set_sphere(self, sphere: Sphere | None, work: Work) -> bool:
        """Record the calibration sphere; True if it gave the film's spacing (a film
        without one, nor a ruler: the spacing becomes the sphere's diameter over its
        size on the film, ``sphere``)."""
        r = self.radiograph
        if sphere is None or sphere.confidence < 0.3:
            return False
        if self.spacing_source == "assumed":
            factor = SPHERE_DIAMETER_MM / (2.0 * sphere.radius_mm)
            if not 0.5 <= factor <= 2.0:
                self.notes.append(
                    f"a round blob was found but would change the assumed spacing "
                    f"{factor:.2f}-fold; ignored"
                )
                return False
            s = work.spacing_mm[0] * factor
            self.spacing, self.spacing_source = (s, s), "sphere"
            self.notes.append(
                f"pixel spacing {s:.4g} mm from the calibration sphere "
                f"({SPHERE_DIAMETER_MM:g} mm), at the sphere's plane"
            )
            return True
        detector_factor = r.magnification if r.magnification else 1.0
        magnification = 2.0 * sphere.radius_mm * detector_factor / SPHERE_DIAMETER_MM
        if not 0.95 <= magnification <= 1.6:
            self.notes.append(
                f"a round blob was found but would mean a magnification of "
                f"{magnification:.3f}; ignored"
            )
            return False
        self.sphere_magnification = magnification
        base = r.spacing_source.split("/")[0]
        corrected = "/" in r.spacing_source or base.startswith("pixel_spacing_c")
        if r.spacing_mm is not None and not corrected:
            self.magnification = magnification
            self.notes.append(
                f"calibration sphere: magnification {magnification:.4f}, lengths are divided by it"
            )
        else:
            self.notes.append(
                f"calibration sphere: magnification {magnification:.4f} (the film's spacing is "
                "already corrected; not applied again)"
            )
        return False

    def add_leg(
        self,
        side: Side,
        view: View,
        points: dict[str, F64],
        confidence: dict[str, float],
        method: dict[str, str],
        reasons: dict[str, str],
        required: Sequence[str],
        work: Work,
    ) -> None:
        """Record one leg: points in mm on the film, converted to pixels here."""
        r = self.radiograph
        row_mm, col_mm = self.spacing or (math.nan, math.nan)
        points = dict(points)
        reasons = dict(reasons)
        for (a, b), shortest in MIN_AXIS_MM.items():
            if a in points and b in points:
                length = float(np.linalg.norm(points[a] - points[b]))
                if length < shortest:
                    del points[a], points[b]
                    why = f"the {a} to {b} line read is {length:.1f} mm long (< {shortest:g} mm)"
                    reasons[a] = reasons[b] = why
        _drop_off_film(points, reasons, work)
        placed = [n for n in required if n in points]
        lows = [n for n in placed if confidence.get(n, 0.0) < self.threshold]
        not_found = [n for n in required if n not in points]
        if not_found:
            status = "incomplete"
        elif lows:
            status = "review"
        else:
            status = "ok"
        reason_parts = []
        if not_found:
            reason_parts.append("not found: " + ", ".join(not_found))
        if lows:
            reason_parts.append(f"confidence below {self.threshold:g}: " + ", ".join(lows))
        conf_min = min((confidence.get(n, 0.0) for n in placed), default=0.0)
        leg = LegStatus(
            side,
            view,
            status,
            float(conf_min),
            len(placed),
            len(required),
            "; ".join(reason_parts),
        )
        self.legs.append(leg)
        for name in not_found:
            self.missing.append(Missing(side, view, name, reasons.get(name, "not found")))
        for name in required:
            if name not in points:
                continue
            x, y = work.px(points[name])[0]
            self.rows.append(
                (
                    self.key,
                    side,
                    view,
                    name,
                    float(x),
                    float(y),
                    self.case,
                    self.reader,
                    row_mm,
                    col_mm,
                    self.magnification,
                    r.patient_orientation or "",
                    float(np.clip(confidence.get(name, 0.0), 0.0, 1.0)),
                    method.get(name, ""),
                    leg.review,
                )
            )

    def finish(
        self,
        view: View | None,
        view_source: str,
        side_source: str,
        started: float,
        wanted: tuple[Side, ...] | None,
    ) -> DetectionResult:
        if wanted is not None:
            found = {leg.side for leg in self.legs}
            for side in wanted:
                if side not in found:
                    self.missing.append(
                        Missing(side, view or "", "*", "the leg was not found on the film")
                    )
        if not self.legs and not any(m.landmark == "*" for m in self.missing):
            self.missing.append(Missing("", view or "", "*", _why_nothing(self.notes)))
        if self.doubts:
            # view or side not sure: no leg is ok, every point goes to review
            doubt = "; ".join(self.doubts)
            self.legs = [
                dataclasses.replace(
                    leg,
                    status="review" if leg.status == "ok" else leg.status,
                    reason="; ".join(p for p in (leg.reason, doubt) if p),
                )
                for leg in self.legs
            ]
            self.rows = [(*row[:-1], True) for row in self.rows]
            self.notes.extend(self.doubts)
        table = pd.DataFrame(self.rows, columns=list(DETECTION_COLUMNS))
        table["review"] = table["review"].astype(bool)
        for column in (
            "x",
            "y",
            "row_spacing_mm",
            "col_spacing_mm",
            "magnification",
            "confidence",
        ):
            table[column] = table[column].astype(float)
        for note in self.notes:
            logger.info("%s: %s", self.key, note)
        return DetectionResult(
            landmarks=table,
            legs=tuple(self.legs),
            missing=tuple(self.missing),
            view=view,
            view_source=view_source,
            side_source=side_source,
            spacing_mm=self.radiograph.spacing_mm,
            sphere_magnification=self.sphere_magnification,
            notes=tuple(self.notes),
            seconds=time.perf_counter() - started,
            film_view=self.film_view.kind if self.film_view else "",
            view_confidence=self.film_view.confidence if self.film_view else 0.0,
            spacing_source=self.spacing_source,
            spacing_used_mm=self.spacing,
        )


def _why_nothing(notes: Sequence[str]) -> str:
    """The note that says why no leg was found (not one of :data:`INFO_NOTES`: the
    calibration sphere's, an assumed spacing).

    >>> _why_nothing(["the film has no pixel spacing and shows no ruler; assumed 1 mm",
    ...               "calibration sphere: magnification 1.05", "lateral film: no shafts"])
    'lateral film: no shafts'
    """
    reasons = [n for n in notes if not n.startswith(INFO_NOTES)]
    return reasons[0] if reasons else "no leg found"


AXIS_AGREEMENT = (4.0, 0.4)
"""Largest angle (degrees) and offset at mid-run (share of the bone's width) between
a diaphysis read at full resolution and its coarse run. Beyond either, the fine read
has locked onto another edge (a soft-tissue outline, the fibula, a grid line) and the
coarse run's line stands instead, with a confidence below the review threshold."""


def _agrees(axis: ShaftAxis, direction: F64, x_mid: float, mid: float, width_mm: float) -> bool:
    """Whether `axis`, read at full resolution, lies along the line of `direction`
    through ``(x_mid, mid)`` (mm) within :data:`AXIS_AGREEMENT` for a bone `width_mm`
    wide."""
    angle = float(line_angle_deg(axis.direction, direction))
    offset = abs(float(axis.at_y(mid)[0]) - x_mid)
    return angle <= AXIS_AGREEMENT[0] and offset <= AXIS_AGREEMENT[1] * width_mm


def _refine(work: Work, seg: Segment) -> ShaftAxis | None:
    margin = 0.05 * seg.length_mm
    fine = refine_shaft(
        work,
        seg.centre,
        seg.direction,
        top=seg.top + margin,
        bottom=seg.bottom - margin,
        width_mm=seg.width_mm,
    )
    mid = 0.5 * (seg.top + seg.bottom)
    if fine is not None and _agrees(fine, seg.direction, seg.x_at(mid), mid, seg.width_mm):
        return fine
    direction = seg.direction if seg.direction[1] > 0 else -seg.direction
    # levels=1 of tried=3 keeps ShaftAxis.confidence() at most 1/3: below review
    return ShaftAxis(seg.centre, direction, 0.0, 1, 3, seg.width_mm, 0.0, seg.top, seg.bottom)


@dataclasses.dataclass(frozen=True)
class _FilmMaps:
    """What every leg's readers of one AP long-leg film use, each worked out once for
    the film, when first needed: the heights of its seams (:func:`.legs.film_seams`),
    its coarse copy with film-wide lines removed and contrast equalised
    (:func:`~alignment.detect.column.equalised`) and its bone columns
    (:func:`~alignment.detect.column.column_legs`)."""

    work: Work

    @functools.cached_property
    def seams(self) -> F64:
        """:func:`.legs.film_seams` of the coarse film (mm)."""
        return film_seams(self.work.coarse, self.work.coarse_mm)

    @functools.cached_property
    def flat(self) -> NDArray[np.float32]:
        """:func:`~alignment.detect.column.equalised` of the coarse film."""
        return equalised(self.work.coarse, self.work.coarse_mm)

    @functools.cached_property
    def columns(self) -> list[LegGuess]:
        """:func:`~alignment.detect.column.column_legs` of the coarse film."""
        return column_legs(self.work.coarse, self.work.coarse_mm)


def _joint_level(
    work: Work, fa: ShaftAxis, ta: ShaftAxis, seams: F64
) -> tuple[float, float] | None:
    """Rough ``(x, y)`` (mm) of the knee joint line between the two shafts: the
    darkest level, away from the film's `seams` (mm, :func:`.legs.film_seams`), of a band
    along the axes, from the bottom of the femoral axis read
    to :data:`JOINT_INTO_TIBIA_MM` below the top of the tibial one (at most halfway
    down it)."""
    y0 = fa.bottom
    y1 = ta.top + min(JOINT_INTO_TIBIA_MM, 0.5 * (ta.bottom - ta.top))
    if y1 - y0 < 30.0:
        return None
    ys = np.arange(y0, y1, 1.0)
    half = (y0 + y1) / 2
    xs = np.array([fa.at_y(y)[0] if y < half else ta.at_y(y)[0] for y in ys])
    offsets = np.arange(-20.0, 20.1, 2.0)
    grid = np.stack(
        [xs[:, None] + offsets[None, :], np.broadcast_to(ys[:, None], (len(ys), len(offsets)))], -1
    )
    values = work.sample(grid)
    if np.isnan(values).all():
        return None
    profile = row_means(values)
    profile = ndimage.gaussian_filter1d(np.nan_to_num(profile, nan=float(np.nanmax(profile))), 1.5)
    # a joint space is a dark band between bright bone above and below: the deepest
    # valley against the brighter of the two sides' minima, 4 to 14 mm away
    n = len(profile)
    depth = np.full(n, -np.inf)
    for k in range(n):
        above = profile[max(0, k - 14) : max(0, k - 3)]
        below = profile[min(n, k + 4) : min(n, k + 15)]
        if above.size < 5 or below.size < 5:
            continue
        depth[k] = min(float(above.max()), float(below.max())) - profile[k]
    # a cassette seam or a grid line is a dark valley too, across the whole film
    depth[near_seam(ys, seams)] = -np.inf
    k = int(np.argmax(depth))
    if not np.isfinite(depth[k]) or depth[k] <= 0:
        return None
    return float(xs[k]), float(ys[k])


SPINES_BELOW_NOTCH_MM = 25.0
"""Farthest (mm) a bone column's tibial knee centre may lie below a femoral knee
centre read at full resolution for both to be of one knee: the notch's apex stands
5-15 mm above the joint's gap, and two readings of one gap differ by up to
:data:`KNEE_LEVELS_APART_MM`."""

KNEE_LEVELS_APART_MM = 10.0
"""Two rough levels of the knee (the dark band between the shafts,
:func:`_joint_level`, and the bone column's knee) closer than this (mm) read the same
knee: :func:`.knee.find_knee` looks for the joint gap within 14 mm of the level it is
given, so from a level this close it searches mostly the same band and finds the same
gap, a few mm tall. Farther apart, the column's knee is tried as well."""


def _fine_knee(
    work: Work, film: _FilmMaps, fa: ShaftAxis, ta: ShaftAxis | None, column: ColumnLeg | None
) -> KneeFinding | None:
    """The knee read at full resolution (:func:`.knee.find_knee`): at the joint level
    between the shafts (:func:`_joint_level`; not without `ta`), else at the bone
    column's knee (when more than :data:`KNEE_LEVELS_APART_MM` from the first). A knee
    whose condyles are not as wide as a distal femur over this femoral shaft
    (:func:`~alignment.detect.column.condyles_wide`) is the shaft read too high (the
    femoral and tibial runs split above the joint): the next level is tried, and if
    none holds, the last finding is returned, without points where it was refused,
    with the refusal's reason among its notes. None when there is no level to read.
    `film` holds the film's seams and its equalised copy, worked out once for every
    leg."""
    levels = []
    joint = _joint_level(work, fa, ta, film.seams) if ta is not None else None
    if joint is not None:
        levels.append(joint)
    if column is not None and "femoral_knee_center" in column.points:
        x, y = (float(v) for v in column.points["femoral_knee_center"])
        if joint is None or abs(y - joint[1]) > KNEE_LEVELS_APART_MM:
            levels.append((x, y))
    knee = None
    refusal: list[str] = []
    masked = ruler_columns(work) if levels else None
    for x, y in levels:
        knee = find_knee(work, None, None, y, x, masked=masked)
        contacts = (knee.points.get("distal_femur_a"), knee.points.get("distal_femur_b"))
        if contacts[0] is None or contacts[1] is None:
            # why a level before was refused stays with what this one gave
            knee = dataclasses.replace(knee, notes=[*refusal, *knee.notes])
            continue
        level = 0.5 * float(contacts[0][1] + contacts[1][1]) - CONDYLES_ABOVE_MM
        if condyles_wide(film.flat, work.coarse_mm, level, float(fa.at_y(level)[0]), fa.width_mm):
            return knee
        refusal = [
            "knee: the bone above the condyles found is narrower than "
            f"{CONDYLES_TO_SHAFT:g} times the femoral shaft: the shaft, not the knee"
        ]
        knee = KneeFinding(notes=refusal)
    return knee


KNEE_FILM_MM = 600.0
"""A film shorter than this (mm) is a knee film whatever its field's shape: a standing
long-leg film is over a metre tall. Its DICOM spacing makes it one before it is read
(AP or lateral by its content, :func:`.infer.infer_knee_view`); a spacing found on it
since (the calibration sphere's) sends an AP film to the AP knee reader
(:mod:`.knee_film`)."""


def _knee_view(
    film_view: FilmView, pixels: NDArray[Any], spacing: tuple[float, float]
) -> FilmView:
    """A knee film inferred AP from its metal's mirror symmetry is read as lateral when
    a patella stands beside the femoral component on one side (a film inferred AP from
    its bone bands, no metal seen, is not asked: a black border of 6 px made the
    implant reader find a component and a "patella" in a native knee's bone)
    (:func:`.lateral.patella_beside_implant`; on an AP film the patella lies over the
    femur): a component seen from the side can look symmetric (a bicruciate one, a
    standing film). The two cues disagree, so the view stays unsure (the legs go to
    review)."""
    anterior = patella_beside_implant(Work.of(pixels, spacing, coarse_mm=LAT_COARSE_MM))
    if anterior is None:
        return film_view
    evidence = film_view.evidence + "; a patella beside the femoral component"
    return dataclasses.replace(film_view, kind="LAT knee", evidence=evidence)


def _detect_ap(ctx: _Context, work: Work, wanted: tuple[Side, ...] | None) -> str:
    """Find the legs of an AP film and record them in `ctx`; return the side source."""
    knee_kind = ctx.film_view is not None and ctx.film_view.kind == "AP knee"
    if knee_kind or work.shape[0] * work.spacing_mm[0] < KNEE_FILM_MM:
        # a film's own spacing made it a knee film before it was read (AP or lateral,
        # :func:`_read_film`); one from the calibration sphere, found since, still may
        return _detect_ap_knee(ctx, work, wanted)
    coarse = work.coarse
    air = float(np.percentile(coarse, 3)) + 0.04
    candidates = shaft_candidates(coarse, work.coarse_mm, air_level=air)
    segments = shaft_segments(candidates)
    everything = pair_legs(segments)
    # the bone columns are read where the runs pair into fewer than two whole legs, and
    # beside two whole legs only for a leg whose knee the fine stage misses
    # (:func:`_read_leg`)
    film = _FilmMaps(work)
    on_columns = False
    if _complete(everything) < 2:
        # diaphysis runs that pair into fewer than two legs: the cortices may be faint
        # or broken (a real film's seams, grid and soft tissue); the bone columns are
        # taken instead when they show more whole legs, else kept beside the runs to
        # fill in what the fine stage misses (never when they lose a leg the runs
        # found: the columns' diaphysis stretches assume a film from hip to ankle)
        columns = film.columns
        on_columns = _complete(columns) > _complete(everything) and len(columns) >= len(everything)
        everything = columns if on_columns else [_with_column(g, columns) for g in everything]
    guesses = [g for g in everything if g.femur is not None]
    if not guesses:
        ctx.notes.append(
            "no femoral or tibial diaphysis found (no long straight bone with two cortices)"
        )
        return "none"
    # medial direction of each leg: toward the other leg, else toward the femoral head
    legs: list[tuple[LegGuess, float | None]] = []
    if len(everything) == 2:
        # two legs on the film (one may show only its tibia): medial is toward the other
        mid = (everything[0].x_mm + everything[1].x_mm) / 2
        legs = [(g, 1.0 if g.x_mm < mid else -1.0) for g in guesses]
    else:
        legs = [(guesses[0], None)]
    r = ctx.radiograph
    row_direction, orientation_source = display_row_direction(r.patient_orientation)
    results: list[tuple[Side | None, dict[str, Any]]] = []
    lat = (r.laterality or "").upper()
    if len(legs) == 1:
        legs = [(legs[0][0], _single_leg_medial(lat, row_direction))]
    read = [_read_leg(work, film, g, m, on_column=on_columns) for g, m in legs]
    heads = [_leg_head(work, leg) for leg in read]
    lower = _head_out_of_level(heads)
    if lower is not None:
        # the femoral heads of a standing pair lie at about the same height: the lower
        # one was looked for over a diaphysis traced short of its end, so it is looked
        # for again level with the other (only the head: the rest of the leg's
        # reading does not depend on it)
        index, level = lower
        heads[index] = _leg_head(work, read[index], level=level)
    founds = [
        _detect_ap_leg(work, film, leg, head, on_column=on_columns)
        for leg, head in zip(read, heads, strict=True)
    ]
    if _one_head(heads):
        # two legs under one femoral head are one leg and an edge beside it (a
        # thigh's skin line against the air of a single-leg crop, a ruler): the one
        # that gave more landmarks is read again alone, its medial side from its own
        # anatomy rather than toward the other
        keep = max(range(2), key=lambda i: len(founds[i]["points"]))
        ctx.notes.append(
            "two legs were read under one femoral head: read as one leg (the other was "
            "an edge beside it)"
        )
        one = _read_leg(
            work, film, legs[keep][0], _single_leg_medial(lat, row_direction), on_column=on_columns
        )
        founds = [_detect_ap_leg(work, film, one, _leg_head(work, one), on_column=on_columns)]
    for found in founds:
        medial_x = found["medial_x"]
        side: Side | None = None
        if medial_x is not None:
            # +x is the patient's left ('L') or right ('R'); a leg whose medial side
            # points to the patient's left is the right leg
            toward_left = (medial_x > 0) == (row_direction == "L")
            side = "right" if toward_left else "left"
        results.append((side, found))
    side_source = "dicom" if orientation_source == "dicom" else "inferred"
    if len(results) == 1 and results[0][0] is None:
        if lat in ("L", "R"):
            results = [("left" if lat == "L" else "right", results[0][1])]
            side_source = "dicom"
        else:
            ctx.notes.append(
                "the side of the only leg found could not be told "
                "(no femoral head, no DICOM laterality)"
            )
    if orientation_source != "dicom":
        ctx.notes.append(
            "sides from the radiological display convention (patient's right on the viewer's left)"
        )
    for side, found in results:
        if side is None:
            continue
        ctx.placed += len(found["points"])
        if wanted is not None and side not in wanted:
            continue
        ctx.add_leg(
            side,
            "AP",
            found["points"],
            found["confidence"],
            found["method"],
            found["reasons"],
            AP_REQUIRED,
            work,
        )
    return side_source


def _single_leg_medial(lat: str, row_direction: str) -> float | None:
    """The medial direction (``+1``: toward ``+x``) of the only leg on a film with DICOM
    laterality `lat` (``'L'`` or ``'R'``; else None: the leg's anatomy tells it):
    its medial side points to the patient's other side, which is +x when +x is
    toward that side (`row_direction`)."""
    if lat not in ("L", "R"):
        return None
    other = "R" if lat == "L" else "L"
    return 1.0 if row_direction == other else -1.0


HEADS_APART_MM = 50.0
"""Least distance (mm) between the centres of two femoral heads: one head's diameter
(about 45-55 mm, magnified); on a standing film they are 150-200 mm apart, with the
pelvis between them. Two legs whose heads are found closer are one leg."""


def _one_head(heads: Sequence[tuple[F64, float, str] | None]) -> bool:
    """Whether the two legs' femoral heads (as :func:`find_head` gives them) are
    one: their centres closer than :data:`HEADS_APART_MM`."""
    if len(heads) != 2 or heads[0] is None or heads[1] is None:
        return False
    return float(np.linalg.norm(heads[0][0] - heads[1][0])) < HEADS_APART_MM


HEAD_LEVEL_MM = 40.0
"""Largest height difference (mm) between the two femoral heads of a standing AP
long-leg film: a leg-length difference tilts the pelvis, rarely by more than 20-30 mm
at the hips (magnified), so heads found further apart than this are not both right."""


def _head_out_of_level(heads: Sequence[tuple[F64, float, str] | None]) -> tuple[int, float] | None:
    """The leg of a pair whose femoral head (`heads`, as :func:`find_head` gives
    them) lies more than :data:`HEAD_LEVEL_MM` below the other's: its index and the
    other head's height (mm), or None (one leg, a head missing, or the heads level).
    The diaphysis traced up may stop short of its end (a wrong run, a seam) and put a
    head too low; traced past the trochanters it stops at their flare, so the higher
    head is kept."""
    if len(heads) != 2 or heads[0] is None or heads[1] is None:
        return None
    ys = (float(heads[0][0][1]), float(heads[1][0][1]))
    if abs(ys[0] - ys[1]) <= HEAD_LEVEL_MM:
        return None
    lower = 0 if ys[0] > ys[1] else 1
    return lower, ys[1 - lower]


def _detect_ap_knee(ctx: _Context, work: Work, wanted: tuple[Side, ...] | None) -> str:
    """One knee on an AP knee film (:mod:`.knee_film`); the side from DICOM
    laterality, else from `wanted` when it names one side (the user knows it), else
    from the lead marker and the fibula (:func:`.knee_film.fibula_side`: the fibula is
    lateral), which must agree; where nothing tells it, :data:`KNEE_SIDE_GUESS`
    (``unknown``: the knee goes to review)."""
    r = ctx.radiograph
    row_direction, _ = display_row_direction(r.patient_orientation)
    lat = (r.laterality or "").upper()
    side: Side | None = None
    source = "none"
    if lat in ("L", "R") and ctx.marker is None:
        side, source = ("left" if lat == "L" else "right"), "dicom"
    elif wanted is not None and len(wanted) == 1:
        side, source = wanted[0], "option"
    else:
        side, source = _knee_side_from_film(ctx, work, row_direction)
    if side is None:
        side, source = KNEE_SIDE_GUESS, "unknown"
        ctx.notes.append(
            f"AP knee film: no DICOM laterality, marker or fibula tells the side; read as "
            f"a {side} knee, a guess"
        )
    found = detect_knee_film(work, _medial_x(side, row_direction))
    required = [n for n in AP_REQUIRED if n not in ("femoral_head_center", "ankle_center")]
    ctx.add_leg(
        side,
        "AP",
        found["points"],
        found["confidence"],
        found["method"],
        found["reasons"],
        required,
        work,
    )
    return source


def _knee_side_from_film(ctx: _Context, work: Work, row_direction: str) -> tuple[Side | None, str]:
    """The side of an AP knee from its lead marker and its fibula, and its source
    (``dicom`` for the marker, which the caller records as ``marker``; ``anatomy``;
    ``unknown`` when the two disagree, the marker's side kept as the guess)."""
    marked: Side | None = None
    if ctx.marker is not None:
        marked = "left" if ctx.marker.letter == "L" else "right"
    joint = find_joint(work)
    fibula = fibula_side(work, joint) if joint is not None else None
    if fibula is None:
        return marked, "dicom" if marked else "none"
    # the fibula is lateral: the medial side is away from it
    anatomy = _side_of(-fibula.direction, row_direction)
    if marked is not None and anatomy != marked:
        ctx.notes.append(
            f"the lead marker says {marked}, the fibula (lateral, toward "
            f"{'+x' if fibula.direction > 0 else '-x'}) says {anatomy}: side unknown"
        )
        return marked, "unknown"
    if marked is not None:
        return marked, "dicom"
    ctx.notes.append(
        f"side from the anatomy: the fibula lies toward {'+x' if fibula.direction > 0 else '-x'}"
        f" ({fibula.bands} of {fibula.looked} bands below the joint)"
    )
    if not fibula.sure:
        ctx.doubts.append(
            f"the fibula was seen in only {fibula.bands} of {fibula.looked} bands below the "
            f"joint ({fibula.against} on the other side): the side is a guess"
        )
    return anatomy, "anatomy"


def _medial_x(side: Side, row_direction: str) -> float:
    """``+1`` if the medial side of a `side` knee is toward ``+x``, else ``-1``; +x
    points to the patient's `row_direction` (``'L'`` or ``'R'``)."""
    # a right knee's medial side points to the patient's left
    return 1.0 if (side == "right") == (row_direction == "L") else -1.0


def _side_of(medial_x: float, row_direction: str) -> Side:
    """The knee whose medial side is toward ``sign(medial_x)`` (inverse of
    :func:`_medial_x`)."""
    return "right" if (medial_x > 0) == (row_direction == "L") else "left"


def _place(out: dict[str, Any], name: str, point: F64, confidence: float, method: str) -> None:
    """Put the landmark `name` at `point` (mm) into the leg's `out` with its
    `confidence` and `method`; the reason it was missing, if any, is dropped."""
    out["points"][name] = point
    out["confidence"][name] = confidence
    out["method"][name] = method
    out["reasons"].pop(name, None)


def _take_notch(knee: KneeFinding | None, out: dict[str, Any]) -> None:
    """The femoral knee centre of a bone column's leg from `knee`, read at full
    resolution at the column's knee, where its joint line was taken
    (:func:`_take_joint_line`: the knee read whole, the notch between the condyles'
    contacts): the notch's apex is the landmark itself, where the column has only the
    middle of the condyles' outline (7.7 and 9.5 mm from the reference on the digital
    OAI long-leg film; the notch 0.9 and 0.4 mm). At most
    :data:`~alignment.detect.column.COLUMN_CONFIDENCE`, as the leg's other points. The
    tibial knee centre stays the column's: on the development films the spines read
    at full resolution were farther from the references (median 12.2 mm against
    10.2)."""
    if knee is None or "femoral_knee_center" not in knee.points:
        return
    if not any(n in out["points"] for n in ("distal_femur_medial", "distal_femur_lateral")):
        return
    name = "femoral_knee_center"
    confidence = min(knee.confidence.get(name, 0.0), COLUMN_CONFIDENCE)
    _place(out, name, knee.points[name].copy(), confidence, knee.method.get(name, "knee"))


def _take_from_column(read: ColumnLeg, names: Sequence[str], out: dict[str, Any]) -> None:
    """Put the landmarks `names` read on a bone column into the leg's `out` where the
    leg has none, at :data:`~alignment.detect.column.COLUMN_CONFIDENCE`; those the
    column could not read get its reason."""
    for name in names:
        if name in out["points"]:
            continue
        if name in read.points:
            _place(out, name, read.points[name], COLUMN_CONFIDENCE, "bone-column")
        elif name in read.reasons:
            out["reasons"][name] = read.reasons[name]


def _column_notch(work: Work, read: ColumnLeg, names: Sequence[str], out: dict[str, Any]) -> None:
    """The femoral knee centre of a leg that has none, where the bone column's reading
    `read` may fill it in (`names`, :func:`_column_knee_names`): the apex of the
    intercondylar notch (:func:`.knee.notch_apex`) looked for around the column's knee,
    which is the landmark itself, where the column has only the middle of the condyles'
    outline (off the notch by the medial condyle's extra width: 2.8 crop pixels on the
    OAI crop whose film has a reference, the apex 0.2). Left to the column when no
    notch stands out. Its confidence is
    :data:`~alignment.detect.column.COLUMN_CONFIDENCE` times the notch's clarity."""
    name = "femoral_knee_center"
    if name not in names or name in out["points"] or name not in read.points:
        return
    centres = [read.points[n] for n in (name, "tibial_knee_center") if n in read.points]
    rough = np.mean(centres, axis=0)
    found = notch_apex(work, float(rough[0]), float(rough[1]), masked=ruler_columns(work))
    if found is not None:
        _place(out, name, found[0], COLUMN_CONFIDENCE * found[1], "column-notch")


def _column_knee_names(read: ColumnLeg, points: dict[str, F64]) -> tuple[str, ...]:
    """The knee centres the bone column's reading `read` may fill in for a leg with
    `points`: each only where the fine stage read neither centre, or where the column's
    knee lies at the level of the knee the fine stage read. A column's knee far from
    the fine stage's joint is another level's (a line across the shaft, the tibia's
    flare), and one centre there with the other at the joint would make two axes of
    two different knees. The column's femoral centre is held against a fine tibial
    centre within :data:`KNEE_LEVELS_APART_MM`; its tibial centre against a fine
    femoral one, the notch's apex 5-15 mm above the joint, within
    :data:`SPINES_BELOW_NOTCH_MM` below it (or :data:`KNEE_LEVELS_APART_MM` above)."""
    # each centre's level (mm, y down) less the fine stage's other centre's, allowed
    levels = {
        "femoral_knee_center": ("tibial_knee_center", -KNEE_LEVELS_APART_MM, KNEE_LEVELS_APART_MM),
        "tibial_knee_center": (
            "femoral_knee_center",
            -KNEE_LEVELS_APART_MM,
            SPINES_BELOW_NOTCH_MM,
        ),
    }
    names = []
    for name, (other, lo, hi) in levels.items():
        column, fine = read.points.get(name), points.get(other)
        if column is None or fine is None or lo <= float(column[1] - fine[1]) <= hi:
            names.append(name)
    return tuple(names)


KNEE_CENTRE_STAND_INS = {
    "femoral_knee_center": ("tibial_knee_center", "over-tibial-spines"),
    "tibial_knee_center": ("femoral_knee_center", "under-notch"),
}
"""For each knee centre, the other centre it is placed on where it alone is missing,
and the method recorded: the tibial spines stand in the intercondylar notch, so the
notch's apex lies over them, a few mm higher (which turns a mechanical axis by well
under a degree)."""


def _knee_centre_from_the_other(out: dict[str, Any]) -> None:
    """Where the knee has one of its centres but not the other (no notch seen between
    the condyles, or no spines, and no bone column's reading at that knee:
    :func:`_column_knee_names`), place the missing one on the other
    (:data:`KNEE_CENTRE_STAND_INS`), at the other's confidence and at most
    :data:`~.knee.DOUBTED_CONFIDENCE` (review)."""
    points = out["points"]
    for name, (other, method) in KNEE_CENTRE_STAND_INS.items():
        if name not in points and other in points:
            confidence = min(out["confidence"][other], DOUBTED_CONFIDENCE)
            _place(out, name, points[other].copy(), confidence, method)
            return


def _column_ankle(read: ColumnLeg, out: dict[str, Any], *, unchecked: bool) -> None:
    """Put the first of the ankles read on a bone column (``read.ankles``, highest
    deep gap first) whose tibia fits its femur (:data:`TIBIA_FEMUR_RATIO`) into the
    leg's `out`, at :data:`~alignment.detect.column.COLUMN_CONFIDENCE`: a higher gap
    that makes the tibia too short is a seam or a line of the film across the shaft,
    a lower one too long a joint of the foot. Without the four centres to check it
    against, the first is taken only when `unchecked`; else the leg gets the reason."""
    points, reasons = out["points"], out["reasons"]
    if not read.ankles:
        _take_from_column(read, ("ankle_center",), out)
        return
    ratios = [tibia_to_femur({**points, "ankle_center": a}) for a in read.ankles]
    for ankle, ratio in zip(read.ankles, ratios, strict=True):
        if (ratio is None and unchecked) or (
            ratio is not None and TIBIA_FEMUR_RATIO[0] <= ratio <= TIBIA_FEMUR_RATIO[1]
        ):
            _place(out, "ankle_center", ankle, COLUMN_CONFIDENCE, "bone-column")
            return
    reasons["ankle_center"] = (
        ratio_rejection(ratios[0])
        if ratios[0] is not None
        else "a joint gap low on the tibia, unchecked without the femur's length"
    )


def _complete(legs: Sequence[LegGuess]) -> int:
    """Legs with both a femoral and a tibial diaphysis."""
    return sum(g.femur is not None and g.tibia is not None for g in legs)


def _with_column(guess: LegGuess, columns: Sequence[LegGuess]) -> LegGuess:
    """`guess` with the column of `columns` that runs through it at the knee, if any."""
    near = [c for c in columns if abs(c.x_mm - guess.x_mm) < 0.5 * COLUMN_SEPARATION_MM]
    if not near:
        return guess
    best = min(near, key=lambda c: abs(c.x_mm - guess.x_mm))
    return dataclasses.replace(guess, column=best.column)


def _head_axis_centres(knee: KneeFinding | None, column: ColumnLeg | None) -> dict[str, F64]:
    """The knee's and the ankle's centres (mm) that set the femoral head's expected
    place on the mechanical axis: the fine knee's where it has them, else the bone
    column's; the ankle from the column. Empty without a femoral knee centre."""
    centres = dict(column.points) if column is not None else {}
    if knee is not None:
        centres.update(
            {
                n: p
                for n, p in knee.points.items()
                if n in ("femoral_knee_center", "tibial_knee_center")
            }
        )
    return centres if "femoral_knee_center" in centres else {}


@dataclasses.dataclass(frozen=True)
class _LegReading:
    """One leg of an AP long-leg film read up to, not including, its femoral head.

    Attributes
    ----------
    guess : LegGuess
        The leg's coarse diaphyses (and bone column).
    medial_hint : float or None
        Sign of ``x`` toward the leg's medial side, where the other leg or a DICOM
        laterality tells it.
    fa, ta : ShaftAxis or None
        The femoral and tibial axes at full resolution (:func:`_refine`).
    column : ColumnLeg or None
        The leg's reading on its bone column.
    knee : KneeFinding or None
        The knee at full resolution (:func:`_fine_knee`).
    medial : float or None
        `medial_hint`, else from the femoral shaft's lean
        (:func:`.femoral_head.medial_from_lean`).
    """

    guess: LegGuess
    medial_hint: float | None
    fa: ShaftAxis | None
    ta: ShaftAxis | None
    column: ColumnLeg | None
    knee: KneeFinding | None
    medial: float | None


def _read_leg(
    work: Work, film: _FilmMaps, guess: LegGuess, medial_hint: float | None, *, on_column: bool
) -> _LegReading:
    """The axes, the bone column's reading and the knee of one leg: what its femoral
    head is looked for with (:func:`_leg_head`) and none of which depends on it."""
    seg_f, seg_t = guess.femur, guess.tibia
    fa = _refine(work, seg_f) if seg_f is not None else None
    ta = _refine(work, seg_t) if seg_t is not None else None
    if fa is None:
        return _LegReading(guess, medial_hint, None, ta, None, None, medial_hint)
    column = _column_reading(work, film, guess)
    knee = _fine_knee(work, film, fa, ta, column) if ta is not None and not on_column else None
    if column is None and ta is not None and not _has_knee_centre(knee):
        # no knee at full resolution on a leg whose runs needed no column: its bone
        # column's knee is tried, and the column's reading then serves the leg as it
        # does any leg's (its knee and ankle stand in, :func:`_detect_ap_leg`; its
        # centres weigh the femoral head's circles, :func:`_leg_head`)
        guess = _with_column(guess, film.columns)
        column = _column_reading(work, film, guess)
        if column is not None:
            knee = _fine_knee(work, film, fa, ta, column)
    # the medial side, where no other leg tells it, from the femoral shaft's lean
    medial = medial_hint if medial_hint is not None else medial_from_lean(fa)
    return _LegReading(guess, medial_hint, fa, ta, column, knee, medial)


def _column_reading(work: Work, film: _FilmMaps, guess: LegGuess) -> ColumnLeg | None:
    """The leg's reading on its bone column (:func:`.column.read_column_leg`), or None
    without one."""
    if guess.column is None:
        return None
    return read_column_leg(
        work.coarse, work.coarse_mm, guess.column, image=film.flat, seams=film.seams
    )


def _has_knee_centre(knee: KneeFinding | None) -> bool:
    """Whether the fine stage read either knee centre."""
    return knee is not None and bool(
        {"femoral_knee_center", "tibial_knee_center"} & knee.points.keys()
    )


def _leg_head(
    work: Work, leg: _LegReading, *, level: float | None = None
) -> tuple[F64, float, str] | None:
    """The femoral head of `leg` (:func:`find_head`, with its `level`); None without
    a femoral axis."""
    if leg.fa is None:
        return None
    centres = _head_axis_centres(leg.knee, leg.column)
    return find_head(work, leg.fa, leg.medial, centres, level=level)


def _detect_ap_leg(
    work: Work,
    film: _FilmMaps,
    leg: _LegReading,
    head: tuple[F64, float, str] | None,
    *,
    on_column: bool = False,
) -> dict[str, Any]:
    """The landmarks of one leg (`leg`, :func:`_read_leg`) with its femoral `head`
    (:func:`_leg_head`): points, confidences, methods, the reasons for what is
    missing, and the sign of ``x`` toward its medial side."""
    medial_hint, medial = leg.medial_hint, leg.medial
    fa, ta, column, knee = leg.fa, leg.ta, leg.column, leg.knee
    points: dict[str, F64] = {}
    conf: dict[str, float] = {}
    method: dict[str, str] = {}
    reasons: dict[str, str] = {}
    out: dict[str, Any] = {
        "points": points,
        "confidence": conf,
        "method": method,
        "reasons": reasons,
        "medial_x": medial_hint,
    }
    if leg.guess.tibia is None and fa is not None:
        reasons.update(
            dict.fromkeys(AP_REQUIRED, "only one diaphysis found: the film may be cut short")
        )
    if fa is None:
        for n in AP_REQUIRED:
            reasons.setdefault(n, "the femoral diaphysis was not found")
        return out
    if head is None:
        reasons["femoral_head_center"] = (
            "no round femoral head above the femoral shaft or on its mechanical axis "
            "(film cut off at the hip?)"
        )
    else:
        points["femoral_head_center"] = head[0]
        conf["femoral_head_center"] = head[1]
        method["femoral_head_center"] = head[2]
    if medial_hint is None and "femoral_head_center" in points:
        found_head = points["femoral_head_center"]
        out["medial_x"] = 1.0 if found_head[0] > fa.at_y(found_head[1])[0] else -1.0
    elif medial_hint is None:
        out["medial_x"] = medial
    if on_column and column is not None:
        return _detect_on_column(work, film, column, fa, ta, out)
    column_knee = column is not None and "femoral_knee_center" in column.points
    if head is None and (knee is None or not knee.points) and not column_knee:
        # diaphyses with neither a femoral head above nor a knee between them could be
        # any bone (a lone tibia read as two runs): nothing is placed on them
        points.clear()
        for n in AP_REQUIRED:
            reasons[n] = (
                "no femoral head above the diaphysis and no knee below it: "
                "the bone is not identified (film cut short?)"
            )
        return out
    if knee is None:
        for n in AP_REQUIRED:
            if "knee" in n or "distal_femur" in n or "plateau" in n:
                reasons[n] = "no knee joint between the femoral and tibial shafts"
    else:
        for note in knee.notes:
            name = note.split(":")[0]
            reasons[name] = note
        _take_joint_line(knee, out)
        for name, p in knee.points.items():
            if name not in JOINT_LINE_NAMES:
                points[name] = p
                conf[name] = knee.confidence.get(name, 0.0)
                method[name] = knee.method.get(name, "knee")
        for name in AP_REQUIRED:
            if name not in points and (
                "distal_femur" in name or "plateau" in name or "knee_center" in name
            ):
                reasons.setdefault(name, "; ".join(knee.notes) or "not resolved at the knee")
    if column is not None:
        # where the fine stage saw no knee centre, the column's reading stands in
        names = _column_knee_names(column, points)
        _column_notch(work, column, names, out)
        _take_from_column(column, names, out)
    _knee_centre_from_the_other(out)
    tk = points.get("tibial_knee_center")
    joint_only: AnkleFinding | None = None
    down_the_line = False  # the ankle is a joint space found straight down the tibia
    if ta is not None:
        placed, joint_only, reason = ankle_below_tibia(work, ta, points)
        if placed is not None and placed.point is not None:
            _place(out, "ankle_center", placed.point, placed.confidence, placed.method)
            down_the_line = placed.method == "joint-space"
        elif reason is not None:
            reasons["ankle_center"] = reason
        # second pass on the tibial axis: between the knee and the ankle found, where
        # the diaphysis must be (the coarse run may be a fragment of it)
        an = points.get("ankle_center")
        if an is not None and tk is not None:
            retry = _refine_between(work, tk, an, ta.width_mm)
            if retry is not None and retry.confidence() > ta.confidence():
                ta = retry
    if column is not None and "ankle_center" not in points:
        _column_ankle(column, out, unchecked=False)
    if joint_only is not None and joint_only.point is not None and "ankle_center" not in points:
        _place(out, "ankle_center", joint_only.point, joint_only.confidence, joint_only.method)
    if ta is not None and down_the_line:
        _tibial_centre_midway(out, ta)
    # shaft points along the anatomical axes, at shares of the mechanical lengths
    _shaft_points(points, conf, method, _femoral_stretch(work, fa, points), "femoral")
    if ta is not None:
        _shaft_points(points, conf, method, ta, "tibial")
    else:
        for n in ("tibial_shaft_proximal", "tibial_shaft_distal", "ankle_center"):
            reasons.setdefault(n, "the tibial diaphysis was not found (film cut off?)")
    return out


def _tibial_centre_midway(out: dict[str, Any], ta: ShaftAxis) -> None:
    """Move the leg's tibial knee centre (in `out`, mm) across to midway between where
    the knee put it and the tibial diaphysis' line `ta` at its level; its method gets
    ``+diaphysis``.

    Done where the ankle is a joint space found straight down the diaphysis (method
    ``joint-space``, :func:`.ankle.ankle_below_tibia`): its ``x`` at the joint is the
    diaphysis' line's, and `ta` is that diaphysis as finally read (read again between
    the knee and that ankle where that reads it better). The tibia's anatomical axis
    passes through the middle of the tibial spines within a few mm in adults, so the
    line carried up to the knee is a second reading of the tibial knee centre, beside
    the knee's own (the spines, or the middle of the plateau's outline on a coarse
    film); each is off by its own error, neither known to be the smaller, and the
    centre goes midway. On the 100 real OAI crops (71 legs with such an ankle) the
    mean absolute HKA error went from 1.11 to 0.97 degree; looked at on the 16 crops
    where the centre moved most, the midway point lies nearer the spines on 10 of the
    14 whose spines show. Moving the ankle instead (midway to the parallel through the
    knee centre) gave nearly the same angles (0.98 degree), but put it off the talar
    dome's middle on 8 of 11 crops looked at. Where the ankle was read on its dome or
    on the malleoli the line is not the ankle's, and on the 22 crops with an ankle on
    the malleoli the line is the weaker guess (the knee centres lie 14 px off it, SD,
    against 6 px on the others; moving them gave 1.31 -> 1.56 degrees there).

    >>> axis = ShaftAxis(np.array([50.0, 0.0]), np.array([0.0, 1.0]), 0.3, 9, 9, 25.0,
    ...                  5.0, 0.0, 100.0)
    >>> out = {"points": {"tibial_knee_center": np.array([56.0, 10.0])},
    ...        "method": {"tibial_knee_center": "knee-native"}}
    >>> _tibial_centre_midway(out, axis)
    >>> out["points"]["tibial_knee_center"], out["method"]["tibial_knee_center"]
    (array([53., 10.]), 'knee-native+diaphysis')
    """
    points, method = out["points"], out["method"]
    tk = points.get("tibial_knee_center")
    if tk is None:
        return
    line_x = float(ta.at_y(float(tk[1]))[0])
    points["tibial_knee_center"] = np.array([0.5 * (float(tk[0]) + line_x), float(tk[1])])
    method["tibial_knee_center"] = f"{method.get('tibial_knee_center', 'knee')}+diaphysis"


def _detect_on_column(
    work: Work,
    film: _FilmMaps,
    read: ColumnLeg,
    fa: ShaftAxis,
    ta: ShaftAxis | None,
    out: dict[str, Any],
) -> dict[str, Any]:
    """The knee's and the ankle's centres of a leg found as a bone column
    (:func:`~alignment.detect.column.read_column_leg`), then its shaft points; all
    below the review threshold (:data:`~alignment.detect.column.COLUMN_CONFIDENCE`).
    The joint line (the condyles' lowest points, the plateau's ends) is read at full
    resolution at the column's knee (:func:`_fine_knee`, :func:`_take_joint_line`)."""
    points, conf, method, reasons = (out[k] for k in ("points", "confidence", "method", "reasons"))
    # at the column's knee only: the shafts of a column are its diaphysis stretches,
    # and the level between them may fall on a seam
    knee = _fine_knee(work, film, fa, None, read)
    _take_joint_line(knee, out)
    _take_notch(knee, out)
    names = ("femoral_knee_center", "tibial_knee_center")
    _column_notch(work, read, names, out)
    _take_from_column(read, names, out)
    _column_ankle(read, out, unchecked=True)
    for name in AP_REQUIRED:
        if name not in points and ("distal_femur" in name or "plateau" in name):
            reasons.setdefault(
                name, "not read on a bone column (the condyles' outline is not resolved)"
            )
    if "femoral_head_center" not in points:
        # the knee and the ankle of a column are placed by where they fall on a
        # whole leg; without its hip the column may be a film cut short
        points.clear()
        for n in AP_REQUIRED:
            reasons[n] = (
                "no femoral head at the top of the bone column: the leg is not "
                "identified (film cut short?)"
            )
        return out
    _shaft_points(points, conf, method, _femoral_stretch(work, fa, points), "femoral")
    if ta is not None:
        _shaft_points(points, conf, method, ta, "tibial")
    return out


FEMORAL_STRETCH = (0.3, 0.75)
"""The stretch of the femur (shares of the way from the head's centre down to the
knee's) over which its anatomical axis is read: below the lesser trochanter and the
subtrochanteric flare (50-70 mm under the head's centre, 12-16 % of an adult femur's
450 mm), above the distal metaphysis, whose cortices part 80-100 mm over the joint."""


def _femoral_stretch(work: Work, fa: ShaftAxis, points: dict[str, F64]) -> ShaftAxis:
    """The femoral anatomical axis `fa` read again over :data:`FEMORAL_STRETCH` of the
    femur, where the leg has its head's and knee's centres; `fa` where it has not, or
    where no axis is read there.

    The run of diaphyseal edge pairs `fa` was read on stops wherever the film's
    contrast, a seam or a grid line stops it, and a femur's diaphysis is bowed: an
    axis fitted to whatever stretch the run covers turns with it (1.6 degrees between
    spacings 10 % apart on a real long-leg film, the run being found in mm). Read
    over the same anatomical stretch it does not. A read that does not agree with
    `fa` (:data:`AXIS_AGREEMENT`) has locked onto another edge and is not taken. The
    femur must be at least the shortest plausible femur long
    (:data:`HEAD_ALONG_MM`).
    """
    head, knee = points.get("femoral_head_center"), points.get("femoral_knee_center")
    if head is None or knee is None or knee[1] - head[1] < HEAD_ALONG_MM[0]:
        return fa
    drop = float(knee[1] - head[1])
    top, bottom = (float(head[1]) + share * drop for share in FEMORAL_STRETCH)
    axis = refine_shaft(
        work, fa.centre, fa.direction, top=top, bottom=bottom, width_mm=fa.width_mm
    )
    mid = 0.5 * (top + bottom)
    if axis is None or not _agrees(axis, fa.direction, float(fa.at_y(mid)[0]), mid, fa.width_mm):
        return fa  # another edge (soft tissue, the other femur): the run's axis stands
    return axis


def _refine_between(work: Work, top: F64, bottom: F64, width_mm: float) -> ShaftAxis | None:
    """A shaft axis read from 25 % to 80 % of the way from `top` to `bottom` (mm)."""
    d = bottom - top
    length = float(np.linalg.norm(d))
    if length < 100.0 or d[1] <= 0:
        return None
    return refine_shaft(
        work,
        top + 0.5 * d,
        d / length,
        top=float(top[1] + 0.25 * d[1]),
        bottom=float(top[1] + 0.8 * d[1]),
        width_mm=width_mm,
    )


JOINT_LINE_NAMES = ("distal_femur_a", "distal_femur_b", "tibial_plateau_a", "tibial_plateau_b")
"""The joint line's points of a :class:`~.knee.KneeFinding`, before naming their sides."""


def _take_joint_line(knee: KneeFinding | None, out: dict[str, Any]) -> None:
    """The joint line's points of `knee` (:data:`JOINT_LINE_NAMES`) into `out`, named
    medial and lateral by ``out["medial_x"]``; the knee's notes are the reasons of
    those not found. Its centres are not taken here.

    The points are taken only from a knee read whole: both condyles' lowest points
    with the intercondylar notch between them, and the plateau's (or tray's) ends
    below them (:func:`~.knee.find_knee` checks that the two face each other).
    Nothing else tells a condylar tangent from a tangent to other edges (a seam, the
    tibia's outline, the film's border; on a bone column, read at a coarse knee): one
    without the other is not a joint line, and is left out with the reason. So is
    a joint line whose contacts are not one on each condyle above the plateau
    (:func:`~.knee.joint_line_doubt`).
    """
    if knee is None:
        return
    points, conf, method, reasons = (out[k] for k in ("points", "confidence", "method", "reasons"))
    rename = _ab_names(out["medial_x"])
    whole = all(n in knee.points for n in (*JOINT_LINE_NAMES, "femoral_knee_center"))
    doubt = joint_line_doubt(knee.points) if whole else None
    why = "; ".join(knee.notes) or "not resolved at the knee"
    if not whole:
        why = f"the knee is not read whole, so its joint line is not sure ({why})"
    elif doubt is not None:
        whole, why = False, f"the joint line read is not a knee's ({doubt})"
    for name in JOINT_LINE_NAMES:
        final = rename[name] or name.replace("_a", "_medial").replace("_b", "_lateral")
        if whole and rename[name] is not None:
            points[final] = knee.points[name]
            conf[final] = knee.confidence.get(name, 0.0)
            method[final] = knee.method.get(name, "knee")
        else:
            reasons[final] = why if rename[name] is not None else "medial side unknown"


def _ab_names(medial_x: float | None) -> dict[str, str | None]:
    if medial_x is None:
        return {
            "distal_femur_a": None,
            "distal_femur_b": None,
            "tibial_plateau_a": None,
            "tibial_plateau_b": None,
        }
    a, b = ("lateral", "medial") if medial_x > 0 else ("medial", "lateral")
    return {
        "distal_femur_a": f"distal_femur_{a}",
        "distal_femur_b": f"distal_femur_{b}",
        "tibial_plateau_a": f"tibial_plateau_{a}",
        "tibial_plateau_b": f"tibial_plateau_{b}",
    }


def _shaft_points(
    points: dict[str, F64],
    conf: dict[str, float],
    method: dict[str, str],
    axis: ShaftAxis,
    bone: str,
) -> None:
    """Place the two shaft points of `bone` (``femoral`` or ``tibial``) on `axis` at
    :data:`SHAFT_FRACTIONS` of its mechanical length from the knee centre toward the
    far end (:data:`SHAFT_ENDS`); their confidence is the axis' and no more than the
    two ends', which set their level. Without both ends they go near the ends of the
    diaphysis read (:data:`SHAFT_EXTENT_CONFIDENCE`)."""
    d = axis.direction / np.linalg.norm(axis.direction)  # points down the film
    c_axis = axis.confidence()
    names = (f"{bone}_shaft_proximal", f"{bone}_shaft_distal")
    near, far = SHAFT_ENDS[bone]
    if near in points and far in points:
        knee = points[near]
        length = float(np.linalg.norm(points[far] - knee))
        foot = axis.centre + ((knee - axis.centre) @ d) * d
        sign = -1.0 if bone == "femoral" else 1.0
        for name, share in zip(names, SHAFT_FRACTIONS[bone], strict=True):
            points[name] = foot + sign * share * length * d
            conf[name] = min(c_axis, conf[near], conf[far])
            method[name] = "cortices+robust-line"
    else:
        top = axis.at_y(axis.top + 0.1 * (axis.bottom - axis.top))
        bottom = axis.at_y(axis.bottom - 0.1 * (axis.bottom - axis.top))
        points[names[0]], points[names[1]] = top, bottom
        for name in names:
            conf[name] = SHAFT_EXTENT_CONFIDENCE * c_axis
            method[name] = "cortices+robust-line(extent)"
