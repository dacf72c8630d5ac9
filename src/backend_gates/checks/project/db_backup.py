"""DB-BACKUP: a verified backup cannot be inferred from code; the gate judges configured evidence.

`db.backup-command` is run (its exit status is the verdict; output is redacted) or the age of
`db.backup-file` is compared with `db.backup-max-age-hours`. Without either, the gate is
`not_evaluated` and says what to configure.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from typing import Any

from ...model import Finding, Location, Severity
from ...redact import redact_text
from ..base import Bad, ProjectCheck

COMMAND_TIMEOUT = 300


class BackupEvidence(ProjectCheck):
    """The configured backup evidence (a verification command, or a recent backup file) fails.

    Why it matters: a backup that was never restored is a hope, not a plan. Point
    `db.backup-command` at a script that restores the latest backup somewhere and checks it
    (exit 0 = verified), or `db.backup-file` at a marker/dump your backup job refreshes.
    Known limits: the command runs with the run's working directory and a 300 s timeout; the
    gate trusts its exit status.
    """

    code = "BG350"
    cacheable = False  # runs a command or checks a file's age
    name = "backup-not-verified"
    gate = "DB-BACKUP"
    severity = Severity.ERROR
    confidence = "high"
    message = "backup evidence failed: {why}"
    fix = "run and verify a backup (restore test), or fix `db.backup-command` / `db.backup-file`"
    example_path = "pyproject.toml"
    good = [{"pyproject.toml": "[tool.backend-gates.db]\nbackup-command = \"true\"\n", "app.py": "x = 1\n"}]
    bad = [Bad({"pyproject.toml": "[tool.backend-gates.db]\nbackup-file = \"backups/latest.dump\"\n", "app.py": "x = 1\n"}, line=1, path="pyproject.toml")]

    def not_evaluated(self, project: Any) -> str | None:
        config = project.config
        if not config["db.backup-command"] and not config["db.backup-file"]:
            return (
                "a verified backup cannot be inferred from code; set [tool.backend-gates.db] backup-command "
                "(a command whose exit status proves a restore test) or backup-file (checked for age)"
            )
        return None

    def _where(self, project: Any, key: str) -> Location:
        config = project.config
        return Location(config.describe_file() if config.file else "pyproject.toml", 1)

    def run(self, project: Any) -> list[Finding]:
        config = project.config
        out: list[Finding] = []
        command = config["db.backup-command"]
        if command:
            why = self._run_command(command, str(project.root))
            if why:
                out.append(self.make_finding(self._where(project, "db.backup-command"), why=why))
        path = config["db.backup-file"]
        if path:
            why = self._check_file(path, str(project.root), float(config["db.backup-max-age-hours"]))
            if why:
                out.append(self.make_finding(self._where(project, "db.backup-file"), why=why))
        return out

    @staticmethod
    def _run_command(command: str, cwd: str) -> str:
        try:
            done = subprocess.run(shlex.split(command), cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        except FileNotFoundError:
            return f"backup-command not found: {redact_text(command)}"
        except subprocess.TimeoutExpired:
            return f"backup-command timed out after {COMMAND_TIMEOUT}s"
        except (OSError, ValueError) as exc:
            return f"backup-command cannot run: {exc}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            return f"backup-command exited {done.returncode}: {redact_text(tail[0])[:200]}"
        return ""

    @staticmethod
    def _check_file(path: str, root: str, max_hours: float) -> str:
        full = path if os.path.isabs(path) else os.path.join(root, path)
        try:
            age = (time.time() - os.stat(full).st_mtime) / 3600
        except OSError:
            return f"backup-file {path} does not exist"
        if age > max_hours:
            return f"backup-file {path} is {age:.1f} h old (limit {max_hours:g} h)"
        return ""
