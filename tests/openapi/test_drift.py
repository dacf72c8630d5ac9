"""Drift between the route table and the spec: fixtures with exactly the expected findings, and
the comparison itself on every path-template form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend_gates.model import GateStatus
from backend_gates.openapi.drift import SpecOp, compare, spec_ops
from backend_gates.routes import Route
from support import FIXTURES, expectations, run_engine, write_tree, gate_reasons

DRIFT = ("BG615", "BG616", "BG617")


@pytest.mark.parametrize("fixture", ["openapi_fastapi", "openapi_flask"])
def test_fixture_has_exactly_the_two_drift_findings(fixture: str) -> None:
    root = FIXTURES / fixture
    report = run_engine(root)
    found = {(f.location.path, f.location.line, f.code) for f in report.findings if f.code in DRIFT}
    expected = {e for e in expectations(root) if e[2] in DRIFT}
    assert len(expected) == 2
    assert found == expected
    # and the committed specs are otherwise clean of spec findings
    assert [f for f in report.findings if f.code.startswith("BG6") and f.code not in DRIFT] == []


def test_fastapi_drift_messages_name_method_and_path() -> None:
    report = run_engine(FIXTURES / "openapi_fastapi", select=list(DRIFT))
    messages = sorted(f.message for f in report.findings)
    assert messages == [
        "DELETE /api/v1/products/{product_id} is implemented but not documented in the spec (the spec documents GET on this path)",
        "GET /orders is documented in the spec but not implemented",
    ]


def _route(method: str, path: str, line: int = 1) -> Route:
    from backend_gates.routes import normalize_path

    return Route(method, normalize_path(path), "app.view", "app/views.py", line, "test")


def _ops(*items: tuple[str, str], prefixes: list[str] | None = None) -> list[SpecOp]:
    summary = {
        "spec": "openapi.yaml",
        "prefixes": prefixes or [""],
        "operations": [{"method": m, "template": t, "line": i + 10} for i, (m, t) in enumerate(items)],
    }
    return spec_ops([("openapi.yaml", summary)])


@pytest.mark.parametrize(
    "code_path",
    ["/users/<int:user_id>", "/users/<user_id>", "^users/(?P<user_id>[0-9]+)/$", "/users/{user_id:int}", "/users/:user_id"],
)
def test_every_template_form_matches_the_spec(code_path: str) -> None:
    drift = compare([_route("GET", code_path)], _ops(("GET", "/users/{user_id}")))
    assert drift == []


def test_method_mismatch_is_reported_both_ways() -> None:
    drift = compare([_route("PUT", "/users/<int:id>")], _ops(("PATCH", "/users/{id}")))
    kinds = sorted((d.kind, d.others) for d in drift)
    assert kinds == [("undocumented", ["PATCH"]), ("unimplemented", ["PUT"])]


def test_path_parameter_names_differ() -> None:
    drift = compare([_route("GET", "/users/<int:pk>")], _ops(("GET", "/users/{user_id}")))
    assert [(d.kind, d.detail) for d in drift] == [("param-names", "code names pk; spec names user_id")]


def test_server_prefix_is_optional_when_matching() -> None:
    ops = _ops(("GET", "/items"), ("GET", "/items/{id}"), prefixes=["/api/v1"])
    routes = [_route("GET", "/api/v1/items"), _route("GET", "/items/{id}")]
    assert compare(routes, ops) == []


def test_implicit_head_and_options_are_not_drift() -> None:
    drift = compare([_route("GET", "/a"), _route("HEAD", "/a"), _route("OPTIONS", "/a")], _ops(("GET", "/a")))
    assert drift == []


def test_drift_not_evaluated_without_a_spec() -> None:
    report = run_engine(FIXTURES / "clean_flask")
    reasons = gate_reasons(report, "API-DOCS")
    assert any(r.startswith("BG615: no OpenAPI spec found") for r in reasons)
    assert not [f for f in report.findings if f.code in DRIFT]


def test_drift_not_evaluated_when_route_discovery_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "openapi_fastapi", tmp_path / "p")
    import backend_gates.routes as routes

    def missing(project):
        raise ImportError("No module named 'backend_gates.routes.discover'")

    monkeypatch.setattr(routes, "route_table", missing)
    report = run_engine(tmp_path / "p", select=list(DRIFT))
    assert report.findings == []
    reasons = gate_reasons(report, "API-DOCS")
    assert any("route discovery is not available" in r for r in reasons)
    gate = next(g for g in report.gates if g.id == "API-DOCS")
    assert gate.status is GateStatus.NOT_EVALUATED


def test_spec_without_routes_in_code_is_not_drift(tmp_path: Path) -> None:
    write_tree(tmp_path, {"openapi.yaml": (FIXTURES / "openapi" / "petstore-3.0.yaml").read_text(), "client.py": "import requests\n"})
    report = run_engine(tmp_path, select=list(DRIFT))
    assert report.findings == []
    assert any("no routes found" in r for r in gate_reasons(report, "API-DOCS"))


def test_same_shape_operations_match_by_parameter_names() -> None:
    ops = _ops(("GET", "/users/{id}"), ("GET", "/users/{username}"))
    routes = [_route("GET", "/users/<int:id>"), _route("GET", "/users/<username>")]
    assert compare(routes, ops) == []


def test_documentation_routes_are_not_drift() -> None:
    routes = [_route("GET", "/docs"), _route("GET", "/openapi.json"), _route("GET", "/static/<path:p>"), _route("GET", "/a")]
    assert compare(routes, _ops(("GET", "/a"))) == []


def test_warm_run_replays_spec_facts_without_reloading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "openapi_fastapi", root)
    cold = run_engine(root, cache=True)
    import backend_gates.openapi.spec as spec_module

    def no_reload(*args, **kwargs):
        raise AssertionError("spec loaded again on a warm run")

    monkeypatch.setattr(spec_module, "load_spec", no_reload)
    warm = run_engine(root, cache=True)
    assert warm.extra["timing"]["analyzed"] == 0
    key = lambda r: sorted((f.code, f.location.path, f.location.line) for f in r.findings if f.code.startswith("BG6"))
    assert key(warm) == key(cold) and len(key(cold)) == 2


def test_routes_with_unresolved_prefix_match_by_suffix_and_are_never_reported() -> None:
    from backend_gates.routes import normalize_path

    loose = Route("GET", normalize_path("/items/<int:item_id>"), "app.v", "app/v.py", 3, "flask", extra={"unresolved": True})
    other = Route("POST", normalize_path("/elsewhere"), "app.w", "app/v.py", 9, "flask", extra={"unresolved": True})
    drift = compare([loose, other], _ops(("GET", "/api/v1/items/{item_id}")))
    assert drift == []
