"""`expires=YYYY-MM-DD` on inline suppressions, end to end through the CLI."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from support import run_cli, write_tree

HANDLER = "def h():\n    try:\n        work()\n    except:  # backend-gates: ignore[BG401] legacy retry loop expires={date}\n        log('x')\n"


def _run(tmp_path: Path, date: str) -> tuple[int, list[dict]]:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app/views.py": HANDLER.format(date=date)})
    result = run_cli("check", "--no-cache", "--format", "json", cwd=tmp_path)
    return result.returncode, json.loads(result.stdout)["findings"]


def test_expired_suppression_reports_the_finding_and_says_so(tmp_path: Path) -> None:
    yesterday = (_dt.date.today() - _dt.timedelta(days=1)).isoformat()
    code, findings = _run(tmp_path, yesterday)
    assert code == 1
    active = {(f["rule"], f["line"]) for f in findings if not f["suppressed"]}
    assert active == {("BG401", 4), ("BG004", 4)}
    (expired,) = [f for f in findings if f["rule"] == "BG004"]
    assert yesterday in expired["message"] and "BG401" in expired["message"]
    concise = run_cli("check", "--no-cache", "--format", "concise", cwd=tmp_path).stdout
    assert f"app/views.py:4:1: BG004 suppression of BG401 expired on {yesterday}; the finding is reported again" in concise


def test_future_expiry_still_suppresses(tmp_path: Path) -> None:
    tomorrow = (_dt.date.today() + _dt.timedelta(days=1)).isoformat()
    code, findings = _run(tmp_path, tomorrow)
    assert code == 0
    (f,) = findings
    assert f["rule"] == "BG401" and f["suppressed"]
    assert f["suppression"] == {"reason": "legacy retry loop", "line": 4, "kind": "inline"}


def test_today_is_not_yet_expired_and_bad_dates_are_reported(tmp_path: Path) -> None:
    code, findings = _run(tmp_path, _dt.date.today().isoformat())
    assert code == 0 and [f["suppressed"] for f in findings] == [True]
    code, findings = _run(tmp_path, "next-week")
    assert code == 1
    assert any(f["rule"] == "BG003" and "expires=next-week" in f["message"] for f in findings)


def test_file_that_does_not_parse_reports_only_the_syntax_error(tmp_path: Path) -> None:
    """Its suppressions are not judged 'unused' (no check could run on the file)."""
    write_tree(
        tmp_path,
        {"pyproject.toml": "[tool.backend-gates]\n", "app/views.py": "def h(:\n    x = 1  # backend-gates: ignore[BG401] legacy\n"},
    )
    result = run_cli("check", "--no-cache", "--format", "concise", cwd=tmp_path)
    assert result.returncode == 1
    assert [row.split()[1] for row in result.stdout.splitlines()] == ["BG001"]


def test_a_placeholder_is_not_a_reason(tmp_path: Path) -> None:
    """What an editor quick fix leaves behind (`<reason>`) does not pass the reason check."""
    for placeholder in ("<reason>", "<why this is safe>", "TODO", "...", "reason"):
        write_tree(tmp_path, {
            "pyproject.toml": "[tool.backend-gates]\n",
            "app/views.py": f"def h():\n    try:\n        work()\n    except:  # backend-gates: ignore[BG401] {placeholder}\n        log('x')\n",
        })
        result = run_cli("check", "--no-cache", "--format", "json", cwd=tmp_path)
        rules = {f["rule"] for f in json.loads(result.stdout)["findings"] if not f["suppressed"]}
        assert rules == {"BG003"}, (placeholder, rules)
        assert result.returncode == 1
