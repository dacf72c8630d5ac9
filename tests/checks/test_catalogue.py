"""Meta tests: the catalogue stays honest."""

from __future__ import annotations

import re

from backend_gates.checks import load_all
from backend_gates.checks.base import REGISTRY
from backend_gates.gates import GATES_BY_ID

load_all()


def test_codes_and_names_unique_and_well_formed() -> None:
    names = [c.name for c in REGISTRY.values()]
    assert len(names) == len(set(names))
    for cls in REGISTRY.values():
        assert re.fullmatch(r"BG\d{3}", cls.code), cls
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.name), cls


def test_every_check_is_documented_with_examples() -> None:
    for cls in REGISTRY.values():
        assert cls.gate is None or cls.gate in GATES_BY_ID, cls
        assert cls.summary(), f"{cls.code} has no docstring"
        assert cls.message, f"{cls.code} has no message"
        if cls.kind != "runtime":
            assert cls.good, f"{cls.code} has no good example"
            assert cls.bad, f"{cls.code} has no bad example"
        for name, opt in cls.options.items():
            assert opt.help, f"{cls.code} option {name} undocumented"
