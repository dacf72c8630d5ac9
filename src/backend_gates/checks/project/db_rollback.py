"""DB-ROLLBACK over Python migrations: Alembic revisions that cannot be downgraded, Django
`RunPython` / `RunSQL` operations without a reverse. The file phase records `rollback_issue`
facts (checks/python/db_rollback.py); these rules report the ones in migrations a change adds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck
from .db_history import history

ALEMBIC_HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "2"\ndown_revision = "1"\n\n\n'
UPGRADE = "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=True))\n\n\n"
DJANGO_HEAD = "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\nclass Migration(migrations.Migration):\n"


class _RollbackRule(ProjectCheck):
    abstract = True
    reads_git_base = True
    tool: ClassVar[str] = ""

    def not_evaluated(self, project: Any) -> str | None:
        if not any(f.get("tool") == self.tool for _p, f in project.facts("migration_file")):
            return f"no {'Alembic revisions' if self.tool == 'alembic' else 'Django migrations'} found"
        return None

    def run(self, project: Any) -> list[Finding]:
        judged = history(project)
        return [
            self.make_finding(Location(path, issue["line"]), **{k: v for k, v in issue.items() if k not in ("code", "line")})
            for path, issue in project.facts("rollback_issue")
            if issue.get("code") == self.code and judged.judges(path)
        ]


class EmptyAlembicDowngrade(_RollbackRule):
    """An Alembic revision whose `downgrade()` is missing, empty, `pass` or only raises.

    Why it matters: `alembic downgrade` then silently does nothing (or fails), so there is no
    rollback plan for this revision; a bad deploy cannot be undone by the tool. Write the
    reverse operations, or, when the change really cannot be reversed, say so in a suppression.
    Known limits: a downgrade that exists but does not reverse the upgrade is found by
    `backend-gates migrations roundtrip`, not by this rule. Only the revisions a change adds
    are judged (shipped revisions are history).
    """

    code = "BG340"
    name = "empty-alembic-downgrade"
    gate = "DB-ROLLBACK"
    severity = Severity.WARNING
    confidence = "high"
    tool = "alembic"
    message = "Alembic revision {revision}: downgrade() {how}; write the reverse of upgrade() so it can be rolled back"
    fix = "implement downgrade() with the inverse operations"
    requires = (("migration_file",), "no Alembic revisions found")
    example_path = "alembic/versions/0002_add_age.py"
    good = [
        ALEMBIC_HEAD + UPGRADE + "def downgrade():\n    op.drop_column('users', 'age')\n",
        "from alembic import command\n\n\ndef upgrade(plugin_name=None, revision=None):\n    command.upgrade(config(plugin_name), revision or 'head')\n",
        # shipped history: only the head revision is judged without a git base
        {"alembic/versions/0001_base.py": ALEMBIC_HEAD.replace('"2"', '"1"').replace('down_revision = "1"', "down_revision = None") + UPGRADE
         + "def downgrade():\n    pass\n",
         "alembic/versions/0002_add_age.py": ALEMBIC_HEAD + UPGRADE + "def downgrade():\n    op.drop_column('users', 'age')\n"},
    ]
    bad = [
        Bad(ALEMBIC_HEAD + UPGRADE + "def downgrade():\n    pass\n", line=12),
        Bad(ALEMBIC_HEAD + UPGRADE.rstrip() + "\n", line=8),
    ]


class IrreversibleDjangoOperation(_RollbackRule):
    """A Django `RunPython` or `RunSQL` operation without a reverse.

    Why it matters: `migrate APP <previous>` stops with IrreversibleError at this migration, so
    nothing before it can be rolled back either. Give `reverse_code` (`RunPython.noop` when
    there is nothing to undo) or `reverse_sql`.
    Known limits: only operations written in the migration file are seen; only the migrations a
    change adds are judged (shipped migrations are history).
    """

    code = "BG341"
    name = "irreversible-django-operation"
    gate = "DB-ROLLBACK"
    severity = Severity.WARNING
    confidence = "high"
    tool = "django"
    message = "migrations.{op} without {reverse}: this migration cannot be reversed; pass {reverse} (RunPython.noop if nothing to undo)"
    fix = "add reverse_code=... / reverse_sql=... (migrations.RunPython.noop / migrations.RunSQL.noop)"
    requires = (("migration_op", "migration_file"), "no Django migrations found")
    example_path = "shop/migrations/0003_backfill.py"
    good = [
        DJANGO_HEAD + "    dependencies = [('shop', '0002')]\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n"
    ]
    bad = [
        Bad(
            DJANGO_HEAD + "    dependencies = [('shop', '0002')]\n    operations = [\n        migrations.RunPython(forwards),\n"
            "        migrations.RunSQL('UPDATE shop_order SET total = 0 WHERE total IS NULL'),\n    ]\n",
            line=11,
        ),
        # `reverse_code=None` is the default spelled out: still no reverse
        Bad(DJANGO_HEAD + "    dependencies = [('shop', '0002')]\n    operations = [migrations.RunPython(forwards, reverse_code=None)]\n", line=10),
    ]
