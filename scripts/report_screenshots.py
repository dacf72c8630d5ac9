"""Screenshots of the HTML report for the docs: docs/report-1280.png and docs/report-390.png.

Real data: `check` on a copy of fixtures/bad_fastapi (the earlier run), then `check --fix`, then
`check --html --trend earlier.json`; Chromium (headless) renders the page at 1280 and 390 px.
Run: .venv/bin/python scripts/report_screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).parent / "backend-gates")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bad_fastapi"
        shutil.copytree(REPO / "fixtures" / "bad_fastapi", project)
        earlier = Path(tmp) / "earlier.json"
        subprocess.run([EXE, "check", "--no-cache", "-qq", "--report", str(earlier)], cwd=project)
        subprocess.run([EXE, "check", "--no-cache", "-qq", "--fix", "--no-report"], cwd=project)
        page = Path(tmp) / "report.html"
        subprocess.run([EXE, "check", "--no-cache", "-qq", "--html", str(page), "--trend", str(earlier)], cwd=project)
        for width, height in ((1280, 1100), (390, 1500)):
            out = REPO / "docs" / f"report-{width}.png"
            subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp}/p{width}",
                 f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri()],
                check=True, capture_output=True, timeout=180,
            )
            print(out)


if __name__ == "__main__":
    main()
