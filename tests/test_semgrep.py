"""The semgrep rule pack: metadata, semgrep's own test mode, examples, mapping, and no-semgrep behaviour."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from backend_gates.checks import load_all
from backend_gates.checks.base import REGISTRY
from backend_gates.gates import GATES_BY_ID
from backend_gates.model import Finding, Location, Severity
from support import REPO, run_cli, run_engine, write_tree

RULES = REPO / "rules"


def _semgrep() -> str | None:
    found = shutil.which("semgrep")
    local = REPO / ".venv-semgrep" / "bin" / "semgrep"
    return found or (str(local) if local.exists() else None)


SEMGREP = _semgrep()
needs_semgrep = pytest.mark.skipif(SEMGREP is None, reason="semgrep not installed (PATH or .venv-semgrep/bin/semgrep)")
ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


def _rules() -> list[tuple[Path, dict]]:
    out = []
    for path in sorted(RULES.rglob("*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            out.append((path, rule))
    return out


def test_every_rule_has_metadata_and_an_annotated_test_file() -> None:
    rules = _rules()
    assert len(rules) >= 10
    codes = [r["metadata"]["backend-gates-code"] for _p, r in rules]
    assert len(codes) == len(set(codes))
    for path, rule in rules:
        meta = rule["metadata"]
        assert re.fullmatch(r"BG7\d\d", meta["backend-gates-code"]), path
        assert meta["gate"] in GATES_BY_ID, path
        assert rule["id"] == path.stem and rule["message"] and rule["severity"] in ("ERROR", "WARNING", "INFO")
        for key in ("summary", "rationale", "limits", "fix", "good", "bad", "bad-line"):
            assert meta.get(key), f"{path.name}: metadata.{key} missing"
        test_file = path.with_suffix(".py")
        text = test_file.read_text(encoding="utf-8")
        assert f"# ruleid: {rule['id']}" in text and f"# ok: {rule['id']}" in text, test_file


def test_rules_are_registered_as_documented_checks() -> None:
    load_all()
    semgrep_checks = {c.code: c for c in REGISTRY.values() if c.kind == "semgrep"}
    assert set(semgrep_checks) == {r["metadata"]["backend-gates-code"] for _p, r in _rules()}
    for cls in semgrep_checks.values():
        assert cls.gate in GATES_BY_ID and cls.summary() and "Known limits" in cls.rationale()
    listed = json.loads(run_cli("rules", "--format", "json", cwd=REPO).stdout)
    assert {"BG704", "BG708"} <= {r["code"] for r in listed if r["kind"] == "semgrep"}
    explained = run_cli("explain", "yaml-unsafe-load", cwd=REPO)
    assert explained.returncode == 0 and "BG705" in explained.stdout and "semgrep" in explained.stdout


@needs_semgrep
def test_semgrep_test_mode_passes_on_the_pack() -> None:
    proc = subprocess.run(
        [SEMGREP, "--test", "--metrics=off", str(RULES)], capture_output=True, text=True, env={**_env(), **ENV}, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


@needs_semgrep
def test_examples_fire_and_good_ones_do_not_in_one_run(tmp_path: Path) -> None:
    load_all()
    checks = [c for c in REGISTRY.values() if c.kind == "semgrep"]
    files = {"pyproject.toml": "[tool.backend-gates]\n"}
    for cls in checks:
        files[f"bad_{cls.code}.py"] = cls.bad[0].code
        for i, good in enumerate(cls.good):
            files[f"good_{cls.code}_{i}.py"] = good
    write_tree(tmp_path, files)
    # only the pack: libcst rules of the same gate on the same line would de-duplicate semgrep's
    report = run_engine(tmp_path, **{"select": ["BG7"], "semgrep.enabled": True, "semgrep.path": SEMGREP})
    assert not [e for e in report.errors if e.kind == "semgrep"], report.errors
    hits = {(f.location.path, f.location.line, f.code) for f in report.findings}
    for cls in checks:
        assert (f"bad_{cls.code}.py", cls.bad[0].line, cls.code) in hits, f"{cls.code} bad example did not fire"
        for i in range(len(cls.good)):
            assert not [h for h in hits if h[0] == f"good_{cls.code}_{i}.py" and h[2] == cls.code]
    gates = {g.id: g for g in report.gates}
    assert gates["SEC-INPUT"].status.value == "failed"


@needs_semgrep
def test_cli_check_semgrep_json_and_extra_rules(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.backend-gates]\n[tool.backend-gates.semgrep]\n"
                f"path = \"{SEMGREP}\"\nextra-rules = [\"house-rules\"]\n"
            ),
            "house-rules/no-print.yaml": (
                "rules:\n  - id: no-print\n    message: use logging\n    severity: INFO\n    languages: [python]\n"
                "    pattern: print(...)\n    metadata:\n      gate: SEC-AUDIT\n"
            ),
            "app/views.py": (
                "import yaml\nfrom flask import request\n\n"
                "def load():\n    print('loading')\n    return yaml.load(request.get_data(), Loader=yaml.Loader)\n"
            ),
        },
    )
    proc = run_cli("check", "--semgrep", "--format", "json", "--exit-zero", "app", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    codes = {f["rule"]: f for f in data["findings"]}
    assert codes["BG705"]["gate"] == "SEC-INPUT" and codes["BG705"]["line"] == 6
    assert codes["BG705"]["severity"] == "error" and codes["BG705"]["help_url"].endswith("BG705.html")
    assert "yaml.load" in (codes["BG705"]["evidence"] or "")
    assert codes["BG799"]["gate"] == "SEC-AUDIT" and codes["BG799"]["line"] == 5 and "no-print" in codes["BG799"]["message"]
    assert not [e for e in data.get("errors", []) if e.get("kind") == "semgrep"]


@needs_semgrep
def test_selecting_one_semgrep_rule_runs_only_it(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "a.py": "import jwt, yaml\ndef f(t, s):\n    yaml.load(s)\n    return jwt.decode(t, options={'verify_signature': False})\n",
        },
    )
    report = run_engine(tmp_path, **{"select": ["BG708"], "semgrep.path": SEMGREP})
    assert sorted(f.code for f in report.findings if f.code.startswith("BG7")) == ["BG708"]


def test_without_semgrep_one_notice_and_not_evaluated(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": "import yaml\nyaml.load(s)\n"})
    proc = run_cli("check", "--semgrep", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert "Traceback" not in proc.stderr
    notes = [line for line in proc.stdout.splitlines() if "semgrep" in line and line.startswith("note:")]
    assert len(notes) == 1 and "not installed" in notes[0], proc.stdout
    assert re.search(r"SEC-INPUT\s+not evaluated.*semgrep is not installed", proc.stdout)


def test_configured_path_that_does_not_exist_is_named(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates.semgrep]\nenabled = true\npath = \"tools/semgrep\"\n", "a.py": "x = 1\n"})
    report = run_engine(tmp_path)
    notes = [e.message for e in report.errors if e.kind == "semgrep"]
    assert len(notes) == 1 and "tools/semgrep" in notes[0]


def test_semgrep_is_not_run_or_listed_when_disabled(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": "import yaml\nyaml.load(s)\n"})
    report = run_engine(tmp_path)
    assert not [r for r in report.rules if r.code.startswith("BG7")]
    assert not [e for e in report.errors if e.kind == "semgrep"]


def test_results_are_deduplicated_against_findings_on_the_same_line_and_gate(tmp_path: Path) -> None:
    from backend_gates.config import load_config
    from backend_gates.sources.semgrep import Outcome, _map_results

    load_all()
    config = load_config(tmp_path, overrides={"semgrep.enabled": True}, environ={})
    checks = [REGISTRY["BG708"], REGISTRY["BG705"]]
    result = {
        "check_id": "rules.python.jwt-verification-disabled",
        "path": "a.py",
        "start": {"line": 3, "col": 12},
        "end": {"line": 3, "col": 40},
        "extra": {"message": "JWT decoded without verification", "severity": "ERROR", "metadata": {"backend-gates-code": "BG708", "gate": "SEC-CRYPTO"}},
    }
    other = {**result, "start": {"line": 5, "col": 1}, "end": {"line": 5, "col": 9}}
    existing = [Finding("BG3XX", "libcst-jwt", "SEC-CRYPTO", Severity.ERROR, "jwt without verification", Location("a.py", 3, 5))]
    targets = [("a.py", str(tmp_path / "a.py"))]
    mapped = _map_results([result, other, other], checks, targets, config, existing, Outcome())
    assert [(f.code, f.location.line, f.gate) for f in mapped] == [("BG708", 5, "SEC-CRYPTO")]
