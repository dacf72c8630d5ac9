"""DB-MIGRATE and DB-ROLLBACK over migration operations (Alembic, Django, `.sql` migrations),
recorded as `migration_op` facts in the file phase. Dialect-aware: `CREATE INDEX` without
`CONCURRENTLY` matters on PostgreSQL only.

Operations on a table the same migration created are skipped: a new, empty table cannot be
locked out from under live traffic.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...model import Finding, Location, Severity
from ...sql.schema import infer_dialect
from ..base import Bad, ProjectCheck

ALEMBIC_HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "2"\ndown_revision = "1"\n\n\n'


class _OpRule(ProjectCheck):
    abstract = True
    facts_needed = ("migration_op",)
    ops: ClassVar[tuple[str, ...]] = ()
    example_path = "migrations/versions/0002_change.py"

    def not_evaluated(self, project: Any) -> str | None:
        if not project.facts("migration_op"):
            return "no migrations found (Alembic versions, Django migrations, or .sql migration files)"
        return None

    def matching(self, project: Any) -> list[tuple[str, dict[str, Any]]]:
        return [(p, op) for p, op in project.facts("migration_op") if op.get("op") in self.ops and not op.get("new_table")]

    def run(self, project: Any) -> list[Finding]:
        out = []
        dialect = infer_dialect(project)
        for path, op in self.matching(project):
            fmt = self.describe(op, dialect)
            if fmt is not None:
                out.append(self.make_finding(Location(path, op["line"]), **fmt))
        return out

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:  # pragma: no cover
        raise NotImplementedError


class AddNotNullColumnWithoutDefault(_OpRule):
    """A migration adds a NOT NULL column without a default to an existing table.

    Why it matters: on a table with rows the statement fails (or, with a volatile default,
    rewrites the table under an exclusive lock), and code still running the old version inserts
    rows without the column. Add it nullable, backfill, then set NOT NULL (or give a default).
    Known limits: a default set by a separate statement in the same migration is not seen.
    """

    code = "BG330"
    name = "add-not-null-column-without-default"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    message = "adding NOT NULL column `{table}.{column}` without a default fails on a table with rows; add it nullable, backfill, then set NOT NULL"
    fix = "add the column nullable (or with a server default), backfill, then ALTER ... SET NOT NULL"
    ops = ("add_column",)
    good = [
        ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=True))\n\n\ndef downgrade():\n    op.drop_column('users', 'age')\n",
        {"shop/migrations/0002_note.py": "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
         "    dependencies = [('shop', '0001')]\n    operations = [\n"
         "        migrations.AddField(model_name='order', name='note', field=models.CharField(blank=True, max_length=20)),\n"
         "        migrations.AddField(model_name='order', name='at', field=models.DateTimeField(auto_now_add=True)),\n    ]\n"},
    ]
    bad = [Bad(ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=False))\n\n\ndef downgrade():\n    op.drop_column('users', 'age')\n", line=9)]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op.get("not_null") and not op.get("default"):
            return {"table": op["table"], "column": op.get("column", "")}
        return None


class IndexWithoutConcurrently(_OpRule):
    """PostgreSQL: a migration creates an index on an existing table without CONCURRENTLY.

    Why it matters: plain CREATE INDEX blocks every write to the table until the index is built;
    on a big table that is an outage. Use `CREATE INDEX CONCURRENTLY` (Alembic:
    `postgresql_concurrently=True` outside a transaction; Django: `AddIndexConcurrently`).
    Known limits: judged only when the dialect is PostgreSQL (configured or inferred).
    """

    code = "BG331"
    name = "index-without-concurrently"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    message = "CREATE INDEX {name}on `{table}` without CONCURRENTLY blocks writes while it builds; use CREATE INDEX CONCURRENTLY"
    fix = "CREATE INDEX CONCURRENTLY (Alembic: postgresql_concurrently=True in an autocommit block; Django: AddIndexConcurrently)"
    ops = ("create_index",)
    example_path = "migrations/0002_index.sql"
    good = [{"migrations/0002_index.sql": "CREATE INDEX CONCURRENTLY ix_orders_user ON orders (user_id);\n", "app/db.py": "DSN = 'postgresql://localhost/app'\n"}]
    bad = [Bad({"migrations/0002_index.sql": "CREATE INDEX ix_orders_user ON orders (user_id);\n", "app/db.py": "DSN = 'postgresql://localhost/app'\n"}, line=1, path="migrations/0002_index.sql")]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if dialect != "postgres" or op.get("concurrently"):
            return None
        name = op.get("name") or ""
        return {"table": op.get("table") or "?", "name": f"{name} " if name else ""}


class AlterColumnType(_OpRule):
    """A migration changes a column's type.

    Why it matters: most type changes rewrite the whole table under an exclusive lock, and code
    still running the old version reads or writes the old type. Add a new column, dual-write,
    backfill, switch reads, then drop the old one.
    Known limits: type changes that are metadata-only (e.g. widening a VARCHAR on PostgreSQL) are
    reported too; Django `AlterField` is not judged (it is also used for changes that do not
    touch the database).
    """

    code = "BG332"
    name = "alter-column-type"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    message = "changing the type of `{table}.{column}` rewrites the table under a lock; add a new column, backfill, switch, then drop"
    fix = "expand/contract: new column, dual write, backfill, switch reads, drop the old column"
    ops = ("alter_column_type",)
    good = [ALEMBIC_HEAD + "def upgrade():\n    op.alter_column('users', 'name', nullable=True)\n\n\ndef downgrade():\n    op.alter_column('users', 'name', nullable=False)\n"]
    bad = [Bad(ALEMBIC_HEAD + "def upgrade():\n    op.alter_column('users', 'age', type_=sa.BigInteger())\n\n\ndef downgrade():\n    op.alter_column('users', 'age', type_=sa.Integer())\n", line=9)]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        return {"table": op["table"] or "(a computed table)", "column": op.get("column", "") or "(a computed column)"}


class RenameInMigration(_OpRule):
    """A migration renames a table or column.

    Why it matters: the running application version still uses the old name; between the
    migration and the deploy every query that names it fails. Add the new name, copy, switch
    the code, then drop the old one (or use a view).
    Known limits: renames inside raw SQL strings built at run time are not seen.
    """

    code = "BG333"
    name = "rename-in-migration"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    message = "renaming {what} breaks the application version still running; add the new name, migrate the code, then drop the old"
    fix = "expand/contract: add the new column/table, dual-write, switch reads, drop the old one later"
    ops = ("rename_column", "rename_table")
    good = [ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('full_name', sa.String(), nullable=True))\n\n\ndef downgrade():\n    op.drop_column('users', 'full_name')\n"]
    bad = [Bad(ALEMBIC_HEAD + "def upgrade():\n    op.alter_column('users', 'name', new_column_name='full_name')\n\n\ndef downgrade():\n    op.alter_column('users', 'full_name', new_column_name='name')\n", line=9)]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op["op"] == "rename_table":
            return {"what": f"table `{op['table']}`"}
        return {"what": f"column `{op['table']}.{op.get('column', '')}`"}


class DropInMigration(_OpRule):
    """A migration drops a table or column.

    Why it matters: the application version still running reads it, and the data is gone for
    good (a rollback cannot bring it back). Stop using it in code first, deploy, then drop in a
    later migration, after a backup.
    Known limits: drops of tables created in the same migration are not reported.
    """

    code = "BG334"
    name = "drop-in-migration"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    message = "dropping {what} breaks code still reading it; remove its use in a release first, drop it in a later migration"
    fix = "stop reading/writing it in one release, drop it in a later migration (after a backup)"
    ops = ("drop_column", "drop_table")
    good = [ALEMBIC_HEAD + "def upgrade():\n    op.create_index('ix_users_email', 'users', ['email'])\n\n\ndef downgrade():\n    op.drop_index('ix_users_email')\n"]
    bad = [Bad(ALEMBIC_HEAD + "def upgrade():\n    op.drop_column('users', 'legacy')\n\n\ndef downgrade():\n    op.add_column('users', sa.Column('legacy', sa.Text()))\n", line=9)]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op["op"] == "drop_table":
            return {"what": f"table `{op['table']}`"}
        return {"what": f"column `{op['table']}.{op.get('column', '')}`"}


class DataLossWithoutAcknowledgement(_OpRule):
    """A data-losing migration operation (drop, truncate) without an acknowledgement marker.

    Why it matters: a rollback cannot bring dropped data back; the rollback plan must say so.
    Mark the operation with a `data-loss-ok` comment (`# data-loss-ok: archived in S3`) on its
    line or the line above once a backup or archive exists.
    Known limits: only drops and truncates are data-losing here; a narrowing type change is not.
    """

    code = "BG343"
    name = "data-loss-without-acknowledgement"
    gate = "DB-ROLLBACK"
    severity = Severity.WARNING
    message = "{what} loses data a rollback cannot restore; acknowledge it with a `data-loss-ok: <why>` comment once it is backed up"
    fix = "back the data up, then add `# data-loss-ok: <where the data went>` (SQL: `-- data-loss-ok: ...`)"
    ops = ("drop_column", "drop_table", "truncate")
    good = [ALEMBIC_HEAD + "def upgrade():\n    # data-loss-ok: column archived to s3://backups/legacy.csv\n    op.drop_column('users', 'legacy')\n\n\ndef downgrade():\n    op.add_column('users', sa.Column('legacy', sa.Text()))\n"]
    bad = [Bad(ALEMBIC_HEAD + "def upgrade():\n    op.drop_table('audit_old')\n\n\ndef downgrade():\n    pass\n", line=9)]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op.get("ack"):
            return None
        if op["op"] == "drop_column":
            return {"what": f"dropping column `{op['table']}.{op.get('column', '')}`"}
        if op["op"] == "truncate":
            return {"what": f"truncating `{op['table']}`"}
        return {"what": f"dropping table `{op['table']}`"}


class UpMigrationWithoutDown(ProjectCheck):
    """An up `.sql` migration without its down file.

    Why it matters: there is no tested way back; a failed deploy becomes a manual repair under
    pressure. Conventions: `NAME.up.sql`/`NAME.down.sql`, `DIR/up.sql`/`DIR/down.sql`, and
    Flyway `V1__x.sql`/`U1__x.sql` (only when the directory already uses undo files).
    Known limits: other naming conventions are not paired.
    """

    code = "BG342"
    name = "up-migration-without-down"
    gate = "DB-ROLLBACK"
    severity = Severity.WARNING
    message = "up migration has no matching down file ({expected}); write the rollback"
    fix = "add the down migration that reverses this one"
    facts_needed = ("sql_migration_file",)
    example_path = "migrations/0001_init.up.sql"
    good = [{"migrations/0001_init.up.sql": "CREATE TABLE t (id INT PRIMARY KEY);\n", "migrations/0001_init.down.sql": "DROP TABLE t;\n"}]
    bad = [Bad({"migrations/0001_init.up.sql": "CREATE TABLE t (id INT PRIMARY KEY);\n"}, line=1, path="migrations/0001_init.up.sql")]

    def not_evaluated(self, project: Any) -> str | None:
        if not any(f.get("key") for _p, f in project.facts("sql_migration_file")):
            return "no up/down .sql migration files found"
        return None

    def run(self, project: Any) -> list[Finding]:
        files = [(p, f) for p, f in project.facts("sql_migration_file") if f.get("key")]
        downs = {f["key"] for _p, f in files if f["direction"] == "down"}
        flyway_dirs_with_undo = {p.rpartition("/")[0] for p, f in files if f["direction"] == "down" and p.rpartition("/")[2][:1] in "Uu"}
        out = []
        for path, f in files:
            if f["direction"] != "up" or f["key"] in downs:
                continue
            directory, _, name = path.rpartition("/")
            if name[:1] in "Vv" and "__" in name:
                if directory not in flyway_dirs_with_undo:
                    continue
                expected = "U" + name[1:]
            elif name.lower() == "up.sql":
                expected = "down.sql"
            else:
                expected = name[: -len("up.sql")] + "down.sql"
            out.append(self.make_finding(Location(path, 1), expected=expected))
        return out
