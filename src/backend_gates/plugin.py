"""pytest plugin: `pytest --backend-gates`.

Hooks only; the work lives in engine.py and runtime/. Without the flag (or the `backend_gates`
ini key) the plugin registers nothing beyond its options. Our own errors never change the
outcome of the user's tests: they become a warning and a `not_evaluated` gate.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pytest

log = logging.getLogger(__name__)

PLUGIN_NAME = "backend_gates_plugin"


class BackendGatesWarning(UserWarning):
    """Something backend-gates could not do; the tests' outcome is unchanged."""


def warn(message: str) -> None:
    """Emit a BackendGatesWarning. Never raises, even when the user's filters turn warnings into
    errors (`-W error`, `filterwarnings = error`): the terminal summary still shows the message."""
    try:
        warnings.warn(BackendGatesWarning(message), stacklevel=2)
    except Exception:
        log.debug("warning not emitted (warnings are errors here): %s", message)


def pytest_addhooks(pluginmanager: Any) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("backend-gates", "backend-gates: checklist gates")
    group.addoption("--backend-gates", action="store_true", default=None, help="evaluate every checklist gate for this test run")
    group.addoption(
        "--backend-gates-enforce",
        action="store_true",
        default=None,
        help="fail the session (non-zero exit) when a gate fails",
    )
    group.addoption("--backend-gates-report", metavar="PATH", default=None, help="where to write the gate report (default .backend-gates/report.json; - for stdout)")
    group.addoption("--backend-gates-paths", metavar="PATHS", default=None, help="comma-separated paths for the static gates (default: config `paths`)")
    group.addoption("--backend-gates-config", metavar="FILE", default=None, help="read backend-gates settings from FILE")
    group.addoption("--backend-gates-diff", metavar="REF", default=None, help="report only findings on lines changed since git REF")
    group.addoption("--backend-gates-new-code", metavar="REF", default=None, help="gates fail only on findings in code new or changed since git REF (config new-code)")
    group.addoption("--backend-gates-write-baseline", metavar="FILE", default=None, help="record every finding of this run (static and runtime) in FILE")
    group.addoption("--backend-gates-html", metavar="PATH", default=None, help="also write the HTML gate report to PATH (config runtime.html)")
    group.addoption("--backend-gates-no-static", action="store_true", default=False, help="skip the static gates (runtime evidence only)")
    group.addoption("--backend-gates-cov", action="append", metavar="PKG", default=None, help="measure line coverage of PKG for M-COVERAGE when pytest-cov is not active (repeatable)")
    group.addoption(
        "--backend-gates-migrations", action="store_true", default=False,
        help="round-trip every migration (up, down, up) on a scratch database at session end (DSN: $BACKEND_GATES_ROUNDTRIP_DSN)",
    )
    group.addoption("--backend-gates-webhook", metavar="URL", default=None, help="POST the report event (JSON) to URL; failure is a warning")
    parser.addini("backend_gates", type="bool", default=False, help="evaluate checklist gates (same as --backend-gates)")
    parser.addini("backend_gates_enforce", type="bool", default=False, help="fail the session when a gate fails")
    parser.addini("backend_gates_report", default="", help="gate report path")
    parser.addini("backend_gates_paths", type="args", default=[], help="paths for the static gates")


VALUE_OPTIONS = (
    "--backend-gates-report", "--backend-gates-config", "--backend-gates-html", "--backend-gates-write-baseline",
    "--backend-gates-paths", "--backend-gates-diff", "--backend-gates-webhook", "--backend-gates-cov",
)


def _space_separated(args: list[str]) -> list[tuple[str, str]]:
    """(option, value) pairs of our options given as two words (`--backend-gates-report PATH`)."""
    out = []
    for i, arg in enumerate(args[:-1]):
        if arg in VALUE_OPTIONS:
            out.append((arg, args[i + 1]))
    return out


def check_root_detection(early_config: pytest.Config) -> None:
    """pytest picks its rootdir and ini file before plugins' options are known: the value of a
    space-separated option is then taken for a test path, and when it names an existing path
    outside the project (a report from the previous run) the rootdir and ini file move (with
    pytest-django: "settings are not configured"). Detect exactly that and stop with a clear
    message; `--option=VALUE` never has the problem."""
    import inspect
    import os
    import shlex

    args = shlex.split(os.environ.get("PYTEST_ADDOPTS", "")) + list(early_config.invocation_params.args)
    pairs = _space_separated([str(a) for a in args])
    if not pairs:
        return
    from _pytest.config.findpaths import determine_setup

    ns = early_config.known_args_namespace  # parsed again with our options known: true test paths
    offered = {
        "inifile": ns.inifilename, "override_ini": getattr(ns, "override_ini", None), "args": list(ns.file_or_dir),
        "rootdir_cmd_arg": ns.rootdir or None, "invocation_dir": early_config.invocation_params.dir,
    }
    accepted = inspect.signature(determine_setup).parameters
    expected = determine_setup(**{k: v for k, v in offered.items() if k in accepted})
    rootpath, inipath = expected[0], expected[1]
    if rootpath == early_config.rootpath and inipath == early_config.inipath:
        return
    option, value = pairs[0]
    raise pytest.UsageError(
        f"backend-gates: write {option}={value} (with '='): pytest chose its rootdir and ini file before "
        f"plugin options are known, took {value} for a test path and moved the rootdir from {rootpath} "
        f"to {early_config.rootpath} (ini file: {inipath or 'none'} -> {early_config.inipath or 'none'})"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Options that moved pytest's root detection are refused; M-COVERAGE: start coverage.py
    before conftests import the project (only when asked)."""
    try:
        check_root_detection(early_config)
    except pytest.UsageError:
        raise
    except Exception as exc:  # the check itself never breaks a run
        log.debug("root detection check failed: %s", exc, exc_info=True)
    try:
        from .runtime.covgate import early_start

        early_start(early_config)
    except Exception as exc:  # never break the run: M-COVERAGE says not_evaluated
        log.debug("early coverage start failed: %s", exc, exc_info=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backend_gates_expect_errors: responses with 5xx in this test are expected (excluded from M-ERRORS)")
    if config.getoption("backend_gates_migrations", False) and not hasattr(config, "workerinput"):
        from .migrations.pytest_plugin import MigrationsPlugin

        config.pluginmanager.register(MigrationsPlugin(config), "backend-gates-migrations")
    config.addinivalue_line(
        "markers",
        "backend_gates_allow_n_plus_one(reason): a known N+1 in this test is allowed (reported as suppressed; an unused allowance is a finding)",
    )
    enabled = config.getoption("backend_gates") or config.getini("backend_gates")
    if not enabled:
        return
    plugin = GatesPlugin(config)
    config.pluginmanager.register(plugin, PLUGIN_NAME)


class GatesPlugin:
    """Registered only when enabled. Collects runtime evidence, evaluates gates at session end."""

    def __init__(self, config: pytest.Config) -> None:
        self.pytest_config = config
        self.is_worker = hasattr(config, "workerinput")
        self.report: Any = None
        self.error: str | None = None
        self.settings: Any = None
        self.observers: list[Any] = []  # runtime/ observers (see runtime/__init__.py)
        self.observer_errors: dict[str, str] = {}
        self.sink_warnings: list[str] = []
        try:
            self.settings = self._load_settings()
        except Exception as exc:  # config errors: say so, never break the test run
            self.error = f"configuration: {exc}"
            warn(f"backend-gates: {self.error}")

    # ------------------------------------------------------------------ settings
    def _load_settings(self) -> Any:
        from .config import load_config

        opt = self.pytest_config.getoption
        overrides: dict[str, Any] = {}
        if opt("backend_gates_enforce") or self.pytest_config.getini("backend_gates_enforce"):
            overrides["enforce"] = True
        report = opt("backend_gates_report") or self.pytest_config.getini("backend_gates_report")
        if report:
            overrides["report"] = str(report)
        paths = opt("backend_gates_paths")
        if paths:
            overrides["paths"] = [p for p in paths.split(",") if p]
        elif self.pytest_config.getini("backend_gates_paths"):
            overrides["paths"] = list(self.pytest_config.getini("backend_gates_paths"))
        if opt("backend_gates_diff"):
            overrides["diff"] = str(opt("backend_gates_diff"))
        if opt("backend_gates_new_code"):
            overrides["new-code"] = str(opt("backend_gates_new_code"))
        if opt("backend_gates_write_baseline"):
            overrides["baseline"] = ""  # record everything, not only what is new
            overrides["diff"] = ""
        if opt("backend_gates_html"):
            overrides["runtime.html"] = str(opt("backend_gates_html"))
        config_file = opt("backend_gates_config")
        return load_config(
            Path(str(self.pytest_config.rootpath)),
            config_file=Path(config_file) if config_file else None,
            overrides=overrides,
        )

    # ------------------------------------------------------------------ observers
    def start_observers(self) -> None:
        import importlib

        from .runtime import OBSERVERS

        for spec in OBSERVERS:
            module_name, _, cls_name = spec.partition(":")
            try:
                observer = getattr(importlib.import_module(module_name), cls_name)()
                observer.start(self)
                self.observers.append(observer)
            except Exception as exc:  # an observer that cannot start costs its gates, not the run
                self.observer_errors[spec] = f"{type(exc).__name__}: {exc}"
                log.debug("observer %s failed to start", spec, exc_info=True)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.settings is not None:
            self.start_observers()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Any:
        from .runtime import CONTEXT

        CONTEXT.test = item.nodeid
        CONTEXT.markers = frozenset(m.name for m in item.iter_markers())
        CONTEXT.expect_errors = bool(CONTEXT.markers & {"xfail", "backend_gates_expect_errors"})
        self._notify("begin_test", item)
        try:
            yield
        finally:
            CONTEXT.test = None
            CONTEXT.phase = None

    def _notify(self, method: str, *args: Any) -> None:
        """Optional observer callbacks (begin_test(item), end_phase(item, phase)); errors are recorded."""
        for observer in self.observers:
            callback = getattr(observer, method, None)
            if callback is None:
                continue
            try:
                callback(*args)
            except Exception as exc:
                self.observer_errors[getattr(observer, "name", repr(observer))] = f"{method}: {exc}"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        from .runtime import CONTEXT

        CONTEXT.phase = "setup"
        yield
        self._notify("end_phase", item, "setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        from .runtime import CONTEXT

        CONTEXT.phase = "call"
        yield
        self._notify("end_phase", item, "call")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: Any) -> Any:
        from .runtime import CONTEXT

        CONTEXT.phase = "teardown"
        yield
        self._notify("end_phase", item, "teardown")

    def _stop_observers(self) -> None:
        for observer in self.observers:
            try:
                observer.stop()
            except Exception as exc:
                self.observer_errors[getattr(observer, "name", repr(observer))] = f"stop: {exc}"

    # xdist: workers send plain aggregates; the controller merges them before evaluating gates
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get("backend_gates", {})
        for observer in self.observers:
            part = data.get(getattr(observer, "name", ""))
            if part is None:
                continue
            try:
                observer.merge(part)
            except Exception as exc:
                self.observer_errors[observer.name] = f"merge: {exc}"

    # ------------------------------------------------------------------ hooks
    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        from .version import __version__

        if self.settings is None:
            return [f"backend-gates {__version__}: disabled by a configuration error: {self.error}"]
        s = self.settings
        where = f"{s.describe_file()} [tool.backend-gates]" if s.file else "no config file (defaults)"
        return [f"backend-gates {__version__}: config {where}; report {s['report']}; enforce {'on' if s['enforce'] else 'off'}"]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._stop_observers()
        if self.is_worker:
            workeroutput = getattr(self.pytest_config, "workeroutput", None)
            if workeroutput is not None:
                data = {}
                for observer in self.observers:
                    try:
                        data[observer.name] = observer.worker_data()
                    except Exception as exc:
                        data[observer.name] = {"error": str(exc)}
                workeroutput["backend_gates"] = data
            return
        try:
            with warnings.catch_warnings():
                # our dependencies' deprecations are not the user's; `filterwarnings = error`
                # must not turn them into a failed evaluation
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", PendingDeprecationWarning)
                self.report = self._evaluate()
        except Exception as exc:  # never let our failure change the tests' outcome
            log.debug("backend-gates failed", exc_info=True)
            self.error = f"internal error: {type(exc).__name__}: {exc}"
            warn(f"backend-gates: {self.error}")
            try:
                self.report = self._fallback_report(self.error)
            except Exception:  # pragma: no cover - last resort
                self.report = None
        if self.report is None:
            return
        baseline_file = self.pytest_config.getoption("backend_gates_write_baseline")
        if baseline_file and self.settings is not None:
            from .baseline import lines_from_disk, write

            target = Path(baseline_file)
            count = write(target if target.is_absolute() else self.settings.root / target, self.report.findings, lines_from_disk(self.settings.root))
            self.report.extra["baseline_written"] = {"file": str(baseline_file), "findings": count}
        try:
            self._write(self.report)
        except Exception as exc:
            self.error = f"cannot write the report: {exc}"
            warn(f"backend-gates: {self.error}")
        try:
            from .protocol.ready import publish

            for problem in publish(self, self.report):  # events.jsonl, api_ready hook, webhook
                self.sink_warnings.append(problem)
                warn(f"backend-gates: {problem}")
        except Exception as exc:  # a sink never changes the outcome
            self.sink_warnings.append(f"api_ready sinks: {exc}")
        try:
            from .runtime.sinks import emit

            for problem in emit(self, self.report):
                self.sink_warnings.append(problem)
                warn(f"backend-gates: {problem}")
        except Exception as exc:  # a sink never changes the outcome
            self.sink_warnings.append(f"report sinks: {exc}")
        enforce = self.settings is not None and self.settings["enforce"] and not baseline_file
        if enforce and any(g.status.value == "failed" for g in self.report.gates):
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.is_worker:
            return
        tr = terminalreporter
        tr.write_sep("=", "backend-gates")
        if self.report is None:
            tr.write_line(f"backend-gates did not run: {self.error or 'no report'}")
            return
        from .model import GateStatus

        marks = {
            GateStatus.PASSED: ("passed", {"green": True}),
            GateStatus.FAILED: ("FAILED", {"red": True, "bold": True}),
            GateStatus.WARNED: ("warned", {"yellow": True}),
            GateStatus.NOT_EVALUATED: ("not evaluated", {}),
        }
        width = max(len(g.id) for g in self.report.gates)
        for g in self.report.gates:
            label, markup = marks[g.status]
            count = f" ({g.findings})" if g.findings else ""
            tr.write(f"{g.id:<{width}}  ")
            tr.write(f"{label:<13}", **markup)
            tr.write_line(f"{count}  {g.reason}")
        failed = [g.id for g in self.report.gates if g.status is GateStatus.FAILED]
        where = self.settings["report"] if self.settings is not None else ".backend-gates/report.json"
        tr.write_line(f"gates failed: {', '.join(failed) or 'none'}; report: {'stdout' if where == '-' else where}")
        if self.report.endpoints:
            ready = self.report.extra.get("api_ready") or []
            names = ", ".join(f"{e['method']} {e['endpoint']}" for e in ready[:5]) + (" ..." if len(ready) > 5 else "")
            tr.write_line(f"backend.api.ready: {len(ready)} of {len(self.report.endpoints)} recorded endpoint(s){': ' + names if ready else ''} (.backend-gates/events.jsonl)")
        if failed and not (self.settings is not None and self.settings["enforce"]):
            tr.write_line("(not enforced: add --backend-gates-enforce to fail the session on failed gates)")
        written = self.report.extra.get("baseline_written")
        if written:
            tr.write_line(f"baseline: wrote {written['findings']} finding(s) to {written['file']}")
        unused = (self.report.extra.get("baseline") or {}).get("unused") or []
        if unused:
            one = len(unused) == 1
            tr.write_line(f"baseline: {len(unused)} entr{'y' if one else 'ies'} no longer occur{'s' if one else ''}; rewrite it to shrink it")
        if self.error:
            tr.write_line(f"backend-gates warning: {self.error}")
        for name, problem in sorted(self.observer_errors.items()):
            tr.write_line(f"backend-gates warning: runtime {name}: {problem}")
        for problem in self.sink_warnings:
            tr.write_line(f"backend-gates warning: {problem}")

    # ------------------------------------------------------------------ work
    def _evaluate(self) -> Any:
        """One run: static evidence, then each observer's evidence; `finish` scores the gates once."""
        from .engine import Run
        from .evidence import Evidence
        from .model import GateNote

        if self.settings is None:
            return self._fallback_report(self.error or "configuration error")
        run = Run(self.settings, mode="pytest")
        evidence: list[Evidence] = []
        absent = None
        if self.pytest_config.getoption("backend_gates_no_static"):
            absent = "static gates skipped (--backend-gates-no-static)"
        else:
            root = self.settings.root
            configured = [root / p for p in self.settings["paths"]]
            existing = [p for p in configured if p.exists()]
            # every configured path exists: the project's own files, discovered once
            evidence.append(run.static() if existing and existing == configured else run.static(existing or [root]))
        for observer in self.observers:
            try:
                if hasattr(observer, "recorded"):  # recorded evidence, judged by the runtime checks
                    endpoints = [e for earlier in evidence for e in earlier.endpoints]
                    part = run.runtime(observer.name, _recorded_of(observer, run.project, endpoints))
                else:  # an observer that judges itself hands over its evidence
                    part = _evidence_of(observer, self.settings, run.project)
            except Exception as exc:  # its gates become not_evaluated with the reason
                reason = f"runtime {observer.name}: internal error: {exc}"
                part = Evidence(f"runtime:{observer.name}", notes=tuple(GateNote(g, {}, reason) for g in getattr(observer, "gates", ())))
                warn(f"backend-gates: {observer.name}: {exc}")
            for message in part.warnings:
                warn(message)
            evidence.append(part)
        report = run.finish(*evidence, absent=absent)
        from .protocol.ready import apply as readiness

        outcomes = next((o.outcomes for o in self.observers if o.name == "outcomes"), None)
        readiness(report, run.project, outcomes)  # backend.api.ready: after the verdicts, from them and the outcomes
        return report

    def _fallback_report(self, reason: str) -> Any:
        """Every gate not_evaluated with the reason: honest, never passed."""
        from .event import empty_report

        return empty_report(str(self.pytest_config.rootpath), reason, mode="pytest")

    def _write(self, report: Any) -> None:
        from .event import to_event, write_event

        target = Path(self.settings["report"] if self.settings is not None else ".backend-gates/report.json")
        if str(target) == "-":  # the stdout sink: the event document, nothing written to disk
            import json
            import sys

            event = to_event(report)
            sys.stdout.write(json.dumps(event, indent=2, default=str) + "\n")
            sys.stdout.flush()
        else:
            if not target.is_absolute():
                base = self.settings.root if self.settings is not None else Path(str(self.pytest_config.rootpath))
                target = base / target
            event = write_event(report, target)
        html = self.settings["runtime.html"] if self.settings is not None else ""
        if html:
            from .html_report import write_html

            write_html(event, self.settings.root / html)


def _recorded_of(observer: Any, project: Any, endpoints: list[Any]) -> Any:
    """`observer.recorded()`, given what it names among `project` (the static run's facts: the
    replay observer pairs its replays with the route table's guards) and `endpoints` (the earlier
    observers' recorded endpoints: the outcomes observer reads which tests called which)."""
    import inspect

    available = {"project": project, "endpoints": endpoints}
    wanted = inspect.signature(observer.recorded).parameters
    return observer.recorded(**{name: value for name, value in available.items() if name in wanted})


def _evidence_of(observer: Any, settings: Any, project: Any) -> Any:
    """`observer.evidence(settings)`, or `(settings, project)` for observers that read the facts."""
    import inspect

    if len(inspect.signature(observer.evidence).parameters) >= 2:
        return observer.evidence(settings, project)
    return observer.evidence(settings)
