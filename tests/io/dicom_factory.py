"""Synthetic DICOM radiographs written with pydicom, for the I/O tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import (
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    generate_uid,
)


def stored_array(rows: int = 32, columns: int = 24, bits: int = 12, seed: int = 0) -> NDArray[Any]:
    """A reproducible ramp plus noise in [0, 2**bits - 1]."""
    rng = np.random.default_rng(seed)
    dtype = np.uint8 if bits <= 8 else np.uint16
    ramp = np.linspace(0, 2**bits - 1, rows * columns).reshape(rows, columns)
    noise = rng.integers(0, 2 ** max(bits - 4, 1), size=(rows, columns))
    return np.clip(ramp + noise, 0, 2**bits - 1).astype(dtype)


def make_dataset(
    array: NDArray[Any] | None = None,
    *,
    photometric: str = "MONOCHROME2",
    bits: int = 12,
    **attributes: Any,
) -> Dataset:
    """A DX For Presentation dataset with identifiers, pixel data and `attributes`."""
    if array is None:
        array = stored_array(bits=bits)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = DigitalXRayImageStorageForPresentation
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "DX"
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "MRN-12345"
    ds.PatientBirthDate = "19500101"
    ds.AccessionNumber = "ACC-1"
    ds.InstitutionName = "General Hospital"
    ds.set_pixel_data(array, photometric, bits)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def write_dicom(path: Path, ds: Dataset) -> Path:
    """Save `ds` as a DICOM file (with preamble and file meta)."""
    ds.save_as(path, enforce_file_format=True)
    return path
