"""alignment: lower-limb and knee-implant alignment on radiographs.

Landmarks in (placed by hand in any common tool, or found automatically), every angle
of the measurement spec out, with deviations from target, and a statistics layer that
compares study groups and writes the paper's table.

The public API: landmark files (:func:`read_landmarks`, :func:`write_landmarks`,
:class:`LandmarkSet`), images (:func:`read_radiograph`), measurement
(:func:`measure_landmarks`, :func:`to_wide`, :func:`load_preset`), folders
(:func:`run_batch`), review in the browser (:func:`review`), and the subpackages
:mod:`alignment.stats`, :mod:`alignment.annotations`, :mod:`alignment.phantom` and
:mod:`alignment.report`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from alignment._lazy import lazy_exports
from alignment.errors import (
    AlignmentError,
    AnnotationError,
    BatchError,
    ImageReadError,
    ImageTooLargeError,
    LandmarkError,
    LandmarkFileError,
    OutputExistsError,
    PhantomError,
    PresetError,
    StatsError,
    UnknownLandmarkError,
)

if TYPE_CHECKING:  # the lazy exports below, for type checkers
    from alignment import review
    from alignment.batch import BatchResult, run_batch
    from alignment.io import Radiograph, read_radiograph
    from alignment.landmarks import (
        LandmarkSet,
        landmark_sets,
        landmark_table,
        read_landmarks,
        validate_landmarks,
        write_landmarks,
    )
    from alignment.measures import (
        MEASURES,
        RESULT_COLUMNS,
        Preset,
        load_preset,
        measure_catalogue,
        measure_landmarks,
        to_wide,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "BatchResult": "alignment.batch",
        "run_batch": "alignment.batch",
        "Radiograph": "alignment.io",
        "read_radiograph": "alignment.io",
        "LandmarkSet": "alignment.landmarks",
        "landmark_sets": "alignment.landmarks",
        "landmark_table": "alignment.landmarks",
        "read_landmarks": "alignment.landmarks",
        "validate_landmarks": "alignment.landmarks",
        "write_landmarks": "alignment.landmarks",
        "MEASURES": "alignment.measures",
        "RESULT_COLUMNS": "alignment.measures",
        "Preset": "alignment.measures",
        "load_preset": "alignment.measures",
        "measure_catalogue": "alignment.measures",
        "measure_landmarks": "alignment.measures",
        "to_wide": "alignment.measures",
    },
)

__all__ = [
    "MEASURES",
    "RESULT_COLUMNS",
    "AlignmentError",
    "AnnotationError",
    "BatchError",
    "BatchResult",
    "ImageReadError",
    "ImageTooLargeError",
    "LandmarkError",
    "LandmarkFileError",
    "LandmarkSet",
    "OutputExistsError",
    "PhantomError",
    "Preset",
    "PresetError",
    "Radiograph",
    "StatsError",
    "UnknownLandmarkError",
    "__version__",
    "landmark_sets",
    "landmark_table",
    "load_preset",
    "measure_catalogue",
    "measure_landmarks",
    "read_landmarks",
    "read_radiograph",
    "review",
    "run_batch",
    "to_wide",
    "validate_landmarks",
    "write_landmarks",
]
