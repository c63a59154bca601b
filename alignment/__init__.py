"""alignment: lower-limb and knee-implant alignment on radiographs.

Landmarks in (placed by hand in any common tool, or found automatically), every angle
of the measurement spec out, with deviations from target, and a statistics layer that
compares study groups and writes the paper's table.
"""

from __future__ import annotations

__version__ = "0.1.0"

from alignment.errors import (
    AlignmentError,
    AnnotationError,
    ImageReadError,
    LandmarkError,
    LandmarkFileError,
    PresetError,
    UnknownLandmarkError,
)
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

__all__ = [
    "AlignmentError",
    "AnnotationError",
    "ImageReadError",
    "LandmarkError",
    "LandmarkFileError",
    "LandmarkSet",
    "MEASURES",
    "Preset",
    "RESULT_COLUMNS",
    "PresetError",
    "UnknownLandmarkError",
    "__version__",
    "landmark_sets",
    "landmark_table",
    "load_preset",
    "measure_catalogue",
    "measure_landmarks",
    "read_landmarks",
    "to_wide",
    "validate_landmarks",
    "write_landmarks",
]
