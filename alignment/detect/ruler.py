"""The pixel spacing from a radiopaque centimetre ruler on the film.

A ruler shows as a strip of short bright tick marks repeating at a fixed interval (1
cm, often with 5 mm or 1 mm ticks between) along a straight line, usually vertical in
the midline of a long-leg film. Along such a strip the film's profile is periodic;
elsewhere (bone, soft tissue, a cassette's grid lines across the whole film) it is
not, or not only there. The search:

1. The film (bone bright, any scale) is high-passed across the ticks (the profile
   minus its running mean over 6 mm at the prior spacing), so that each tick is a
   short spike.
2. Strips 3 pixels wide are taken along the columns (and, for a horizontal ruler,
   along the rows). The power spectrum of each strip's profile, in windows of 512
   pixels or 16 periods of 10 mm, is summed; a tick pattern is a sharp peak at a
   period of 2.5 to 80 pixels.
3. A strip's score is the peak's power over the median power of the spectrum, times
   its excess over the same frequency in the strips 12 to 30 pixels to either side
   (a grid line runs across the whole film, a ruler's ticks do not).
4. The tick frequency is the lowest whole fraction of the peak's that carries a quarter
   of its power (thin ticks have strong harmonics). The period is refined on the
   strip's whole profile (parabolic interpolation of
   the spectral peak); the strip must hold at least :data:`MIN_PERIODS` periods and
   be strictly periodic (:data:`MIN_SHARPNESS` of the power near the peak in it).
   The tick interval is the one of :data:`TICK_MM` that puts the
   spacing nearest to the spacing expected from the film's size (a factor of 2 or
   more apart, so a rough prior decides); a spacing farther than
   :data:`PRIOR_FACTOR` from the prior is not taken.

Examples
--------
>>> import numpy as np
>>> image = np.zeros((800, 200), np.float32)
>>> image[::12, 95:105] = 1.0  # a tick every 12 px: 10 mm at 0.8333 mm per pixel
>>> ruler = find_ruler(image, prior_mm=0.9)
>>> round(ruler.spacing_mm, 3), ruler.axis
(0.833, 'vertical')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

__all__ = ["MIN_PERIODS", "MIN_SHARPNESS", "PRIOR_FACTOR", "TICK_MM", "Ruler", "find_ruler"]

TICK_MM: tuple[float, ...] = (10.0, 5.0, 2.0, 1.0)
"""Tick intervals a ruler may show, mm."""

PRIOR_FACTOR = 1.45
"""A ruler's spacing is taken only within this factor of the spacing expected."""

PERIOD_PX = (2.5, 80.0)
"""Tick periods looked for, pixels."""

MIN_SCORE = 8.0
"""Smallest score (spectral peak over median, times the excess over the
neighbouring strips) of a ruler."""

MIN_PERIODS = 40.0
"""A ruler's strip holds at least this many tick periods along the film."""

MIN_SHARPNESS = 0.65
"""Share of the power near the tick frequency that lies in its peak (within 1.5
frequency bins over the strip's whole length): a ruler is strictly periodic, bone
texture or writing is not."""

_STRIP = 3
_WINDOW = 512
_MAX_SIDE = 4096


@dataclass(frozen=True)
class Ruler:
    """A ruler found on the film.

    Attributes
    ----------
    spacing_mm : float
        Pixel spacing it gives, mm per pixel of the film as given (square pixels).
    period_px : float
        Distance between neighbouring ticks, pixels.
    tick_mm : float
        Tick interval taken, mm.
    axis : {'vertical', 'horizontal'}
        Direction the ruler runs along.
    position_px : float
        Column (vertical ruler) or row (horizontal) of its middle, pixels.
    score : float
        The strip's spectral peak over the median of its spectrum, times its excess
        over the neighbouring strips (over 10).
    confidence : float
        In [0, 1], from the score.
    """

    spacing_mm: float
    period_px: float
    tick_mm: float
    axis: str
    position_px: float
    score: float
    confidence: float


def find_ruler(pixels: ArrayLike, *, prior_mm: float) -> Ruler | None:
    """Find a cm ruler on a film and the spacing it gives, or None.

    Parameters
    ----------
    pixels : array_like, shape (rows, columns)
        The film, bone (and the ruler's metal) bright.
    prior_mm : float
        The spacing expected from the film's size (mm per pixel): it decides the tick
        interval, and a ruler giving a spacing more than :data:`PRIOR_FACTOR` away
        from it is not taken.

    Returns
    -------
    Ruler or None
    """
    image = np.asarray(pixels, dtype=np.float32)
    if image.ndim != 2 or min(image.shape) < 32 or not prior_mm > 0:
        return None
    step = int(np.ceil(max(image.shape) / _MAX_SIDE))
    if step > 1:
        image = image[: image.shape[0] // step * step, : image.shape[1] // step * step]
        image = image.reshape(image.shape[0] // step, step, image.shape[1] // step, step)
        image = image.mean(axis=(1, 3))
    lo, hi = np.percentile(image, [0.5, 99.8])
    if hi <= lo:
        return None
    image = np.clip((image - lo) / (hi - lo), 0.0, 1.0)
    best: Ruler | None = None
    for axis, film in (("vertical", image), ("horizontal", image.T)):
        found = _along(film, prior_mm * step, axis)
        if found is not None and (best is None or found.confidence > best.confidence):
            best = found
    if best is None or step == 1:
        return best
    return Ruler(
        best.spacing_mm / step,
        best.period_px * step,
        best.tick_mm,
        best.axis,
        best.position_px * step,
        best.score,
        best.confidence,
    )


def _along(film: NDArray[np.float32], prior_mm: float, axis: str) -> Ruler | None:
    """A ruler running down the rows of `film` (ticks across it)."""
    rows, cols = film.shape
    # the running mean removed spans 6 mm at the prior spacing (5 and 10 mm ticks stay)
    high = film - ndimage.uniform_filter1d(film, max(8, round(6.0 / prior_mm)), axis=0)
    n_strips = cols // _STRIP
    if n_strips < 3 or rows < 8 * PERIOD_PX[0]:
        return None
    strips = high[:, : n_strips * _STRIP].reshape(rows, n_strips, _STRIP).mean(axis=2)
    # a window holds at least 16 periods of 10 mm at the prior spacing
    window = min(rows, max(_WINDOW, 2 ** int(np.ceil(np.log2(160.0 / prior_mm)))))
    starts = range(0, rows - window + 1, window // 2)
    taper = np.hanning(window).astype(np.float32)
    power = np.zeros((n_strips, window // 2 + 1), np.float64)
    for start in starts:
        seg = strips[start : start + window] - strips[start : start + window].mean(axis=0)
        power += np.abs(np.fft.rfft(seg * taper[:, None], axis=0).T) ** 2
    freq = np.fft.rfftfreq(window)
    band = (freq >= 1.0 / PERIOD_PX[1]) & (freq <= 1.0 / PERIOD_PX[0])
    if not band.any():
        return None
    sub = power[:, band]
    median = np.median(sub, axis=1) + 1e-12
    k = np.argmax(sub, axis=1)
    peak = sub[np.arange(n_strips), k]
    # the same frequency in strips 12-30 pixels to either side: a ruler is local
    near = np.zeros(n_strips)
    offsets = [o for o in range(-30 // _STRIP, 30 // _STRIP + 1) if abs(o) * _STRIP >= 12]
    for i in range(n_strips):
        others = [sub[i + o, k[i]] for o in offsets if 0 <= i + o < n_strips]
        near[i] = float(np.median(others)) if others else np.inf
    score = (peak / median) * np.clip(peak / (near + 1e-12), 0.0, 10.0) / 10.0
    for i in np.argsort(score)[::-1][:5]:
        if not score[i] >= MIN_SCORE:
            break
        rough = _fundamental(power[i], freq, float(freq[band][k[i]]))
        period, sharpness = _refine_period(strips[:, i], 1.0 / rough)
        if rows / period < MIN_PERIODS or sharpness < MIN_SHARPNESS:
            continue  # not one strictly periodic pattern along the film
        miss, tick = min((abs(np.log(t / period / prior_mm)), t) for t in TICK_MM)
        if miss > np.log(PRIOR_FACTOR):
            continue
        confidence = float(np.clip((sharpness - MIN_SHARPNESS) / (1.0 - MIN_SHARPNESS), 0, 1))
        position = (i + 0.5) * _STRIP
        return Ruler(tick / period, period, tick, axis, position, float(score[i]), confidence)
    return None


def _fundamental(
    power: NDArray[np.float64], freq: NDArray[np.floating[Any]], peak: float
) -> float:
    """The tick frequency of a strip whose strongest spectral peak is at `peak`: thin
    ticks have strong harmonics, so the lowest whole fraction of `peak` (down to a
    eighth, within the periods looked for) that still carries a quarter of its power."""
    top = float(power[int(np.argmin(np.abs(freq - peak)))])
    for m in range(8, 1, -1):
        f = peak / m
        if f < 1.0 / PERIOD_PX[1]:
            continue
        j = int(np.argmin(np.abs(freq - f)))
        if float(power[max(j - 1, 0) : j + 2].max()) >= 0.25 * top:
            return f
    return peak


def _refine_period(profile: NDArray[np.float32], rough: float) -> tuple[float, float]:
    """The period (pixels) of `profile` near `rough`, from its whole length (the
    spectral peak by parabolic interpolation), and the share of the power within 15 %
    of its frequency that lies within 1.5 bins of it (near 1 for one strictly periodic
    pattern along the whole profile)."""
    n = len(profile)
    values = profile - profile.mean()
    spectrum = np.abs(np.fft.rfft(values * np.hanning(n))) ** 2
    k0 = int(round(n / rough))
    lo, hi = max(1, int(k0 * 0.9) - 1), min(len(spectrum) - 2, int(k0 * 1.1) + 1)
    if hi <= lo:
        return rough, 0.0
    k = lo + int(np.argmax(spectrum[lo : hi + 1]))
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) < 0 else 0.0
    peak = k + float(np.clip(shift, -0.5, 0.5))
    bins = np.arange(len(spectrum))
    near = spectrum[np.abs(bins - peak) <= 1.5].sum()
    wide = spectrum[np.abs(bins - peak) <= 0.15 * peak].sum()
    return float(n / peak), float(near / wide) if wide > 0 else 0.0
