"""Reproduce the source study from films alone: phantoms -> detection -> comparison.

1. generate the ``psi-vs-ci`` cohort (47 PSI and 53 CI knees at ``--n 100``; AP
   long-leg and lateral knee DICOM films, ``groups.csv``) without using its landmark
   file;
2. run the batch with detection (``alignment.batch.run_batch(..., detect="all")``):
   every landmark comes from :func:`alignment.detect.detect_landmarks`;
3. compare the groups (absolute deviations of FTA, FFC, FTC, LFC, LTC from their
   targets) and print the table next to the study's reported means, SDs and P values.

    python scripts/reproduce_study.py --n 100 --out study_out
    python scripts/reproduce_study.py --n 20 --downscale 2.5   # a quick look

Detection knows films, not patients: the films are grouped by their file name's case
prefix, and only the legs whose knee detection recognised as replaced are compared
(an AP film also shows the native contralateral leg). Legs that detection flags
``review`` are kept in the comparison (as the batch keeps them) and counted in the last
line.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from alignment.batch import run_batch
from alignment.phantom import generate_phantoms
from alignment.stats import compare_groups

REPORTED = pd.DataFrame(
    [
        ("fta", 1.0, 0.3, 2.2, 0.7),
        ("ffc", 0.4, 0.1, 1.3, 0.5),
        ("ftc", 0.2, 0.05, 1.2, 0.3),
        ("lfc", 4.0, 0.9, 8.8, 1.3),
        ("ltc", 0.5, 0.1, 0.9, 0.3),
    ],
    columns=["measure", "psi_mean", "psi_sd", "ci_mean", "ci_sd"],
)
"""The source study's absolute deviations (degrees), PSI (n = 47) vs CI (n = 53); every
difference reported with P < 0.05."""


def _operated_legs(results: pd.DataFrame, landmarks_csv: Path) -> pd.DataFrame:
    """The results of the replaced knees only: the study measures the operated leg,
    and an AP film shows the other (native) one too. A leg is replaced when detection
    placed its knee by the implant (method ``knee-tka`` on AP, ``lat-tray`` on LAT)."""
    if not landmarks_csv.is_file():
        return results
    used = pd.read_csv(landmarks_csv)
    if "method" not in used.columns:
        return results
    tka = used[used["method"].astype(str).isin(["knee-tka", "lat-tray"])]
    keys = set(zip(tka["image"].astype(str), tka["side"].astype(str), strict=True))
    keep = [
        (str(i), str(s)) in keys for i, s in zip(results["image"], results["side"], strict=True)
    ]
    return results[keep]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="patients (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--downscale", type=float, default=1.0, help="e.g. 2.5 for speed")
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        films = Path(tmp) / "films"
        generate_phantoms(
            films,
            n=args.n,
            seed=args.seed,
            cohort="psi-vs-ci",
            fmt="dicom",
            downscale=args.downscale,
        )
        # detection knows the film, not the patient: the batch takes the case from the
        # file name (caseNNN_AP.dcm, caseNNN_LAT.dcm), so the cohort's case,group table
        # groups the detected films as it is
        groups = pd.read_csv(films / "groups.csv")
        (films / "landmarks.csv").unlink()  # from films alone: no landmark file
        truth = pd.read_csv(films / "truth.csv")
        (films / "truth.csv").unlink()
        out = Path(args.out) if args.out else Path(tmp) / "out"
        batch = run_batch(
            films, out, groups=groups, detect="all", jobs=args.jobs, overlays=False, report=False
        )
        results = _operated_legs(batch.results, out / "landmarks.csv")
        flags = results["flags"].astype(str) if "flags" in results.columns else None
        measured = results[results["measure"].isin(list(REPORTED["measure"]))]
        valid = measured[measured["value"].notna()] if "value" in measured.columns else measured
        review = int(flags[valid.index].str.contains("review").sum()) if flags is not None else 0
        table = compare_groups(
            results, groups, measures=list(REPORTED["measure"]), order=["PSI", "CI"]
        )
    merged = table.merge(REPORTED, on="measure", how="left")
    lines = [
        "measure  detected PSI      detected CI       P        | reported PSI    reported CI",
    ]
    for row in merged.itertuples():
        lines.append(
            f"{row.measure:7s}  {row.mean1:5.2f} +- {row.sd1:4.2f}  {row.mean2:5.2f} +- "
            f"{row.sd2:4.2f}  {row.p_value:8.2g} | {row.psi_mean:4.1f} +- {row.psi_sd:4.2f}"
            f"     {row.ci_mean:4.1f} +- {row.ci_sd:4.2f}   (P < 0.05)"
        )
    print("\n".join(lines))
    n_truth = truth["image"].nunique() if "image" in truth.columns else 0
    print(
        f"\n{batch.images} films, {len(batch.errors)} error rows; truth available for "
        f"{n_truth} films (not used)"
    )
    print(
        f"study measures: {len(valid)} of {len(measured)} rows have a value; "
        f"{review} of those come from legs flagged review"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
