"""Runtime judgement that names the right place and does not cry wolf, on fixture projects.

N+1 at the first project frame outside tests and installed libraries (else the view), one finding
per place; loops in a test body are not the application's N+1; unsafe GET leaves out session,
cache, log and rate-limit bookkeeping and names the view and the table; a 5xx a passing test
asserts is not an error rate; few-sample endpoints are judged by their maximum; test kinds come
from what the test did; timings fail only when clearly above their threshold.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]


def _run(pytester: pytest.Pytester, *args: str) -> tuple[Any, dict[str, Any]]:
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-p", "no:cacheprovider", *args)
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    return result, event


def _gate(event: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in event["gates"] if g["id"] == gate_id)


def _rules(event: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in event["findings"] if f["rule"] == code and not f["suppressed"]]


def _line_of(path: Path, marker: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if marker in line)


def _project(pytester: pytest.Pytester, files: dict[str, str], toml: str = "") -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\n' + toml)
    (pytester.path / "app").mkdir(exist_ok=True)
    (pytester.path / "app" / "__init__.py").write_text("")
    for rel, text in files.items():
        target = pytester.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


MODELS = """
from sqlalchemy import ForeignKey, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.pool import StaticPool

engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


Base.metadata.create_all(engine)
with Session(engine) as s:
    for i in range(6):
        s.add(Author(name=f"a{i}", books=[Book(title=f"b{i}")]))
    s.commit()


def add_author(session, name):
    session.add(Author(name=name))
    session.flush()
    return session.query(Author).filter_by(name=name).one()  # HELPER SELECT
"""

FLASK_APP = """
from flask import Flask
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from app.models import Author, engine


class BookSchema(Schema):
    title = fields.Str()


class AuthorSchema(Schema):
    name = fields.Str()
    books = fields.List(fields.Nested(BookSchema))


app = Flask(__name__)


@app.get("/authors")
def authors():
    with Session(engine) as session:
        return {"authors": AuthorSchema(many=True).dump(session.query(Author).all())}  # MARSHMALLOW N+1
"""

FASTAPI_APP = """
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from app.models import Author, engine

app = FastAPI()
session = Session(engine)


class BookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    title: str


class AuthorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    books: list[BookOut]


@app.get("/authors", response_model=list[AuthorOut])
def list_authors():  # VIEW
    session.expire_all()
    return session.query(Author).all()
"""


def test_n_plus_one_is_attributed_to_the_application_once_per_place(pytester: pytest.Pytester) -> None:
    pytest.importorskip("marshmallow")
    pytest.importorskip("webtest")
    pytest.importorskip("fastapi")
    _project(pytester, {"app/models.py": MODELS, "app/flask_app.py": FLASK_APP, "app/api.py": FASTAPI_APP, "tests/test_n1.py": """
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from webtest import TestApp

from app.api import app as api
from app.flask_app import app
from app.models import engine, add_author

web = TestApp(app)
client = TestClient(api)


def test_flask_list():
    assert len(web.get("/authors").json["authors"]) == 6


def test_flask_list_again():
    assert web.get("/authors").status_int == 200


def test_fastapi_list():
    assert len(client.get("/authors").json()) == 6


def test_seeding_loop_in_the_test_body():
    with Session(engine) as session:
        for i in range(6):
            add_author(session, f"new{i}")  # SEEDING LOOP
        session.rollback()
"""})
    result, event = _run(pytester)
    result.assert_outcomes(passed=4)
    hits = {(f["path"], f["line"]): f for f in _rules(event, "BG500")}
    flask_line = ("app/flask_app.py", _line_of(pytester.path / "app" / "flask_app.py", "# MARSHMALLOW N+1"))
    view_line = ("app/api.py", _line_of(pytester.path / "app" / "api.py", "# VIEW"))
    helper_line = ("app/models.py", _line_of(pytester.path / "app" / "models.py", "# HELPER SELECT"))
    assert set(hits) == {flask_line, view_line, helper_line}, sorted(hits)
    # marshmallow lazy-loads inside the view's dump() call: the view's line, once for both tests
    flask = hits[flask_line]
    assert flask["severity"] == "error" and flask["extra"]["occurrences"] == 2
    assert flask["extra"]["tests"] == ["tests/test_n1.py::test_flask_list", "tests/test_n1.py::test_flask_list_again"]
    # pydantic serialises after the endpoint returned: no project frame, so the view is named
    assert hits[view_line]["extra"]["origin"] == "view" and hits[view_line]["severity"] == "error"
    # the test's own loop calling a helper: reported for the record, never as the app's N+1
    assert hits[helper_line]["extra"]["origin"] == "test" and hits[helper_line]["severity"] == "info"
    assert not [f for f in _rules(event, "BG500") if f["path"].startswith("tests/")]


DJANGO_SETTINGS = """
SECRET_KEY = "test-only-not-secret-000000000000000000000000"
ROOT_URLCONF = "proj.urls"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
SESSION_ENGINE = "django.contrib.sessions.backends.db"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
"""

DJANGO_URLS = """
from django.contrib.auth.models import Group, User
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


def remember(request):
    request.session["seen"] = request.session.get("seen", 0) + 1  # a session save: bookkeeping
    return JsonResponse({"ok": True})


def counter(request):  # COUNTER VIEW
    Group.objects.create(name=f"visit-{Group.objects.count()}")
    return JsonResponse({"ok": True})


def me(request):
    user = User.objects.get(username="ann")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())  # one row's last_login: bookkeeping
    return JsonResponse({"name": user.username})


def rename(request):  # RENAME VIEW
    User.objects.filter(pk=User.objects.get(username="ann").pk).update(last_name="Smith")  # a state change
    return JsonResponse({"ok": True})


@csrf_exempt
def ping(request, kind=None):  # PING VIEW: any method records a ping (by design, like a webhook)
    Group.objects.create(name=f"ping-{Group.objects.count()}")
    return JsonResponse({"ok": True})


urlpatterns = [path("remember/", remember), path("counter/", counter), path("me/", me), path("rename/", rename), path("ping/", ping), path("ping/<str:kind>/", ping)]
"""


def _django_project(pytester: pytest.Pytester) -> None:
    """The Django project of DJANGO_URLS, gated by the plugin (T-KINDS left out)."""
    pytest.importorskip("pytest_django")
    pytester.makepyprojecttoml(
        '[tool.backend-gates]\npaths = ["proj"]\nignore = ["T-KINDS"]\n'
        '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "proj.settings"\n'
    )
    pytester.mkpydir("proj")
    (pytester.path / "proj" / "settings.py").write_text(DJANGO_SETTINGS)
    (pytester.path / "proj" / "urls.py").write_text(DJANGO_URLS)


def test_unsafe_get_ignores_bookkeeping_and_names_view_and_table(pytester: pytest.Pytester) -> None:
    """Session saves and a one-row `last_login` update are bookkeeping; a new row and a changed
    name are state changes, reported at their views with the table."""
    _django_project(pytester)
    pytester.makepyfile(test_views="""
import pytest


@pytest.mark.django_db
def test_remember(client):
    assert client.get("/remember/").json() == {"ok": True}
    assert client.get("/remember/").json() == {"ok": True}


@pytest.mark.django_db
def test_counter(client):
    assert client.get("/counter/").status_code == 200


@pytest.mark.django_db
def test_me_and_rename(client, django_user_model):
    django_user_model.objects.create(username="ann")
    assert client.get("/me/").json() == {"name": "ann"}
    assert client.get("/rename/").status_code == 200


@pytest.mark.django_db
def test_ping(client):
    assert client.get("/ping/").status_code == 200
    assert client.post("/ping/").status_code == 200
""")
    result, event = _run(pytester)
    result.assert_outcomes(passed=4)
    urls = pytester.path / "proj" / "urls.py"
    unsafe, renamed, ping = sorted(_rules(event, "BG546"), key=lambda f: f["line"])
    assert (ping["line"], ping["severity"]) == (_line_of(urls, "# PING VIEW"), "warning")  # writes alike on POST
    assert (unsafe["severity"], renamed["severity"]) == ("error", "error")
    assert (unsafe["path"], unsafe["line"]) == ("proj/urls.py", _line_of(urls, "# COUNTER VIEW"))
    assert "auth_group (1x)" in unsafe["message"] and "django_session" not in unsafe["message"]
    assert "counter at proj/urls.py" in unsafe["message"]
    assert (renamed["line"], "auth_user (1x)" in renamed["message"]) == (_line_of(urls, "# RENAME VIEW"), True)
    assert not [f for f in _rules(event, "BG546") if "/me/" in f["message"]]
    assert _gate(event, "API-REST")["status"] == "failed"


def test_unsafe_get_on_a_sibling_route_of_a_view_that_writes_alike_on_post_is_a_warning(pytester: pytest.Pytester) -> None:
    """`/ping/<kind>/` is served by the ping view, which the suite POSTs only through `/ping/`:
    the view writes the same on POST, so the GET on its sibling route is the deliberate design
    (healthchecks' `/ping/{code}/fail`), a warning like its parent, not an error."""
    _django_project(pytester)
    pytester.makepyfile(test_views="""
import pytest


@pytest.mark.django_db
def test_ping(client):
    assert client.post("/ping/").status_code == 200
    assert client.get("/ping/fail/").status_code == 200


@pytest.mark.django_db
def test_counter(client):
    assert client.get("/counter/").status_code == 200
""")
    result, event = _run(pytester)
    result.assert_outcomes(passed=2)
    found = {("/ping/" in f["message"], f["severity"]) for f in _rules(event, "BG546")}
    assert found == {(True, "warning"), (False, "error")}, _rules(event, "BG546")


FLASK_ERRORS = """
import time

from flask import Flask

app = Flask(__name__)


@app.get("/maintenance")
def maintenance():
    return {"detail": "down for maintenance"}, 503


@app.get("/crash")
def crash():
    return {"detail": "oops"}, 500


@app.get("/slow")
def slow():
    time.sleep(0.35)
    return {"ok": True}


@app.get("/bit-slow")
def bit_slow():
    time.sleep(0.2)  # 2x the budget: over it even when a loaded machine's wait is left out, under 3x
    return {"ok": True}
"""


def test_asserted_5xx_excluded_and_few_samples_judged_by_maximum(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    _project(pytester, {"app/main.py": FLASK_ERRORS, "tests/test_errors.py": """
from app.main import app

client = app.test_client()


def test_maintenance_answer():
    assert client.get("/maintenance").status_code == 503


def test_crash_not_asserted():
    client.get("/crash")


def test_slow_twice():
    client.get("/slow")
    client.get("/slow")


def test_bit_slow_once():
    client.get("/bit-slow")
"""}, toml=(
        "[tool.backend-gates.thresholds]\nlatency-p95-ms = 100\nerror-rate-percent = 30\n"
    ))
    result, event = _run(pytester)
    result.assert_outcomes(passed=4)
    errors = event["metrics"]["errors"]
    assert errors["asserted"] == 1 and errors["server_errors"] == 1 and errors["responses"] == 4
    assert _gate(event, "M-ERRORS")["status"] == "passed"  # 1 of 4 = 25% < 30%
    latency = event["metrics"]["latency"]
    assert latency["GET /slow"]["judged_by"] == "max" and latency["GET /slow"]["status"] == "failed"
    assert latency["GET /bit-slow"]["status"] == "noisy"  # one request, under 3x the budget
    slow = {f["extra"]["endpoint"]: f for f in _rules(event, "BG548")}
    assert slow["GET /slow"]["severity"] == "error" and "max latency" in slow["GET /slow"]["message"]
    assert "over 2 request(s)" in slow["GET /slow"]["message"]
    assert slow["GET /bit-slow"]["severity"] == "info"
    assert _gate(event, "M-LATENCY")["status"] == "failed"


def test_kinds_come_from_what_the_test_did_not_fixture_names(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n')
    pytester.mkpydir("app")
    pytester.makeconftest("""
import sqlite3

import pytest


@pytest.fixture(autouse=True)
def db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a int)")  # set-up touches the database for every test
    yield conn


@pytest.fixture
def client():
    return object()
""")
    pytester.makepyfile(test_things="""
def test_pure():
    assert 1 + 1 == 2


def test_with_client_fixture(client):
    assert client is not None


def test_queries(db):
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)
""")
    result, event = _run(pytester)
    result.assert_outcomes(passed=3)
    kinds = event["metrics"]["test_kinds"]
    assert kinds["unit"] == 2 and kinds["integration"] == 1


def test_one_query_at_the_threshold_is_not_a_failure(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """One execution just over the slow-query threshold is noise (info), never a failed gate."""
    monkeypatch.setenv("BACKEND_GATES_THRESHOLDS_SLOW_QUERY_MS", "100")
    _project(pytester, {"tests/test_q.py": (
        "import time, sqlalchemy\n"
        "engine = sqlalchemy.create_engine('sqlite://')\n"
        "sqlalchemy.event.listen(engine, 'connect', lambda c, r: c.create_function('sleepy', 1, lambda x: time.sleep(0.12) or x))\n"
        "def test_once():\n"
        "    with engine.connect() as c:\n"
        "        c.exec_driver_sql('SELECT sleepy(1)').fetchall()\n"
    )})
    result, event = _run(pytester)
    result.assert_outcomes(passed=1)
    assert [f["severity"] for f in _rules(event, "BG502")] == ["info"]
    assert _gate(event, "DB-PERF")["status"] != "failed"
    assert _gate(event, "M-QUERY")["status"] != "failed"


GENERATED_APP = """
from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()


@app.get("/things/{thing_id}")
def thing(thing_id: int):
    if thing_id == 0:
        return JSONResponse({"detail": "gone"}, status_code=410)
    return {"id": thing_id}


@app.post("/things")
def create():
    return {"id": 1}
"""


@pytest.mark.parametrize("configured", [True, False])
def test_the_apps_generated_spec_is_used_without_a_spec_file(pytester: pytest.Pytester, configured: bool) -> None:
    pytest.importorskip("fastapi")
    toml = '[tool.backend-gates.openapi]\napp = "app.main:app"\n' if configured else ""
    _project(pytester, {"app/main.py": GENERATED_APP, "tests/test_things.py": """
from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_thing():
    assert client.get("/things/3").json() == {"id": 3}


def test_gone():
    assert client.get("/things/0").status_code == 410
"""}, toml=toml)
    result, event = _run(pytester)
    result.assert_outcomes(passed=2)
    coverage = event["metrics"]["spec_coverage"]
    assert [s.rsplit("/", 1)[-1] for s in coverage["specs"]] == ["app-openapi.json"]
    assert coverage["exercised"] == 1 and coverage["untested"] == ["POST /things"]
    assert coverage["generated_from"] == ("app.main:app" if configured else "the FastAPI app the tests called")
    [undocumented] = _rules(event, "BG540")
    assert undocumented["extra"]["status"] == 410 and undocumented["path"] == coverage["specs"][0]
    assert _gate(event, "API-DOCS")["status"] != "not_evaluated"


FLASK_BUSY = """
import time

from flask import Flask

app = Flask(__name__)


@app.get("/work")
def work():
    end = time.process_time() + 0.02  # 20 ms of CPU: fast on an idle machine
    n = 0
    while time.process_time() < end:
        n += 1
    return {"n": n}


@app.get("/sleepy")
def sleepy():
    time.sleep(0.3)  # slow whatever the machine does
    return {"ok": True}
"""

CONTENTION = """
import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="session", autouse=True)
def busy_machine():
    # this process and 6 CPU-bound processes share one CPU: every request waits for it
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(6)]
    for hog in hogs:
        os.sched_setaffinity(hog.pid, {cpu})
    yield
    for hog in hogs:
        hog.kill()
        hog.wait()
"""


def test_latency_leaves_out_waiting_for_a_cpu_on_a_loaded_machine(pytester: pytest.Pytester) -> None:
    """A CPU-light endpoint is not slow because the machine is busy (its requests wait for a CPU:
    that time is left out); an endpoint that sleeps is slow whatever the load."""
    pytest.importorskip("flask")
    if not (hasattr(os, "sched_setaffinity") and Path("/proc/thread-self/schedstat").exists()):
        pytest.skip("needs Linux scheduler statistics and CPU affinity")
    _project(pytester, {"app/main.py": FLASK_BUSY, "tests/conftest.py": CONTENTION, "tests/test_busy.py": """
from app.main import app

client = app.test_client()


def test_work():
    for _ in range(5):
        assert client.get("/work").status_code == 200


def test_sleepy():
    for _ in range(3):
        assert client.get("/sleepy").status_code == 200
"""}, toml="[tool.backend-gates.thresholds]\nlatency-p95-ms = 100\n")
    result, event = _run(pytester)
    result.assert_outcomes(passed=2)
    latency = event["metrics"]["latency"]
    work, sleepy = latency["GET /work"], latency["GET /sleepy"]
    assert work["cpu_wait_ms"] > 5 * 60, work  # the machine was busy: each request waited for the CPU
    assert work["status"] == "passed" and work["max_ms"] < 100, work
    assert sleepy["status"] == "failed" and sleepy["max_ms"] >= 300, sleepy
    assert [f["extra"]["endpoint"] for f in _rules(event, "BG548")] == ["GET /sleepy"]
