"""Regenerate the example output block in README.md from a real run on fixtures/bad_fastapi."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    exe = Path(sys.executable).parent / "backend-gates"
    result = subprocess.run(
        [str(exe), "check", "fixtures/bad_fastapi", "--no-cache"], cwd=REPO, capture_output=True, text=True
    )
    lines = result.stdout.rstrip("\n").splitlines()
    findings_end = lines.index("Gates:") if "Gates:" in lines else len(lines)
    shown = lines[: min(findings_end, 24)]
    if findings_end > 24:
        shown.append("    ...")
    shown += lines[findings_end:]
    shown.append(f"$ echo $?\n{result.returncode}")
    block = "<!-- example-output -->\n```text\n$ backend-gates check fixtures/bad_fastapi\n" + "\n".join(shown) + "\n```\n<!-- /example-output -->"
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = re.sub(r"<!-- example-output -->.*?<!-- /example-output -->", lambda _m: block, text, flags=re.S)
    readme.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
