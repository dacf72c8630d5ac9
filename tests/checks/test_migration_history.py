"""Shipped history is not a wall of failures: the migration-safety rules judge the migrations a
change adds (git base), else the newest of each folder; the rest is one info line (BG339)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support import run_cli, run_engine, write_tree

HEAD = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"


def django(name: str, deps: str, *ops: str, initial: bool = False) -> str:
    body = "".join(f"        {op},\n" for op in ops)
    return HEAD + ("    initial = True\n" if initial else "") + f"    dependencies = [{deps}]\n    operations = [\n{body}    ]\n"


INITIAL = django("0001", "", "migrations.CreateModel(name='Order', fields=[('id', models.AutoField(primary_key=True))])", initial=True)
UNSAFE_OLD = django("0002", "('shop', '0001_initial')", "migrations.RemoveField(model_name='order', name='note')",
                    "migrations.RunPython(forwards)")
SAFE_NEW = django("0003", "('shop', '0002_drop_note')", "migrations.AddField(model_name='order', name='memo', field=models.TextField(null=True))")
UNSAFE_NEW = django("0004", "('shop', '0003_memo')", "migrations.RenameField(model_name='order', old_name='memo', new_name='remark')",
                    "migrations.AddField(model_name='order', name='paid', field=models.BooleanField())")

ALEMBIC = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\ndown_revision = {down}\n\n\ndef upgrade():\n    {op}\n\n\ndef downgrade():\n    pass\n'


def codes(report) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.code) for f in report.findings if f.code.startswith("BG3")}


def test_without_a_base_only_the_newest_migration_of_each_folder_is_judged(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "shop/migrations/0001_initial.py": INITIAL,
        "shop/migrations/0002_drop_note.py": UNSAFE_OLD,
        "shop/migrations/0003_memo.py": SAFE_NEW,
        "billing/migrations/0001_initial.py": INITIAL.replace("Order", "Invoice"),
        "billing/migrations/0002_drop.py": UNSAFE_OLD.replace("'shop'", "'billing'").replace("'order'", "'invoice'"),
    })
    report = run_engine(tmp_path)
    found = codes(report)
    # shop: the newest (0003) is safe; billing: its newest migration is unsafe and judged
    assert found == {
        ("billing/migrations/0002_drop.py", 7, "BG334"), ("billing/migrations/0002_drop.py", 8, "BG341"),
        ("billing/migrations/0002_drop.py", 1, "BG339"),
    }
    note = next(f for f in report.findings if f.code == "BG339")
    assert note.severity.value == "info" and note.gate is None
    assert note.message.startswith("3 shipped migration(s) not judged")
    assert 'db.judge-migrations = "all"' in note.message
    gates = {g.id: g.status.value for g in report.gates}
    assert gates["DB-MIGRATE"] == "failed"  # billing's newest drop
    everything = codes(run_engine(tmp_path, **{"db.judge-migrations": "all"}))
    assert ("shop/migrations/0002_drop_note.py", 7, "BG334") in everything
    assert not any(code == "BG339" for _p, _l, code in everything)


def test_alembic_heads_are_the_newest_revisions(tmp_path: Path) -> None:
    drop = "op.drop_column('users', 'legacy')"
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "alembic/versions/a1.py": ALEMBIC.format(rev="a1", down="None", op=drop),
        "alembic/versions/b2.py": ALEMBIC.format(rev="b2", down='"a1"', op="op.add_column('users', sa.Column('x', sa.Integer()))"),
        # two heads after a branch: both are judged
        "alembic/versions/c3.py": ALEMBIC.format(rev="c3", down='"b2"', op=drop),
        "alembic/versions/d4.py": ALEMBIC.format(rev="d4", down='"b2"', op="op.add_column('users', sa.Column('y', sa.Integer()))"),
    })
    found = codes(run_engine(tmp_path))
    assert {(p, c) for p, _l, c in found if c != "BG339"} == {
        ("alembic/versions/c3.py", "BG334"), ("alembic/versions/c3.py", "BG340"), ("alembic/versions/d4.py", "BG340"),
    }


def test_an_initial_set_extends_empty_tables(tmp_path: Path) -> None:
    """Initial migrations (and squashes) build empty tables: a NOT NULL foreign key there is fine."""
    fk = "migrations.AddField(model_name='order', name='customer', field=models.ForeignKey(on_delete=models.CASCADE, to='shop.customer'))"
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "shop/migrations/0001_initial.py": INITIAL,
        "shop/migrations/0002_initial.py": django("0002", "('shop', '0001_initial')", fk, initial=True),
        "shop/migrations/0003_squashed.py": HEAD + "    replaces = [('shop', '0001_initial'), ('shop', '0002_initial')]\n"
        "    dependencies = []\n    operations = [migrations.RemoveField(model_name='order', name='x')]\n",
    })
    assert codes(run_engine(tmp_path, **{"db.judge-migrations": "all"})) == set()
    write_tree(tmp_path, {"shop/migrations/0004_owner.py": django("0004", "('shop', '0002_initial')", fk)})
    assert ("shop/migrations/0004_owner.py", 7, "BG330") in codes(run_engine(tmp_path))


git_only = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True, capture_output=True)


@git_only
def test_with_a_git_base_exactly_the_added_migration_is_judged(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "shop/migrations/0001_initial.py": INITIAL,
        "shop/migrations/0002_drop_note.py": UNSAFE_OLD,
        "shop/migrations/0003_memo.py": SAFE_NEW,
        "shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n    memo = models.TextField(null=True)\n",
    })
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "shipped")
    git(tmp_path, "checkout", "-qb", "feature")
    write_tree(tmp_path, {"shop/migrations/0004_remark.py": UNSAFE_NEW})
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one unsafe migration")

    def findings(*args: str) -> list[tuple[str, int, str]]:
        out = run_cli("check", "--format", "json", "--exit-zero", *args, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        event = json.loads(out.stdout)
        return sorted((f["path"], f["line"], f["rule"]) for f in event["findings"] if f["rule"].startswith("BG3"))

    new = [("shop/migrations/0004_remark.py", 7, "BG333"), ("shop/migrations/0004_remark.py", 8, "BG330")]
    # run without a base first: the cache must not replay its verdict into the run with a base
    assert [f for f in findings() if f[2] != "BG339"] == new
    with_base = findings("--diff", "main")
    assert [f for f in with_base if f[2] != "BG339"] == new
    # the base says which migrations are new, not the folder order: an edit of an old one is judged
    (tmp_path / "shop/migrations/0002_drop_note.py").write_text(UNSAFE_OLD.replace("forwards)", "forwards, migrations.RunPython.noop)"))
    with_base = findings("--diff", "main")
    assert ("shop/migrations/0002_drop_note.py", 8, "BG341") not in with_base
    git(tmp_path, "checkout", "-q", "--", ".")
    (tmp_path / "shop/migrations/0002_drop_note.py").write_text(UNSAFE_OLD.replace("name='note'", "name='notes'"))
    assert ("shop/migrations/0002_drop_note.py", 7, "BG334") in findings("--diff", "main")


def test_other_rules_findings_in_shipped_migrations_are_info(tmp_path: Path) -> None:
    swallow = "\n\ndef forwards(apps, schema_editor):\n    try:\n        apps.get_model('shop', 'Order')\n    except Exception:\n        pass\n"
    noop = "migrations.RunPython(forwards, migrations.RunPython.noop)"
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "shop/migrations/0001_initial.py": INITIAL + swallow,
        "shop/migrations/0002_fill.py": django("0002", "('shop', '0001_initial')", noop) + swallow,
    })
    report = run_engine(tmp_path)
    by_path = {f.location.path: f for f in report.findings if f.gate == "AP-ERROR-HANDLING"}
    assert by_path["shop/migrations/0001_initial.py"].severity.value == "info"
    assert by_path["shop/migrations/0001_initial.py"].extra.get("shipped_migration") is True
    assert by_path["shop/migrations/0002_fill.py"].severity.value == "warning"
