"""The GitHub Action (action.yml) and the GitLab CI template, driven step by step on a fixture.

The `run:` steps run in bash as the runner would run them (inputs and step outputs substituted,
`$GITHUB_OUTPUT` / `$GITHUB_STEP_SUMMARY` files provided), with `if:` conditions evaluated; the
`uses:` steps (setup-python, upload-sarif, upload-artifact) are checked against the files the run
steps left: what they would upload exists and is valid. The install step is not run (it would
reinstall this package over the test environment); its command is checked to install the
action's own checkout.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from support import REPO, REPORT_SCHEMA, SARIF_SCHEMA, write_tree

BIN = str(Path(sys.executable).parent)
PROJECT = {
    "pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n',
    "app/__init__.py": "",
    "app/views.py": "def f():\n    try:\n        work()\n    except:\n        log('x')\n",
    "tests/test_views.py": "def test_ok():\n    assert 1 + 1 == 2\n",
}
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Runner:
    def __init__(self, inputs: dict[str, str], workspace: Path, tmp: Path) -> None:
        self.inputs = inputs
        self.workspace = workspace
        self.tmp = tmp
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = tmp / "step_summary.md"
        self.summary.write_text("")

    def value(self, expr: str) -> str:
        expr = expr.strip()
        if "||" in expr:
            left, right = expr.split("||", 1)
            return self.value(left) or self.value(right)
        if expr.startswith("'") and expr.endswith("'"):
            return expr[1:-1]
        if expr.startswith("inputs."):
            return self.inputs[expr[len("inputs."):]]
        if expr == "github.action_path":
            return str(REPO)
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if match:
            return self.outputs.get(match.group(1), {}).get(match.group(2), "")
        match = re.fullmatch(r"hashFiles\(format\('\{0\}/([^']+)', inputs\.([\w-]+)\)\)", expr)
        if match:
            return "hash" if (self.workspace / self.inputs[match.group(2)] / match.group(1)).exists() else ""
        raise AssertionError(f"expression the test cannot evaluate: {expr}")

    def expand(self, text: str) -> str:
        return EXPR.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, cond: str | None) -> bool:
        if cond is None:
            return True
        ok = True
        for term in EXPR.sub(lambda m: m.group(1), cond).split("&&"):
            term = term.strip()
            if term == "always()":
                continue
            match = re.fullmatch(r"(.+?)\s*(==|!=)\s*('[^']*')", term)
            assert match, term
            left, op, right = self.value(match.group(1)), match.group(2), self.value(match.group(3))
            ok = ok and ((left == right) if op == "==" else (left != right))
        return ok

    def run(self, step: dict[str, Any]) -> int:
        out_file = self.tmp / f"output-{step.get('id', 'x')}"
        out_file.write_text("")
        env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], "GITHUB_ACTIONS": "true",
               "GITHUB_OUTPUT": str(out_file), "GITHUB_STEP_SUMMARY": str(self.summary), "CI": "true"}
        env = {k: v for k, v in env.items() if not k.startswith("BACKEND_GATES_")}
        proc = subprocess.run(["bash", "-eo", "pipefail", "-c", self.expand(step["run"])], cwd=self.workspace,
                              env=env, capture_output=True, text=True, timeout=900)
        if "id" in step:
            self.outputs[step["id"]] = dict(
                line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line
            )
        return proc.returncode


def test_github_action_steps_produce_sarif_report_and_step_summary(tmp_path: Path) -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    workspace = tmp_path / "ws"
    write_tree(workspace, PROJECT)
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs["pytest"] = "true"
    runner = Runner(inputs, workspace, tmp_path)
    exits: dict[str, int] = {}
    uploads: list[dict[str, Any]] = []
    for step in action["runs"]["steps"]:
        if not runner.condition(step.get("if")):
            continue
        if "uses" in step:
            uploads.append({"uses": step["uses"], "with": {k: runner.expand(str(v)) for k, v in step.get("with", {}).items()}})
            continue
        if step.get("id") == "install":
            assert '"${{ github.action_path }}"' in step["run"]
            continue
        exits[step.get("id", step["name"])] = runner.run(step)

    assert runner.outputs["check"]["exit"] == "1"  # the bare except fails the check ...
    assert exits["check"] == 0  # ... yet the step lets the uploads run
    assert runner.outputs["pytest"]["exit"] == "1"  # --backend-gates-enforce: a failed gate fails pytest
    assert exits["verdict"] == 1  # and the job fails at the end
    assert runner.outputs["verdict"]["status"] == "failed"

    out = workspace / inputs["output-dir"]
    sarif = json.loads((out / "backend-gates.sarif").read_text())
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    assert any(r["ruleId"] == "BG401" for r in sarif["runs"][0]["results"])
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    assert "<html" in (out / "report.html").read_text()[:500].lower()
    summary = runner.summary.read_text()
    assert summary.startswith("## backend-gates") and "| `AP-ERROR-HANDLING` | ❌ failed |" in summary

    uses = {u["uses"].split("@")[0]: u["with"] for u in uploads}
    assert set(uses) == {"actions/setup-python", "github/codeql-action/upload-sarif", "actions/upload-artifact"}
    assert (workspace / uses["github/codeql-action/upload-sarif"]["sarif_file"]).is_file()
    for pattern in uses["actions/upload-artifact"]["path"].split():
        assert glob.glob(str(workspace / pattern)), f"artifact path matches nothing: {pattern}"


def _gitlab_shell(lines: list[str]) -> str:
    return "\n".join(lines)


def test_gitlab_template_job_produces_its_artifacts(tmp_path: Path) -> None:
    template = yaml.safe_load((REPO / "ci" / "gitlab" / "backend-gates.gitlab-ci.yml").read_text())
    job = template["backend-gates"]
    assert job["artifacts"]["when"] == "always"
    variables = {k: str(v) for k, v in template["variables"].items()}
    variables["BG_CI_PYTEST"] = "true"
    workspace = tmp_path / "ws"
    write_tree(workspace, PROJECT)
    assert any("pip install" in line and "$BG_CI_VERSION" in line for line in job["before_script"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKEND_GATES_")}
    env.update(variables)
    env.update({"PATH": BIN + os.pathsep + os.environ["PATH"], "GITLAB_CI": "true", "CI": "true"})
    proc = subprocess.run(["sh", "-c", _gitlab_shell(job["script"])], cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # findings fail the job, after everything ran
    assert "BG401" in proc.stdout  # the statistics line in the job log

    def expand(path: str) -> Path:
        return workspace / re.sub(r"\$(\w+)", lambda m: variables[m.group(1)], path)

    for path in job["artifacts"]["paths"]:
        assert expand(path).is_file(), path
    quality = json.loads(expand(job["artifacts"]["reports"]["codequality"]).read_text())
    assert any(i["check_name"].startswith("BG401") for i in quality)
    junit = expand(job["artifacts"]["reports"]["junit"]).read_text()
    assert "<testsuite" in junit
