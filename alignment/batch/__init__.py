"""The batch pipeline: study folders in; results, overlays, report and DICOM out.

See :func:`run_batch` and ``docs/batch.md``.
"""

from alignment.batch.discover import Discovery, InputFile, discover_inputs
from alignment.batch.executors import default_jobs, run_tasks
from alignment.batch.pairing import pair_landmarks
from alignment.batch.pipeline import ERROR_COLUMNS, BatchResult, run_batch
from alignment.batch.task import BatchSettings, ImageOutcome, ImageTask, process_image

__all__ = [
    "ERROR_COLUMNS",
    "BatchResult",
    "BatchSettings",
    "Discovery",
    "ImageOutcome",
    "ImageTask",
    "InputFile",
    "default_jobs",
    "discover_inputs",
    "pair_landmarks",
    "process_image",
    "run_batch",
    "run_tasks",
]
