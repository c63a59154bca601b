"""The project's one error hierarchy.

Every error the toolkit raises on purpose derives from :class:`AlignmentError`, and
also from the built-in exception that matches its kind (``ValueError`` for a wrong
value, ``OSError`` for a file that cannot be read), so callers can catch either.
Messages name the file (and row, where there is one), what was found and what was
expected.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = [
    "Interrupted",
    "RUNTIME_LIMITS",
    "AlignmentError",
    "typed_errors",
    "BatchError",
    "AnnotationError",
    "ImageReadError",
    "ImageTooLargeError",
    "LandmarkError",
    "LandmarkFileError",
    "OutputExistsError",
    "PhantomError",
    "PresetError",
    "ReviewError",
    "StatsError",
    "UnknownLandmarkError",
]


class AlignmentError(Exception):
    """Root of every error raised on purpose by :mod:`alignment`."""


class LandmarkError(AlignmentError, ValueError):
    """A landmark set or table is not valid (unknown side, view, duplicate point ...)."""


class UnknownLandmarkError(LandmarkError):
    """A landmark name outside the fixed vocabulary of the measurement spec.

    Parameters
    ----------
    name : str
        The name that was given.
    suggestions : sequence of str
        The closest valid names, best first.
    where : str, optional
        The file and row (or other context) the name came from.
    """

    def __init__(self, name: str, suggestions: list[str], where: str = "") -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}unknown landmark {name!r}{hint}")


class LandmarkFileError(LandmarkError):
    """A landmark file (canonical CSV or JSON) is malformed."""


class AnnotationError(LandmarkFileError):
    """A foreign annotation file (Slicer, LabelMe, COCO, CVAT, ImageJ, ...) is malformed."""


class PresetError(AlignmentError, ValueError):
    """A target preset is unknown or malformed."""


class ImageReadError(AlignmentError, OSError):
    """A radiograph cannot be read: missing, corrupt, unsupported or too large."""


class StatsError(AlignmentError, ValueError):
    """A table given to :mod:`alignment.stats` cannot be analysed as asked.

    Raised for a missing column, an unknown option value, or a design the analysis
    cannot take (for example three groups where two are compared).
    """


class ImageTooLargeError(ImageReadError):
    """A radiograph declares more pixels than the configured limit; nothing was allocated."""


class PhantomError(AlignmentError, ValueError):
    """Parameters of a synthetic radiograph (:mod:`alignment.phantom`) are out of range."""


class BatchError(AlignmentError, OSError):
    """A batch cannot run: the input folder is missing, or the output folder is locked
    by another run or cannot be written."""


class ReviewError(AlignmentError, ValueError):
    """A review session cannot start (bad reader name, no films), or a request to the
    review server is invalid (unknown film, malformed landmarks)."""


class Interrupted(KeyboardInterrupt):
    """A run was asked to stop by a signal (SIGINT or SIGTERM) and stopped cleanly.

    A :class:`KeyboardInterrupt`, so that code which handles Ctrl-C handles it too.

    Attributes
    ----------
    signum : int
        The signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


RUNTIME_LIMITS: tuple[type[BaseException], ...] = (TimeoutError,)
"""Errors that say nothing about the file being read: a time limit struck while
reading it. Readers let them through unwrapped, so that a batch records them as such
(stage ``timeout``, tried again by the next run) and not as a file that can never be
read. A :class:`MemoryError` is wrapped like any other error (a file may declare an
absurd size): its message names it, and a batch records it as stage ``memory``."""


class OutputExistsError(AlignmentError, FileExistsError):
    """An output folder already holds files that are not this toolkit's to replace
    (pass ``overwrite=True``, or ``--overwrite``, to write into it anyway)."""


@contextlib.contextmanager
def typed_errors(error: type[AlignmentError], path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn anything unexpected raised in the block into `error`, naming `path`.

    The boundary of every reader of untrusted files: third-party parsers and decoders
    raise whatever they like (``struct.error``, ``KeyError``, ``RecursionError``, a
    Rust panic that is not even an ``Exception``). The project's own errors and
    interrupts pass through unchanged, and so do :data:`RUNTIME_LIMITS`.

    Examples
    --------
    >>> with typed_errors(ImageReadError, "film.dcm"):
    ...     {}["Rows"]
    Traceback (most recent call last):
    ...
    alignment.errors.ImageReadError: film.dcm: malformed file: KeyError: 'Rows'
    """
    try:
        yield
    except (AlignmentError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except RUNTIME_LIMITS:
        raise
    except BaseException as exc:
        raise error(f"{os.fspath(path)}: malformed file: {type(exc).__name__}: {exc}") from exc
