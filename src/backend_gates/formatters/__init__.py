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


def one_line(text: object) -> str:
    """A value as one line of a line-oriented format (text, concise, JUnit bodies): newlines,
    carriage returns, escape bytes and other control characters become visible escapes, so a
    file name or route string can never start a line of its own (`::error ...` CI injection)."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii") for ch in value)


def renderer(name: str) -> Callable[[Report], str]:
    module = importlib.import_module(f"{__name__}.{FORMATS[name]}")
    return module.render  # type: ignore[no-any-return]
