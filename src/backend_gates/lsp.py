"""`backend-gates lsp`: a language server over stdio (pygls).

Diagnostics on open, on change (debounced) and on save, for the in-memory text of the document,
through the same run as `backend-gates check` (`engine.Run.source`, then `finish`): every finding
located in the document, project-level ones included (a route without auth in the open file shows
under that route), with severity overrides, per-file ignores, suppressions and the baseline.
Project checks run on open and save (over every file's facts, from the cache or computed once per
server); while typing only the per-file checks rerun and the last project-level findings stay.
Saving any file rechecks every open document. A stale analysis (a newer version arrived while it
waited) is skipped.

Configuration is read from the `pyproject.toml` of the workspace folder holding the document
(`config.load_config(start=<folder>)`) and reloaded when it or the baseline changes. A document
whose text, configuration and baseline are unchanged is answered from a cache. A syntax error
gives one diagnostic (BG001); an error of ours gives one diagnostic saying so, never a dead
server. Code actions apply the rule's `--fix` codemod where one exists (`fix.FIXERS`) and insert
`# backend-gates: ignore[CODE] <reason>` on the finding's line (the placeholder is not a reason:
left as is, BG003 says so). Hover over a finding shows its rule's documentation. A change of
`pyproject.toml` on disk (workspace/didChangeWatchedFiles, registered when the editor allows it)
or its save reloads the configuration and rechecks every open document.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import commands
from .version import __version__
from .evidence import Evidence
from .model import Finding, Location, Severity

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .engine import Run
    from .vendored import Finder

log = logging.getLogger(__name__)

SOURCE = "backend-gates"
REASON_PLACEHOLDER = "<reason>"
DEBOUNCE_SECONDS = 0.03  # a burst of keystrokes is checked once; a stale analysis is skipped
TOOL_CODES = frozenset({"BG001", "BG002", "BG003", "BG004"})  # not suppressible by a comment


# ----------------------------------------------------------------------------- analysis (no pygls)


@dataclass
class _Loaded:
    config: "Config"
    stamp: tuple[Any, ...]
    run: "Run"  # one run per workspace configuration: other files' results are kept between documents
    vendored: "Finder | None" = None  # directories of third-party copies (skip-vendored), judged on first need


def _mtime(path: Path | None) -> float:
    if path is None:
        return 0.0
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


class Analyzer:
    """Per-document analysis through the run (`Run.source`); configs and results cached.

    A deep analysis (open, save) runs the document's per-file checks and the project checks over
    the whole project's facts, and keeps the project-level findings of the document; a quick one
    (while typing) reruns only the per-file checks and reuses the document's last project-level
    findings, so they stay visible and suppressions of them are not reported unused.
    """

    def __init__(self) -> None:
        self._configs: dict[str, _Loaded] = {}
        self._results: dict[str, tuple[str, list[Finding]]] = {}
        self._project: dict[str, Evidence] = {}  # uri -> project-level evidence of its last deep analysis
        self.generation = 0  # bumped when a file is saved: project-level findings may have changed
        self.hits = 0  # documents answered from the cache (tests and logs)
        self._settled = 0
        from .sources import positions

        positions.REMEMBER = True  # documents are analysed again as they change

    def config_for(self, folder: Path) -> _Loaded:
        from .config import find_project_root, load_config
        from .engine import Run

        key = str(folder)
        loaded = self._configs.get(key)
        _root, file = find_project_root(folder)
        if loaded is not None:
            baseline = loaded.config["baseline"]
            stamp = (file, _mtime(file), baseline, _mtime(loaded.config.root / baseline if baseline else None))
            if stamp == loaded.stamp:
                return loaded
        config = load_config(folder, overrides={"jobs": 1})
        baseline = config["baseline"]
        stamp = (config.file, _mtime(config.file), baseline, _mtime(config.root / baseline if baseline else None))
        from .vendored import Finder

        loaded = _Loaded(config, stamp, Run(config, jobs=1), Finder(config.root) if config["skip-vendored"] else None)
        self._configs[key] = loaded
        self._project.clear()
        return loaded

    def last(self, uri: str) -> list[Finding]:
        """The findings last published for `uri` (hover reads them; nothing is recomputed)."""
        cached = self._results.get(uri)
        return cached[1] if cached is not None else []

    def fix_options(self, fs_path: str | None) -> dict[str, Any]:
        for loaded in self._configs.values():
            if fs_path is not None and Path(fs_path).resolve().is_relative_to(loaded.config.root.resolve()):
                return {"timeout": loaded.config["fix.timeout"]}
        return {}

    def config_changed(self) -> None:
        """A configuration file changed on disk: reload every configuration at the next analysis."""
        self._configs.clear()
        self._results.clear()
        self._project.clear()
        self.generation += 1

    def settle(self) -> None:
        """After an analysis: move what survived (parsed pieces, remembered positions) out of the
        garbage collector's reach, so a full collection does not walk every cached node during
        the next keystroke's analysis (60-120 ms each on a 1,500-line file). The cached trees are
        acyclic and still freed by reference counting when dropped; once in a while a full
        collection runs here, between analyses, for whatever cycles did form."""
        import gc

        self._settled += 1
        if self._settled % 50 == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    def warm(self, folders: list[Path]) -> None:
        """Import what an analysis needs and load each folder's configuration (never raises)."""
        try:
            import libcst  # noqa: F401

            from .checks import load_all
            from .engine import _modules
            from .sources import python  # noqa: F401

            load_all()
            _modules(("python",))
            for folder in folders:
                self.config_for(folder)
        except Exception:  # a broken configuration is reported on the first document instead
            log.debug("warm-up failed", exc_info=True)

    def forget(self, uri: str) -> None:
        self._results.pop(uri, None)
        self._project.pop(uri, None)

    def saved(self) -> None:
        """A file was saved: the next deep analysis of every document sees it."""
        self.generation += 1

    def analyze(self, uri: str, path: Path, folder: Path, text: str, *, deep: bool = True) -> list[Finding]:
        """Unsuppressed findings for `text` as the content of `path`. Never raises."""
        try:
            loaded = self.config_for(folder)
            mode = f"deep:{self.generation}" if deep or uri not in self._project else f"quick:{id(self._project[uri])}"
            digest = hashlib.blake2b(
                f"{path}\0{loaded.config.analysis_key()}\0{loaded.stamp}\0{mode}\0".encode() + text.encode("utf-8", "surrogatepass"),
                digest_size=16,
            ).hexdigest()
            cached = self._results.get(uri)
            if cached is not None and cached[0] == digest:
                self.hits += 1
                return cached[1]
            findings = self._analyze(uri, loaded, path, text, mode.startswith("deep"))
            self._results[uri] = (digest, findings)
            return findings
        except Exception as exc:  # config errors and our bugs: one diagnostic, the server lives on
            from .errors import ConfigError

            log.debug("analysis of %s failed", uri, exc_info=True)
            kind = "configuration error" if isinstance(exc, ConfigError) else f"internal error: {type(exc).__name__}"
            return [
                Finding("", "backend-gates", None, Severity.ERROR, f"backend-gates could not check this file ({kind}): {exc}", Location(str(path)))
            ]

    def _analyze(self, uri: str, loaded: _Loaded, path: Path, text: str, deep: bool) -> list[Finding]:
        from .engine import kind_of

        config = loaded.config
        try:
            key = path.resolve().relative_to(config.root.resolve()).as_posix()
        except ValueError:
            return []  # not part of this project (a library file, another checkout)
        if _excluded(key, config.excludes) or kind_of(key, config) is None:
            return []
        if loaded.vendored is not None and loaded.vendored.holding(key) is not None:
            return []  # third-party code copied into the project: `check` skips it too
        run = loaded.run
        if deep:
            evidence = run.source(path, text, project=True)
            project_rules = {r.code for r in evidence.rules if r.kind == "project"}
            self._project[uri] = Evidence("project", findings=tuple(f for f in evidence.findings if f.code in project_rules))
            report = run.finish(evidence)
        else:
            report = run.finish(run.source(path, text, project=False), self._project[uri])
        mine = [f for f in report.findings if f.location.path == key]
        broken = [f for f in mine if f.code == "BG001"]
        if broken:  # one diagnostic: the reason it cannot be checked
            return broken[:1]
        return sorted((f for f in mine if not f.suppressed), key=Finding.sort_key)


def _excluded(key: str, patterns: list[str]) -> bool:
    """Config `exclude`/`extend-exclude`, as `check` applies them when it walks directories."""
    from .sources.context import matches_any

    return any(matches_any(part, patterns) for part in key.split("/")[:-1]) or matches_any(key, patterns)


# ----------------------------------------------------------------------------- code actions (no pygls)


def suppression_edit(line_text: str, code: str) -> tuple[str, str]:
    """How to suppress `code` on this line: ("append", text) at the line end, ("insert", text) at
    its start (own-line comment above), or ("bracket", text) inserted after `ignore[`."""
    import re

    match = re.search(r"#\s*backend-gates:\s*ignore\[", line_text)
    if match:
        return "bracket", f"{code}, "
    if line_text.rstrip().endswith("\\"):
        indent = line_text[: len(line_text) - len(line_text.lstrip())]
        return "insert", f"{indent}# backend-gates: ignore[{code}] {REASON_PLACEHOLDER}\n"
    return "append", f"  # backend-gates: ignore[{code}] {REASON_PLACEHOLDER}"


# ----------------------------------------------------------------------------- the server


def build_server(debounce: float = DEBOUNCE_SECONDS) -> Any:
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer
    from pygls.uris import to_fs_path

    server = LanguageServer("backend-gates", __version__)
    analyzer = Analyzer()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backend-gates-lsp")
    generation: dict[str, int] = {}
    last_change: dict[str, float] = {}  # event-loop time of each document's latest change
    severity = {
        Severity.ERROR: types.DiagnosticSeverity.Error,
        Severity.WARNING: types.DiagnosticSeverity.Warning,
        Severity.INFO: types.DiagnosticSeverity.Information,
    }
    server.analyzer = analyzer  # type: ignore[attr-defined]

    def folder_of(path: Path) -> Path:
        best: Path | None = None
        for folder in server.workspace.folders.values():
            fs = to_fs_path(folder.uri)
            if fs is None:
                continue
            candidate = Path(fs)
            if (path == candidate or candidate in path.parents) and (best is None or len(str(candidate)) > len(str(best))):
                best = candidate
        if best is None and server.workspace.root_path:
            root = Path(server.workspace.root_path)
            if root in path.parents:
                best = root
        return best or path.parent

    def to_diagnostic(f: Finding, lines: list[str]) -> Any:
        loc = f.location
        start_line = max(loc.line - 1, 0)
        end_line = max(loc.end_line - 1, start_line)
        start_char = max(loc.column - 1, 0)
        end_char = max(loc.end_column - 1, 0)
        if end_line == start_line and end_char <= start_char:
            end_char = len(lines[start_line]) if start_line < len(lines) else start_char
            start_char = 0 if f.code in TOOL_CODES and f.code != "BG001" else start_char
        rng = types.Range(types.Position(start_line, start_char), types.Position(end_line, end_char))
        try:
            rng = server.workspace.position_codec.range_to_client_units(lines, rng)
        except Exception:  # positions past the end of a short document: keep ours
            pass
        gate = f" [{f.gate}]" if f.gate else ""
        return types.Diagnostic(
            range=rng,
            message=f"{f.message}{gate}",
            severity=severity[f.severity],
            code=f.code or None,
            code_description=types.CodeDescription(href=f.help_url) if f.help_url else None,
            source=SOURCE,
            data={"name": f.name, "gate": f.gate, "severity": f.severity.value, "fingerprint": f.fingerprint,
                  "line": loc.line, "column": loc.column},
        )

    def current(uri: str, version: int | None) -> bool:
        return uri in server.workspace.text_documents and server.workspace.get_text_document(uri).version == version

    async def publish(uri: str, deep: bool = True) -> None:
        try:
            document = server.workspace.get_text_document(uri)
            fs = to_fs_path(uri)
            if fs is None:
                return
            path = Path(fs)
            text, version = document.source, document.version

            def job() -> list[Finding] | None:
                if not current(uri, version):
                    return None  # stale: a newer version arrived while this one waited
                try:
                    return analyzer.analyze(uri, path, folder_of(path), text, deep=deep)
                finally:
                    analyzer.settle()

            loop = asyncio.get_running_loop()
            findings = await loop.run_in_executor(pool, job)
            if findings is None or not current(uri, version):
                return  # a newer change is on its way
            lines = text.splitlines()
            diagnostics = [to_diagnostic(f, lines) for f in findings]
        except Exception as exc:  # never a dead server
            log.debug("publish failed for %s", uri, exc_info=True)
            diagnostics = [
                types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                    message=f"backend-gates internal error: {type(exc).__name__}: {exc}",
                    severity=types.DiagnosticSeverity.Error,
                    source=SOURCE,
                )
            ]
            version = None
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    @server.feature(types.INITIALIZED)
    def initialized(ls: Any, params: types.InitializedParams) -> None:
        # load the checks, libcst and each workspace folder's configuration and project run while
        # the editor is still opening files: the first document then costs only its analysis
        folders = [Path(fs) for f in server.workspace.folders.values() if (fs := to_fs_path(f.uri))]
        if not folders and server.workspace.root_path:
            folders = [Path(server.workspace.root_path)]
        pool.submit(analyzer.warm, folders)
        register_watchers()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: Any, params: types.DidOpenTextDocumentParams) -> None:
        generation[params.text_document.uri] = generation.get(params.text_document.uri, 0) + 1
        await publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: Any, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        mine = generation[uri] = generation.get(uri, 0) + 1
        now = asyncio.get_running_loop().time()
        quiet = now - last_change.get(uri, float("-inf")) > debounce
        last_change[uri] = now
        if not quiet:
            # a burst of keystrokes: wait for the typing to pause, then check the last text once.
            # The first change after a pause is checked at once (leading edge): nothing is queued
            # for it, and whatever follows within the window supersedes it (its diagnostics are
            # dropped as stale, see publish)
            await asyncio.sleep(debounce)
        if generation.get(uri) == mine:
            await publish(uri, deep=False)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: Any, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        generation[uri] = generation.get(uri, 0) + 1
        # a saved file (code, config or baseline) may change what other documents' project-level
        # findings depend on (a guard added in main.py clears routes.py): recheck every open one
        analyzer.saved()
        others = [u for u in server.workspace.text_documents if u != uri]
        if uri in server.workspace.text_documents:
            await publish(uri)
        for other in others:
            await publish(other)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: types.DidCloseTextDocumentParams) -> None:
        analyzer.forget(params.text_document.uri)
        generation.pop(params.text_document.uri, None)
        last_change.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: Any, params: types.CodeActionParams) -> list[types.CodeAction]:
        document = server.workspace.get_text_document(params.text_document.uri)
        lines = document.lines
        actions: list[types.CodeAction] = []
        seen: set[tuple[int, str]] = set()
        for diag in params.context.diagnostics:
            code = str(diag.code or "")
            if diag.source != SOURCE or not code or code in TOOL_CODES:
                continue
            number = diag.range.start.line
            if (number, code) in seen or number >= len(lines):
                continue
            seen.add((number, code))
            fixed = fix_action(document.source, diag, code, analyzer.fix_options(to_fs_path(params.text_document.uri)))
            if fixed is not None:
                title, (start, end, new_text) = fixed
                edit_range = types.Range(types.Position(start, 0), types.Position(end, 0))
                actions.append(
                    types.CodeAction(
                        title=f"Fix {code}: {title}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=True,
                        edit=types.WorkspaceEdit(changes={params.text_document.uri: [types.TextEdit(range=edit_range, new_text=new_text)]}),
                    )
                )
            line_text = lines[number].rstrip("\r\n")
            how, text = suppression_edit(line_text, code)
            if how == "bracket":
                column = line_text.index("ignore[", line_text.index("backend-gates:")) + len("ignore[")
                pos = types.Position(number, server.workspace.position_codec.client_num_units(line_text[:column]))
            elif how == "insert":
                pos = types.Position(number, 0)
            else:
                pos = types.Position(number, server.workspace.position_codec.client_num_units(line_text))
            edit = types.TextEdit(range=types.Range(pos, pos), new_text=text)
            actions.append(
                types.CodeAction(
                    title=f"Suppress {code} on this line (backend-gates: ignore, with a reason)",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    edit=types.WorkspaceEdit(changes={params.text_document.uri: [edit]}),
                )
            )
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: Any, params: types.HoverParams) -> types.Hover | None:
        """The documentation of the rule whose finding is under the cursor (`explain`'s page)."""
        document = server.workspace.get_text_document(params.text_document.uri)
        lines = document.source.splitlines()
        position = params.position
        for f in analyzer.last(params.text_document.uri):
            diag = to_diagnostic(f, lines)
            start, end = diag.range.start, diag.range.end
            after_start = (position.line, position.character) >= (start.line, start.character)
            before_end = (position.line, position.character) <= (end.line, end.character)
            if f.code and after_start and before_end:
                text = rule_hover(f)
                if text:
                    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=diag.range)
        return None

    def register_watchers() -> None:
        """Ask the editor to tell us when a configuration file changes on disk (not only on save)."""
        caps = server.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
        try:
            server.client_register_capability(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="backend-gates-config",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                        )
                    ]
                )
            )
        except Exception:  # an editor that refuses: configuration is still reloaded on save
            log.debug("could not register file watchers", exc_info=True)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files(ls: Any, params: types.DidChangeWatchedFilesParams) -> None:
        """pyproject.toml (or a baseline) changed: recheck every open document at once."""
        changed = [change.uri for change in params.changes]
        if not any(Path(to_fs_path(uri) or uri).name in CONFIG_FILES for uri in changed):
            return
        analyzer.config_changed()
        for uri in list(server.workspace.text_documents):
            await publish(uri)

    return server


CONFIG_FILES = ("pyproject.toml", ".backend-gates.toml")


def rule_hover(finding: Finding) -> str:
    """Markdown for a hover: the finding, then its rule's page (as `backend-gates explain`)."""
    from .checks import load_all
    from .checks.base import REGISTRY
    from .docgen import HEADER, rule_markdown

    load_all()
    cls = REGISTRY.get(finding.code)
    if cls is None:
        return ""
    head = f"**{finding.code}** `{finding.name}`: {finding.message}"
    if finding.fix:
        head += f"\n\n*Fix:* {finding.fix}"
    if finding.help_url:
        head += f"\n\n[Documentation]({finding.help_url})"
    return head + "\n\n---\n\n" + rule_markdown(cls).replace(HEADER, "", 1).strip() + "\n"


def fix_action(source: str, diag: Any, code: str, options: dict[str, Any]) -> tuple[str, tuple[int, int, str]] | None:
    """The rule's `--fix` codemod for this one finding, as (title, (first line, end line, new
    text)): the changed lines only, so the editor keeps the cursor and the undo history tidy.
    None when the rule has no fixer or the fix does not apply here."""
    from . import fix

    fixer = fix.FIXERS.get(code)
    if fixer is None:
        return None
    data = diag.data if isinstance(diag.data, dict) else {}
    line = int(data.get("line") or diag.range.start.line + 1)
    column = int(data.get("column") or diag.range.start.character + 1)
    try:
        after, done = fix.fix_source(source, {code: {fix.Target(line, column)}}, options)
        compile(after, "<document>", "exec")
    except Exception:  # a document that does not parse (yet): no fix offered
        return None
    if not done or after == source:
        return None
    old, new = source.splitlines(keepends=True), after.splitlines(keepends=True)
    first = 0
    while first < min(len(old), len(new)) and old[first] == new[first]:
        first += 1
    tail = 0
    while tail < min(len(old), len(new)) - first and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return fixer.title, (first, len(old) - tail, "".join(new[first : len(new) - tail]))


# ----------------------------------------------------------------------------- command


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (the default and only transport)")
    p.add_argument("--debounce", type=float, default=DEBOUNCE_SECONDS, metavar="SECONDS", help=f"wait this long after the last change before checking (default {DEBOUNCE_SECONDS})")


def _run(args: argparse.Namespace) -> int:
    if args.debounce < 0:
        from .errors import UsageError

        raise UsageError("--debounce must be 0 or more")
    try:
        import pygls  # noqa: F401
    except ImportError:
        from .errors import UsageError

        raise UsageError("the language server needs pygls: pip install 'backend-gates[lsp]'") from None
    server = build_server(args.debounce)
    server.start_io()
    return commands.EXIT_OK


commands.register(commands.Command("lsp", "language server (LSP over stdio) for editors: diagnostics and quick fixes", _configure, _run))
