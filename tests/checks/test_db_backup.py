"""DB-BACKUP: not_evaluated until evidence is configured, then passed/failed on that evidence."""

from __future__ import annotations

import os
import time
from pathlib import Path

from support import run_engine, write_tree


def gate(root: Path, **overrides):
    report = run_engine(root, **overrides)
    result = next(g for g in report.gates if g.id == "DB-BACKUP")
    return result, [f for f in report.findings if f.code == "BG350"]


def test_not_evaluated_without_evidence_and_says_what_to_configure(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app.py": "x = 1\n"})
    result, findings = gate(tmp_path)
    assert result.status.value == "not_evaluated"
    assert "backup-command" in result.reason and "backup-file" in result.reason
    assert findings == []


def test_command_evidence(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app.py": "x = 1\n"})
    result, _ = gate(tmp_path, **{"db.backup-command": "true"})
    assert result.status.value == "passed"
    result, findings = gate(tmp_path, **{"db.backup-command": "sh -c 'echo restore failed: checksum mismatch >&2; exit 3'"})
    assert result.status.value == "failed"
    assert "exited 3: restore failed: checksum mismatch" in findings[0].message
    result, findings = gate(tmp_path, **{"db.backup-command": "no-such-backup-tool --verify"})
    assert result.status.value == "failed" and "not found" in findings[0].message


def test_file_evidence_checks_age(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app.py": "x = 1\n", "backups/latest.ok": "ok\n"})
    result, _ = gate(tmp_path, **{"db.backup-file": "backups/latest.ok"})
    assert result.status.value == "passed"
    old = time.time() - 30 * 3600
    os.utime(tmp_path / "backups" / "latest.ok", (old, old))
    result, findings = gate(tmp_path, **{"db.backup-file": "backups/latest.ok"})
    assert result.status.value == "failed"
    assert "30.0 h old (limit 26 h)" in findings[0].message
    result, findings = gate(tmp_path, **{"db.backup-file": "backups/missing.dump"})
    assert "does not exist" in findings[0].message
