"""DB-MIGRATE and DB-ROLLBACK over migration operations (Alembic, Django, `.sql` migrations),
recorded as `migration_op` facts in the file phase. Dialect-aware: `CREATE INDEX` without
`CONCURRENTLY` matters on PostgreSQL only.

Only the migrations a change adds are judged (db_history.py): shipped history is not a finding.
Operations on a table created by the judged migration set are skipped: a new, empty table
cannot be locked out from under live traffic.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...model import Finding, Location, Severity
from ...sql.schema import infer_dialect
from ..base import Bad, ProjectCheck
from .db_history import history

ALEMBIC_HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "2"\ndown_revision = "1"\n\n\n'


class _OpRule(ProjectCheck):
    """Judges the operations of the migrations a change adds (see db_history.py)."""

    abstract = True
    reads_git_base = True
    ops: ClassVar[tuple[str, ...]] = ()
    example_path = "migrations/versions/0002_change.py"

    def not_evaluated(self, project: Any) -> str | None:
        if not project.facts("migration_op"):
            return "no migrations found (Alembic versions, Django migrations, or .sql migration files)"
        return None

    def matching(self, project: Any) -> list[tuple[str, dict[str, Any]]]:
        judged = history(project)
        return [
            (p, op) for p, op in project.facts("migration_op")
            if op.get("op") in self.ops and judged.judges(p) and not op.get("new_table") and not judged.is_new_table(p, op.get("table", ""))
        ]

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


def _django(name: str, *operations: str, deps: str = "('shop', '0001_initial')", head: str = "", initial: bool = False) -> dict[str, str]:
    """A Django migration file `shop/migrations/<name>.py` with these operations (examples)."""
    ops = "".join(f"        {op},\n" for op in operations)
    flag = "    initial = True\n" if initial else ""
    text = (f"from django.db import migrations, models\n{head}\n\nclass Migration(migrations.Migration):\n{flag}"
            f"    dependencies = [{deps}]\n    operations = [\n{ops}    ]\n")
    return {f"shop/migrations/{name}.py": text}


DJANGO_INITIAL = _django(
    "0001_initial", "migrations.CreateModel(name='Order', fields=[('id', models.BigAutoField(primary_key=True)), ('total', models.IntegerField())])",
    deps="", initial=True,
)


class AddNotNullColumnWithoutDefault(_OpRule):
    """A migration adds a NOT NULL column without a default to an existing table.

    Why it matters: on a table with rows the statement fails (or, with a volatile default,
    rewrites the table under an exclusive lock), and code still running the old version inserts
    rows without the column. Add it nullable, backfill, then set NOT NULL (or give a default).
    Not reported: columns Django fills itself (`blank=True` string fields get `''`, `auto_now`),
    many-to-many and tag fields (a join table, no column), and tables created by the same
    migration set (a squashed or initial set, or earlier in the change): they are empty.
    An Alembic column's Python-side `default=` is not a default of the table (only
    `server_default` is rendered), so it does not make the column safe to add.
    Known limits: a default set by a separate statement in the same migration is not seen.
    """

    code = "BG330"
    name = "add-not-null-column-without-default"
    gate = "DB-MIGRATE"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("squawk:adding-required-field", "squawk:adding-not-nullable-field")
    message = "adding NOT NULL column `{table}.{column}` without a default fails on a table with rows; add it nullable, backfill, then set NOT NULL"
    fix = "add the column nullable (or with a server default), backfill, then ALTER ... SET NOT NULL"
    ops = ("add_column",)
    good = [
        ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=True))\n\n\ndef downgrade():\n    op.drop_column('users', 'age')\n",
        # a server default fills the existing rows (also inside a batch operation)
        ALEMBIC_HEAD + "def upgrade():\n    with op.batch_alter_table('users') as batch_op:\n"
        "        batch_op.add_column(sa.Column('flag', sa.Boolean(), nullable=False, server_default=sa.false()))\n\n\n"
        "def downgrade():\n    op.drop_column('users', 'flag')\n",
        # Django fills '' / now() itself; a many-to-many or tag field is a join table, not a column
        {**DJANGO_INITIAL, **_django(
            "0002_note", "migrations.AddField(model_name='order', name='note', field=models.CharField(blank=True, max_length=20))",
            "migrations.AddField(model_name='order', name='at', field=models.DateTimeField(auto_now_add=True))",
            "migrations.AddField(model_name='order', name='labels', field=models.ManyToManyField(to='shop.label'))",
            "migrations.AddField(model_name='order', name='tags', field=taggit.managers.TaggableManager(through='shop.TaggedOrder', to='taggit.Tag'))",
            head="import taggit.managers\n",
        )},
        # an initial/squashed set: the foreign key extends a table created just before (empty)
        {**DJANGO_INITIAL, "shop/migrations/0002_initial.py":
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n"
            "    dependencies = [('shop', '0001_initial')]\n    operations = [\n"
            "        migrations.AddField(model_name='order', name='customer', field=models.ForeignKey(on_delete=models.CASCADE, to='shop.customer')),\n    ]\n"},
        # the table is created earlier in the same migration
        {"migrations/0003_audit.sql": "CREATE TABLE audit (id INT PRIMARY KEY);\nALTER TABLE audit ADD COLUMN actor INT NOT NULL;\n"},
        # shipped history: the unsafe operation sits in an older migration, the newest is fine
        {"migrations/versions/0001_age.py": ALEMBIC_HEAD.replace('"2"', '"1"').replace('"1"\n\n', 'None\n\n', 1)
         + "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=False))\n\n\ndef downgrade():\n    op.drop_column('users', 'age')\n",
         "migrations/versions/0002_nick.py": ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('nick', sa.Text()))\n\n\ndef downgrade():\n    op.drop_column('users', 'nick')\n"},
    ]
    bad = [
        Bad(ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=False))\n\n\ndef downgrade():\n    op.drop_column('users', 'age')\n", line=9),
        Bad({**DJANGO_INITIAL, **_django(
            "0002_owner", "migrations.AddField(model_name='order', name='owner', field=models.ForeignKey(on_delete=models.CASCADE, to='auth.user'))",
        )}, line=7, path="shop/migrations/0002_owner.py"),
        Bad({"migrations/0004_flag.sql": "ALTER TABLE orders ADD COLUMN flagged BOOLEAN NOT NULL;\n"}, line=1, path="migrations/0004_flag.sql"),
        # `default=` is applied by SQLAlchemy on insert; Alembic renders no DEFAULT for the existing rows
        Bad(ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('kind', sa.String(10), nullable=False, default='a'))\n\n\n"
            "def downgrade():\n    op.drop_column('users', 'kind')\n", line=9),
    ]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op.get("not_null") and not op.get("default"):
            return {"table": op["table"], "column": op.get("column", "")}
        return None


POSTGRES = {"app/db.py": "DSN = 'postgresql://localhost/app'\n"}


class IndexWithoutConcurrently(_OpRule):
    """PostgreSQL: a migration creates an index on an existing table without CONCURRENTLY.

    Why it matters: plain CREATE INDEX blocks every write to the table until the index is built;
    on a big table that is an outage. Use `CREATE INDEX CONCURRENTLY` (Alembic:
    `postgresql_concurrently=True` outside a transaction; Django: `AddIndexConcurrently`).
    A Django `AlterField` that gives a column an index its earlier definition did not have
    (`db_index=True`, `unique=True`) builds it the same way.
    Known limits: judged only when the dialect is PostgreSQL (configured or inferred); the size
    of the table is unknown (a small table builds its index in milliseconds); an `AlterField`
    whose earlier definition is not in the project is not judged.
    """

    code = "BG331"
    name = "index-without-concurrently"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    confidence = "medium"
    external_ids = ("squawk:require-concurrent-index-creation", "semgrep:add-index-concurrently")
    message = "CREATE INDEX {name}on `{table}` without CONCURRENTLY blocks writes while it builds; use CREATE INDEX CONCURRENTLY"
    fix = "CREATE INDEX CONCURRENTLY (Alembic: postgresql_concurrently=True in an autocommit block; Django: AddIndexConcurrently)"
    ops = ("create_index", "alter_field")
    example_path = "migrations/0002_index.sql"
    good = [
        {"migrations/0002_index.sql": "CREATE INDEX CONCURRENTLY ix_orders_user ON orders (user_id);\n", **POSTGRES},
        {**DJANGO_INITIAL, **POSTGRES, **_django(
            "0002_index", "AddIndexConcurrently(model_name='order', index=models.Index(fields=['total'], name='ix_total'))",
            head="from django.contrib.postgres.operations import AddIndexConcurrently\n",
        )},
        {"migrations/0002_index.sql": "CREATE TABLE audit (id INT PRIMARY KEY, at TIMESTAMP);\nCREATE INDEX ix_audit_at ON audit (at);\n", **POSTGRES},
        # a Migration class outside a migrations package (a linter rule's test file) is not a migration
        {**POSTGRES, ".semgrep/add-index-concurrently.py": _django(
            "x", "migrations.AddIndex(model_name='order', index=models.Index(fields=['total'], name='ix_total'))")["shop/migrations/x.py"]},
        # the column was indexed already: AlterField only changes its help text
        {**POSTGRES, **_django("0001_initial", "migrations.CreateModel(name='Order', fields=[('id', models.BigAutoField(primary_key=True)), "
                               "('ref', models.CharField(max_length=20, unique=True))])", deps="", initial=True),
         **_django("0002_ref", "migrations.AlterField(model_name='order', name='ref', field=models.CharField(max_length=20, unique=True, help_text='x'))")},
    ]
    bad = [
        Bad({"migrations/0002_index.sql": "CREATE INDEX ix_orders_user ON orders (user_id);\n", **POSTGRES}, line=1, path="migrations/0002_index.sql"),
        Bad({**DJANGO_INITIAL, **POSTGRES, **_django(
            "0002_index", "migrations.AddIndex(model_name='order', index=models.Index(fields=['total'], name='ix_total'))",
        )}, line=7, path="shop/migrations/0002_index.py"),
        # AlterField adding db_index=True: Django runs a plain CREATE INDEX
        Bad({**DJANGO_INITIAL, **POSTGRES, **_django(
            "0002_total_index", "migrations.AlterField(model_name='order', name='total', field=models.IntegerField(db_index=True))",
        )}, line=7, path="shop/migrations/0002_total_index.py"),
    ]

    _fields: dict[tuple[str, str, str], _Before] = {}

    def run(self, project: Any) -> list[Finding]:
        self._fields = _django_field_history(project)
        return super().run(project)

    def matching(self, project: Any) -> list[tuple[str, dict[str, Any]]]:
        return _with_order(project, super().matching(project))

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if dialect != "postgres" or op.get("concurrently"):
            return None
        if op["op"] == "alter_field":
            old = _field_before(self._fields, op)
            if not old or old.get("indexed") or not (op.get("field") or {}).get("indexed") or not old.get("column", True):
                return None
            return {"table": op.get("table") or "?", "name": f"(for {op.get('column') or 'a column'}) "}
        name = op.get("name") or ""
        return {"table": op.get("table") or "?", "name": f"{name} " if name else ""}


# changes of a column's type that PostgreSQL makes without rewriting the table
_CHEAP_CHANGES = {("varchar", "text"), ("varchar", "citext"), ("text", "citext"), ("citext", "text")}


class AlterColumnType(_OpRule):
    """A migration changes a column's type.

    Why it matters: most type changes rewrite the whole table under an exclusive lock, and code
    still running the old version reads or writes the old type. Add a new column, dual-write,
    backfill, switch reads, then drop the old one.
    Django `AlterField` counts when the field's database type differs from the one the earlier
    migrations of the app gave it (or a `max_length` shrinks); MySQL `MODIFY`/`CHANGE` with a type
    count too. Widening a VARCHAR or turning it into TEXT is metadata-only and not reported.
    Known limits: an `AlterField` whose earlier definition is not in the project is not judged;
    Alembic/SQL type changes are reported without comparing the old type.
    """

    code = "BG332"
    name = "alter-column-type"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    confidence = "medium"
    external_ids = ("squawk:changing-column-type",)
    message = "changing the type of `{table}.{column}`{change} rewrites the table under a lock; add a new column, backfill, switch, then drop"
    fix = "expand/contract: new column, dual write, backfill, switch reads, drop the old column"
    ops = ("alter_column_type", "alter_field")
    good = [
        ALEMBIC_HEAD + "def upgrade():\n    op.alter_column('users', 'name', nullable=True)\n\n\ndef downgrade():\n    op.alter_column('users', 'name', nullable=False)\n",
        {**DJANGO_INITIAL, **_django(
            "0002_total_help", "migrations.AlterField(model_name='order', name='total', field=models.IntegerField(help_text='cents'))",
        )},
        {**_django("0001_initial", "migrations.CreateModel(name='Order', fields=[('id', models.BigAutoField(primary_key=True)), ('ref', models.CharField(max_length=20))])", deps=""),
         **_django("0002_ref", "migrations.AlterField(model_name='order', name='ref', field=models.CharField(max_length=64))")},
    ]
    bad = [
        Bad(ALEMBIC_HEAD + "def upgrade():\n    op.alter_column('users', 'age', type_=sa.BigInteger())\n\n\ndef downgrade():\n    op.alter_column('users', 'age', type_=sa.Integer())\n", line=9),
        Bad({**DJANGO_INITIAL, **_django(
            "0002_total_big", "migrations.AlterField(model_name='order', name='total', field=models.BigIntegerField())",
        )}, line=7, path="shop/migrations/0002_total_big.py"),
        Bad({"migrations/0005_amount.sql": "ALTER TABLE orders MODIFY COLUMN amount DECIMAL(12, 2) NOT NULL;\n"}, line=1, path="migrations/0005_amount.sql"),
    ]

    _fields: dict[tuple[str, str, str], _Before] = {}

    def run(self, project: Any) -> list[Finding]:
        self._fields = _django_field_history(project)
        return super().run(project)

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        table, column = op["table"] or "(a computed table)", op.get("column", "") or "(a computed column)"
        if op["op"] != "alter_field":
            return {"table": table, "column": column, "change": f" to {op['type']}" if op.get("type") else ""}
        new = op.get("field") or {}
        old = _field_before(self._fields, op)
        if not old or not old.get("db_type") or not new.get("db_type") or not old.get("column", True) or not new.get("column", True):
            return None
        before, after = old["db_type"], new["db_type"]
        if before == after:
            shrinks = before == "varchar" and old.get("max_length") and new.get("max_length") and new["max_length"] < old["max_length"]
            if not shrinks:
                return None
            return {"table": table, "column": column, "change": f" (max_length {old['max_length']} -> {new['max_length']})"}
        if (before, after) in _CHEAP_CHANGES and dialect in ("postgres", ""):
            return None
        return {"table": table, "column": column, "change": f" ({old.get('class')} -> {new.get('class')})"}

    def matching(self, project: Any) -> list[tuple[str, dict[str, Any]]]:
        return _with_order(project, super().matching(project))


def _with_order(project: Any, ops: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Django `AlterField` operations with their migration folder and file (for `_field_before`)."""
    judged = history(project)
    out = []
    for path, op in ops:
        if op["op"] == "alter_field":
            migration = judged.files.get(path)
            op = {**op, "_folder": migration.folder if migration else "", "_order": path}
        out.append((path, op))
    return out


def _field_before(fields: dict[tuple[str, str, str], "_Before"], op: dict[str, Any]) -> dict[str, Any] | None:
    """The definition an `AlterField` replaces (None when the earlier migrations do not show it)."""
    before = fields.get((op.get("_folder", ""), op["table"], op.get("column", "")))
    return before.get(op.get("_order")) if before is not None else None


def _django_field_history(project: Any) -> dict[tuple[str, str, str], "_Before"]:
    """(folder, model, field) -> lookup of the field's definition before a given migration file."""
    judged = history(project)
    events: dict[tuple[str, str, str], list[tuple[list[Any], str, dict[str, Any]]]] = {}
    for path, op in project.facts("migration_op"):
        if op.get("source") != "django":
            continue
        migration = judged.files.get(path)
        folder = migration.folder if migration else path.rpartition("/")[0]
        order = _order_key(migration.unit if migration else path)
        if op.get("op") == "create_table":
            for name, state in (op.get("fields") or {}).items():
                events.setdefault((folder, op["table"], name), []).append((order, path, state))
        elif op.get("op") in ("add_column", "add_relation", "alter_field") and op.get("field"):
            events.setdefault((folder, op["table"], op.get("column", "")), []).append((order, path, op["field"]))
    out: dict[tuple[str, str, str], _Before] = {}
    for key, items in events.items():
        items.sort(key=lambda item: item[0])
        out[key] = _Before(items)
    return out


class _Before:
    """`get(path)`: the last definition from a migration ordered before `path`'s migration."""

    def __init__(self, items: list[tuple[list[Any], str, dict[str, Any]]]) -> None:
        self.items = items

    def get(self, path: Any) -> dict[str, Any] | None:
        order = next((o for o, p, _s in self.items if p == path), None)
        if order is None:
            return None
        before = [s for o, p, s in self.items if o < order]
        return before[-1] if before else None


def _order_key(unit: str) -> list[Any]:
    from .db_history import _natural

    return _natural(unit)


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
    confidence = "high"
    external_ids = ("squawk:renaming-column", "squawk:renaming-table")
    message = "renaming {what} breaks the application version still running; add the new name, migrate the code, then drop the old"
    fix = "expand/contract: add the new column/table, dual-write, switch reads, drop the old one later"
    ops = ("rename_column", "rename_table")
    good = [ALEMBIC_HEAD + "def upgrade():\n    op.add_column('users', sa.Column('full_name', sa.String(), nullable=True))\n\n\ndef downgrade():\n    op.drop_column('users', 'full_name')\n"]
    bad = [
        Bad(ALEMBIC_HEAD + "def upgrade():\n    op.alter_column('users', 'name', new_column_name='full_name')\n\n\ndef downgrade():\n    op.alter_column('users', 'full_name', new_column_name='name')\n", line=9),
        Bad({**DJANGO_INITIAL, **_django("0002_rename", "migrations.RenameField(model_name='order', old_name='total', new_name='total_cents')")},
            line=7, path="shop/migrations/0002_rename.py"),
        # a new `Meta.db_table`: Django renames the table
        Bad({**DJANGO_INITIAL, **_django("0002_table", "migrations.AlterModelTable(name='order', table='sales_order')")},
            line=7, path="shop/migrations/0002_table.py"),
    ]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op["op"] == "rename_table":
            return {"what": f"table `{op['table']}`"}
        return {"what": f"column `{op['table']}.{op.get('column', '')}`"}


STATE_ONLY_INLINE = (
    "migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField(model_name='order', name='total')], database_operations=[])"
)


class DropInMigration(_OpRule):
    """A migration drops a table or column (one finding per drop; BG343 covers wiping data).

    Why it matters: the application version still running reads it, and the data is gone for
    good (a rollback cannot bring it back). Stop using it in code first, deploy, then drop in a
    later migration, after a backup; mark that drop with a `data-loss-ok: <why>` comment.
    The two-phase removal Django supports is the safe form: `SeparateDatabaseAndState` with
    the removal in `state_operations` changes no table and is not reported.
    Known limits: drops of tables created in the same migration set are not reported.
    """

    code = "BG334"
    name = "drop-in-migration"
    gate = "DB-MIGRATE"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ("squawk:ban-drop-column", "squawk:ban-drop-table")
    message = "dropping {what} loses its data and breaks code still reading it; stop using it in one release, drop it in a later one (mark it `data-loss-ok: <why>`)"
    fix = "stop reading/writing it in one release, drop it in a later migration (after a backup), marked `# data-loss-ok: <why>`"
    ops = ("drop_column", "drop_table")
    good = [
        ALEMBIC_HEAD + "def upgrade():\n    op.create_index('ix_users_email', 'users', ['email'])\n\n\ndef downgrade():\n    op.drop_index('ix_users_email')\n",
        ALEMBIC_HEAD + "def upgrade():\n    # data-loss-ok: unused since 2.3, archived to s3://backups/legacy.csv\n    op.drop_column('users', 'legacy')\n\n\n"
        "def downgrade():\n    op.add_column('users', sa.Column('legacy', sa.Text()))\n",
        # two-phase removal: the state forgets the field, the column stays (inline or via a variable)
        {**DJANGO_INITIAL, **_django("0002_forget_total", STATE_ONLY_INLINE)},
        {**DJANGO_INITIAL, "shop/migrations/0002_forget_total.py":
            "from django.db import migrations\n\nstate_operations = [migrations.DeleteModel(name='Order')]\n\n\n"
            "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n"
            "    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]\n"},
    ]
    bad = [
        Bad(ALEMBIC_HEAD + "def upgrade():\n    op.drop_column('users', 'legacy')\n\n\ndef downgrade():\n    op.add_column('users', sa.Column('legacy', sa.Text()))\n", line=9),
        Bad({**DJANGO_INITIAL, **_django("0002_drop_total", "migrations.RemoveField(model_name='order', name='total')")},
            line=7, path="shop/migrations/0002_drop_total.py"),
        Bad({**DJANGO_INITIAL, "shop/migrations/0002_drop.py":
            "from django.db import migrations\n\ndatabase_operations = [migrations.DeleteModel(name='Order')]\n\n\n"
            "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n"
            "    operations = [migrations.SeparateDatabaseAndState(database_operations=database_operations)]\n"},
            line=3, path="shop/migrations/0002_drop.py"),
    ]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op.get("ack"):
            return None
        if op["op"] == "drop_table":
            return {"what": f"table `{op['table']}`"}
        return {"what": f"column `{op['table']}.{op.get('column', '')}`"}


class DataLossWithoutAcknowledgement(_OpRule):
    """A migration wipes a table's rows (TRUNCATE) without an acknowledgement marker.

    Why it matters: a rollback cannot bring the rows back; the rollback plan must say where
    they went. Mark the statement with a `data-loss-ok` comment (`-- data-loss-ok: archived in
    S3`) on its line or the line above once a backup or archive exists.
    Drops of tables and columns are BG334's (one finding per problem).
    Known limits: a narrowing type change or a `DELETE` in a data migration is not counted.
    """

    code = "BG343"
    name = "data-loss-without-acknowledgement"
    gate = "DB-ROLLBACK"
    severity = Severity.WARNING
    confidence = "high"
    message = "{what} loses data a rollback cannot restore; acknowledge it with a `data-loss-ok: <why>` comment once it is backed up"
    fix = "back the data up, then add `# data-loss-ok: <where the data went>` (SQL: `-- data-loss-ok: ...`)"
    ops = ("truncate",)
    example_path = "migrations/0007_reset.sql"
    good = [
        "-- data-loss-ok: sessions are recreated at login\nTRUNCATE TABLE sessions;\n",
        ALEMBIC_HEAD + "def upgrade():\n    op.drop_table('audit_old')\n\n\ndef downgrade():\n    pass\n",  # BG334's, not reported twice
    ]
    bad = [Bad("TRUNCATE TABLE sessions;\n", line=1)]

    def describe(self, op: dict[str, Any], dialect: str) -> dict[str, Any] | None:
        if op.get("ack"):
            return None
        return {"what": f"truncating `{op['table']}`"}


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
    confidence = "high"
    reads_git_base = True
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
        judged = history(project)
        for path, f in files:
            if f["direction"] != "up" or f["key"] in downs or not judged.judges(path):
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
