"""Side and view: from the DICOM tags where present, else from the film.

Examples
--------
>>> view_from_dicom("LL"), view_from_dicom("AP"), view_from_dicom(None)
(('LAT', 'dicom'), ('AP', 'dicom'), (None, 'none'))
>>> display_row_direction("L\\\\F"), display_row_direction("")
(('L', 'dicom'), ('L', 'default'))
>>> anterior_direction("P\\\\F")
(-1.0, 'dicom')
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.signal import find_peaks
from skimage.measure import label, regionprops

from alignment.detect._image import Work
from alignment.detect.framing import normalised
from alignment.vocabulary import View

__all__ = [
    "FILM_VIEWS",
    "KNEE_VIEW_CAP",
    "LONG_LEG_ASPECT",
    "METAL_SYMMETRY",
    "VIEW_SURE",
    "FilmView",
    "anterior_direction",
    "display_row_direction",
    "exposed_field",
    "field_aspect",
    "infer_film_view",
    "infer_knee_view",
    "view_from_dicom",
]

_AP_CODES = {"AP", "PA"}
_LAT_CODES = {"LL", "RL", "LAT", "LATERAL", "LLO", "RLO", "ML", "LM"}


def view_from_dicom(code: str | None) -> tuple[View | None, str]:
    """View from DICOM View Position (0018,5101): ``(view, 'dicom')`` or ``(None, 'none')``."""
    value = (code or "").strip().upper()
    if value in _AP_CODES:
        return "AP", "dicom"
    if value in _LAT_CODES:
        return "LAT", "dicom"
    return None, "none"


def display_row_direction(orientation: str | None) -> tuple[str, str]:
    """Which patient side ``+x`` points to on an AP film: ``('L' or 'R', source)``.

    From the first value of DICOM Patient Orientation (0020,0020); without it, the
    radiological convention (patient's right on the viewer's left: ``+x`` is the
    patient's left), source ``'default'``.
    """
    first = (orientation or "").replace("\\", "/").split("/")[0].strip().upper()
    if first[:1] in ("L", "R"):
        return first[0], "dicom"
    return "L", "default"


def anterior_direction(orientation: str | None) -> tuple[float | None, str]:
    """``+1`` if ``+x`` points anterior on a lateral film, ``-1`` if posterior, from
    DICOM Patient Orientation; ``(None, 'none')`` if it does not say."""
    first = (orientation or "").replace("\\", "/").split("/")[0].strip().upper()
    if first[:1] == "A":
        return 1.0, "dicom"
    if first[:1] == "P":
        return -1.0, "dicom"
    return None, "none"


FILM_VIEWS: dict[str, View | None] = {
    "AP long-leg": "AP",
    "AP knee": "AP",
    "LAT knee": "LAT",
    "other": None,
}
"""The kinds of film told apart, and the view of the measurement spec each is read as
(``other`` films get no landmark)."""

VIEW_SURE = 0.8
"""An inferred film view below this confidence is not sure: its legs go to review."""

LONG_LEG_ASPECT = 2.0
"""Height over width of the exposed field above which a film is a long-leg film."""

METAL_SYMMETRY = 0.68
"""Smallest area-weighted mirror overlap of the metal objects of an AP knee film."""

METAL_STEP = 0.1
"""Smallest step (share of the range of the film scaled to 512 pixels) from the median
of a bright region to that of the grey 3-5 pixels outside it (about 2-4 mm on a knee
film) for the region to be metal (:func:`_stands_out`): metal ends in a step, the
brightest bone of a knee without metal (the condyles and the patella overlapping)
fades into the bone around it. Calibrated on this measure: 0.06 on a native AP film of
the development set, 0.17 or more on every implant. It is not the implant reader's
step from a region's rim (:data:`.implant.MIN_STEP`), which is measured otherwise."""

FIELD_EDGE_PX = 3
"""A bright object within this many pixels of the exposed field's edge (on the film
scaled to 512 pixels) runs off the film: a femur or tibia cut by the film's top or
bottom, not metal. Exactly at the edge was the rule; a black border one or two pixels
wide, blurred into the field's first rows by the scaling, moved a native knee's femur
off the edge and its brightest bone was read as a lateral component."""

KNEE_VIEW_CAP = 0.7
"""Largest confidence of an AP-or-lateral decision on a knee film made from its
content alone (one anatomical cue: see :func:`infer_film_view`), so that such a film
always goes to review."""


@dataclass(frozen=True)
class FilmView:
    """What kind of film this is, how sure, and why.

    Attributes
    ----------
    kind : {'AP long-leg', 'AP knee', 'LAT knee', 'other'}
    confidence : float
        In [0, 1]; 1 for a view given by DICOM or by the user.
    source : {'option', 'dicom', 'inferred'}
    evidence : str
        The figures the decision rests on, for the notes.
    metal : bool
        Whether an inferred knee view rests on the metal's mirror symmetry (else on
        the bone bands: a film without metal at the view's scale).
    """

    kind: str
    confidence: float
    source: str
    evidence: str = ""
    metal: bool = False

    @property
    def view(self) -> View | None:
        """The spec's view the film is read as (None for ``other``)."""
        return FILM_VIEWS[self.kind]

    @property
    def sure(self) -> bool:
        """Whether the view is sure enough for a leg to be ``ok``."""
        return self.source in ("option", "dicom") or self.confidence >= VIEW_SURE


def exposed_field(image: NDArray[np.float32]) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` (pixels, end exclusive) of the part of a
    normalised film (0 = black) that was exposed: rows and columns of which at least a
    fifth is above 4 % of the range (black padding and a blank border fall away).

    >>> image = np.zeros((100, 60), np.float32); image[10:90, 20:40] = 0.5
    >>> exposed_field(image)
    (10, 90, 20, 40)
    """
    lit = image > 0.04
    rows = np.flatnonzero(lit.mean(axis=1) >= 0.2)
    cols = np.flatnonzero(lit.mean(axis=0) >= 0.2)
    if rows.size == 0 or cols.size == 0:
        return (0, image.shape[0], 0, image.shape[1])
    return (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def field_aspect(pixels: NDArray[np.generic]) -> float:
    """The exposed field's height over its width (:func:`exposed_field`)."""
    top, bottom, left, right = exposed_field(normalised(pixels, 512))
    return (bottom - top) / max(right - left, 1)


def infer_film_view(pixels: NDArray[np.generic]) -> FilmView:
    """Tell the kind of film from its content, whatever its pixel size.

    Two cues, both free of the pixel spacing:

    - **Long-leg or knee**: the exposed field's height over its width. A long-leg film
      shows hip to ankle, more than twice as tall as wide (one leg or both); a knee
      film shows about 30 cm of the leg and is at most about 1.7 times as tall as
      wide. Between the two (1.8 to 2.2) the decision is not sure.
    - **AP or lateral knee**, where the film shows metal (the brightest objects,
      away from the film's edges, a round calibration sphere left out): an AP
      femoral component and tray (in the middle half of the film's width) are
      mirror-symmetric about a vertical axis (a block
      over both condyles, a wide plate on a central stem), a lateral femoral
      component is a C open upward and backward. The mirror overlap (intersection over
      union, best vertical axis, tilts up to 20 degrees) of each metal object,
      weighted by area, is at least :data:`METAL_SYMMETRY` on AP.
    - Without metal: below the joint an AP film shows two bones side by side (the
      tibia and, laterally, the fibula, separated by the interosseous space), above it
      one (the femur); on a lateral film the fibula lies behind the tibia and the two
      read as one. The number of separate bright bands across each row is counted in
      the upper and the lower quarter of the field; more bands below than above is AP.

    Either is one cue, easily disturbed (a flexed knee, a rotated limb, an
    asymmetric implant, a marker), so the knee view's confidence is capped at
    :data:`KNEE_VIEW_CAP`: without DICOM a knee film always goes to review.

    A film with no bright band at all (no bone) is ``other``.

    Parameters
    ----------
    pixels : numpy.ndarray, shape (rows, columns)
        The film, bone bright.

    Returns
    -------
    FilmView
        With ``source='inferred'``.
    """
    return _inferred(pixels, knee=False)


def infer_knee_view(pixels: NDArray[np.generic]) -> FilmView:
    """Tell an AP from a lateral knee film by its content, for a film taken to be a
    knee film whatever its field's shape: :func:`infer_film_view`'s knee cues alone
    (a tall, narrow field is also a knee film's where the air beside a thin limb
    falls away from it, which the long-leg pipeline then finds no long bone on).

    Parameters
    ----------
    pixels : numpy.ndarray, shape (rows, columns)
        The film, bone bright.

    Returns
    -------
    FilmView
        ``AP knee``, ``LAT knee`` or ``other``, with ``source='inferred'`` and a
        confidence of at most :data:`KNEE_VIEW_CAP`.
    """
    return _inferred(pixels, knee=True)


def _inferred(pixels: NDArray[np.generic], *, knee: bool) -> FilmView:
    """:func:`infer_film_view`, or with `knee` :func:`infer_knee_view`."""
    image = normalised(pixels, 512)
    top, bottom, left, right = exposed_field(image)
    field = image[top:bottom, left:right]
    aspect = field.shape[0] / max(field.shape[1], 1)
    long_leg = 0.0 if knee else float(1.0 / (1.0 + np.exp(-(aspect - LONG_LEG_ASPECT) / 0.1)))
    above = _bands(field, 0.05, 0.30)
    below = _bands(field, 0.70, 0.95)
    evidence = (
        f"field {aspect:.2f} times as tall as wide; bone bands above {above:.2f}, "
        f"below {below:.2f}"
    )
    if above < 0.5 and below < 0.5:
        return FilmView("other", 0.6, "inferred", evidence + ": no bone seen")
    if long_leg >= 0.5:
        return FilmView("AP long-leg", long_leg, "inferred", evidence)
    symmetry = _metal_symmetry(field)
    if symmetry is None:
        ap = float(1.0 / (1.0 + np.exp(-(below - above) / 0.15)))
    else:
        evidence += f"; metal mirror overlap {symmetry:.2f}"
        ap = float(1.0 / (1.0 + np.exp(-(symmetry - METAL_SYMMETRY) / 0.03)))
    share = 1.0 - long_leg
    metal = symmetry is not None
    if ap >= 0.5:
        return FilmView("AP knee", min(ap, KNEE_VIEW_CAP) * share, "inferred", evidence, metal)
    return FilmView("LAT knee", min(1.0 - ap, KNEE_VIEW_CAP) * share, "inferred", evidence, metal)


def _metal_symmetry(field: NDArray[np.float32]) -> float | None:
    """Area-weighted mirror overlap of the metal objects of a normalised field (None
    if it shows none): objects of at least 0.4 % of the field above 0.92 times its
    99th percentile (and 0.85), not touching its edge, not round and solid, centred
    in the middle half of its width, standing out of the grey around it
    (:func:`_stands_out`)."""
    rows, cols = field.shape
    level = max(0.85, 0.92 * float(np.percentile(field, 99.0)))
    mask = cv2.morphologyEx((field >= level).astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2)))
    labels = label(mask)
    overlaps, areas = [], []
    for region in regionprops(labels):
        r0, c0, r1, c1 = region.bbox
        off_film = min(r0, c0, rows - r1, cols - c1) <= FIELD_EDGE_PX
        if region.area < 0.004 * rows * cols or off_film:
            continue  # small, or a bone running off the film (its edge blurred by a border)
        if region.eccentricity < 0.35 and region.solidity > 0.93:
            continue  # a calibration sphere
        if not 0.25 <= region.centroid[1] / cols <= 0.75:
            continue  # a lead marker or a ruler beside the leg, not an implant in it
        if not _stands_out(field, labels == region.label):
            continue  # the brightest bone of a knee without metal
        overlaps.append(_mirror_overlap(labels[r0:r1, c0:c1] == region.label))
        areas.append(float(region.area))
    if not areas:
        return None
    return float(np.average(overlaps, weights=areas))


def _stands_out(field: NDArray[np.float32], region: NDArray[np.bool_]) -> bool:
    """Whether a bright `region` of a normalised `field` stands at least
    :data:`METAL_STEP` of the range above the grey 3-5 pixels outside it (a ring
    between the region's chessboard dilations by 2 and by 5 pixels), medians
    compared."""
    mask = region.astype(np.uint8)
    near = cv2.dilate(mask, np.ones((5, 5), np.uint8)) > 0
    ring = (cv2.dilate(mask, np.ones((11, 11), np.uint8)) > 0) & ~near
    return bool(np.median(field[region]) - np.median(field[ring]) >= METAL_STEP)


def _mirror_overlap(mask: NDArray[np.bool_]) -> float:
    """Largest intersection over union of `mask` with its mirror image about a vertical
    axis, over axes across the object and tilts of -20 to 20 degrees."""
    shrink = min(1.0, 48.0 / max(mask.shape))
    size = (max(2, round(mask.shape[1] * shrink)), max(2, round(mask.shape[0] * shrink)))
    small = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    pad = max(small.shape)
    big = np.pad(small, pad)
    height, width = big.shape
    xs = np.arange(width)
    best = 0.0
    for angle in range(-20, 21, 4):
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        shape = cv2.warpAffine(big, turn, (width, height)) > 0.5
        columns = np.flatnonzero(shape.any(axis=0))
        if columns.size == 0:
            continue
        for axis in np.linspace(columns[0], columns[-1], 25):
            source = np.round(2 * axis - xs).astype(int)
            inside = (source >= 0) & (source < width)
            mirror = np.zeros_like(shape)
            mirror[:, inside] = shape[:, source[inside]]
            union = int((shape | mirror).sum())
            if union:
                best = max(best, int((shape & mirror).sum()) / union)
    return best


def _bands(field: NDArray[np.float32], start: float, stop: float) -> float:
    """Mean number of bright bands (bone) across the rows from `start` to `stop` (shares
    of the field's height): peaks of prominence 0.06 and at least 1.5 % of the width
    wide, on the profile smoothed over 1.5 pixels."""
    rows, cols = field.shape
    smooth = cv2.GaussianBlur(field, (0, 0), 1.5)
    counts = [
        len(find_peaks(smooth[y], prominence=0.06, width=0.015 * cols)[0])
        for y in range(int(start * rows), max(int(stop * rows), int(start * rows) + 1))
    ]
    return float(np.mean(counts)) if counts else 0.0


PATELLA_MM = 30.0
"""Width of the opening's square on a lateral film: wider than a patella seen
side-on (about 20-25 mm thick), narrower than the soft tissue's slow slopes, mm."""

PATELLA_WINDOW_MM = 40.0
"""Width of the window beyond the distal femur in which the patella is looked for, mm."""

PATELLA_BESIDE_MM = 28.0
"""Half the depth of a native distal femur seen side-on, mm (the window starts
beyond it)."""

PATELLA_RATIO = 2.0
"""How many times the other side's top-hat the patella's side must show."""

PATELLA_MIN_MM2 = 10.0
"""Smallest top-hat integral (mm^2 times the film's normalised grey) of a patella:
a bone of 200 mm^2 standing 0.05 above its surroundings; less is an edge's blur."""


def patella_side(
    work: Work,
    femur_x: float,
    joint_y: float,
    *,
    half_width_mm: float = PATELLA_BESIDE_MM,
    exclude: NDArray[np.bool_] | None = None,
) -> float | None:
    """``+1`` or ``-1``: the side (in ``x``) of the distal femur where the patella
    shows on a lateral film, i.e. anterior; None if unclear.

    Parameters
    ----------
    work : Work
        The film (its coarse copy is read, bone bright).
    femur_x : float
        ``x`` of the distal femur's middle (its axis, or the femoral component's
        middle), mm.
    joint_y : float
        ``y`` of the joint (or the component's lowest point), mm.
    half_width_mm : float, optional
        Half the distal femur's (or the component's) depth: the patella is looked for
        beyond it, mm.
    exclude : numpy.ndarray of bool, optional
        Pixels of the coarse copy to leave out (the implant's metal, whose edges
        would outshine any bone).

    Notes
    -----
    The patella is a compact bone standing out of the soft tissue around it: its
    white top-hat (the grey level above the film's opening by a square
    :data:`PATELLA_MM` wide) is summed over a window :data:`PATELLA_WINDOW_MM` wide
    beyond the femur on each side, from 70 mm above the joint to 5 mm below it. The
    thicker posterior soft tissue is brighter than the anterior, but smooth, and adds
    nothing (a mean brightness took it for the patella). A side is told when its sum
    is at least :data:`PATELLA_MIN_MM2` and :data:`PATELLA_RATIO` times the other's.
    """
    mm = work.coarse_mm
    coarse = np.clip(work.coarse, 0.0, 1.0).astype(np.float32)
    reach = half_width_mm + PATELLA_WINDOW_MM + PATELLA_MM
    r0 = max(0, int((joint_y - 70.0 - PATELLA_MM) / mm))
    r1 = min(coarse.shape[0], int((joint_y + 5.0 + PATELLA_MM) / mm) + 1)
    c0 = max(0, int((femur_x - reach) / mm))
    c1 = min(coarse.shape[1], int((femur_x + reach) / mm) + 1)
    if r1 - r0 < 3 or c1 - c0 < 3:
        return None
    crop = cv2.GaussianBlur(coarse[r0:r1, c0:c1], (0, 0), 1.0 / mm)
    size = 2 * max(1, round(PATELLA_MM / mm / 2)) + 1  # odd: centred on the pixel
    tophat = cv2.morphologyEx(crop, cv2.MORPH_TOPHAT, np.ones((size, size), np.uint8))
    if exclude is not None:
        tophat[exclude[r0:r1, c0:c1]] = 0.0
    ys = (np.arange(r0, r1) + 0.5) * mm
    xs = (np.arange(c0, c1) + 0.5) * mm
    rows = (ys >= joint_y - 70.0) & (ys <= joint_y + 5.0)
    sums = []
    for sign in (1.0, -1.0):
        off = sign * (xs - femur_x)
        cols = (off >= half_width_mm + 2.0) & (off <= half_width_mm + PATELLA_WINDOW_MM)
        sums.append(float(tophat[np.ix_(rows, cols)].sum()) * mm * mm)
    big, small = max(sums), min(sums)
    if big < PATELLA_MIN_MM2 or big < PATELLA_RATIO * small:
        return None
    return 1.0 if sums[0] > sums[1] else -1.0
