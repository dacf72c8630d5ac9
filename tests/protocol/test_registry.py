"""`backend-gates registry`: endpoints.json and models.json validate against their published
schemas, and the route list is the one `backend-gates routes` shows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import FIXTURES, REPO, run_cli, validate

SCHEMAS = REPO / "src" / "backend_gates" / "schemas"
# every bundled sample project with routes or tables
PROJECTS = ["routes_fastapi", "routes_flask", "routes_django", "routes_aiohttp", "schema_shop", "django_clean", "contract_fastapi", "alembic_clean", "bad_fastapi"]


@pytest.mark.parametrize("name", PROJECTS)
def test_registry_validates_and_matches_routes(tmp_path: Path, name: str) -> None:
    project = tmp_path / name
    shutil.copytree(FIXTURES / name, project)
    done = run_cli("registry", "--no-cache", "--out", "registry", cwd=project)
    assert done.returncode == 0, done.stderr
    endpoints = json.loads((project / "registry" / "endpoints.json").read_text())
    models = json.loads((project / "registry" / "models.json").read_text())
    validate(endpoints, SCHEMAS / "endpoints-1.0.schema.json")
    validate(models, SCHEMAS / "models-1.0.schema.json")

    routes = run_cli("routes", "--no-cache", "-f", "json", cwd=project)
    assert routes.returncode == 0, routes.stderr
    expected = [(r["method"], r["path"], r["handler"], r["file"], r["line"], r["guards"]) for r in json.loads(routes.stdout)]
    got = [(e["method"], e["path"], e["handler"]["name"], e["handler"]["file"], e["handler"]["line"], e["guards"]) for e in endpoints["endpoints"]]
    assert got == expected
    if name in ("routes_fastapi", "routes_flask", "routes_django", "contract_fastapi"):
        assert got, "the fixture has routes"
    if name in ("schema_shop", "django_clean", "alembic_clean"):
        assert models["models"], "the fixture has tables"


def test_models_carry_columns_keys_and_sources(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "schema_shop", tmp_path / "p")
    assert run_cli("registry", "--no-cache", "--out", "out", cwd=tmp_path / "p").returncode == 0
    models = {m["table"]: m for m in json.loads((tmp_path / "p" / "out" / "models.json").read_text())["models"]}
    customers = models["customers"]
    assert customers["primary_key"] == ["id"]
    email = next(c for c in customers["columns"] if c["name"] == "email")
    assert email["unique"] and not email["nullable"]
    assert {"kind": "django", "file": "django/shop/models.py", "line": 4} in customers["sources"]
    assert any(fk["references"] for m in models.values() for fk in m["foreign_keys"])


def test_documented_and_runtime_numbers_from_a_pytest_report(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(FIXTURES / "contract_fastapi", project)
    report = {
        "event": "backend.gates.report",
        "endpoints": [{"method": "GET", "path": "/api/v1/items", "requests": 4, "p95_ms": 3.5, "tests": 2}],
    }
    (project / "report.json").write_text(json.dumps(report))
    done = run_cli("registry", "--no-cache", "--out", "out", "--report", "report.json", cwd=project)
    assert done.returncode == 0, done.stderr
    data = json.loads((project / "out" / "endpoints.json").read_text())
    validate(data, SCHEMAS / "endpoints-1.0.schema.json")
    by_path = {e["path"]: e for e in data["endpoints"]}
    assert by_path["/api/v1/items"]["documented"] == "openapi.yaml#/paths/~1api~1v1~1items/get"
    assert by_path["/api/v1/items"]["tests"] == 2 and by_path["/api/v1/items"]["p95_ms"] == 3.5
    assert by_path["/api/v1/orders"]["tests"] == 0 and by_path["/api/v1/orders"]["p95_ms"] is None
