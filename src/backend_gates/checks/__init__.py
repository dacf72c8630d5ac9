"""Static checks, one per module, grouped by the kind of input they read.

Importing a module registers its checks (see base.REGISTRY); `load_all()` imports every module
of the given kinds.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

_KIND_PACKAGES = {
    "python": "python",
    "sql": "sql",
    "openapi": "openapi",
    "project": "project",
    "runtime": "runtime",
    "semgrep": "semgrep",
}
_loaded: set[str] = set()


def load_all(kinds: tuple[str, ...] = tuple(_KIND_PACKAGES)) -> None:
    """Import every check module of these kinds (registration happens on import)."""
    here = Path(__file__).parent
    for kind in kinds:
        sub = _KIND_PACKAGES.get(kind)
        if sub is None:
            continue
        if sub in _loaded:
            continue
        _loaded.add(sub)
        folder = here / sub
        if not folder.is_dir():
            continue
        for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{sub}.{info.name}")
