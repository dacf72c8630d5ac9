"""The semgrep rule pack as checks: one `SemgrepCheck` class per rule, built from its YAML metadata.

Each rule in `rules/**/*.yaml` carries `metadata.backend-gates-code` (BG7xx), `gate`, `summary`,
`rationale`, `limits`, `fix`, `cwe` and `good`/`bad`/`bad-line` examples; this module turns them
into registered checks so `rules`, `explain`, the generated docs and the catalogue tests treat
semgrep rules like any other check. The rules themselves run in `sources/semgrep.py`, only with
`check --semgrep` (or `[tool.backend-gates.semgrep] enabled = true`, or when a rule is selected
by code or name).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, ClassVar

from ...model import Severity
from ..base import Bad, Check

log = logging.getLogger(__name__)

SEVERITIES = {"ERROR": Severity.ERROR, "WARNING": Severity.WARNING, "INFO": Severity.INFO}
RUN_NOTE = (
    "Runs with `backend-gates check --semgrep` (or `[tool.backend-gates.semgrep] enabled = true`); "
    "needs the semgrep executable, which is not a Python dependency of backend-gates."
)


def pack_dir() -> Path | None:
    """The bundled rule pack: `backend_gates/rules` in an installed package, else the repo's `rules/`."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "rules", here.parents[4] / "rules" if len(here.parents) > 4 else None):
        if candidate is not None and candidate.is_dir() and any(candidate.rglob("*.yaml")):
            return candidate
    return None


class SemgrepCheck(Check):
    """Base of the generated semgrep checks (not itself a check)."""

    abstract = True
    kind: ClassVar[str] = "semgrep"
    default_enabled: ClassVar[bool] = False
    rule_id: ClassVar[str] = ""
    rule_file: ClassVar[str] = ""


def _class_name(rule_id: str) -> str:
    return "Semgrep" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)


def _doc(meta: dict[str, Any]) -> str:
    summary = str(meta.get("summary", "")).strip()
    why = " ".join(str(meta.get("rationale", "")).split())
    limits = " ".join(str(meta.get("limits", "")).split())
    return f"{summary}\n\nWhy it matters: {why}\n\n{RUN_NOTE}\n\nKnown limits: {limits}\n"


def make_check(rule: dict[str, Any], rule_file: Path, base: Path) -> type[SemgrepCheck] | None:
    meta = rule.get("metadata") or {}
    code = meta.get("backend-gates-code")
    if not code:
        return None
    rel = rule_file.relative_to(base.parent).as_posix()
    references = [f"Rule source: `{rel}` (semgrep YAML, tested by `semgrep --test`)"]
    if meta.get("cwe"):
        references.append(str(meta["cwe"]))
    attrs: dict[str, Any] = {
        "__doc__": _doc(meta),
        "__module__": __name__,
        "code": str(code),
        "name": str(rule["id"]),
        "gate": meta.get("gate"),
        "severity": SEVERITIES.get(str(rule.get("severity", "WARNING")).upper(), Severity.WARNING),
        "message": " ".join(str(rule.get("message", "")).split()),
        "fix": str(meta.get("fix", "")),
        "good": [str(meta["good"])] if meta.get("good") else [],
        "bad": [Bad(str(meta["bad"]), line=int(meta.get("bad-line", 1)))] if meta.get("bad") else [],
        "references": references,
        "rule_id": str(rule["id"]),
        # `# nosemgrep: <id>` names the rule itself; metadata `external-ids` adds other tools' ids
        "external_ids": (f"semgrep:{rule['id']}", *(str(i) for i in meta.get("external-ids", []) or [])),
        "rule_file": rel,
    }
    return type(_class_name(str(rule["id"])), (SemgrepCheck,), attrs)


def load_pack(directory: Path | None = None) -> list[type[SemgrepCheck]]:
    directory = directory or pack_dir()
    if directory is None:
        return []
    import yaml

    out = []
    for path in sorted(directory.rglob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            log.warning("%s: cannot read semgrep rule: %s", path, exc)
            continue
        for rule in (data or {}).get("rules", []) or []:
            cls = make_check(rule, path, directory)
            if cls is not None:
                out.append(cls)
    return out


PACK = load_pack()
