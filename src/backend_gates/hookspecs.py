"""Hooks other pytest plugins can implement to receive backend-gates results."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_backend_gates_report(report: Any) -> None:
    """Called once per session (on the controller under xdist) with the final gate report.

    `report` is a `backend_gates.Report`; `backend_gates.event.to_event(report)` gives the JSON
    event document. Exceptions raised by implementations become a warning; they never change
    the outcome of the test run.
    """
