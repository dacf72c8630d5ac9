"""The rules' regular expressions are compiled on first use (`patterns.lazy`): a one-file run
compiles only those it uses, a run that forks workers compiles them all once before the fork."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

from backend_gates.patterns import LazyPattern, compile_all, lazy

TEXT = "token = 'abc123'\nPASSWORD: hunter2 and token=xyz, id 42\n"
SOURCE = r"(?P<name>token|password)\s*[=:]\s*'?(?P<value>\w+)"

OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "search": lambda p: p.search(TEXT).span(),
    "match": lambda p: p.match(TEXT) and p.match(TEXT).groupdict(),
    "match-at": lambda p: p.match(TEXT, 48) and p.match(TEXT, 48).group(0),
    "fullmatch": lambda p: p.fullmatch("token=x") is not None,
    "sub": lambda p: p.sub(lambda m: m.group("name") + "=****", TEXT),
    "subn": lambda p: p.subn("X", TEXT),
    "split": lambda p: p.split(TEXT),
    "findall": lambda p: p.findall(TEXT),
    "finditer": lambda p: [m.span() for m in p.finditer(TEXT)],
    "groups": lambda p: (p.groups, dict(p.groupindex)),
    "flags": lambda p: p.flags,
    "pattern": lambda p: p.pattern,
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_lazy_pattern_answers_as_the_compiled_one(operation: str) -> None:
    eager = re.compile(SOURCE, re.I | re.M)
    made = lazy(SOURCE, re.I | re.M)
    assert isinstance(made, LazyPattern) and made._compiled is None  # nothing compiled yet
    assert OPERATIONS[operation](made) == OPERATIONS[operation](eager)
    assert OPERATIONS[operation](made) == OPERATIONS[operation](eager)  # and again, compiled


def test_every_rule_pattern_compiles() -> None:
    """A broken pattern no longer fails at import: it would fail in the rule that first uses it."""
    from backend_gates.checks import load_all
    import backend_gates.suppress  # noqa: F401

    load_all()
    compile_all()
    assert compile_all() == 0


def test_a_run_that_forks_workers_compiles_the_patterns_before_the_fork(tmp_path: Path) -> None:
    """The workers inherit compiled patterns: none of a forked run's rules is left to compile in
    each worker (which would add CPU to every cold run)."""
    body = "".join(f"def view_{n}(request):\n    token = request.GET['t{n}']\n    return token\n\n\n" for n in range(400))
    for n in range(10):
        (tmp_path / f"mod{n}.py").write_text(body)
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from backend_gates import engine, patterns
        from backend_gates.config import load_config

        engine.check(["."], load_config(Path(".")), jobs=2, use_cache=False)
        made = [v for name, module in list(sys.modules.items()) if name.startswith("backend_gates.checks.python.")
                for v in vars(module).values() if isinstance(v, patterns.LazyPattern)]
        print(len(made) > 20, sum(p._compiled is None for p in made))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKEND_GATES_")}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "0"]
