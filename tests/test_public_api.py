"""The engine's public API is declared in one place, and the command line uses nothing else.

``orderdoctor.engine._EXPORTS`` names every public name and its home module; ``__all__`` is made
from it and the ``TYPE_CHECKING`` imports (for type checkers) must say the same. Every module
under ``cli/`` imports the engine only as ``from orderdoctor.engine import NAME`` with ``NAME`` in
``__all__`` — never ``orderdoctor.engine.<submodule>``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import orderdoctor.engine as engine

ROOT = Path(__file__).resolve().parent.parent


def _type_checking_imports() -> dict[str, str]:
    """Public name → ``module`` or ``module:name``, from the imports under ``if TYPE_CHECKING:``."""
    tree = ast.parse((ROOT / "engine" / "__init__.py").read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.level == 1:
                    for alias in statement.names:
                        public = alias.asname or alias.name
                        home = statement.module or ""
                        found[public] = home if public == alias.name else f"{home}:{alias.name}"
    return found


def test_the_api_is_declared_once_and_the_three_lists_agree():
    assert engine.__all__ == sorted(engine._EXPORTS)
    assert _type_checking_imports() == engine._EXPORTS


def test_every_public_name_resolves_to_its_declared_home():
    for name, home in engine._EXPORTS.items():
        module, _, attribute = home.partition(":")
        defined = getattr(importlib.import_module(f"orderdoctor.engine.{module}"), attribute or name)
        assert getattr(engine, name) is defined, name


def _engine_imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, name) of every import of the engine in ``path`` (name None: ``import x``)."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("orderdoctor.engine"):
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names if a.name.startswith("orderdoctor.engine")]
    return found


def test_the_command_line_imports_only_public_engine_names():
    problems = []
    files = sorted((ROOT / "cli").rglob("*.py"))
    assert files
    for path in files:
        shown = path.relative_to(ROOT)
        for line, module, name in _engine_imports(path):
            if module != "orderdoctor.engine" or name is None:
                problems.append(f"{shown}:{line}: imports {module} (use 'from orderdoctor.engine import NAME')")
            elif name not in engine.__all__:
                problems.append(f"{shown}:{line}: '{name}' is not public (add it to engine._EXPORTS)")
    assert problems == []
