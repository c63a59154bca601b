"""Reading radiographs: DICOM (any transfer syntax pydicom decodes), PNG, JPEG, TIFF.

:func:`read_radiograph` returns a frozen :class:`Radiograph` with the pixels (bone
bright), the pixel spacing and where it came from (:data:`SPACING_SOURCES`), the
magnification applied, laterality, view and a de-identified metadata dict. The rules
are written down in ``docs/io.md``.
"""

from __future__ import annotations

from alignment.io.dicom import (
    IDENTIFYING_KEYWORDS,
    METADATA_KEYWORDS,
    ImageWarning,
    resolve_spacing,
)
from alignment.io.radiograph import SPACING_SOURCES, ImageGeometry, Radiograph
from alignment.io.raster import SIDECAR_KEYS, SIDECAR_SUFFIX, read_sidecar, sidecar_path
from alignment.io.reader import DEFAULT_MAX_PIXELS, DICOM_SUFFIXES, read_radiograph

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DICOM_SUFFIXES",
    "IDENTIFYING_KEYWORDS",
    "METADATA_KEYWORDS",
    "SIDECAR_KEYS",
    "SIDECAR_SUFFIX",
    "SPACING_SOURCES",
    "ImageGeometry",
    "ImageWarning",
    "Radiograph",
    "read_radiograph",
    "read_sidecar",
    "resolve_spacing",
    "sidecar_path",
]
