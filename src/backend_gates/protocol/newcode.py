"""Gate verdicts on new code ("clean as you code", after SonarQube's new-code period).

With a base (config `new-code = "<git ref>"`, `check --new-code REF`, `pytest
--backend-gates-new-code REF`, or in CI the pull/merge request's target branch from
`GITHUB_BASE_REF` / `CI_MERGE_REQUEST_TARGET_BRANCH_NAME` when nothing is configured), gates fail
only on findings in new or changed code. Findings on code unchanged since the base are still
listed, marked `extra.existing = true`, and counted apart (`summary.existing`, each gate's
`evidence.existing`).

New or changed code: lines added or changed since the merge base of the ref and HEAD (working
tree included, so uncommitted edits count), and files git does not track yet. A finding that names
no file is new (it cannot be attributed). A configured base git cannot resolve is a usage error;
a base found in the CI environment that git cannot resolve (a shallow clone) is reported and
ignored: every finding counts, as without a base.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..model import Finding

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config

CI_VARIABLES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")


@dataclass(frozen=True, slots=True)
class Base:
    ref: str  # as given or found
    source: str  # "command line", "pyproject.toml [tool.backend-gates]", "env GITHUB_BASE_REF"
    commit: str = ""  # the merge base used ('' when it could not be resolved)
    problem: str = ""  # why the base is not used (CI base git cannot resolve)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ref": self.ref, "source": self.source, "commit": self.commit or None}
        if self.problem:
            data["problem"] = self.problem
        return data


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _resolve(root: Path, ref: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def find_base(config: Config, environ: dict[str, str] | None = None) -> Base | None:
    """The configured base, else the CI's pull/merge request target; None without either."""
    env = dict(os.environ) if environ is None else environ
    root = Path(config.root)
    given = str(config["new-code"] or "")
    if given:
        source = config.sources.get("new-code", "config")
        commit = _resolve(root, given)
        if commit is None:
            raise UsageError(f"new-code: git cannot resolve {given!r} in {root} (source: {source})")
        return Base(given, source, _merge_base(root, commit))
    for name in CI_VARIABLES:
        branch = env.get(name, "").strip()
        if not branch:
            continue
        for candidate in (f"origin/{branch}", branch):
            commit = _resolve(root, candidate)
            if commit is not None:
                return Base(candidate, f"env {name}", _merge_base(root, commit))
        return Base(branch, f"env {name}", "", f"git cannot resolve origin/{branch} or {branch} (fetch the target branch, e.g. `fetch-depth: 0`); every finding counts")
    return None


def _merge_base(root: Path, commit: str) -> str:
    return _git(root, "merge-base", commit, "HEAD") or commit


def mark(findings: list[Finding], config: Config, base: Base | None = None) -> tuple[list[Finding], dict[str, Any] | None]:
    """Mark findings on unchanged code `existing`; returns the report's `new_code` entry."""
    base = base if base is not None else find_base(config)
    if base is None:
        return findings, None
    info = base.to_dict()
    if not base.commit:
        info["existing"] = 0
        return findings, info
    from ..diff import changed_lines, on_changed_line

    changed = changed_lines(Path(config.root), base.commit)
    out = []
    existing = 0
    for f in findings:
        path = f.location.path
        if path and path != "." and not on_changed_line(f, changed):
            f = dataclasses.replace(f, extra={**f.extra, "existing": True})
            if not f.suppressed:
                existing += 1
        elif f.extra.get("existing"):
            f = dataclasses.replace(f, extra={k: v for k, v in f.extra.items() if k != "existing"})
        out.append(f)
    info.update(existing=existing, files_changed=len(changed))
    return out, info


def is_existing(f: Finding) -> bool:
    return bool(f.extra.get("existing")) if isinstance(f.extra, dict) else False
