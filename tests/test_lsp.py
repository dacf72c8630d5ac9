"""`backend-gates lsp` driven over stdio by a small JSON-RPC client, as an editor would."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from support import write_tree

pytest.importorskip("pygls", reason="the lsp extra (pygls) is not installed")

BAD = "def handler():\n    try:\n        work()\n    except:\n        log('failed')\n"
FIXED = "def handler():\n    try:\n        work()\n    except OSError:\n        log('failed')\n"


class Client:
    """Just enough of an LSP client: Content-Length framing, requests, notifications."""

    def __init__(self, cwd: Path, debounce: float = 0.2) -> None:
        exe = Path(sys.executable).parent / "backend-gates"
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "backend_gates"]
        self.proc = subprocess.Popen(
            [*cmd, "lsp", "--debounce", str(debounce)], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            headers: dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", **payload}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self.send({"id": wanted, "method": method, "params": params})
        message = self.wait(lambda m: m.get("id") == wanted and "method" not in m, timeout)
        assert "error" not in message, message
        return message.get("result")

    def wait(self, match: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for a message from the server")
            message = self.messages.get(timeout=remaining)
            if match(message):
                return message

    def diagnostics(self, uri: str, timeout: float = 60) -> dict[str, Any]:
        return self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri, timeout)[
            "params"
        ]

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n\n[tool.backend-gates.severity]\nBG401 = "error"\n',
            "app/views.py": BAD,
        },
    )
    return tmp_path


def _initialize(client: Client, root: Path) -> dict[str, Any]:
    result = client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True}}},
        },
    )
    client.notify("initialized", {})
    return result


def test_lsp_session_open_change_shutdown(workspace: Path) -> None:
    client = Client(workspace)
    try:
        init = _initialize(client, workspace)
        assert init["serverInfo"]["name"] == "backend-gates"
        caps = init["capabilities"]
        assert caps["codeActionProvider"]
        uri = (workspace / "app" / "views.py").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BAD}})
        published = client.diagnostics(uri)
        (diag,) = published["diagnostics"]
        assert diag["code"] == "BG401"
        assert diag["source"] == "backend-gates"
        assert diag["severity"] == 1  # error: the workspace's pyproject.toml raised it from warning
        assert "[AP-ERROR-HANDLING]" in diag["message"]
        assert diag["data"]["gate"] == "AP-ERROR-HANDLING"
        assert diag["codeDescription"]["href"].endswith("BG401.html")
        assert diag["range"]["start"] == {"line": 3, "character": 4}

        actions = client.request(
            "textDocument/codeAction",
            {"textDocument": {"uri": uri}, "range": diag["range"], "context": {"diagnostics": [diag]}},
        )
        fix_action, action = actions  # the rule's codemod (tests/test_lsp_actions.py), then the suppression
        assert fix_action["title"].startswith("Fix BG401")
        (edit,) = action["edit"]["changes"][uri]
        assert edit["newText"] == "  # backend-gates: ignore[BG401] <reason>"
        assert edit["range"]["start"] == {"line": 3, "character": len("    except:")}

        # fix it: a full-text change; diagnostics come back empty after the debounce
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": FIXED}]},
        )
        assert client.diagnostics(uri)["diagnostics"] == []

        # a syntax error: one diagnostic, and the server keeps answering
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "def broken(:\n    # backend-gates: ignore[BG401] x\n    pass\n"}]},
        )
        (syntax,) = client.diagnostics(uri)["diagnostics"]
        assert syntax["code"] == "BG001"
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": BAD}]},
        )
        assert [d["code"] for d in client.diagnostics(uri)["diagnostics"]] == ["BG401"]

        assert client.request("shutdown", None) is None
        client.notify("exit", None)
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.close()


def test_lsp_incremental_change_save_and_suppression(workspace: Path) -> None:
    client = Client(workspace)
    try:
        _initialize(client, workspace)
        uri = (workspace / "app" / "views.py").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BAD}})
        assert [d["code"] for d in client.diagnostics(uri)["diagnostics"]] == ["BG401"]
        # apply the quick fix the way an editor does: an incremental edit with the reason filled in
        end = {"line": 3, "character": len("    except:")}
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"range": {"start": end, "end": end}, "text": "  # backend-gates: ignore[BG401] logged and retried"}],
            },
        )
        assert client.diagnostics(uri)["diagnostics"] == []
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        assert client.diagnostics(uri)["diagnostics"] == []  # served from the cache
        # rapid typing: three changes inside the debounce window give one check, of the last text
        for version, text in ((3, BAD), (4, FIXED + "x = 1\n"), (5, BAD + "\n\n")):
            client.notify(
                "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}
            )
        published = client.diagnostics(uri)
        assert published["version"] == 5
        assert [d["code"] for d in published["diagnostics"]] == ["BG401"]
        with pytest.raises(queue.Empty):
            client.messages.get(timeout=0.8)  # nothing more for the earlier versions
        assert client.request("shutdown", None) is None
        client.notify("exit", None)
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.close()


def test_a_change_after_a_pause_is_checked_at_once_and_a_burst_waits_for_the_pause(workspace: Path) -> None:
    """The debounce holds back the keystrokes of a burst, not the first change after a pause: with a
    debounce far longer than any analysis, a lone change is answered long before it would end, and
    changes typed inside the window are answered once, for the last text, after it."""
    client = Client(workspace, debounce=20)
    try:
        _initialize(client, workspace)
        uri = (workspace / "app" / "views.py").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BAD}})
        assert [d["code"] for d in client.diagnostics(uri)["diagnostics"]] == ["BG401"]
        time.sleep(0.1)
        started = time.monotonic()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": FIXED}]})
        published = client.diagnostics(uri, timeout=15)  # long before the 20 s debounce would end
        assert (published["version"], published["diagnostics"]) == (2, [])
        assert time.monotonic() - started < 15
        # a burst: the next changes arrive inside the window; only the last text is published, after it
        for version, text in ((3, BAD), (4, BAD + "\n")):
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})
        with pytest.raises(queue.Empty):
            client.messages.get(timeout=5)  # still typing, as far as the server knows
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        assert client.request("shutdown", None) is None
        client.notify("exit", None)
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.close()


def test_analyzer_cache_and_baseline(workspace: Path) -> None:
    """The per-document analysis honours the baseline and answers unchanged documents from its cache."""
    from backend_gates.lsp import Analyzer

    subprocess.run([str(Path(sys.executable).parent / "backend-gates"), "check", "--no-cache", "--write-baseline", "bl.json"], cwd=workspace, check=True, capture_output=True)
    path = workspace / "app" / "views.py"
    analyzer = Analyzer()
    assert [f.code for f in analyzer.analyze("u", path, workspace, BAD)] == ["BG401"]
    (workspace / "pyproject.toml").write_text('[tool.backend-gates]\npaths = ["app"]\nbaseline = "bl.json"\n')
    assert analyzer.analyze("u", path, workspace, BAD) == []  # config change noticed, baseline applied
    assert analyzer.hits == 0
    assert analyzer.analyze("u", path, workspace, BAD) == []
    assert analyzer.hits == 1
    vendored = workspace / ".venv" / "lib" / "mod.py"
    assert analyzer.analyze("v", vendored, workspace, BAD) == []  # excluded by default
    assert analyzer.analyze("o", Path("/elsewhere/mod.py"), workspace, BAD) == []  # outside the project
    (workspace / "pyproject.toml").write_text('[tool.backend-gates]\nbaseline = "missing.json"\n')
    (error,) = analyzer.analyze("u", path, workspace, BAD)
    assert "configuration error" in error.message and "missing.json" in error.message


ROUTES = (
    "from fastapi import APIRouter, Depends\n\nfrom .auth import current_user\n\nrouter = APIRouter()\n\n\n"
    "@router.get('/items')\ndef list_items() -> list[str]:\n    return ['a']\n"
)
GUARDED = ROUTES.replace("@router.get('/items')", "@router.get('/items', dependencies=[Depends(current_user)])")
MAIN = "from fastapi import FastAPI\n\nfrom . import routes\n\napp = FastAPI()\napp.include_router(routes.router, prefix='/api/v1')\n"
AUTH = "from fastapi import Header, HTTPException\n\n\ndef current_user(authorization: str = Header(...)) -> str:\n    if not authorization:\n        raise HTTPException(401)\n    return authorization\n"


def _codes(published: dict[str, Any]) -> dict[str, int]:
    return {d["code"]: d["range"]["start"]["line"] for d in published["diagnostics"]}


def test_lsp_publishes_project_findings_of_the_open_file_and_refreshes_them_on_save(tmp_path: Path) -> None:
    """A route without auth (a project-level rule: guards may come from another module) shows in
    the editor under that route, and disappears when the route gets a guard and is saved; a
    global guard added in main.py and saved clears it in routes.py too."""
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "app/__init__.py": "", "app/main.py": MAIN, "app/auth.py": AUTH, "app/routes.py": ROUTES,
    })
    routes = tmp_path / "app" / "routes.py"
    uri = routes.as_uri()
    client = Client(tmp_path)
    try:
        _initialize(client, tmp_path)
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": ROUTES}})
        codes = _codes(client.diagnostics(uri))
        assert codes.get("BG240") == ROUTES.splitlines().index("@router.get('/items')"), codes

        # typing keeps the project-level finding visible (per-file checks rerun only)
        typed = ROUTES + "\n# a comment\n"
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": typed}]})
        assert "BG240" in _codes(client.diagnostics(uri))

        # the route gets a guard; the editor saves the file
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": GUARDED}]})
        client.diagnostics(uri)
        routes.write_text(GUARDED)
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        assert "BG240" not in _codes(client.diagnostics(uri))

        # back to unguarded (saved); then a global guard in main.py, saved, clears it here too
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": ROUTES}]})
        client.diagnostics(uri)
        routes.write_text(ROUTES)
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        assert "BG240" in _codes(client.diagnostics(uri))
        main = tmp_path / "app" / "main.py"
        guarded_main = MAIN.replace("from fastapi import FastAPI", "from fastapi import Depends, FastAPI\n\nfrom .auth import current_user").replace(
            "app = FastAPI()", "app = FastAPI(dependencies=[Depends(current_user)])"
        )
        main.write_text(guarded_main)
        client.notify("textDocument/didSave", {"textDocument": {"uri": main.as_uri()}})
        assert "BG240" not in _codes(client.diagnostics(uri))

        assert client.request("shutdown", None) is None
        client.notify("exit", None)
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.close()


def test_a_vendored_file_gets_no_diagnostics_as_check_skips_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "requirements.txt": "requests\nurllib3\ncherrypy\n",
        "app/views.py": BAD,
        **{f"lib/{name}/__init__.py": BAD for name in ("requests", "urllib3", "cherrypy")},
    })
    client = Client(tmp_path)
    try:
        _initialize(client, tmp_path)
        mine, copied = (tmp_path / "app" / "views.py").as_uri(), (tmp_path / "lib" / "urllib3" / "__init__.py").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": copied, "languageId": "python", "version": 1, "text": BAD}})
        assert client.diagnostics(copied)["diagnostics"] == []
        client.notify("textDocument/didOpen", {"textDocument": {"uri": mine, "languageId": "python", "version": 1, "text": BAD}})
        assert [d["code"] for d in client.diagnostics(mine)["diagnostics"]] == ["BG401"]
        assert client.request("shutdown", None) is None
        client.notify("exit", None)
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.close()
