"""What git itself would check in: the files `git ls-files` lists under a directory.

Where the directory is inside a git work tree, discovery asks git which files are not ignored
(tracked files, plus untracked ones that no .gitignore, `.git/info/exclude` or `core.excludesFile`
rule hides), so nested .gitignore files with negations (`!keep.py`) behave exactly as in git.
Outside a repository, or without git, discovery falls back to reading .gitignore files itself.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GitListing:
    """Paths relative to the listed directory (POSIX separators): files, and their parent dirs."""

    files: frozenset[str]
    dirs: frozenset[str]

    def keeps_file(self, rel: str) -> bool:
        return rel in self.files

    def keeps_dir(self, rel: str) -> bool:
        return rel in self.dirs

    def opaque(self, rel: str) -> bool:
        """A directory git lists as one entry (a submodule, an untracked nested repository): git
        does not look inside, so discovery reads its .gitignore files itself."""
        return rel in self.files


def listing(directory: str) -> GitListing | None:
    """Not-ignored files under `directory` per git, or None (no git, not a work tree, failure)."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        inside = subprocess.run(
            [git, "rev-parse", "--is-inside-work-tree"], cwd=directory, capture_output=True, text=True, timeout=30
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        out = subprocess.run(
            [git, "-c", "core.quotePath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory, capture_output=True, timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("git listing of %s failed (%s); reading .gitignore files instead", directory, exc)
        return None
    if out.returncode != 0:
        log.info("git ls-files failed in %s; reading .gitignore files instead", directory)
        return None
    files: set[str] = set()
    dirs: set[str] = set()
    for raw in out.stdout.split(b"\0"):
        if not raw:
            continue
        rel = os.fsdecode(raw).rstrip("/")  # an untracked nested repository is listed as `dir/`
        files.add(rel)
        parent = rel.rpartition("/")[0]
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = parent.rpartition("/")[0]
    if not files:  # the directory is ignored by an enclosing repository (or empty): read it ourselves
        log.info("git lists no files under %s; reading .gitignore files instead", directory)
        return None
    return GitListing(frozenset(files), frozenset(dirs))
