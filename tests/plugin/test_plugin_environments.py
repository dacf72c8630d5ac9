"""The plugin installed into other people's test environments, as they would install it.

Each test builds a fresh virtual environment with an older stack, installs this package with the
environment's own pins as constraints (what a lock file does), checks nothing the project pinned
was changed, and runs the project's tests with `--backend-gates`. Slow: they install packages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _venv(where: Path, *requirements: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    proc = subprocess.run([*pip, *requirements], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot install {requirements} here: {proc.stderr.strip().splitlines()[-1:]}")
    return python


def _freeze(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    pins = {}
    for line in out.splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.lower().replace("_", "-")] = version
    return pins


def _install_plugin(python: Path, tmp: Path) -> tuple[dict[str, str], dict[str, str]]:
    before = _freeze(python)
    constraints = tmp / "constraints.txt"
    constraints.write_text("".join(f"{k}=={v}\n" for k, v in before.items()))
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO), "-c", str(constraints)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return before, _freeze(python)


def _run_tests(python: Path, project: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--backend-gates", "--backend-gates-no-static"],
        cwd=project, capture_output=True, text=True, timeout=600,
    )
    event = json.loads((project / ".backend-gates" / "report.json").read_text())
    return proc, event


@pytest.mark.slow
def test_next_to_a_pydantic_1_fastapi_app(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", "fastapi<0.100", "pydantic<2", "httpx<0.28", "pytest>=8.3")
    before, after = _install_plugin(python, tmp_path)
    changed = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
    assert changed == {}, changed  # pydantic 1, FastAPI, Starlette, httpx untouched
    assert after["pydantic"].startswith("1.")
    assert "pydantic-settings" not in after  # no openapi-spec-validator that needs pydantic 2
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text('[tool.backend-gates]\npaths = ["app"]\n')
    (project / "app" / "main.py").write_text(
        "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\napp = FastAPI()\n\n\n"
        "class Item(BaseModel):\n    id: int\n    name: str\n\n\n"
        "@app.get('/items/{item_id}', response_model=Item)\ndef item(item_id: int):\n    return Item(id=item_id, name='x')\n"
    )
    (project / "test_app.py").write_text(
        "from fastapi.testclient import TestClient\nfrom app.main import app\n\nclient = TestClient(app)\n\n\n"
        "def test_item():\n    assert client.get('/items/3').json() == {'id': 3, 'name': 'x'}\n"
    )
    proc, event = _run_tests(python, project)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 passed" in proc.stdout
    assert [(e["path"], e["requests"]) for e in event["endpoints"]] == [("/items/{item_id}", 1)]
    assert event["metrics"]["spec_coverage"]["exercised"] == 1  # FastAPI's generated spec, pydantic 1


@pytest.mark.slow
def test_werkzeug_1_test_client_is_recorded(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", "flask<2", "werkzeug<2", "jinja2<3", "markupsafe<2.1", "itsdangerous<2", "pytest>=8.3")
    before, after = _install_plugin(python, tmp_path)
    assert after["werkzeug"].startswith("1.") and after["flask"].startswith("1.")
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text('[tool.backend-gates]\npaths = ["app"]\n')
    (project / "app" / "main.py").write_text(
        "from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n"
        "@app.route('/users/<int:user_id>')\ndef get_user(user_id):\n    return jsonify(id=user_id, name='Ann')\n"
    )
    (project / "test_app.py").write_text(
        "from app.main import app\n\n\ndef test_get():\n    client = app.test_client()\n"
        "    assert client.get('/users/1').status_code == 200\n    assert client.get('/users/2').get_json()['id'] == 2\n"
    )
    proc, event = _run_tests(python, project)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert [(e["path"], e["requests"], e["statuses"]) for e in event["endpoints"]] == [("/users/{user_id}", 2, {"200": 2})]
    assert not event["errors"]  # no "no supported client" capture error


@pytest.mark.slow
def test_next_to_a_locked_django_project(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", "django>=4.2,<4.3", "pytest-django>=4.5,<4.9", "pytest>=8.3,<8.4", "coverage==7.2.7")
    before, after = _install_plugin(python, tmp_path)
    changed = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
    assert changed == {}, changed  # Django, pytest, coverage stay as locked
    project = tmp_path / "project"
    (project / "proj").mkdir(parents=True)
    (project / "proj" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        '[tool.backend-gates]\npaths = ["proj"]\n[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "proj.settings"\n'
    )
    (project / "proj" / "settings.py").write_text(
        'SECRET_KEY = "test-only-not-secret-000000000000000000000000"\nROOT_URLCONF = "proj.urls"\nALLOWED_HOSTS = ["*"]\n'
        'INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\nUSE_TZ = True\n'
    )
    (project / "proj" / "urls.py").write_text(
        "from django.contrib.auth.models import User\nfrom django.http import JsonResponse\nfrom django.urls import path\n\n\n"
        "def users(request):\n    return JsonResponse({'n': User.objects.count()})\n\n\nurlpatterns = [path('users/', users)]\n"
    )
    (project / "test_app.py").write_text(
        "import pytest\n\n\n@pytest.mark.django_db\ndef test_users(client, django_assert_num_queries):\n"
        "    with django_assert_num_queries(1):\n        assert client.get('/users/').json() == {'n': 0}\n"
    )
    proc, event = _run_tests(python, project)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert [(e["path"], e["requests"]) for e in event["endpoints"]] == [("/users/", 1)]
    gates = {g["id"]: g for g in event["gates"]}
    assert gates["DB-PERF"]["status"] != "not_evaluated"
