#!/usr/bin/env python3
"""Render a sample HTML gate report and screenshot it with headless Chromium.

    python scripts/screenshot_report.py [--out docs/report-screenshot.png] [--html report.html]

The static part is a real `backend-gates` run over fixtures/bad_fastapi; the runtime part
(latency, queries, N+1, coverage, spec coverage, test kinds, error rate) is sample data in the
shapes documented in src/backend_gates/runtime/__init__.py, so every section is shown.
Needs Chromium (`chromium`, `chromium-browser` or `google-chrome` on PATH, or $CHROMIUM).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def find_chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)  # type: ignore[return-value]
    raise SystemExit("Chromium not found: install it or set $CHROMIUM")


def _set_gate(event: dict[str, Any], gate_id: str, status: str, reason: str, findings: int = 0) -> None:
    for gate in event["gates"]:
        if gate["id"] == gate_id:
            gate.update(status=status, reason=reason, findings=findings)


def sample_event() -> dict[str, Any]:
    from backend_gates.config import load_config
    from backend_gates.engine import check
    from backend_gates.event import summary, to_event

    root = REPO / "fixtures" / "bad_fastapi"
    config = load_config(root, overrides={"cache": False, "jobs": 1}, environ={})
    report = check([root / "app"], config, mode="pytest")
    report.metrics = {
        "latency": {
            "GET /users/{id}": {"p95_ms": 38.2, "max_ms": 51.0, "samples": 120, "status": "passed"},
            "GET /orders": {"p95_ms": 412.7, "max_ms": 530.1, "samples": 64, "status": "failed"},
            "POST /orders": {"p95_ms": 143.9, "max_ms": 188.0, "samples": 41, "status": "passed"},
            "GET /users": {"p95_ms": 96.4, "max_ms": 120.3, "samples": 88, "status": "passed"},
            "DELETE /users/{id}": {"p95_ms": 12.0, "max_ms": 12.0, "samples": 3, "status": "insufficient"},
        },
        "queries": {
            "9f2c1a": {"sql": "SELECT * FROM orders WHERE user_id = ?", "count": 412, "max_ms": 3.1, "p95_ms": 1.2, "tests": ["tests/test_orders.py::test_list"]},
            "71be02": {"sql": "SELECT o.id, SUM(i.price) FROM orders o JOIN items i ON i.order_id = o.id GROUP BY o.id", "count": 12, "max_ms": 97.4, "p95_ms": 88.0, "tests": ["tests/test_reports.py::test_totals"]},
            "c0ffee": {"sql": "UPDATE users SET last_seen = ? WHERE id = ?", "count": 57, "max_ms": 2.0, "p95_ms": 0.9, "tests": ["tests/test_users.py::test_get"]},
        },
        "errors": {"responses": 316, "server_errors": 1, "rate_percent": 0.32, "excluded": 2},
        "coverage": {
            "percent": 71.4,
            "covered_lines": 357,
            "num_statements": 500,
            "files": {"app/routes/orders.py": 48.0, "app/routes/users.py": 66.7, "app/db.py": 91.0, "app/main.py": 100.0},
        },
        "spec_coverage": {"operations": 6, "exercised": 5, "percent": 83.3, "untested": ["DELETE /users/{id}"]},
        "test_kinds": {"unit": 14, "integration": 6, "api": 9, "contract": 0, "load": 0, "security": 2, "missing": ["contract", "load"]},
    }
    report.endpoints = [
        {"method": "GET", "path": "/users/{id}", "requests": 120, "p95_ms": 38.2, "documented": True, "conformant": True, "tests": 4, "ready": True},
        {"method": "GET", "path": "/users", "requests": 88, "p95_ms": 96.4, "documented": True, "conformant": True, "tests": 3, "ready": True},
        {"method": "DELETE", "path": "/users/{id}", "requests": 3, "p95_ms": 12.0, "documented": True, "conformant": True, "tests": 1, "ready": False},
        {"method": "GET", "path": "/orders", "requests": 64, "p95_ms": 412.7, "documented": True, "conformant": False, "tests": 2, "ready": False},
        {"method": "POST", "path": "/orders", "requests": 41, "p95_ms": 143.9, "documented": False, "conformant": False, "tests": 2, "ready": False},
    ]
    event = to_event(report, with_git=False)
    event["findings"].append(
        {
            "rule": "BG500", "name": "n-plus-one-query", "gate": "DB-PERF", "severity": "warning",
            "path": "app/routes/orders.py", "line": 18, "column": 5, "end_line": 18, "end_column": 40,
            "message": "N+1: 40 executions (40 distinct parameter sets) of one SELECT from app/routes/orders.py:18 in tests/test_orders.py::test_list; load it in one query (join/selectinload/prefetch)",
            "fix": "eager-load the relationship (selectinload/joinedload) or fetch all rows with one IN query",
            "evidence": "    for order in orders: order.user.name", "fingerprint": "sample", "help_url": None, "suppressed": False,
            "extra": {"scope": "tests/test_orders.py::test_list", "fingerprint": "9f2c1a", "n": 40, "d": 40, "example": "SELECT * FROM users WHERE id = ?", "call_site": "app/routes/orders.py:18"},
        }
    )
    _set_gate(event, "M-LATENCY", "failed", "1 endpoint over the 200 ms p95 budget: GET /orders (412.7 ms); 1 with insufficient samples", 1)
    _set_gate(event, "DB-PERF", "warned", "1 finding(s) below 'error'", 1)
    _set_gate(event, "M-COVERAGE", "failed", "line coverage 71.4% is below 80%", 1)
    _set_gate(event, "M-ERRORS", "failed", "0.32% of 316 responses were 5xx (budget 0.1%)", 1)
    _set_gate(event, "M-QUERY", "passed", "no statement over 100 ms in two or more runs")
    _set_gate(event, "API-DOCS", "warned", "1 operation not exercised by tests; 1 endpoint undocumented", 1)
    _set_gate(event, "T-KINDS", "warned", "no contract or load tests found", 1)
    counts = {"passed": 0, "failed": 0, "warned": 0, "not_evaluated": 0}
    for gate in event["gates"]:
        counts[gate["status"]] += 1
    event["summary"]["gates"] = counts
    event["summary"]["findings"] = sum(1 for f in event["findings"] if not f["suppressed"])
    event["status"] = event["summary"]["status"] = "failed" if counts["failed"] else summary(report)["status"]
    event["finished_at"] = "2026-11-21T18:00:00+00:00"
    return event


def screenshot(html_path: Path, png: Path, width: int = 1280, height: int = 3000) -> None:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
            f"--screenshot={png}", html_path.resolve().as_uri(),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "report-screenshot.png"), help="PNG to write")
    parser.add_argument("--html", default="", help="also keep the rendered HTML here")
    parser.add_argument("--height", type=int, default=3700, help="viewport height in pixels")
    args = parser.parse_args()
    from backend_gates.html_report import render_html

    page = render_html(sample_event())
    with tempfile.TemporaryDirectory() as tmp:
        html_path = Path(args.html) if args.html else Path(tmp) / "report.html"
        html_path.write_text(page, encoding="utf-8")
        screenshot(html_path, Path(args.out), height=args.height)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
