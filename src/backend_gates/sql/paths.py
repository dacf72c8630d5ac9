"""Which files are migrations, and how up/down SQL files pair up (no heavy imports)."""

from __future__ import annotations

import re

MIGRATION_DIRS = frozenset({"migrations", "migration", "migrate", "versions", "alembic", "changelog", "flyway", "schema_migrations"})
_FLYWAY = re.compile(r"^[VU]\d+(?:[._]\d+)*__.+\.sql$", re.I)
_UNDO = re.compile(r"^U\d+(?:[._]\d+)*__.+\.sql$", re.I)
_UPDOWN = re.compile(r"^(?P<stem>.+?)[._-](?P<dir>up|down)\.sql$", re.I)
_UPDOWN_DIR = re.compile(r"(?:^|/)(?P<dir>up|down)\.sql$", re.I)
ACK_MARKER = "data-loss-ok"


def is_migration_path(path: str, configured: list[str] | tuple[str, ...] = ()) -> bool:
    low = path.lower()
    for folder in configured:
        folder = folder.strip("/").lower()
        if folder and (low.startswith(folder + "/") or f"/{folder}/" in f"/{low}"):
            return True
    parts = low.split("/")
    if any(p in MIGRATION_DIRS for p in parts[:-1]):
        return True
    name = parts[-1]
    return bool(_FLYWAY.match(name) or _UPDOWN.match(name))


def sql_direction(path: str) -> tuple[str, str] | None:
    """(direction, pairing key) of an up/down migration file, or None when it is not one.

    Conventions: `NAME.up.sql`/`NAME.down.sql` (golang-migrate, dbmate-style splits),
    `DIR/up.sql`/`DIR/down.sql` (diesel), Flyway `V1__x.sql`/`U1__x.sql`.
    """
    directory, _, name = path.rpartition("/")
    m = _UPDOWN.match(name)
    if m:
        return m.group("dir").lower(), f"{directory}/{m.group('stem')}"
    m = _UPDOWN_DIR.search(path)
    if m:
        return m.group("dir").lower(), directory
    if _FLYWAY.match(name):
        version = name[1:].split("__", 1)[0]
        return ("down" if _UNDO.match(name) else "up"), f"{directory}/{version}"
    return None
