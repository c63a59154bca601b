"""The review page in a real browser: Debian's chromium driven by Playwright, against
``alignment review`` running as its own process on the sample cohort.

Off CI, a machine without chromium or playwright skips these tests with the reason; on
CI (``CI`` set) the same absence fails them (as the report's browser test does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from alignment import read_landmarks
from alignment.review import film_id
from tests.report.browser import CHROMIUM_ARGS, chromium_path
from tests.report.test_browser import _require_browser
from tests.review.conftest import SAMPLES
from tests.review.server import start_server

PAINTED = 'body[data-painted]:not([data-painted=""])'
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Server:
    def __init__(self, review_dir: Path, reader: str = "tester") -> None:
        self.review_dir = review_dir
        self.process, self.url = start_server(SAMPLES, review_dir, reader=reader)

    def stop(self) -> None:
        self.process.kill()  # as a crash or a closed terminal would
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("review"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1300, "height": 850})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: errors.append(r.url) if "127.0.0.1" not in r.url else None)
    page.errors = errors
    yield page
    context.close()


def _open(page: Any, server: Server, file: str) -> None:
    page.goto(f"{server.url}#film={film_id(file)}")
    page.wait_for_selector(PAINTED, state="attached")
    # every request of the opening (film list, film, measures, tiles) answered: a key
    # pressed now cannot be undone by a late answer resetting the page's state
    page.wait_for_load_state("networkidle")
    assert page.text_content("#film-name") == file


def _shows(page: Any, selector: str, text: str) -> None:
    """Wait until ``selector`` reads ``text``: the page draws on its next animation frame,
    so a read straight after a click or a save can still see the frame before."""
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_have_text(text)


def _saves(page: Any) -> int:
    return int(page.get_attribute("body", "data-saved") or 0)


def _wait_saved(page: Any, before: int) -> None:
    page.wait_for_selector(f'body[data-saved="{before + 1}"]', state="attached")


def _value(page: Any, measure: str) -> str:
    return page.text_content(f'#measures tr[data-measure="{measure}"] td.value') or ""


def _handle(page: Any, side: str, landmark: str) -> Any:
    return page.locator(f'g.handle[data-side="{side}"][data-landmark="{landmark}"]')


def _centre(locator: Any) -> tuple[float, float]:
    """Where a handle is on the page (the overlay is redrawn often: read its position)."""
    found = re.fullmatch(r"translate\((\S+) (\S+)\)", locator.get_attribute("transform"))
    assert found is not None
    x, y = found.groups()
    stage = locator.page.locator("#stage").bounding_box()
    return stage["x"] + float(x), stage["y"] + float(y)


def test_drag_a_landmark_see_the_angle_change_and_keep_it_after_reload(
    page: Any, server: Server
) -> None:
    _open(page, server, "case002_AP.dcm")
    page.wait_for_selector('#measures tr[data-measure="hka"]')
    before = _value(page, "hka")
    ankle = _handle(page, "left", "ankle_center")
    x, y = _centre(ankle)
    saves = _saves(page)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 3, steps=5)
    page.mouse.move(x + 40, y + 5, steps=5)
    page.mouse.up()
    _wait_saved(page, saves)
    after = _value(page, "hka")
    assert after != before
    _shows(page, "#films li.current .state", "in progress")
    page.reload()
    page.wait_for_selector(PAINTED, state="attached")
    page.wait_for_selector('#measures tr[data-measure="hka"]')
    assert _value(page, "hka") == after
    moved = _centre(_handle(page, "left", "ankle_center"))
    assert moved == pytest.approx((x + 40, y + 5), abs=1.5)
    table = read_landmarks(server.review_dir / "landmarks_tester.csv")
    method = table.set_index(["image", "side", "landmark"])["method"]
    assert method["case002_AP.dcm", "left", "ankle_center"] == "moved"
    assert method["case002_AP.dcm", "left", "femoral_head_center"] == "file"
    assert page.errors == []


def test_guided_placement_of_a_missing_landmark(page: Any, server: Server) -> None:
    _open(page, server, "case001_AP.dcm")  # its left leg has no landmarks
    page.click('#legs button[data-side="left"]')
    _shows(page, "#prompt", "Click the femoral head center (left leg).")
    box = page.locator("#stage").bounding_box()
    saves = _saves(page)
    target = (box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.2)
    page.mouse.click(*target)
    _wait_saved(page, saves)
    assert _centre(_handle(page, "left", "femoral_head_center")) == pytest.approx(target, abs=1.5)
    _shows(page, "#prompt", "Click the femoral shaft proximal (left leg).")
    saves = _saves(page)
    page.keyboard.press("Control+z")  # undo: the point goes, and that is saved too
    _wait_saved(page, saves)
    assert _handle(page, "left", "femoral_head_center").count() == 0
    page.keyboard.press("Control+Shift+z")  # redo
    _wait_saved(page, saves + 1)
    assert _centre(_handle(page, "left", "femoral_head_center")) == pytest.approx(target, abs=1.5)
    table = read_landmarks(server.review_dir / "landmarks_tester.csv")
    placed = table[(table["image"] == "case001_AP.dcm") & (table["side"] == "left")]
    assert placed[["landmark", "method"]].values.tolist() == [["femoral_head_center", "placed"]]
    assert page.errors == []


def test_circle_tool_places_the_femoral_head_centre(page: Any, server: Server) -> None:
    _open(page, server, "case003_AP.dcm")
    head = _handle(page, "left", "femoral_head_center")
    hx, hy = _centre(head)
    centre, radius = (hx + 25.0, hy + 10.0), 18.0
    page.keyboard.press("c")
    page.wait_for_selector('#prompt:has-text("Circle tool: click point 1 of 3")')
    saves = _saves(page)
    for degrees in (0, 100, 220):
        angle = math.radians(degrees)
        x, y = centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle)
        page.mouse.click(x, y)
    _wait_saved(page, saves)
    assert _centre(_handle(page, "left", "femoral_head_center")) == pytest.approx(centre, abs=1.5)
    assert page.errors == []


def test_mark_a_leg_not_measurable_with_a_reason(page: Any, server: Server) -> None:
    _open(page, server, "case004_AP.dcm")
    page.click('#legs button[data-side="left"]')
    page.keyboard.press("x")
    saves = _saves(page)
    page.fill("#reason", "knee <prosthesis> out of the field")
    page.keyboard.press("Enter")
    _wait_saved(page, saves)
    _shows(page, '#legs button[data-side="left"] .state', "not measurable")
    _shows(page, "#prompt", "Not measurable: knee <prosthesis> out of the field")
    assert _handle(page, "left", "ankle_center").count() == 0
    legs = pd.read_csv(server.review_dir / "legs_tester.csv", keep_default_na=False)
    row = legs[(legs["image"] == "case004_AP.dcm") & (legs["side"] == "left")].iloc[0]
    reason = "knee <prosthesis> out of the field"
    assert (row["state"], row["reason"]) == ("not_measurable", reason)
    assert page.errors == []


def test_switch_films_with_the_keyboard(page: Any, server: Server) -> None:
    _open(page, server, "case001_AP.dcm")
    page.keyboard.press("n")
    page.wait_for_selector('#film-name:text-is("case001_LAT.dcm")')
    page.wait_for_selector(PAINTED, state="attached")
    assert page.locator("g.handle").count() == 8  # a lateral knee's landmarks
    page.keyboard.press("p")
    page.wait_for_selector('#film-name:text-is("case001_AP.dcm")')
    page.fill("#text-filter", "case002")
    assert page.locator("#films li").count() == 2
    page.keyboard.press("Escape")  # leaves the filter box; keys steer the films again
    page.keyboard.press("n")  # the first film the filter shows
    page.wait_for_selector('#film-name:text-is("case002_AP.dcm")')
    page.keyboard.press("n")
    page.wait_for_selector('#film-name:text-is("case002_LAT.dcm")')
    page.select_option("#state-filter", "reviewed")
    assert page.locator("#films li").count() == 0
    assert page.errors == []


def test_kill_the_server_with_a_film_open_and_restart(browser: Any, tmp_path: Path) -> None:
    review_dir = tmp_path / "review"
    first = Server(review_dir)
    context = browser.new_context(viewport={"width": 1300, "height": 850})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        _open(page, first, "case005_AP.dcm")
        knee = _handle(page, "right", "femoral_knee_center")
        x, y = _centre(knee)
        saves = _saves(page)
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 30, y + 12, steps=6)
        page.mouse.up()
        _wait_saved(page, saves)
        value = _value(page, "hka")
        first.stop()  # killed with the film open
        page.keyboard.press("a")  # a change while it is down is refused, visibly
        page.wait_for_selector("#message.error")
        assert "server" in (page.text_content("#message") or "")
        second = Server(review_dir)
        try:
            _open(page, second, "case005_AP.dcm")
            page.wait_for_selector('#measures tr[data-measure="hka"]')
            assert _value(page, "hka") == value
            assert _centre(_handle(page, "right", "femoral_knee_center")) == pytest.approx(
                (x - 30, y + 12), abs=1.5
            )
        finally:
            second.stop()
    finally:
        context.close()


def test_the_report_links_each_film_to_the_running_review_app(
    page: Any, server: Server, tmp_path: Path
) -> None:
    import html

    from alignment import run_batch

    _open(page, server, "case006_AP.dcm")
    saves = _saves(page)
    page.keyboard.press("a")  # accept: the film is saved by this reader
    _wait_saved(page, saves)
    out = tmp_path / "batch"
    run_batch(SAMPLES, out, landmarks=server.review_dir / "landmarks_tester.csv", jobs=0,
              overlays=False)  # fmt: skip
    report = (out / "report.html").read_text(encoding="utf-8")
    links = [html.unescape(h) for h in re.findall(r'<a href="(http://127[^"]+)"', report)]
    wanted = f"{server.url}#film={film_id('case006_AP.dcm')}"
    assert wanted in links
    page.goto(wanted)
    page.wait_for_selector(PAINTED, state="attached")
    assert page.text_content("#film-name") == "case006_AP.dcm"
    assert page.errors == []


def test_a_stale_save_from_a_second_tab_is_refused_and_the_page_says_why(
    browser: Any, page: Any, server: Server
) -> None:
    _open(page, server, "case006_LAT.dcm")
    other = browser.new_context(viewport={"width": 1300, "height": 850}).new_page()
    try:
        _open(other, server, "case006_LAT.dcm")
        saves = _saves(page)
        page.keyboard.press("a")  # the first tab accepts the knee
        _wait_saved(page, saves)
        other.keyboard.press("a")  # the second, opened before, is now stale
        other.wait_for_selector("#message.error")
        assert "NOT SAVED" in (other.text_content("#message") or "")
        assert "saved elsewhere" in (other.text_content("#message") or "")
        other.keyboard.press("r")  # reload shows the first tab's save
        other.wait_for_selector('#legs .state:text-is("reviewed")')
    finally:
        other.context.close()
