"""Spec loading, validity and lint on real specs (the OAI petstores) and broken variants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend_gates.model import GateStatus
from support import FIXTURES, expectations, run_engine, write_tree, gate_reasons, run_static

PETSTORES = FIXTURES / "openapi"
BROKEN = FIXTURES / "openapi_broken"


def _codes(report, prefix: str = "BG6") -> list[tuple[str, int, str]]:
    return sorted((f.location.path, f.location.line, f.code) for f in report.findings if f.code.startswith(prefix))


def _internal(report) -> list[str]:
    return [e.message for e in report.errors if e.kind == "internal"]


@pytest.mark.parametrize("name", ["petstore-3.0.yaml", "petstore-3.1.yaml"])
def test_petstore_is_valid_and_summarised(tmp_path: Path, name: str) -> None:
    shutil.copy(PETSTORES / name, tmp_path / "openapi.yaml")
    report, project = run_static(tmp_path)
    assert not _internal(report)
    assert [f for f in report.findings if f.code in ("BG600", "BG601")] == []
    (path, summary), = project.facts("openapi")
    assert path == "openapi.yaml"
    ops = {(o["method"], o["path"], o["operation_id"]) for o in summary["operations"]}
    assert ops == {("GET", "/pets", "listPets"), ("POST", "/pets", "createPets"), ("GET", "/pets/{petId}", "showPetById")}
    assert summary["prefixes"] == ["/v1"]
    # what the petstore really lacks: auth, and bounds on the request strings
    codes = sorted(f.code for f in report.findings)
    assert codes == ["BG605", "BG610", "BG610"]


def test_petstore_findings_point_at_spec_lines(tmp_path: Path) -> None:
    shutil.copy(PETSTORES / "petstore-3.0.yaml", tmp_path / "openapi.yaml")
    report = run_engine(tmp_path, select=["BG610"])
    lines = (tmp_path / "openapi.yaml").read_text().splitlines()
    for f in report.findings:
        assert f.location.path == "openapi.yaml"
        field = f.message.split("'")[1]
        assert lines[f.location.line - 1].strip().startswith(field + ":"), (f.location.line, f.message)
        assert f.extra["json_path"].startswith("#/components/schemas/Pet/properties/")


def test_broken_variants_give_the_annotated_findings_and_no_traceback() -> None:
    report = run_engine(BROKEN, select=["BG600", "BG601"])
    assert not _internal(report), _internal(report)
    expected = {e for e in expectations(BROKEN) if e[2] in ("BG600", "BG601")}
    found = {(p, line, code) for p, line, code in _codes(report) if not p.endswith(".json")}
    assert found == expected
    # JSON spec (no comments possible): wrong type of `responses`, located on its line
    json_hits = [f for f in report.findings if f.location.path == "swagger-broken.json"]
    assert any(f.location.line == 8 and "is not of type" in f.message and "object" in f.message for f in json_hits)
    # the YAML error is a tool error naming the file and the position too
    assert any(e.path == "openapi-yaml-error.yaml" and e.message.startswith("7:5:") for e in report.errors)


def test_broken_specs_with_every_check_never_crash() -> None:
    report = run_engine(BROKEN)
    assert not _internal(report)


def test_validation_errors_carry_json_path(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "openapi-wrong-types.yaml", tmp_path / "openapi.yaml")
    report = run_engine(tmp_path, select=["BG600"])
    by_line = {f.location.line: f for f in report.findings}
    assert by_line[3].extra["json_path"] == "#/info/title"
    assert "#/paths/~1a/get/parameters/0" in by_line[13].message


def test_yaml_error_makes_spec_gates_not_evaluated(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "openapi-yaml-error.yaml", tmp_path / "openapi.yaml")
    report = run_engine(tmp_path)
    assert [f.code for f in report.findings] == ["BG600"]
    gates = {g.id: g for g in report.gates}
    assert gates["API-NAMING"].status is GateStatus.NOT_EVALUATED
    assert "no openapi files parsed" in gates["API-NAMING"].reason


def test_remote_ref_is_not_fetched_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(BROKEN / "openapi-remote-ref.yaml", tmp_path / "openapi.yaml")
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    report = run_engine(tmp_path, select=["BG600", "BG601"])
    assert [(f.code, f.location.line) for f in report.findings] == [("BG601", 20)]
    assert "not fetched" in report.findings[0].message

    # allowed: the validator fetches it (here: the fetch is refused, and that is reported, not raised)
    calls = []

    def fake_handler(uri: str):
        calls.append(uri)
        raise OSError("offline")

    from jsonschema_path import handlers

    monkeypatch.setitem(handlers.default_handlers, "https", fake_handler)
    report = run_engine(tmp_path, select=["BG600", "BG601"], **{"openapi.allow-remote-refs": True})
    assert calls, "allowed remote ref was not fetched"
    assert not _internal(report)
    assert [f.code for f in report.findings] == ["BG600"]


def test_external_file_refs_resolve_and_cache_follows_them(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "openapi.yaml": 'openapi: "3.0.3"\ninfo: {title: t, version: "1"}\npaths:\n  /a:\n    $ref: "paths/a.yaml"\n',
        "paths/a.yaml": "get:\n  responses:\n    '200':\n      description: ok\n      content:\n        application/json:\n          schema: {$ref: '../schemas.yaml#/Pet'}\n",
        "schemas.yaml": "Pet:\n  type: object\n  properties:\n    self: {$ref: '#/Pet'}\n",
    })
    report = run_engine(tmp_path, select=["BG600"], cache=True)
    assert report.findings == []
    # break the second-level file: a warm run must notice (the spec itself did not change)
    (tmp_path / "schemas.yaml").write_text("Other: {type: object}\n")
    report = run_engine(tmp_path, select=["BG600"], cache=True)
    assert [(f.location.path, f.location.line) for f in report.findings] == [("paths/a.yaml", 7)]


def test_only_spec_files_are_claimed(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".github/workflows/ci.yml": "name: ci\non: [push]\njobs: {}\n",
        "docker-compose.yml": "services:\n  web: {image: x}\n",
        "rules/python/some-rule.yaml": "rules:\n  - id: x\n",
        "config/app.json": '{"debug": false}\n',
        "openapitools.json": '{"generator-cli": {"version": "7"}}\n',
        "api/service.yaml": 'openapi: "3.0.3"\ninfo: {title: t, version: "1"}\npaths: {}\n',
        "docs/openapi-v2.json": '{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}\n',
        "swagger.yml": 'swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n',
        "api/contract.json": '{"info": {"title": "t", "version": "1", "description": "' + "x" * 8000 + '"}, "openapi": "3.0.3", "paths": {}}',
        "data/fixture.json": '{"note": "mentions openapi: 3.0 in text", "openapi": true}',
    })
    report, project = run_static(tmp_path)
    specs = sorted(p for p, r in project.results.items() if r.kind == "openapi")
    assert specs == ["api/contract.json", "api/service.yaml", "docs/openapi-v2.json", "swagger.yml"]  # not openapi-generator's config
    assert report.errors == []


def test_configured_spec_paths_replace_discovery(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "openapi.yaml": 'openapi: "3.0.3"\ninfo: {title: t, version: "1"}\npaths: {}\n',
        "contract/api.yml": 'openapi: "3.0.3"\ninfo: {title: t, version: "1"}\npaths: {}\n',
    })
    _report, project = run_static(tmp_path, **{"openapi.spec": ["contract/*.yml"]})
    assert sorted(p for p, r in project.results.items() if r.kind == "openapi") == ["contract/api.yml"]


def test_clean_flask_spec_gates_are_not_evaluated() -> None:
    report = run_engine(FIXTURES / "clean_flask")
    assert [f for f in report.findings if f.code.startswith("BG6")] == []
    for gate in ("API-DOCS", "API-NAMING", "API-VERSION", "API-RATE", "SEC-AUTHN", "SEC-INPUT", "SEC-CRYPTO"):
        mine = [r for r in gate_reasons(report, gate) if r.startswith("BG6")]
        assert mine, gate
    # a gate may still pass on other (route) checks, but never on a spec check: each is listed
    # as not evaluated in the gate's evidence
    for gate in report.gates:
        if gate.status is GateStatus.PASSED:
            mine = {c for c in gate.evidence.get("checks", []) if c.startswith("BG6")}
            listed = {r.split(":")[0] for r in gate.evidence.get("not_evaluated", [])}
            assert mine <= listed, (gate.id, mine - listed)
    docs_reasons = gate_reasons(report, "API-DOCS")
    assert any("BG615: no OpenAPI spec found" in r for r in docs_reasons)


def test_suppression_comment_in_yaml(tmp_path: Path) -> None:
    text = (PETSTORES / "petstore-3.0.yaml").read_text().replace(
        "        name:\n          type: string\n", "        name:  # backend-gates: ignore[BG610] names are short by contract\n          type: string\n"
    )
    (tmp_path / "openapi.yaml").write_text(text)
    report = run_engine(tmp_path, select=["BG610"])
    assert sorted((f.location.line, f.suppressed) for f in report.findings) == [(100, True), (102, False)]


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "openapi.yaml").write_text(
        'openapi: "3.0.3"\ninfo: {title: t, version: "1"}\npaths: {}\n'
        f"x-evil: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    report = run_engine(tmp_path, select=["BG600"])
    assert not marker.exists()
    assert [(f.code, f.location.line) for f in report.findings] == [("BG600", 4)]
    assert "does not parse" in report.findings[0].message


def test_configured_spec_that_matches_nothing_is_said(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/a')\ndef a():\n    return ''\n"})
    report = run_engine(tmp_path, **{"openapi.spec": ["api/openapi.yaml"]})
    reasons = gate_reasons(report, "API-DOCS")
    assert any("matched no readable OpenAPI spec" in r for r in reasons), reasons


def test_duplicate_operation_ids_are_reported(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        'openapi: "3.0.3"\ninfo: {title: t, version: "1"}\npaths:\n'
        "  /a:\n    get:\n      operationId: same\n      responses: {'200': {description: ok}}\n"
        "  /b:\n    get:\n      operationId: same\n      responses: {'200': {description: ok}}\n"
    )
    report = run_engine(tmp_path, select=["BG600"])
    assert any("Operation ID 'same'" in f.message and "not unique" in f.message for f in report.findings), [f.message for f in report.findings]


def test_path_extensions_are_not_operations(tmp_path: Path) -> None:
    text = (PETSTORES / "petstore-3.0.yaml").read_text().replace("paths:\n", "paths:\n  x-internal-notes:\n    get-pets: see wiki\n", 1)
    (tmp_path / "openapi.yaml").write_text(text)
    report, project = run_static(tmp_path)
    assert not _internal(report)
    assert sorted(f.code for f in report.findings) == ["BG605", "BG610", "BG610"]
    (_path, summary), = project.facts("openapi")
    assert len(summary["operations"]) == 3


def test_minified_json_findings_carry_columns(tmp_path: Path) -> None:
    import json as _json

    import yaml as _yaml

    data = _yaml.safe_load((PETSTORES / "petstore-3.0.yaml").read_text())
    text = _json.dumps(data, separators=(",", ":"))
    (tmp_path / "openapi.json").write_text(text)
    report = run_engine(tmp_path, select=["BG610"])
    assert sorted(f.location.line for f in report.findings) == [1, 1]
    for f in report.findings:
        field = f.message.split("'")[1]
        assert text[f.location.column - 1 :].startswith(f'"{field}"'), (f.location.column, field)
