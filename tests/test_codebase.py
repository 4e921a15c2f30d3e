"""The code-size limits a newcomer can rely on (docs/architecture.md, "Changing the code"): no module
over 550 lines, no function over 60 lines, no function above radon's complexity grade C (20)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.joinpath("engine").rglob("*.py"), *ROOT.joinpath("cli").rglob("*.py")])
MODULE_LINES = 550
FUNCTION_LINES = 60
COMPLEXITY = 20  # radon grade C is 11-20


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_module_size(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MODULE_LINES, f"{_name(path)} has {lines} lines (limit {MODULE_LINES}): split it by concern"


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_function_size(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (node.end_lineno or node.lineno) - node.lineno + 1 > FUNCTION_LINES
    ]
    assert not long, f"{_name(path)}: functions over {FUNCTION_LINES} lines: {long}"


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_complexity(path: Path) -> None:
    radon = pytest.importorskip("radon.complexity")
    complex_ = [
        f"{block.name} (line {block.lineno}): {block.complexity}"
        for block in radon.cc_visit(path.read_text(encoding="utf-8"))
        if block.complexity > COMPLEXITY
    ]
    assert not complex_, f"{_name(path)}: complexity over {COMPLEXITY} (radon grade C): {complex_}"


def test_a_limit_violation_is_caught(tmp_path: Path) -> None:
    """The checks above can fail: a generated 61-line function is over the limit."""
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    tree = ast.parse(f"def long():\n{body}\n")
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    assert (node.end_lineno or 0) - node.lineno + 1 > FUNCTION_LINES
