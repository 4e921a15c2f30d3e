"""The command line composes explanations from data and section renderers; it never cuts up
text it rendered itself (issue 14: ``.split("\\nRules fired")`` in ``ask`` broke silently when a
heading was reworded). This test reads the source of every module under cli/ and refuses:

* splitting or partitioning on a separator that holds a line break (``.split("\\n\\n", 1)``),
  outside the one place that wraps text line by line;
* looking for a line a renderer writes (``"Rules fired"``, ``"Facts given"``…) with
  ``startswith``, ``split``, ``find``, ``in``…;
* calling a string method on what a ``render_*`` function just returned.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parent.parent / "cli"
#: (module, function) allowed to split on line breaks, and why.
ALLOWED_LINE_SPLITS = {
    ("render.py", "wrap_block"): "wraps a text it is given, line by line (it renders; it re-reads nothing)",
}
#: What looking for text in text is done with.
SEARCHES = {
    "startswith", "endswith", "find", "rfind", "index", "rindex", "count", "split", "rsplit",
    "partition", "rpartition", "removeprefix", "removesuffix", "replace",
}
#: Where the headings and line starts of rendered text are written.
RENDERERS = ("render.py", "explain.py", "askexplain.py")


def _leading_text(node: ast.AST) -> str | None:
    """The constant text a string literal or f-string starts with."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)
    return None


def rendered_headings(sources: dict[str, str]) -> set[str]:
    """Line starts the renderers write: capitalised text of two words or more (``Rules fired``)."""
    found = set()
    for name in RENDERERS:
        for node in ast.walk(ast.parse(sources.get(name, ""))):
            text = _leading_text(node)
            if text and text[:1].isupper() and " " in text.strip() and "\n" not in text:
                found.add(text.strip())
    return found


def _functions(tree: ast.AST) -> dict[ast.AST, str]:
    """Each node → the name of the function it is in."""
    owner: dict[ast.AST, str] = {}
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                owner.setdefault(node, function.name)
    return owner


def _is_rendering_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name.startswith("render_")


def reparsing(module: str, source: str, headings: set[str]) -> list[str]:
    """Every place in ``source`` that re-reads rendered text, as ``module:line: what``."""
    tree = ast.parse(source)
    owner = _functions(tree)
    found: list[str] = []

    def searched(text: str) -> bool:
        return len(text) >= 6 and any(heading.startswith(text) or text.startswith(heading) for heading in headings)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SEARCHES:
            method = node.func.attr
            if _is_rendering_call(node.func.value):
                found.append(f"{module}:{node.lineno}: .{method}() on rendered text")
            for argument in node.args:
                for constant in ast.walk(argument):
                    text = _leading_text(constant)
                    if text is None:
                        continue
                    line_split = "\n" in text and method in ("split", "rsplit", "partition", "rpartition")
                    if line_split and (module, owner.get(node, "")) not in ALLOWED_LINE_SPLITS:
                        found.append(f"{module}:{node.lineno}: .{method}({text!r}) cuts text at line breaks")
                    elif method != "replace" and searched(text):
                        found.append(f"{module}:{node.lineno}: .{method}({text!r}) looks for a rendered heading")
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            text = _leading_text(node.left)
            if text is not None and searched(text):
                found.append(f"{module}:{node.lineno}: {text!r} in … looks for a rendered heading")
    return found


def _sources() -> dict[str, str]:
    return {str(path.relative_to(CLI)): path.read_text(encoding="utf-8") for path in sorted(CLI.rglob("*.py"))}


def test_the_command_line_never_re_reads_text_it_rendered():
    sources = _sources()
    headings = rendered_headings(sources)
    assert {"Rules fired, in order", "No rule fired.", "How the advice was reached:"} <= {
        h.split(" (")[0] for h in headings
    }
    problems = [problem for module, source in sources.items() for problem in reparsing(module, source, headings)]
    assert problems == []


@pytest.mark.parametrize("snippet", [
    'def show(text):\n    return text.split("\\n\\n", 1)[1].split("\\nRules fired", 1)[0]\n',
    'def advise(explanation):\n    return render_explanation(explanation, "text").split("\\n", 2)[2]\n',
    'def trace(lines):\n    return [line for line in lines if line.startswith(("Rules fired", "No rule"))]\n',
    'def has(text):\n    return "Rules fired" in text\n',
])
def test_the_check_finds_the_re_reading_it_replaced(snippet):
    """The patterns issue 14 removed from cli/ask.py, cli/main.py and cli/explain.py are found."""
    headings = rendered_headings(_sources())
    assert reparsing("old.py", snippet, headings)
