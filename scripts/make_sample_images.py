"""Regenerate the committed ``sample_images/`` folder, byte for byte.

A small ``psi-vs-ci`` cohort (3 PSI and 3 CI patients, an AP long-leg and a lateral
knee film each), downscaled to 1 mm pixels on the long-leg films, JPEG-LS lossless
DICOM, with ``landmarks.csv``, ``truth.csv``, ``groups.csv`` and ``scores.csv``.

Usage::

    python scripts/make_sample_images.py          # rewrite sample_images/
    python scripts/make_sample_images.py --check  # exit 1 if a file would change
    python scripts/make_sample_images.py --docs   # also the PNGs of docs/images/
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

from alignment.phantom import generate_phantoms

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "sample_images"
DOCS = ROOT / "docs" / "images"
OPTIONS = {
    "n": 6,
    "seed": 2024,
    "cohort": "psi-vs-ci",
    "fmt": "dicom",
    "downscale": 5.0,
    "compression": "jpeg-ls",
}


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix in (".dcm", ".csv")
    }


def _doc_images() -> list[Path]:
    """Downscaled 8-bit PNGs of the first patient's films, for docs/phantom.md."""
    import numpy as np
    from PIL import Image

    from alignment.io import read_radiograph

    DOCS.mkdir(parents=True, exist_ok=True)
    written = []
    for view, width in (("AP", 200), ("LAT", 240)):
        image = read_radiograph(FOLDER / f"case001_{view}.dcm")
        grey = np.clip(image.display() * 255.0 + 0.5, 0, 255).astype(np.uint8)
        picture = Image.fromarray(grey)
        height = round(picture.height * width / picture.width)
        path = DOCS / f"phantom_{view.lower()}.png"
        picture.resize((width, height), Image.Resampling.LANCZOS).save(path, optimize=True)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--docs", action="store_true", help="also write docs/images/*.png")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as temporary:
            generate_phantoms(temporary, **OPTIONS)  # type: ignore[arg-type]
            fresh = _digests(Path(temporary))
        committed = _digests(FOLDER) if FOLDER.is_dir() else {}
        names = set(fresh) | set(committed)
        changed = sorted(n for n in names if fresh.get(n) != committed.get(n))
        for name in changed:
            print(f"differs: {name}")
        return 1 if changed else 0
    FOLDER.mkdir(exist_ok=True)
    for stale in _digests(FOLDER):
        (FOLDER / stale).unlink()
    written = generate_phantoms(FOLDER, **OPTIONS)  # type: ignore[arg-type]
    total = sum(p.stat().st_size for p in FOLDER.iterdir() if p.is_file())
    print(f"{len(written.images)} films, {total / 1e6:.2f} MB in {FOLDER}")
    if args.docs:
        for path in _doc_images():
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
