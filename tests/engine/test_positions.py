"""Cheap positions (sources/positions.py) equal libcst's PositionProvider on every node, and the
editor's re-parse of changed statements only (sources/chunks.py) equals a full parse."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import PositionProvider

from backend_gates.sources.chunks import PieceCache, split
from backend_gates.sources.positions import LineIndex, Mismatch
from backend_gates.sources.python import child_nodes, parse_module

REPO = Path(__file__).resolve().parents[2]

TRICKY = '''"""Module docstring."""
# a comment above an import
import os; import sys  # two statements, one line
from typing import (
    Any,
)


@decorator
@other.decorator(
    "arg",
)
# between decorator and def
async def handler(request, *, flag: bool = True) -> "Any":
    if request.a:
        return 1
    elif request.b:  # elif
        pass
    elif request.c: return 3
    else:
        x = [i for i in range(3)]
    for item in items:
        continue
    else:
        done()
    while cond(): break
    try:
        work()
    except (ValueError, TypeError) as exc:
        raise RuntimeError("x") from exc
    except* OSError:
        pass
    else:
        ok()
    finally:
        cleanup()
    with open("f") as a, open("g") as b:
        data = a.read() + \\
            b.read()
    match request.kind:
        case "a" | "b":
            return {"k": [1, 2,
                          3]}
        case {"x": x} if x > 1:
            return x
        case _:
            return None


class Model(Base):
	"""Tab-indented body."""
	name = Column(String)  # a column

	class Meta:
		ordering = ["name"]
    # a comment at another indentation


if __name__ == "__main__":
    main()
# trailing comment
'''


def _all_nodes(module: cst.Module) -> list[tuple[int, cst.CSTNode]]:
    out = []
    for index, top in enumerate(module.body):
        stack = [top]
        while stack:
            node = stack.pop()
            out.append((index, node))
            stack.extend(child_nodes(node))
    return out


def _assert_equal_positions(source: str) -> int:
    module = parse_module(source)
    expected = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    index = LineIndex(module, source)
    lines = LineIndex(module, source)
    checked = 0
    for top, node in _all_nodes(module):
        assert lines.start_line(node, top) == expected[node].start.line, type(node).__name__
        got = index.position(node, top)
        want = expected[node]
        assert got is not None, (type(node).__name__, want)
        assert (got.start.line, got.start.column, got.end.line, got.end.column) == (
            want.start.line,
            want.start.column,
            want.end.line,
            want.end.column,
        ), type(node).__name__
        checked += 1
    return checked


def test_positions_equal_position_provider_on_tricky_code() -> None:
    source = TRICKY.replace("    except* OSError:\n        pass\n", "")  # try/except* cannot mix with except
    assert _assert_equal_positions(source) > 200


def test_positions_equal_position_provider_on_every_fixture_file() -> None:
    files = sorted((REPO / "fixtures").rglob("*.py")) + sorted((REPO / "src" / "backend_gates" / "sources").glob("*.py"))
    total = 0
    for path in files:
        try:
            total += _assert_equal_positions(path.read_text(encoding="utf-8"))
        except Mismatch:
            continue  # that file takes the exact path (e.g. syntax the running Python cannot read)
    assert total > 20_000


def test_syntax_ast_cannot_read_takes_the_exact_path() -> None:
    source = "x = 1\n" + "y = f'{\"nested\"}'\n" * 2
    module = parse_module(source)
    index = LineIndex(module, source)
    try:
        index.position(module.body[1], 1)
    except Mismatch:
        pass  # an older Python cannot read PEP 701 f-strings: the caller falls back


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s,
        lambda s: s.replace("continue", "break"),
        lambda s: "# a new first line\n\n" + s,
        lambda s: s.replace("class Model(Base):", "class Model(Base, Mixin):"),
        lambda s: s + "\n\nextra = 1\n",
        lambda s: s.replace("\n\nclass Model", "\n\n\n# moved\nclass Model"),
    ],
)
def test_reparsing_changed_statements_equals_a_full_parse(edit: object) -> None:
    base = TRICKY.replace("    except* OSError:\n        pass\n", "")
    cache = PieceCache(parse_module)
    for text in (base, edit(base)):  # type: ignore[operator]
        assembled = cache.module(text)
        full = cst.parse_module(text)
        if assembled is None:  # an indented comment after a block: parsed whole, by design
            assert split(text) is None
            continue
        assert assembled.deep_equals(full)
        assert assembled.code == text


def test_pieces_are_reused_between_versions() -> None:
    text = "import os\n\n\ndef a():\n    return 1\n\n\ndef b():\n    return 2\n"
    cache = PieceCache(parse_module)
    first = cache.module(text)
    second = cache.module(text.replace("return 2", "return 3"))
    assert first is not None and second is not None
    assert first.body[0] is second.body[0] and first.body[1] is second.body[1]
    assert first.body[2] is not second.body[2]
