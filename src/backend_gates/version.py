"""The package version (one place; `backend_gates.__version__` re-exports it)."""

__version__ = "0.1.0"
