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
    from ..discover import RouteView

SCHEMA_DECORATORS = frozenset({"use_args", "use_kwargs", "input", "expect", "arguments", "validate", "validate_json", "validate_request", "body", "json_schema"})


class FlaskAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("flask",)

    def validators(self, view: "RouteView") -> list[str]:
        out = super().validators(view)
        for dec in (view.handler_facts or {}).get("decorators", []):
            if dec["name"].rsplit(".", 1)[-1] in SCHEMA_DECORATORS:
                out.append(dec["name"])
        return out
