"""AP-DB-IN-ROUTE and AP-LOGIC-IN-ROUTE on route handlers."""

from __future__ import annotations

from typing import Any, Iterable

from ...model import Severity
from ..base import Bad
from ._routes import RouteCheck, Verdict


class DbInRoute(RouteCheck):
    """A route handler uses a DB session, cursor, engine or ORM manager directly.

    Why it matters: queries in controllers mix HTTP and persistence, duplicate data-access logic
    across endpoints and make both hard to test; a service or repository layer keeps them apart.
    Raw cursors, connections, engines and sessions in a handler (`db.session.add/commit`,
    `db.engine.execute`, `cursor.execute`, `Model.query.get` with Flask-SQLAlchemy, an injected
    `Session`) are reported everywhere. Where the framework puts the ORM in views by design
    (Django's `Model.objects`, `get_object_or_404`, asked of the route's adapter), the finding is
    info, unless the project's views use a service layer (they import from a module named in
    `routes.service-layers`) that this handler bypasses.
    Known limits: recognises calls on names like `db`, `session`, `cursor`, `conn`, `engine`, on
    parameters typed `Session`/`AsyncSession` or injected by `get_db`-style dependencies,
    `Model.objects.*`, `Model.query.*` and `get_object_or_404`; calls on modules named in
    `routes.service-layers` are the layer itself and are fine, and so are locals a repository or
    service factory returned (`db = get_repositories(session)`, `repo = OrderRepository(session)`).
    """

    code = "BG450"
    name = "db-access-in-route"
    gate = "AP-DB-IN-ROUTE"
    severity = Severity.WARNING
    message = "{route} handler uses the database directly ({calls}); move data access to a service/repository"
    fix = "call a repository/service function and keep the handler to HTTP concerns"
    per_handler = True
    good = [
        "from fastapi import APIRouter, Depends\nfrom . import crud\nrouter = APIRouter()\n\n@router.get('/orders')\ndef orders(db=Depends(get_db)):\n    return crud.list_orders(db)\n",
        "from flask import Flask\nfrom .services import notes\napp = Flask(__name__)\n\n@app.post('/notes')\n@login_required\ndef create():\n    return notes.create(current_user, NoteSchema().load(request.json)), 201\n",
        # `db` here is the repository layer the factory returns, not a session
        "from fastapi import APIRouter, Depends\nfrom .repos import get_repositories\nrouter = APIRouter()\n\n@router.get('/validators/user/name')\ndef name_taken(name: str, session=Depends(get_session)):\n    db = get_repositories(session)\n    return {'valid': db.users.get_one(name, 'username') is None}\n",
    ]
    bad = [
        Bad(
            "from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\n@router.get('/orders')\ndef orders(db=Depends(get_db)):\n    return db.query(Order).all()\n",
            line=5,
        ),
        # Flask-SQLAlchemy idioms in a handler
        Bad(
            "from flask import Flask\nfrom .models import db, Note\napp = Flask(__name__)\n\n@app.post('/notes/<int:note_id>/pin')\n@login_required\ndef pin(note_id):\n    note = Note.query.get(note_id)\n    note.pinned = True\n    db.session.add(note)\n    db.session.commit()\n    return {}, 204\n",
            line=7,
        ),
        Bad(
            "from flask import Flask\nfrom .models import db\napp = Flask(__name__)\n\n@app.get('/stats')\n@login_required\ndef stats():\n    return {'rows': db.engine.execute('SELECT count(*) FROM notes').scalar()}\n",
            line=7,
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[Verdict]:
        from ...routes import judge

        if view.facts is None:
            return
        layers = project.config["routes.service-layers"]
        found = judge.db_calls(view, layers, self.imports(project, view))
        if not found:
            return
        shown = list(dict.fromkeys(name.split("()")[0] for name in found))
        idiom = all(view.adapter.idiomatic_data_access(name) for name in found)
        if idiom and not self._has_service_layer(project, layers):
            yield Verdict(self.handler_line(view), {"calls": ", ".join(shown[:3])}, severity=Severity.INFO)
            return
        yield Verdict(self.handler_line(view), {"calls": ", ".join(shown[:3])})

    def _has_service_layer(self, project: Any, layers: list[str]) -> bool:
        index = self.index(project)
        cached: bool | None = index.__dict__.get("_service_layer")
        if cached is None:
            # a layer the views use: some module with handlers imports from a `services`/`crud`/... module
            wanted = {layer.lower() for layer in layers}
            cached = False
            for data in index.mods.values():
                if not (data.get("handlers") or data.get("classes")):
                    continue
                for local, target in data.get("imports", {}).items():
                    if not isinstance(target, list) or not target:
                        continue
                    # `from a.b import *` is recorded as a list of modules under "*"
                    modules = target if local == "*" else target[:1]
                    names = {part.lower() for module in modules for part in str(module).split(".")}
                    if local != "*" and len(target) > 1 and target[1]:
                        names.add(str(target[1]).lower())
                    if wanted & names:
                        cached = True
                        break
                if cached:
                    break
            index.__dict__["_service_layer"] = cached
        return bool(cached)


class LogicInRoute(RouteCheck):
    """A route handler above the complexity budget, or one that mixes several responsibilities.

    Why it matters: business rules inside handlers cannot be reused or tested without HTTP and
    grow into untestable controllers; keep handlers thin and move the logic to a service. A short
    handler can still do too much: hashing a password, building a user, deciding a role and
    persisting it are three responsibilities (crypto, authorization decisions, persistence) that
    belong in a service.
    Known limits: counts statements, if/elif/except/match branches and for/while loops in the
    handler body (nested functions included); the budget is `thresholds.handler-max-statements`
    / `-branches` / `-loops`. Responsibilities are recognised by calls and names: crypto
    (hashlib, bcrypt, `generate_password_hash`, jwt, hmac), persistence (ORM/SQL writes),
    authorization decisions (roles, admin flags, permissions set or compared), notifications
    (sending mail/SMS) and outbound HTTP; three or more in one handler are reported.
    """

    code = "BG451"
    name = "logic-in-route"
    gate = "AP-LOGIC-IN-ROUTE"
    severity = Severity.WARNING
    message = "{route} handler is too complex ({what}); move the logic to a service"
    fix = "extract the business logic into a service function the handler calls"
    per_handler = True
    responsibilities = 3
    good = [
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/orders')\ndef create(order: OrderIn):\n    return service.place(order)\n",
        "from flask import Flask\napp = Flask(__name__)\n\n@app.post('/users')\n@admin_required\ndef create_user():\n    return accounts.register(UserSchema().load(request.json)), 201\n",
    ]
    bad = [
        Bad(
            "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/orders')\ndef create(order: OrderIn):\n"
            + "".join(f"    for x{i} in order.items:\n        total += x{i}\n" for i in range(5))
            + "    return total\n",
            line=5,
        ),
        # few statements, three responsibilities: crypto, authorization decision, persistence
        Bad(
            "from flask import Flask, request\nfrom werkzeug.security import generate_password_hash\napp = Flask(__name__)\n\n@app.post('/users')\n@admin_required\ndef create_user():\n    data = UserSchema().load(request.json)\n    user = User(email=data['email'], password=generate_password_hash(data['password']))\n    user.role = 'admin' if data['email'].endswith('@corp.example') else 'member'\n    db.session.add(user)\n    db.session.commit()\n    return {'id': user.id}, 201\n",
            line=7,
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[Verdict]:
        if view.facts is None:
            return
        body = view.body
        config = project.config
        over = []
        for count, setting, label in ((body.stmts, "handler-max-statements", "statements"), (body.branches, "handler-max-branches", "branches"), (body.loops, "handler-max-loops", "loops")):
            limit = config[f"thresholds.{setting}"]
            if count > limit:
                over.append(f"{count} {label} > {limit}")
        concerns = list(body.concerns)
        if len(concerns) >= self.responsibilities:
            over.append(f"{len(concerns)} responsibilities: {', '.join(concerns)}")
        if over:
            yield Verdict(self.handler_line(view), {"what": ", ".join(over)})
