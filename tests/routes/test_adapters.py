"""One adapter per web framework: spec-driven routes (connexion), framework-aware guards, audit
trails and layering, asked through the adapters (routes/adapters/)."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import pytest

from backend_gates.routes import route_table
from backend_gates.routes.adapters import ADAPTERS, FrameworkAdapter, adapter_for, load_adapters
from support import FIXTURES, run_cli, run_engine, run_static, write_tree

CONNEXION_EXPECTED = {
    ("GET", "/api/v1/health", "shelf.app.health", ()),
    ("GET", "/api/v1/books", "shelf.api.books.search", ()),
    ("POST", "/api/v1/books", "shelf.api.books.create", ("openapi-security:jwt",)),
    ("GET", "/api/v1/books/{book_id}", "shelf.api.books.get", ()),
    ("DELETE", "/api/v1/books/{book_id}", "shelf.api.books.remove", ("openapi-security:jwt",)),
    ("GET", "/admin/stats", "shelf.api.admin.stats", ("openapi-security:jwt",)),
}


def table(root: Path, **overrides) -> set[tuple[str, str, str, tuple[str, ...]]]:
    project = run_static(root, **overrides)[1]
    return {(r.method, r.path, r.handler, r.guards) for r in route_table(project)}


def test_connexion_routes_come_from_the_spec_operation_ids() -> None:
    assert table(FIXTURES / "routes_connexion") == CONNEXION_EXPECTED


def test_connexion_table_matches_what_connexion_registers() -> None:
    pytest.importorskip("connexion", reason="connexion not installed")
    root = FIXTURES / "routes_connexion"
    sys.path.insert(0, str(root))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = importlib.import_module("shelf.app")
            client = module.app.test_client()
            assert client.get("/api/v1/health").status_code == 200  # connexion registers on startup
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "shelf" or m.startswith("shelf.")]:
            del sys.modules[name]
    registered = set()
    from backend_gates.routes import normalize_path

    for rule in module.app.app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        registered.update((m, normalize_path(rule.rule)) for m in rule.methods - {"HEAD", "OPTIONS"})
    assert {(m, p) for m, p, _h, _g in table(root)} == registered


def test_spec_security_guards_connexion_routes() -> None:
    report = run_engine(FIXTURES / "routes_connexion")
    unguarded = {f.extra.get("route") for f in report.findings if f.code == "BG240"}
    assert unguarded == {"GET /api/v1/books", "GET /api/v1/books/{book_id}"}


def test_every_framework_has_an_adapter_and_a_new_module_is_enough() -> None:
    load_adapters()
    for framework in ("fastapi", "starlette", "flask", "django", "drf", "aiohttp", "connexion", "unknown"):
        assert isinstance(adapter_for(framework), FrameworkAdapter)
    assert adapter_for("no-such-framework") is ADAPTERS["unknown"]

    class BottleAdapter(FrameworkAdapter):  # what a new adapter module declares
        frameworks = ("bottle-test",)

    try:
        assert adapter_for("bottle-test").__class__ is BottleAdapter
    finally:
        del ADAPTERS["bottle-test"]


def test_spec_named_in_config_is_checked_when_paths_do_not_reach_it(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n\n[tool.backend-gates.openapi]\nspec = ["openapi.yaml"]\n',
            "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/items')\ndef items():\n    return []\n",
            "openapi.yaml": "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /items:\n    get:\n      responses: {'200': {description: ok}}\n  /orders:\n    get:\n      responses: {'200': {description: ok}}\n",
        },
    )
    done = run_cli("check", "--no-cache", "-f", "json", "--exit-zero", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import json

    data = json.loads(done.stdout)
    spec_findings = [f for f in data["findings"] if f["path"] == "openapi.yaml"]
    assert spec_findings, "the configured spec was not checked"
    gates = {g["id"]: g for g in data["gates"]}
    assert gates["API-SPEC"]["status"] != "not_evaluated" if "API-SPEC" in gates else True


def _codes(root: Path, code: str) -> set[tuple[str, int]]:
    report = run_engine(root)
    return {(f.location.path, f.location.line) for f in report.findings if f.code == code and not f.suppressed}


def test_dispatcher_delegating_to_decorated_views_is_guarded(tmp_path: Path) -> None:
    """healthchecks-style API: `checks(request)` dispatches to `@authorize` views by method."""
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "api/decorators.py": "from django.http import JsonResponse\n\ndef authorize(f):\n    def wrapper(request, *a, **kw):\n        if request.headers.get('X-Api-Key') != expected():\n            return JsonResponse({'error': 'wrong api key'}, status=401)\n        return f(request, *a, **kw)\n    return wrapper\n",
            "api/views.py": "from django.http import JsonResponse\nfrom .decorators import authorize\n\n@authorize\ndef get_checks(request):\n    return JsonResponse({})\n\n@authorize\ndef create_check(request):\n    return JsonResponse({}, status=201)\n\ndef checks(request):\n    if request.method == 'POST':\n        return create_check(request)\n    return get_checks(request)\n\ndef leaky(request):\n    if request.method == 'POST':\n        return create_check(request)\n    return JsonResponse({'all': dump()})\n",
            "api/urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [\n    path('api/v1/checks/', views.checks),\n    path('api/v1/leaky/', views.leaky),\n]\n",
        },
    )
    assert _codes(tmp_path, "BG240") == {("api/views.py", 17)}  # `leaky` answers GET itself


def test_finding_on_a_shared_base_class_is_reported_once_with_its_route_count(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "core/viewsets.py": "from rest_framework import viewsets\nfrom rest_framework.response import Response\n\nclass BaseViewSet(viewsets.ModelViewSet):\n    def destroy(self, request, pk=None):\n        self.get_object().delete()\n        return Response(status=204)\n",
            "shop/views.py": "from rest_framework import permissions\nfrom core.viewsets import BaseViewSet\nfrom .models import Order, Item, Coupon\n\nclass OrderViewSet(BaseViewSet):\n    queryset = Order.objects.all()\n\nclass ItemViewSet(BaseViewSet):\n    queryset = Item.objects.all()\n\nclass CouponViewSet(BaseViewSet):\n    queryset = Coupon.objects.all()\n",
            "shop/urls.py": "from rest_framework.routers import DefaultRouter\nfrom . import views\n\nrouter = DefaultRouter()\nrouter.register('orders', views.OrderViewSet)\nrouter.register('items', views.ItemViewSet)\nrouter.register('coupons', views.CouponViewSet)\nurlpatterns = router.urls\n",
        },
    )
    report = run_engine(tmp_path)
    audit = [f for f in report.findings if f.code == "BG245"]
    assert len(audit) == 1
    assert (audit[0].location.path, audit[0].location.line) == ("core/viewsets.py", 5)
    assert audit[0].extra["routes"] == 3
    assert "and 2 more route(s) served by" in audit[0].message


def test_partial_run_sees_global_changelog_receiver(tmp_path: Path) -> None:
    """A change-log receiver in another file keeps BG245 quiet when only the view file is checked."""
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "core/signals.py": "from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\n@receiver(post_save)\ndef handle_changed_object(sender, instance, **kwargs):\n    instance.to_objectchange('update').save()\n",
            "shop/views.py": "from django.contrib.auth.decorators import login_required\nfrom django.http import JsonResponse\nfrom .models import Coupon\n\n@login_required\ndef drop(request, pk):\n    Coupon.objects.filter(pk=pk).delete()\n    return JsonResponse({})\n",
            "shop/urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('coupons/<int:pk>/drop/', views.drop)]\n",
        },
    )
    full = {f.code for f in run_engine(tmp_path).findings}
    assert "BG245" not in full
