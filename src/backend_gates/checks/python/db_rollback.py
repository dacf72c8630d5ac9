"""DB-ROLLBACK in Python migrations: Alembic revisions that cannot be downgraded, Django
`RunPython` / `RunSQL` operations without a reverse."""

from __future__ import annotations

import libcst as cst

from ...model import Severity
from ..base import Bad, PythonCheck
from ._cst import call_name, dotted, kwarg, positional
from .db_migration_facts import is_alembic, is_django_migration

ALEMBIC_HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "2"\ndown_revision = "1"\n\n\n'
UPGRADE = "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=True))\n\n\n"


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


class EmptyAlembicDowngrade(PythonCheck):
    """An Alembic revision whose `downgrade()` is missing, empty, `pass` or only raises.

    Why it matters: `alembic downgrade` then silently does nothing (or fails), so there is no
    rollback plan for this revision; a bad deploy cannot be undone by the tool. Write the
    reverse operations, or, when the change really cannot be reversed, say so in a suppression.
    Known limits: a downgrade that exists but does not reverse the upgrade is found by
    `backend-gates migrations roundtrip`, not by this rule.
    """

    code = "BG340"
    name = "empty-alembic-downgrade"
    gate = "DB-ROLLBACK"
    severity = Severity.WARNING
    message = "Alembic revision {revision}: downgrade() {how}; write the reverse of upgrade() so it can be rolled back"
    fix = "implement downgrade() with the inverse operations"
    triggers = ("def upgrade",)
    requires = (("migration_file",), "no Alembic revisions found")
    example_path = "alembic/versions/0002_add_age.py"
    good = [
        ALEMBIC_HEAD + UPGRADE + "def downgrade():\n    op.drop_column('users', 'age')\n",
        "from alembic import command\n\n\ndef upgrade(plugin_name=None, revision=None):\n    command.upgrade(config(plugin_name), revision or 'head')\n",
    ]
    bad = [
        Bad(ALEMBIC_HEAD + UPGRADE + "def downgrade():\n    pass\n", line=12),
        Bad(ALEMBIC_HEAD + UPGRADE.rstrip() + "\n", line=8),
    ]

    def __init__(self, ctx, options):  # type: ignore[no-untyped-def]
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
            self.report(self.upgrade, revision=name, how="is missing")
        elif _is_empty(self.downgrade.body):
            self.report(self.downgrade, revision=name, how="is empty")
        elif _raises_only(self.downgrade.body):
            self.report(self.downgrade, revision=name, how="only raises")


class IrreversibleDjangoOperation(PythonCheck):
    """A Django `RunPython` or `RunSQL` operation without a reverse.

    Why it matters: `migrate APP <previous>` stops with IrreversibleError at this migration, so
    nothing before it can be rolled back either. Give `reverse_code` (`RunPython.noop` when
    there is nothing to undo) or `reverse_sql`.
    Known limits: only operations written inline in `operations = [...]` are seen.
    """

    code = "BG341"
    name = "irreversible-django-operation"
    gate = "DB-ROLLBACK"
    severity = Severity.WARNING
    message = "migrations.{op} without {reverse}: this migration cannot be reversed; pass {reverse} (RunPython.noop if nothing to undo)"
    fix = "add reverse_code=... / reverse_sql=... (migrations.RunPython.noop / migrations.RunSQL.noop)"
    triggers = ("RunPython", "RunSQL")
    requires = (("migration_op", "migration_file"), "no Django migrations found")
    example_path = "shop/migrations/0003_backfill.py"
    good = [
        "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0002')]\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n"
    ]
    bad = [
        Bad(
            "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('shop', '0002')]\n    operations = [\n        migrations.RunPython(forwards),\n"
            "        migrations.RunSQL('UPDATE shop_order SET total = 0 WHERE total IS NULL'),\n    ]\n",
            line=11,
        )
    ]

    def __init__(self, ctx, options):  # type: ignore[no-untyped-def]
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
        if kwarg(node, reverse) is not None or len(positional(node)) >= 2:
            return
        self.report(node, op=name, reverse=reverse)
