"""The batch pipeline: study folders in; results, overlays, report and DICOM out.

See :func:`run_batch` and ``docs/batch.md``. Names are imported on first use (see
:mod:`alignment._lazy`), so that the command line starts quickly.
"""

from typing import TYPE_CHECKING

from alignment._lazy import lazy_exports

if TYPE_CHECKING:  # the lazy exports below, for type checkers
    from alignment.batch.discover import Discovery, InputFile, discover_inputs
    from alignment.batch.executors import default_jobs, run_tasks
    from alignment.batch.pairing import pair_landmarks
    from alignment.batch.pipeline import ERROR_COLUMNS, BatchResult, library_versions, run_batch
    from alignment.batch.task import BatchSettings, ImageOutcome, ImageTask, process_image

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Discovery": "alignment.batch.discover",
        "InputFile": "alignment.batch.discover",
        "discover_inputs": "alignment.batch.discover",
        "default_jobs": "alignment.batch.executors",
        "run_tasks": "alignment.batch.executors",
        "pair_landmarks": "alignment.batch.pairing",
        "ERROR_COLUMNS": "alignment.batch.pipeline",
        "BatchResult": "alignment.batch.pipeline",
        "library_versions": "alignment.batch.pipeline",
        "run_batch": "alignment.batch.pipeline",
        "BatchSettings": "alignment.batch.task",
        "ImageOutcome": "alignment.batch.task",
        "ImageTask": "alignment.batch.task",
        "process_image": "alignment.batch.task",
    },
)

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
    "library_versions",
    "pair_landmarks",
    "process_image",
    "run_batch",
    "run_tasks",
]
