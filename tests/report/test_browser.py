"""The report in a real headless browser: Debian's chromium, driven by Playwright.

The page must load from ``file://`` with no console error, no failed or remote request,
show one row per case with its thumbnail, and filter its cases. The test saves a
screenshot to ``tmp_path``; ``scripts/screenshot_report.py`` makes the README's one.

Off CI, a machine without chromium (``scripts/install_browser.sh`` installs it) or
without the ``playwright`` package skips the test with the reason; on CI (``CI`` set)
the same absence fails it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

from alignment.report import write_overlay, write_report
from alignment.stats import compare_groups
from tests.report.browser import CHROMIUM_ARGS, chromium_path
from tests.report.cohort import Cohort


def _missing_browser_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the python package playwright is not installed (pip install playwright)"
    if chromium_path() is None:
        return "Debian's chromium is not installed (run scripts/install_browser.sh)"
    return None


def _require_browser() -> None:
    """Skip (off CI) or fail (on CI) when the browser or its driver is absent."""
    reason = _missing_browser_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run on CI, but {reason}")
        pytest.skip(f"{reason}; the browser test runs on CI")


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


def _build(folder: Path, cohort: Cohort) -> Path:
    (folder / "overlays").mkdir(parents=True, exist_ok=True)
    overlays = {}
    for image, film in cohort.films.items():
        relative = f"overlays/{Path(image).stem}.png"
        write_overlay(folder / relative, film, cohort.landmarks, cohort.results, image=image)
        overlays[image] = relative
    comparison = compare_groups(
        cohort.results, cohort.groups, measures=["hka", "mldfa", "mpta", "ffc", "ftc", "jlca"]
    )
    return write_report(
        folder / "report.html",
        results=cohort.results,
        comparison=comparison,
        landmarks=cohort.landmarks,
        errors=cohort.errors,
        overlays=overlays,
        groups=cohort.groups,
        title="Alignment report: synthetic cohort",
        manifest={"preset": "default", "command": "alignment batch films --out out"},
    )


class _Page:
    """A page that records console errors, page errors and every non-local request."""

    def __init__(self, browser: Any, path: Path, *, width: int = 1280, height: int = 900):
        self.problems: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on("request", self._request)
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def _console(self, message: Any) -> None:
        if message.type in ("error", "assert"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _request(self, request: Any) -> None:
        if not request.url.startswith(("file:", "data:")):
            self.problems.append(f"remote request: {request.url}")

    def close(self) -> None:
        self.page.close()


def test_report_in_a_real_browser(browser: Any, tmp_path: Path, cohort: Cohort):
    path = _build(tmp_path, cohort)
    view = _Page(browser, path)
    page = view.page
    try:
        rows = page.locator("tr.case")
        n_images = len(cohort.films) + len(cohort.errors)
        assert rows.count() == n_images
        assert rows.first.get_attribute("data-status") == "failed"
        statuses = [rows.nth(i).get_attribute("data-status") for i in range(rows.count())]
        assert statuses == sorted(statuses, key=["failed", "flagged", "ok"].index)
        assert page.locator("#case-count").inner_text() == f"{n_images} of {n_images} shown"

        widths = page.eval_on_selector_all("tr.case img", "els => els.map(e => e.naturalWidth)")
        assert len(widths) == len(cohort.films) and all(w > 0 for w in widths)
        hrefs = page.eval_on_selector_all("tr.case a", "els => els.map(e => e.href)")
        assert all(href.startswith("file://") and href.endswith(".png") for href in hrefs)
        assert all(Path(href.removeprefix("file://")).is_file() for href in hrefs)

        assert page.locator("#plots svg.plot").count() == 6
        n_rows = page.locator("#deviations .row-head").count()
        assert n_rows > 0 and page.locator("#deviations svg.plot").count() == 2 * n_rows
        assert page.locator("tr.comparison").count() == 6

        page.select_option("#case-status", "ok")
        n_ok = statuses.count("ok")
        assert page.locator("tr.case:visible").count() == n_ok
        page.select_option("#case-status", "all")
        page.fill("#case-filter", "case03")
        assert page.locator("tr.case:visible").count() == 1

        screenshot = tmp_path / "report.png"
        page.fill("#case-filter", "")
        page.screenshot(path=str(screenshot), full_page=True)
        with Image.open(screenshot) as shot:
            assert shot.width == 1280 and shot.height > 900
        assert view.problems == []
    finally:
        view.close()


@pytest.mark.parametrize("ci", ["", "true"])
def test_missing_browser_skips_off_ci_and_fails_on_ci(monkeypatch: pytest.MonkeyPatch, ci: str):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected, match="install") as caught:
        _require_browser()
    assert ("must run on CI" in str(caught.value)) == bool(ci)


def test_cohort_has_every_status(cohort: Cohort):
    """The browser test sees failed, flagged and ok cases (guards the fixture itself)."""
    from alignment.report import render_report

    page = render_report(results=cohort.results, errors=cohort.errors)
    assert {s for s in ("failed", "flagged", "ok") if f'data-status="{s}"' in page} == {
        "failed", "flagged", "ok"}  # fmt: skip
    assert isinstance(cohort.groups, pd.DataFrame)
