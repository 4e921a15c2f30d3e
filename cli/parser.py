"""The command line's argparse pieces: the parser class every command's parser is made of, its help
formatter, ``--version``, and the options every command takes (``--kb``, ``--traceback``).

The commands themselves (:mod:`orderdoctor.cli.commands`) add their own options; the program's
parser is put together by :func:`orderdoctor.cli.main.build_parser`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from orderdoctor.engine import ExitStatus, did_you_mean, suggest

from . import render

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PROG", "ArgumentParser", "VersionAction", "add_today_option", "common_options"]

PROG = "orderdoctor"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("orderdoctor")
    except Exception:  # pragma: no cover - not installed
        return "unknown"


class VersionAction(argparse.Action):
    """``--version``, looking the version up only when asked (importlib.metadata is slow to load)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        try:
            if sys.stdout is None:
                raise OSError("is closed")
            sys.stdout.write(f"{PROG} {_version()}\n")
            sys.stdout.flush()
        except OSError as exc:
            parser.exit(ExitStatus.BAD_INPUT, f"{PROG}: error: standard output: {exc.strerror or exc}\n")
        parser.exit()


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal's width (argparse would import shutil for it,
    with its compression modules: 4 ms of every start)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        width = render.terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        """The help text; an option whose default is worked out at run time (a path that depends
        on the platform) names it through ``action.shown_default``, asked only when help is shown."""
        text = action.help
        shown: Callable[[], str] | None = getattr(action, "shown_default", None)
        if text is not None and shown is not None:
            text += " (default: " + shown().replace("%", "%%") + ")"
        return text

    def _split_lines(self, text: str, width: int) -> list[str]:
        """Help lines broken between words only: never inside a path or a command at a hyphen,
        so what the help shows can be copied."""
        import textwrap

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False, break_long_words=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False, break_long_words=False)


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser using :class:`HelpFormatter`; its subcommands' parsers are of this
    class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """argparse's check of a choice (a command, a ``kb`` tool, a ``--format``), with a
        did-you-mean for a near miss (Python 3.14's ``suggest_on_error``, on every version)."""
        choices = action.choices
        if choices is None or value in choices:
            return
        close = suggest(value, [str(choice) for choice in choices])
        hint = did_you_mean(close)
        listed = ", ".join(repr(choice) for choice in choices)
        raise argparse.ArgumentError(action, f"invalid choice: {value!r}{hint} (choose from {listed})")


def common_options() -> ArgumentParser:
    """A parent parser of the options every command takes, before or after its name."""
    common = ArgumentParser(add_help=False)
    common.add_argument(
        "--kb",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="knowledge-base folder to use instead of the shipped one",
    )
    common.add_argument(
        "--traceback",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error (for bug reports)",
    )
    return common


def add_today_option(parser: argparse.ArgumentParser) -> None:
    """``--today``, for the commands that count deadlines (read by :func:`.commands.today`)."""
    parser.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="count deadlines from this date instead of the computer's clock (reproducible runs)",
    )
