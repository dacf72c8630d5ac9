"""`openapi.app`: the FastAPI app's generated spec is used only when configured, and the run says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import run_engine, write_tree

pytest.importorskip("fastapi", reason="fastapi is not installed (pip install backend-gates[test])")

APP = """\
from pathlib import Path

from fastapi import FastAPI

Path(__file__).with_name("IMPORTED").write_text("user code ran")
app = FastAPI(title="Svc", version="1.0.0")


@app.get("/api/v1/things")
def list_things(limit: int = 10):
    return []


@app.get("/api/v1/things/{thing_id}")
def get_thing(thing_id: int):
    return {}
"""


def _project(tmp_path: Path, app_setting: str | None) -> Path:
    conf = "[tool.backend-gates]\n"
    if app_setting:
        conf += f'[tool.backend-gates.openapi]\napp = "{app_setting}"\n'
    write_tree(tmp_path, {"pyproject.toml": conf, "svc/__init__.py": "", "svc/main.py": APP})
    return tmp_path


def test_app_not_imported_unless_configured(tmp_path: Path) -> None:
    root = _project(tmp_path, None)
    report = run_engine(root)
    assert not (root / "svc" / "IMPORTED").exists()
    assert [f for f in report.findings if f.code == "BG618"] == []


def test_generated_spec_is_announced_linted_and_compared(tmp_path: Path) -> None:
    root = _project(tmp_path, "svc.main:app")
    report = run_engine(root)
    assert (root / "svc" / "IMPORTED").exists()
    notice = [f for f in report.findings if f.code == "BG618"]
    assert len(notice) == 1 and "imported user code (svc.main:app)" in notice[0].message
    assert "2 operations" in notice[0].message
    # drift runs against the generated spec: the app documents exactly its routes
    assert [f for f in report.findings if f.code in ("BG615", "BG616", "BG617")] == []
    assert "API-DOCS" in {g.id for g in report.gates}
    # and the generated spec is linted (FastAPI declares no security here)
    assert any(f.code == "BG605" for f in report.findings)


def test_app_import_failure_is_reported_not_raised(tmp_path: Path) -> None:
    root = _project(tmp_path, "svc.nope:app")
    report = run_engine(root)
    notice = [f for f in report.findings if f.code == "BG618"]
    assert len(notice) == 1 and "failed" in notice[0].message
    assert not [e for e in report.errors if e.kind == "internal"]
