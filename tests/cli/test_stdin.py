"""`check - --stdin-filename PATH` (ruff's convention, for editors and scripts): the text on stdin
is checked as the content of PATH, whose project's configuration applies; findings are reported
at PATH; `--fix -` writes the fixed text to stdout and `--diff -` previews it."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from support import FIXTURES, run_cli, write_tree

BAD = "import logging\n\nimport requests\n\nlog = logging.getLogger(__name__)\n\n\ndef f(u):\n    try:\n        return requests.get(u)\n    except:\n        log.warning('fetch failed')\n"


def _found(stdout: str) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in json.loads(stdout)["findings"] if not f["suppressed"]}


def test_stdin_is_checked_as_the_named_file_with_its_sub_project_configuration(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\nfail-on = \"error\"\n",
        "svc/pyproject.toml": "[tool.backend-gates]\nignore = [\"BG404\"]\n",
        "svc/app/views.py": "X = 1\n",  # on disk: clean; the editor's buffer is what counts
    })
    done = run_cli("check", "--no-cache", "-f", "json", "-", "--stdin-filename", "svc/app/views.py", cwd=tmp_path, input=BAD)
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert _found(done.stdout) == {("BG401", "app/views.py", 11)}  # BG404 is ignored by svc's configuration
    assert data["config"]["ignore"]["source"].startswith("pyproject.toml")
    assert data["summary"]["files"] == 1
    assert not (tmp_path / "svc" / ".backend-gates" / "report.json").exists()  # a buffer never replaces the report
    # without a file on disk at all, and with a suppression in the text
    suppressed = BAD.replace("except:", "except:  # backend-gates: ignore[BG401] re-raised at once")
    done = run_cli("check", "--no-cache", "-f", "json", "-", "--stdin-filename", "svc/app/new.py", cwd=tmp_path, input=suppressed)
    assert (done.returncode, _found(done.stdout)) == (0, set()), done.stdout
    assert "BG401" in {f["rule"] for f in json.loads(done.stdout)["findings"] if f["suppressed"]}


def test_stdin_equals_the_partial_run_of_that_file(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "partial_fastapi", root)
    text = (root / "app" / "routes.py").read_text()
    named = run_cli("check", "--no-cache", "-f", "json", "--exit-zero", "app/routes.py", cwd=root)
    piped = run_cli("check", "--no-cache", "-f", "json", "--exit-zero", "-", "--stdin-filename", "app/routes.py", cwd=root, input=text)
    assert piped.returncode == 0, piped.stderr
    assert _found(piped.stdout) == _found(named.stdout)
    # project checks see the buffer: a new unguarded route typed into routes.py is reported there
    main = root / "app" / "main.py"
    main.write_text(main.read_text().replace("app = FastAPI(dependencies=[Depends(verify_token)])", "app = FastAPI()"))
    edited = run_cli("check", "--no-cache", "-f", "json", "--exit-zero", "-", "--stdin-filename", "app/routes.py", cwd=root, input=text)
    assert any(code == "BG240" and path == "app/routes.py" for code, path, _l in _found(edited.stdout)), edited.stdout


def test_fix_and_diff_on_stdin(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates.fix]\ntimeout = 5\n"})
    fixed = run_cli("check", "--no-cache", "--fix", "-", "--stdin-filename", "client.py", cwd=tmp_path, input=BAD)
    assert fixed.returncode == 0, fixed.stderr
    assert "requests.get(u, timeout=5)" in fixed.stdout and "except Exception:\n        log.warning" in fixed.stdout
    ast.parse(fixed.stdout)
    assert "fixed 2 finding(s)" in fixed.stderr
    assert not (tmp_path / "client.py").exists()  # nothing written to disk
    preview = run_cli("check", "--no-cache", "--diff", "-", "--stdin-filename", "client.py", cwd=tmp_path, input=BAD)
    assert preview.returncode == 1 and preview.stdout.startswith("--- a/client.py")
    assert "+        return requests.get(u, timeout=5)" in preview.stdout


def test_stdin_usage_errors(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "X = 1\n"})
    assert run_cli("check", "-", "a.py", cwd=tmp_path, input=BAD).returncode == 2
    assert run_cli("check", "--stdin-filename", "x.py", "a.py", cwd=tmp_path).returncode == 2
    unknown = run_cli("check", "-", "--stdin-filename", "notes.txt", cwd=tmp_path, input="hello\n")
    assert unknown.returncode == 2 and "notes.txt" in unknown.stderr
