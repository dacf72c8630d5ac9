"""DB-ROLLBACK facts from Python migrations: Alembic revisions that cannot be downgraded, Django
`RunPython` / `RunSQL` operations without a reverse (`rollback_issue` facts).

The rules that report them (BG340, BG341) are project rules in checks/project/db_rollback.py:
they judge only the migrations a change adds (checks/project/db_history.py).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from ..base import FactCollector
from ._cst import call_name, dotted, kwarg, positional
from .db_migration_facts import is_alembic, is_django_migration
from .db_schema_facts import _line_of


def _is_empty(body: cst.BaseSuite) -> bool:
    """Only `pass`, `...`, docstrings and comments."""
    statements = getattr(body, "body", ())
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)):
                continue
            return False
    return True


def _raises_only(body: cst.BaseSuite) -> bool:
    statements = getattr(body, "body", ())
    real = [s for s in statements if not (isinstance(s, cst.SimpleStatementLine) and all(isinstance(x, cst.Expr) and isinstance(x.value, cst.SimpleString) for x in s.body))]
    return len(real) == 1 and isinstance(real[0], cst.SimpleStatementLine) and isinstance(real[0].body[0], cst.Raise)


class AlembicRollbackFacts(FactCollector):
    """An Alembic revision whose `downgrade()` is missing, empty or only raises (for BG340)."""

    triggers = ("def upgrade",)

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.enabled = is_alembic(ctx)
        self.upgrade: cst.FunctionDef | None = None
        self.downgrade: cst.FunctionDef | None = None
        self.revision = ""
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1
        if self.depth == 1 and node.name.value == "upgrade":
            self.upgrade = node
        elif self.depth == 1 and node.name.value == "downgrade":
            self.downgrade = node

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.depth == 0 and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            if node.targets[0].target.value == "revision" and isinstance(node.value, cst.SimpleString):
                value = node.value.evaluated_value
                self.revision = value if isinstance(value, str) else ""

    def finish(self) -> None:
        if self.enabled and self.upgrade is not None:
            self.fact("migration_file", {"tool": "alembic"})
        if not self.enabled or self.upgrade is None or _is_empty(self.upgrade.body):
            return
        name = self.revision or self.ctx.path.rsplit("/", 1)[-1]
        if self.downgrade is None:
            self._issue(self.upgrade, name, "is missing")
        elif _is_empty(self.downgrade.body):
            self._issue(self.downgrade, name, "is empty")
        elif _raises_only(self.downgrade.body):
            self._issue(self.downgrade, name, "only raises")

    def _issue(self, node: cst.FunctionDef, revision: str, how: str) -> None:
        self.fact("rollback_issue", {"code": "BG340", "line": _line_of(self.ctx, node), "revision": revision, "how": how})


class DjangoRollbackFacts(FactCollector):
    """Django `RunPython` / `RunSQL` operations without a reverse (for BG341)."""

    triggers = ("RunPython", "RunSQL")

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.enabled = is_django_migration(ctx)
        if self.enabled:
            self.fact("migration_file", {"tool": "django"})

    def visit_Call(self, node: cst.Call) -> None:
        if not self.enabled:
            return
        name = call_name(node)
        if name not in ("RunPython", "RunSQL") or not dotted(node.func).endswith(("migrations.RunPython", "migrations.RunSQL")):
            return
        reverse = "reverse_code" if name == "RunPython" else "reverse_sql"
        given = kwarg(node, reverse)
        if given is None and len(positional(node)) >= 2:
            given = positional(node)[1]
        if given is not None and not (isinstance(given, cst.Name) and given.value == "None"):  # `reverse_code=None` is Django's default: none
            return
        self.fact("rollback_issue", {"code": "BG341", "line": _line_of(self.ctx, node), "op": name, "reverse": reverse})
