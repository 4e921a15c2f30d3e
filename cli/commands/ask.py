"""``orderdoctor ask``: the interactive consultation (:mod:`orderdoctor.cli.ask` runs it)."""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from orderdoctor.engine import ExitStatus, KnowledgeBase, UsageError, display_path, require_engine

from ..parser import add_today_option
from . import Environment, is_terminal, load_kb, today

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, TextIO

    from orderdoctor.engine import Interview

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "An interactive consultation: one question at a time, only those that can still change "
    "the advice, then the plan. At any prompt: ? (help), why (why all), back, change FACT, how, "
    "why not ADVICE, what if FACT=VALUE, restart, quit. Without a terminal, answers are read "
    "one per line from standard input."
)


def _session_path_for_help() -> str:
    """The default session file, for ``ask --help`` (only computed when help is shown)."""
    from ..ask import default_session_path

    return display_path(default_session_path())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_today_option(parser)
    save = parser.add_argument(
        "--save",
        metavar="FILE",
        help="session file the answers are saved to after each one",
        default=None,
    )
    save.shown_default = _session_path_for_help  # type: ignore[attr-defined]
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the session saved in the session file (answers the knowledge base no longer takes are "
        "set aside, with a warning)",
    )
    parser.add_argument(
        "--answers",
        metavar="FILE",
        help="replay the answers of a saved session file, then go on asking",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="reload the knowledge base as soon as a kb file changes, even while a question waits (if it loads "
        "without errors), and say what that changed in the plan",
    )


def _load_interview(
    kb: KnowledgeBase, path: Path, what: str, day: datetime.date, warnings: TextIO | None = None
) -> Interview:
    """The interview saved at ``path``. With ``warnings`` (``--resume``), answers the knowledge
    base no longer takes (a fact renamed or removed, a value no longer allowed) are set aside
    with a warning each, and the session goes on without them (the file keeps them until the
    session saves again); otherwise (``--answers``) they are errors."""
    from orderdoctor.engine import Interview

    from ..ask import read_session
    from ..askwatch import set_aside_saved

    try:
        data = read_session(path)
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such session file (start one with 'orderdoctor ask')") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{what} {path}: not a readable session file ({exc})") from None
    if warnings is not None:
        data, aside = set_aside_saved(kb, data)
        for number, item in aside:
            text = item.text()
            warnings.write(f"{display_path(path)}: answer {number}: warning: {text[0].lower()}{text[1:]}\n")
    return Interview.from_data(kb, data, display_path(path), day)


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from orderdoctor.engine import Interview

    from ..ask import AskSession, PlainTerminal, PromptTerminal, default_session_path

    require_engine()
    day = today(args)
    kb = load_kb(args)
    save_path = Path(args.save) if args.save else default_session_path()
    if save_path.is_symlink():  # the session is the file the link points to; the link stays a link
        save_path = Path(os.path.realpath(save_path))
    interview = Interview(kb, today=day)
    if args.resume:
        interview = _load_interview(kb, save_path, "--resume:", day, env.stderr)
    if args.answers:
        interview = _load_interview(kb, Path(args.answers), "--answers", day)
    if is_terminal(env.stdin) and is_terminal(env.stdout):
        terminal: Any = PromptTerminal(kb)
    else:
        terminal = PlainTerminal(kb, env.stdin, env.stdout)
    session = AskSession(kb, terminal, interview, save_path, today=day, resuming=args.resume)
    session.watch = args.watch
    return ExitStatus(session.run())
