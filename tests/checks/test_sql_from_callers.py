"""BG202: a dynamic SQL identifier built from a function's parameters is judged by what the
project's callers pass, in whole-project and one-file runs alike (BG201 leaves it to BG202)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import run_cli, write_tree

DB = "def clear_table(cur, table):\n    cur.execute('DELETE FROM %s' % table)\n"
CALLERS = {
    "constant": "from .db import clear_table\n\ndef nightly(cur):\n    clear_table(cur, 'sessions')\n",
    "constant-local": "from .db import clear_table\n\ndef nightly(cur):\n    name = 'sessions'\n    clear_table(cur, name)\n",
    "keyword": "from .db import clear_table\n\ndef nightly(cur):\n    clear_table(cur, table='sessions')\n",
    "request": "from .db import clear_table\n\ndef clear(request, cur):\n    clear_table(cur, request.args['table'])\n",
    "reassigned": "from .db import clear_table\n\ndef nightly(cur, request):\n    name = 'sessions'\n    name = request.args['t']\n    clear_table(cur, name)\n",
    "two-up-constant": "from .db import clear_table\n\ndef wipe(cur, table):\n    clear_table(cur, table)\n\ndef nightly(cur):\n    wipe(cur, 'exports')\n",
    "two-up-request": "from .db import clear_table\n\ndef wipe(cur, table):\n    clear_table(cur, table)\n\ndef view(cur, request):\n    wipe(cur, request.form['t'])\n",
    "loop": "from .db import clear_table\n\ndef nightly(cur):\n    for name in ('sessions', 'exports'):\n        clear_table(cur, name)\n",
    "loop-request": "from .db import clear_table\n\ndef nightly(cur, request):\n    for name in request.args.getlist('t'):\n        clear_table(cur, name)\n",
    "spread-dict": "from .db import clear_table\n\ndef nightly(cur, request):\n    opts = {'cur': cur}\n    clear_table(table='sessions', **opts)\n",
    "spread-kwargs": "from .db import clear_table\n\ndef nightly(cur, **opts):\n    clear_table(cur, **opts)\n",
    "star": "from .db import clear_table\n\ndef nightly(cur, args):\n    clear_table(cur, *args)\n",
}


def _sqli(project: Path, *paths: str) -> list[dict]:
    result = run_cli("check", "--no-cache", "-f", "json", "--select", "SEC-SQLI", *(paths or (".",)), cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["rule"] in ("BG201", "BG202")]


@pytest.mark.parametrize(
    "caller,reported",
    [("constant", False), ("constant-local", False), ("keyword", False), ("request", True), ("reassigned", True),
     ("two-up-constant", False), ("two-up-request", True), ("loop", False), ("loop-request", True), ("spread-dict", False), ("spread-kwargs", True), ("star", True)],
)
def test_callers_decide(tmp_path: Path, caller: str, reported: bool) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/jobs.py": CALLERS[caller]})
    found = _sqli(tmp_path)
    assert [(f["rule"], f["path"], f["line"]) for f in found] == ([("BG202", "app/db.py", 2)] if reported else [])
    if reported:
        assert found[0]["severity"] == "warning" and found[0]["extra"]["confidence"] == "medium"
        assert "app/jobs.py" in found[0]["message"]


def test_one_file_run_sees_the_callers_of_other_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/jobs.py": CALLERS["request"]})
    assert [f["rule"] for f in _sqli(tmp_path, "app/db.py")] == ["BG202"]
    write_tree(tmp_path, {"app/jobs.py": CALLERS["constant"]})
    assert _sqli(tmp_path, "app/db.py") == []


def test_request_data_and_values_stay_with_bg201(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app/db.py": "def find(cur, name):\n    cur.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n\n"
        "def search(cur):\n    find(cur, 'x')\n",
        "app/views.py": "def dump(cur, request):\n    cur.execute(f\"SELECT * FROM {request.args['t']}\")\n",
    })
    assert sorted((f["rule"], f["path"]) for f in _sqli(tmp_path)) == [("BG201", "app/db.py"), ("BG201", "app/views.py")]


def test_a_decorated_function_is_called_by_its_framework(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app/views.py": "from flask import Flask\n\napp = Flask(__name__)\n\n@app.route('/dump/<table>')\n"
        "def dump(table):\n    cur.execute(f'SELECT * FROM {table}')\n\ndef nightly():\n    dump('sessions')\n",
    })
    assert [f["rule"] for f in _sqli(tmp_path)] == ["BG201"]


@pytest.mark.parametrize(
    "argument,reported",
    [("'query_{}'.format(int(n))", False), ("'query_%d' % n", False), ("'t_' + request.args['x']", True), ("f't_{request.form[\"x\"]}'", True)],
)
def test_computed_arguments_are_read_where_needed_and_kept_in_the_cache(tmp_path: Path, argument: str, reported: bool) -> None:
    """Computed arguments are judged only for the callers BG202 reads (the main pass defers them):
    the verdict is the same in a cold run, in a run whose cache holds the deferred facts, and in a
    run where only an unrelated file changed (the caller's completed facts come from the cache)."""
    caller = f"from .db import clear_table\n\ndef nightly(cur, n, request):\n    clear_table(cur, {argument})\n"
    write_tree(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/jobs.py": caller, "app/other.py": "X = 1\n"})
    expected = [("BG202", "app/db.py", 2)] if reported else []

    def run(*extra: str) -> list[tuple[str, str, int]]:
        result = run_cli("check", "-f", "json", "--select", "SEC-SQLI", "--no-report", *extra, cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        return [(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"] if f["rule"] in ("BG201", "BG202")]

    assert run("--no-cache") == expected
    assert run() == expected  # cold cache: completed and stored
    write_tree(tmp_path, {"app/other.py": "X = 2\n"})
    assert run() == expected  # the project checks run again on the stored facts
    assert run("app/db.py") == expected  # a one-file run over the cached project


def test_a_changed_computed_argument_is_judged_again_from_a_warm_cache(tmp_path: Path) -> None:
    """The caller's facts are the same before and after (its argument is computed: deferred), so
    the project checks' stored outcome holds for every check but BG202, which read that file."""
    caller = "from .db import clear_table\n\ndef nightly(cur, n, request):\n    clear_table(cur, {})\n"
    write_tree(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/jobs.py": caller.format("'query_%d' % n")})

    def run(*extra: str) -> list[tuple[str, str, int]]:
        result = run_cli("check", "-f", "json", "--select", "SEC-SQLI", "--no-report", *extra, cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        return [(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"] if f["rule"] == "BG202"]

    assert run() == []
    write_tree(tmp_path, {"app/jobs.py": caller.format("'t_' + request.args['x']")})
    assert run("app/db.py") == [("BG202", "app/db.py", 2)]
    assert run() == [("BG202", "app/db.py", 2)]
    write_tree(tmp_path, {"app/jobs.py": caller.format("'query_%d' % n")})
    assert run() == []
