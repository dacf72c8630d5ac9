"""The package's own sources compile without warnings: an invalid escape in a docstring (`"\\d"`)
is a SyntaxWarning on Python 3.12+ and an error in a user's test run that sets
`filterwarnings = error` (the plugin imports these modules into it)."""

from __future__ import annotations

import warnings
from pathlib import Path

import backend_gates


def test_every_module_compiles_without_warnings() -> None:
    root = Path(backend_gates.__file__).parent
    problems = []
    for path in sorted(root.rglob("*.py")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
            except (SyntaxError, Warning) as exc:
                problems.append(f"{path.relative_to(root)}: {exc}")
    assert problems == []
