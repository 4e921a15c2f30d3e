"""Paths and builders for test knowledge bases (imported by tests and conftest)."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL_KB = FIXTURES / "kb" / "minimal"
BROKEN_KB = FIXTURES / "kb" / "broken"


def make_broken_kb(name: str, where: Path) -> Path:
    """The minimal knowledge base with the files of ``broken/<name>/`` laid over it."""
    target = where / name
    shutil.copytree(MINIMAL_KB, target)
    shutil.copytree(BROKEN_KB / name, target, dirs_exist_ok=True)
    return target


def kb_with_rules(where: Path, rules: str, facts_extra: str = "") -> Path:
    """The minimal knowledge base with ``rules/main.yaml`` replaced (and facts appended)."""
    target = where / "kb"
    shutil.copytree(MINIMAL_KB, target)
    (target / "rules" / "main.yaml").write_text(rules)
    if facts_extra:
        with (target / "facts.yaml").open("a") as handle:
            handle.write(facts_extra)
    return target


def lint_kb(name: str, where: Path) -> Path:
    """The minimal knowledge base with the files of ``fixtures/kb/lint/<name>/`` laid over it (the
    fixtures of the kb check checks: each folder holds only the files it changes)."""
    target = where / name
    shutil.copytree(MINIMAL_KB, target)
    shutil.copytree(FIXTURES / "kb" / "lint" / name, target, dirs_exist_ok=True)
    return target
