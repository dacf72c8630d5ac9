"""Annotated fixtures: on fixtures/bad_fastapi every registered rule fires exactly on the lines
annotated `# expect: <code>`; fixtures/clean_flask yields no finding at all."""

from __future__ import annotations

import pytest

from backend_gates.checks import load_all
from backend_gates.checks.base import REGISTRY
from support import FIXTURES, expectations, run_engine

load_all()
BAD = FIXTURES / "bad_fastapi"
CLEAN = FIXTURES / "clean_flask"
FILE_CODES = sorted(c.code for c in REGISTRY.values() if c.kind not in ("runtime",))


@pytest.fixture(scope="module")
def bad_findings() -> set[tuple[str, int, str]]:
    report = run_engine(BAD)
    return {(f.location.path, f.location.line, f.code) for f in report.findings if not f.suppressed}


@pytest.fixture(scope="module")
def expected() -> set[tuple[str, int, str]]:
    return expectations(BAD)


@pytest.mark.parametrize("code", FILE_CODES)
def test_bad_fixture_matches_annotations(code: str, bad_findings, expected) -> None:
    found = {(p, line) for p, line, c in bad_findings if c == code}
    wanted = {(p, line) for p, line, c in expected if c == code}
    assert found - wanted == set(), f"{code} fired on lines without `# expect: {code}`: {sorted(found - wanted)}"
    assert wanted - found == set(), f"{code} missed annotated lines: {sorted(wanted - found)}"


def test_security_rules_are_exercised(expected) -> None:
    """The fixture really covers each security rule of this family (not vacuously equal)."""
    codes = {c for _p, _l, c in expected}
    for code in ("BG201", "BG210", "BG211", "BG212", "BG220", "BG221", "BG222", "BG223", "BG230"):
        assert code in codes, f"no `# expect: {code}` annotation in {BAD}"


def test_clean_fixture_has_no_findings() -> None:
    report = run_engine(CLEAN)
    assert [(f.location.path, f.location.line, f.code, f.message) for f in report.findings] == []
    assert not report.errors
