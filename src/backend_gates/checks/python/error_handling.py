"""AP-ERROR-HANDLING: exception handlers that hide failures."""

from __future__ import annotations

import libcst as cst

from ...model import Severity
from ..base import Bad, PythonCheck

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


class BareExcept(PythonCheck):
    """A bare `except:` catches everything, including KeyboardInterrupt and SystemExit.

    Why it matters: it hides real failures (and cancellation) behind whatever the handler does,
    so errors surface far from their cause or never. Catch the exceptions you expect.
    Known limits: a bare `except:` that ends in a bare `raise` (cleanup, then re-raise) is allowed.
    """

    code = "BG401"
    name = "bare-except"
    gate = "AP-ERROR-HANDLING"
    severity = Severity.WARNING
    message = "bare `except:` catches every exception, including KeyboardInterrupt; name the exceptions you expect"
    fix = "catch specific exceptions, e.g. `except (ValueError, KeyError):`, and log or re-raise"
    triggers = ("except",)

    good = [
        "try:\n    load()\nexcept ValueError:\n    log.warning('bad input')\n",
        "try:\n    load()\nexcept:\n    cleanup()\n    raise\n",
    ]
    bad = [Bad("try:\n    load()\nexcept:\n    log.warning('failed')\n", line=3)]

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None and not _is_reraise(node.body):
            self.report(node)


class SwallowedException(PythonCheck):
    """A broad exception handler (`Exception`, `BaseException`) whose body only passes.

    Why it matters: the failure disappears: no log line, no error response, no metric. Handle it,
    log it, or let it propagate. Narrow handlers (`except KeyError: pass`) are a normal idiom and
    are not reported.
    """

    code = "BG402"
    name = "swallowed-exception"
    gate = "AP-ERROR-HANDLING"
    severity = Severity.WARNING
    message = "`except {caught}` swallows the error with `{body}`; log it, handle it or re-raise"
    fix = "log the exception (`log.exception(...)`) or re-raise it"
    triggers = ("except",)

    good = [
        "try:\n    cache.delete(key)\nexcept KeyError:\n    pass\n",
        "try:\n    send()\nexcept Exception:\n    log.exception('send failed')\n",
    ]
    bad = [
        Bad("try:\n    send()\nexcept Exception:\n    pass\n", line=3),
        Bad("for item in items:\n    try:\n        send(item)\n    except BaseException as exc:\n        continue\n", line=4),
    ]

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        names = _type_names(node.type)
        broad = [n for n in names if n in BROAD]
        if broad and _only_passes(node.body):
            stmt = node.body.body[0]
            small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and stmt.body else None
            body = "continue" if isinstance(small, cst.Continue) else "pass"
            self.report(node, caught=broad[0], body=body)
