"""Make the README's screenshot of the review app on the sample cohort (docs/images/review.png).

Starts ``alignment review sample_images`` (a temporary review folder, port chosen by the
system), opens the first AP film in Debian's chromium through Playwright, and saves the
page as a small palette PNG.

    python scripts/screenshot_review.py [--out docs/images/review.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alignment.review import film_id  # noqa: E402
from tests.report.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.review.server import start_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "review.png")
    parser.add_argument("--film", default="case002_AP.dcm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process, url = start_server(ROOT / "sample_images", Path(folder) / "review", reader="ann")
        try:
            raw = Path(folder) / "raw.png"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_path(), args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 760})
                page.goto(f"{url}#film={film_id(args.film)}")
                painted = 'body[data-painted]:not([data-painted=""])'
                page.wait_for_selector(painted, state="attached")
                page.wait_for_selector('#measures tr[data-measure="hka"]')
                page.locator("#landmark-list li").nth(3).click()  # select a handle
                page.wait_for_timeout(300)
                page.screenshot(path=str(raw))
                browser.close()
        finally:
            process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
        with Image.open(raw) as shot:
            shot.convert("RGB").quantize(colors=96).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
