"""Make the README's screenshot of the sample cohort's report (docs/images/report.png).

Runs the README's main job (``alignment batch sample_images ...``) into a temporary
folder, opens its report.html in Debian's chromium through Playwright, and saves the
top of the page as a small palette PNG.

    python scripts/screenshot_report.py [--out docs/images/report.png]
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

from alignment.batch import run_batch  # noqa: E402
from tests.report.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "report.png")
    args = parser.parse_args()
    chromium = chromium_path()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results"
        samples = ROOT / "sample_images"
        run_batch(samples, out, groups=samples / "groups.csv", jobs=1)
        raw = Path(folder) / "raw.png"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1500})
            page.goto((out / "report.html").as_uri())
            page.screenshot(path=str(raw))
            browser.close()
        with Image.open(raw) as shot:
            shot.convert("RGB").quantize(colors=128).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
