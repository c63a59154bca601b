"""How a film is framed: turned askew; and the window that detection reads instead,
upright and without the corners the turn leaves.

A film scanned or exported askew is turned as a whole: its edges, the ruler, the
stitching seams, grid lines and the corners around the turned field all lean by the
same angle. Detection looks for upright legs (the diaphyses as near-vertical runs,
the ruler as a vertical band, seams as rows), so such a film is read turned upright,
cut to its content (flat rows and columns along the edges: the corners, filled with
the grey of the film's own border, and the film's own padding; a leg's shafts, knee
and ruler are looked for beside the film's edge, and the edge between padding and film
is no anatomy). :func:`frame_film` gives the window read and the map back to the
film; :func:`.core.detect_landmarks` gives the landmarks on the film as it is.

Straight edges are found by a Hough transform of the film's edges, at angles within
:data:`SKEW_RANGE_DEG` of upright, in two families: near-vertical lines and
near-horizontal ones. A family's line counts only when its edge pixels, pieces of it
included, cover at least :data:`LINE_SHARE` of the film's height (vertical) or width
(horizontal): the
ruler, the field's edge, seams and grid lines cross the film; a cortex, a stem or a
joint line does not. The anatomy itself is not upright on a film (a femur leans 5 to 9
degrees), so it tells nothing of the film's skew.

Angles are counter-clockwise as the film is seen (``x`` right, ``y`` down); points are
in the spec's pixel coordinates (pixel edges at whole numbers).

Examples
--------
>>> import numpy as np
>>> film = np.zeros((600, 300), np.uint8)
>>> film[:, 40:260] = np.linspace(100, 200, 600)[:, None]  # the field between black borders
>>> film[100:500, 120:180] = 250
>>> turned, _ = turn_image(film, 4.0)
>>> skew = film_skew(turned)
>>> round(skew.degrees, 1), skew.evidence
(4.0, 'straight edges along 87 % of its height and 60 % of its width')
>>> film_skew(film) is None
True
>>> frame_film(film).notes
()
>>> framing = frame_film(turned)  # upright again, the corners cut off
>>> framing.pixels.shape, framing.to_film(np.array([[150.0, 300.0]])).round().tolist()
((597, 217), [[213.0, 309.0]])

"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.feature import canny
from skimage.transform import hough_line

from alignment.detect._image import CONTENT_CONTRAST

__all__ = [
    "AGREE_DEG",
    "LINE_SHARE",
    "SKEW_MIN_DEG",
    "SKEW_RANGE_DEG",
    "Framing",
    "Skew",
    "content_window",
    "film_skew",
    "frame_film",
    "normalised",
    "square_pixels",
    "turn_image",
    "turning",
]

F64 = NDArray[np.float64]

SKEW_RANGE_DEG = 10.0
"""Largest skew looked for, degrees either way. A film turned further is not a film
set askew on a scanner or a viewer but one turned on purpose (landscape)."""

SKEW_STEP_DEG = 0.05
"""Finest step of the angles tried, degrees (:func:`_longest_line`)."""

LINE_SHARE = 0.5
"""Least share of the film's height (a near-vertical line) or width (near-horizontal)
that a straight edge must run along to tell the skew: a ruler, the field's edges, the
corners of a turned film, seams and grid lines cross the film; a cortex, a stem or a
joint line runs along a part of the leg shown (on a long-leg thumbnail of the
development set, the femora's edges, leaning 5 degrees, reached a third of its
height)."""

AGREE_DEG = 1.0
"""Largest difference between the vertical and the horizontal lines' angles for the
two to be taken as one skew; further apart, one of them is no man-made line and the
film is read as it is."""

SKEW_MIN_DEG = 0.6
"""Least skew that a film is turned upright for. On the development set's upright
films the skew found was within 0.25 degree but for one clinical knee film's own
edge, 0.5 degree off the vertical (read as it is, its anatomy is read right; turned,
its femoral shaft was lost); turned 0.8 degree, black corners and all, the films
lost a quarter of the crops' HKAs and half the long-leg ones when read as they were
(75 of 100 and 2 of 4), and none read upright (96 and 4)."""

_SIZE = 1024
"""Longer side of the copy on which the skew and the padding are looked for, pixels."""


@dataclass(frozen=True)
class Skew:
    """How far a film is turned.

    Attributes
    ----------
    degrees : float
        Counter-clockwise as seen; the film is set upright by turning it
        ``-degrees``.
    evidence : str
        The straight edges it was told from.
    """

    degrees: float
    evidence: str


def film_skew(pixels: NDArray[np.generic]) -> Skew | None:
    """How far a film is turned, from its long straight edges.

    Parameters
    ----------
    pixels : numpy.ndarray, shape (m, n)

    Returns
    -------
    Skew or None
        None when no straight edge runs along :data:`LINE_SHARE` of the film, when the
        vertical and horizontal ones disagree by more than :data:`AGREE_DEG`, or when
        the skew is under :data:`SKEW_MIN_DEG` (the film is read as it is).

    Notes
    -----
    Where both families have a line, the skew is their angles' mean weighted by
    their lengths in pixels (a longer line's angle is found more finely).
    """
    small = normalised(pixels, _SIZE)
    if not small.any():
        return None
    edges = canny(
        small, sigma=1.0, low_threshold=0.8, high_threshold=0.9, use_quantiles=True,
        mode="nearest",
    )  # fmt: skip
    rows, columns = small.shape
    found = []
    for name, extent, normal in (("height", rows, 0.0), ("width", columns, 90.0)):
        degrees, longest = _longest_line(edges, normal)
        if longest >= LINE_SHARE * extent:
            found.append((degrees, longest, longest / extent, name))
    if not found:
        return None
    angles_found = [f[0] for f in found]
    if max(angles_found) - min(angles_found) > AGREE_DEG:
        return None
    skew = float(np.average(angles_found, weights=[f[1] for f in found]))
    if abs(skew) < SKEW_MIN_DEG:
        return None
    evidence = " and ".join(f"{100 * share:.0f} % of its {name}" for *_, share, name in found)
    return Skew(skew, f"straight edges along {evidence}")


def _longest_line(edges: NDArray[np.bool_], normal_deg: float) -> tuple[float, float]:
    """The angle (degrees, counter-clockwise) within :data:`SKEW_RANGE_DEG` of upright
    of the straight line through most of `edges`, and how many edge pixels it
    crosses, for lines whose normal is near `normal_deg` (0: near-vertical lines, 90:
    near-horizontal ones). Coarse to fine: angles in steps of 0.1 degree, then of
    :data:`SKEW_STEP_DEG` around the best; a line drawn in pixels is as long over a
    few angles, so its angle is the middle of them."""
    best = 0.0
    for step, span in ((0.1, SKEW_RANGE_DEG), (SKEW_STEP_DEG, 0.15)):
        degrees = np.arange(best - span, best + span + 1e-9, step)
        # a line turned by a has its normal turned by -a: hough_line's theta
        accumulator, _, _ = hough_line(edges, theta=np.radians(normal_deg - degrees))
        longest = accumulator.max(axis=0)
        k = int(np.argmax(longest))
        tied = longest == longest[k]
        lo, hi = k, k
        while lo > 0 and tied[lo - 1]:
            lo -= 1
        while hi < len(tied) - 1 and tied[hi + 1]:
            hi += 1
        best = float(degrees[lo : hi + 1].mean())
    return best, float(longest[k])


def turning(size: tuple[int, int], degrees: float) -> tuple[F64, tuple[int, int]]:
    """The turn of a film of `size` (rows, columns) by `degrees` counter-clockwise as
    seen about its centre, onto the smallest canvas that holds all of it.

    Parameters
    ----------
    size : (int, int)
    degrees : float

    Returns
    -------
    matrix : numpy.ndarray, shape (2, 3)
        Maps a point ``(x, y)`` of the film (the spec's pixel coordinates: pixel
        edges at whole numbers) to the canvas: ``matrix[:, :2] @ p + matrix[:, 2]``.
    canvas : (int, int)
        The canvas' rows and columns.

    Examples
    --------
    >>> matrix, canvas = turning((100, 40), 90.0)
    >>> canvas, (matrix[:, :2] @ [40.0, 0.0] + matrix[:, 2]).round(6).tolist()
    ((40, 100), [0.0, 0.0])
    """
    rows, columns = size
    a = math.radians(degrees)
    cos, sin = math.cos(a), math.sin(a)
    canvas = (
        math.ceil(round(rows * abs(cos) + columns * abs(sin), 6)),
        math.ceil(round(columns * abs(cos) + rows * abs(sin), 6)),
    )
    turn = np.array([[cos, sin], [-sin, cos]])
    shift = np.array([canvas[1], canvas[0]]) / 2 - turn @ np.array([columns, rows]) / 2
    return np.column_stack([turn, shift]), canvas


def turn_image(
    pixels: NDArray[np.generic], degrees: float, *, fill: float | None = None
) -> tuple[NDArray[np.generic], F64]:
    """`pixels` turned `degrees` counter-clockwise as seen (:func:`turning`), by linear
    interpolation, the canvas' corners filled with `fill` (default the film's
    darkest value).

    Returns
    -------
    turned : numpy.ndarray
        In the dtype of `pixels` (OpenCV's: 8- and 16-bit integers, 32- and 64-bit
        floats; others are turned as 32-bit floats).
    matrix : numpy.ndarray, shape (2, 3)
        From the film's pixel coordinates to the turned one's (:func:`turning`).
    """
    array = np.asarray(pixels)
    if array.dtype not in (np.uint8, np.uint16, np.int16, np.float32, np.float64):
        array = array.astype(np.float32)
    matrix, (rows, columns) = turning(array.shape[:2], degrees)
    # OpenCV's pixel centres are at whole numbers, the spec's at halves
    on_centres = matrix.copy()
    on_centres[:, 2] += matrix[:, :2] @ [0.5, 0.5] - 0.5
    value = float(array.min()) if fill is None else float(fill)
    turned = cv2.warpAffine(
        array, on_centres, (columns, rows), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=value,
    )  # fmt: skip
    return turned, matrix


def content_window(pixels: NDArray[np.generic]) -> tuple[int, int, int, int] | None:
    """The rows and columns of a film without the flat padding along its edges.

    Parameters
    ----------
    pixels : numpy.ndarray, shape (m, n)

    Returns
    -------
    (int, int, int, int) or None
        ``(top, bottom, left, right)``: rows ``top:bottom`` and columns
        ``left:right`` hold the film's content, a row or column of the
        :data:`_SIZE` copy's kept whole where it holds some
        (:data:`._image.CONTENT_CONTRAST` of the film's grey range, on a copy where
        area averaging smooths a JPEG's speckle);
        None if the film has no contrast at all.

    Examples
    --------
    >>> film = np.zeros((200, 100), np.uint8)
    >>> film[20:180, 10:90] = np.linspace(50, 200, 80)
    >>> content_window(film)
    (20, 180, 10, 90)
    """
    small = _scaled(pixels, min(_SIZE, max(pixels.shape)))
    window = _flat_free(small)
    if window is None:
        return None
    step = (pixels.shape[0] / small.shape[0], pixels.shape[1] / small.shape[1])
    top, bottom, left, right = window
    return (
        max(0, math.floor(top * step[0])),
        min(pixels.shape[0], math.ceil(bottom * step[0])),
        max(0, math.floor(left * step[1])),
        min(pixels.shape[1], math.ceil(right * step[1])),
    )


@dataclass(frozen=True)
class Framing:
    """The window of a film that detection reads (:func:`frame_film`).

    Attributes
    ----------
    pixels : numpy.ndarray
        The window: the film itself, or the film turned upright and cut to its
        content.
    matrix : numpy.ndarray, shape (3, 3)
        From the film's pixel coordinates to the window's (homogeneous).
    notes : tuple of str
        What was done, and why.
    """

    pixels: NDArray[np.generic] = field(repr=False)
    matrix: F64
    notes: tuple[str, ...]

    def to_film(self, points: F64) -> F64:
        """Points ``(x, y)`` of the window (shape (n, 2)) on the film as it is."""
        back = np.linalg.inv(self.matrix)
        return np.asarray(points, float) @ back[:2, :2].T + back[:2, 2]


def square_pixels(spacing_mm: tuple[float, float]) -> bool:
    """Whether pixels of `spacing_mm` (row, column; mm) are square, within 1 %: a film
    of oblong pixels is never turned (it would have to be resampled first).

    >>> square_pixels((0.143, 0.143)), square_pixels((0.1, 0.2))
    (True, False)
    """
    return abs(spacing_mm[0] - spacing_mm[1]) <= 0.01 * max(spacing_mm)


def frame_film(pixels: NDArray[np.generic], *, turn: bool = True, least: int = 64) -> Framing:
    """The window of a film that detection reads: the film itself, or, when it stands
    askew (:func:`film_skew`; looked for only where `turn`), the film turned upright
    and cut to its content (:func:`content_window`) less a margin (the blurred edge of
    the corners, which are filled with the grey of the film's own border: black,
    white or a scanner bed's).

    Parameters
    ----------
    pixels : numpy.ndarray, shape (m, n)
    turn : bool, optional
        Look for a skew (False for a film of oblong pixels, which would have to be
        resampled before it is turned).
    least : int, optional
        Fewest rows and columns of a cut window; a smaller one is not cut (the upright
        copy is read whole).

    Returns
    -------
    Framing
        The film itself, with the identity and no note, when it stands upright (its
        own padding is left to the steps that look for content,
        :func:`._image.content_box`).
    """
    array = np.asarray(pixels)
    skew = film_skew(array) if turn else None
    if skew is None:
        return Framing(array, np.eye(3), ())
    edge = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    upright, turned = turn_image(array, -skew.degrees, fill=float(np.median(edge)))
    matrix = np.vstack([turned, [0.0, 0.0, 1.0]])
    rows, columns = upright.shape
    read = f"read turned upright onto a {rows} x {columns} canvas"
    window = content_window(upright)
    if window is not None:
        # the corners' edge, blurred by the turn, found on a copy of at most _SIZE
        # pixels a side and leaning by the skew's error (up to a step), goes with them
        top, bottom, left, right = window
        slope = math.tan(math.radians(SKEW_STEP_DEG))
        blur = 1 + math.ceil(max(upright.shape) / _SIZE)
        across = blur + math.ceil(slope * (right - left))
        down = blur + math.ceil(slope * (bottom - top))
        top, bottom, left, right = top + across, bottom - across, left + down, right - down
        if min(bottom - top, right - left) >= least:
            upright = upright[top:bottom, left:right]
            matrix = np.array([[1.0, 0.0, -left], [0.0, 1.0, -top], [0.0, 0.0, 1.0]]) @ matrix
            read += f" and cut to its rows {top}-{bottom}, columns {left}-{right}"
    note = (
        f"the film is turned {skew.degrees:+.1f} degrees ({skew.evidence}): {read}; "
        "its landmarks are given on the film as it is, positions in the other notes on "
        "the copy read"
    )
    return Framing(np.ascontiguousarray(upright), matrix, (note,))


def normalised(pixels: NDArray[np.generic], size: int) -> NDArray[np.float32]:
    """The film scaled so that its longer side is `size` pixels, 0-1 between its 1st
    and 99.5th percentiles (all zeros if it has no contrast).

    Examples
    --------
    >>> film = np.zeros((100, 100), np.uint8)
    >>> film[:, 10:90] = np.linspace(100, 200, 80)
    >>> small = normalised(film, 50)
    >>> small.shape, float(small.min()), float(small.max())
    ((50, 50), 0.0, 1.0)
    """
    small = _scaled(pixels, size)
    lo, hi = np.percentile(small, [1.0, 99.5])
    if not hi > lo:
        return np.zeros_like(small)
    return np.clip((small - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def _scaled(pixels: NDArray[np.generic], size: int) -> NDArray[np.float32]:
    """The film scaled (area averaging) so that its longer side is `size` pixels."""
    array = np.asarray(pixels)
    if array.dtype not in (np.uint8, np.uint16, np.float32):
        array = array.astype(np.float32)
    scale = size / max(array.shape)
    shape = (max(8, round(array.shape[1] * scale)), max(8, round(array.shape[0] * scale)))
    return cv2.resize(array, shape, interpolation=cv2.INTER_AREA).astype(np.float32)


def _flat_free(small: NDArray[np.float32]) -> tuple[int, int, int, int] | None:
    """``(top, bottom, left, right)`` of `small` without its flat rows and columns
    along the edges (:data:`._image.CONTENT_CONTRAST` of its grey range between the 1st and 99.5th
    percentiles); None if it has no contrast."""
    lo, hi = np.percentile(small, [1.0, 99.5])
    if not hi > lo:
        return None
    spans = []
    for axis in (1, 0):  # rows (range across each), then columns
        seen = np.flatnonzero(np.ptp(small, axis=axis) > CONTENT_CONTRAST * (hi - lo))
        if seen.size == 0:
            return None
        spans += [int(seen[0]), int(seen[-1]) + 1]
    top, bottom, left, right = spans
    return top, bottom, left, right
