"""Where the gate report goes besides the report file: the `pytest_backend_gates_report` hook,
a webhook (POST JSON; timeout, retries; failure is a warning) and the CI step summary.

`emit(plugin, report)` returns the problems met (each becomes a warning); it never raises.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

from .webhook import WEBHOOK_BACKOFF, WEBHOOK_RETRIES, WEBHOOK_TIMEOUT, post_webhook  # noqa: F401


def emit(plugin: Any, report: Any) -> list[str]:
    problems: list[str] = []
    config = plugin.pytest_config
    try:
        config.hook.pytest_backend_gates_report(report=report)
    except Exception as exc:
        problems.append(f"pytest_backend_gates_report hook failed: {type(exc).__name__}: {exc}")
    settings = plugin.settings
    url = config.getoption("backend_gates_webhook") or (settings["runtime.webhook"] if settings is not None else "")
    event: dict[str, Any] | None = None
    if url:
        from ..event import to_event

        event = to_event(report)
        problem = post_webhook(str(url), event)
        if problem:
            problems.append(problem)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write(step_summary(report))
        except OSError as exc:
            problems.append(f"cannot write the CI step summary {summary_path}: {exc.strerror}")
    return problems


def step_summary(report: Any) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: gate table, then the top findings."""
    from ..redact import redact_text

    icons = {"passed": "✅", "failed": "❌", "warned": "⚠️", "not_evaluated": "➖"}
    lines = ["## backend-gates", "", f"Status: **{report.status.value}**", "", "| gate | status | findings | reason |", "|---|---|---|---|"]
    for gate in report.gates:
        reason = redact_text(gate.reason).replace("|", "\\|")
        lines.append(f"| `{gate.id}` | {icons.get(gate.status.value, '')} {gate.status.value} | {gate.findings} | {reason} |")
    try:
        from ..protocol.ready import summary_lines

        lines.extend(summary_lines(report))  # backend.api.ready events
    except Exception as exc:  # pragma: no cover - a summary never fails the run
        log.debug("ready summary failed: %s", exc)
    active = [f for f in report.findings if not f.suppressed]
    if active:
        lines += ["", "| rule | location | message |", "|---|---|---|"]
        for f in active[:30]:
            message = f.message.replace("|", "\\|")
            lines.append(f"| {f.code} | `{f.location.path}:{f.location.line}` | {message} |")
        if len(active) > 30:
            lines.append(f"\n… and {len(active) - 30} more (see the report file)")
    return "\n".join(lines) + "\n\n"
