"""A gate whose checks could not look at anything says not_evaluated with the reason; never passed."""

from __future__ import annotations

from pathlib import Path

from support import run_engine, write_tree

REVISION = (
    'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "0002"\ndown_revision = "0001"\n\n\n'
    "def upgrade():\n    op.add_column('users', sa.Column('age', sa.Integer(), nullable=True))\n\n\n"
    "def downgrade():\n    op.drop_column('users', 'age')  # backend-gates: data-loss-ok reverting 0002\n"
)


def _gate(report, gate_id):
    return next(g for g in report.gates if g.id == gate_id)


def test_rollback_gate_needs_migrations(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app.py": "x = 1\n"})
    gate = _gate(run_engine(tmp_path), "DB-ROLLBACK")
    assert gate.status.value == "not_evaluated"
    assert "BG340: no Alembic revisions found" in gate.reason


def test_rollback_gate_evaluated_with_an_alembic_revision(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "alembic/versions/0002_age.py": REVISION})
    report = run_engine(tmp_path)
    gate = _gate(report, "DB-ROLLBACK")
    assert gate.status.value in ("passed", "warned", "failed"), gate.reason
    assert "BG340" in gate.evidence.get("checks", [])


def test_runtime_only_gates_point_at_the_plugin_in_check_mode(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app.py": "x = 1\n"})
    gate = _gate(run_engine(tmp_path), "M-LATENCY")
    assert gate.status.value == "not_evaluated" and "pytest --backend-gates" in gate.reason
