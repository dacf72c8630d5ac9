"""The plugin never changes a test's outcome or what the user's code observes.

One fixture suite of awkward tests (threads, asyncio, monkeypatched drivers, exact query counts
through Django's assertNumQueries/CaptureQueriesContext and SQLAlchemy event listeners, a user
sqlite3 Connection subclass and trace callback, time mocking, forked children, xfail/skip, a real
failure) runs in four modes: plain, `--backend-gates`, `-n 2`, `--backend-gates -n 2`, all with
`-W error` and EXPLAIN on. Every test's outcome must be identical in all four.
"""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["pytester"]

SETTINGS = """
SECRET_KEY = "test-only-not-secret-000000000000000000000000"
ROOT_URLCONF = "proj.urls"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
"""

URLS = """
from django.contrib.auth.models import User
from django.http import JsonResponse
from django.urls import path


def users(request):
    return JsonResponse({"names": [u.username for u in User.objects.filter(username__startswith="u")]})


urlpatterns = [path("users/", users)]
"""

AWKWARD = '''
import asyncio
import os
import sqlite3
import sys
import threading

import pytest


# ---------------------------------------------------------------- raw sqlite3: types and methods
class Logged(sqlite3.Connection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []
        self.set_trace_callback(self.seen.append)

    def execute(self, sql, *args):
        self.seen.append("own:" + sql)
        return super().execute(sql, *args)

    def cursor(self):  # no factory argument
        return super().cursor()


def test_connection_type_is_what_was_asked():
    conn = sqlite3.connect(":memory:")
    assert type(conn) is sqlite3.Connection


def test_user_subclass_and_its_trace_callback():
    conn = sqlite3.connect("user.db", factory=Logged)
    conn.execute("CREATE TABLE IF NOT EXISTS t (a int)")
    conn.execute("SELECT a FROM t WHERE a = 1").fetchall()
    conn.cursor().execute("SELECT a FROM t WHERE a = 2").fetchall()
    assert conn.seen == [
        "own:CREATE TABLE IF NOT EXISTS t (a int)", "CREATE TABLE IF NOT EXISTS t (a int)",
        "own:SELECT a FROM t WHERE a = 1", "SELECT a FROM t WHERE a = 1",
        "SELECT a FROM t WHERE a = 2",
    ]


def test_heavy_libraries_stay_out_of_the_test_process():
    assert "sqlglot" not in sys.modules and "libcst" not in sys.modules


def test_monkeypatched_driver(monkeypatch):
    calls = []

    class Fake:
        def execute(self, sql, *args):
            calls.append(sql)
            return self

        def fetchall(self):
            return [(42,)]

    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: Fake())
    assert sqlite3.connect("x.db").execute("SELECT 42").fetchall() == [(42,)]
    assert calls == ["SELECT 42"]


# ---------------------------------------------------------------- threads, asyncio, fork
def test_threads():
    results = []

    def work(i):
        conn = sqlite3.connect(":memory:")
        results.append(conn.execute("SELECT ?", (i,)).fetchone()[0])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(8))


def test_asyncio_with_aiosqlite():
    aiosqlite = pytest.importorskip("aiosqlite")

    async def main():
        async with aiosqlite.connect(":memory:") as db:
            await db.execute("CREATE TABLE t (a int)")
            await db.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
            async with db.execute("SELECT sum(a) FROM t") as cur:
                return (await cur.fetchone())[0]

    assert asyncio.run(main()) == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child():
    pid = os.fork()
    if pid == 0:
        try:
            conn = sqlite3.connect(":memory:")
            ok = conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# ---------------------------------------------------------------- time mocking
@pytest.mark.django_db
def test_frozen_time(client):
    freezegun = pytest.importorskip("freezegun")
    import datetime

    with freezegun.freeze_time("2020-01-02 03:04:05"):
        assert client.get("/users/").status_code == 200
        assert datetime.datetime.now().year == 2020


# ---------------------------------------------------------------- exact query counts
@pytest.mark.django_db
def test_django_assert_num_queries(client, django_assert_num_queries):
    from django.contrib.auth.models import User

    User.objects.create(username="u1")
    with django_assert_num_queries(1):
        assert client.get("/users/").json() == {"names": ["u1"]}


@pytest.mark.django_db
def test_capture_queries_context():
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        User.objects.filter(username="nobody").exists()
        User.objects.filter(username="x").count()
    assert len(ctx.captured_queries) == 2
    assert all("EXPLAIN" not in q["sql"] for q in ctx.captured_queries)


def test_sqlalchemy_event_counts(tmp_path):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'sa.db'}")
    seen = []
    sqlalchemy.event.listen(engine, "before_cursor_execute", lambda conn, cur, sql, *a: seen.append(sql))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a int)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert conn.exec_driver_sql("SELECT a FROM t WHERE a = 1").scalar() == 1
    assert seen == ["CREATE TABLE t (a int)", "INSERT INTO t VALUES (1)", "SELECT a FROM t WHERE a = 1"]


class TestDjangoCase:
    pytestmark = pytest.mark.django_db

    def test_assert_num_queries_in_a_test_case(self):
        from django.contrib.auth.models import User
        from django.test import TestCase

        case = TestCase()
        with case.assertNumQueries(2):
            User.objects.create(username="u2")
            User.objects.filter(username="u2").first()


# ---------------------------------------------------------------- outcomes of every kind
@pytest.mark.xfail(reason="known bug", strict=True)
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed meanwhile", strict=True)
def test_xpass_strict_fails():
    assert True


@pytest.mark.skip(reason="not today")
def test_skip():
    raise AssertionError("never runs")


def test_imperative_skip():
    pytest.skip("skipped inside")


@pytest.mark.django_db
def test_real_failure(client):
    assert client.get("/users/").status_code == 418


def test_warning_as_error():
    import warnings

    with pytest.raises(UserWarning):
        warnings.warn("user code warns", UserWarning)
'''


def _outcomes(result: pytest.RunResult) -> list[tuple[str, str]]:
    """(test, outcome) from the `-rA` summary; skips are named by their location."""
    found = []
    for line in result.outlines:
        m = re.match(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+)", line)
        if m:
            found.append((m.group(2).rsplit("::", 1)[-1], m.group(1)))
            continue
        m = re.match(r"^SKIPPED \[\d+\] (\S+?):? ", line)
        if m:
            found.append((m.group(1), "SKIPPED"))
    return sorted(found)


@pytest.mark.slow
def test_awkward_suite_has_identical_outcomes_in_every_mode(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_django")
    pytest.importorskip("xdist")
    pytester.makepyprojecttoml(
        '[tool.backend-gates]\npaths = ["proj"]\n[tool.backend-gates.runtime]\nexplain = true\n'
        '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "proj.settings"\n'
    )
    pytester.mkpydir("proj")
    (pytester.path / "proj" / "settings.py").write_text(SETTINGS)
    (pytester.path / "proj" / "urls.py").write_text(URLS)
    pytester.makepyfile(test_awkward=AWKWARD)
    modes = {
        "plain": (),
        "gates": ("--backend-gates",),
        "xdist": ("-n", "2"),
        "gates+xdist": ("--backend-gates", "-n", "2"),
    }
    seen = {}
    for name, args in modes.items():
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "-rA", *args)
        seen[name] = (_outcomes(result), result.ret)
    plain, ret = seen["plain"]
    assert ret == 1  # the real failure and the strict xpass
    assert dict(plain)["test_real_failure"] == "FAILED" and dict(plain)["test_xpass_strict_fails"] == "FAILED"
    assert dict(plain)["test_user_subclass_and_its_trace_callback"] == "PASSED"
    assert len(plain) == 18, plain
    for name, got in seen.items():
        assert got == seen["plain"], name
