"""The report and the review app share one look: look.css, inlined in one, served by the
other."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.testclient import TestClient

from alignment.report import render_report
from alignment.review import ReviewStudy, create_app
from tests.report.cohort import Cohort
from tests.review.conftest import SAMPLES, TOKEN

LOOK = resources.files("alignment.report").joinpath("templates", "look.css").read_text("utf-8")


def test_report_inlines_the_shared_look(cohort: Cohort):
    page = render_report(results=cohort.results)
    assert LOOK in page
    assert "--fail:" in LOOK and "--font:" in LOOK  # the palette and fonts live there


def test_review_page_loads_the_shared_look(tmp_path: Path):
    study = ReviewStudy(SAMPLES, tmp_path / "review", reader="anna")
    with TestClient(create_app(study, TOKEN), headers={"X-Alignment-Token": TOKEN}) as client:
        page = client.get("/").text
        served = client.get("/static/look.css")
        app_css = client.get("/static/app.css").text
    assert page.index("static/look.css") < page.index("static/app.css")  # app.css refines it
    assert 'data-theme="dark"' in page
    assert served.status_code == 200 and served.text == LOOK
    assert served.headers["content-type"].startswith("text/css")
    assert "var(--fail)" in app_css and "--bad" not in app_css  # one palette, by its names


def test_serving_the_shared_look_does_not_import_the_report():
    # the report package pulls in pandas, jinja2 and its drawing code: reading its
    # look.css through it cost the review page's first paint 1.5 s
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from alignment.review.app import _STATIC, _static\n"
        "folder, _ = _STATIC['look.css']\n"
        "assert '--font:' in _static('look.css', folder)\n"
        "print(sorted(m for m in ('alignment.report', 'jinja2') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
