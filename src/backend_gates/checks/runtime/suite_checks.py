"""Runtime checks about the test suite itself: coverage (M-COVERAGE) and test kinds (T-KINDS)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...model import Finding, Location, Severity, fingerprint
from ...runtime.covgate import CoverageRecord, common_folder, matches, ranges
from ...runtime.kinds import HOW, KINDS, TestKinds
from ..base import Bad, Option, Recorded, RuntimeCheck, Verdict


def _coverage(files: dict[str, tuple[int, int]], changes: Mapping[str, frozenset[int]] | None = None) -> CoverageRecord:
    """A coverage.py JSON report for examples: path -> (covered, statements)."""
    entries = {
        path: {"summary": {"covered_lines": c, "num_statements": n, "percent_covered": 100.0 * c / n},
               "executed_lines": list(range(1, c + 1)), "missing_lines": list(range(c + 1, n + 1))}
        for path, (c, n) in files.items()
    }
    totals = {"covered_lines": sum(c for c, _n in files.values()), "num_statements": sum(n for _c, n in files.values())}
    return CoverageRecord("own", {"files": entries, "totals": totals}, Path("."), changes)


class CoverageBelowMinimum(RuntimeCheck):
    """Line coverage of the run is below the minimum: in total, or for a file or package.

    Why it matters: Untested lines are where regressions land unnoticed.
    Known limits: reads pytest-cov's data when pytest-cov is active; otherwise measures only when
    asked (`--backend-gates-cov=PKG` or `runtime.coverage-packages`). Per-file/per-package
    minimums come from the `minimums` option: glob or dotted package -> percent.
    """

    code = "BG550"
    name = "coverage-below-minimum"
    gate = "M-COVERAGE"
    severity = Severity.ERROR
    message = "{what} line coverage is {percent}%, below the {minimum}% minimum"
    fix = "add tests for the uncovered lines (report.metrics.coverage lists files), or lower the threshold"
    options = {
        "minimums": Option(dict, {}, "Per-file or per-package minimums: {'app/payments/*' = 95, 'app.billing' = 90}."),
    }
    observes = "coverage"
    good = ["Total coverage 86% with thresholds.coverage-percent = 80."]
    bad = [Bad("Total coverage 61% with thresholds.coverage-percent = 80.")]
    examples = [
        Recorded(_coverage({"app/a.py": (86, 100)}), 0, {"thresholds.coverage-percent": 80}, title="86% of 80%"),
        Recorded(_coverage({"app/a.py": (61, 100)}), 1, {"thresholds.coverage-percent": 80}, title="61% of 80%"),
        Recorded(_coverage({"app/pay/a.py": (50, 100), "app/b.py": (100, 100)}), 1, {"thresholds.coverage-percent": 70},
                 options={"minimums": {"app/pay/*": 90}}, title="a package below its own minimum"),
        Recorded(CoverageRecord(None, None, Path(".")), 0, title="not measured: not judged"),
    ]

    def judge(self, recorded: CoverageRecord) -> Verdict:
        why = recorded.unmeasured()
        if why:
            return Verdict(reason=why)
        assert recorded.report is not None
        files = recorded.files()
        totals = recorded.report.get("totals") or {}
        statements = int(totals.get("num_statements", 0))
        covered = int(totals.get("covered_lines", 0))
        percent = round(100.0 * covered / statements, 2) if statements else 100.0
        metrics = {"coverage": {
            "percent": percent, "covered_lines": covered, "num_statements": statements,
            "files": {p: round(float(e["summary"]["percent_covered"]), 2) for p, e in sorted(files.items())},
            "source": recorded.mode,
        }}
        minimum = float(self.settings["thresholds.coverage-percent"])
        findings = []
        partial = []
        if percent < minimum:
            findings.append(self._at(".", "total", {"scope": "total", "percent": percent}, what="total", percent=percent, minimum=minimum))
        for pattern, value in sorted(self.opts["minimums"].items()):
            matched = [p for p in files if matches(p, str(pattern))]
            if not matched:
                partial.append(f"runtime: coverage minimum for {pattern!r} matched no measured file")
                continue
            st = sum(int(files[p]["summary"]["num_statements"]) for p in matched)
            cv = sum(int(files[p]["summary"]["covered_lines"]) for p in matched)
            pct = round(100.0 * cv / st, 2) if st else 100.0
            if pct < float(value):
                target = matched[0] if len(matched) == 1 else common_folder(matched)
                findings.append(self._at(target, f"min:{pattern}", {"scope": str(pattern), "percent": pct}, what=str(pattern), percent=pct, minimum=float(value)))
        return Verdict(tuple(findings), partial=tuple(partial), notes={"coverage_percent": percent}, metrics=metrics)

    def _at(self, path: str, key: str, extra: dict[str, Any], **fmt: Any) -> Finding:
        f = self.make_finding(Location(path or ".", 1, 1), extra=extra, **fmt)
        return dataclasses.replace(f, fingerprint=fingerprint(self.code, path, key))


class ChangedLinesUncovered(RuntimeCheck):
    """Lines changed since a git base are covered less than the minimum.

    Why it matters: Total coverage hides new untested code; changed lines are what a review ships.
    Known limits: needs the `base` option (a git ref) and git; counts executable lines only (as
    coverage.py sees them); renamed files are compared by their new path.
    """

    code = "BG551"
    name = "changed-lines-uncovered"
    gate = "M-COVERAGE"
    severity = Severity.ERROR
    message = "{percent}% of the {total} executable lines changed since {base} are covered (minimum {minimum}%); uncovered: {where}"
    fix = "test the changed code"
    options = {"base": Option(str, "", "Git ref to compare with (e.g. origin/main); empty: off.")}
    observes = "coverage"
    good = ["9 of 10 changed executable lines covered (90%)."]
    bad = [Bad("2 of 10 changed executable lines covered (20%).")]
    examples = [
        Recorded(_coverage({"app/a.py": (9, 10)}), 0, title="no base configured: not judged"),
        Recorded(_coverage({"app/a.py": (9, 10)}, {"app/a.py": frozenset(range(1, 11))}), 0, {"thresholds.coverage-percent": 80},
                 options={"base": "origin/main"}, title="9 of 10 changed lines covered"),
        Recorded(_coverage({"app/a.py": (2, 10)}, {"app/a.py": frozenset(range(1, 11))}), 1, {"thresholds.coverage-percent": 80},
                 options={"base": "origin/main"}, title="2 of 10 changed lines covered"),
    ]

    def judge(self, recorded: CoverageRecord) -> Verdict:
        why = recorded.unmeasured()
        if why:
            return Verdict(reason=why)
        base = self.opts["base"]
        if not base:
            return Verdict(reason="runtime: no git base to compare changed lines with (option `base`)")
        try:
            changed = recorded.changed_since(base)
        except Exception as exc:
            return Verdict(reason=f"runtime: changed lines against {base!r} not judged: {exc}")
        return self.judge_changes(recorded, changed)

    def judge_changes(self, recorded: CoverageRecord, changed: Mapping[str, set[int]] | Mapping[str, frozenset[int]]) -> Verdict:
        files = recorded.files()
        minimum = float(self.settings["thresholds.coverage-percent"])
        base = self.opts["base"]
        total = hit = 0
        missing: list[str] = []
        for path, lines in sorted(changed.items()):
            entry = files.get(path)
            if entry is None:
                continue
            executed = set(entry.get("executed_lines") or ())
            executable = executed | set(entry.get("missing_lines") or ())
            mine = sorted(lines & executable)
            total += len(mine)
            hit += len([n for n in mine if n in executed])
            gaps = [n for n in mine if n not in executed]
            if gaps:
                missing.append(f"{path}:{ranges(gaps)}")
        pct = round(100.0 * hit / total, 2) if total else 100.0
        metrics = {"coverage": {"changed": {"base": base, "lines": total, "covered": hit, "percent": pct}}}
        findings: tuple[Finding, ...] = ()
        if total and pct < minimum:
            first = missing[0].split(":", 1)[0] if missing else "."
            f = self.make_finding(
                Location(first, 1, 1), extra={"base": base, "percent": pct, "uncovered": missing[:20]},
                percent=pct, total=total, base=base, minimum=minimum, where="; ".join(missing[:5]),
            )
            findings = (dataclasses.replace(f, fingerprint=fingerprint(self.code, first, f"changed:{base}")),)
        return Verdict(findings, metrics=metrics)


class MissingTestKind(RuntimeCheck):
    """The suite has no test of a required kind (unit, integration, API, load, security, contract).

    Why it matters: Each kind catches a different class of failure; a suite of only unit tests never
    sees the database, the HTTP layer, or the load it must carry.
    Severity info by default: the gate is "warned" and names the missing kinds without failing
    the build; `severity = {T-KINDS = "error"}` makes it a failing gate.
    Known limits: kinds come from markers, folders, file and test names, fixtures and what the run
    observed (database access, test-client calls, spec validation, 401/403 answers); skipped tests
    do not count.
    """

    code = "BG552"
    name = "missing-test-kind"
    gate = "T-KINDS"
    severity = Severity.INFO  # names the gaps in the gate's reason (gate "warned"); raise with `severity = {T-KINDS = "error"}`
    message = "no {kind} test among the {tests} tests that ran; recognised by {how}"
    fix = "add the missing kind of test, or drop it from the `required` option"
    options = {
        "required": Option(list, ["unit", "integration", "api", "load", "security", "contract"], "Kinds the suite must contain."),
    }
    observes = "kinds"
    good = ["Tests under tests/unit, tests/integration, tests/api, tests/load, tests/security and tests/contract."]
    bad = [Bad("Only unit tests: integration, api, load, security and contract are missing.")]
    examples = [
        Recorded(TestKinds({f"tests/{k}/test_{k}.py::test_one": (k,) for k in KINDS}), 0, title="one test of every kind"),
        Recorded(TestKinds({"tests/test_a.py::test_a": ("unit",), "tests/test_b.py::test_b": ("unit", "api")}), 0, verdict=True,
                 title="no integration, load, security or contract test: the gate says which are missing"),
        Recorded(TestKinds({"tests/test_a.py::test_a": ("unit",)}), 0, options={"required": ["unit"]}, title="only unit tests required"),
        Recorded(TestKinds({}), 0, title="no test ran: not judged"),
    ]

    def judge(self, recorded: TestKinds) -> Verdict:
        counts = {k: 0 for k in KINDS}
        for kinds in recorded.tests.values():
            for k in kinds:
                counts[k] = counts.get(k, 0) + 1
        required = [k for k in self.opts["required"] if k in KINDS]
        missing = [k for k in required if not counts.get(k)]
        metrics = {"test_kinds": {**counts, "tests": len(recorded.tests), "missing": missing}}
        if not recorded.tests:
            return Verdict(reason="runtime: no test ran", metrics=metrics)
        if not missing:
            return Verdict(notes={"test_kinds": counts}, metrics=metrics)
        # a suite-level gap is no finding at a file line: it is named in the gate's reason and evidence
        notes = {"test_kinds": counts, "missing": missing, "how": {kind: HOW[kind] for kind in missing}}
        reason = f"missing test kind(s): {', '.join(missing)} among the {len(recorded.tests)} test(s) that ran (see evidence.how)"
        return Verdict(notes=notes, metrics=metrics, gate_verdict=(self._severity(), reason))

    def _severity(self) -> Severity:
        """The configured severity of the missing-kinds verdict (info by default)."""
        overrides = {k.upper(): v for k, v in self.settings["severity"].items()}
        for key in (self.code.upper(), self.name.upper(), "T-KINDS"):
            if key in overrides:
                return Severity.parse(overrides[key])
        return self.severity
