"""Helpers for tests: run the engine or the CLI the way users do."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"
REPORT_SCHEMA = REPO / "src" / "backend_gates" / "schemas" / "report-1.0.schema.json"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"

EXPECT = re.compile(r"(?:#|--)\s*expect:\s*([A-Z0-9_, -]+)")


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run_engine(root: Path, paths: list[str] | None = None, **overrides: Any):
    """Run backend-gates' engine on `root` (no cache) and return the Report."""
    return run_static(root, paths, **overrides)[0]


def run_static(root: Path, paths: list[str] | None = None, *, project_paths: list[str] | None = None, **overrides: Any):
    """(Report, Project) of a static run on `root` (no cache): the project holds every file's facts.

    `project_paths`: the config's `paths` (what the whole project is; default the root)."""
    if project_paths is not None:
        overrides["paths"] = project_paths
    from backend_gates.config import load_config
    from backend_gates.engine import Run

    overrides.setdefault("cache", False)
    overrides.setdefault("jobs", 1)
    config = load_config(root, overrides=overrides, environ={})
    run = Run(config)
    report = run.finish(run.static([root / p for p in (paths or ["."])]))
    return report, run.project


def gate_reasons(report: Any, gate: str) -> list[str]:
    """'BG615: no OpenAPI spec found ...' for every rule of `gate` that could not judge this run."""
    return [f"{j.code}: {j.reason}" for j in report.coverage if j.gate == gate and j.reason]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `backend-gates` console script as a user would."""
    exe = Path(sys.executable).parent / "backend-gates"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "backend_gates"]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BACKEND_GATES_")}
    full_env.update(env or {})
    return subprocess.run(
        [*cmd, *args], cwd=cwd, capture_output=True, text=True, env=full_env, timeout=timeout,
        input=input, stdin=None if input is not None else subprocess.DEVNULL,
    )


def expectations(root: Path) -> set[tuple[str, int, str]]:
    """(path, line, code) for every `# expect: CODE` annotation under root."""
    out: set[tuple[str, int, str]] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".sql", ".yaml", ".yml"):
            continue
        rel = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = EXPECT.search(line)
            if match:
                for code in re.split(r"[,\s]+", match.group(1).strip()):
                    if code:
                        out.add((rel, number, code))
    return out


def validate(instance: Any, schema_path: Path) -> None:
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls(schema).validate(instance)
