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


def _cli_gates(root: Path, *args: str) -> dict[str, dict]:
    import json

    from support import run_cli

    done = run_cli("check", "--no-cache", "-f", "json", "--exit-zero", *args, cwd=root)
    assert done.returncode == 0, done.stderr
    return {g["id"]: g for g in json.loads(done.stdout)["gates"]}


def test_a_project_without_sql_or_models_never_says_db_perf_checks_ran(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "app.py": "def total(items):\n    out = 0\n    for item in items:\n        out += item.price\n    return out\n",
    })
    gate = _cli_gates(tmp_path)["DB-PERF"]
    assert gate["status"] == "not_evaluated", gate
    assert "ran" not in gate["reason"], gate["reason"]
    assert "BG360: no SQL statements or ORM models found" in gate["reason"]
    assert "BG301" in gate["reason"] and "no SQL statements found" in gate["reason"]
    assert gate["evidence"]["ran"] == []


def test_a_gate_that_passes_counts_only_the_checks_that_judged(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "models.py": (
            "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
            "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n"
        ),
    })
    gate = _cli_gates(tmp_path)["DB-PERF"]
    assert gate["status"] == "passed", gate
    ran, checks = gate["evidence"]["ran"], gate["evidence"]["checks"]
    assert set(ran) < set(checks)
    assert gate["reason"].startswith(f"{len(ran)} of {len(checks)} check(s) ran; nothing found; not judged: ")
    assert "no SQL statements found" in gate["reason"]


def test_select_makes_the_other_gates_say_they_were_deselected(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app.py": "try:\n    pass\nexcept:\n    pass\n"})
    gates = _cli_gates(tmp_path, "--select", "bare-except")
    assert gates["AP-ERROR-HANDLING"]["status"] == "failed"
    for gate_id in ("SEC-SQLI", "DB-PERF", "API-REST", "SEC-AUTHN", "AP-HARDCODED-CONFIG"):
        gate = gates[gate_id]
        assert gate["status"] == "not_evaluated", gate
        assert gate["reason"].startswith("deselected by the configuration (select = bare-except)"), gate["reason"]
        assert "no check implemented" not in gate["reason"]
    assert "M-LATENCY" in gates and "pytest --backend-gates" in gates["M-LATENCY"]["reason"]
