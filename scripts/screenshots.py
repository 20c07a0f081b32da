"""Screenshots of published pages for the README and the user guide (docs/images/*.png).

Made from the synthetic sample, never by hand: the sample (``data/raw/sample``, built by
``make sample``) is cleaned into ``build/screenshots/processed``, two counties and their city
are published into ``build/screenshots/reports``, and headless Chromium (the system
``/usr/bin/chromium`` driven by Playwright, as in ``tests/test_browser.py``; never
``playwright install``) opens each chosen page through ``file://`` with every other request
blocked and saves the top of the page (one viewport, 1200 px wide) as a PNG.

Usage::

    make screenshots                       # or:
    .venv/bin/python scripts/screenshots.py [--counties 城东区,东岭县] [--reuse] [--only index,plan]

``--reuse`` takes the pages already published in ``build/screenshots`` (no cleaning, no
publishing). Exit status 1 when a page is missing or a shot fails; 2 when Chromium or
Playwright is not installed (``make browser`` installs Chromium).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "raw" / "sample"
BUILD = ROOT / "build" / "screenshots"
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTH, HEIGHT = 1200, 760
MAX_BYTES = 200_000


@dataclass(frozen=True)
class Shot:
    """One screenshot: output name, the page (relative to ``reports/<year>/``, ``{county}``
    and ``{city}`` filled in), and an optional Playwright selector whose first match is
    scrolled to the top first."""

    name: str
    page: str
    anchor: str | None = None
    height: int = HEIGHT


SHOTS = [
    Shot("index", "index.html"),
    Shot("county-report", "{county}/county_report.html"),
    Shot("rectification-plan", "{county}/rectification_plan.html"),
    Shot("city-report", "city/{city}/city_report.html"),
    Shot("explorer", "{county}/explore.html", anchor="h2:has-text('交互浏览')"),
]


def publish_sample(counties: str, python: str = sys.executable) -> None:
    """Clean the sample alone and publish ``counties`` and their city into :data:`BUILD`."""
    if not (SAMPLE / ".complete").exists():
        raise SystemExit(f"{SAMPLE}: no sample; run `make sample` first")
    processed = BUILD / "processed"
    run = [python, "-m", "analysis"]
    subprocess.run([*run, "clean", "--raw", str(SAMPLE), "--out", str(processed)], check=False, cwd=ROOT,
                   stdout=subprocess.DEVNULL)  # exit 2 = some sample rows rejected, as designed
    if not (processed / "core_schools.parquet").exists():
        raise SystemExit("cleaning the sample wrote no core_schools table")
    subprocess.run([*run, "publish", "--counties", counties, "--processed", str(processed), "--out",
                    str(BUILD / "reports"), "--scope", "county,city", "--no-progress"], check=True, cwd=ROOT)


def year_dir() -> Path:
    """The latest year folder of the published sample."""
    years = sorted(p for p in (BUILD / "reports").glob("[12][0-9][0-9][0-9]") if p.is_dir())
    if not years:
        raise SystemExit(f"{BUILD / 'reports'}: nothing published; run without --reuse")
    return years[-1]


def city_of(folder: Path) -> str:
    """The one city report of the year folder."""
    cities = sorted(p.name for p in (folder / "city").iterdir() if p.is_dir()) if (folder / "city").is_dir() else []
    if not cities:
        raise SystemExit(f"{folder}: no city report")
    return cities[0]


def shrink(path: Path) -> None:
    """Re-save a screenshot as a 256-colour PNG (text and flat colours lose nothing visible;
    the file is a third of the size)."""
    from PIL import Image

    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def take(shots: list[Shot], folder: Path, county: str, city: str) -> list[str]:
    """Take each shot into :data:`IMAGES`; return the problems (empty when all went well)."""
    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not chromium:
        print("Chromium is not installed (make browser installs it)", file=sys.stderr)
        raise SystemExit(2)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("Playwright for Python is not installed (make setup installs it)", file=sys.stderr)
        raise SystemExit(2) from None
    IMAGES.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            for shot in shots:
                path = folder / shot.page.format(county=county, city=city)
                if not path.exists():
                    problems.append(f"{shot.name}: {path} not published")
                    continue
                page = browser.new_page(viewport={"width": WIDTH, "height": shot.height}, device_scale_factor=1)
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
                page.goto("file://" + quote(str(path)), wait_until="load")
                if shot.anchor:
                    page.locator(shot.anchor).first.evaluate("el => el.scrollIntoView()")
                out = IMAGES / f"{shot.name}.png"
                page.screenshot(path=str(out), full_page=False)
                page.close()
                shrink(out)
                size = out.stat().st_size
                print(f"{out.relative_to(ROOT)}  {size // 1000} KB  ← {path.relative_to(BUILD)}")
                if size > MAX_BYTES:
                    problems.append(f"{out.name}: {size} bytes, over {MAX_BYTES}")
        finally:
            browser.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", default="城东区,东岭县",
                        help="sample counties to publish; the first is shown (default: %(default)s)")
    parser.add_argument("--reuse", action="store_true", help="use the pages already in build/screenshots")
    parser.add_argument("--only", help="NAME,NAME,... of the shots to take (default: all: "
                        + ", ".join(s.name for s in SHOTS) + ")")
    args = parser.parse_args(argv)
    if not args.reuse:
        publish_sample(args.counties)
    folder = year_dir()
    wanted = set(args.only.split(",")) if args.only else {s.name for s in SHOTS}
    problems = take([s for s in SHOTS if s.name in wanted], folder, args.counties.split(",")[0], city_of(folder))
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
