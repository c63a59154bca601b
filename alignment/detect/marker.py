"""The R/L lead marker: a small bright letter placed on the film's side.

Candidates are the connected regions of the film's brightest pixels (lead is brighter
than bone) that are letter-sized (:data:`LETTER_MM` tall), not touching the film's
edge, neither thin nor solid (a letter's ink fills 20-85 % of its box and at most
90 % of its convex hull: a bone's bright blob is convex), and standing out of its
surroundings (:data:`ISOLATION`: not a piece of a bright bone). Each is
compared, as a binary shape scaled into a 32-pixel box, with the letters ``R`` and
``L`` rendered in OpenCV's Hershey fonts at several stroke widths, upright and
mirrored (a marker is often imaged from behind), rotated by up to 30 degrees, by
normalised correlation. A letter is taken when its best correlation is at least
:data:`MIN_SCORE` and beats the other letter's by :data:`MIN_MARGIN`; two markers that
disagree give None.

Examples
--------
>>> import cv2, numpy as np
>>> film = np.full((400, 300), 80, np.uint8)
>>> _ = cv2.putText(film, "L", (40, 90), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 255, 6)
>>> find_marker(film, spacing_mm=0.3).letter
'L'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.filters import threshold_otsu
from skimage.measure import label, regionprops

__all__ = [
    "ISOLATION",
    "LETTER_MM",
    "MIN_MARGIN",
    "MIN_SCORE",
    "POLARITIES",
    "RECUT_PAD",
    "SEED_LEVELS",
    "Marker",
    "find_marker",
]

LETTER_MM = (6.0, 30.0)
"""Height of a marker letter on the film, mm."""

MIN_SCORE = 0.65
"""Smallest normalised correlation of a marker with its letter."""

MIN_MARGIN = 0.2
"""How much better than the other letter a marker must match."""

ISOLATION = 0.3
"""A marker stands out of its surroundings: the median of a band around its box, half
the letter's height wide, lies at least this far (in the film's 1st-99.9th percentile
range) below the letter's median grey, and below the threshold it was cut at."""

SEED_LEVELS = (0.9, 0.75, 0.6, 0.45)
"""Levels, in the film's 1st-99.9th percentile range, at which letters are seeded,
brightest first (a lead letter outshines bone; a printed one may be dimmer)."""

POLARITIES = ("bright", "dark")
"""A letter bright on a dark film (lead) or dark on a bright one (a printed or
inverted marker)."""

RECUT_PAD = 0.4
"""Margin of the window in which a seed is cut again, as a fraction of its height."""

_BOX = 32
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
)


@dataclass(frozen=True)
class Marker:
    """A lead marker found: its letter (``'R'`` or ``'L'``), centre ``(x, y)`` in
    pixels, and its correlation with the letter and with the other one."""

    letter: str
    centre: tuple[float, float]
    score: float
    other: float


def find_marker(pixels: NDArray[np.generic], *, spacing_mm: float) -> Marker | None:
    """Find the R/L lead marker on a film, or None.

    Parameters
    ----------
    pixels : numpy.ndarray, shape (rows, columns)
        The film, bone (and lead) bright.
    spacing_mm : float
        Pixel spacing, mm (known or assumed: it sets the letter sizes looked for).

    Notes
    -----
    A letter is seeded at each of :data:`SEED_LEVELS` of the film's range, bright on
    dark and dark on bright (:data:`POLARITIES`), then cut again by Otsu's threshold
    in a window around it: a printed letter, a letter dimmer than bone or one whose
    brightness runs across it is not whole at any film-wide level. The brightest
    level that gives a letter decides.
    """
    image = np.asarray(pixels, dtype=np.float32)
    if image.ndim != 2 or not spacing_mm > 0:
        return None
    lo, hi = np.percentile(image, [1.0, 99.9])
    if not hi > lo:
        return None
    bright = np.clip((image - lo) / (hi - lo), 0.0, 1.0)
    found: list[Marker] = []
    for level in SEED_LEVELS:
        for polarity in POLARITIES:
            norm = bright if polarity == "bright" else 1.0 - bright
            found.extend(_letters_at(norm, level, spacing_mm))
        if found:
            break
    letters = {m.letter for m in found}
    if len(letters) != 1:
        return None  # none, or markers that disagree
    return max(found, key=lambda m: m.score)


def _letters_at(norm: NDArray[np.float32], level: float, spacing_mm: float) -> list[Marker]:
    """The letters seeded by the regions of `norm` at or above `level`, each cut
    again in its own window (:func:`_recut`)."""
    rows, cols = norm.shape
    out: list[Marker] = []
    seen: set[tuple[int, int, int, int]] = set()
    for seed in regionprops(label(norm >= level)):
        r0, c0, r1, c1 = seed.bbox
        if not LETTER_MM[0] <= (r1 - r0) * spacing_mm <= LETTER_MM[1]:
            continue
        cut = _recut(norm, seed.bbox)
        if cut is None:
            continue
        mask, bbox, threshold = cut
        r0, c0, r1, c1 = bbox
        if bbox in seen or min(r0, c0) == 0 or r1 == rows or c1 == cols:
            continue
        seen.add(bbox)
        if not LETTER_MM[0] <= (r1 - r0) * spacing_mm <= LETTER_MM[1]:
            continue
        if not 0.4 <= (c1 - c0) / (r1 - r0) <= 1.2:
            continue
        region = regionprops(mask.astype(np.uint8))[0]
        if not 0.2 <= region.extent <= 0.85 or region.solidity > 0.9:
            continue  # a letter is neither a thin line nor a solid (convex) blob
        ink = float(np.median(norm[r0:r1, c0:c1][mask]))
        if _surround(norm, bbox) > ink - ISOLATION or _surround(norm, bbox) > threshold:
            continue  # part of something bright (a bone's cortex), not a lone letter
        shape = _boxed(mask)
        scores = {letter: _best(shape, letter) for letter in ("R", "L")}
        letter = max(scores, key=lambda k: scores[k])
        other = scores["L" if letter == "R" else "R"]
        if scores[letter] >= MIN_SCORE and scores[letter] - other >= MIN_MARGIN:
            centre = ((c0 + c1) / 2.0, (r0 + r1) / 2.0)
            out.append(Marker(letter, centre, scores[letter], other))
    return out


def _recut(
    norm: NDArray[np.float32], bbox: tuple[int, ...]
) -> tuple[NDArray[np.bool_], tuple[int, int, int, int], float] | None:
    """The seed's letter cut again at Otsu's threshold of a window around `bbox`
    (:data:`RECUT_PAD` of its height on each side): the component of the cut that
    holds the seed's middle rows' brightest pixel, its mask, its box in the film and
    the threshold; None if it reaches the window's edge (part of something larger)."""
    r0, c0, r1, c1 = bbox
    pad = max(2, round(RECUT_PAD * (r1 - r0)))
    w0, v0 = max(0, r0 - pad), max(0, c0 - pad)
    window = norm[w0 : r1 + pad, v0 : c1 + pad]
    if window.max() - window.min() <= 0:
        return None
    threshold = float(threshold_otsu(window))
    labels = label(window > threshold)
    seed = window[r0 - w0 : r1 - w0, c0 - v0 : c1 - v0]
    at = np.unravel_index(int(np.argmax(seed)), seed.shape)
    which = labels[at[0] + r0 - w0, at[1] + c0 - v0]
    if which == 0:
        return None
    ys, xs = np.nonzero(labels == which)
    if ys.min() == 0 or xs.min() == 0:
        return None
    if ys.max() == window.shape[0] - 1 or xs.max() == window.shape[1] - 1:
        return None
    box = (int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1)
    mask = labels[box[0] : box[2], box[1] : box[3]] == which
    return mask, (box[0] + w0, box[1] + v0, box[2] + w0, box[3] + v0), threshold


def _surround(norm: NDArray[np.float32], bbox: tuple[int, ...]) -> float:
    """Median of the band, half the box's height wide, around a box of `norm`."""
    r0, c0, r1, c1 = bbox
    pad = max(2, (r1 - r0) // 2)
    outer = norm[max(0, r0 - pad) : r1 + pad, max(0, c0 - pad) : c1 + pad].copy()
    outer[
        r0 - max(0, r0 - pad) : r1 - max(0, r0 - pad),
        c0 - max(0, c0 - pad) : c1 - max(0, c0 - pad),
    ] = np.nan
    return float(np.nanmedian(outer))


def _boxed(mask: NDArray[np.bool_]) -> NDArray[np.float32]:
    """A binary shape centred in a square :data:`_BOX` box, its longer side 28 px."""
    height, width = mask.shape
    scale = (_BOX - 4) / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    box = np.zeros((_BOX, _BOX), np.float32)
    top, left = (_BOX - size[1]) // 2, (_BOX - size[0]) // 2
    box[top : top + size[1], left : left + size[0]] = small
    return box


def _best(shape: NDArray[np.float32], letter: str) -> float:
    """Largest normalised correlation of `shape` with the templates of `letter`."""
    values = [
        float(cv2.matchTemplate(shape, t, cv2.TM_CCOEFF_NORMED)[0, 0]) for t in _templates(letter)
    ]
    return max(values)


@cache
def _templates(letter: str) -> tuple[NDArray[np.float32], ...]:
    """`letter` in every Hershey font and stroke width, upright and mirrored, rotated
    by -30 to 30 degrees, each boxed like a candidate."""
    out = []
    for font in _FONTS:
        for thickness in (2, 4, 7, 10):
            canvas = np.zeros((120, 120), np.uint8)
            cv2.putText(canvas, letter, (25, 95), font, 2.6, 255, thickness, cv2.LINE_AA)
            for mirror in (False, True):
                glyph = canvas[:, ::-1] if mirror else canvas
                for angle in (-30, -15, 0, 15, 30):
                    turn = cv2.getRotationMatrix2D((60, 60), angle, 1.0)
                    rotated = cv2.warpAffine(glyph, turn, (120, 120)) > 127
                    ys, xs = np.nonzero(rotated)
                    if ys.size:
                        crop = rotated[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
                        out.append(_boxed(crop))
    return tuple(out)
