"""Paths and builders for test knowledge bases (imported by tests and conftest)."""

from __future__ import annotations

import io
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


class EditingInput(io.StringIO):
    """Answer lines for a piped ``ask``; ``edits[n]()`` runs just before line ``n`` is read (as if a
    kb file were saved while the question waited)."""

    def __init__(self, lines: list[str], edits: dict) -> None:
        super().__init__("".join(line + "\n" for line in lines))
        self.count = 0
        self.edits = edits

    def readline(self, *args) -> str:  # type: ignore[override]
        self.count += 1
        if self.count in self.edits:
            self.edits[self.count]()
        return super().readline(*args)
