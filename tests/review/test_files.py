"""The reader's files: what a sequence of saves writes, restarts, and film names that
a spreadsheet would read as formulas."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.testclient import TestClient

from alignment import read_landmarks, run_batch, write_landmarks
from alignment.csvtext import csv_text, restore_formulas
from alignment.review import TOKEN_HEADER, ReviewStudy, create_app, film_id
from tests.review.conftest import SAMPLES, TOKEN
from tests.review.server import start_server

HEADERS = {"X-Alignment-Token": TOKEN}
FIELDS = ("side", "view", "landmark", "x", "y")
FILES = ("landmarks_anna.csv", "legs_anna.csv", "measures_anna.csv")


def _client(study: Path, review_dir: Path) -> TestClient:
    return TestClient(create_app(ReviewStudy(study, review_dir, reader="anna"), TOKEN),
                      headers=HEADERS)  # fmt: skip


def _ids(client: TestClient) -> dict[str, str]:
    return {f["file"]: f["id"] for f in client.get("/api/films").json()}


def _moved(client: TestClient, id: str, dx: float) -> list[dict[str, Any]]:
    state = client.get(f"/api/films/{id}/landmarks").json()
    points = [{k: p[k] for k in FIELDS} for p in state["landmarks"]]
    points[0]["x"] += dx
    return points


def _contents(review_dir: Path) -> dict[str, str]:
    return {name: (review_dir / name).read_text(encoding="utf-8") for name in FILES}


def test_saves_write_what_a_full_rewrite_writes(tmp_path: Path) -> None:
    review_dir = tmp_path / "review"
    with _client(SAMPLES, review_dir) as client:
        ids = _ids(client)
        ap, lat, other = ids["case001_AP.dcm"], ids["case003_LAT.dcm"], ids["case002_AP.dcm"]
        gone = ids["case005_AP.dcm"]  # its right leg is marked not measurable: no points
        knee = client.get(f"/api/films/{lat}/landmarks").json()["legs"][0]["side"]
        unusable = {"side": knee, "state": "not_measurable", "reason": "+cut off"}
        for id, body in [
            (ap, _moved(client, ap, 1.0)),
            (other, {"landmarks": _moved(client, other, -1.0),
                     "legs": [{"side": "left", "state": "reviewed"}]}),
            (ap, _moved(client, ap, 0.5)),  # saved again: its rows move to the end
            (lat, {"landmarks": _moved(client, lat, 2.0), "legs": [unusable]}),
            (lat, {"landmarks": _moved(client, lat, 1.0), "legs": [{"side": knee}]}),
            (gone, {"landmarks": _moved(client, gone, 1.0), "legs": [
                {"side": "right", "state": "not_measurable", "reason": "=rotated, ok"}]}),
        ]:  # fmt: skip
            answer = client.put(f"/api/films/{id}/landmarks", json=body)
            assert answer.status_code == 200, answer.text
    saved = _contents(review_dir)
    landmarks = read_landmarks(review_dir / FILES[0])
    assert list(dict.fromkeys(landmarks["image"].astype(str))) == [
        "case002_AP.dcm", "case001_AP.dcm", "case003_LAT.dcm"
    ]  # fmt: skip
    assert saved[FILES[0]] == csv_text(landmarks)  # as write_landmarks writes the table
    legs = restore_formulas(pd.read_csv(review_dir / FILES[1], dtype=str, keep_default_na=False))
    assert "=rotated, ok" in set(legs["reason"])
    assert saved[FILES[1]] == csv_text(legs)
    with _client(SAMPLES, review_dir):  # a restart measures every film in one engine call
        assert _contents(review_dir) == saved


def _get(url: str, path: str) -> Any:
    base, token = url.split("?")[0].rstrip("/"), url.split("token=")[1]
    request = urllib.request.Request(base + path, headers={TOKEN_HEADER: token})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def _put(url: str, path: str, body: Any) -> Any:
    base, token = url.split("?")[0].rstrip("/"), url.split("token=")[1]
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="PUT",
        headers={TOKEN_HEADER: token, "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def test_a_killed_server_restarts_with_the_saved_state(tmp_path: Path) -> None:
    review_dir = tmp_path / "review"
    path = f"/api/films/{film_id('case004_AP.dcm')}/landmarks"
    process, url = start_server(SAMPLES, review_dir, reader="anna")
    try:
        state = _get(url, path)
        points = [{k: p[k] for k in FIELDS} for p in state["landmarks"]]
        points[2]["y"] += 3.0
        saved = _put(url, path, points)
        files = _contents(review_dir)
    finally:
        process.kill()  # no shutdown: what a save answered is already on disk
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
    process, url = start_server(SAMPLES, review_dir, reader="anna")
    try:
        after = _get(url, path)
    finally:
        process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
    assert after["version"] == saved["version"]
    assert [{k: p[k] for k in FIELDS} for p in after["landmarks"]] == points
    assert _contents(review_dir) == files


FORMULA_NAMES = {"=knee.dcm": "case001_AP.dcm", "-01.dcm": "case002_AP.dcm",
                 "@a.dcm": "case004_AP.dcm"}  # fmt: skip


def test_films_named_like_formulas_keep_their_points_and_feed_batch(tmp_path: Path) -> None:
    study, review_dir = tmp_path / "study", tmp_path / "review"
    study.mkdir()
    sample = read_landmarks(SAMPLES / "landmarks.csv")
    parts = []
    for name, source in FORMULA_NAMES.items():
        shutil.copyfile(SAMPLES / source, study / name)
        rows = sample[sample["image"] == source].astype({"image": object})
        parts.append(rows.assign(image=name))
    write_landmarks(pd.concat(parts, ignore_index=True), study / "landmarks.csv")
    assert "'=knee.dcm" in (study / "landmarks.csv").read_text(encoding="utf-8")
    with _client(study, review_dir) as client:
        ids = _ids(client)
        assert set(ids) == set(FORMULA_NAMES)
        moved = {}
        for name, id in ids.items():
            moved[name] = _moved(client, id, 1.5)
            assert client.put(f"/api/films/{id}/landmarks", json=moved[name]).status_code == 200
    with _client(study, review_dir) as again:
        for name, id in _ids(again).items():
            state = again.get(f"/api/films/{id}/landmarks").json()
            assert [{k: p[k] for k in FIELDS} for p in state["landmarks"]] == moved[name]
            assert state["state"] == "in_progress"
    result = run_batch(study, tmp_path / "batch", landmarks=review_dir / "landmarks_anna.csv",
                       jobs=0, overlays=False, report=False)  # fmt: skip
    assert result.errors.empty, result.errors
    assert set(result.results["image"].astype(str)) == set(FORMULA_NAMES)
    assert (result.results["status"] == "ok").any()
