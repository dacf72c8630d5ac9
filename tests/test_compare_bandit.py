"""Side by side with bandit: every SQL-injection and secret case bandit catches, we catch too,
and we raise fewer false positives on the safe cases (bench/compare_bandit.py)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from support import REPO

pytest.importorskip("bandit", reason="bandit is not installed (pip install -e '.[test]')")


def _bench():
    spec = importlib.util.spec_from_file_location("compare_bandit", REPO / "bench" / "compare_bandit.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["compare_bandit"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def comparison():
    bench = _bench()
    rows, tools = bench.compare()
    return bench, rows, tools


def test_cases_are_labelled_and_balanced(comparison) -> None:
    bench, rows, _tools = comparison
    for category in bench.CATEGORIES:
        labels = [r.case.label for r in rows if r.case.category == category]
        assert labels.count("bad") >= 8 and labels.count("safe") >= 8, category


def test_we_catch_every_case_bandit_or_ruff_catches(comparison) -> None:
    bench, rows, tools = comparison
    assert "bandit" in tools
    assert bench.score(rows, "bandit", "sqli")["caught"] > 0, "bandit found nothing: the comparison is vacuous"
    assert bench.missed_by_us(rows) == []


@pytest.mark.parametrize("category", ["sqli", "secret"])
def test_fewer_false_positives_than_bandit(comparison, category: str) -> None:
    bench, rows, _tools = comparison
    ours, theirs = bench.score(rows, "backend-gates", category), bench.score(rows, "bandit", category)
    assert ours["false_positives"] < theirs["false_positives"], (ours, theirs)
    assert ours["caught"] >= theirs["caught"], (ours, theirs)


def test_markdown_table_lists_every_case(comparison) -> None:
    bench, rows, tools = comparison
    text = bench.render_markdown(rows, tools)
    for row in rows:
        assert f"`{row.case.path}`" in text
    assert "| case | label | bandit | ruff-S | backend-gates |" in text


def test_no_more_false_positives_than_bandit_in_any_category(comparison) -> None:
    bench, rows, _tools = comparison
    ours_total = theirs_total = 0
    for category in bench.CATEGORIES:
        ours, theirs = bench.score(rows, "backend-gates", category), bench.score(rows, "bandit", category)
        assert ours["false_positives"] <= theirs["false_positives"], (category, ours, theirs)
        assert ours["caught"] >= theirs["caught"], (category, ours, theirs)
        ours_total += ours["false_positives"]
        theirs_total += theirs["false_positives"]
    assert ours_total < theirs_total
