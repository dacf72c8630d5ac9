"""Flask, Quart, Flask-RESTful/flask-restx and APIFlask.

Guards: decorators (`login_required`, `jwt_required`, `auth.login_required`, project decorators
whose wrapper aborts), `before_request` hooks of the app or blueprint and Flask-Login's
`current_user.is_authenticated` in the body (composed in discovery). Schemas: marshmallow/webargs
(`Schema().load`, `@use_args`, `@use_kwargs`), APIFlask `@input`, flask-restx `@expect` with
`validate=True`, WTForms `validate_on_submit`. Flask-SQLAlchemy's `db.session`, `Model.query` and
`db.engine` in handlers are direct data access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import FrameworkAdapter

if TYPE_CHECKING:
    from ..discover import Index, RouteView

IDENTITY_CALLS = frozenset({"get_jwt_identity", "get_jwt", "verify_jwt_in_request", "current_identity", "get_current_user", "_get_user", "load_user"})
SCHEMA_DECORATORS = frozenset({"use_args", "use_kwargs", "input", "expect", "arguments", "validate", "validate_json", "validate_request", "body", "json_schema"})


class FlaskAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("flask",)

    def validators(self, view: "RouteView") -> list[str]:
        out = super().validators(view)
        for dec in view.decorators:
            if dec.short in SCHEMA_DECORATORS:
                out.append(dec.name)
        return out

    def caller_data(self, view: "RouteView", index: "Index") -> list[str]:
        """Also Flask's cookie session (`session["user_id"]`, `session.get(...)` with `session`
        imported from flask) and Flask-JWT-Extended's identity calls."""
        out = super().caller_data(view, index)
        body = view.body
        imports = index.mods.get(view.module, {}).get("imports", {})
        for local, source in imports.items():
            if not (isinstance(source, list) and source and str(source[0]).split(".")[0] in ("flask", "quart")):
                continue
            attr = source[1] if len(source) > 1 else None
            name = local if attr == "session" else f"{local}.session" if attr is None else ""
            if name and (name in body.subscripts or any(c.startswith(f"{name}.") for c in body.calls)):
                out.append(f"{name} (flask session)")
        out += [c for c in body.calls if c.rsplit(".", 1)[-1] in IDENTITY_CALLS]
        return out
