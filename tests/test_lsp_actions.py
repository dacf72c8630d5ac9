"""The editor beyond diagnostics, over real JSON-RPC: hover shows the rule's documentation, a quick
fix applies the rule's `--fix` codemod, the suppression quick fix leaves a placeholder that is not
accepted as a reason, and a changed pyproject.toml is picked up without touching the document."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from support import write_tree

pytest.importorskip("pygls", reason="the lsp extra (pygls) is not installed")

from test_lsp import Client, _initialize  # noqa: E402  (the same client as the other editor tests)

CODE = (
    "import logging\n\nimport requests\n\nlog = logging.getLogger(__name__)\n\n\n"
    "def fetch(url):\n    try:\n        return requests.get(url)\n    except:\n        log.warning('fetch failed')\n"
)
GET_LINE = CODE.splitlines().index("        return requests.get(url)")
EXCEPT_LINE = CODE.splitlines().index("    except:")


def _apply(text: str, edit: dict[str, Any]) -> str:
    """A TextEdit applied as an editor does (our edits span whole lines)."""
    lines = text.splitlines(keepends=True)
    start, end = edit["range"]["start"], edit["range"]["end"]
    assert start["character"] == end["character"] == 0, edit
    return "".join(lines[: start["line"]]) + edit["newText"] + "".join(lines[end["line"] :])


def _by_code(published: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["code"]: d for d in published["diagnostics"]}


def _close(client: Client) -> None:
    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.close() == 0


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n\n[tool.backend-gates.fix]\ntimeout = 7\n", "app/client.py": CODE})
    return tmp_path


def test_hover_fix_and_suppression_actions(workspace: Path) -> None:
    uri = (workspace / "app" / "client.py").as_uri()
    client = Client(workspace)
    try:
        caps = _initialize(client, workspace)["capabilities"]
        assert caps["hoverProvider"]
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": CODE}})
        found = _by_code(client.diagnostics(uri))
        assert set(found) >= {"BG404", "BG401"}, found

        # hover on the finding: its rule's documentation; elsewhere: nothing
        where = found["BG404"]["range"]["start"]
        hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": where})
        text = hover["contents"]["value"]
        assert hover["contents"]["kind"] == "markdown"
        assert text.startswith("**BG404**") and "timeout" in text and "## " in text and "BG404.html" in text
        assert client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}) is None

        # the rule's fix first (preferred), the suppression second
        diag = found["BG404"]
        actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": diag["range"], "context": {"diagnostics": [diag]}})
        assert [a["title"].split(":")[0] for a in actions] == ["Fix BG404", "Suppress BG404 on this line (backend-gates"]
        assert actions[0]["isPreferred"] is True
        (edit,) = actions[0]["edit"]["changes"][uri]
        fixed = _apply(CODE, edit)
        assert fixed == CODE.replace("requests.get(url)", "requests.get(url, timeout=7)")  # the project's fix.timeout
        assert edit["range"]["start"]["line"] == GET_LINE and edit["range"]["end"]["line"] == GET_LINE + 1  # that line only
        ast.parse(fixed)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]})
        after = _by_code(client.diagnostics(uri))
        assert "BG404" not in after and "BG401" in after

        # bare except: its fix keeps the handler; applied through the editor, the finding goes
        diag = after["BG401"]
        actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": diag["range"], "context": {"diagnostics": [diag]}})
        (edit,) = actions[0]["edit"]["changes"][uri]
        assert actions[0]["title"].startswith("Fix BG401")
        assert _apply(fixed, edit).splitlines()[EXCEPT_LINE] == "    except Exception:"

        # the suppression inserted as offered (placeholder untouched) is not a reason: BG003 says so
        suppress = actions[1]["edit"]["changes"][uri][0]
        assert "<reason>" in suppress["newText"]
        lines = fixed.splitlines(keepends=True)
        line = lines[EXCEPT_LINE]
        column = suppress["range"]["start"]["character"]
        lines[EXCEPT_LINE] = line[:column] + suppress["newText"] + line[column:]
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "".join(lines)}]})
        assert "BG003" in _by_code(client.diagnostics(uri))
        _close(client)
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.close()


def test_configuration_change_on_disk_rechecks_open_documents(workspace: Path) -> None:
    """The editor watches pyproject.toml for us (dynamic registration); a change on disk republishes
    every open document under the new configuration without an edit, as a save of it does."""
    uri = (workspace / "app" / "client.py").as_uri()
    pyproject = workspace / "pyproject.toml"
    client = Client(workspace)
    try:
        client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": workspace.as_uri(),
                "workspaceFolders": [{"uri": workspace.as_uri(), "name": workspace.name}],
                "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}},
            },
        )
        client.notify("initialized", {})
        register = client.wait(lambda m: m.get("method") == "client/registerCapability")
        (registration,) = register["params"]["registrations"]
        assert registration["method"] == "workspace/didChangeWatchedFiles"
        assert "**/pyproject.toml" in [w["globPattern"] for w in registration["registerOptions"]["watchers"]]
        client.send({"id": register["id"], "result": None})

        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": CODE}})
        first = _by_code(client.diagnostics(uri))
        assert first["BG401"]["severity"] == 2 and "BG404" in first

        pyproject.write_text('[tool.backend-gates]\nignore = ["BG404"]\n\n[tool.backend-gates.severity]\nBG401 = "error"\n')
        client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": pyproject.as_uri(), "type": 2}]})
        second = _by_code(client.diagnostics(uri))
        assert "BG404" not in second and second["BG401"]["severity"] == 1

        # an editor without watchers: saving pyproject.toml does the same
        pyproject.write_text("[tool.backend-gates]\n")
        client.notify("textDocument/didSave", {"textDocument": {"uri": pyproject.as_uri()}})
        third = _by_code(client.diagnostics(uri))
        assert "BG404" in third and third["BG401"]["severity"] == 2
        _close(client)
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.close()
