"""`--format json`: the gate report event document (see docs/formats.md)."""

from __future__ import annotations

import json

from ..event import to_event
from ..model import Report


def render(report: Report) -> str:
    return json.dumps(to_event(report), indent=2, ensure_ascii=False, default=str) + "\n"
