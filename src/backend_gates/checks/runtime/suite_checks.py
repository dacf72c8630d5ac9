"""Runtime checks about the test suite itself: coverage (M-COVERAGE) and test kinds (T-KINDS)."""

from __future__ import annotations

from ...model import Severity
from ..base import Bad, Option, RuntimeCheck


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
    good = ["Total coverage 86% with thresholds.coverage-percent = 80."]
    bad = [Bad("Total coverage 61% with thresholds.coverage-percent = 80.")]


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
    good = ["9 of 10 changed executable lines covered (90%)."]
    bad = [Bad("2 of 10 changed executable lines covered (20%).")]


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
    good = ["Tests under tests/unit, tests/integration, tests/api, tests/load, tests/security and tests/contract."]
    bad = [Bad("Only unit tests: integration, api, load, security and contract are missing.")]
