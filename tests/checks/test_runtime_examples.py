"""Every runtime check's executable examples: recorded evidence in, the stated findings out.

Runtime checks judge what an observer recorded during a test run (`RuntimeCheck.judge`); their
`examples` are that recorded evidence, so the judgement is tested without running a suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_gates.checks import load_all
from backend_gates.checks.base import REGISTRY, Recorded, RuntimeCheck
from backend_gates.config import load_config
from backend_gates.selection import check_options

load_all(("runtime",))

JUDGES = sorted(
    (cls for cls in REGISTRY.values() if issubclass(cls, RuntimeCheck) and "judge" in vars(cls)), key=lambda c: c.code
)
CASES = [
    pytest.param(cls, example, id=f"{cls.code}-{cls.name}-{index}")
    for cls in JUDGES
    for index, example in enumerate(cls.examples)
]


def test_judging_checks_have_examples_both_ways() -> None:
    assert JUDGES, "no runtime check judges recorded evidence"
    for cls in JUDGES:
        assert cls.observes, f"{cls.code} judges but observes no observer"
        judged = [e.findings or e.verdict for e in cls.examples]
        assert not all(judged) and any(judged), f"{cls.code}: needs an example without and one with findings (or a gate verdict)"


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_runtime_example(cls: type[RuntimeCheck], example: Recorded, tmp_path: Path) -> None:
    config = load_config(tmp_path, overrides=dict(example.settings), environ={})
    options = {**check_options(cls, config), **example.options}
    verdict = cls(options, config).judge(example.recorded)
    assert len(verdict.findings) == example.findings, [f.message for f in verdict.findings]
    assert all(f.code == cls.code and f.fingerprint for f in verdict.findings)
    assert (verdict.gate_verdict is not None) == example.verdict, verdict.gate_verdict
    if example.findings or example.verdict:
        assert verdict.reason is None
