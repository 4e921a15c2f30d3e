"""The commands of ``orderdoctor``, one module each, and what they share.

A command module has a ``DESCRIPTION`` (its ``--help`` text), ``add_arguments(parser)`` (its
options) and ``run(args, env) -> ExitStatus``; :mod:`orderdoctor.cli.main` lists it in its
registry (one line: the name, the module and a one-line summary), imports it only when the
command is named, and runs it. A command reports a problem by raising an
:class:`~orderdoctor.engine.OrderdoctorError` (a :class:`~orderdoctor.engine.UsageError` for bad
use of the command); ``main`` shows it and ends with the error's ``exit_status``.

This module holds what every command uses: the :class:`Environment` it runs in (the streams), the
date deadlines count from, and the knowledge base ``--kb`` names.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from orderdoctor.engine import KnowledgeBase, UsageError, load_knowledge_base

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, TextIO

__all__ = ["Environment", "is_terminal", "load_kb", "load_module", "today"]


class Environment:
    """Where a command reads and writes (httpie's ``Environment``): standard input, output and
    error, already guarded so that a full disk or a closed stream is one line, exit 2. Frozen;
    a plain class rather than a dataclass, which would cost start-up time (docs/performance.md)."""

    __slots__ = ("stdin", "stdout", "stderr")
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    def __init__(self, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> None:
        object.__setattr__(self, "stdin", stdin)
        object.__setattr__(self, "stdout", stdout)
        object.__setattr__(self, "stderr", stderr)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __repr__(self) -> str:
        return f"Environment(stdin={self.stdin!r}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def load_module(name: str) -> Any:
    """The module ``name`` (a command's or a ``kb`` tool's), imported now if it was not yet.

    ``__import__`` rather than ``importlib.import_module``: ``python -X importtime``, the tool of
    docs/performance.md, sees only imports made the former way."""
    __import__(name)
    return sys.modules[name]


def _is_iso_date_form(text: str) -> bool:
    """Whether ``text`` is ``[0-9]{4}-[0-9]{2}-[0-9]{2}`` (ASCII digits), without compiling a pattern."""
    digits = text[:4] + text[5:7] + text[8:]
    return len(text) == 10 and text[4] == text[7] == "-" and digits.isascii() and digits.isdigit()


def today(args: argparse.Namespace) -> datetime.date:
    """The date deadlines count from: ``--today``, else the clock — the one place the command
    line reads it. A ``--today`` that is not a real date written YYYY-MM-DD is a usage error."""
    given: str | None = getattr(args, "today", None)
    if given is None:
        return datetime.date.today()
    if _is_iso_date_form(given):
        try:
            return datetime.date.fromisoformat(given)
        except ValueError:
            pass
    raise UsageError(f"--today {given!r}: not a date; give it as YYYY-MM-DD, e.g. 2026-11-23")


def load_kb(args: argparse.Namespace) -> KnowledgeBase:
    """The knowledge base ``--kb`` names, else the shipped one."""
    kb_dir = getattr(args, "kb", None)
    if kb_dir is not None and not kb_dir.strip():
        raise UsageError("--kb: the folder name is empty (leave --kb out to use the shipped knowledge base)")
    return load_knowledge_base(Path(kb_dir) if kb_dir is not None else None)


def is_terminal(stream: object) -> bool:
    """Whether ``stream`` is a terminal (False for anything that cannot say)."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False
