"""AP-DB-IN-ROUTE and AP-LOGIC-IN-ROUTE on route handlers."""

from __future__ import annotations

from typing import Any, Iterable

from ...model import Severity
from ..base import Bad
from ._routes import RouteCheck


class DbInRoute(RouteCheck):
    """A route handler uses a DB session, cursor, engine or ORM manager directly.

    Why it matters: queries in controllers mix HTTP and persistence, duplicate data-access logic
    across endpoints and make both hard to test; a service or repository layer keeps them apart.
    Known limits: recognises calls on names like `db`, `session`, `cursor`, `conn`, `engine`, on
    parameters typed `Session`/`AsyncSession` or injected by `get_db`-style dependencies,
    `Model.objects.*` (Django), `Model.query.*` (Flask-SQLAlchemy) and `get_object_or_404`; calls
    on modules named in `routes.service-layers` are the layer itself and are fine.
    """

    code = "BG450"
    name = "db-access-in-route"
    gate = "AP-DB-IN-ROUTE"
    severity = Severity.WARNING
    message = "{route} handler uses the database directly ({calls}); move data access to a service/repository"
    fix = "call a repository/service function and keep the handler to HTTP concerns"
    per_handler = True
    good = [
        "from fastapi import APIRouter, Depends\nfrom . import crud\nrouter = APIRouter()\n\n@router.get('/orders')\ndef orders(db=Depends(get_db)):\n    return crud.list_orders(db)\n"
    ]
    bad = [
        Bad(
            "from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\n@router.get('/orders')\ndef orders(db=Depends(get_db)):\n    return db.query(Order).all()\n",
            line=5,
        )
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        if view.handler_facts is None:
            return
        found = judge.db_calls(view, project.config["routes.service-layers"], self.imports(project, view))
        if found:
            shown = list(dict.fromkeys(name.split("()")[0] for name in found))
            yield self.handler_line(view), {"calls": ", ".join(shown[:3])}


class LogicInRoute(RouteCheck):
    """A route handler above the complexity budget (statements, branches, loops).

    Why it matters: business rules inside handlers cannot be reused or tested without HTTP and
    grow into untestable controllers; keep handlers thin and move the logic to a service.
    Known limits: counts statements, if/elif/except/match branches and for/while loops in the
    handler body (nested functions included); the budget is
    `thresholds.handler-max-statements` / `-branches` / `-loops`.
    """

    code = "BG451"
    name = "logic-in-route"
    gate = "AP-LOGIC-IN-ROUTE"
    severity = Severity.WARNING
    message = "{route} handler is too complex ({what}); move the logic to a service"
    fix = "extract the business logic into a service function the handler calls"
    per_handler = True
    good = [
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/orders')\ndef create(order: OrderIn):\n    return service.place(order)\n"
    ]
    bad = [
        Bad(
            "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/orders')\ndef create(order: OrderIn):\n"
            + "".join(f"    for x{i} in order.items:\n        total += x{i}\n" for i in range(5))
            + "    return total\n",
            line=5,
        )
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        if view.handler_facts is None:
            return
        body = view.handler_facts.get("body", {})
        config = project.config
        over = []
        for key, setting in (("stmts", "handler-max-statements"), ("branches", "handler-max-branches"), ("loops", "handler-max-loops")):
            limit = config[f"thresholds.{setting}"]
            if body.get(key, 0) > limit:
                label = {"stmts": "statements", "branches": "branches", "loops": "loops"}[key]
                over.append(f"{body[key]} {label} > {limit}")
        if over:
            yield self.handler_line(view), {"what": ", ".join(over)}
