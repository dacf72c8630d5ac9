"""Hostile and odd inputs cost one finding (or one notice), never the run: each crash, hang and
leak class of issue 16 has a regression test here, run as a user runs the CLI."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from support import run_cli, write_tree

BAD_EXCEPT = "def handler():\n    try:\n        work()\n    except:\n        pass\n"
NESTED = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"


def check_json(root: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 120) -> tuple[int, dict, str]:
    done = run_cli("check", "--no-cache", "-f", "json", *args, cwd=root, env=env, timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def codes_by_path(report: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        out.setdefault(f["path"], set()).add(f["rule"])
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app/views.py": BAD_EXCEPT})
    return tmp_path


# ----------------------------------------------------------------------------- deep nesting


def test_nested_expression_is_one_finding_and_the_run_goes_on(project: Path) -> None:
    (project / "app" / "deep.py").write_text(NESTED)
    (project / "app" / "chain.py").write_text("y = x" + ".a" * 20000 + "\n")
    (project / "app" / "chain2.py").write_text("y = (x\n" + "    .b\n" * 20000 + ")\n")
    t0 = time.monotonic()
    code, report, _ = check_json(project)
    elapsed = time.monotonic() - t0
    found = codes_by_path(report)
    assert found["app/deep.py"] == {"BG001"}
    assert found["app/chain.py"] == {"BG001"}
    assert found["app/chain2.py"] == {"BG001"}
    assert "BG401" in found["app/views.py"]  # the other file keeps its findings
    assert code == 1
    assert elapsed < 60, f"deep inputs took {elapsed:.1f}s"


def test_nested_expression_under_pytest_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(deep=NESTED, views=BAD_EXCEPT, test_one="def test_one():\n    assert True\n")
    pytester.makepyprojecttoml("[tool.backend-gates]\n")
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider")
    assert result.ret in (0, 1), result.stdout.str()
    result.assert_outcomes(passed=1)
    text = result.stdout.str()
    assert "Segmentation" not in text + result.stderr.str()
    report = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    assert "BG001" in json.dumps(report) and "BG401" in json.dumps(report)


def test_nested_expression_in_the_language_server(project: Path) -> None:
    pytest.importorskip("pygls")
    from test_lsp import Client, _initialize

    client = Client(project)
    try:
        _initialize(client, project)
        deep = project / "app" / "deep.py"
        deep.write_text(NESTED)
        uri = deep.as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": NESTED}})
        diags = client.diagnostics(uri)["diagnostics"]
        assert [d["code"] for d in diags] == ["BG001"]
        other = (project / "app" / "views.py").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": other, "languageId": "python", "version": 1, "text": BAD_EXCEPT}})
        assert "BG401" in [d["code"] for d in client.diagnostics(other)["diagnostics"]]
        client.request("shutdown", None)
        client.notify("exit", None)
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()


# ----------------------------------------------------------------------------- special files, symlinks


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_devices_and_symlinks_out_of_the_project_are_skipped_with_a_notice(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    os.mkfifo(project / "app" / "x.py")
    os.mkfifo(project / "app" / "x.sql")
    (project / "app" / "zero.py").symlink_to("/dev/zero")
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text('PASSWORD = "from-outside-the-project-1234"\n' + BAD_EXCEPT)
    (project / "app" / "linked.py").symlink_to(outside)
    (project / "app" / "inside.py").symlink_to(project / "app" / "views.py")  # inside: read
    code, report, _ = check_json(project, timeout=60)
    notices = {e["path"]: e["message"] for e in report["errors"]}
    assert "FIFO" in notices["app/x.py"] and "FIFO" in notices["app/x.sql"]
    assert "outside the project" in notices["app/zero.py"]
    assert "outside the project" in notices["app/linked.py"]
    found = codes_by_path(report)
    assert "app/linked.py" not in found and "BG401" in found["app/inside.py"]
    assert "from-outside" not in json.dumps(report)
    text = run_cli("check", "--no-cache", cwd=project, timeout=60)
    assert "note: app/x.py: a FIFO" in text.stdout + text.stderr


def test_file_over_the_size_limit_is_one_finding_naming_the_limit(project: Path) -> None:
    (project / "app" / "huge.py").write_text("DATA = [" + "1, " * 100_000 + "]\n")
    code, report, _ = check_json(project, env={"BACKEND_GATES_MAX_FILE_BYTES": "100000"})
    huge = [f for f in report["findings"] if "huge.py" in json.dumps(f)]
    assert len(huge) == 1 and "per-file limit" in huge[0]["message"], huge
    assert "BG401" in codes_by_path(report)["app/views.py"]


# ----------------------------------------------------------------------------- OpenAPI readers

SPEC_HEAD = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '%s'}\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("target", ["fifo.yaml#/x", "/dev/zero#/x", "OUTSIDE#/x", "nul\\0.yaml#/x", "latin.yaml#/x"])
def test_spec_refs_stay_inside_the_project_and_never_hang(project: Path, tmp_path_factory: pytest.TempPathFactory, target: str) -> None:
    os.mkfifo(project / "fifo.yaml")
    (project / "latin.yaml").write_bytes(b"x: {type: string, description: 'caf\xe9'}\n")
    outside = tmp_path_factory.mktemp("elsewhere") / "values.yaml"
    outside.write_text("x: {type: string, example: 'outside-value-4471'}\n")
    ref = target.replace("OUTSIDE", str(outside)).replace("\\0", "\x00")
    (project / "openapi.yaml").write_text(SPEC_HEAD % ref.replace("\x00", "\\0"))
    if "\x00" in ref:
        (project / "openapi.yaml").write_text((SPEC_HEAD % "nul\\0.yaml#/x").replace("'nul\\0.yaml#/x'", '"nul\\0.yaml#/x"'))
    code, report, _ = check_json(project, timeout=60)
    assert not [e for e in report["errors"] if e["kind"] == "internal"], report["errors"]
    bg600 = [f["message"] for f in report["findings"] if "unresolved $ref" in f["message"]]
    assert bg600, report["findings"]
    assert "outside-value-4471" not in json.dumps(report)
    assert code == 1


def test_yaml_alias_bomb_is_refused_quickly(project: Path) -> None:
    lines = ["openapi: 3.0.3", "info: {title: t, version: '1'}", "paths: {}", "x-a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']"]
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"x-{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    (project / "openapi.yaml").write_text("\n".join(lines) + "\n")
    t0 = time.monotonic()
    code, report, _ = check_json(project, timeout=120)
    assert time.monotonic() - t0 < 60
    assert any("alias" in e["message"] for e in report["errors"]), report["errors"]


def test_spec_internal_error_shapes_do_not_lose_findings(project: Path) -> None:
    """`type: {}` in a request-body property once crashed a spec check: exit 0 and no findings."""
    (project / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n"
        "          application/json:\n            schema:\n              type: object\n              properties:\n"
        "                amount: {type: {}}\n                name: {type: string}\n      responses:\n        '200': {description: ok}\n"
    )
    code, report, _ = check_json(project)
    assert not [e for e in report["errors"] if e["kind"] == "internal"], report["errors"]
    assert "BG610" in codes_by_path(report).get("openapi.yaml", set())


class Listener:
    """A TCP listener that records every connection attempt (it must see none)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


def test_remote_refs_are_never_fetched_by_check(project: Path) -> None:
    listener = Listener()
    try:
        (project / "openapi.yaml").write_text(SPEC_HEAD % f"http://127.0.0.1:{listener.port}/schemas.yaml#/Pet")
        code, report, _ = check_json(project)
        assert any("was not fetched" in f["message"] for f in report["findings"]), report["findings"]
    finally:
        listener.close()
    assert listener.connections == 0


def test_remote_refs_are_never_fetched_by_runtime_validation() -> None:
    from backend_gates.runtime.spec import SpecDoc

    listener = Listener()
    try:
        data = {"openapi": "3.0.3", "components": {}}
        doc = SpecDoc("openapi.yaml", data, [], "3.0.3")
        validator = doc.validator("#/x", {"$ref": f"http://127.0.0.1:{listener.port}/schemas.yaml#/Pet"})
        with pytest.raises(Exception, match="Unresolvable"):
            list(validator.iter_errors({"a": 1}))
    finally:
        listener.close()
    assert listener.connections == 0


# ----------------------------------------------------------------------------- encodings, names, outputs


def test_latin1_coding_cookie_is_valid_python(project: Path) -> None:
    (project / "app" / "legacy.py").write_bytes(b"# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n" + BAD_EXCEPT.encode())
    code, report, _ = check_json(project)
    assert codes_by_path(report)["app/legacy.py"] == {"BG401"}


def test_non_utf8_file_name(project: Path) -> None:
    name = os.fsencode(str(project / "app")) + b"/caf\xe9.py"
    with open(name, "wb") as handle:
        handle.write(BAD_EXCEPT.encode())
    for fmt in ("json", "text", "sarif", "github", "junit"):
        done = run_cli("check", "--no-cache", "-f", fmt, cwd=project)
        assert done.returncode == 1, (fmt, done.stderr)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_non_utf8_pyproject_is_a_config_error(project: Path) -> None:
    (project / "pyproject.toml").write_bytes(b"[tool.backend-gates]\n# caf\xe9\n")
    done = run_cli("check", "--no-cache", cwd=project)
    assert done.returncode == 2
    assert "pyproject.toml" in done.stderr and "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_output_to_a_directory_or_read_only_place_is_one_line(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    done = run_cli("check", "--no-cache", "-o", str(project / "app"), cwd=project)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "app" in done.stderr
    ro = tmp_path_factory.mktemp("ro")
    os.chmod(ro, stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user that can write anywhere (root)")
        done = run_cli("check", "--no-cache", "-o", str(ro / "out.txt"), cwd=project)
        assert done.returncode == 2 and "Traceback" not in done.stderr
    finally:
        os.chmod(ro, stat.S_IRWXU)


# ----------------------------------------------------------------------------- output escaping

INJECT = "\n::error file=x.py,line=1::pwned\x1b[31m"


@pytest.mark.parametrize("fmt", ["text", "concise", "github", "junit", "json", "sarif"])
def test_file_names_and_route_strings_cannot_inject_ci_annotations(project: Path, fmt: str) -> None:
    (project / f"evil{INJECT}.py").write_text(BAD_EXCEPT)
    (project / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
        f"  {json.dumps('/a' + INJECT)}:\n    post:\n      responses:\n        '200': {{description: ok}}\n"
    )
    done = run_cli("check", "--no-cache", "-f", fmt, cwd=project)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    for line in (done.stdout + done.stderr).splitlines():
        assert not line.lstrip().startswith("::error file=x.py"), line
        assert "\x1b" not in line
    assert "evil" in done.stdout and "/a" in done.stdout
    if fmt in ("json", "sarif"):
        json.loads(done.stdout)


def test_nul_byte_in_python_is_one_finding_not_an_internal_error(project: Path) -> None:
    """Found by the fuzz suite: libcst accepts a NUL inside a string literal and a check then
    crashed evaluating it (an internal error, exit 2); CPython refuses such files."""
    (project / "app" / "nul.py").write_bytes(b'TOKEN = "abc\x00def"\n' + BAD_EXCEPT.encode())
    code, report, _ = check_json(project)
    assert codes_by_path(report)["app/nul.py"] == {"BG001"}
    assert not [e for e in report["errors"] if e["kind"] == "internal"]
    assert code == 1


@pytest.mark.parametrize("token", ["BG4", "anti-patterns", "AP-ERROR-HANDLING", "bare-except", "BG401", "ALL"])
def test_per_file_ignores_apply_prefixes_and_checklist_names(tmp_path: Path, token: str) -> None:
    """`per-file-ignores` accepted code prefixes and checklist names but never applied them."""
    write_tree(tmp_path, {
        "pyproject.toml": f'[tool.backend-gates]\n[tool.backend-gates.per-file-ignores]\n"legacy/*" = ["{token}"]\n',
        "legacy/old.py": BAD_EXCEPT,
        "app/new.py": BAD_EXCEPT,
    })
    code, report, _ = check_json(tmp_path)
    found = codes_by_path(report)
    assert "legacy/old.py" not in found
    assert "BG401" in found["app/new.py"]


def test_a_migration_with_2000_operations_is_not_quadratic(tmp_path: Path) -> None:
    """Measured: 41 s before (quadratic); now linear, a few seconds of CPU."""
    ops = "\n".join(f'        migrations.AddField(model_name="order", name="f{i}", field=models.IntegerField(default=0)),' for i in range(2000))
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        "shop/migrations/0002_many.py": "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        f'    dependencies = [("shop", "0001_initial")]\n    operations = [\n{ops}\n    ]\n',
    })
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    code, report, _ = check_json(tmp_path, "--jobs", "1")
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    assert cpu < 20, f"{cpu:.1f}s of CPU for 2,000 operations"


def test_a_test_file_no_check_reads_is_still_checked_for_syntax_and_its_option_turns_checks_on(tmp_path: Path) -> None:
    """A file no check runs on is not given to libcst at all (speed: most test files), yet a
    syntax error in it is reported exactly as in any other file, and `check_tests` brings the
    secret rules back to test files."""
    secret = 'API_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"\n'
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "app/views.py": BAD_EXCEPT,
            "tests/test_secret.py": secret,
            "tests/test_broken.py": "def test_x(:\n    pass\n",
            "app/broken.py": "def f(:\n    pass\n",
        },
    )
    _rc, report, _err = check_json(tmp_path, ".")
    by_path = codes_by_path(report)
    assert "tests/test_secret.py" not in by_path  # test files are not judged by the secret rules
    broken = {f["path"]: (f["rule"], f["line"], f["column"], f["message"]) for f in report["findings"] if "broken" in f["path"]}
    assert broken["tests/test_broken.py"] == broken["app/broken.py"]  # same rule, place and message
    (tmp_path / "pyproject.toml").write_text("[tool.backend-gates]\n[tool.backend-gates.checks.BG210]\ncheck_tests = true\n")
    _rc, report, _err = check_json(tmp_path, ".")
    assert "BG210" in codes_by_path(report)["tests/test_secret.py"]


def test_sql_and_password_hash_rules_skip_test_files_unless_asked(tmp_path: Path) -> None:
    """BG201 and BG220 judge application code: test files (`test-paths`) build SQL from fixtures
    and hash fixture passwords. `check_tests` brings each back; the same code outside the tests
    is reported either way."""
    sql = 'def test_x(cur, name):\n    cur.execute(f"SELECT * FROM users WHERE name = \'{name}\'")\n'
    digest = 'import hashlib\n\ndef test_y(user, password):\n    user.password = hashlib.md5(password.encode()).hexdigest()\n'
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "tests/test_db.py": sql + digest, "app/db.py": sql + digest})
    _rc, report, _err = check_json(tmp_path, ".")
    by_path = codes_by_path(report)
    assert {"BG201", "BG220"} <= set(by_path["app/db.py"])
    assert not {"BG201", "BG220"} & set(by_path.get("tests/test_db.py", ()))
    (tmp_path / "pyproject.toml").write_text(
        "[tool.backend-gates]\n[tool.backend-gates.checks.BG201]\ncheck_tests = true\n[tool.backend-gates.checks.BG220]\ncheck_tests = true\n"
    )
    _rc, report, _err = check_json(tmp_path, ".")
    assert {"BG201", "BG220"} <= set(codes_by_path(report)["tests/test_db.py"])
