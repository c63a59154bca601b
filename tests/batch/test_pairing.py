"""Pairing landmark files with the images found: names, several files, conflicts, order."""

from __future__ import annotations

import pandas as pd

from alignment.batch.pairing import LandmarkSource, pair_landmarks
from alignment.landmarks import validate_landmarks

HEAD = "femoral_head_center"
KEYS = ["p04_lat.dcm", "p01/ap.dcm", "p02_ap.dcm", "p03_ap.dcm", "dup/a.png", "other/a.png"]


def _source(key: str, rows: list[tuple[str, float]], landmark: str = HEAD) -> LandmarkSource:
    table = pd.DataFrame(
        [(image, "left", "AP", landmark, x, 10.0) for image, x in rows],
        columns=["image", "side", "view", "landmark", "x", "y"],
    )
    return LandmarkSource(key, validate_landmarks(table))


def test_names_are_matched_to_keys_and_the_rest_are_problems():
    sources = [
        _source("all.csv", [("p01/ap.dcm", 1), ("p02_ap", 2), ("C:\\films\\p03_ap.dcm", 3),
                            ("a.png", 4), ("p99.dcm", 5)]),
        _source("p04_lat.csv", [("anything", 6)], "knee_center"),  # one image: the file's stem
        _source("more.csv", [("p02_ap.dcm", 7)], "knee_center"),
    ]  # fmt: skip
    paired, problems = pair_landmarks(KEYS, sources)
    assert paired[["image", "landmark", "x"]].values.tolist() == [
        ["p04_lat.dcm", "knee_center", 6.0],
        ["p01/ap.dcm", HEAD, 1.0],
        ["p02_ap.dcm", HEAD, 2.0],
        ["p02_ap.dcm", "knee_center", 7.0],
        ["p03_ap.dcm", HEAD, 3.0],
    ]  # image after image in the order of the keys, each image's rows in file order
    assert sorted((name, stage) for name, stage, _ in problems) == [
        ("a.png", "pairing"), ("p99.dcm", "pairing")]  # fmt: skip
    why = {name: error for name, _, error in problems}
    assert "matches several images (dup/a.png, other/a.png)" in why["a.png"]
    assert "no such image" in why["p99.dcm"] and "all.csv" in why["p99.dcm"]


def test_a_conflict_between_files_costs_only_its_image():
    sources = [
        _source("one.csv", [("p01/ap.dcm", 1), ("p02_ap.dcm", 2)]),
        _source("two.csv", [("p02_ap.dcm", 9), ("p03_ap.dcm", 3)]),
    ]
    paired, problems = pair_landmarks(KEYS, sources)
    assert paired["image"].tolist() == ["p01/ap.dcm", "p03_ap.dcm"]
    assert [(name, stage) for name, stage, _ in problems] == [("p02_ap.dcm", "landmarks")]
    assert "landmarks of p02_ap.dcm in one.csv, two.csv" in problems[0][2]
    assert "given twice" in problems[0][2]


def test_a_file_that_names_no_image_changes_nothing():
    source = _source("one.csv", [("p01/ap.dcm", 1)])
    stray = _source("stray.csv", [("p99.dcm", 1)])
    stray.table["comment"] = "not ours"
    alone, _ = pair_landmarks(KEYS, [source])
    paired, problems = pair_landmarks(KEYS, [source, stray])
    pd.testing.assert_frame_equal(paired, alone)  # no empty "comment" column either
    assert [stage for _, stage, _ in problems] == ["pairing"]


def test_nothing_paired_is_an_empty_landmark_table():
    paired, problems = pair_landmarks(KEYS, [_source("x.csv", [("p99.dcm", 1)])])
    assert paired.empty and {"image", "landmark", "x", "y"} <= set(paired.columns)
    assert len(problems) == 1
    every_image_conflicts = [_source(f"{n}.csv", [("p02_ap.dcm", n)]) for n in (1, 2)]
    paired, problems = pair_landmarks(KEYS, every_image_conflicts)
    assert paired.empty and [stage for _, stage, _ in problems] == ["landmarks"]
    assert pair_landmarks(KEYS, [])[0].empty
