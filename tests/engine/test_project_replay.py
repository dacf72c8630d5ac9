"""Project checks read only facts, so an edit that leaves every file's facts as they were replays
their cached outcome. Whatever is replayed, a cached run reports exactly what a `--no-cache` run
reports: findings, their evidence lines and their fingerprints, in whole-project and one-file runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import run_cli, write_tree

VIEWS = '''from flask import Flask, request

app = Flask(__name__)


@app.route("/items/<int:item_id>", methods=["DELETE"])
def delete_item(item_id):
    db.delete(item_id)
    return ""


@app.route("/items", methods=["POST"])
def create_item():
    return {"name": request.json["name"]}
'''

EDITS = {
    # facts unchanged
    "comment at the end": lambda text: text + "# reviewed\n",
    "handler body": lambda text: text.replace('return ""', 'return "", 204'),
    # facts unchanged, but a line a project finding points at (its evidence) is not
    "comment on a reported line": lambda text: text.replace("app = Flask(__name__)", "app = Flask(__name__)  # the one app"),
    "reported decorator reworded": lambda text: text.replace('methods=["DELETE"])', "methods=['DELETE'])"),
    # facts changed
    "a route added": lambda text: text + '\n\n@app.route("/items/<int:item_id>", methods=["PUT"])\ndef put_item(item_id):\n    db.save(item_id)\n    return ""\n',
    "a route removed": lambda text: text.split('\n\n@app.route("/items", methods=["POST"])')[0] + "\n",
    "lines shifted": lambda text: "import os\n" + text,
}


def _report(root: Path, *args: str) -> list[dict]:
    done = run_cli("check", "-f", "json", "--no-report", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return sorted(json.loads(done.stdout)["findings"], key=lambda f: (f["path"], f["line"], f["rule"], f["column"]))


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_cached_run_after_an_edit_reports_what_a_fresh_run_does(tmp_path: Path, edit: str) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/views.py": VIEWS, "app/other.py": "def helper():\n    return 1\n"})
    before = _report(tmp_path)
    assert {f["rule"] for f in before} >= {"BG108", "BG240", "BG245"}  # project checks do report here
    views = tmp_path / "app" / "views.py"
    views.write_text(EDITS[edit](VIEWS))
    fresh = _report(tmp_path, "--no-cache")
    assert _report(tmp_path, "app/views.py") == fresh  # one-file run over the cached project
    assert _report(tmp_path) == fresh
    assert _report(tmp_path) == fresh  # and the outcome it stored
    if edit.startswith("comment on"):
        assert any("# the one app" in (f["evidence"] or "") for f in fresh)


def test_an_edit_in_another_file_replays_without_changing_anything(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/views.py": VIEWS, "app/other.py": "def helper():\n    return 1\n"})
    before = _report(tmp_path)
    (tmp_path / "app" / "other.py").write_text("def helper():\n    return 2\n")
    assert _report(tmp_path) == before == _report(tmp_path, "--no-cache")


def test_a_sequence_of_edits_keeps_every_cached_run_equal_to_a_fresh_one(tmp_path: Path) -> None:
    """Runs that leave the facts as they were store only the files they read again (a delta of
    the stored facts); the run after them reads the stored facts with every delta applied."""
    other = "def helper():\n    return 1\n"
    write_tree(tmp_path, {
        "app/__init__.py": "", "app/views.py": VIEWS, "app/other.py": other, "app/more.py": VIEWS.replace("/items", "/things"),
    })
    _report(tmp_path)
    steps = [
        ("app/views.py", VIEWS + "# one\n", "app/views.py"),
        ("app/other.py", other + "# two\n", "app/other.py"),
        ("app/more.py", VIEWS.replace("/items", "/things") + "# three\n", "."),
        ("app/other.py", other + '\n\n@app.route("/late", methods=["DELETE"])\ndef late():\n    db.drop()\n    return ""\n', "app/views.py"),
        ("app/views.py", EDITS["a route removed"](VIEWS), "."),
        ("app/views.py", EDITS["a route added"](VIEWS), "app/more.py"),
    ]
    for path, text, checked in steps:
        (tmp_path / path).write_text(text)
        assert _report(tmp_path, checked) == _report(tmp_path, checked, "--no-cache"), (path, checked)
    assert _report(tmp_path) == _report(tmp_path, "--no-cache")


def test_an_entry_and_facts_written_by_two_overlapping_runs_are_not_mixed(tmp_path: Path) -> None:
    """Two runs on one cache that saw a file in two versions: one wrote the file's entry, the other
    its facts (each file is replaced whole, last writer wins). When the file is back at the entry's
    version, the other version's facts are not what the project checks read."""
    write_tree(tmp_path, {"app/__init__.py": "", "app/views.py": VIEWS, "app/other.py": "def helper():\n    return 1\n"})
    _report(tmp_path)
    entries = sorted((tmp_path / ".backend-gates" / "cache").glob("cache-*.json"))
    assert len(entries) == 1
    first_run_entries = entries[0].read_bytes()
    views = tmp_path / "app" / "views.py"
    views.write_text(EDITS["a route added"](VIEWS))
    _report(tmp_path)  # the second run: its entries and facts for the new version
    entries[0].write_bytes(first_run_entries)  # the first run's entries land last
    views.write_text(VIEWS)  # back to the version of those entries
    (tmp_path / "app" / "other.py").write_text(
        'from app.views import app\n\n\n@app.route("/ping", methods=["POST"])\ndef ping():\n    db.save(1)\n    return ""\n'
    )  # another file's facts change: the project checks read every file's facts
    fresh = _report(tmp_path, "--no-cache")
    assert _report(tmp_path) == fresh
    assert _report(tmp_path) == fresh


@pytest.mark.parametrize("loss", ["deleted", "garbage"])
def test_lost_stored_facts_are_made_again(tmp_path: Path, loss: str) -> None:
    """The entries replay each file's findings; the facts the project checks read are in their own
    file. When that file is gone or unreadable, the files' facts are made again, not taken as none."""
    write_tree(tmp_path, {"app/__init__.py": "", "app/views.py": VIEWS, "app/other.py": "def helper():\n    return 1\n"})
    _report(tmp_path)
    for stored in (tmp_path / ".backend-gates" / "cache").glob("[fd][ae]*-*.json"):  # facts-*, delta-*
        if loss == "deleted":
            stored.unlink()
        else:
            stored.write_text("{not json")
    (tmp_path / "app" / "other.py").write_text(
        'from app.views import app\n\n\n@app.route("/ping", methods=["POST"])\ndef ping():\n    db.save(1)\n    return ""\n'
    )
    fresh = _report(tmp_path, "--no-cache")
    assert {f["path"] for f in fresh if f["rule"] == "BG245"} >= {"app/views.py"}  # read from views.py's facts
    assert _report(tmp_path) == fresh
    assert _report(tmp_path) == fresh
