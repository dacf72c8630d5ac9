"""Examples are tests: each check's `good` yields nothing from it, each `bad` yields it at the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_gates.checks import load_all
from backend_gates.checks.base import REGISTRY
from support import run_engine, write_tree

load_all()
# semgrep rules' examples run together in one semgrep process: tests/test_semgrep.py
RUNNABLE = [c for c in REGISTRY.values() if c.kind not in ("runtime", "semgrep")]


def _cases():
    for cls in sorted(RUNNABLE, key=lambda c: c.code):
        for i, good in enumerate(cls.good):
            yield pytest.param(cls, good, None, id=f"{cls.code}-{cls.name}-good-{i}")
        for i, bad in enumerate(cls.bad):
            yield pytest.param(cls, bad, bad, id=f"{cls.code}-{cls.name}-bad-{i}")


def _files(cls, code) -> dict[str, str]:
    if isinstance(code, dict):
        return dict(code)
    return {cls.default_example_path(): code}


@pytest.mark.parametrize(("cls", "example", "bad"), list(_cases()))
def test_example(tmp_path: Path, cls, example, bad) -> None:
    code = bad.code if bad is not None else example
    files = _files(cls, code)
    files.setdefault("pyproject.toml", "[tool.backend-gates]\n")
    write_tree(tmp_path, files)
    select = [cls.code] if cls.kind != "tool" else []
    overrides = {"extend-select": select} if not cls.default_enabled else {}
    report = run_engine(tmp_path, **overrides)
    hits = [f for f in report.findings if f.code == cls.code and not f.suppressed]
    if bad is None:
        assert hits == [], f"good example fired: {[(f.location.line, f.message) for f in hits]}"
    else:
        expected_path = bad.path or next(p for p in files if p != "pyproject.toml")
        lines = [(f.location.path, f.location.line) for f in hits]
        assert (expected_path, bad.line) in lines, f"bad example did not fire at {expected_path}:{bad.line}; got {lines}"
        if bad.severity is not None:
            severities = {f.severity for f in hits if (f.location.path, f.location.line) == (expected_path, bad.line)}
            assert bad.severity in severities, f"bad example fired at {sorted(s.value for s in severities)}, expected {bad.severity.value}"
