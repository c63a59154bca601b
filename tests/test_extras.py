"""The optional extras: a core install (no ``parquet``, no ``codecs`` extra) still runs
a batch and says, in one line, what it could not do and what to install."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLosslessSV1

from alignment.batch import run_batch
from alignment.io.dicom import CODECS_SYNTAXES
from alignment.measures.presets import tomllib
from tests.io.dicom_factory import make_dataset, write_dicom

ROOT = Path(__file__).resolve().parents[1]

CODEC_MODULES = ("pylibjpeg", "openjpeg", "rle", "gdcm", "libjpeg")
"""What the ``codecs`` (and ``gpl-jpeg``) extras install, as imported."""


def _extras() -> dict[str, list[str]]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]


def test_the_test_extra_installs_the_parquet_and_codecs_extras():
    extras = _extras()
    assert "radiographic-alignment[parquet,codecs]" in extras["test"]
    assert extras["parquet"] == ["pyarrow>=15"]
    codecs = {requirement.split(">=")[0] for requirement in extras["codecs"]}
    assert codecs == {"pylibjpeg", "pylibjpeg-openjpeg", "pylibjpeg-rle", "python-gdcm"}


def _without(modules: tuple[str, ...], code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter in which importing any of `modules` fails, as
    on an install without the extra (blocked before pandas or pydicom look for them)."""
    blocked = "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run(
        [sys.executable, "-c", f"import sys\n{blocked}{code}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )


def test_without_pyarrow_a_batch_warns_once_and_removes_a_stale_parquet(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(ROOT / "sample_images", study)
    out = tmp_path / "out"
    run_batch(study, out, report=False, overlays=False, jobs=0)
    assert (out / "results.parquet").is_file()  # an earlier run, with pyarrow

    argv = ["batch", str(study), "--out", str(out), "--jobs", "0", "--no-overlays"]
    done = _without(
        ("pyarrow",),
        f"from alignment.cli import main\nsys.exit(main({[*argv, '--no-report', '--force']!r}))",
    )
    assert not (out / "results.parquet").exists()  # no stale full-precision table
    assert (out / "results.csv").is_file()
    parquet = [line for line in done.stderr.splitlines() if "arquet" in line]
    assert parquet == [
        "alignment: WARNING: Parquet not written: install radiographic-alignment[parquet]"
    ]


def test_a_film_without_its_decoder_names_the_file_and_the_extra(tmp_path):
    ds = make_dataset(np.zeros((8, 8), np.uint16))
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    ds.PixelData = encapsulate([b"\xff\xd8 not decoded \xff\xd9"])
    ds["PixelData"].VR = "OB"
    film = write_dicom(tmp_path / "knee.dcm", ds)
    assert JPEGLosslessSV1 in CODECS_SYNTAXES
    done = _without(
        CODEC_MODULES,
        "from alignment.errors import ImageReadError\n"
        "from alignment.io import read_radiograph\n"
        "try:\n"
        f"    read_radiograph({str(film)!r})\n"
        "except ImageReadError as exc:\n"
        "    print(exc)\n",
    )
    message = done.stdout.strip()
    assert message.startswith(str(film))
    assert message.endswith(
        "no decoder for JPEG Lossless, Non-Hierarchical, First-Order Prediction "
        "(Process 14 [Selection Value 1]) is installed: "
        "pip install 'radiographic-alignment[codecs]'"
    )


@pytest.mark.parametrize("blocked", [(), CODEC_MODULES])
def test_the_core_install_reads_the_sample_films(blocked):
    """README command 1 needs no extra: the sample films are JPEG-LS (pyjpegls, core)."""
    done = _without(
        blocked,
        "from alignment.io import read_radiograph\n"
        "print(read_radiograph('sample_images/case001_AP.dcm').pixels.shape)\n",
    )
    assert done.stdout.startswith("(")
