"""The scale a film shows: a ruler's, else its femoral shafts', else its size's.

Detection looks for anatomical sizes (a femoral head's radius, a joint space, a
cortex), so it needs the film's scale. A film without a pixel spacing is read at the
scale it shows: a cm ruler on it (:mod:`.ruler`), else, on a long-leg AP film, the
width of its femoral shafts (:mod:`.anatomy_scale`), else the film's size (a
long-leg cassette about 1.2 m tall, any other film about 32 cm across). Each is read
from the pixels alone: the ruler and the femora at the film-size spacing.

Examples
--------
>>> import numpy as np
>>> film = np.zeros((1200, 400), np.float32)
>>> film_scale(film, "AP long-leg")
FilmScale(spacing_mm=1.0, source='size', ruler=None)
>>> size_spacing((640, 480), "AP knee")
0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numpy.typing import NDArray

from alignment.detect.anatomy_scale import spacing_from_femur
from alignment.detect.ruler import Ruler, find_ruler

__all__ = ["RULER_CONFIDENCE", "FilmScale", "film_scale", "size_spacing"]

RULER_CONFIDENCE = 0.3
"""Smallest confidence of a ruler whose spacing is used (:mod:`.ruler`)."""


@dataclass(frozen=True)
class FilmScale:
    """The scale a film shows.

    Attributes
    ----------
    spacing_mm : float
        mm per pixel (square pixels).
    source : {'ruler', 'femur', 'size'}
        A cm ruler on the film, the width of its femoral shafts, or its size.
    ruler : Ruler or None
        The ruler, where it is the source.
    """

    spacing_mm: float
    source: str
    ruler: Ruler | None = None

    def describe(self) -> str:
        """Where the scale came from, in words (for a note)."""
        if self.ruler is not None:
            return (
                f"a ruler ({self.ruler.tick_mm:g} mm ticks, {self.ruler.axis} at "
                f"{self.ruler.position_px:.0f} px)"
            )
        return "the femoral shafts' width" if self.source == "femur" else "the film's size"


def size_spacing(shape: tuple[int, ...], kind: str) -> float:
    """A spacing (mm per pixel) from the film's size alone: a long-leg cassette is
    about 1.2 m tall, any other film about 32 cm across.

    Parameters
    ----------
    shape : tuple of int
        The film's ``(rows, columns)``.
    kind : str
        The kind of film (``'AP long-leg'``, ``'AP knee'``, ``'LAT knee'``).
    """
    rows, cols = shape[0], shape[1]
    return 1200.0 / rows if kind == "AP long-leg" else 320.0 / max(rows, cols)


def film_scale(pixels: NDArray[Any], kind: str) -> FilmScale:
    """The scale `pixels` show, read from them alone (see the module's docstring).

    Parameters
    ----------
    pixels : numpy.ndarray, shape (m, n)
        The film, bone bright.
    kind : str
        The kind of film: the femoral shafts are read on an ``'AP long-leg'`` film
        only, and the film's size is read by its kind (:func:`size_spacing`).

    Returns
    -------
    FilmScale
    """
    prior = size_spacing(pixels.shape, kind)
    ruler = find_ruler(pixels, prior_mm=prior)
    if ruler is not None and ruler.confidence >= RULER_CONFIDENCE:
        return FilmScale(ruler.spacing_mm, "ruler", ruler)
    femur = spacing_from_femur(pixels, prior_mm=prior) if kind == "AP long-leg" else None
    return FilmScale(prior, "size") if femur is None else FilmScale(femur, "femur")
