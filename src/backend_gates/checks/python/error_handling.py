"""AP-ERROR-HANDLING: exception handlers that hide failures."""

from __future__ import annotations

from typing import Any, Sequence

import libcst as cst

from ...model import Severity
from ..base import Bad, PythonCheck
from . import _sensitive as S
from ._names import Imports, dotted, has_star_kwargs, is_none, keyword, positional
from ._cst import children as _fast_children
from ...patterns import lazy

BROAD = frozenset({"Exception", "BaseException"})


def _is_reraise(body: cst.BaseSuite) -> bool:
    """The handler ends by re-raising (bare `raise` or `raise X from e`)."""
    statements = getattr(body, "body", ())
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, cst.Raise) for s in last.body)
    return False


def _only_passes(body: cst.BaseSuite) -> bool:
    statements = getattr(body, "body", ())
    if not statements:
        return False
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, (cst.Pass, cst.Continue)):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString)):
                continue
            return False
    return True


_CLEANUP = frozenset(
    {"close", "aclose", "shutdown", "disconnect", "quit", "logout", "release", "cancel", "terminate", "kill", "unlink",
     "remove", "rmtree", "rmdir", "rollback", "stop", "join", "flush", "dispose", "cleanup", "clear", "delete_file"}
)


def _cleanup_only(body: cst.BaseSuite) -> bool:
    """The try body only releases resources (`conn.close()`, `os.remove(tmp)`, `tx.rollback()`):
    best-effort cleanup, usually on an error path that already reported the real failure."""
    statements = getattr(body, "body", ())
    if not statements:
        return False
    calls = 0
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                continue  # `from app import server; server.stop()`: the thing to release, imported late
            calls += 1
            value = small.value if isinstance(small, cst.Expr) else None
            if isinstance(value, cst.Await):
                value = value.expression
            if not isinstance(value, cst.Call):
                return False
            func = value.func
            leaf = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if leaf not in _CLEANUP:
                return False
    return calls > 0


def _type_names(node: cst.BaseExpression | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Attribute):
        return [node.attr.value]
    if isinstance(node, cst.Tuple):
        out: list[str] = []
        for element in node.elements:
            out.extend(_type_names(element.value))
        return out
    return []


class BareExcept(S.SecurityRule, PythonCheck):
    """A bare `except:` catches everything, including KeyboardInterrupt and SystemExit.

    Why it matters: it hides real failures (and cancellation) behind whatever the handler does,
    so errors surface far from their cause or never. Catch the exceptions you expect.
    Known limits: a bare `except:` that ends in a bare `raise` (cleanup, then re-raise) is allowed.
    """

    code = "BG401"
    name = "bare-except"
    gate = "AP-ERROR-HANDLING"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ("ruff:E722", "ruff:S110", "ruff:S112", "pylint:bare-except", "bandit:B110", "bandit:B112", "sonar:S5754", "pylint:W0702")
    message = "bare `except:` catches every exception, including KeyboardInterrupt; name the exceptions you expect"
    fix = "catch specific exceptions, e.g. `except (ValueError, KeyError):`, and log or re-raise"
    skip_tests = True  # a test that tolerates a failure is not production error handling
    dev_code_is_info = True
    triggers = ("except",)

    good = [
        "try:\n    load()\nexcept ValueError:\n    log.warning('bad input')\n",
        "try:\n    load()\nexcept:\n    cleanup()\n    raise\n",
    ]
    bad = [Bad("try:\n    load()\nexcept:\n    log.warning('failed')\n", line=3)]

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None and not _is_reraise(node.body):
            self.report(node)


class SwallowedException(S.SecurityRule, PythonCheck):
    """A broad exception handler (`Exception`, `BaseException`) whose body only passes, or `with contextlib.suppress(Exception):`.

    Why it matters: the failure disappears: no log line, no error response, no metric. Handle it,
    log it, or let it propagate. Narrow handlers (`except KeyError: pass`, `suppress(KeyError)`)
    are a normal idiom and are not reported; best-effort cleanup (`try: conn.close() except
    Exception: pass`), which usually runs on an error path that reported the real failure, is info,
    and so is any such handler directly in `__del__` (a finalizer must not raise).
    """

    code = "BG402"
    name = "swallowed-exception"
    gate = "AP-ERROR-HANDLING"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ("bandit:B110", "bandit:B112", "ruff:S110", "ruff:S112", "ruff:BLE001", "pylint:broad-exception-caught", "sonar:S2486", "sonar:S5754")
    message = "`{caught}` swallows the error with `{body}`; log it, handle it or re-raise"
    fix = "log the exception (`log.exception(...)`) or re-raise it"
    skip_tests = True  # a test that tolerates a failure is not production error handling
    dev_code_is_info = True
    triggers = ("except", "suppress")

    good = [
        "try:\n    cache.delete(key)\nexcept KeyError:\n    pass\n",
        "from contextlib import suppress\n\nwith suppress(FileNotFoundError):\n    os.remove(path)\n",
        "try:\n    send()\nexcept Exception:\n    log.exception('send failed')\n",
    ]
    bad = [
        Bad("try:\n    send()\nexcept Exception:\n    pass\n", line=3),
        Bad("for item in items:\n    try:\n        send(item)\n    except BaseException as exc:\n        continue\n", line=4),
        Bad("from contextlib import suppress\n\nwith suppress(Exception):\n    send()\n", line=3),
        # best-effort cleanup on an error path: reported as info
        Bad(
            "def save(conn, row):\n    try:\n        conn.insert(row)\n    except Exception:\n        log.exception('insert failed')\n"
            "        try:\n            conn.close()\n        except Exception:\n            pass\n",
            line=8,
        ),
        Bad(
            "class Pool:\n    def __del__(self):\n        try:\n            self.release_all()\n        except Exception:\n            pass\n",
            line=5,
            severity=Severity.INFO,
        ),
        Bad(
            "import sys\n\ndef on_interrupt(signum, frame):\n    try:\n        from app import server\n        server.stop()\n"
            "    except Exception:\n        pass\n    sys.exit(0)\n",
            line=7,
            severity=Severity.INFO,
        ),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.tries: list[cst.Try] = []
        self.functions: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Try(self, node: cst.Try) -> None:
        self.tries.append(node)

    def leave_Try(self, node: cst.Try) -> None:
        self.tries.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        names = _type_names(node.type)
        broad = [n for n in names if n in BROAD]
        parent_try = self.tries[-1] if self.tries else None
        cleanup = parent_try is not None and _cleanup_only(parent_try.body)
        # a finalizer must not raise (Python only prints "Exception ignored in __del__"): the idiom
        cleanup = cleanup or bool(self.functions and self.functions[-1] == "__del__")
        if broad and _only_passes(node.body):
            stmt = node.body.body[0]
            small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and stmt.body else None
            body = "continue" if isinstance(small, cst.Continue) else "pass"
            # best-effort cleanup (`conn.close()`) is the idiom: a note, not a defect
            self.report(node, caught=f"except {broad[0]}", body=body, confidence="low" if cleanup else None)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            call = item.item
            if isinstance(call, cst.Call) and (dotted(call.func) or "").rsplit(".", 1)[-1] == "suppress":
                broad = [n for a in call.args for n in _type_names(a.value) if n in BROAD]
                if broad:
                    self.report(node, caught=f"suppress({broad[0]})", body="with")
                    return


# ----------------------------------------------------------------------------- BG403

# method names that report an error whatever the receiver (log.error, messages.error, ...)
_REPORTING_ANY = frozenset(
    {
        "exception", "error", "critical", "fatal", "warning", "warn",
        "print_exc", "print_exception", "format_exc", "exc_info", "print_stack",
        "capture_exception", "capture_message", "captureException", "captureMessage",
        "record_exception", "set_exception", "notify", "abort", "exit", "_exit", "fail",
        "flash", "print",
    }
)
# method names that log only when the receiver looks like a logger (log.info, self.logger.debug)
_REPORTING_LOGGER = frozenset({"info", "debug", "log", "msg", "write"})
# method names that count the failure in a metric when the receiver looks like a metrics client
# (metrics.send("x.error", "counter", 1), statsd.incr(...)): operators see it
_REPORTING_METRIC = frozenset({"send", "incr", "increment", "inc", "count", "counter", "gauge", "timing", "histogram"})


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    return [c for c in _fast_children(node) if not isinstance(c, (cst.FunctionDef, cst.ClassDef, cst.Lambda))]


def _handles(handler: cst.ExceptHandler) -> bool:
    """The handler body raises, returns a value, logs/reports, exits, or uses the exception."""
    bound = handler.name.name.value if handler.name and isinstance(handler.name.name, cst.Name) else None
    stack: list[cst.CSTNode] = list(_children(handler.body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Return) and node.value is not None and not (
            isinstance(node.value, cst.Name) and node.value.value == "None"
        ):
            return True
        if bound and isinstance(node, cst.Name) and node.value == bound:
            return True
        if isinstance(node, cst.Call):
            func = node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if last in _REPORTING_ANY:
                return True
            if last in _REPORTING_LOGGER and isinstance(func, cst.Attribute):
                receiver = (dotted(func.value) or "").lower()
                if "log" in receiver or "stderr" in receiver or receiver in ("structlog", "sentry_sdk"):
                    return True
            if last in _REPORTING_METRIC and isinstance(func, cst.Attribute):
                receiver = (dotted(func.value) or "").lower().rsplit(".", 1)[-1]
                if "metric" in receiver or "stats" in receiver or receiver in ("prometheus", "datadog", "dogstatsd"):
                    return True
        stack.extend(_children(node))
    return False


_ERROR_COLLECTION = lazy(r"(?i)(^|_)(errors?|failures?|failed|problems?|issues?|invalid|warnings?|skipped|rejected|bad)(_|$)")
_PARSE_CALLS = frozenset(
    {
        "int", "float", "Decimal", "UUID", "complex", "bool", "loads", "load", "literal_eval", "strptime",
        "fromisoformat", "fromtimestamp", "b64decode", "urlsafe_b64decode", "unhexlify", "decode", "parse",
        "fromstring", "parseString", "BeautifulSoup", "XML", "HTML", "parse_xml", "parse_html",
        "str", "repr", "format", "isoformat", "strftime", "dumps",
        "parse_obj", "model_validate", "model_validate_json", "validate", "full_clean", "clean", "from_global_id",
        "to_python", "import_string", "import_module", "ip_address", "ip_network", "urlparse", "urlsplit",
        "Version", "parse_version", "getaddrinfo", "convert", "coerce", "deserialize", "unpack", "loads_json",
        "unserialize", "unsign", "unsign_object", "loads_unsafe", "unpickle", "verify", "get_object",
        # regular-expression extraction: `re.match(...).groups()[0]` fails on text that does not match
        "match", "fullmatch", "search", "findall", "groups", "group", "groupdict", "parse_qs", "parse_qsl", "json_loads",
    }
)
# calls that cannot fail for reasons other than the data's shape (used by `_extracts`)
_PURE_CALLS = frozenset({"str", "len", "get", "round", "abs", "min", "max", "sum", "lower", "upper", "strip"})


def _extracts(body: cst.BaseSuite) -> bool:
    """The try body only reads nested data (`d["a"]["b"] + d["c"]`, `obj.x.y`), with parse calls at
    most: a KeyError/TypeError/IndexError on data of an unexpected shape is the failure expected."""
    subscripts = 0
    stack: list[cst.CSTNode] = list(_children(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.If, cst.For, cst.While, cst.With, cst.Try)):
            return False
        if isinstance(node, cst.Subscript):
            subscripts += 1
        if isinstance(node, cst.Call):
            func = node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if last not in _PARSE_CALLS and last not in _PURE_CALLS:
                return False
        stack.extend(_children(node))
    return subscripts > 0


def _collects_error(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """The handler records the failure where the caller looks for it: `errors.append(...)`,
    `self.add_error(...)`, `errors[field] = ...`, `invalid.add(x)`."""
    stack: list[cst.CSTNode] = list(_children(handler.body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            receiver = dotted(node.func.value) or ""
            if method in ("add_error", "add_errors", "set_error", "mark_failed", "fail_json"):
                return True
            if method in ("append", "add", "extend", "update", "setdefault", "put") and _ERROR_COLLECTION.search(receiver.rsplit(".", 1)[-1]):
                return True
        if isinstance(node, cst.Assign) and _constant(node.value) and any(isinstance(t.target, cst.Attribute) for t in node.targets):
            return True  # `theme.loads = False`: the failure is recorded as the object's state
        if isinstance(node, (cst.Assign, cst.AugAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for t in targets:
                base = t.value if isinstance(t, cst.Subscript) else t
                if _ERROR_COLLECTION.search((dotted(base) or "").rsplit(".", 1)[-1]):
                    return True
        stack.extend(_children(node))
    return False


def _parses(body: cst.BaseSuite) -> bool:
    """The try body converts or parses input (`int(x)`, `json.loads(s)`, `UUID(v)`, `parse(...)`).

    A project function only named like a parser (`parse_...`, `load_...`, `to_...`) counts when
    the body calls nothing else: `load_config(text)` reads input, but `jsonify(load_item(id))`
    is a lookup and a response, whose failures are not the expected one."""
    by_name = False
    other = False
    stack: list[cst.CSTNode] = list(_children(body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            func = node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if last in _PARSE_CALLS:
                return True
            if last.startswith(("parse_", "decode_", "to_", "from_", "load_", "validate_", "deserialize")):
                by_name = True
            elif last not in _PURE_CALLS:
                other = True
        stack.extend(_children(node))
    return by_name and not other


def _sentinel(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """The handler only gives a sentinel result: `return None`/`False`/`""`, `value = None`."""
    statements = getattr(handler.body, "body", ())
    if not statements or len(statements) > 2:
        return False
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Return) and (small.value is None or _constant(small.value)):
                continue
            if isinstance(small, cst.Assign) and _constant(small.value):
                continue
            return False
    return True


def _constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("None", "False", "True")
    return isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(node, (cst.List, cst.Dict, cst.Tuple)) and not getattr(node, "elements", ())
    ) or (isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float)))


def _raises_on_sentinel(handler: cst.ExceptHandler | cst.ExceptStarHandler, after: cst.BaseStatement | None) -> bool:
    """The statement right after the `try` tests the name the handler set to a sentinel and raises
    (`if not user: raise ...`, `if user is None: raise ...`): the failure becomes an error there."""
    if not isinstance(after, cst.If):
        return False
    names = {
        t.target.value
        for stmt in getattr(handler.body, "body", ())
        for small in getattr(stmt, "body", ())
        if isinstance(small, cst.Assign)
        for t in small.targets
        if isinstance(t.target, cst.Name)
    }
    test = after.test
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, (cst.Is, cst.Equal)):
        test = test.left
    if not (isinstance(test, cst.Name) and test.value in names):
        return False
    return any(isinstance(node, cst.Raise) for node in _children(after.body) for node in [node, *_children(node)])


# calls that cannot fail on their own (type and size tests)
_SAFE_TESTS = frozenset({"isinstance", "issubclass", "hasattr", "callable", "len", "type", "bool", "id"})


def _raises_itself(body: cst.BaseSuite) -> bool:
    """The try body can only fail by its own `raise` (`if not isinstance(x, dict): raise
    Exception`): the handler is the branch that raise jumps to, not a failure swallowed."""
    raised = False
    stack: list[cst.CSTNode] = list(_children(body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Raise):
            raised = True
            continue  # the exception it builds is the signal itself
        if isinstance(node, (cst.Subscript, cst.Await, cst.Yield, cst.With, cst.For, cst.While, cst.Try, cst.Import, cst.ImportFrom)):
            return False
        if isinstance(node, cst.Call):
            func = node.func
            if not (isinstance(func, cst.Name) and func.value in _SAFE_TESTS):
                return False
        if isinstance(node, cst.Attribute):
            return False  # an attribute read can raise (a property, a missing attribute)
        stack.extend(_children(node))
    return raised


def _only_imports(body: cst.BaseSuite) -> bool:
    statements = getattr(body, "body", ())
    return bool(statements) and all(
        isinstance(s, cst.SimpleStatementLine) and all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body)
        for s in statements
    )


def _probes_import(body: cst.BaseSuite) -> bool:
    """The try body imports something and reads a value from it (`from importlib.metadata import
    version; VERSION = version(__name__)`): probing an optional feature at import time."""
    statements = getattr(body, "body", ())
    imports = 0
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                imports += 1
            elif isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None and _imports_dynamically(small.value):
                imports += 1  # `VERSION = __import__("pkg_resources").get_distribution(__name__).version`
            elif not isinstance(small, (cst.Assign, cst.AnnAssign)):
                return False
    return imports > 0


def _imports_dynamically(node: cst.BaseExpression) -> bool:
    """The expression imports a module on the fly: `__import__(...)`, `importlib.import_module(...)`."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Call) and (dotted(item.func) or "").rsplit(".", 1)[-1] in ("__import__", "import_module"):
            return True
        stack.extend(_children(item))
    return False


class BroadExceptUnhandled(S.SecurityRule, PythonCheck):
    """A broad `except Exception` that neither logs, re-raises, reports nor returns an error.

    Why it matters: the handler turns every failure (a bug, a timeout, a full disk) into normal
    control flow with no trace: no log line, no error response, no metric. Callers and operators
    never learn that something went wrong.

    What counts as handling: a `raise` anywhere in the handler; `return` of a value other than
    `None` (an error response, a fallback result the caller can see); a call that logs or reports
    (`log.exception/error/warning`, `logger.info/debug` on a receiver whose name contains `log`,
    `traceback.print_exc`, `sentry_sdk.capture_exception`, `abort()`, `sys.exit()`, `print()`,
    `flash()`, `messages.error()`, `sys.stderr.write`, a counter on a metrics client such as
    `metrics.send("x.error", "counter", 1)` or `statsd.incr(...)`); or any use of the bound exception
    (`except Exception as exc: errors.append(exc)`), which hands it on.

    Also handled: a handler that records the failure where the caller looks for it
    (`errors.append(...)`, `self.add_error(...)`, `errors[field] = ...`, a status flag on an object
    such as `theme.loads = False`), and a handler that gives a
    sentinel (`return None`, `value = None`) when the `try` body parses or converts input
    (`int(x)`, `json.loads(s)`, `UUID(v)`; a project `parse_...()`/`load_...()` only when the body
    calls nothing else): an expected parse failure; and a handler
    that a `try` body jumps to with its own `raise`, when nothing else in that body can fail (type
    and size tests, assignments of names): a branch written as an exception, not a lost failure.

    Known limits: handlers that only `pass`/`continue` are BG402's, bare `except:` is BG401's;
    a `try` whose body only imports (optional-dependency fallbacks) and test files are not
    checked. A helper call that logs internally is not recognised unless its name says so.
    """

    code = "BG403"
    name = "broad-except-unhandled"
    gate = "AP-ERROR-HANDLING"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ("ruff:BLE001", "pylint:broad-exception-caught", "pylint:broad-except", "sonar:S2486", "pylint:W0718")
    message = "`except {caught}` neither logs, re-raises nor returns an error; the failure disappears"
    fix = "catch the exceptions you expect, or log it (`log.exception(...)`) / re-raise / return an error response"
    dev_code_is_info = True
    triggers = ("Exception",)
    skip_tests = True

    good = [
        "try:\n    send()\nexcept Exception:\n    log.exception('send failed')\n    retry_later()\n",
        "try:\n    data = fetch()\nexcept Exception as exc:\n    data = {'error': str(exc)}\n",
        "def view():\n    try:\n        data = fetch()\n    except Exception:\n        return JSONResponse({'error': 'upstream'}, status_code=502)\n",
        "try:\n    import ujson as json\nexcept Exception:\n    json = None\n",
        "try:\n    VERSION = __import__('pkg_resources').get_distribution(__name__).version\nexcept Exception:\n    VERSION = 'unknown'\n",
        "def delete(path):\n    try:\n        remove(path)\n    except Exception:\n        metrics.send('delete.error', 'counter', 1)\n        return\n",
        "try:\n    cache.get(key)\nexcept KeyError:\n    value = None\n",
        "def clean(self, data, errors):\n    for field in data:\n        try:\n            check(field)\n        except Exception:\n            errors.append(field)\n",
        "def to_int(value):\n    try:\n        return int(value)\n    except Exception:\n        return None\n",
        "def settings(text):\n    try:\n        conf = load_settings(text)\n    except Exception:\n        conf = None\n    return conf\n",
        "import re\n\ndef pr_number(subject):\n    try:\n        number = re.match(r'#(\\d+)', subject).groups()[0]\n    except Exception:\n        number = ''\n    return number\n",
        "def scanned(stats):\n    try:\n        total = stats['cache']['hits'] + stats['cache']['misses']\n    except Exception:\n        total = 0\n    return total\n",
        "import json\nfrom urllib.parse import parse_qs\n\ndef params(query):\n    try:\n        out = json.loads(query)\n"
        "    except Exception:\n        out = {k: v[0] for k, v in parse_qs(query).items()}\n    return out\n",
        "def get_user(payload):\n    try:\n        user = lookup(payload)\n    except Exception:\n        user = None\n"
        "    if not user:\n        raise PermissionError('invalid token')\n    return user\n",
        "import json\n\ndef as_data(result):\n    ret = None\n    try:\n        if isinstance(result, (dict, list)):\n            ret = result\n"
        "        elif result is not None:\n            raise Exception\n    except Exception:\n        ret = convert(result)\n    return ret\n",
    ]
    bad = [
        Bad("try:\n    data = fetch()\nexcept Exception:\n    data = {}\n", line=3),
        Bad("def load():\n    try:\n        return fetch()\n    except (ValueError, Exception):\n        cleanup()\n        return None\n", line=4),
        Bad("def user(request):\n    try:\n        token = request.headers['X-Token']\n        found = db.lookup(token)\n    except Exception:\n        found = None\n    return found\n", line=5),
        Bad("def total(order):\n    try:\n        if order.lines is None:\n            raise Exception\n        n = len(order.lines)\n    except Exception:\n        n = 0\n    return n\n", line=6),
        Bad("def item(item_id):\n    try:\n        return jsonify(load_item(item_id))\n    except Exception:\n        return None\n", line=4),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.following: dict[int, cst.BaseStatement] = {}  # id(statement) -> the statement after it

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._siblings(node.body)

    def visit_Module(self, node: cst.Module) -> None:
        self._siblings(node.body)

    def _siblings(self, body: Sequence[cst.BaseStatement]) -> None:
        for before, after in zip(body, body[1:]):
            if isinstance(before, (cst.Try, cst.TryStar)):
                self.following[id(before)] = after

    def visit_Try(self, node: cst.Try) -> None:
        self._check(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._check(node)

    def _check(self, node: cst.Try | cst.TryStar) -> None:
        if _only_imports(node.body):
            return
        for handler in node.handlers:
            broad = [n for n in _type_names(handler.type) if n in BROAD]
            if not broad or _only_passes(handler.body) or _handles(handler):  # type: ignore[arg-type]
                continue
            if _collects_error(handler) or (_sentinel(handler) and (_parses(node.body) or _extracts(node.body) or _probes_import(node.body))):
                continue
            if _sentinel(handler) and _raises_on_sentinel(handler, self.following.get(id(node))):
                continue  # `user = None`, then `if not user: raise ValidationError(...)`
            if _parses(node.body) and _parses(handler.body):
                continue  # another way to read the same input (`json.loads(q)`, else `parse_qs(q)`)
            if _raises_itself(node.body):
                continue  # the body's own `raise` jumps to this handler: a branch, not a lost failure
            self.report(handler, caught=broad[0])


# ----------------------------------------------------------------------------- BG404

_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_REQUESTS_FUNCS = frozenset(f"requests.{m}" for m in _HTTP_METHODS) | frozenset(
    f"requests.api.{m}" for m in _HTTP_METHODS
)
_REQUESTS_SESSIONS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session"})
_HTTPX_CALLS = frozenset(f"httpx.{m}" for m in (*_HTTP_METHODS, "stream")) | frozenset(
    {"httpx.Client", "httpx.AsyncClient"}
)


_SOCKET_DEFAULT = frozenset(
    {
        "http.client.HTTPConnection", "http.client.HTTPSConnection", "urllib3.PoolManager",
        "urllib3.connection_from_url", "urllib3.HTTPConnectionPool", "urllib3.HTTPSConnectionPool",
        "urllib3.request",
    }
)


_MOUNTED = lazy(r"([A-Za-z_][\w.]*)\.mount\(\s*[^,()]+,\s*([A-Za-z_][\w.]*)\(")
_WRAPPED_REQUEST = lazy(r"(?m)^\s*([A-Za-z_][\w.]*)\.request\s*=\s*\S")


def _no_timeout(node: cst.BaseExpression) -> bool:
    """`None`, `httpx.Timeout(None)`, `aiohttp.ClientTimeout()` / `ClientTimeout(total=None)`: no limit."""
    if is_none(node):
        return True
    if not isinstance(node, cst.Call):
        return False
    leaf = (dotted(node.func) or "").rsplit(".", 1)[-1]
    if leaf == "Timeout":  # httpx: the first argument is the default for all four limits
        return len(node.args) == 1 and node.args[0].keyword is None and is_none(node.args[0].value)
    if leaf == "ClientTimeout":  # aiohttp: every limit defaults to None
        return all(arg.keyword is not None and is_none(arg.value) for arg in node.args)
    return False


def _none_text(node: cst.BaseExpression) -> str:
    return "`timeout=None`" if is_none(node) else f"`timeout={dotted(node.func) if isinstance(node, cst.Call) else ''}(...)` without limits"


# request methods of aiohttp sessions and urllib3 pools, which take a per-call `timeout=`
_POOL_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "urlopen", "ws_connect", "request_encode_url", "request_encode_body"})


def _target_key(node: cst.BaseExpression) -> str | None:
    return dotted(node)


class HttpCallWithoutTimeout(S.SecurityRule, PythonCheck):
    """An outbound HTTP call that can wait forever: no timeout, or `timeout=None`.

    Why it matters: a slow or dead peer holds the request (and the worker or thread serving it)
    until the client gives up; without a timeout it never does, and the service stalls.

    What each library does: `requests` (module functions and `Session` methods) has no default
    timeout, so a call without `timeout=` is reported; `urllib.request.urlopen` without a timeout
    uses the global socket default (none). `httpx` has a default timeout of 5 seconds, so httpx
    calls and `httpx.Client`/`AsyncClient` are reported only when they pass `timeout=None`.
    `requests.Session.send(prepared)` takes the timeout per call too. `aiohttp.ClientSession()`
    without `timeout=` waits up to 5 minutes per request (its default), which holds a worker as
    surely as no timeout: it is reported. `http.client.HTTPConnection`/`HTTPSConnection` and
    `urllib3.PoolManager`/`connection_from_url` without a timeout use the socket default (none).
    A timeout object without limits counts as `timeout=None`: `httpx.Timeout(None)`,
    `aiohttp.ClientTimeout()` (every limit defaults to none) or `ClientTimeout(total=None)`.
    An aiohttp session or urllib3 pool bound to a name (`async with aiohttp.ClientSession() as
    s:`, `pool = urllib3.PoolManager()`) whose every request in the file passes `timeout=`
    (`s.get(url, timeout=5)`) has its timeout per call and is not reported.

    Known limits: sessions are recognised when created in the same file with `requests.Session()`
    (variable, `self.x` attribute or `with ... as s`); subclasses and sessions passed in are not
    followed. Calls that pass `**kwargs` are assumed to carry a timeout. A session given a
    project adapter (`s.mount("https://", TimeoutAdapter())`) or a wrapped `request`
    (`s.request = partial(s.request, timeout=5)`) is assumed to set its timeout there; a plain
    `HTTPAdapter(max_retries=...)` sets none, and its session is still checked. Test files are skipped.
    """

    code = "BG404"
    name = "http-call-without-timeout"
    gate = "AP-ERROR-HANDLING"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ("bandit:B113", "ruff:S113", "semgrep:request-without-timeout", "pylint:W3101", "pylint:missing-timeout")
    message = "`{call}(...)` {problem}; pass `timeout=` so a slow peer cannot hang this worker"
    fix = "pass a timeout, e.g. `requests.get(url, timeout=(3.05, 10))`"
    dev_code_is_info = True
    triggers = ("requests", "httpx", "urlopen", "aiohttp", "http.client", "HTTPConnection", "HTTPSConnection", "urllib3")
    skip_tests = True

    good = [
        "import requests\nrequests.get('https://api.example.com/x', timeout=5)\n",
        "import requests\ns = requests.Session()\ns.post(url, json=data, timeout=10)\n",
        "import httpx\nhttpx.get(url)\n",
        "import requests\ndef call(**kw):\n    return requests.get(url, **kw)\n",
        "session = make_session()\nsession.get(url)\n",
        "import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))\n",
        "import httpx\nclient = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))\n",
        "import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=30))\n",
        "import aiohttp\n\nasync def fetch(url):\n    async with aiohttp.ClientSession() as s:\n        async with s.get(url, timeout=5) as r:\n"
        "            return await r.text()\n",
        "import urllib3\n\nhttp = urllib3.PoolManager()\n\ndef fetch(url):\n    return http.request('GET', url, timeout=3.0)\n",
        "import http.client\nconn = http.client.HTTPSConnection('api.example.com', timeout=10)\n",
        "import requests\nfrom .http import TimeoutAdapter\n\nsession = requests.Session()\nsession.mount('https://', TimeoutAdapter(timeout=10))\n\n"
        "def sync():\n    return session.get('https://partner.example/sync')\n",
    ]
    bad = [
        Bad("import requests\nrequests.get('https://api.example.com/x')\n", line=2),
        Bad("import requests as rq\n\nresp = rq.post(url, json={})\n", line=3),
        Bad("import requests\n\nclass Api:\n    def __init__(self):\n        self.http = requests.Session()\n\n    def fetch(self):\n        return self.http.get(self.url)\n", line=8),
        Bad("from urllib.request import urlopen\nbody = urlopen(url).read()\n", line=2),
        Bad("import requests\nbody = requests.Session().get(url).text\n", line=2),
        Bad("import httpx\nclient = httpx.Client(timeout=None)\n", line=2),
        Bad("import requests\n\ndef call(req):\n    s = requests.Session()\n    return s.send(req.prepare())\n", line=5),
        Bad("import aiohttp\n\nasync def fetch(url):\n    async with aiohttp.ClientSession() as session:\n        return await session.get(url)\n", line=4),
        Bad("import httpx\n\ndef client():\n    return httpx.AsyncClient(timeout=httpx.Timeout(None))\n", line=4),
        Bad("import aiohttp\n\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout())\n", line=3),
        Bad("import aiohttp\n\nasync def fetch(url):\n    async with aiohttp.ClientSession() as s:\n        await s.post(url, timeout=5)\n"
            "        return await s.get(url)\n", line=4),
        Bad("import http.client\n\nconn = http.client.HTTPSConnection('api.example.com')\n", line=3),
        Bad("import requests\nfrom requests.adapters import HTTPAdapter\n\nsession = requests.Session()\nsession.mount('https://', HTTPAdapter(max_retries=3))\n"
            "resp = session.get('https://partner.example/sync')\n", line=6),
    ]

    def __init__(self, ctx, options):  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self.imports = Imports()
        self.sessions: set[str] = set()
        # sessions given a project adapter (`s.mount("https://", TimeoutAdapter())`) or a wrapped
        # `request` (`s.request = partial(s.request, timeout=5)`): the transport sets the timeout
        source = getattr(ctx, "source", "") or ""
        self.configured: set[str] = set()
        if ".mount(" in source:  # both patterns need their literal text: skip the scans without it
            self.configured |= {m.group(1) for m in _MOUNTED.finditer(source) if m.group(2).rsplit(".", 1)[-1] != "HTTPAdapter"}
        if ".request" in source:
            self.configured |= {m.group(1) for m in _WRAPPED_REQUEST.finditer(source)}
        # pools and sessions without a timeout of their own (aiohttp, urllib3): the name they are
        # bound to, and whether each request made through a name passes `timeout=`
        self.bound: dict[int, str] = {}  # id(constructor call) -> variable
        self.pool_calls: dict[str, list[bool]] = {}
        self.pending: list[tuple[cst.Call, str, str]] = []  # constructor, qualified name, problem

    def visit_Import(self, node: cst.Import) -> None:
        self.imports.visit_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.visit_import_from(node)

    def _is_session_ctor(self, value: cst.BaseExpression | None) -> bool:
        return isinstance(value, cst.Call) and self.imports.resolve(value.func) in _REQUESTS_SESSIONS

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._is_session_ctor(node.value):
            for target in node.targets:
                key = _target_key(target.target)
                if key:
                    self.sessions.add(key)
        elif isinstance(node.value, cst.Call) and len(node.targets) == 1:
            key = _target_key(node.targets[0].target)
            if key:
                self.bound[id(node.value)] = key

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._is_session_ctor(node.value):
            key = _target_key(node.target)
            if key:
                self.sessions.add(key)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if self._is_session_ctor(node.item) and node.asname is not None:
            key = _target_key(node.asname.name)
            if key:
                self.sessions.add(key)
        elif isinstance(node.item, cst.Call) and node.asname is not None:
            key = _target_key(node.asname.name)
            if key:
                self.bound[id(node.item)] = key

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute and func.attr.value in _POOL_METHODS:
            key = dotted(func.value)
            if key:
                given = keyword(node, "timeout")
                self.pool_calls.setdefault(key, []).append((given is not None and not _no_timeout(given.value)) or has_star_kwargs(node))
        qualified = self.imports.resolve(node.func)
        if qualified is None:
            if not self._session_method(node):
                return
            qualified = "requests.Session()." + node.func.attr.value  # type: ignore[attr-defined]
        timeout = keyword(node, "timeout")
        if qualified in _REQUESTS_FUNCS or self._session_method(node):
            shown = qualified if qualified in _REQUESTS_FUNCS else dotted(node.func) or qualified
            if timeout is None and not has_star_kwargs(node):
                if qualified.endswith(".request") and len(positional(node)) >= 9:
                    return
                self.report(node, call=shown, problem="has no timeout (requests waits forever by default)")
            elif timeout is not None and _no_timeout(timeout.value):
                self.report(node, call=shown, problem=f"sets {_none_text(timeout.value)}, which waits forever")
        elif qualified == "urllib.request.urlopen":
            if timeout is None and not has_star_kwargs(node) and len(positional(node)) < 3:
                self.report(node, call=qualified, problem="has no timeout (the socket default is to wait forever)")
        elif qualified in _SOCKET_DEFAULT:
            if timeout is None and not has_star_kwargs(node) and not (qualified.endswith("Connection") and len(positional(node)) >= 3):
                self.pending.append((node, qualified, "has no timeout (the socket default is to wait forever)"))
        elif qualified in ("aiohttp.ClientSession", "aiohttp.client.ClientSession", "aiohttp.request"):
            if timeout is None and not has_star_kwargs(node):
                self.pending.append((node, qualified, "has no timeout (aiohttp waits up to 5 minutes per request by default)"))
            elif timeout is not None and _no_timeout(timeout.value):
                self.report(node, call=qualified, problem=f"sets {_none_text(timeout.value)}, which waits forever")
        elif qualified in _HTTPX_CALLS:
            if timeout is not None and _no_timeout(timeout.value):
                self.report(node, call=qualified, problem=f"sets {_none_text(timeout.value)}, disabling httpx's default 5 s timeout")

    def finish(self) -> None:
        for node, qualified, problem in self.pending:
            calls = self.pool_calls.get(self.bound.get(id(node), ""))
            if calls and all(calls):
                continue  # every request made through it passes `timeout=`: the timeout is per call
            self.report(node, call=qualified, problem=problem)

    def _session_method(self, node: cst.Call) -> bool:
        func = node.func
        if type(func) is not cst.Attribute or func.attr.value not in (*_HTTP_METHODS, "send"):
            return False
        key = dotted(func.value) or ""
        return (key in self.sessions and key not in self.configured) or self._is_session_ctor(func.value)
