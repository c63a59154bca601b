"""The review server's JSON API through Starlette's TestClient: token, ids, bodies,
persistence, stale saves, restarts, readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from starlette.testclient import TestClient

from alignment import measure_landmarks, read_landmarks, run_batch
from alignment.errors import ReviewError
from alignment.review import LEG_COLUMNS, ReviewStudy, create_app, film_id, read_review
from tests.review.conftest import SAMPLES, TOKEN, folder_digest

HEADERS = {"X-Alignment-Token": TOKEN}
FIELDS = ("side", "view", "landmark", "x", "y")


def _client(review_dir: Path, **options: Any) -> TestClient:
    study = ReviewStudy(SAMPLES, review_dir, **options)
    return TestClient(create_app(study, TOKEN), headers=HEADERS)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client shared by the tests that must leave nothing written (they check it)."""
    with _client(tmp_path_factory.mktemp("review"), reader="anna") as c:
        yield c


def _film(client: TestClient, name: str) -> dict[str, Any]:
    return next(f for f in client.get("/api/films").json() if f["file"] == name)


def _points(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: p[k] for k in FIELDS} for p in answer["landmarks"]]


def _hka(measures: list[dict[str, Any]], side: str) -> float:
    return next(r["value"] for r in measures if r["measure"] == "hka" and r["side"] == side)


def _written(review_dir: Path) -> list[str]:
    return sorted(p.name for p in review_dir.glob("*.csv"))


# ---------------------------------------------------------------- token


@pytest.mark.parametrize(
    "path", ["/", "/static/app.js", "/api/session", "/api/films", "/api/films/x/landmarks"]
)
def test_every_request_without_the_token_is_refused(client: TestClient, path: str) -> None:
    with TestClient(client.app) as bare:
        assert bare.get(path).status_code == 403
        assert bare.get(path, headers={"X-Alignment-Token": "wrong"}).status_code == 403
        assert bare.get(path, params={"token": TOKEN[:-1]}).status_code == 403
        assert bare.put(path, json=[]).status_code == 403
        assert "token" in bare.get(path).json()["error"]


def test_the_token_in_the_query_or_the_header_is_accepted(client: TestClient) -> None:
    bare = {"X-Alignment-Token": ""}
    assert client.get("/api/films", headers=bare, params={"token": TOKEN}).status_code == 200
    page = client.get("/", headers=bare, params={"token": TOKEN})
    assert page.status_code == 200
    assert TOKEN in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_static_serves_only_its_own_files(client: TestClient) -> None:
    assert client.get("/static/app.js").status_code == 200
    for name in ("index.html", "..%2F__init__.py", "study.py"):
        assert client.get(f"/static/{name}").status_code == 404


# ---------------------------------------------------------------- films


def test_films_are_listed_with_opaque_ids_view_legs_and_state(client: TestClient) -> None:
    films = client.get("/api/films").json()
    assert [f["file"] for f in films] == sorted(p.name for p in SAMPLES.glob("*.dcm"))
    for film in films:
        assert film["id"] == film_id(film["file"])
        assert "/" not in film["id"] and "case" not in film["id"] and "." not in film["id"]
        assert film["view"] == ("AP" if "_AP" in film["file"] else "LAT")
        assert film["state"] == "proposed"
    ap = _film(client, "case001_AP.dcm")
    assert [leg["side"] for leg in ap["legs"]] == ["right", "left"]  # laterality B


@pytest.mark.parametrize(
    "film", ["nope", "../case001_AP.dcm", "case001_AP.dcm", "%2e%2e%2fetc%2fpasswd", "0" * 16]
)
def test_an_unknown_film_id_is_404_and_nothing_is_written(client: TestClient, film: str) -> None:
    review_dir = Path(client.app.app.state.study.review_dir)  # type: ignore[attr-defined]
    for method, url in (
        ("GET", f"/api/films/{film}/landmarks"),
        ("GET", f"/api/films/{film}/measures"),
        ("GET", f"/api/films/{film}/image"),
        ("PUT", f"/api/films/{film}/landmarks"),
    ):
        answer = client.request(method, url, json=[])
        assert answer.status_code == 404, (method, url)
    assert _written(review_dir) == []


# ---------------------------------------------------------------- bodies

ONE = {"side": "right", "view": "AP", "landmark": "femoral_head_center", "x": 100.0, "y": 200.0}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        ({"points": []}, "unknown field"),
        ({"legs": []}, "missing field 'landmarks'"),
        ({"femoral": 1}, "unknown field"),
        ("text", "JSON list"),
        ([1], "expected an object"),
        ([{"side": "right"}], "missing view, landmark, x, y"),
        ([ONE | {"landmark": "ankle_centre"}], "unknown landmark 'ankle_centre'"),
        ([ONE | {"landmark": "tibial_plateau_anterior"}], "not a AP landmark"),
        ([ONE | {"side": "middle"}], "invalid side"),
        ([ONE | {"view": "LAT"}], "the film is AP"),
        ([ONE | {"x": "100"}], "finite numbers"),
        ([ONE | {"x": True}], "finite numbers"),
        ([ONE | {"x": None}], "finite numbers"),
        (b'[{"side": "right", "view": "AP", "landmark": "ankle_center", "x": NaN, "y": 1}]',
         "finite numbers"),
        ([ONE | {"x": -5.0}], "outside the film"),
        ([ONE | {"y": 1e9}], "outside the film"),
        ([ONE, ONE], "given twice"),
        ({"landmarks": [], "legs": [{"side": "right", "state": "not_measurable"}]}, "a reason"),
        ({"landmarks": [], "legs": [{"side": "right", "state": "done"}]}, "unknown state"),
        ({"landmarks": [], "legs": [{"side": "up"}]}, "invalid side"),
        ({"landmarks": [], "legs": "right"}, "JSON list"),
        ({"landmarks": [], "version": 3}, "version must be a string"),
    ],
)  # fmt: skip
def test_a_malformed_body_is_400_with_the_reason_and_nothing_is_written(
    client: TestClient, body: Any, message: str
) -> None:
    film = _film(client, "case001_AP.dcm")["id"]
    before = client.get(f"/api/films/{film}/landmarks").json()
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = client.put(f"/api/films/{film}/landmarks", content=content)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    review_dir = Path(client.app.app.state.study.review_dir)  # type: ignore[attr-defined]
    assert _written(review_dir) == []
    assert client.get(f"/api/films/{film}/landmarks").json() == before


def test_a_body_too_large_is_413(client: TestClient) -> None:
    film = _film(client, "case001_AP.dcm")["id"]
    answer = client.put(f"/api/films/{film}/landmarks", content=b"[" + b" " * 2**21 + b"]")
    assert answer.status_code == 413


# ---------------------------------------------------------------- saving


def test_a_moved_point_is_measured_by_the_engine_and_written_at_once(
    tmp_path: Path, samples_digest: str
) -> None:
    review_dir = tmp_path / "review"
    with _client(review_dir, reader="anna") as client:
        film = _film(client, "case001_AP.dcm")["id"]
        before = client.get(f"/api/films/{film}/landmarks").json()
        assert {p["method"] for p in before["landmarks"]} == {"file"}
        hka_before = _hka(client.get(f"/api/films/{film}/measures").json(), "right")
        points = _points(before)
        knee = next(p for p in points if p["side"] == "right" and p["landmark"] == "ankle_center")
        knee["x"] += 15.0
        added = {"side": "left", "view": "AP", "landmark": "femoral_head_center",
                 "x": 300.5, "y": 190.25}  # fmt: skip
        answer = client.put(
            f"/api/films/{film}/landmarks",
            json=[*points, added],
            headers={"If-Match": f'"{before["version"]}"'},
        )
        assert answer.status_code == 200, answer.text
        saved = answer.json()
        assert answer.headers["etag"] == f'"{saved["version"]}"'
        assert saved["version"] != before["version"]
        assert abs(_hka(saved["measures"], "right") - hka_before) > 0.5
        assert {leg["side"]: leg["state"] for leg in saved["legs"]} == {
            "right": "in_progress",
            "left": "in_progress",
        }
    table = read_landmarks(review_dir / "landmarks_anna.csv")
    method = table.set_index(["side", "landmark"])["method"]
    assert method["right", "ankle_center"] == "moved"
    assert method["right", "femoral_head_center"] == "file"
    assert method["left", "femoral_head_center"] == "placed"
    assert set(table["reader"]) == {"anna"}
    assert set(table["case"]) == {"case001"}
    assert table["row_spacing_mm"].iloc[0] == pytest.approx(0.956, abs=1e-6)  # the film's
    left = table[table["side"] == "left"].iloc[0]
    assert (left["x"], left["y"]) == (300.5, 190.25)
    measures = pd.read_csv(review_dir / "measures_anna.csv")
    engine = measure_landmarks(table.drop(columns=["review_state", "review_reason"]))
    np.testing.assert_allclose(measures["value"], engine["value"].astype(float))
    legs = pd.read_csv(review_dir / "legs_anna.csv", keep_default_na=False)
    assert list(legs.columns) == list(LEG_COLUMNS)
    assert folder_digest(SAMPLES) == samples_digest  # inputs never modified


def test_a_stale_save_is_409_and_the_first_save_is_kept(tmp_path: Path) -> None:
    client = _client(tmp_path / "review")
    film = _film(client, "case002_AP.dcm")["id"]
    tab1 = client.get(f"/api/films/{film}/landmarks").json()
    tab2 = client.get(f"/api/films/{film}/landmarks").json()
    first = _points(tab1)
    first[0]["x"] += 3.0
    ok = client.put(
        f"/api/films/{film}/landmarks", json=first, headers={"If-Match": tab1["version"]}
    )
    assert ok.status_code == 200
    second = _points(tab2)
    second[0]["x"] -= 7.0
    stale = client.put(
        f"/api/films/{film}/landmarks",
        json={"landmarks": second, "version": tab2["version"]},
    )
    assert stale.status_code == 409
    assert "saved elsewhere" in stale.json()["error"]
    now = client.get(f"/api/films/{film}/landmarks").json()
    assert now["version"] == ok.json()["version"]
    assert now["landmarks"][0]["x"] == first[0]["x"]


def test_a_restart_shows_the_same_state_and_version(tmp_path: Path) -> None:
    review_dir = tmp_path / "review"
    with _client(review_dir, reader="anna") as client:
        film = _film(client, "case003_LAT.dcm")["id"]
        state = client.get(f"/api/films/{film}/landmarks").json()
        points = _points(state)
        points[1]["y"] += 0.1 + 1 / 3
        side = state["legs"][0]["side"]
        body = {"landmarks": points, "legs": [{"side": side, "state": "reviewed"}]}
        answer = client.put(f"/api/films/{film}/landmarks", json=body)
        assert answer.status_code == 200, answer.text
        saved = answer.json()
        films = client.get("/api/films").json()
    with _client(review_dir, reader="anna") as again:
        after = again.get(f"/api/films/{film}/landmarks").json()
        assert after["version"] == saved["version"]
        assert _points(after) == points
        assert after["state"] == "reviewed"
        assert again.get("/api/films").json() == films
        assert again.get(f"/api/films/{film}/measures").json() == saved["measures"]
        points[0]["x"] += 1.0  # editing an accepted leg opens it again
        reopened = again.put(f"/api/films/{film}/landmarks", json=points).json()
        assert reopened["legs"][0]["state"] == "in_progress"


def test_a_leg_marked_not_measurable_keeps_its_reason_and_leaves_the_landmarks(
    tmp_path: Path,
) -> None:
    review_dir = tmp_path / "review"
    with _client(review_dir, reader="bo") as client:
        film = _film(client, "case001_AP.dcm")["id"]
        state = client.get(f"/api/films/{film}/landmarks").json()
        reason = "ankle cut off <b>& rotated</b>"
        body = {
            "landmarks": _points(state),
            "legs": [{"side": "right", "state": "not_measurable", "reason": reason}],
        }
        saved = client.put(f"/api/films/{film}/landmarks", json=body).json()
        legs = {leg["side"]: leg for leg in saved["legs"]}
        assert legs["right"] == {"side": "right", "view": "AP", "state": "not_measurable",
                                 "reason": reason}  # fmt: skip
        assert saved["measures"] == []
        assert _film(client, "case001_AP.dcm")["state"] == "in_progress"
    assert not (read_landmarks(review_dir / "landmarks_bo.csv")["image"] == "case001_AP.dcm").any()
    legs_file = pd.read_csv(review_dir / "legs_bo.csv", keep_default_na=False)
    assert legs_file.loc[legs_file["side"] == "right", "reason"].item() == reason


def test_other_readers_are_shown_unless_blind(tmp_path: Path) -> None:
    review_dir = tmp_path / "review"
    with _client(review_dir, reader="anna") as anna:
        film = _film(anna, "case004_AP.dcm")["id"]
        anna.put(f"/api/films/{film}/landmarks", json=_points(anna.get(
            f"/api/films/{film}/landmarks").json()))  # fmt: skip
    with _client(review_dir, reader="bo") as bo:
        others = bo.get(f"/api/films/{film}/landmarks").json()["others"]
        assert others and {o["reader"] for o in others} == {"anna"}
    with _client(review_dir, reader="bo", blind=True) as blind:
        assert blind.get(f"/api/films/{film}/landmarks").json()["others"] == []
        assert blind.get("/api/session").json()["blind"] is True


def test_without_landmark_files_every_point_is_placed_by_the_reader(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    (study / "case001_AP.dcm").write_bytes((SAMPLES / "case001_AP.dcm").read_bytes())
    with TestClient(create_app(ReviewStudy(study, tmp_path / "r"), TOKEN), headers=HEADERS) as c:
        films = c.get("/api/films").json()
        assert films[0]["state"] == "not_started"
        answer = c.get(f"/api/films/{films[0]['id']}/landmarks").json()
        assert answer["landmarks"] == []
        assert c.get(f"/api/films/{films[0]['id']}/measures").json() == []


# ---------------------------------------------------------------- pixels


def test_tiles_and_window(client: TestClient) -> None:
    film = _film(client, "case001_AP.dcm")["id"]
    image = client.get(f"/api/films/{film}/image").json()
    assert (image["rows"], image["columns"]) == (1200, 400)
    assert image["levels"][0] == [1200, 400]
    assert image["identifiers"] == {}
    tile = client.get(f"/api/films/{film}/tiles/0/0/1.png", params={"center": 2000, "width": 100})
    assert tile.status_code == 200
    assert tile.content[:4] == b"\x89PNG"
    assert client.get(f"/api/films/{film}/tiles/0/5/0.png").status_code == 404
    assert client.get(f"/api/films/{film}/tiles/9/0/0.png").status_code == 404
    assert client.get(f"/api/films/{film}/tiles/0/0/0.png?width=0").status_code == 400
    assert client.get(f"/api/films/{film}/tiles/0/0/0.png?width=x").status_code == 400


def test_identifiers_reach_the_page_only_when_asked_for(tmp_path: Path) -> None:
    with _client(tmp_path / "r", keep_identifiers=True) as client:
        film = _film(client, "case001_AP.dcm")["id"]
        assert (
            "SAMPLE" in client.get(f"/api/films/{film}/image").json()["identifiers"]["PatientName"]
        )


# ---------------------------------------------------------------- readers and batch


def test_a_bad_reader_name_is_refused() -> None:
    with pytest.raises(ReviewError, match="invalid reader name '../x'"):
        ReviewStudy(SAMPLES, "unused", reader="../x")


def test_the_reviewed_landmarks_feed_batch_and_reliability(tmp_path: Path) -> None:
    review_dir = tmp_path / "review"
    for reader, shift in (("anna", 0.0), ("bo", 4.0)):
        with _client(review_dir, reader=reader) as client:
            for film in client.get("/api/films").json():
                points = _points(client.get(f"/api/films/{film['id']}/landmarks").json())
                for i, p in enumerate(points):
                    p["x"] = min(p["x"] + shift * (i % 3 - 1), 399.0)
                client.put(f"/api/films/{film['id']}/landmarks", json=points)
    table = read_review(review_dir)
    assert set(table["reader"]) == {"anna", "bo"}
    result = run_batch(
        SAMPLES,
        tmp_path / "batch",
        landmarks=review_dir / "landmarks_anna.csv",
        jobs=0,
        overlays=False,
        report=False,
    )
    assert result.errors.empty, result.errors
    mine = pd.read_csv(review_dir / "measures_anna.csv")
    merged = result.results.merge(mine, on=["image", "side", "view", "measure"])
    assert len(merged) == len(mine)
    np.testing.assert_allclose(merged["value_x"].astype(float), merged["value_y"], equal_nan=True)


def test_the_command_line_refuses_a_bad_reader_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alignment.cli import exitcodes, main

    code = main(["review", str(SAMPLES), "--out", str(tmp_path), "--reader", "a/b"])
    assert code == exitcodes.INPUT_ERROR
    assert "invalid reader name 'a/b'" in capsys.readouterr().err


def test_detection_proposes_once_and_reliability_compares_readers_and_detector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alignment.cli import exitcodes, main

    study = tmp_path / "study"
    study.mkdir()
    for name in ("case001_AP.dcm", "case002_AP.dcm", "case003_AP.dcm"):
        (study / name).write_bytes((SAMPLES / name).read_bytes())
    review_dir = tmp_path / "review"
    for reader, shift in (("anna", 1.5), ("bo", -3.0)):
        study_ = ReviewStudy(study, review_dir, reader=reader, detect="missing")
        with TestClient(create_app(study_, TOKEN), headers=HEADERS) as client:
            for film in client.get("/api/films").json():
                state = client.get(f"/api/films/{film['id']}/landmarks").json()
                assert {p["method"] for p in state["landmarks"]} == {"detected"}
                points = _points(state)
                for i, p in enumerate(points):
                    p["y"] += shift * ((i * 7 + len(reader)) % 5 - 2)
                legs = [{"side": leg["side"], "state": "reviewed"} for leg in state["legs"]]
                answer = client.put(
                    f"/api/films/{film['id']}/landmarks", json={"landmarks": points, "legs": legs}
                )
                assert answer.status_code == 200
    detected = read_landmarks(review_dir / "detected.csv")
    assert set(detected["reader"]) == {"detector"}
    assert detected.groupby("image").size().min() > 8  # found once, kept for the next reader
    out = tmp_path / "reliability.csv"
    assert main(["reliability", str(review_dir), "--out", str(out)]) == exitcodes.OK
    table = pd.read_csv(out)
    assert set(table["scope"]) == {"inter", "detector:anna", "detector:bo"}
    icc = table[(table["analysis"] == "icc") & (table["measure"] == "hka")]
    assert icc["n_targets"].min() == 6  # two legs of three films
    assert "reliability of" in capsys.readouterr().out


def test_another_host_is_a_warning_and_the_runtime_file_lives_while_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from alignment.review import review, running_server

    class StopError(Exception):
        pass

    seen: dict[str, Any] = {}

    def ready(url: str) -> None:
        seen["url"], seen["server"] = url, running_server(tmp_path / "review")
        raise StopError

    with pytest.raises(StopError):
        review(SAMPLES, tmp_path / "review", host="0.0.0.0", open_browser=False, on_ready=ready)
    assert "listening on 0.0.0.0, not only on this computer" in caplog.text
    assert seen["server"]["url"] == seen["url"]
    assert seen["server"]["study_dir"] == str(SAMPLES.resolve())
    assert running_server(tmp_path / "review") is None  # removed when the server stops
    stale = tmp_path / "review" / ".review" / "server.json"
    stale.write_text(json.dumps({"url": "x", "pid": 2**22 + 12345, "study_dir": "/"}))
    assert running_server(tmp_path / "review") is None  # a killed server's file


def test_the_sample_cohort_measured_from_nothing_gives_the_same_comparison(
    tmp_path: Path,
) -> None:
    """A reader places every point of the sample cohort (as the page's guided clicks do,
    through the same API); batch on what was placed gives batch's own comparison."""
    empty = tmp_path / "no-landmarks"
    empty.mkdir()
    review_dir = tmp_path / "review"
    truth = read_landmarks(SAMPLES / "landmarks.csv")
    with _client(review_dir, reader="anna", landmarks=empty) as client:
        for film in client.get("/api/films").json():
            assert film["state"] == "not_started"
            rows = truth[truth["image"] == film["file"]]
            points = [
                dict(zip(FIELDS, r, strict=True)) for r in rows[list(FIELDS)].values.tolist()
            ]
            legs = [{"side": s, "state": "reviewed"} for s in rows["side"].unique()]
            answer = client.put(
                f"/api/films/{film['id']}/landmarks", json={"landmarks": points, "legs": legs}
            )
            assert answer.status_code == 200, answer.text
        states = {f["file"]: f["state"] for f in client.get("/api/films").json()}
        assert {states[k] for k in states if "_LAT" in k} == {"reviewed"}
        assert {states[k] for k in states if "_AP" in k} == {"in_progress"}  # one leg of two
    placed = read_landmarks(review_dir / "landmarks_anna.csv")
    assert set(placed["method"]) == {"placed"}
    options: dict[str, Any] = {
        "groups": SAMPLES / "groups.csv",
        "jobs": 0,
        "overlays": False,
        "report": False,
    }
    reviewed = run_batch(
        SAMPLES, tmp_path / "a", landmarks=review_dir / "landmarks_anna.csv", **options
    )
    direct = run_batch(SAMPLES, tmp_path / "b", landmarks=SAMPLES / "landmarks.csv", **options)
    a = pd.read_csv(tmp_path / "a" / "comparison.csv")
    b = pd.read_csv(tmp_path / "b" / "comparison.csv")
    pd.testing.assert_frame_equal(a, b)
    assert reviewed.errors.empty and direct.errors.empty


def test_alignment_review_is_the_library_function_and_the_package(monkeypatch):
    """``alignment.review(...)`` runs the server; ``alignment.review.X`` are its parts;
    importing ``alignment`` alone loads neither."""
    import subprocess
    import sys

    import alignment
    import alignment.review as package
    from alignment.review import server

    calls = []
    monkeypatch.setattr(package, "review", lambda *a, **k: calls.append((a, k)) or 0)
    assert alignment.review("study", "out", reader="A") == 0
    assert calls == [(("study", "out"), {"reader": "A"})]
    assert alignment.review.ReviewStudy is package.ReviewStudy
    assert callable(server.review)
    probe = "import sys, alignment; print('alignment.review' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False"
