"""`pytest --backend-gates-migrations` through pytester, as users run it."""

from __future__ import annotations

import shutil

import pytest

from support import FIXTURES

pytest_plugins = ["pytester"]
pytest.importorskip("alembic")


def _project(pytester: pytest.Pytester, name: str) -> None:
    shutil.copytree(FIXTURES / name, pytester.path, dirs_exist_ok=True)
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")


def test_clean_tree_passes(pytester: pytest.Pytester) -> None:
    _project(pytester, "alembic_clean")
    result = pytester.runpytest_subprocess("--backend-gates-migrations", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*backend-gates migrations round trip*", "*ok   0004*", "*passed"])
    assert result.ret == 0


def test_broken_downgrade_fails_the_session(pytester: pytest.Pytester) -> None:
    _project(pytester, "alembic_bad_downgrade")
    result = pytester.runpytest_subprocess("--backend-gates-migrations", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*FAIL 0002*not-restored*nickname left behind*"])
    assert result.ret == 1


def test_without_migrations_it_warns_and_keeps_the_outcome(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--backend-gates-migrations", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*not run:*no alembic.ini*"])
    assert result.ret == 0
