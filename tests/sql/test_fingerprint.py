"""The shared SQL fingerprint: values do not matter, structure does; repeats are cheap."""

from __future__ import annotations

import time

from backend_gates.sql.fingerprint import fingerprint, normalize


def test_literals_case_and_whitespace_do_not_matter() -> None:
    assert fingerprint("SELECT * FROM t WHERE id = 1") == fingerprint("select * from t where id=2")
    assert normalize("SELECT * FROM t WHERE id = 1") == "select * from t where id = ?"


def test_a_different_column_gives_another_fingerprint() -> None:
    assert fingerprint("SELECT * FROM t WHERE id = 1") != fingerprint("SELECT * FROM t WHERE name = 1")
    assert fingerprint("SELECT a FROM t") != fingerprint("SELECT b FROM t")


def test_placeholders_strings_and_in_lists_collapse() -> None:
    same = [
        "SELECT a FROM t WHERE x IN (1, 2, 3) AND y = 'abc'",
        "SELECT a FROM t WHERE x IN (%s, %s) AND y = %s",
        "SELECT a FROM t WHERE x IN (?) AND y = ?",
        "SELECT a FROM t WHERE x IN ($1, $2, $3, $4) AND y = $5",
        "select a from t where x in (:a, :b) and y = :name",
    ]
    assert len({fingerprint(s) for s in same}) == 1
    assert fingerprint("INSERT INTO t (a, b) VALUES (1, 2), (3, 4)") == fingerprint("INSERT INTO t (a, b) VALUES (%s, %s)")


def test_casts_survive_and_unparseable_sql_falls_back() -> None:
    assert "cast" in normalize("SELECT a::int FROM t WHERE y = :name", "postgres")
    text = normalize("SELEC garbage FROM 12 'x'")
    assert text == "selec garbage from ? ?"
    assert fingerprint("SELEC garbage FROM 12 'x'") == fingerprint("SELEC  garbage from 99 'y'")


def test_ten_thousand_repeated_statements_in_well_under_a_second() -> None:
    normalize("SELECT 1")  # sqlglot imported once, outside the measurement
    normalize.cache_clear()
    fingerprint.cache_clear()
    statements = [f"SELECT id, name FROM users WHERE id = {i % 50} AND status = 'active'" for i in range(10_000)]
    start = time.perf_counter()
    prints = {fingerprint(s) for s in statements}
    elapsed = time.perf_counter() - start
    assert len(prints) == 1
    assert elapsed < 0.5, f"10,000 statements took {elapsed:.3f}s"
