"""Review and place landmarks in the browser: ``alignment review``.

A local server (Starlette on uvicorn, 127.0.0.1, a per-run token) shows every film of
a study with its proposed landmarks (from landmark files, from detection, or none); the
reader drags or places points, and each change is measured by the project's engine and
written at once, atomically, to ``REVIEW_DIR/landmarks_<reader>.csv`` and
``measures_<reader>.csv``. See ``docs/review.md``.

- :func:`review` runs the server; :class:`ReviewStudy` is everything but HTTP (what the
  API calls); :func:`create_app` the ASGI app; :func:`read_review` every reader's
  landmarks of a review folder, for :func:`alignment.stats.reliability`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from alignment.review.app import TOKEN_HEADER, create_app
from alignment.review.server import LOCALHOST, film_url, review, running_server
from alignment.review.study import (
    DETECTOR,
    LEG_COLUMNS,
    LEG_STATES,
    METHODS,
    ConflictError,
    Film,
    ReviewStudy,
    check_reader,
    film_id,
    read_review,
    review_reliability,
)
from alignment.review.tiles import TILE_SIZE, Pyramid

__all__ = [
    "DETECTOR",
    "LEG_COLUMNS",
    "LEG_STATES",
    "LOCALHOST",
    "METHODS",
    "TILE_SIZE",
    "TOKEN_HEADER",
    "ConflictError",
    "Film",
    "Pyramid",
    "ReviewStudy",
    "check_reader",
    "create_app",
    "film_id",
    "film_url",
    "read_review",
    "review",
    "review_reliability",
    "running_server",
]


class _CallablePackage(types.ModuleType):
    """This package, which is also the library function :func:`review`: one public name,
    ``alignment.review``, for both (``alignment.review(study_dir, review_dir, ...)``
    runs the server; ``alignment.review.ReviewStudy`` and the rest are its parts)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return review(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
