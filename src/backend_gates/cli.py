"""The `backend-gates` command. Exit codes: 0 clean, 1 failing findings, 2 usage or config error."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn, Sequence

from .version import __version__
from .errors import BackendGatesError, ConfigError, UsageError

from .commands import (  # noqa: F401  (re-exported: the shared options and exit codes)
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    REGISTRY,
    Command,
    add_config_options,
    load,
    load_features,
    overrides_from,
    register,
)


from .commands import _start_of  # noqa: E402,F401  (re-exported)


# ----------------------------------------------------------------------------- check


from .commands import FIX_PREVIEW  # `--diff` given without a REF


def _configure_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files or directories (default: `paths` from config, else .); `-` reads one file from stdin")
    p.add_argument("--stdin-filename", metavar="PATH",
                   help="with `-`: the path of the file read from stdin (findings are reported there; its project's configuration applies)")
    p.add_argument("--format", "-f", choices=("text", "json", "sarif", "github", "concise", "gitlab", "junit"), help="output format")
    p.add_argument("--output", "-o", metavar="FILE", help="write the output to FILE instead of stdout")
    p.add_argument("--report", metavar="FILE", help="write the gate report event (JSON) to FILE (default: config `report`, .backend-gates/report.json)")
    p.add_argument("--no-report", action="store_true", help="do not write the gate report event file")
    p.add_argument("--sarif", metavar="FILE", help="also write SARIF 2.1.0 to FILE (same run; for code scanning)")
    p.add_argument("--html", metavar="FILE", help="also write the self-contained HTML gate report to FILE")
    p.add_argument("--trend", metavar="REPORT", action="append", default=[], help="an earlier report event (JSON) for the HTML trend chart; repeat, oldest first")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings fail")
    p.add_argument("--no-show-source", action="store_true", help="text output: do not show source lines")
    p.add_argument("--statistics", action="store_true", help="show how many findings each rule has instead of the findings (text or json)")
    p.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE (default: config `baseline`)")
    p.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE and exit 0")
    p.add_argument("--diff", metavar="REF", nargs="?", const=FIX_PREVIEW,
                   help="report only findings on lines changed since git REF; without REF: show what --fix would change")
    p.add_argument("--new-code", metavar="REF", help="gates fail only on findings in code new or changed since git REF; older ones are listed as existing")
    p.add_argument("--fix", action="store_true", help="apply the unambiguous fixes (libcst codemods), then report what is left")
    p.add_argument("--spec-base", metavar="REF", help="compare OpenAPI specs with their version at this git ref (or with this file)")
    p.add_argument("--semgrep", action="store_true", help="also run the semgrep rule pack (needs the semgrep executable)")
    add_config_options(p)


def _diff_value_is_a_path(args: argparse.Namespace) -> None:
    """`check --diff .` (ruff's spelling of the fix preview): `.` is a path, not a git ref."""
    value = getattr(args, "diff", None)
    if value == "-":  # `check --diff -`: preview the fix of the text on stdin
        args.paths = [*args.paths, "-"]
        args.diff = FIX_PREVIEW
        return
    if not isinstance(value, str) or value == FIX_PREVIEW or not Path(value).exists():
        return
    import subprocess

    try:
        is_ref = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{value}^{{commit}}"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        is_ref = False
    if not is_ref:
        args.paths = [*args.paths, value]
        args.diff = FIX_PREVIEW


def run_check(args: argparse.Namespace) -> int:
    from .engine import check
    from .selection import validate_check_config, validate_selectors

    _diff_value_is_a_path(args)
    stdin_path = _stdin_path(args)

    config = load(args, start=stdin_path.parent if stdin_path is not None and not args.config else None)
    needs_validation = any(config.sources[k] != "default" for k in ("select", "extend-select", "ignore", "per-file-ignores"))
    if needs_validation or config.check_options:
        validate_selectors(config)
        validate_check_config(config)
    fmt = config["format"]
    if stdin_path is not None:
        return _run_stdin(args, config, stdin_path)
    progress = _progress_bar() if _interactive() and not args.quiet else None
    try:
        report = check(args.paths, config, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if getattr(args, "write_baseline", None):
        from .baseline import lines_from_disk, write as write_baseline

        target = Path(args.write_baseline)
        count = write_baseline(target, report.findings, lines_from_disk(config.root))
        if not args.quiet:
            sys.stderr.write(f"backend-gates: wrote {count} finding(s) to baseline {target}\n")
        return EXIT_OK
    if args.fix or args.diff == FIX_PREVIEW:
        from . import fix

        fixes, problems = fix.plan(report, config)
        for problem in problems:
            sys.stderr.write(f"backend-gates: {problem}\n")
        if args.diff == FIX_PREVIEW and not args.fix:
            sys.stdout.write("".join(f.diff() for f in fixes))
            count = sum(len(f.fixed) for f in fixes)
            if not args.quiet:
                sys.stderr.write(f"backend-gates: {count} fix(es) in {len(fixes)} file(s) would be applied by --fix\n")
            return EXIT_FINDINGS if fixes else EXIT_OK
        if fixes:
            count = fix.write(fixes, config.root)
            if not args.quiet:
                sys.stderr.write(f"backend-gates: fixed {count} finding(s) in {len(fixes)} file(s)\n")
            report = check(args.paths, config, progress=None)  # report what is left
    _log_run(report, config)
    if not args.quiet:
        _note_baseline(report)
    if args.statistics:
        text = statistics(report, fmt)
    elif args.quiet > 1:
        text = ""  # -qq: the exit status only
    else:
        color = fmt == "text" and use_color(args.color, sys.stdout if not args.output else None)
        text = render(report, fmt, show_source=config["show-source"] and not args.no_show_source, quiet=bool(args.quiet), color=color)
    if args.output:
        from .redact import write_file

        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        write_file(args.output, text)
    else:
        sys.stdout.write(text)
    write_outputs(report, config, args)
    if args.exit_zero:
        return EXIT_OK
    internal = [e for e in report.errors if e.kind == "internal"]
    if internal:  # a check of ours failed: the verdict is incomplete, never a clean run
        sys.stderr.write(
            f"backend-gates: the run is incomplete: {len(internal)} internal error(s), e.g. "
            f"{internal[0].path or '(project)'}: {internal[0].message}; exit 2 (--exit-zero to accept)\n"
        )
        return EXIT_USAGE
    return EXIT_FINDINGS if report.failing_findings else EXIT_OK


def _stdin_path(args: argparse.Namespace) -> Path | None:
    """`check - --stdin-filename PATH` (ruff's convention): the path the text read from stdin
    stands for; None when stdin is not read."""
    paths = list(args.paths)
    if "-" not in paths and not (args.stdin_filename and not paths):
        if args.stdin_filename:
            raise UsageError("--stdin-filename is for a file read from stdin: give `-` as the only path")
        return None
    if paths not in (["-"], []):
        raise UsageError("`-` (read stdin) must be the only path")
    if args.write_baseline:
        raise UsageError("--write-baseline records a project's findings; it does not read stdin")
    name = args.stdin_filename or "stdin.py"
    return (Path.cwd() / name).resolve() if not Path(name).is_absolute() else Path(name).resolve()


def _run_stdin(args: argparse.Namespace, config: Any, path: Path) -> int:
    """Check the text on stdin as the content of `path`: per-file checks on it, project checks
    over the project's files with this one's text, findings located in it. With --fix the fixed
    text goes to stdout (and with --diff, the preview), as ruff does; no report file unless asked."""
    from . import fix
    from .engine import Run, kind_of, _key_of

    data = sys.stdin.buffer.read()
    text = data.decode("utf-8", errors="replace")
    key = _key_of(path, config)
    if kind_of(key, config) is None:
        raise UsageError(f"{args.stdin_filename or key}: not a file backend-gates reads (name a .py, .sql or OpenAPI file with --stdin-filename)")
    run = Run(config)
    report = run.finish(run.source(path, text, project=True))
    if args.fix or args.diff == FIX_PREVIEW:
        targets: dict[str, set[fix.Target]] = {}
        for f in report.findings:
            if fix.can_fix(f) and f.location.path == key:
                targets.setdefault(f.code, set()).add(fix.Target(f.location.line, f.location.column))
        fixed_text, fixed = fix.fix_source(text, targets, {"timeout": config["fix.timeout"]}) if targets and key.endswith(".py") else (text, [])
        try:
            compile(fixed_text, key, "exec")
        except (SyntaxError, ValueError) as exc:
            sys.stderr.write(f"backend-gates: {key}: not fixed: the fixed text would not parse ({exc})\n")
            fixed_text, fixed = text, []
        if args.diff == FIX_PREVIEW and not args.fix:
            sys.stdout.write(fix.FileFix(key, text, fixed_text, tuple(fixed)).diff())
            return EXIT_FINDINGS if fixed else EXIT_OK
        sys.stdout.write(fixed_text)
        if fixed and not args.quiet:
            sys.stderr.write(f"backend-gates: fixed {len(fixed)} finding(s) in {key}\n")
        if fixed:
            run = Run(config)
            report = run.finish(run.source(path, fixed_text, project=True))
        left = [f for f in report.failing_findings if f.location.path == key]
        if left and not args.quiet:
            sys.stderr.write(render(report, "concise") if config["format"] == "text" else "")
        return EXIT_OK if args.exit_zero or not left else EXIT_FINDINGS
    _log_run(report, config)
    fmt = config["format"]
    if args.statistics:
        text_out = statistics(report, fmt)
    elif args.quiet > 1:
        text_out = ""
    else:
        color = fmt == "text" and use_color(args.color, sys.stdout if not args.output else None)
        text_out = render(report, fmt, show_source=config["show-source"] and not args.no_show_source, quiet=bool(args.quiet), color=color)
    if args.output:
        from .redact import write_file

        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        write_file(args.output, text_out)
    else:
        sys.stdout.write(text_out)
    if not args.report:  # a one-buffer run never replaces the project's report
        args.no_report = True
    write_outputs(report, config, args)
    if args.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if report.failing_findings else EXIT_OK


def _note_baseline(report: Any) -> None:
    """Baseline entries that no longer occur: say so, so the file can shrink."""
    info = report.extra.get("baseline")
    if not info or not info.get("unused"):
        return
    unused = info["unused"]
    sys.stderr.write(
        f"backend-gates: {len(unused)} baseline entr{'y' if len(unused) == 1 else 'ies'} in {info['file']} no longer {'occurs' if len(unused) == 1 else 'occur'}; "
        "rerun with --write-baseline to shrink it:\n"
    )
    for entry in unused[:20]:
        sys.stderr.write(f"  {entry['path']}:{entry['line']}: {entry['rule']} {entry['message']}\n")
    if len(unused) > 20:
        sys.stderr.write(f"  ... and {len(unused) - 20} more (see the report's `baseline.unused`)\n")


def render(report: Any, fmt: str, *, show_source: bool = True, quiet: bool = False, color: bool = False) -> str:
    if fmt == "text":
        from .formatters.text import render as text_render

        return text_render(report, show_source=show_source, show_gates=not quiet, show_summary=not quiet, color=color)
    from .formatters import renderer

    return renderer(fmt)(report)


def write_report(report: Any, path: Path) -> dict[str, Any]:
    from .event import write_event

    return write_event(report, path)


def write_outputs(report: Any, config: Any, args: argparse.Namespace) -> None:
    """The files a run leaves behind besides stdout: the report event (by default
    `.backend-gates/report.json`), `--sarif`, `--html`, and with `-f github` a Markdown summary
    appended to `$GITHUB_STEP_SUMMARY` when GitHub Actions provides one."""
    event = None
    target = args.report or (config["report"] if not args.no_report else "")
    if target:
        path = Path(target) if args.report or Path(target).is_absolute() else config.root / target
        try:
            _keep_out_of_git(path, config.root)
            event = write_report(report, path)
        except OSError as exc:  # a read-only checkout must not turn findings into a crash
            sys.stderr.write(f"backend-gates: could not write the report {path}: {exc.strerror}\n")
    if args.sarif:
        _write(Path(args.sarif), render(report, "sarif"))
    if args.html:
        from .event import to_event
        from .html_report import write_html

        from .html_report import load_event

        history = [load_event(Path(p)) for p in args.trend]
        write_html(event if event is not None else to_event(report), Path(args.html), history)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if config["format"] == "github" and summary_file:
        from .formatters.summary import render as summary

        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(summary(report))


def _keep_out_of_git(path: Path, root: Path) -> None:
    """The default report lives in `.backend-gates/` (with the cache): a `.gitignore` of `*` keeps
    it out of `git status`, of `--diff`'s untracked files and of commits."""
    tool_dir = root / ".backend-gates"
    try:
        path.resolve().relative_to(tool_dir.resolve())
    except ValueError:
        return
    tool_dir.mkdir(parents=True, exist_ok=True)
    marker = tool_dir / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def statistics(report: Any, fmt: str) -> str:
    """Findings per rule, most frequent first (`--statistics`, as ruff has it)."""
    rows: dict[str, dict[str, Any]] = {}
    for f in report.active_findings:
        row = rows.setdefault(f.code, {"code": f.code, "name": f.name, "gate": f.gate, "severity": f.severity.value, "count": 0, "fixable": 0})
        row["count"] += 1
        if fixable(f):
            row["fixable"] += 1
    ordered = sorted(rows.values(), key=lambda r: (-r["count"], r["code"]))
    if fmt == "json":
        return json.dumps(ordered, indent=2) + "\n"
    if fmt != "text":
        raise UsageError("--statistics prints text or json (use -f text or -f json)")
    if not ordered:
        return ""
    width = max(len(str(r["count"])) for r in ordered)
    code_width = max(len(r["code"]) for r in ordered)
    lines = []
    for r in ordered:
        mark = "[*]" if r["fixable"] == r["count"] else f"[{r['fixable']}*]" if r["fixable"] else "   "
        lines.append(f"{r['count']:>{width}}  {r['code']:<{code_width}}  {mark} {r['name']} ({r['severity']}, {r['gate'] or '-'})")
    total_fix = sum(r["fixable"] for r in ordered)
    if total_fix:
        lines.append(f"[*] {total_fix} fixable with `backend-gates check --fix`")
    return "\n".join(lines) + "\n"


def fixable(finding: Any) -> bool:
    try:
        from .fix import can_fix
    except ImportError:
        return False
    return can_fix(finding)


def use_color(choice: str, stream: Any) -> bool:
    """--color always|never|auto; auto: NO_COLOR (no-color.org) off, FORCE_COLOR on, else a terminal."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream is not None and stream.isatty() and os.environ.get("TERM") != "dumb"


def _log_run(report: Any, config: Any) -> None:
    """-v: what ran, from where, how fast (stderr via logging)."""
    import logging

    log = logging.getLogger("backend_gates.cli")
    if not log.isEnabledFor(logging.INFO):
        return
    timing = report.extra.get("timing", {})
    log.info("root %s; configuration %s", config.root, config.describe_file())
    log.info(
        "%d file(s), %d line(s): %s analysed, %s from cache, in %ss",
        report.files, report.lines, timing.get("analyzed", "?"), timing.get("cached", "?"), timing.get("seconds", "?"),
    )
    log.info("%d rule(s) ran; %d finding(s), %d suppressed", len(report.rules), len(report.findings), len(report.findings) - len(report.active_findings))
    for err in report.errors:
        log.info("note: %s%s (%s)", f"{err.path}: " if err.path else "", err.message, err.kind)


def _interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


class _ProgressBar:
    """Files done of total on stderr, for long runs on a terminal (rich)."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if total < 50:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TextColumn("files"), TimeElapsedColumn(),
                transient=True, console=Console(stderr=True),  # stdout stays clean for `> file` and pipes
            )
            self._progress.start()
            self._task = self._progress.add_task("check", total=total)
        self._progress.update(self._task, completed=done)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _progress_bar() -> _ProgressBar:
    return _ProgressBar()


# ----------------------------------------------------------------------------- rules / explain


def _configure_rules(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--all", action="store_true", help="include opinionated rules that are off by default")


def run_rules(args: argparse.Namespace) -> int:
    from .checks import load_all
    from .checks.base import REGISTRY

    load_all()
    checks = [REGISTRY[c] for c in sorted(REGISTRY)]
    if args.format == "json":
        data = [
            {**c.info().to_dict(), "default_enabled": c.default_enabled, "options": sorted(c.options)}
            for c in checks
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    rows = [(c.code, c.name, c.gate or "-", c.severity.value, c.summary() + ("" if c.default_enabled else " (off by default)")) for c in checks]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("code", "name", "gate", "severity")
    sys.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  summary\n")
    for row in rows:
        sys.stdout.write("  ".join(v.ljust(w) for v, w in zip(row[:4], widths)) + "  " + row[4] + "\n")
    return EXIT_OK


def _configure_explain(p: argparse.ArgumentParser) -> None:
    p.add_argument("rule", help="rule code (BG201) or name (string-built-sql)")


def run_explain(args: argparse.Namespace) -> int:
    from .checks import load_all
    from .checks.base import REGISTRY
    from .docgen import rule_markdown

    load_all()
    wanted = args.rule.strip()
    for cls in REGISTRY.values():
        if wanted.upper() == cls.code or wanted.lower() == cls.name:
            sys.stdout.write(rule_markdown(cls))
            return EXIT_OK
    raise UsageError(f"unknown rule {wanted!r}; `backend-gates rules` lists them")


# ----------------------------------------------------------------------------- config


def _configure_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--list", action="store_true", help="list every setting with its default and help")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema of [tool.backend-gates] (for editors)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_config_options(p)


def run_config(args: argparse.Namespace) -> int:
    from .config import SETTINGS, json_schema_text

    if args.schema:
        sys.stdout.write(json_schema_text())
        return EXIT_OK
    if args.list:
        for key, setting in SETTINGS.items():
            sys.stdout.write(f"{key} ({setting.type}) default={setting.default!r}\n    {setting.help}\n")
        return EXIT_OK
    config = load(args)
    effective = config.effective()
    if args.format == "json":
        sys.stdout.write(json.dumps({"file": str(config.file) if config.file else None, "root": str(config.root), "values": effective}, indent=2, default=str) + "\n")
        return EXIT_OK
    sys.stdout.write(f"# root: {config.root}\n# config file: {config.file or '(none: defaults)'}\n")
    for key, item in effective.items():
        sys.stdout.write(f"{key} = {json.dumps(item['value'], default=str)}    # {item['source']}\n")
    return EXIT_OK


# ----------------------------------------------------------------------------- docs


def _configure_docs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", default="docs/checks", help="directory for the generated rule reference")
    p.add_argument("--check", action="store_true", help="exit 1 if the generated files are not current")


def run_docs(args: argparse.Namespace) -> int:
    from .docgen import write_docs

    if not Path("docs").is_dir() and not Path(args.output).is_dir():
        raise UsageError(
            "`docs` regenerates the rule reference inside a backend-gates checkout (docs/checks); "
            "run it from the repository root, or read a rule's documentation with `backend-gates explain RULE`"
        )
    stale = write_docs(Path(args.output), check_only=args.check)
    if args.check and stale:
        sys.stderr.write("out of date: " + ", ".join(stale) + "\nrun `backend-gates docs` to regenerate\n")
        return EXIT_FINDINGS
    return EXIT_OK


BUILTIN = (
    Command("check", "check files and print findings tied to checklist gates", _configure_check, run_check),
    Command("rules", "list every rule: code, name, gate, severity, summary", _configure_rules, run_rules),
    Command("explain", "show one rule's documentation with examples", _configure_explain, run_explain),
    Command("config", "show the effective configuration and where each value comes from", _configure_config, run_config),
    Command("docs", "regenerate the rule reference in docs/checks", _configure_docs, run_docs),
)
for _builtin in BUILTIN:
    register(_builtin)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backend-gates",
        description="API, database and security checklists as checks that fail the build.",
    )
    parser.add_argument("--version", action="version", version=f"backend-gates {__version__}")
    add_global_options(parser)
    common = argparse.ArgumentParser(add_help=False)
    add_global_options(common, in_subcommand=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in REGISTRY.values():
        command.configure(sub.add_parser(command.name, help=command.help, description=command.help, parents=[common]))
    return parser


def add_global_options(p: argparse.ArgumentParser, *, in_subcommand: bool = False) -> None:
    """-v/-q/--color, accepted before or after the subcommand (`backend-gates check -v`).

    In a subcommand the defaults are SUPPRESS, so a flag given before the subcommand is kept.
    """
    unset = argparse.SUPPRESS
    p.add_argument("-v", "--verbose", action="count", default=unset if in_subcommand else 0,
                   help="-v: say what ran, from where and how fast; -vv: debug log (stderr)")
    p.add_argument("-q", "--quiet", action="count", default=unset if in_subcommand else 0,
                   help="-q: findings only (no gate table, summary or notes); -qq: nothing, only the exit status")
    p.add_argument("--color", choices=("auto", "always", "never"), default=unset if in_subcommand else "auto",
                   help="colour the text output (auto: on a terminal unless NO_COLOR is set)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Everything it prints goes through the redacting streams (the language
    server speaks JSON-RPC on stdout and redacts its messages itself).

    As the process's entry point (`argv` None: the `backend-gates` script, `python -m
    backend_gates`) it leaves without the interpreter's teardown, as mypy does: freeing every
    object a run made (trees, facts, findings, modules) took 0.1-0.2 s after a cold run of a
    45 k-line project. Exit handlers still run and the output is flushed; with other threads
    alive the process exits as usual."""
    code = _run(argv)
    if argv is None and threading.active_count() == 1:
        _leave(code)
    return code


def _leave(code: int) -> NoReturn:
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _run(argv: Sequence[str] | None) -> int:
    from .redact import RedactingStream

    streams = sys.stdout, sys.stderr
    raw_argv = list(sys.argv[1:] if argv is None else argv)
    if "lsp" not in raw_argv[:1]:
        for stream in streams:  # file names that are not UTF-8 print as \udcXX escapes, never crash
            if hasattr(stream, "reconfigure"):
                try:
                    stream.reconfigure(errors="backslashreplace")
                except (ValueError, OSError):
                    pass
        sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    try:
        return _main(raw_argv)
    except BrokenPipeError:
        return _closed_pipe()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            _closed_pipe()
        except (OSError, ValueError):
            pass
        sys.stdout, sys.stderr = streams


def _closed_pipe() -> int:
    """The reader went away (`backend-gates config | head -1`): stop quietly, as `cat` does."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except (OSError, ValueError):
        pass
    return EXIT_OK


def _main(argv: list[str]) -> int:
    if not argv or argv[0] not in {c.name for c in BUILTIN}:
        load_features()
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    run = REGISTRY[args.command].run
    try:
        return run(args)
    except BrokenPipeError:
        raise
    except ConfigError as exc:
        sys.stderr.write(f"backend-gates: config error: {exc}\n")
        return EXIT_USAGE
    except BackendGatesError as exc:
        sys.stderr.write(f"backend-gates: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # the file system said no: one line naming the file, no traceback
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        sys.stderr.write(f"backend-gates: error: {where}{exc.strerror or exc}\n")
        return EXIT_USAGE
    except Exception as exc:  # a bug of ours: say so, exit 2 (never 1, which means findings)
        import traceback

        if args.verbose:
            traceback.print_exc()
        sys.stderr.write(
            f"backend-gates: internal error: {type(exc).__name__}: {exc} (rerun with -v for the traceback, and please report it)\n"
        )
        return EXIT_USAGE


def _configure_logging(verbose: int, quiet: int = 0) -> None:
    """Diagnostics reach stderr only with -v (-v: this run's own, -vv: every library's debug log);
    otherwise nothing is logged there, not even a library's warnings (sqlglot's echo raw SQL)."""
    import logging

    if verbose > 1:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
        return
    if verbose:
        logging.basicConfig(level=logging.INFO, format="backend-gates: %(message)s")
        logging.getLogger().setLevel(logging.WARNING)  # -v is about this run, not every library's chatter
        logging.getLogger("backend_gates").setLevel(logging.INFO)
        return
    if quiet:
        logging.getLogger("backend_gates").setLevel(logging.ERROR)
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    for name in ("sqlglot", "openapi_spec_validator", "openapi_core", "jsonschema", "alembic", "urllib3"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
