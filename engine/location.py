"""Where something was written: a file (or command-line argument), line and column."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Location", "display_path"]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file; ``line`` and ``column`` count from 1.

    ``line`` is None for places that are not inside a file, such as a
    ``--set NAME=VALUE`` argument; then only ``file`` is shown.
    """

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"

    def short(self) -> str:
        """``file:line`` without the column, for citing a rule."""
        return self.file if self.line is None else f"{self.file}:{self.line}"


def display_path(path: Path | str) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    resolved = Path(path).resolve()
    try:
        cwd = Path.cwd()
        if cwd.parent != cwd and resolved.is_relative_to(cwd):
            return os.path.relpath(resolved, cwd)
    except (OSError, ValueError):
        pass
    return str(resolved)
