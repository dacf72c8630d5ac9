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


@pytest.hookspec
def pytest_backend_gates_api_ready(event: Any) -> None:
    """Called once per `backend.api.ready` event (a JSON-safe dict in the card's shape: event,
    endpoint, method, documentation, tests, performance) after the gates were evaluated.
    Exceptions become a warning; they never change the outcome of the test run."""
