from __future__ import annotations

from backend_gates.docgen import write_docs
from support import REPO


def test_generated_rule_reference_is_current() -> None:
    stale = write_docs(REPO / "docs" / "checks", check_only=True)
    assert stale == [], f"run `backend-gates docs` to regenerate: {stale}"
