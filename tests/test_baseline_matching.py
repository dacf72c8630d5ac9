"""Baseline matching units: scopes, multiset passes."""

from __future__ import annotations

from backend_gates.baseline import MODULE, Entry, match, scope_of
from backend_gates.model import Finding, Location, Severity

SOURCE = """\
import x

try:
    import y
except:
    y = None


class Service:
    @decorated
    def get(self):
        if self.ready:
            try:
                return 1
            except:
                pass

    async def put(self, item):
        return item


def helper(
    a,
    b,
):
    return a
"""


def test_scope_of() -> None:
    lines = SOURCE.splitlines()
    assert scope_of(lines, 5) == MODULE
    assert scope_of(lines, 4) == MODULE  # inside module-level try
    assert scope_of(lines, 15) == "Service.get"
    assert scope_of(lines, 19) == "Service.put"
    assert scope_of(lines, 26) == "helper"
    assert scope_of(lines, 999) == ""


def _finding(path: str, line: int, evidence: str, fp: str) -> Finding:
    return Finding("BG401", "bare-except", "AP-ERROR-HANDLING", Severity.WARNING, "bare except", Location(path, line), evidence=evidence, fingerprint=fp)


def test_multiset_counts_and_unused() -> None:
    lines = {"a.py": ["def f():", "    try:", "        g()", "    except:", "        pass", "    try:", "        g()", "    except:", "        pass"]}
    entries = [Entry("fp0", "BG401", "a.py", "bare except", "    except:", "f", 4)]
    findings = [_finding("a.py", 4, "    except:", "fp0"), _finding("a.py", 8, "    except:", "fp1")]
    out, unused = match(findings, entries, "b.json", lambda p: lines[p])
    assert [f.suppressed for f in out] == [True, False]
    assert out[0].suppression is not None and out[0].suppression.kind == "baseline"
    assert unused == []
    out, unused = match(findings[:0], entries, "b.json", lambda p: lines[p])
    assert unused == entries


def test_entries_without_scope_match_by_fingerprint() -> None:
    entries = [Entry("fp9", "BG401", "a.py", "bare except", "    except:")]
    out, unused = match([_finding("a.py", 4, "    except:", "fp9")], entries, "b.json", lambda p: ["", "", "", "    except:"])
    assert out[0].suppressed and unused == []
