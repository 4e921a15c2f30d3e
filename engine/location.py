"""Where something was written: a file (or command-line argument), line and column.

Also how a path or a position in a text is shown: :func:`display_path` and
:func:`location_of` (a character offset → line and column).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .records import frozen

__all__ = ["Location", "display_path", "display_paths", "location_of"]


@frozen(order=True)
class Location:
    """A place in a file; ``line`` and ``column`` count from 1.

    ``line`` is None for places that are not inside a file, such as a
    ``--set NAME=VALUE`` argument; then only ``file`` is shown.
    """

    file: str
    line: int | None = None
    column: int | None = None

    def __init__(self, file: str, line: int | None = None, column: int | None = None) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["file"] = file
        attributes["line"] = line
        attributes["column"] = column

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
    """``path`` relative to the working directory when it lies below it, else absolute.

    The folders above it are resolved, the last part is not: a link is shown as the link the
    user named, not as its target. A link loop or an unreadable folder leaves the path as
    written (made absolute) instead of failing: the path is being shown, not opened.
    """
    return display_paths([path])[0]


def display_paths(paths: Iterable[Path | str]) -> list[str]:
    """:func:`display_path` of each of ``paths``, each folder resolved once (the load cache shows
    every file of a knowledge base, all in two folders)."""
    folders: dict[Path, Path] = {}
    try:
        cwd: Path | None = Path.cwd()
    except OSError:
        cwd = None
    return [_relative(_resolved(path, folders), cwd) for path in paths]


def _resolved(path: Path | str, folders: dict[Path, Path]) -> Path:
    given = Path(path)
    try:
        if given.name in ("", ".", ".."):
            return given.resolve()
        folder = given.parent
        if folder not in folders:
            folders[folder] = folder.resolve()
        return folders[folder] / given.name
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return Path(os.path.abspath(path))


def _relative(resolved: Path, cwd: Path | None) -> str:
    try:
        if cwd is not None and cwd.parent != cwd and resolved.is_relative_to(cwd):
            return os.path.relpath(resolved, cwd)
    except (OSError, ValueError):
        pass
    return str(resolved)


def location_of(text: str, offset: int, file: str) -> Location:
    """The line and column (from 1) of character ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(file, line, column)
