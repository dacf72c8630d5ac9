"""SEC-AUTHN, SEC-AUTHZ, SEC-INPUT and SEC-AUDIT on the route table."""

from __future__ import annotations

import re
from typing import Any, Iterable

from ...model import Severity
from ..base import Bad
from ._routes import RouteCheck

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
CALLER_PARAM = re.compile(r"(current_?user|CurrentUser|principal|identity|^user$|^me$|get_user|auth_user)", re.I)
AUTHZ_GUARD = re.compile(r"(perm|role|scope|authoriz|polic|owner|access|admin|superuser|staff|can_|acl|Object)", re.I)
GENERIC_PERMISSIONS = frozenset({"IsAuthenticated", "IsAuthenticatedOrReadOnly", "AllowAny"})
PERMISSION_CALL = re.compile(r"(perm|authoriz|check_object|has_object|can_|ensure_|assert_|require_|access|owner|get_object$|policy|acl|allowed)", re.I)


class UnauthenticatedRoute(RouteCheck):
    """A route with no authentication guard that is not on the public list.

    Why it matters: an endpoint without an auth dependency, decorator, permission class or an
    identity check in its body is reachable by anyone; forgetting one is the most common way
    data leaks. Endpoints that are public by nature (health and readiness probes, login/register/
    token, docs and spec, static files) are on the default `routes.public` list; mark others with
    an inline `# backend-gates: public` comment on the handler or decorator, or extend
    `routes.extend-public`. Guards recognised: FastAPI `Depends`/`Security` (parameters, route,
    router, include and app `dependencies=`), Flask `*_required`-style decorators and
    `before_request` hooks, Django `login_required`/`permission_required`/`LoginRequiredMixin`,
    DRF `permission_classes` and `DEFAULT_PERMISSION_CLASSES`, identity checks in the body
    (`current_user.is_authenticated`, `abort(401)`), plus names in `routes.auth-guards`.
    Known limits: guards are recognised by name (auth, login, current_user, token, permission,
    ...) or by a project decorator whose wrapper aborts with 401/403; authentication enforced only
    by a gateway or by middleware we cannot see is not known; configure `routes.auth-guards`.
    """

    code = "BG240"
    name = "route-without-authentication"
    gate = "SEC-AUTHN"
    severity = Severity.WARNING
    message = "{route} has no authentication guard; add one, or mark it public (`# backend-gates: public`) or list it in routes.extend-public"
    fix = "add an auth dependency/decorator/permission class, or declare the route public on purpose"
    good = [
        "from fastapi import APIRouter, Depends\nfrom .auth import current_user\nrouter = APIRouter()\n\n@router.get('/orders')\ndef orders(user=Depends(current_user)):\n    return []\n",
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef health():\n    return {'ok': True}\n",
        "from flask import Flask\napp = Flask(__name__)\n\n# backend-gates: public\n@app.get('/catalog')\ndef catalog():\n    return []\n",
    ]
    bad = [
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('/orders')\ndef orders():\n    return []\n", line=4),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        if view.route.method in ("HEAD", "OPTIONS") or view.auth or judge.is_public(view, project.config):
            return
        yield view.route.line, {}


class ObjectRouteWithoutOwnership(RouteCheck):
    """An object route (`/{id}`) loads the object by id with no ownership filter or permission check.

    Why it matters: an authenticated user who changes the id in the URL reaches other users'
    objects (insecure direct object reference, the most common API authorization bug). Filter the
    lookup by the caller (`owner=current_user`), check a permission on the object, or use DRF's
    `get_object()` with an object-level permission class.
    Known limits: a heuristic. It fires when the handler passes a path parameter to a load call
    (`session.get(Order, order_id)`, `Model.objects.get(pk=pk)`, `get_object_or_404`, `.filter_by`)
    and nothing in the handler refers to the caller (`current_user`, `request.user`, `owner`,
    `user_id` other than the path parameter) or calls a permission check, and no authorization
    guard (permission/role/scope/admin dependency or class) sits on the route; on DRF viewsets it
    fires on inherited update/destroy actions of a `queryset = ...all()` with no `get_queryset`
    and only generic permission classes. Reads (GET) are reported only when the handler receives
    the caller (a `current_user`-style parameter) and ignores it; objects shared within a tenant
    are otherwise common. Checks done in a service layer are not seen. Public and
    unauthenticated read routes are left to SEC-AUTHN.
    """

    code = "BG241"
    name = "object-route-without-ownership-check"
    gate = "SEC-AUTHZ"
    severity = Severity.WARNING
    message = "{route} loads an object by {param} ({call}) with no ownership filter or permission check"
    fix = "filter by the caller (owner/user) or check a permission on the loaded object"
    per_handler = True
    good = [
        "from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\n@router.get('/orders/{order_id}')\ndef get_order(order_id: int, user=Depends(current_user), db=Depends(get_db)):\n    return db.query(Order).filter_by(id=order_id, owner_id=user.id).first()\n",
    ]
    bad = [
        Bad(
            "from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\n@router.get('/orders/{order_id}')\ndef get_order(order_id: int, user=Depends(current_user), db=Depends(get_db)):\n    return db.get(Order, order_id)\n", line=5,
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        params = judge.path_params(view.route.path)
        if not params or judge.is_public(view, project.config):
            return
        if view.route.method not in MUTATING and not view.auth:
            return
        if any(AUTHZ_GUARD.search(g.rsplit(":", 1)[-1]) for g in view.auth):
            return  # an authorization guard on the route (permission, role, admin, scope) decides access
        if view.handler_facts is None:
            yield from self._viewset(view, project, params)
            return
        body = judge.facts(view)
        if body.get("auth"):
            return
        identity = [n for n in body.get("identity", []) + body.get("identity_kw", []) if n not in params and n.split(".")[0] not in params and not n[:1].isupper()]
        if identity:
            return
        if any(PERMISSION_CALL.search(c.rsplit(".", 1)[-1]) for c in body.get("calls", [])):
            return
        if view.route.method not in MUTATING and not self._unused_caller(view):
            return  # a read: flagged only when the handler has the caller at hand and ignores it
        for call, args, _kws in body.get("loads", []):
            used = [a for a in args if a in params]
            if used:
                yield self.handler_line(view), {"param": used[0], "call": call}
                return

    @staticmethod
    def _unused_caller(view: Any) -> bool:
        for param in view.handler_facts.get("params", []):
            if CALLER_PARAM.search(param["name"]) or CALLER_PARAM.search(param.get("dep") or "") or CALLER_PARAM.search(param.get("ann") or ""):
                return True
        return False

    def _viewset(self, view: Any, project: Any, params: list[str]) -> Iterable[tuple[int, dict[str, Any]]]:
        if view.action not in ("update", "partial_update", "destroy") or view.class_info is None:
            return
        index = self.index(project)
        key = (view.module, view.route.handler.rsplit(".", 2)[-2])
        chain = index.class_chain(*key)
        if not chain:
            return
        if any("get_queryset" in info.get("methods", []) or "get_object" in info.get("methods", []) for _m, _n, info in chain):
            return
        if index.class_attr(*key, "queryset") is None:
            return
        perms = [g.split(":", 1)[1] for g in view.auth if g.startswith(("permission_classes:", "DEFAULT_PERMISSION_CLASSES:"))]
        if not perms or any(p not in GENERIC_PERMISSIONS for p in perms):
            return
        yield view.route.line, {"param": params[-1], "call": f"{view.action} on the whole queryset"}


class AllowAnyOnWrite(RouteCheck):
    """DRF `AllowAny` on a route that writes (POST/PUT/PATCH/DELETE).

    Why it matters: `AllowAny` switches off every permission check, including the project-wide
    `DEFAULT_PERMISSION_CLASSES`; on a write route it lets anonymous callers create, change or
    delete data.
    Known limits: routes on the public list (login, register, token, password reset) are allowed;
    a custom permission class that behaves like AllowAny is not recognised.
    """

    code = "BG242"
    name = "allow-any-on-write-route"
    gate = "SEC-AUTHZ"
    severity = Severity.ERROR
    message = "{route} writes but its permission classes include AllowAny; require authentication or a permission"
    fix = "replace AllowAny with IsAuthenticated or a specific permission class"
    good = [
        {
            "views.py": "from rest_framework.decorators import api_view, permission_classes\nfrom rest_framework.permissions import AllowAny\n\n@api_view(['GET'])\n@permission_classes([AllowAny])\ndef catalog(request):\n    return Response([])\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('catalog/', views.catalog)]\n",
        }
    ]
    bad = [
        Bad(
            {
                "views.py": "from rest_framework.decorators import api_view, permission_classes\nfrom rest_framework.permissions import AllowAny\n\n@api_view(['POST'])\n@permission_classes([AllowAny])\ndef create_order(request):\n    return Response({}, status=201)\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('orders/', views.create_order)]\n",
            },
            line=6,
            path="views.py",
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        if not view.allow_any or view.route.method not in MUTATING or _config_public(view, project):
            return
        yield view.route.line, {}


def _config_public(view: Any, project: Any) -> bool:
    import fnmatch

    path = view.route.path
    return any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path.rstrip("/") or "/", p) for p in project.config.public_routes)


class RawRequestWithoutSchema(RouteCheck):
    """A handler reads the raw request body with no schema validation.

    Why it matters: `request.json`, `request.form`, `request.POST`, `request.data` or
    `await request.json()` used as is lets any shape and size of input reach the code (mass
    assignment, type confusion, injection). Parse it through a schema: pydantic, marshmallow, a DRF
    serializer, a Django form, or a project `parse`/`validate` function.
    Known limits: query-string reads (`request.args`, `request.GET`) are not judged; validation is
    recognised by call names (Schema, Serializer, Form, validate, parse, load, model_validate,
    `...In`/`...Create` classes); validation done in a called function with another name is not seen.
    """

    code = "BG243"
    name = "raw-request-body-without-schema"
    gate = "SEC-INPUT"
    severity = Severity.WARNING
    message = "{route} reads request.{read} without schema validation; parse it with a schema/serializer/form"
    fix = "validate the body with pydantic/marshmallow/a DRF serializer/a Django form before use"
    per_handler = True
    good = [
        "from flask import Flask, request\napp = Flask(__name__)\n\n@app.post('/notes')\n@login_required\ndef create():\n    note = NoteSchema().load(request.get_json())\n    return note, 201\n",
    ]
    bad = [
        Bad("from flask import Flask, request\napp = Flask(__name__)\n\n@app.post('/notes')\n@login_required\ndef create():\n    data = request.get_json()\n    save(data['title'])\n    return data, 201\n", line=6),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        reads = judge.body_reads(view)
        if reads and not judge.validates(view):
            yield self.handler_line(view), {"read": reads[0]}


class UntypedBody(RouteCheck):
    """A FastAPI body parameter typed `dict` or `Any`.

    Why it matters: FastAPI validates bodies against their type; `dict`/`Any` accepts anything,
    so no field, type or size is checked and the OpenAPI spec documents nothing.
    Known limits: FastAPI only; `Dict[str, X]` with a model value type is still reported.
    """

    code = "BG244"
    name = "untyped-request-body"
    gate = "SEC-INPUT"
    severity = Severity.WARNING
    message = "{route} takes body `{param}` typed {ann}; declare a pydantic model instead"
    fix = "define a pydantic model for the body and use it as the parameter type"
    per_handler = True
    good = [
        "from fastapi import APIRouter\nfrom pydantic import BaseModel\nrouter = APIRouter()\n\nclass Refund(BaseModel):\n    reason: str\n\n@router.post('/refunds')\ndef refund(payload: Refund):\n    return {}\n",
    ]
    bad = [
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/refunds')\ndef refund(payload: dict):\n    return {}\n", line=5),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        if view.route.framework != "fastapi" or view.handler_facts is None:
            return
        for param in view.handler_facts.get("params", []):
            ann = (param.get("ann") or "").rsplit(".", 1)[-1]
            if ann not in ("dict", "Dict", "Any", "object", "Json"):
                continue
            default = param.get("default", "")
            if param.get("dep") or default in ("Query", "Path", "Header", "Cookie", "Depends", "Security", "Form", "File"):
                continue
            if view.route.method == "GET" and default != "Body":
                continue
            yield self.handler_line(view), {"param": param["name"], "ann": ann}
            return


class MutationWithoutAudit(RouteCheck):
    """A mutating route or auth event with no logging or audit call in its handler.

    Why it matters: without an audit trail of who changed what (and of logins, logouts and token
    grants) incidents cannot be investigated and compliance requirements are not met.
    Known limits: recognises `log.*`/`logger.*`/`logging.*`/`structlog` calls, anything named
    `audit*`, and `routes.audit-calls`; handlers that delegate to a service layer
    (`routes.service-layers`) are assumed to audit there; inherited DRF actions are not judged;
    audit middleware or signals are not seen.
    """

    code = "BG245"
    name = "mutation-without-audit-log"
    gate = "SEC-AUDIT"
    severity = Severity.WARNING
    message = "{route} {what} but its handler logs nothing; add an audit log call (who, what, which object)"
    fix = "log the actor, action and object id (e.g. log.info('audit: order %s refunded by %s', ...))"
    per_handler = True
    good = [
        "import logging\nfrom fastapi import APIRouter\nrouter = APIRouter()\nlog = logging.getLogger(__name__)\n\n@router.delete('/orders/{order_id}')\ndef delete_order(order_id: int, user=Depends(current_user)):\n    store.remove_order(order_id, owner=user.id)\n    log.info('audit: order %s deleted by %s', order_id, user.id)\n    return None\n",
    ]
    bad = [
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.delete('/orders/{order_id}')\ndef delete_order(order_id: int, user=Depends(current_user)):\n    store.remove_order(order_id, owner=user.id)\n    return None\n", line=5),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        if view.handler_facts is None:
            return
        auth_event = bool(judge.AUTH_PATH.search(view.route.path)) and view.route.method != "GET"
        if view.route.method not in MUTATING and not auth_event:
            return
        config = project.config
        if not judge.does_something(view):
            return  # a stub that only builds a response changes nothing
        if judge.log_calls(view, config["routes.audit-calls"]):
            return
        if judge.delegates(view, config["routes.service-layers"], self.imports(project, view)):
            return
        what = "is an authentication event" if auth_event else "changes data"
        yield self.handler_line(view), {"what": what}
