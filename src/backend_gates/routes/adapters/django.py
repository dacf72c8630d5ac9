"""Django and Django REST framework.

Guards through settings: `LoginRequiredMiddleware` (Django 5.1; `login_not_required` opts out) and
DRF `DEFAULT_PERMISSION_CLASSES` on function views (class views get them in discovery). Model
managers (`Model.objects`, `get_object_or_404`) in views are Django's own idiom. Change-log
frameworks record writes outside the handler: model signal receivers that write change/audit rows
(netbox's `ObjectChange`), django-simple-history `HistoricalRecords()`, django-auditlog and
django-reversion registrations, change-logging base classes, `save()` overrides that log.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from ..facts import HandlerFacts
from .base import FrameworkAdapter

if TYPE_CHECKING:
    from ..discover import Index, RouteView

# views shipped by Django/DRF/simplejwt that projects route to: (methods, flags). DRF's
# ObtainAuthToken sets `throttle_classes = ()`, so DEFAULT_THROTTLE_CLASSES never limits it.
EXTERNAL_VIEWS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "obtain_auth_token": (("POST",), ("drf", "unthrottled")),
    "ObtainAuthToken": (("POST",), ("drf", "unthrottled")),
    "TokenObtainPairView": (("POST",), ("drf",)),
    "TokenObtainSlidingView": (("POST",), ("drf",)),
    "TokenRefreshView": (("POST",), ("drf",)),
    "TokenVerifyView": (("POST",), ("drf",)),
    "LoginView": (("GET", "POST"), ()),
    "LogoutView": (("POST",), ()),
    "PasswordResetView": (("GET", "POST"), ()),
    "PasswordChangeView": (("GET", "POST"), ()),
}
JSON_RETURNS = frozenset({"JsonResponse", "JSONResponse", "Response", "StreamingHttpResponse"})
_MODEL_NAME = re.compile(r"^[A-Z]\w*$")


class DjangoAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("django", "drf")

    def settings_guards(self, index: "Index", view_names: list[str], class_based: bool) -> list[str]:
        out: list[str] = []
        if any("LoginRequiredMiddleware" in m for m in index.middleware) and not any("login_not_required" in n for n in view_names):
            out.append("LoginRequiredMiddleware")
        return out

    def is_page(self, view: "RouteView") -> bool:
        """Plain Django views are pages unless they answer JSON; DRF views are API resources."""
        if view.route.framework == "drf":
            return super().is_page(view)
        return not any(r.kind in JSON_RETURNS for r in view.body.returns)

    def caller_data(self, view: "RouteView", index: "Index") -> list[str]:
        """Also what a class-based view knows of the caller outside the method: a `get_queryset`
        that filters by `self.request.user` shapes every action's answer."""
        out = super().caller_data(view, index)
        if view.class_key is not None:
            mod, name = view.class_key
            found = index.method_facts(mod, name, "get_queryset")
            if found is not None:
                out += list(HandlerFacts.from_dict(found[2]).body.identity)
        return out

    def idiomatic_data_access(self, call: str) -> bool:
        return ".objects." in f".{call}." or call in ("get_object_or_404", "get_list_or_404")

    def validators(self, view: "RouteView") -> list[str]:
        out = super().validators(view)
        if view.route.framework == "drf" and view.facts is not None and "get_serializer" in " ".join(view.body.calls):
            out.append("get_serializer")
        return out

    def audit_trail(self, view: "RouteView", index: "Index") -> str:
        trails = index.changelog
        if not trails:
            return ""
        for trail in trails:
            if trail["kind"] == "global":
                return trail["how"]
        logged = index.changelogged_models()
        for model in self.models_of(view, index):
            if model in logged:
                return logged[model]
        return ""

    @staticmethod
    def models_of(view: "RouteView", index: "Index") -> set[str]:
        """Model class names the view touches: `Order.objects...`, `queryset = Order.objects...`, `model = Order`."""
        out: set[str] = set()
        body = view.body
        for call in body.calls:
            head = call.split(".", 1)[0]
            if ".objects." in f".{call}." and _MODEL_NAME.match(head):
                out.add(head)
        for load in body.loads:
            for arg in load.args:
                if _MODEL_NAME.match(arg):
                    out.add(arg)
        if view.class_info is not None:
            attrs = view.class_info.get("attrs", {})
            for key in ("queryset", "model"):
                value = str(attrs.get(key) or "")
                head = value.split(".", 1)[0]
                if _MODEL_NAME.match(head):
                    out.add(head)
        return out
