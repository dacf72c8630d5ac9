"""The HTML gate report: rendered from a full report, opened in real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from backend_gates.gates import GATES
from backend_gates.html_report import SCRIPT, render_html, script_hash
from support import run_cli, run_engine, write_tree

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"

VIEWS = f"""\
STRIPE = "{SECRET}"


def charge():
    try:
        pay(STRIPE)
    except:  # key={SECRET}
        log("failed")
"""


def full_event(tmp_path: Path) -> dict[str, Any]:
    """A report with every section: real static findings plus runtime metrics in the documented shapes."""
    from backend_gates.event import to_event

    write_tree(tmp_path, {"pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n', "app/views.py": VIEWS})
    report = run_engine(tmp_path, ["app"])
    report.metrics = {
        "latency": {
            "GET /users/{id}": {"p95_ms": 38.5, "max_ms": 51.0, "samples": 120, "status": "passed"},
            "GET /orders": {"p95_ms": 412.0, "max_ms": 530.0, "samples": 64, "status": "failed"},
        },
        "queries": {
            "abc123": {"sql": "SELECT * FROM orders WHERE user_id = ?", "count": 412, "max_ms": 3.1, "p95_ms": 1.2, "tests": ["t::a"]},
            "def456": {"sql": "SELECT * FROM tokens WHERE token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'", "count": 3, "max_ms": 97.0, "p95_ms": 88.0, "tests": ["t::b"]},
        },
        "errors": {"responses": 316, "server_errors": 1, "rate_percent": 0.32, "excluded": 2},
        "coverage": {"percent": 71.4, "covered_lines": 357, "num_statements": 500, "files": {"app/views.py": 48.0}},
        "spec_coverage": {"operations": 6, "exercised": 5, "percent": 83.3, "untested": ["DELETE /users/{id}"]},
        "test_kinds": {"unit": 14, "integration": 6, "api": 9, "contract": 0, "load": 0, "security": 2, "missing": ["contract", "load"]},
    }
    report.endpoints = [
        {"method": "GET", "path": "/users/{id}", "requests": 120, "p95_ms": 38.5, "documented": True, "conformant": True, "tests": 4, "ready": True},
        {"method": "GET", "path": "/orders", "requests": 64, "p95_ms": 412.0, "documented": True, "conformant": False, "tests": 2, "ready": False},
    ]
    event = to_event(report, with_git=False)
    event["findings"].append(
        {
            "rule": "BG500", "name": "n-plus-one-query", "gate": "DB-PERF", "severity": "warning", "path": "app/views.py",
            "line": 6, "column": 9, "end_line": 6, "end_column": 20, "message": "N+1: 40 executions of one SELECT",
            "evidence": "pay(STRIPE)", "fingerprint": "x", "suppressed": False,
            "extra": {"scope": "tests/test_orders.py::test_list", "fingerprint": "abc123", "n": 40, "d": 40,
                      "example": "SELECT * FROM users WHERE id = ?", "call_site": "app/views.py:6"},
        }
    )
    return event


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--enable-logging=stderr", "--v=0",
            # any network request would go to a dead proxy and log net::ERR_PROXY_CONNECTION_FAILED
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>", *extra, url,
        ],
        capture_output=True, text=True, timeout=180,
    )


def test_page_is_self_contained_and_redacted(tmp_path: Path) -> None:
    page = render_html(full_event(tmp_path))
    assert SECRET not in page
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in page
    # no network resources: no src, no external href, no url(), no @import
    assert not re.search(r"\bsrc\s*=", page)
    assert not re.search(r"href\s*=\s*\"(?!#)", page)
    assert "url(" not in page and "@import" not in page
    # one inline script (the filters), allowed by its hash; no other script can run
    assert page.count("<script") == 1 and "<script>" in page
    assert "default-src 'none'" in page and f"script-src '{script_hash()}'" in page
    assert 'id="gate-status-chart"' in page and 'id="findings-by-gate"' in page and 'id="findings-by-rule"' in page
    # the first screen has the pictures; the long list of findings comes after the runtime charts
    assert page.index('id="gate-status-chart"') < page.index('id="gates"') < page.index('id="latency-chart"') < page.index('id="findings"')
    for section in ('id="gates"', 'id="endpoints"', 'id="latency-chart"', 'id="n-plus-one"', 'id="queries-chart"', 'id="queries"', 'id="test-kinds"'):
        assert section in page
    assert "no data" not in page  # every section has data in this report


def test_missing_runtime_sections_say_no_data() -> None:
    event = {
        "event": "backend.gates.report",
        "status": "not_evaluated",
        "gates": [{"id": "M-LATENCY", "checklist": "metrics", "title": "p95", "status": "not_evaluated", "reason": "no requests"}],
        "metrics": {"latency": "garbage", "coverage": {"percent": "n/a"}, "queries": None},
        "endpoints": [None, 3],
        "findings": [],
    }
    page = render_html(event)
    assert page.count("no data:") >= 6
    assert 'id="gates"' in page and "M-LATENCY" in page
    assert "no data" in render_html({})  # even an empty document renders
    odd = render_html(
        {
            "gates": [{"id": ["x"]}, "junk"],
            "findings": [{"gate": {"a": 1}, "line": float("nan"), "message": "<script>alert(1)</script>"}],
            "metrics": {"latency": {"GET /x": {"p95_ms": float("inf")}}, "coverage": {"percent": float("nan"), "files": {"a": "b"}}},
        }
    )
    assert "<script>alert" not in odd and "&lt;script&gt;alert" in odd


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_chromium_loads_the_page_and_shows_the_gate_table(tmp_path: Path) -> None:
    event = full_event(tmp_path / "project")
    report_json = tmp_path / "report.json"
    report_json.write_text(json.dumps(event))
    out = tmp_path / "out" / "report.html"
    result = run_cli("report", str(report_json), "--html", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    dom = _chromium(out.as_uri(), tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    # no console errors, no blocked (network) loads
    problems = [line for line in dom.stderr.splitlines() if re.search(r"CONSOLE|Refused to|Uncaught|net::ERR_", line)]
    assert problems == []
    table = re.search(r'<table id="gates">(.*?)</table>', dom.stdout, re.S)
    assert table is not None, dom.stdout[:2000]
    rows = re.findall(r'<tr class="status-(\w+)" data-gate="([A-Z-]+)"', table.group(1))
    assert [gate for _status, gate in rows] == [g.id for g in GATES]
    statuses = dict((gate, status) for status, gate in rows)
    assert statuses["AP-ERROR-HANDLING"] == "failed"
    assert "GET /orders" in dom.stdout or "/orders" in dom.stdout
    assert SECRET not in dom.stdout
    png = tmp_path / "shot.png"
    shot = _chromium(out.as_uri(), tmp_path / "profile2", f"--screenshot={png}", "--window-size=1280,2000")
    assert shot.returncode == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_report_command_errors(tmp_path: Path) -> None:
    missing = run_cli("report", "nope.json", "--html", "x.html", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.json" in missing.stderr
    (tmp_path / "other.json").write_text('{"a": 1}')
    other = run_cli("report", "other.json", "--html", "x.html", cwd=tmp_path)
    assert other.returncode == 2 and "not a backend-gates report" in other.stderr


def test_plugin_writes_the_html_report(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n')
    pytester.mkpydir("app")
    (pytester.path / "app" / "views.py").write_text("try:\n    work()\nexcept:\n    pass\n")
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-html", "gates.html")
    result.assert_outcomes(passed=1)
    page = (pytester.path / "gates.html").read_text()
    assert '<table id="gates">' in page and "AP-ERROR-HANDLING" in page
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n\n[tool.backend-gates.runtime]\nhtml = "out/config.html"\n')
    result = pytester.runpytest_subprocess("--backend-gates")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "out" / "config.html").exists()


def _dom_attr(dom: str, name: str) -> str:
    match = re.search(rf'<body[^>]*\b{name}="([^"]*)"', dom)
    assert match, f"{name} not set on <body>: the page's script did not run"
    return match.group(1)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_chromium_charts_filters_trend_and_phone_width(tmp_path: Path) -> None:
    """One command writes the page (`check --html`); in real Chromium the charts render, the
    filters (driven by the URL fragment, as a shared link would) hide what they should, nothing is
    fetched, and at 390 px nothing overflows. Screenshots at 1280 and 390 px."""
    project = tmp_path / "project"
    write_tree(project, {
        "pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n',
        "app/views.py": VIEWS,
        "app/client.py": "import requests\n\n\ndef get():\n    return requests.get('https://api.example.com/x', verify=False)\n",
    })
    earlier = tmp_path / "earlier.json"
    first = run_cli("check", "--no-cache", "--report", str(earlier), "app/views.py", cwd=project)
    assert first.returncode == 1, first.stderr
    out = tmp_path / "report.html"
    result = run_cli("check", "--no-cache", "--html", str(out), "--trend", str(earlier), cwd=project)
    assert result.returncode == 1 and out.exists(), result.stderr
    event = json.loads((project / ".backend-gates" / "report.json").read_text())
    active = [f for f in event["findings"] if not f["suppressed"]]
    assert len({f["gate"] for f in active}) >= 3

    def load(fragment: str, profile: str, *extra: str) -> str:
        dom = _chromium(out.as_uri() + fragment, tmp_path / profile, "--dump-dom", *extra)
        assert dom.returncode == 0, dom.stderr[-2000:]
        problems = [line for line in dom.stderr.splitlines() if re.search(r"CONSOLE|Refused to|Uncaught|net::ERR_", line)]
        assert problems == [], problems
        return dom.stdout

    dom = load("", "p1", "--window-size=1280,900")
    assert _dom_attr(dom, "data-filters") == "ready" and _dom_attr(dom, "data-shown") == str(len(event["findings"]))
    chart = re.search(r'id="gate-status-chart">(.*?)</div>', dom, re.S).group(1)
    widths = [float(w) for w in re.findall(r'<rect class="seg-\w+"[^>]*width="([\d.]+)"', chart)]
    assert widths and sum(widths) > 400
    for chart_id in ("findings-by-gate", "findings-by-rule"):
        block = re.search(rf'id="{chart_id}">(.*?)</svg>', dom, re.S).group(1)
        assert len(re.findall(r"<rect ", block)) >= 2, chart_id
    trend = re.search(r'id="trend-chart">(.*?)</svg>', dom, re.S).group(1)
    assert len(re.findall(r'<rect class="run"', trend)) == 2

    gate, severity = "AP-ERROR-HANDLING", "warning"
    wanted = [f for f in event["findings"] if f["gate"] == gate and f["severity"] == severity]
    dom = load(f"#gate={gate}&severity={severity}", "p2")
    assert _dom_attr(dom, "data-shown") == str(len(wanted)) and wanted
    shown = re.findall(r'<div class="finding \w+" data-gate="([^"]+)" data-severity="(\w+)" data-path="[^"]*">', dom)
    hidden = re.findall(r'<div class="finding \w+" data-gate="[^"]+" data-severity="\w+" data-path="[^"]*" hidden="">', dom)
    assert set(shown) == {(gate, severity)} and len(hidden) == len(event["findings"]) - len(wanted)
    dom = load("#file=client", "p3")
    assert _dom_attr(dom, "data-shown") == str(sum(1 for f in event["findings"] if "client" in (f["path"] or "")))

    phone = load("", "p4", "--window-size=390,844")
    assert _dom_attr(phone, "data-overflow") == "no"
    for width in (1280, 390):
        png = tmp_path / f"shot-{width}.png"
        shot = _chromium(out.as_uri(), tmp_path / f"s{width}", f"--screenshot={png}", f"--window-size={width},1400", "--hide-scrollbars")
        assert shot.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png.read_bytes()[16:20], "big") == width  # the PNG is as wide as the window


def test_the_script_is_the_one_the_policy_allows() -> None:
    import base64
    import hashlib

    page = render_html({"findings": [], "gates": []})
    body = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    assert body == SCRIPT
    assert script_hash() == "sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
