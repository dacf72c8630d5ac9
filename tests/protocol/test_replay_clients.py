"""SEC-AUTHN replay (opt-in) through Django's test client and async httpx clients.

The no-op guard is reported, the real guard is not, and the tests' outcomes are identical with
and without the replay (pytester runs of real projects).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]

DJANGO_SETTINGS = '''
SECRET_KEY = "not-a-secret"
DEBUG = True
ROOT_URLCONF = "proj.urls"
ALLOWED_HOSTS = ["*"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
USE_TZ = True
'''

DJANGO_VIEWS = '''
from functools import wraps

from django.http import JsonResponse


def token_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.headers.get("Authorization") != "Bearer good":
            return JsonResponse({"detail": "not authenticated"}, status=401)
        return view(request, *args, **kwargs)
    return wrapper


def auth_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.META.get("HTTP_AUTHORIZATION")  # reads it, never checks it
        return view(request, *args, **kwargs)
    return wrapper


@token_required
def profile(request):
    return JsonResponse({"user": "ann"})


@auth_required
def export(request, pk):
    return JsonResponse({"rows": pk})
'''

DJANGO_URLS = '''
from django.urls import path

from . import views

urlpatterns = [
    path("api/profile", views.profile),
    path("api/export/<int:pk>", views.export),
]
'''

DJANGO_TESTS = '''
import pytest
from django.test import Client


def test_profile():
    assert Client().get("/api/profile", HTTP_AUTHORIZATION="Bearer good").json() == {"user": "ann"}


def test_export():
    client = Client(HTTP_AUTHORIZATION="Bearer good")
    assert client.get("/api/export/3").json() == {"rows": 3}


def test_anonymous_rejected():
    assert Client().get("/api/profile").status_code == 401


def test_fails():
    assert Client().get("/api/profile").status_code == 200


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert Client(HTTP_AUTHORIZATION="Bearer good").get("/api/export/1").json()["rows"] == 2
'''

ASYNC_APP = '''
from fastapi import Depends, FastAPI, Header, HTTPException

app = FastAPI()


def require_user(authorization: str | None = Header(default=None)) -> str:
    if authorization != "Bearer good":
        raise HTTPException(status_code=401, detail="not authenticated")
    return "ann"


def get_current_user(authorization: str | None = Header(default=None)) -> str | None:
    return authorization  # looks like a guard; lets anonymous requests through


@app.get("/api/me")
async def me(user: str = Depends(require_user)) -> dict[str, str]:
    return {"user": user}


@app.get("/api/reports/{report_id}")
async def report(report_id: int, user: str | None = Depends(get_current_user)) -> dict[str, int]:
    return {"id": report_id}
'''

ASYNC_TESTS = '''
import httpx
import pytest

from app.main import app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def client(**kwargs):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", **kwargs)


async def test_me():
    async with client(headers={"Authorization": "Bearer good"}) as c:
        assert (await c.get("/api/me")).json() == {"user": "ann"}


async def test_report():
    async with client() as c:
        answer = await c.get("/api/reports/7", headers={"Authorization": "Bearer good"})
        assert answer.json() == {"id": 7}


async def test_anonymous_rejected():
    async with client() as c:
        assert (await c.get("/api/me")).status_code == 401


async def test_fails():
    async with client(headers={"Authorization": "Bearer good"}) as c:
        assert (await c.get("/api/me")).status_code == 500
'''


def _write(pytester: pytest.Pytester, files: dict[str, str], config: str, replay: bool) -> None:
    if replay:
        config += "\n[tool.backend-gates.runtime]\nreplay-unauthenticated = true\n"
    pytester.makepyprojecttoml(config)
    for path, text in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _run(pytester: pytest.Pytester, *args: str) -> tuple[Any, dict[str, Any], list[str]]:
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "-rA", *args)
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    outcomes = sorted(line for line in result.outlines if re.match(r"^(PASSED|FAILED|XFAIL|XPASS|ERROR|SKIPPED) ", line))
    return result, event, outcomes


def _replayed(event: dict[str, Any]) -> list[str]:
    return [f["extra"]["endpoint"] for f in event["findings"] if f["rule"] == "BG566"]


def _judged(event: dict[str, Any]) -> Any:
    gate = next(g for g in event["gates"] if g["id"] == "SEC-AUTHN")
    return (gate.get("evidence") or {}).get("unauthenticated_replays")


def test_django_test_client_replay(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_django")
    files = {"proj/__init__.py": "", "proj/settings.py": DJANGO_SETTINGS, "proj/views.py": DJANGO_VIEWS,
             "proj/urls.py": DJANGO_URLS, "test_api.py": DJANGO_TESTS}
    config = '[tool.backend-gates]\npaths = ["proj"]\nignore = ["T-KINDS"]\n[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "proj.settings"\n'
    _write(pytester, files, config, replay=False)
    plain, plain_event, plain_outcomes = _run(pytester)
    plain.assert_outcomes(passed=3, failed=1, xfailed=1)
    assert _replayed(plain_event) == []

    _write(pytester, files, config, replay=True)
    result, event, outcomes = _run(pytester)
    assert outcomes == plain_outcomes and result.ret == plain.ret
    assert _replayed(event) == ["GET /api/export/{pk}"]
    [finding] = [f for f in event["findings"] if f["rule"] == "BG566"]
    assert finding["path"] == "proj/views.py" and finding["extra"]["removed"] == ["authorization"]
    assert _judged(event)["guarded_endpoints_judged"] == 2  # /api/profile answered 401, /api/export 200


def test_async_httpx_client_replay(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("anyio")
    files = {"app/__init__.py": "", "app/main.py": ASYNC_APP, "test_api.py": ASYNC_TESTS}
    config = '[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\n'
    _write(pytester, files, config, replay=False)
    plain, plain_event, plain_outcomes = _run(pytester)
    plain.assert_outcomes(passed=3, failed=1)
    assert _replayed(plain_event) == []

    _write(pytester, files, config, replay=True)
    result, event, outcomes = _run(pytester)
    assert outcomes == plain_outcomes and result.ret == plain.ret
    assert _replayed(event) == ["GET /api/reports/{report_id}"]
    assert _judged(event)["guarded_endpoints_judged"] == 2
