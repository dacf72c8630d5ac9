"""Project checks (the route rules and route discovery included) read facts only: importing them
must not import libcst. A warm run (every file from the cache, project outcomes replayed) loads
them and nothing else of the Python readers; an import of libcst there costs about a third of the
run (a 850 k-line project re-run in 0.4 s)."""

from __future__ import annotations

import subprocess
import sys


def test_project_check_modules_do_not_import_libcst() -> None:
    code = (
        "import sys\n"
        "from backend_gates.checks import load_all\n"
        "load_all(('project', 'openapi', 'sql'))\n"
        "import backend_gates.routes.discover, backend_gates.routes.judge\n"
        "assert 'libcst' not in sys.modules, [m for m in sys.modules if m.startswith('backend_gates.checks')]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
