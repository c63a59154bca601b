"""The bundled sample cohort as the batch tests use it, and a fingerprint of a folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "sample_images"
"""The repository's sample cohort (films, landmarks.csv, groups.csv)."""


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below `folder`, by relative path: equal before and after
    a run when the run wrote nothing there."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
