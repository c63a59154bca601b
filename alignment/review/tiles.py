"""An image pyramid of a film, cut into windowed 8-bit PNG tiles for the browser.

Level 0 is the film at full resolution; level ``k`` is it reduced by ``2**k`` (area
averaging), down to the first level that fits in one tile. The grey values stay those
of :attr:`alignment.io.Radiograph.pixels` (bone bright, Modality LUT applied), so the
window ``(center, width)`` the page asks for is in the film's own units and is applied
per tile: a 16-bit film keeps its full depth until the moment it is shown.

Examples
--------
>>> import numpy as np
>>> pyramid = Pyramid(np.arange(1200 * 600, dtype=np.uint16).reshape(1200, 600))
>>> pyramid.n_levels, pyramid.level_shape(1), pyramid.tile_count(0)
(3, (600, 300), (2, 3))
>>> png = pyramid.tile(2, 0, 0, (360000.0, 720000.0))
>>> png[:4]
b'\\x89PNG'
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["TILE_SIZE", "Pyramid"]

TILE_SIZE = 512
"""Edge of a tile in pixels of its level."""

_DEFAULT_PERCENTILES = (0.5, 99.5)  # of the grey values: the default window
_SAMPLE_PIXELS = 2**20  # grey values looked at for the default window


class Pyramid:
    """Reduced copies of a film, and tiles of them.

    Parameters
    ----------
    pixels : numpy.ndarray, shape (rows, columns)
        Grey values (any integer or float type).
    """

    def __init__(self, pixels: NDArray[Any]) -> None:
        image = np.asarray(pixels)
        if image.ndim != 2 or image.size == 0:
            raise ValueError(f"pixels must be a non-empty 2-D array, got shape {image.shape}")
        if image.dtype not in (np.uint8, np.uint16, np.int16, np.float32):
            image = image.astype(np.float32)
        self.levels: list[NDArray[Any]] = [image]
        while max(self.levels[-1].shape) > TILE_SIZE:
            last = self.levels[-1]
            size = (max(1, last.shape[1] // 2), max(1, last.shape[0] // 2))
            self.levels.append(cv2.resize(last, size, interpolation=cv2.INTER_AREA))
        sample = self._sample()
        low, high = (float(v) for v in np.percentile(sample, _DEFAULT_PERCENTILES))
        self.value_range = (float(sample.min()), float(sample.max()))
        if high <= low:
            low, high = self.value_range
        self.default_window = ((low + high) / 2, max(high - low, 1e-6))

    def _sample(self) -> NDArray[Any]:
        for level in self.levels:
            if level.size <= _SAMPLE_PIXELS:
                return level
        return self.levels[-1]

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    def level_shape(self, level: int) -> tuple[int, int]:
        """``(rows, columns)`` of `level`."""
        rows, columns = self.levels[level].shape
        return int(rows), int(columns)

    def tile_count(self, level: int) -> tuple[int, int]:
        """``(across, down)``: tiles of `level` along x and along y."""
        rows, columns = self.level_shape(level)
        return -(-columns // TILE_SIZE), -(-rows // TILE_SIZE)

    def tile(self, level: int, tx: int, ty: int, window: tuple[float, float]) -> bytes:
        """The PNG of tile ``(tx, ty)`` of `level`, grey values mapped through `window`.

        Raises
        ------
        IndexError
            There is no such level or tile.
        """
        if not 0 <= level < self.n_levels:
            raise IndexError(f"no level {level}")
        across, down = self.tile_count(level)
        if not (0 <= tx < across and 0 <= ty < down):
            raise IndexError(f"no tile ({tx}, {ty}) at level {level}")
        block = self.levels[level][
            ty * TILE_SIZE : (ty + 1) * TILE_SIZE, tx * TILE_SIZE : (tx + 1) * TILE_SIZE
        ]
        center, width = window
        low = center - width / 2
        scaled = (block.astype(np.float32) - np.float32(low)) * np.float32(255.0 / width)
        grey = np.clip(scaled, 0, 255).astype(np.uint8)
        ok, encoded = cv2.imencode(".png", grey, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:  # pragma: no cover - OpenCV encodes any uint8 2-D array
            raise ValueError("PNG encoding failed")
        return encoded.tobytes()
