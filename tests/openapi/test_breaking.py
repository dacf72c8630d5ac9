"""Breaking changes against a git base (`--spec-base`) and between two files (`spec-diff`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from backend_gates.model import Severity
from support import run_cli, run_engine, gate_reasons

V1 = """\
openapi: "3.0.3"
info:
  title: Pets
  version: "1.4.0"
servers:
  - url: https://api.example.com/v1
security:
  - bearer: []
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 100}}
        - {name: kind, in: query, schema: {type: string, enum: [cat, dog, bird]}}
      responses:
        "200":
          description: pets
          content:
            application/json:
              schema:
                type: array
                maxItems: 100
                items: {$ref: "#/components/schemas/Pet"}
        "400": {description: bad query}
    post:
      operationId: createPet
      summary: Create a pet
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewPet"}
      responses:
        "201": {description: created}
        "400": {description: invalid}
  /pets/{petId}:
    get:
      operationId: getPet
      summary: One pet
      security: []
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: the pet
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
        "404": {description: none}
    delete:
      operationId: deletePet
      summary: Delete a pet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
      responses:
        "204": {description: gone}
        "404": {description: none}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Pet:
      type: object
      properties:
        id: {type: integer}
        name: {type: string, maxLength: 50}
        nickname: {type: string, maxLength: 50}
    NewPet:
      type: object
      required: [name]
      properties:
        name: {type: string, maxLength: 50}
        age: {type: number}
        color: {type: string, maxLength: 20}
"""

# one edit per kind of breaking change
BREAKING = {
    "removed-operation": (
        "    delete:\n      operationId: deletePet\n      summary: Delete a pet\n      parameters:\n        - {name: petId, in: path, required: true, schema: {type: integer}}\n      responses:\n        \"204\": {description: gone}\n        \"404\": {description: none}\n",
        "",
    ),
    "removed-response-field": ("        nickname: {type: string, maxLength: 50}\n", ""),
    "new-required-input": ("      required: [name]\n", "      required: [name, color]\n"),
    "narrowed-type": ("        age: {type: number}\n", "        age: {type: string, maxLength: 3}\n"),
    "narrowed-enum": ("enum: [cat, dog, bird]", "enum: [cat, dog]"),
    "changed-auth": ("      security: []\n      parameters:\n        - {name: petId", "      parameters:\n        - {name: petId"),
}
ADDITIVE = [
    ("        \"400\": {description: bad query}\n", "        \"400\": {description: bad query}\n        \"429\": {description: slow down}\n"),
    ("        - {name: limit, in: query, schema: {type: integer, maximum: 100}}\n",
     "        - {name: limit, in: query, schema: {type: integer, maximum: 100}}\n        - {name: offset, in: query, schema: {type: integer}}\n"),
    ("        nickname: {type: string, maxLength: 50}\n", "        nickname: {type: string, maxLength: 50}\n        born: {type: string, format: date}\n"),
    ("enum: [cat, dog, bird]", "enum: [cat, dog, bird, fish]"),
    ("paths:\n", "paths:\n  /owners:\n    get:\n      operationId: listOwners\n      summary: Owners\n      responses:\n        \"200\": {description: owners, content: {application/json: {schema: {type: array, maxItems: 10, items: {type: integer}}}}}\n        \"400\": {description: bad}\n"),
]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "pyproject.toml").write_text("[tool.backend-gates]\n")
    (tmp_path / "openapi.yaml").write_text(V1)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    _git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "v1")
    return tmp_path


def _breaking(root: Path) -> list:
    report = run_engine(root, select=["BG614"], **{"openapi.spec-base": "HEAD"})
    assert not [e for e in report.errors if e.kind == "internal"], report.errors
    return [f for f in report.findings if f.code == "BG614"]


@pytest.mark.parametrize("kind", sorted(BREAKING))
def test_each_breaking_change_is_reported(repo: Path, kind: str) -> None:
    old, new = BREAKING[kind]
    assert old in V1
    (repo / "openapi.yaml").write_text(V1.replace(old, new, 1))
    found = _breaking(repo)
    if kind == "removed-response-field":  # Pet is returned by two operations
        assert sorted(f.extra["operation"] for f in found) == ["GET /pets", "GET /pets/{petId}"]
    assert found and {f.extra["kind"] for f in found} == {kind}, [f.message for f in found]
    assert found[0].severity is Severity.WARNING
    assert "since HEAD" in found[0].message


def test_additive_changes_are_not_reported(repo: Path) -> None:
    text = V1
    for old, new in ADDITIVE:
        assert old in text
        text = text.replace(old, new, 1)
    (repo / "openapi.yaml").write_text(text)
    assert _breaking(repo) == []


def test_unchanged_spec_has_no_breaking_change(repo: Path) -> None:
    assert _breaking(repo) == []


@pytest.mark.parametrize("bump", [('version: "1.4.0"', 'version: "2.0.0"'), ("url: https://api.example.com/v1", "url: https://api.example.com/v2")])
def test_version_bump_turns_findings_into_info(repo: Path, bump: tuple[str, str]) -> None:
    text = V1
    for old, new in BREAKING.values():
        text = text.replace(old, new, 1)
    (repo / "openapi.yaml").write_text(text.replace(*bump))
    found = _breaking(repo)
    assert {f.extra["kind"] for f in found} == set(BREAKING)
    assert {f.severity for f in found} == {Severity.INFO}
    assert all("version bump" in f.message for f in found)


def test_spec_base_not_given_is_not_evaluated(repo: Path) -> None:
    report = run_engine(repo, select=["BG614"])
    reasons = gate_reasons(report, "API-VERSION")
    assert any("no base to compare" in r for r in reasons)


def test_check_cli_spec_base_option(repo: Path) -> None:
    (repo / "openapi.yaml").write_text(V1.replace(*BREAKING["narrowed-enum"]))
    proc = run_cli("check", "--no-cache", "--select", "BG614", "--spec-base", "HEAD", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [f["rule"] for f in data["findings"]] == ["BG614"]
    assert "no longer accepts bird" in data["findings"][0]["message"]


def test_spec_diff_command(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(V1)
    (tmp_path / "new.yaml").write_text(V1.replace(*BREAKING["removed-response-field"]))
    proc = run_cli("spec-diff", "old.yaml", "new.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "GET /pets: response 200 no longer has field [].nickname" in proc.stdout
    proc = run_cli("spec-diff", "old.yaml", "old.yaml", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["breaking"] == []
    (tmp_path / "bumped.yaml").write_text(V1.replace(*BREAKING["removed-response-field"]).replace('version: "1.4.0"', 'version: "2.0.0"'))
    proc = run_cli("spec-diff", "old.yaml", "bumped.yaml", cwd=tmp_path)
    assert proc.returncode == 0 and "announced by a version bump" in proc.stdout
    (tmp_path / "broken.yaml").write_text("openapi: [\n")
    proc = run_cli("spec-diff", "old.yaml", "broken.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "broken.yaml:" in proc.stderr and "Traceback" not in proc.stderr


def test_unreadable_base_is_not_evaluated_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.backend-gates]\n")
    (tmp_path / "openapi.yaml").write_text(V1)
    report = run_engine(tmp_path, select=["BG614"], **{"openapi.spec-base": "no-such-ref"})
    assert report.findings == []
    assert not [e for e in report.errors if e.kind == "internal"]
    reasons = gate_reasons(report, "API-VERSION")
    assert any(r.startswith("BG614: cannot read openapi.yaml at no-such-ref") for r in reasons), reasons


def test_new_spec_without_a_base_version_is_fine(repo: Path) -> None:
    (repo / "api").mkdir()
    (repo / "api" / "openapi.yaml").write_text(V1)
    found = _breaking(repo)
    assert found == []
