"""The annotated lint fixture: exactly the `# expect:` findings, none of the `# ok:` near-misses."""

from __future__ import annotations

from support import FIXTURES, expectations, run_engine

ROOT = FIXTURES / "openapi_lint"


def test_lint_fixture_matches_its_annotations() -> None:
    report = run_engine(ROOT)
    found = {(f.location.path, f.location.line, f.code) for f in report.findings if f.code.startswith("BG6")}
    assert found == {e for e in expectations(ROOT) if e[2].startswith("BG6")}
    assert not report.errors


def test_lint_messages_are_specific() -> None:
    report = run_engine(ROOT, select=["BG613"])
    assert sorted(f.message for f in report.findings) == [
        "GET /gift-cards: response field '[].cardNumber' looks like a card number",
        "GET /users/{user_id}: response field 'password_hash' looks like a password hash",
    ]
