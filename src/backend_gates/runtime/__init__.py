"""Runtime observers for `pytest --backend-gates`: SQL capture, HTTP recording, coverage, test kinds.

An observer is a plain object registered by the plugin when enabled:

    class Observer:
        name = "sql"                                   # key for xdist worker output
        def start(self, plugin) -> None                # install capture (patches, event hooks)
        def stop(self) -> None                         # undo everything start() did
        def worker_data(self) -> dict                  # JSON-safe aggregates (xdist workers)
        def merge(self, data: dict) -> None            # controller: fold one worker's data in
        def contribute(self, report, settings) -> None # add findings, Coverage, metrics, endpoints

Observers never raise into a test: every capture path catches its own errors and records them
(`self.errors`), and `contribute` failures become a `not_evaluated` gate with the reason.

`OBSERVERS` lists "module:Class" paths; the plugin imports each only when enabled.
"""

from __future__ import annotations

from .context import CONTEXT, RunContext

OBSERVERS: list[str] = []

__all__ = ["CONTEXT", "OBSERVERS", "RunContext"]
