"""The finishing step of every run: evidence in, one `Report` out, every gate scored once.

    run = Run(config)                                  # engine.Run: one per invocation
    evidence = [run.static(paths)]                     # or run.source(path, text) in the editor
    evidence += [observer.evidence(settings) ...]      # pytest plugin: runtime evidence
    report = run.finish(*evidence)                     # -> finish() below

`finish` applies, in this order: the selection to runtime findings, severity overrides and
per-file ignores, inline suppressions (and the findings about suppressions themselves), the
baseline and `--diff`; then it scores every gate from the findings and from which rules judged
it (`Judged`) or could not. The CLI, the pytest plugin, the language server and `merge` all end
here; nothing edits a report after it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from .checks.base import REGISTRY
from .config import Config
from .evidence import Evidence, LinesOf
from .gates import GATES, GATES_BY_ID, Gate
from .model import (
    Finding,
    GateNote,
    GateResult,
    GateStatus,
    Judged,
    Location,
    Report,
    RuleInfo,
    Severity,
    Suppression,
    SuppressionComment,
    ToolError,
)
from .selection import is_enabled, selection_is_default
from .sources.context import finalize_findings, matches_any


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def finish(
    config: Config,
    evidence: Sequence[Evidence],
    *,
    mode: str = "check",
    started: str = "",
    absent: str | Mapping[str, str] | None = None,
) -> Report:
    """One report from any number of stages' evidence. `absent`: why gates no stage spoke about
    were not evaluated (e.g. "static gates skipped"; or per gate id), instead of the default."""
    sources = [e.sources for e in evidence if e.sources is not None]
    lines_of = sources[0].lines_of if sources else _lines_from_disk(config)
    findings: list[Finding] = []
    judged: list[Judged] = []
    notes: list[GateNote] = []
    metrics: dict[str, Any] = {}
    endpoints: list[dict[str, Any]] = []
    errors: list[ToolError] = []
    rules: dict[str, RuleInfo] = {}
    for part in evidence:
        keep = _runtime_selection(config) if part.stage != "static" else None
        findings.extend(f for f in part.findings if keep is None or keep(f.code))
        judged.extend(j for j in part.judged if keep is None or keep(j.code))
        rules.update((r.code, r) for r in part.rules if keep is None or keep(r.code))
        notes.extend(part.notes)
        metrics.update(part.metrics)
        endpoints.extend(dict(e) for e in part.endpoints)
        errors.extend(part.errors)

    suppressions = {path: list(c) for s in sources for path, c in s.suppressions.items()}
    findings = apply_overrides(findings, config)
    findings = apply_suppressions(findings, suppressions, config, lines_of)
    from .baseline import narrow  # baseline + --diff

    findings, narrowed = narrow(findings, config, lines_of)
    findings.sort(key=Finding.sort_key)

    report = Report(
        root=str(config.root),
        findings=findings,
        gates=[],
        rules=sorted(rules.values(), key=lambda r: r.code),
        errors=errors,
        files=sum(s.files for s in sources),
        lines=sum(s.lines for s in sources),
        fail_on=Severity.parse(config["fail-on"]),
        config=config.effective(),
        metrics=metrics,
        endpoints=endpoints,
        coverage=judged,
        started_at=started or now(),
        mode=mode,
    )
    if sources:
        report.extra["timing"] = {
            "seconds": round(sum(s.seconds for s in sources), 3),
            "analyzed": sum(s.analyzed for s in sources),
            "cached": sum(s.files - s.analyzed for s in sources),
        }
    report.extra.update(narrowed)
    report.gates = evaluate_gates(report, judged, notes, config, absent=absent)
    from .docgen import rebase_help_urls

    rebase_help_urls(report, config["docs-url"])  # help URLs at the configured documentation site
    report.finished_at = now()
    return report


def _runtime_selection(config: Config) -> Any:
    """Runtime findings obey select/ignore like static ones (static stages only ran the selected)."""

    def keep(code: str) -> bool:
        cls = REGISTRY.get(code)
        return cls is None or cls.kind != "runtime" or is_enabled(cls, config)

    return keep


def _lines_from_disk(config: Config) -> LinesOf:
    from .baseline import lines_from_disk

    return lines_from_disk(config.root)


def finalize(findings: list[Finding], lines_of: LinesOf) -> list[Finding]:
    """Evidence and fingerprints for findings made outside a file's walk (project, tool, semgrep)."""
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.location.path, []).append(f)
    out: list[Finding] = []
    for path, group in by_path.items():
        out.extend(finalize_findings(path, lines_of(path), group))
    return out


# ----------------------------------------------------------------------------- overrides, suppressions


def apply_overrides(findings: list[Finding], config: Config) -> list[Finding]:
    """Per-file ignores drop findings; `severity` overrides change them (by code, name or gate)."""
    per_file = config["per-file-ignores"]
    severities = {k.upper(): Severity.parse(v) for k, v in config["severity"].items()}
    out = []
    for f in findings:
        if per_file and _ignored_here(f, per_file):
            continue
        for key in (f.code.upper(), f.name.upper(), (f.gate or "").upper()):
            if key and key in severities:
                f = dataclasses.replace(f, severity=severities[key])
                break
        out.append(f)
    return out


def _ignored_here(f: Finding, per_file: dict[str, list[str]]) -> bool:
    for pattern, tokens in per_file.items():
        if matches_any(f.location.path, [pattern]) and any(_ignores(t, f) for t in tokens):
            return True
    return False


def _ignores(token: str, f: Finding) -> bool:
    """A per-file-ignores entry covers a finding with the same selectors `select`/`ignore`
    accept: code, name, gate, checklist name, a code prefix (`BG2`) or ALL."""
    from .gates import GATES_BY_ID

    t = token.strip()
    up = t.upper()
    if up in ("ALL", f.code.upper(), f.name.upper()) or (f.gate and up == f.gate.upper()):
        return True
    if f.gate and f.gate in GATES_BY_ID and t.lower() == GATES_BY_ID[f.gate].checklist:
        return True
    return len(up) >= 3 and up.startswith("BG") and f.code.upper().startswith(up)


def apply_suppressions(
    findings: list[Finding], by_path: dict[str, list[SuppressionComment]], config: Config, lines_of: LinesOf
) -> list[Finding]:
    """Inline `# backend-gates: ignore[...]` comments, and findings about the comments themselves
    (no reason, expired, unused)."""
    from . import suppress
    from .checks.python.tool import ExpiredSuppression, SuppressionWithoutReason, UnusedSuppression

    honoured = set(config["external-suppressions"])  # other tools' comments: see suppress.py
    by_path = {p: [x for x in c if not x.tool or x.tool in honoured] for p, c in by_path.items()}
    by_path = {p: c for p, c in by_path.items() if c}
    if not by_path:
        return findings
    used: set[tuple[str, int]] = set()
    out: list[Finding] = []
    for f in findings:
        comments = by_path.get(f.location.path)
        if not comments or f.code == "BG001":
            out.append(f)
            continue
        applied = None
        for comment in comments:
            if not suppress.applies(comment, f) or not suppress.covers(comment, f.code, f.name, f.gate):
                continue
            used.add((f.location.path, comment.line))
            if suppress.expiry_state(comment) == "expired":
                continue
            applied = comment
            break
        if applied is not None:
            f = dataclasses.replace(f, suppression=Suppression(applied.reason or "(no reason given)", applied.line))
        out.append(f)

    meta: list[Finding] = []
    for path, comments in by_path.items():
        for comment in comments:
            if comment.tool:
                continue  # written for another tool: neither reason-less nor unused for us
            codes = ", ".join(comment.codes) or "everything"
            loc = Location(path, comment.line, 1)
            if not comment.reason:
                meta.append(SuppressionWithoutReason.make_finding(loc, codes=codes))
            state = suppress.expiry_state(comment)
            if state == "expired" and (path, comment.line) in used:
                meta.append(ExpiredSuppression.make_finding(loc, codes=codes, expires=comment.expires))
            elif state == "invalid":
                meta.append(
                    SuppressionWithoutReason.make_finding(
                        loc, message=f"suppression of {codes} has an unreadable date expires={comment.expires}; use YYYY-MM-DD"
                    )
                )
            if (path, comment.line) not in used and not _suppression_targets_disabled(comment, config):
                meta.append(UnusedSuppression.make_finding(loc, codes=codes, target=comment.target))
    out.extend(finalize(meta, lines_of))
    return out


def _suppression_targets_disabled(comment: SuppressionComment, config: Config) -> bool:
    """A suppression for a rule switched off by config is not 'unused' (it may be needed elsewhere)."""
    ignored = {t.upper() for t in config["ignore"]}
    return bool(comment.codes) and all(c.upper() in ignored for c in comment.codes)


# ----------------------------------------------------------------------------- gates


def evaluate_gates(
    report: Report,
    judged: Sequence[Judged],
    notes: Sequence[GateNote],
    config: Config,
    *,
    absent: str | Mapping[str, str] | None = None,
) -> list[GateResult]:
    """Score every gate of the catalogue once, from the report's findings and what judged it."""
    limit = report.fail_on.rank
    per_gate: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.gate:
            per_gate.setdefault(f.gate, []).append(f)
    by_gate: dict[str, list[Judged]] = {}
    for j in judged:
        by_gate.setdefault(j.gate, []).append(j)
    notes_of: dict[str, list[GateNote]] = {}
    for note in notes:
        notes_of.setdefault(note.gate, []).append(note)
    results: list[GateResult] = []
    for gate in GATES:
        found = per_gate.get(gate.id, [])
        active = [f for f in found if not f.suppressed]
        old = [f for f in active if f.extra.get("existing")]  # new-code base: listed, never failing
        active = [f for f in active if not f.extra.get("existing")]
        counts: dict[str, int] = {}
        for f in active:
            counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
        if gate.id == "M-VULNS":
            results.append(_m_vulns(report, results))
            continue
        mine = by_gate.get(gate.id, [])
        codes = sorted({j.code for j in mine})
        ran = sorted({j.code for j in mine if j.ran})
        # a rule that judged in any stage ran; the others say why they could not
        reasons = list(dict.fromkeys(f"{j.code}: {j.reason}" for j in mine if j.reason and j.code not in ran))
        # reasons of rules that ran in one stage but not in another (e.g. runtime part unjudged)
        partial = list(dict.fromkeys(f"{j.code}: {j.reason}" for j in mine if j.reason and j.code in ran))
        evidence: dict[str, Any] = {}
        void = [n.void for n in notes_of.get(gate.id, []) if n.void]
        for note in notes_of.get(gate.id, []):
            for key, value in note.evidence.items():
                evidence.setdefault(key, value)
        if codes:
            evidence["checks"] = codes
            evidence["ran"] = ran
        if old:
            evidence["existing"] = len(old)
        verdicts = [n.verdict for n in notes_of.get(gate.id, []) if n.verdict is not None]
        deselected = _deselected(gate, config, report.mode) if not selection_is_default(config) else []
        if deselected:
            evidence["deselected"] = deselected
        failing = [f for f in active if f.severity.rank >= limit]
        if failing:
            status, reason = GateStatus.FAILED, f"{len(failing)} finding(s) at or above '{report.fail_on.value}'"
        elif active:
            status, reason = GateStatus.WARNED, f"{len(active)} finding(s) below '{report.fail_on.value}'"
        elif verdicts:
            severity, reason = max(verdicts, key=lambda v: v[0].rank)
            status = GateStatus.FAILED if severity.rank >= limit else GateStatus.WARNED
        elif old and ran and not void:
            base = (report.extra.get("new_code") or {}).get("ref", "the base")
            status, reason = GateStatus.PASSED, f"nothing new since {base}; {len(old)} existing finding(s) on unchanged code"
        elif ran and not void:
            status = GateStatus.PASSED
            if reasons:
                reason = f"{len(ran)} of {len(codes)} check(s) ran; nothing found; not judged: {_group_reasons(reasons)}"
            else:
                reason = f"{len(ran)} check(s) ran; nothing found"
            if gate.runtime and report.mode == "check":
                reason += " (static checks only; runtime checks run under `pytest --backend-gates`)"
        elif void or codes:
            status = GateStatus.NOT_EVALUATED
            reason = _group_reasons(void + reasons + partial) or "no input these checks can judge"
        else:
            status, reason = GateStatus.NOT_EVALUATED, _no_checks_reason(gate, report.mode, deselected, config, absent)
        not_judged = reasons + partial + void
        if not_judged and status is not GateStatus.NOT_EVALUATED:
            evidence["not_evaluated"] = list(dict.fromkeys(not_judged))
        results.append(
            GateResult(
                gate.id,
                gate.checklist,
                gate.title,
                status,
                reason,
                counts=counts,
                suppressed=len(found) - len(active),
                evidence=evidence,
            )
        )
    return results


def _no_checks_reason(gate: Gate, mode: str, deselected: list[str], config: Config, absent: str | Mapping[str, str] | None) -> str:
    if deselected:
        return f"deselected by the configuration ({_selection_text(config)}): {', '.join(deselected)}"
    why = absent.get(gate.id) if isinstance(absent, Mapping) else absent
    if why:
        return why
    if gate.manual:
        return "cannot be inferred from code; configure evidence"
    if gate.runtime and not gate.static and mode == "check":
        return "measured from the test run: evaluated by `pytest --backend-gates`"
    return "no check implemented yet"


def _selection_text(config: Config) -> str:
    parts = []
    for key in ("select", "extend-select", "ignore"):
        if config.sources[key] != "default" and config[key]:
            parts.append(f"{key} = {', '.join(config[key])}")
    return "; ".join(parts) or "select"


def _deselected(gate: Gate, config: Config, mode: str) -> list[str]:
    """Rules of this gate (that this kind of run would use) the selection switched off."""
    from .checks import load_all

    kinds = ("python", "sql", "openapi", "project") + (("runtime",) if mode == "pytest" else ())
    load_all(kinds)
    return sorted(
        cls.code
        for cls in REGISTRY.values()
        if cls.gate == gate.id and cls.kind in kinds and cls.default_enabled and not is_enabled(cls, config)
    )


def _group_reasons(reasons: list[str]) -> str:
    """'BG600: no spec; BG601: no spec' -> 'BG600, BG601: no spec' (order kept)."""
    grouped: dict[str, list[str]] = {}
    for item in dict.fromkeys(reasons):
        code, sep, why = item.partition(": ")
        if not sep or not code.startswith("BG"):
            code, why = "", item
        grouped.setdefault(why, []).append(code)
    parts = []
    for why, codes in grouped.items():
        named = ", ".join(c for c in codes if c)
        parts.append(f"{named}: {why}" if named else why)
    return "; ".join(parts)


def _m_vulns(report: Report, done: list[GateResult]) -> GateResult:
    gate = GATES_BY_ID["M-VULNS"]
    sec = [g for g in done if g.id.startswith("SEC-")]
    errors = [
        f for f in report.active_findings
        if f.gate and f.gate.startswith("SEC-") and f.severity is Severity.ERROR and not f.extra.get("existing")
    ]
    evaluated = [g for g in sec if g.status is not GateStatus.NOT_EVALUATED]
    evidence = {"security_gates_evaluated": [g.id for g in evaluated], "error_findings": len(errors)}
    if errors:
        return GateResult(
            gate.id, gate.checklist, gate.title, GateStatus.FAILED, f"{len(errors)} security finding(s) at error severity", {"error": len(errors)}, 0, evidence
        )
    if not evaluated:
        return GateResult(gate.id, gate.checklist, gate.title, GateStatus.NOT_EVALUATED, "no security gate could be evaluated", {}, 0, evidence)
    reason = f"no error-severity finding in {len(evaluated)} evaluated security gate(s)"
    missing = [g.id for g in sec if g.status is GateStatus.NOT_EVALUATED]
    if missing:
        reason += f"; not evaluated: {', '.join(missing)}"
    return GateResult(gate.id, gate.checklist, gate.title, GateStatus.PASSED, reason, {}, 0, evidence)
