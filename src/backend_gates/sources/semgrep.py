"""Run the semgrep rule pack (one semgrep process, offline) and map its results to Findings.

Called by `engine.check` as an explicit step after the project phase, only when semgrep is
enabled (`check --semgrep`, `[tool.backend-gates.semgrep] enabled = true`) or a semgrep rule
is selected by code or name. Semgrep results are not cached per file: the step runs each time.

The executable: `[tool.backend-gates.semgrep] path`, else `semgrep` on PATH, else
`.venv-semgrep/bin/semgrep` under the project root. Without it the run goes on and one notice
(a ToolError of kind "semgrep") says so; the gates that only these rules judge stay
`not_evaluated` with the reason. Semgrep runs with `--metrics=off`, the version check off and
local rule files only, so it never needs the network.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..gates import GATES_BY_ID
from ..model import Finding, Location, RuleInfo, Severity, ToolError

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.base import Check
    from ..config import Config

log = logging.getLogger(__name__)

EXTRA_CODE = "BG799"  # results of user rules (extra-rules) that name no backend-gates code
MAX_ARGS_CHARS = 100_000  # split very long target lists over several processes
TIMEOUT_SECONDS = 1800
INSTALL_HINT = (
    "install it in its own venv (`python -m venv .venv-semgrep && .venv-semgrep/bin/pip install 'semgrep<1.185'`) "
    "or set [tool.backend-gates.semgrep] path"
)
SEVERITIES = {"ERROR": Severity.ERROR, "WARNING": Severity.WARNING, "INFO": Severity.INFO}


@dataclass
class Outcome:
    """What the semgrep step produced, for the engine to merge."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[ToolError] = field(default_factory=list)
    rules: list[RuleInfo] = field(default_factory=list)
    ran: bool = False
    reason: str = ""  # why the rules could not judge the project, when they did not run


def find_executable(config: "Config") -> tuple[str | None, str]:
    """(path, "") or (None, why not)."""
    configured = str(config["semgrep.path"] or "")
    if configured:
        path = Path(configured).expanduser()
        if not path.is_absolute():
            path = config.root / path
        if path.is_file() and os.access(path, os.X_OK):
            return str(path), ""
        return None, f"semgrep not found at {configured} ([tool.backend-gates.semgrep] path)"
    found = shutil.which("semgrep")
    if found:
        return found, ""
    local = config.root / ".venv-semgrep" / "bin" / "semgrep"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local), ""
    return None, "semgrep is not installed (not on PATH, no .venv-semgrep/bin/semgrep)"


def wanted_checks(config: "Config") -> list[type["Check"]]:
    """Semgrep checks to run: all (minus ignored / outside `select`) when enabled, else the ones
    selected explicitly by code or name."""
    from ..checks import load_all
    from ..checks.base import REGISTRY
    from ..selection import explicit as _explicit, tokens_match as _tokens_match

    load_all(("semgrep",))
    select = list(config["select"])
    extend = list(config["extend-select"])
    ignore = list(config["ignore"])
    enabled = bool(config["semgrep.enabled"])
    out = []
    for code in sorted(REGISTRY):
        cls = REGISTRY[code]
        if cls.kind != "semgrep":
            continue
        if enabled:
            on = (not select or any(_tokens_match(t, cls) for t in select)) or any(_tokens_match(t, cls) for t in extend)
        else:
            on = any(_explicit(t, cls) for t in select + extend)
        if on and any(_tokens_match(t, cls) for t in ignore):
            on = False
        if on:
            out.append(cls)
    return out


def run_pack(config: "Config", targets: list[tuple[str, str]], existing: list[Finding]) -> Outcome | None:
    """Run the pack over `targets` [(key, abs path)] of Python files; None when not requested."""
    enabled = bool(config["semgrep.enabled"])
    tokens = list(config["select"]) + list(config["extend-select"])
    if not enabled and not any(t.strip().upper().startswith("BG7") or "-" in t for t in tokens):
        return None  # cheap exit: no semgrep rule can be selected (keeps warm runs free of YAML)
    checks = wanted_checks(config)
    if not checks and not enabled:
        return None
    outcome = Outcome(rules=[c.info() for c in checks])
    from ..checks.semgrep.pack import pack_dir

    configs: list[str] = []
    pack = pack_dir()
    if checks and pack is not None:
        configs.append(str(pack))
    elif enabled and pack is None:
        outcome.errors.append(ToolError("", "the bundled semgrep rule pack (rules/) was not found; only extra-rules run", "semgrep"))
    if enabled:
        for extra in config["semgrep.extra-rules"]:
            path = Path(extra) if Path(extra).is_absolute() else config.root / extra
            if path.exists():
                configs.append(str(path))
            else:
                outcome.errors.append(ToolError(str(extra), "semgrep extra-rules: no such file or directory (skipped)", "semgrep"))
    if not configs:
        outcome.reason = "no semgrep rules to run"
        return outcome
    exe, why = find_executable(config)
    if exe is None:
        codes = ", ".join(c.code for c in checks) or "extra rules"
        outcome.reason = why
        outcome.errors.append(ToolError("", f"{why}: semgrep rules ({codes}) did not run; {INSTALL_HINT}", "semgrep"))
        return outcome
    if not targets:
        outcome.ran = True
        return outcome
    try:
        results, errors = _invoke(exe, configs, targets, config)
    except _SemgrepFailed as exc:
        outcome.reason = str(exc)
        outcome.errors.append(ToolError("", str(exc), "semgrep"))
        return outcome
    outcome.ran = True
    outcome.errors.extend(errors)
    outcome.findings = _map_results(results, checks, targets, config, existing, outcome)
    return outcome


class _SemgrepFailed(Exception):
    pass


def _invoke(exe: str, configs: list[str], targets: list[tuple[str, str]], config: "Config") -> tuple[list[dict[str, Any]], list[ToolError]]:
    env = dict(os.environ)
    env.update({"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"})
    jobs = config["jobs"] or os.cpu_count() or 1
    base = [exe, "scan", "--json", "--metrics=off", "--disable-version-check", "--quiet", "--no-git-ignore",
            "--disable-nosem",  # `# nosemgrep` results come back and are kept as suppressed (suppress.py)
            "--timeout", "30", "--jobs", str(jobs)]
    for item in configs:
        base += ["--config", item]
    names = [key if not Path(key).is_absolute() else absolute for key, absolute in targets]
    batches: list[list[str]] = [[]]
    size = 0
    for name in names:
        if size + len(name) > MAX_ARGS_CHARS and batches[-1]:
            batches.append([])
            size = 0
        batches[-1].append(name)
        size += len(name) + 1
    results: list[dict[str, Any]] = []
    errors: list[ToolError] = []
    for batch in batches:
        try:
            proc = subprocess.run(
                [*base, *batch], cwd=config.root, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired as exc:
            raise _SemgrepFailed(f"semgrep timed out after {TIMEOUT_SECONDS} s; its rules did not run") from exc
        except OSError as exc:
            raise _SemgrepFailed(f"cannot run semgrep ({exe}): {exc}") from exc
        try:
            data = json.loads(proc.stdout or "")
        except json.JSONDecodeError as exc:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise _SemgrepFailed(f"semgrep failed (exit {proc.returncode}): {tail[0][:300]}") from exc
        results.extend(data.get("results", []))
        for err in data.get("errors", []):
            if str(err.get("level", "")).lower() != "error":
                continue
            message = " ".join(str(err.get("message", err.get("type", "error"))).split())[:300]
            errors.append(ToolError(str(err.get("path", "")), f"semgrep: {message}", "semgrep"))
    return results, errors


def _short_id(check_id: str) -> str:
    return check_id.rsplit(".", 1)[-1]


def _map_results(
    results: list[dict[str, Any]],
    checks: list[type["Check"]],
    targets: list[tuple[str, str]],
    config: "Config",
    existing: list[Finding],
    outcome: Outcome,
) -> list[Finding]:
    by_code = {c.code: c for c in checks}
    keys = {os.path.normpath(absolute): key for key, absolute in targets}
    taken = {(f.location.path, f.location.line, f.gate) for f in existing if f.gate}
    seen: set[tuple[str, int, str]] = set()
    extra_rules: dict[str, RuleInfo] = {}
    out: list[Finding] = []
    for result in results:
        extra = result.get("extra", {})
        meta = extra.get("metadata") or {}
        raw_path = str(result.get("path", ""))
        absolute = os.path.normpath(raw_path if os.path.isabs(raw_path) else str(config.root / raw_path))
        path = keys.get(absolute, raw_path)
        start, end = result.get("start", {}), result.get("end", {})
        loc = Location(path, int(start.get("line", 1)), int(start.get("col", 1)), int(end.get("line", 0) or start.get("line", 1)), int(end.get("col", 1)))
        message = " ".join(str(extra.get("message", "")).split())
        code = str(meta.get("backend-gates-code", ""))
        cls = by_code.get(code)
        if cls is not None:
            finding = cls.make_finding(loc, message=message or None)
        elif _is_pack_rule(code):
            continue  # a pack rule that is not selected
        else:
            if not config["semgrep.enabled"]:
                continue
            gate = meta.get("gate") if meta.get("gate") in GATES_BY_ID else None
            name = _short_id(str(result.get("check_id", "semgrep-rule")))
            severity = SEVERITIES.get(str(extra.get("severity", "WARNING")).upper(), Severity.WARNING)
            finding = Finding(
                code=EXTRA_CODE if not code else code,
                name=name,
                gate=gate,
                severity=severity,
                message=f"{message} (semgrep rule {name})",
                location=loc,
            )
            extra_rules.setdefault(finding.code + name, RuleInfo(finding.code, name, gate, severity, f"semgrep rule {name}", "", "semgrep"))
        key = (path, loc.line, finding.code)
        if key in seen or (finding.gate and (path, loc.line, finding.gate) in taken):
            continue  # de-duplicated against libcst findings on the same line and gate
        seen.add(key)
        out.append(finding)
    outcome.rules.extend(extra_rules.values())
    return out


def _is_pack_rule(code: str) -> bool:
    from ..checks.base import REGISTRY

    cls = REGISTRY.get(code)
    return cls is not None and cls.kind == "semgrep"
