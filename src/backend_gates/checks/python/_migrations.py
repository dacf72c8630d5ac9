"""Which Python modules are migrations (shared by the schema, migration and SQL fact collectors)."""

from __future__ import annotations

import re
from typing import Any
from ...patterns import lazy

_REVISION = lazy(r"^(?:revision|down_revision)\s*(?::[^=\n]*)?=", re.M)


def is_alembic(ctx: Any) -> bool:
    """An Alembic revision module: `def upgrade` plus module-level `revision` / `down_revision`."""
    src = ctx.source
    return "def upgrade" in src and "revision" in src and len(set(m.group(0).split()[0].rstrip(":=") for m in _REVISION.finditer(src))) == 2
