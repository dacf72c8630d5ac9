"""The pytest plugin reads specs with the static reader's limits (runtime/spec.py).

An alias bomb in the spec costs one not-evaluated reason (and the static finding), quickly; the
tests' outcomes are those of a run without the plugin. A spec that is a FIFO, or a configured
spec that is a symlink out of the project, is skipped the same way, never hangs.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import pytest

pytest_plugins = ["pytester"]

BOMB = """openapi: 3.0.3
info: {title: bomb, version: "1"}
x-laughs:
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
paths:
  /items:
    get:
      responses:
        "200":
          description: items
          content:
            application/json:
              schema:
                type: object
                properties:
                  laughs: {type: array, items: {enum: *i}}
"""

APP = '''
from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def items() -> dict[str, list[str]]:
    return {"laughs": ["lol"]}
'''

TESTS = '''
import pytest
from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_items():
    assert client.get("/items").status_code == 200


def test_fails():
    assert client.get("/items").status_code == 404


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert client.get("/nothing").status_code == 200
'''


def _outcomes(result: Any) -> list[str]:
    return sorted(line for line in result.outlines if re.match(r"^(PASSED|FAILED|XFAIL|XPASS|ERROR|SKIPPED) ", line))


def _project(pytester: pytest.Pytester, spec_name: str = "openapi.yaml") -> None:
    pytester.makepyprojecttoml(f'[tool.backend-gates]\npaths = ["app"]\n[tool.backend-gates.openapi]\nspec = ["{spec_name}"]\n')
    (pytester.path / "app").mkdir()
    (pytester.path / "app" / "__init__.py").write_text("")
    (pytester.path / "app" / "main.py").write_text(APP)
    pytester.makepyfile(test_api=TESTS)


def _api_docs(pytester: pytest.Pytester) -> dict[str, Any]:
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    return next(g for g in event["gates"] if g["id"] == "API-DOCS")


def test_alias_bomb_in_the_spec_costs_a_reason_not_the_run(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    _project(pytester)
    (pytester.path / "openapi.yaml").write_text(BOMB)
    plain = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA")
    started = time.monotonic()
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "-rA", timeout=120)
    took = time.monotonic() - started
    assert _outcomes(result) == _outcomes(plain) and result.ret == plain.ret
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    text = result.stdout.str() + result.stderr.str()
    assert "alias" in text and "Traceback" not in text, text[-3000:]
    gate = _api_docs(pytester)
    assert gate["status"] in ("failed", "not_evaluated")  # the static reader's finding, never passed
    assert "YAML aliases expand" in json.dumps(gate) + text
    assert took < 90, took  # 10^9 expanded nodes if anything walked them: minutes, or never


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_spec_that_is_a_fifo_does_not_hang_the_plugin(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    _project(pytester)
    os.mkfifo(pytester.path / "openapi.yaml")
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "-rA", timeout=120)
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    assert "not a regular file" in result.stdout.str() + json.dumps(_api_docs(pytester))
