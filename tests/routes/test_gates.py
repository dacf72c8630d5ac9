"""Route gates on fixtures and small projects: exact findings, configuration, inline markers."""

from __future__ import annotations

from pathlib import Path

from support import FIXTURES, expectations, run_engine, run_static, write_tree

ROUTE_CODES = {
    "BG100", "BG101", "BG102", "BG103", "BG104", "BG105", "BG106", "BG107", "BG108", "BG109", "BG110",
    "BG240", "BG241", "BG242", "BG243", "BG244", "BG245", "BG450", "BG451",
}


def found(root: Path, **overrides) -> set[tuple[str, int, str]]:
    report = run_engine(root, **overrides)
    return {(f.location.path, f.location.line, f.code) for f in report.findings if f.code in ROUTE_CODES and not f.suppressed}


def test_bad_fastapi_findings_match_annotations() -> None:
    root = FIXTURES / "bad_fastapi"
    expected = {e for e in expectations(root) if e[2] in ROUTE_CODES}
    assert found(root) == expected


def test_clean_flask_has_no_route_findings() -> None:
    assert found(FIXTURES / "clean_flask") == set()


def test_findings_name_the_route() -> None:
    report = run_engine(FIXTURES / "bad_fastapi")
    refund = [f for f in report.findings if f.code == "BG244"]
    assert len(refund) == 1
    assert refund[0].message.startswith("POST /orders/{order_id}/refund ")
    assert refund[0].extra["route"] == "POST /orders/{order_id}/refund"


def test_drf_viewset_writes_on_whole_queryset_and_allow_any() -> None:
    got = found(FIXTURES / "routes_django")
    # the `publish` action only answers (it changes nothing): no BG245
    assert {c for _p, _l, c in got} == {"BG241", "BG243"}
    assert ("catalog/views.py", 10, "BG241") in got  # ProductViewSet: update/destroy with IsAuthenticatedOrReadOnly
    assert not any(p == "catalog/views.py" and l == 25 for p, l, _c in got)  # OrderViewSet filters by owner


def test_inline_public_marker_and_public_list(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "app.py": (
                "from fastapi import FastAPI\napp = FastAPI()\n\n"
                "@app.get('/catalog')  # backend-gates: public\ndef catalog():\n    return []\n\n"
                "@app.get('/prices')\ndef prices():\n    return []\n\n"
                "@app.get('/healthz')\ndef health():\n    return {}\n"
            ),
        },
    )
    assert {(l, c) for _p, l, c in found(tmp_path, select=["BG240"])} == {(8, "BG240")}
    assert found(tmp_path, select=["BG240"], **{"routes.extend-public": ["/prices"]}) == set()


def test_configured_auth_guard_and_rate_limiter(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "app.py": (
                "from fastapi import FastAPI, Depends\nfrom .gate import gatekeeper, bucket\napp = FastAPI(dependencies=[Depends(bucket)])\n\n"
                "@app.post('/api/v1/orders', status_code=201)\ndef create(who=Depends(gatekeeper)):\n    return {}\n"
            ),
        },
    )
    assert {c for _p, _l, c in found(tmp_path, select=["BG240", "BG109"])} == {"BG240", "BG109"}
    assert found(tmp_path, select=["BG240", "BG109"], **{"routes.auth-guards": ["gatekeeper"], "routes.rate-limiters": ["bucket"]}) == set()


def test_version_scheme_configured(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "app.py": (
                "from fastapi import FastAPI\napp = FastAPI()\n\n"
                "@app.get('/v2/users')\ndef users():\n    return []\n\n"
                "@app.get('/api/v1/orders')\ndef orders():\n    return []\n"
            ),
        },
    )
    assert {l for _p, l, _c in found(tmp_path, select=["BG108"], **{"routes.version-scheme": "/api/v{n}"})} == {4}


def test_logic_budget_from_thresholds(tmp_path: Path) -> None:
    body = "".join(f"    if x == {i}:\n        y = {i}\n" for i in range(4))
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "app.py": "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/x')\ndef x(x: int):\n" + body + "    return y\n",
        },
    )
    assert found(tmp_path, select=["BG451"]) == set()
    assert found(tmp_path, select=["BG451"], **{"thresholds.handler-max-branches": 3}) == {("app.py", 5, "BG451")}


def test_flask_before_request_guard_and_login_required(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "svc/__init__.py": "",
            "svc/views.py": (
                "from flask import Blueprint, abort, session\n\nbp = Blueprint('admin', __name__)\n\n"
                "@bp.before_request\ndef require_session():\n    if 'uid' not in session:\n        abort(401)\n\n"
                "@bp.get('/reports')\ndef reports():\n    return []\n"
            ),
            "svc/app.py": "from flask import Flask\nfrom .views import bp\n\napp = Flask(__name__)\napp.register_blueprint(bp, url_prefix='/admin')\n",
        },
    )
    assert found(tmp_path, select=["BG240"]) == set()


def test_warm_run_replays_route_facts(tmp_path: Path) -> None:
    import shutil

    from backend_gates.routes import route_table

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "routes_fastapi", root)
    cold, cold_project = run_static(root, cache=True)
    warm, warm_project = run_static(root, cache=True)
    assert warm.extra["timing"]["analyzed"] == 0
    assert route_table(warm_project) == route_table(cold_project)
    assert {f.fingerprint for f in warm.findings} == {f.fingerprint for f in cold.findings}


def test_a_star_import_of_one_module_next_to_handlers_is_read_not_a_crash(tmp_path: Path) -> None:
    """`from app.models import *` is recorded as a list of modules: the service-layer question of
    BG450 reads it as an import of those modules (netbox has one-module star imports, and BG450
    stopped there with an internal error)."""
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "proj/__init__.py": "",
        "proj/settings.py": "ROOT_URLCONF = 'app.urls'\nINSTALLED_APPS = ['app']\n",
        "app/__init__.py": "",
        "app/models.py": "from django.db import models\n\n\nclass Item(models.Model):\n    name = models.CharField(max_length=10)\n",
        "app/urls.py": "from django.urls import path\n\nfrom app import views\n\nurlpatterns = [path('items/', views.items)]\n",
        "app/views.py": (
            "from django.http import JsonResponse\n\nfrom app.models import *\nfrom app.models import Item\n\n\n"
            "def items(request):\n    return JsonResponse({'names': [i.name for i in Item.objects.all()]})\n"
        ),
    })
    report = run_engine(tmp_path)
    assert not [e for e in report.errors if e.kind == "internal"], report.errors
    assert "BG450" in {f.code for f in report.findings}  # the rule judged the view
