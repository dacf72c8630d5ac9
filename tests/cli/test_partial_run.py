"""A partial run (pre-commit, the editor) is the full run restricted to the named files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import FIXTURES, run_cli

APP = FIXTURES / "partial_fastapi"


def _findings(root: Path, *args: str) -> tuple[set[tuple[str, str, int]], dict]:
    done = run_cli("check", "-f", "json", "--exit-zero", *args, cwd=root)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return {(f["rule"], f["path"], f["line"]) for f in data["findings"] if not f["suppressed"]}, data


def test_a_staged_router_file_reports_nothing_the_whole_project_does_not(tmp_path: Path) -> None:
    """main.py adds a global auth dependency and a rate-limit middleware and mounts routes.py
    under /api/v1: the whole project is clean, so checking routes.py alone must be clean too."""
    root = tmp_path / "app"
    shutil.copytree(APP, root)
    whole, _ = _findings(root, "--no-cache", ".")
    alone, data = _findings(root, "--no-cache", "app/routes.py")
    assert alone <= whole, alone - whole
    assert not {code for code, _p, _l in alone} & {"BG240", "BG108", "BG109", "BG110"}
    assert data["summary"]["files"] == 1  # the report is about the named file
    # with the cache of an earlier full run, the partial run reuses the other files' facts
    _findings(root, ".")
    cached, data = _findings(root, "app/routes.py")
    assert cached <= whole


def test_a_partial_run_reports_project_findings_of_the_named_file_only(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(APP, root)
    main = root / "app" / "main.py"
    main.write_text(main.read_text().replace("app = FastAPI(dependencies=[Depends(verify_token)])", "app = FastAPI()"))
    (root / "app" / "admin.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.delete('/users/{uid}')\ndef drop(uid: int) -> None:\n    return None\n"
    )
    main.write_text(main.read_text() + "\nfrom . import admin\n\napp.include_router(admin.router, prefix='/api/v1')\n")
    whole, _ = _findings(root, "--no-cache", ".")
    unguarded = {(p, line) for code, p, line in whole if code == "BG240"}
    assert ("app/routes.py", 11) in unguarded and any(p == "app/admin.py" for p, _l in unguarded)
    alone, _ = _findings(root, "--no-cache", "app/routes.py")
    assert alone <= whole
    assert {p for _c, p, _l in alone} == {"app/routes.py"}
    assert {(p, line) for code, p, line in alone if code == "BG240"} == {(p, line) for p, line in unguarded if p == "app/routes.py"}
