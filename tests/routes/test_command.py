"""`backend-gates routes` as a user runs it."""

from __future__ import annotations

import json

from support import FIXTURES, run_cli


def test_routes_json_lists_one_object_per_method_and_path() -> None:
    done = run_cli("routes", "--format", "json", "--no-cache", cwd=FIXTURES / "bad_fastapi")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {(d["method"], d["path"]) for d in data} == {
        ("GET", "/getUsers"), ("GET", "/health"), ("GET", "/orders/"), ("POST", "/orders/{order_id}/refund"),
        ("POST", "/users"), ("DELETE", "/users/{user_id}"), ("GET", "/users/{user_id}"),
    }
    for item in data:
        assert {"method", "path", "handler", "file", "line", "framework", "guards", "findings"} <= set(item)
    refund = next(d for d in data if d["path"] == "/orders/{order_id}/refund")
    assert refund["handler"] == "app.routes.orders.refund"
    assert {f["code"] for f in refund["findings"]} == {"BG240", "BG244", "BG245", "BG450"}  # BG241 waits for an identity: BG240 reports the route
    health = next(d for d in data if d["path"] == "/health")
    assert health["public"] is True and health["findings"] == []


def test_routes_text_table_is_aligned_and_summarised() -> None:
    done = run_cli("routes", "--no-cache", cwd=FIXTURES / "clean_flask")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "HANDLER", "GUARDS", "FINDINGS"]
    rows = [line for line in lines[1:4]]
    assert all(line.index("/api/v1/notes") == lines[0].index("PATH") for line in rows)
    assert "login_required" in rows[0]
    assert "3 route(s) (3 flask); 0 without a guard; 0 finding(s) on routes" in done.stdout


def test_routes_on_a_project_without_routes(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.backend-gates]\n")
    (tmp_path / "lib.py").write_text("def f():\n    return 1\n")
    done = run_cli("routes", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == "no HTTP routes found\n"
