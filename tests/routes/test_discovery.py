"""Route discovery on fixture apps: the static table equals the expected one exactly, and (where the
framework is installed) the set of routes the framework itself registers."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from backend_gates.routes import route_table
from support import FIXTURES, run_static


def table(root: Path) -> set[tuple[str, str, str, tuple[str, ...]]]:
    project = run_static(root)[1]
    return {(r.method, r.path, r.handler, r.guards) for r in route_table(project)}


def framework_import(root: Path, module: str):
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(root))


FASTAPI_EXPECTED = {
    ("GET", "/healthz", "inventory.main.healthz", ()),
    ("POST", "/api/v1/login/access-token", "inventory.api.v1.login.login_access_token", ()),
    ("GET", "/api/v1/items/", "inventory.api.v1.items.list_items", ("Depends(get_current_user)",)),
    ("POST", "/api/v1/items/", "inventory.api.v1.items.create_item", ("Depends(get_current_user)",)),
    ("GET", "/api/v1/items/{item_id}", "inventory.api.v1.items.read_item", ("Depends(get_current_user)",)),
    ("PUT", "/api/v1/items/{item_id}", "inventory.api.v1.items.update_item", ("Depends(get_current_user)",)),
    ("PATCH", "/api/v1/items/{item_id}", "inventory.api.v1.items.update_item", ("Depends(get_current_user)",)),
    ("GET", "/api/v1/items/{item_id}/reviews", "inventory.api.v1.items.list_reviews", ("Depends(get_current_user)",)),
    ("POST", "/api/v1/items/{item_id}/reviews", "inventory.api.v1.items.add_review", ("Depends(get_current_user)",)),
    ("GET", "/api/v1/users/me", "inventory.api.v1.users.read_me", ("Depends(get_current_user)",)),
    ("GET", "/api/v1/users/{user_id}", "inventory.api.v1.users.read_user", ("Security(get_current_user)",)),
    ("POST", "/api/v1/users/signup", "inventory.api.v1.users.signup", ()),
    ("DELETE", "/api/v1/admin/cache", "inventory.api.v1.admin.clear_cache", ("Depends(require_admin)",)),
}


def test_fastapi_nested_routers_and_dependencies() -> None:
    assert table(FIXTURES / "routes_fastapi") == FASTAPI_EXPECTED


def _fastapi_registered(app) -> set[tuple[str, str]]:
    """(method, path) of every API route the app registers (old and new FastAPI route layouts)."""
    from fastapi.routing import APIRoute

    out: set[tuple[str, str]] = set()

    def visit(routes) -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):  # FastAPI >= 0.13x: lazily included routers
                for ctx in route.effective_route_contexts():
                    if isinstance(ctx.original_route, APIRoute):
                        out.update((m, ctx.path) for m in ctx.original_route.methods)
            elif isinstance(route, APIRoute):
                out.update((m, route.path) for m in route.methods)

    visit(app.routes)
    return out


def test_fastapi_table_matches_what_fastapi_registers() -> None:
    pytest.importorskip("fastapi", reason="fastapi not installed")
    root = FIXTURES / "routes_fastapi"
    app = framework_import(root, "inventory.main").app
    static = {(m, p) for m, p, _h, _g in table(root)}
    assert static == _fastapi_registered(app)


CBV_EXPECTED = {
    ("GET", "/healthz", "pantry.main.healthz", ()),
    ("GET", "/api/units", "pantry.routes.units.UnitsController.get_all", ("Depends(get_current_user)",)),
    ("POST", "/api/units", "pantry.routes.units.UnitsController.create_one", ("Depends(get_current_user)",)),
    ("GET", "/api/units/{item_id}", "pantry.routes.units.UnitsController.get_one", ("Depends(get_current_user)",)),
    ("PUT", "/api/units/{item_id}", "pantry.routes.units.UnitsController.update_one", ("Depends(get_current_user)",)),
    ("PATCH", "/api/units/{item_id}", "pantry.routes.units.UnitsController.update_one", ("Depends(get_current_user)",)),
    # the admin base class overrides the `user` dependency
    ("GET", "/api/admin/users", "pantry.routes.admin.AdminUsersController.get_all", ("Depends(get_admin_user)",)),
    ("DELETE", "/api/admin/users/{user_id}", "pantry.routes.admin.AdminUsersController.delete_one", ("Depends(get_admin_user)",)),
    # a public controller: its class dependency finds the group, it authenticates nobody
    ("GET", "/api/explore/{group_slug}/recipes", "pantry.routes.explore.ExploreController.recipes", ()),
    # a project router class whose __init__ adds the dependency
    ("GET", "/api/events", "pantry.routes.events.list_events", ("Depends(get_current_user)",)),
}


def test_fastapi_class_based_controllers_and_router_classes() -> None:
    """mealie's `@controller(router)` / fastapi-utils `@cbv(router)`: methods decorated with the router
    are routes, the class chain's `Depends` attributes guard them; `UserAPIRouter(...)` carries the
    dependencies its `__init__` adds."""
    assert table(FIXTURES / "routes_fastapi_cbv") == CBV_EXPECTED


def test_fastapi_controller_table_matches_what_fastapi_registers() -> None:
    pytest.importorskip("fastapi", reason="fastapi not installed")
    from fastapi.testclient import TestClient

    root = FIXTURES / "routes_fastapi_cbv"
    app = framework_import(root, "pantry.main").app
    static = {(m, p) for m, p, _h, _g in table(root)}
    assert static == _fastapi_registered(app)
    client = TestClient(app)  # the guards the table names are the ones FastAPI runs
    assert client.get("/api/units").status_code == 401
    assert client.get("/api/admin/users", headers={"Authorization": "Bearer user"}).status_code == 403
    assert client.get("/api/events").status_code == 401
    assert client.get("/api/explore/g1/recipes").status_code == 200


FLASK_EXPECTED = {
    ("GET", "/", "blog.pages.index", ()),
    ("GET", "/about", "blog.pages.about", ()),
    ("HEAD", "/about", "blog.pages.about", ()),
    ("GET", "/ping", "blog.ping", ()),
    ("GET", "/api/v2/posts", "blog.api.posts.list_posts", ("before_request:check_session",)),
    ("GET", "/api/v2/posts/{post_id}", "blog.api.posts.post_detail", ("before_request:check_session", "token_required")),
    ("DELETE", "/api/v2/posts/{post_id}", "blog.api.posts.post_detail", ("before_request:check_session", "token_required")),
    ("GET", "/api/v2/drafts", "blog.api.posts.PostDrafts.get", ("before_request:check_session", "token_required")),
    ("POST", "/api/v2/drafts", "blog.api.posts.PostDrafts.post", ("before_request:check_session", "token_required")),
    ("GET", "/api/v2/posts/{post_id}/comments/", "blog.api.comments.list_comments", ("before_request:check_session",)),
    ("POST", "/api/v2/posts/{post_id}/comments/", "blog.api.comments.add_comment", ("before_request:check_session",)),
}


def test_flask_blueprints_prefixes_and_guards() -> None:
    assert table(FIXTURES / "routes_flask") == FLASK_EXPECTED


def test_flask_table_matches_url_map() -> None:
    pytest.importorskip("flask", reason="flask not installed")
    from backend_gates.routes import normalize_path

    root = FIXTURES / "routes_flask"
    app = framework_import(root, "blog").create_app()
    registered = {
        (m, normalize_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for m in rule.methods - {"HEAD", "OPTIONS"}
    }
    static = {(m, p) for m, p, _h, _g in table(root) if m not in ("HEAD", "OPTIONS")}
    assert static == registered


def test_clean_flask_fixture_routes() -> None:
    assert table(FIXTURES / "clean_flask") == {
        ("GET", "/api/v1/notes", "app.views.list_notes", ("login_required",)),
        ("GET", "/api/v1/notes/{note_id}", "app.views.get_note", ("login_required",)),
        ("POST", "/api/v1/notes", "app.views.create_note", ("login_required",)),
    }


def test_route_line_and_file_point_at_the_decorator() -> None:
    project = run_static(FIXTURES / "bad_fastapi")[1]
    by_label = {r.label: r for r in route_table(project)}
    refund = by_label["POST /orders/{order_id}/refund"]
    assert (refund.file, refund.line, refund.framework) == ("app/routes/orders.py", 19, "fastapi")
    assert set(by_label) == {
        "GET /getUsers", "GET /health", "GET /orders/", "POST /orders/{order_id}/refund",
        "POST /users", "DELETE /users/{user_id}", "GET /users/{user_id}",
    }


DJANGO_EXPECTED = {
    ("GET", "/", "accounts.views.home", ()),
    ("GET", "/accounts/login/", "accounts.views.login_view", ()),
    ("POST", "/accounts/login/", "accounts.views.login_view", ()),
    ("GET", "/accounts/profile/", "accounts.views.ProfileView", ("LoginRequiredMixin",)),
    ("GET", "/accounts/settings/", "accounts.views.settings_view", ("login_required",)),
    ("GET", "/api/v1/", "catalog.urls.router.APIRootView", ("DEFAULT_PERMISSION_CLASSES:IsAuthenticated",)),
    ("GET", "/api/v1/legacy/{slug}/", "catalog.views.legacy_product", ()),
    ("GET", "/api/v1/orders/", "catalog.views.OrderViewSet.list", ("DEFAULT_PERMISSION_CLASSES:IsAuthenticated",)),
    ("GET", "/api/v1/orders/{number}/", "catalog.views.OrderViewSet.retrieve", ("DEFAULT_PERMISSION_CLASSES:IsAuthenticated",)),
    *{
        (method, path, f"catalog.views.ProductViewSet.{action}", ("permission_classes:IsAuthenticatedOrReadOnly",))
        for method, path, action in (
            ("GET", "/api/v1/products/", "list"),
            ("POST", "/api/v1/products/", "create"),
            ("GET", "/api/v1/products/featured/", "featured"),
            ("GET", "/api/v1/products/{pk}/", "retrieve"),
            ("PUT", "/api/v1/products/{pk}/", "update"),
            ("PATCH", "/api/v1/products/{pk}/", "partial_update"),
            ("DELETE", "/api/v1/products/{pk}/", "destroy"),
            ("POST", "/api/v1/products/{pk}/publish/", "publish"),
        )
    },
    ("GET", "/api/v1/stats/", "catalog.views.StatsView.get", ("DEFAULT_PERMISSION_CLASSES:IsAuthenticated",)),
}


def test_django_includes_drf_router_and_viewsets() -> None:
    assert table(FIXTURES / "routes_django") == DJANGO_EXPECTED


_DJANGO_DUMP = r"""
import json, os, sys
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "shopsite.settings"
import django
django.setup()
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

out = []
def walk(patterns, prefix):
    for p in patterns:
        text = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            walk(p.url_patterns, text)
            continue
        if "format" in text:
            continue
        cb = p.callback
        if hasattr(cb, "actions"):
            methods = [m.upper() for m in cb.actions]
        elif hasattr(cb, "view_class"):
            cls = cb.view_class
            methods = [m.upper() for m in cls.http_method_names if m not in ("options", "head") and hasattr(cls, m)]
        else:
            methods = None
        out.append([text, methods])
walk(get_resolver().url_patterns, "")
print(json.dumps(out))
"""


def test_django_table_matches_the_url_resolver() -> None:
    pytest.importorskip("django", reason="django not installed")
    pytest.importorskip("rest_framework", reason="djangorestframework not installed")
    import json
    import re
    import subprocess

    from backend_gates.routes import normalize_path

    root = FIXTURES / "routes_django"
    done = subprocess.run([sys.executable, "-c", _DJANGO_DUMP], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    registered_paths, registered = set(), set()
    for text, methods in json.loads(done.stdout):
        path = normalize_path(re.sub(r"\$|\^", "", text))
        registered_paths.add(path)
        for method in methods or ():
            registered.add((method, path))
    static = table(root)
    assert {p for _m, p, _h, _g in static} == registered_paths
    # where Django knows the methods (class-based views, viewsets), they agree exactly
    known = {p for _m, p in registered}
    assert {(m, p) for m, p, _h, _g in static if p in known} == registered


def test_aiohttp_route_table_def_add_routes_views_and_subapps() -> None:
    assert {(m, p, h) for m, p, h, _g in table(FIXTURES / "routes_aiohttp")} == {
        ("GET", "/health", "petstore.app.health"),
        ("POST", "/login", "petstore.app.login"),
        ("GET", "/pets/{pet_id}/photo", "petstore.app.photo"),
        ("GET", "/pets", "petstore.pets.list_pets"),
        ("POST", "/pets", "petstore.pets.create_pet"),
        ("GET", "/pets/{pet_id}", "petstore.pets.PetView.get"),
        ("PUT", "/pets/{pet_id}", "petstore.pets.PetView.put"),
        ("DELETE", "/pets/{pet_id}", "petstore.pets.delete_pet"),
        ("GET", "/admin/stats", "petstore.admin.stats"),
    }


def test_aiohttp_table_matches_the_router() -> None:
    pytest.importorskip("aiohttp", reason="aiohttp not installed")
    root = FIXTURES / "routes_aiohttp"
    app = framework_import(root, "petstore.app").create_app()
    registered: set[tuple[str, str]] = set()

    def visit(application) -> None:
        for route in application.router.routes():
            info = route.resource.get_info()
            path = info.get("path") or info.get("formatter")
            if route.method == "*":  # class-based view: the methods it defines
                handler = route.handler
                registered.update((m, path) for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m.lower() in vars(handler))
            elif route.method != "HEAD":
                registered.add((route.method, path))
        for resource in application.router.resources():
            if hasattr(resource, "_app"):
                visit(resource._app)

    visit(app)
    assert {(m, p) for m, p, _h, _g in table(root)} == registered


def test_starlette_routes_and_mounts(tmp_path: Path) -> None:
    from support import write_tree

    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "web/__init__.py": "",
            "web/api.py": (
                "from starlette.routing import Route\n\n"
                "async def items(request):\n    return None\n\n"
                "async def create_item(request):\n    return None\n\n"
                "routes = [Route('/items', items), Route('/items', create_item, methods=['POST'])]\n"
            ),
            "web/app.py": (
                "from starlette.applications import Starlette\nfrom starlette.routing import Mount, Route\n\n"
                "from .api import routes as api_routes\n\n"
                "async def home(request):\n    return None\n\n"
                "app = Starlette(routes=[Route('/', home), Mount('/api/v1', routes=[Route('/ping', home), Mount('/shop', routes=api_routes)])])\n"
            ),
        },
    )
    assert {(m, p, h) for m, p, h, _g in table(tmp_path)} == {
        ("GET", "/", "web.app.home"),
        ("GET", "/api/v1/ping", "web.app.home"),
        ("GET", "/api/v1/shop/items", "web.api.items"),
        ("POST", "/api/v1/shop/items", "web.api.create_item"),
    }
