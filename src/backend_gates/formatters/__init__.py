"""Formatters are pure: `render(report) -> str`. The CLI or plugin decides where the text goes."""

from __future__ import annotations

import importlib
from typing import Callable

from ..model import Report

FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "concise": "concise",
    "gitlab": "gitlab",
    "junit": "junit",
}


def renderer(name: str) -> Callable[[Report], str]:
    module = importlib.import_module(f"{__name__}.{FORMATS[name]}")
    return module.render  # type: ignore[no-any-return]
