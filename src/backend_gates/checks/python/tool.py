"""The tool's own findings: files it cannot read, and suppressions that are wrong.

These have no gate: they are about the run, not the checklist. They still fail the run, so a
broken file or a stale suppression cannot hide anything.
"""

from __future__ import annotations

from ...model import Severity
from ..base import Bad, Check


class SyntaxErrorCheck(Check):
    """A Python file that does not parse; no other check could look at it.

    Why it matters: every gate that reads Python skips this file, so its problems are invisible
    until it parses. The run goes on with the other files.
    """

    code = "BG001"
    name = "syntax-error"
    gate = None
    severity = Severity.ERROR
    kind = "tool"
    message = "cannot parse this file: {reason}; no other check ran on it"
    good = ["def handler(request):\n    return {'ok': True}\n"]
    bad = [Bad("def handler(request:\n    return 1\n", line=2)]
    example_path = "example.py"


class UnusedSuppression(Check):
    """An inline suppression that suppresses nothing.

    Why it matters: stale suppressions hide the next real finding on that line. Remove it.
    """

    code = "BG002"
    name = "unused-suppression"
    gate = None
    severity = Severity.WARNING
    kind = "tool"
    message = "suppression of {codes} matches no finding on line {target}; remove it"
    good = [
        "try:\n    work()\nexcept:  # backend-gates: ignore[BG401] re-raised by the framework\n    log.warning(\"failed\")\n"
    ]
    bad = [Bad("x = 1  # backend-gates: ignore[BG401] nothing here\n", line=1)]
    example_path = "example.py"


class SuppressionWithoutReason(Check):
    """An inline suppression without a reason.

    Why it matters: a reviewer cannot judge a suppression that does not say why. Write the reason
    after the bracket: `# backend-gates: ignore[BG401] the framework re-raises`.
    """

    code = "BG003"
    name = "suppression-without-reason"
    gate = None
    severity = Severity.WARNING
    kind = "tool"
    message = "suppression of {codes} gives no reason; say why after the brackets"
    good = ["try:\n    work()\nexcept:  # backend-gates: ignore[BG401] worker re-raises\n    log.warning(\"failed\")\n"]
    bad = [Bad("try:\n    work()\nexcept:  # backend-gates: ignore[BG401]\n    log.warning(\"failed\")\n", line=3)]
    example_path = "example.py"


class ExpiredSuppression(Check):
    """An inline suppression whose `expires=` date has passed; it no longer suppresses anything.

    Why it matters: "fix later" must not mean never. Fix the finding, or extend the date with a
    new reason.
    """

    code = "BG004"
    name = "expired-suppression"
    gate = None
    severity = Severity.WARNING
    kind = "tool"
    message = "suppression of {codes} expired on {expires}; the finding is reported again"
    good = [
        "try:\n    work()\nexcept:  # backend-gates: ignore[BG401] legacy path expires=2999-01-01\n    log.warning(\"failed\")\n"
    ]
    bad = [
        Bad("try:\n    work()\nexcept:  # backend-gates: ignore[BG401] legacy expires=2000-01-01\n    log.warning(\"failed\")\n", line=3)
    ]
    example_path = "example.py"
