"""De-identification audit: identifiers in the inputs never reach an output.

Films carry made-up identifiers in every text-bearing attribute of the PS3.15 Annex E
basic profile that a radiograph may hold (and in their file names); every command runs
on them, and every file it writes (decoded where compressed: Parquet) and everything it
prints is searched for each identifier. UIDs are outside the audit: the DICOM outputs
must reference their source image by its UIDs (see SECURITY.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pydicom
import pytest

from alignment.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"

# Annex E (basic profile) attributes with text or date values, as a DX film may carry.
PHI_ATTRIBUTES = {
    "PatientName": "PN", "PatientID": "LO", "IssuerOfPatientID": "LO",
    "PatientBirthDate": "DA", "PatientBirthTime": "TM", "OtherPatientIDs": "LO",
    "OtherPatientNames": "PN", "PatientBirthName": "PN", "PatientAddress": "LO",
    "PatientMotherBirthName": "PN", "PatientTelephoneNumbers": "SH", "MilitaryRank": "LO",
    "BranchOfService": "LO", "MedicalRecordLocator": "LO", "EthnicGroup": "SH",
    "Occupation": "SH", "AdditionalPatientHistory": "LT", "PatientComments": "LT",
    "CountryOfResidence": "LO", "RegionOfResidence": "LO", "AccessionNumber": "SH",
    "StudyID": "SH", "StudyDescription": "LO", "SeriesDescription": "LO",
    "InstitutionName": "LO", "InstitutionAddress": "ST", "InstitutionalDepartmentName": "LO",
    "ReferringPhysicianName": "PN", "ReferringPhysicianAddress": "ST",
    "PerformingPhysicianName": "PN", "OperatorsName": "PN", "PhysiciansOfRecord": "PN",
    "NameOfPhysiciansReadingStudy": "PN", "RequestingPhysician": "PN", "StationName": "SH",
    "DeviceSerialNumber": "LO", "ProtocolName": "LO", "ImageComments": "LT",
    "RequestedProcedureDescription": "LO", "PerformedProcedureStepDescription": "LO",
    "AdmittingDiagnosesDescription": "LO", "StudyDate": "DA", "SeriesDate": "DA",
    "AcquisitionDate": "DA", "ContentDate": "DA", "StudyTime": "TM", "SeriesTime": "TM",
    "AcquisitionTime": "TM", "ContentTime": "TM",
}  # fmt: skip
NAME_IN_FILE = "QQSMITHQQ"


def _value(index: int, keyword: str, vr: str) -> str:
    if vr == "DA":
        return f"19{index + 10:02d}0{1 + index % 9}1{index % 9}"
    if vr == "TM":
        return f"{index % 24:02d}{17 + index % 40:02d}{11 + index % 40:02d}.{index:03d}7"
    if vr == "PN":
        return f"ZQ{keyword[:10]}^ZQGIVEN{index:02d}"
    return f"ZQ{keyword}ZQ"[: 64 if vr == "LO" else 16 if vr == "SH" else 200]


IDENTIFIERS = {k: _value(i, k, vr) for i, (k, vr) in enumerate(PHI_ATTRIBUTES.items())}


def _needles() -> list[str]:
    needles = [NAME_IN_FILE]
    for keyword, value in IDENTIFIERS.items():
        needles += [part for part in value.split("^") if part] if "^" in value else [value]
        del keyword
    return needles


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """Two patients' films carrying every identifier, one file name carrying a name."""
    folder = tmp_path_factory.mktemp("phi") / "study"
    folder.mkdir()
    table = pd.read_csv(SAMPLES / "landmarks.csv")
    chosen = [i for i in table["image"].unique() if i.startswith(("case001", "case004"))]
    renames = {}
    for image in chosen:
        target = f"{NAME_IN_FILE}_{image}" if image.startswith("case001") else image
        renames[image] = target
        ds = pydicom.dcmread(SAMPLES / image)
        for keyword, value in IDENTIFIERS.items():
            setattr(ds, keyword, value)
        ds.save_as(folder / target)
    table = table[table["image"].isin(chosen)].copy()
    table["case"] = table["image"].map(renames).str.split("_").str[:-1].str.join("_")
    table["image"] = table["image"].map(renames)
    table.to_csv(folder / "landmarks.csv", index=False)
    cases = table["case"].unique()
    pd.DataFrame({"case": cases, "group": ["A", "B"][: len(cases)]}).to_csv(
        folder / "groups.csv", index=False
    )
    return folder


def _texts(folder: Path) -> dict[str, bytes]:
    found = {}
    for path in folder.rglob("*"):
        if not path.is_file() or ".alignment" in path.parts:
            continue
        if path.suffix == ".parquet":  # compressed: search the decoded values
            found[str(path)] = pd.read_parquet(path).to_csv().encode()
        else:
            found[str(path)] = path.read_bytes()
    return found


def _leaks(texts: dict[str, bytes], needles: list[str]) -> list[tuple[str, str]]:
    return [(name, n) for name, data in texts.items() for n in needles if n.encode() in data]


def test_fixture_really_carries_the_identifiers(study):
    ds = pydicom.dcmread(next(study.glob(f"{NAME_IN_FILE}*AP.dcm")))
    assert str(ds.PatientName) == IDENTIFIERS["PatientName"]
    assert ds.InstitutionAddress == IDENTIFIERS["InstitutionAddress"]


def test_every_command_keeps_identifiers_out(study, tmp_path, capsys):
    needles = [n for n in _needles() if n != NAME_IN_FILE]  # file names: next test
    out = tmp_path / "batch"
    films = sorted(str(p) for p in study.glob("*.dcm"))
    commands = [
        ["batch", str(study), "--out", str(out), "--groups", str(study / "groups.csv"),
         "--dicom-sr", "--jobs", "2"],
        ["measure", str(out / "landmarks.csv"), "--out", str(tmp_path / "measured.csv")],
        ["compare", str(out / "results.csv"), "--groups", str(study / "groups.csv"),
         "--out", str(tmp_path / "table.html")],
        ["info", "--json", *films],
        ["info", *films],
        ["detect", *films, "--out", str(tmp_path / "detected.csv"), "--overlay",
         str(tmp_path / "detected")],
        ["batch", str(study), "--out", str(tmp_path / "detected_batch"), "--detect", "--jobs",
         "2", "--quiet"],
    ]  # fmt: skip
    printed = []
    for argv in commands:
        assert main(argv) in (0, 1), argv  # 1: detection could not find everything
        captured = capsys.readouterr()
        printed.append(captured.out + captured.err)
    texts = _texts(out) | _texts(tmp_path)
    assert any(name.endswith("_sr.dcm") for name in texts) and any(
        name.endswith(".png") for name in texts
    )
    assert _leaks(texts, needles) == []
    assert _leaks({"stdout": "\n".join(printed).encode()}, needles) == []


def test_pseudonymised_batch_hides_file_names_too(study, tmp_path):
    out = tmp_path / "batch"
    argv = ["batch", str(study), "--out", str(out), "--groups", str(study / "groups.csv"),
            "--dicom-sr", "--pseudonymise", "--jobs", "2", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    assert _leaks(_texts(out), _needles()) == []
