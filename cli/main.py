"""The ``orderdoctor`` command: a thin shell over :mod:`orderdoctor.engine`.

``main(argv) -> exit status``; it never calls ``sys.exit`` itself. Exit
statuses (:class:`~orderdoctor.engine.ExitStatus`): 0 ok (also when no advice applies, and
``orderdoctor`` alone, which prints the help), 1 some records of a batch failed, 2 bad input or a
bad knowledge base (and command-line usage errors), 69 the rule engine (durable-rules) cannot be
loaded on this Python (an installation to repair), 70 internal error, 130 interrupted, 143
terminated (batch, on SIGTERM). Errors are one line each on stderr; a traceback only with
``--traceback``.

The commands are a registry (:data:`COMMANDS`, pip's ``commands_dict``): each is one module of
:mod:`orderdoctor.cli.commands`, imported only when its name is on the command line, so that
``orderdoctor advise`` does not pay for ``ask`` (prompt-toolkit), ``batch`` (multiprocessing) or
the ``kb`` tools (docs/performance.md). A new command is one module and one line here.

Command-line conventions: ``-V``/``--version``; a mistyped command, tool or
option gets a did-you-mean, with the usage line of the command it was given to;
``orderdoctor completion bash|zsh|fish`` prints a shell completion script
(:mod:`.completion`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from orderdoctor.engine import (
    ExitStatus,
    KnowledgeBaseErrors,
    LocatedError,
    LocatedErrors,
    OrderdoctorError,
    did_you_mean,
    suggest,
)

from .commands import Environment, load_module
from .output import OutputError, as_output_error, closed_stream, guard_stream
from .parser import PROG, ArgumentParser, VersionAction, common_options
from .render import printable

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["COMMANDS", "build_parser", "main", "run"]

#: Each command → the module that implements it and the one-line summary ``--help`` lists.
COMMANDS = {
    "advise": ("orderdoctor.cli.commands.advise", "print the plan for the given facts"),
    "explain": ("orderdoctor.cli.commands.explain", "print the trace of fired rules behind the plan"),
    "ask": ("orderdoctor.cli.commands.ask", "answer a few questions, one at a time, and get the plan"),
    "batch": ("orderdoctor.cli.commands.batch", "advice for many orders: JSON Lines or CSV in, JSON Lines out"),
    "kb": ("orderdoctor.cli.commands.kb", "tools for maintaining the knowledge base: check, test, review, graph, "
           "impact, docs"),
    "completion": ("orderdoctor.cli.commands.completion", "print a shell completion script (bash, zsh or fish)"),
}


def build_parser(only: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``--kb`` and ``--traceback`` work before or after the command.

    With ``only``, the other commands are listed by name and summary only (for ``--help`` and
    error messages), and their modules are not imported: building argparse parsers and importing
    command modules costs start-up time, so :func:`main` builds only the commands named on the
    command line (all of them when none is).
    """
    common = common_options()
    parser = ArgumentParser(
        prog=PROG,
        parents=[common],
        description=(
            "Calm, correct advice for a cancelled, closed or stuck AliExpress order: "
            "what to do now, and by when."
        ),
        epilog="Facts and their values: see docs/kb-format.md or kb/facts.yaml.",
    )
    parser.add_argument("-V", "--version", action=VersionAction, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, (module_name, summary) in COMMANDS.items():
        if only is not None and name not in only:
            commands.add_parser(name, help=summary)
            continue
        command = load_module(module_name)
        parsed = commands.add_parser(name, parents=[common], help=summary, description=command.DESCRIPTION)
        command.add_arguments(parsed)
    return parser


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)command that ``args`` selected, e.g. ``kb check``'s."""
    current = parser
    while True:
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(getattr(args, action.dest, None) or "")
                if chosen is not None:
                    current = chosen
                    break
        else:
            return current


def _reject_unrecognized(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]) -> None:
    """Stop with a usage error for words no option took, shown with the usage of the command
    they were given to and a did-you-mean for a mistyped option; exits through argparse."""
    chosen = _chosen_parser(parser, args)
    hint = ""
    for word in extras:
        if word.startswith("-"):
            close = suggest(word.split("=", 1)[0], chosen._option_string_actions)
            if close:
                hint = did_you_mean(close)
                break
    chosen.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def _parse(words: list[str]) -> argparse.Namespace | int:
    """The parsed command line, or the exit status when argparse ended it (``--help``,
    ``--version`` or a usage error, which argparse has shown)."""
    parser = build_parser([word for word in words if word in COMMANDS] or None)
    try:
        args, extras = parser.parse_known_args(words)
        if extras:
            _reject_unrecognized(parser, args, extras)
    except SystemExit as exc:  # argparse: --help, --version, or a usage error
        return int(exc.code or 0) if not isinstance(exc.code, str) else ExitStatus.BAD_INPUT
    return args


def _error_lines(exc: OrderdoctorError, shown: bool) -> list[str]:
    """The lines that show an error that stopped a command."""
    if isinstance(exc, LocatedErrors):
        lines = [e.format() for e in exc.errors]
        if isinstance(exc, KnowledgeBaseErrors):
            lines.append(f"{PROG}: the knowledge base has {len(exc.errors)} error(s); nothing was advised")
        return lines
    if isinstance(exc, LocatedError):
        return [str(exc)]
    if exc.exit_status is ExitStatus.INTERNAL:
        return [f"{PROG}: internal error: {exc}", _hint(shown)]
    return [f"{PROG}: error: {exc}"]  # a usage error, or the rule engine missing


def _show(err: TextIO, lines: Sequence[str], shown: bool) -> None:
    """Write the lines of an error (after its traceback, when ``--traceback`` asked for it)."""
    try:
        if shown:
            import traceback  # only for --traceback: tokenize and linecache are start-up time

            traceback.print_exc(file=err)
        for line in lines:
            err.write(printable(line) + "\n")
    except OSError:  # standard error itself is full or closed: the exit status still says it
        pass


def _run(args: argparse.Namespace, env: Environment) -> int:
    """Run the command ``args`` names; an error that stops it is shown on ``env.stderr``."""
    shown = getattr(args, "traceback", False)
    try:
        status: int = load_module(COMMANDS[args.command][0]).run(args, env)
        return status
    except OrderdoctorError as exc:
        _show(env.stderr, _error_lines(exc, shown), shown)
        return exc.exit_status
    except OutputError as exc:
        _show(env.stderr, [f"{PROG}: error: {exc}"], shown)
        return ExitStatus.BAD_INPUT
    except KeyboardInterrupt:
        _show(env.stderr, [f"{PROG}: interrupted"], shown)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        _show(env.stderr, [f"{PROG}: internal error: {type(exc).__name__}: {exc}", _hint(shown)], shown)
        return ExitStatus.INTERNAL


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    # A full disk or a closed stream behind stdout/stderr is a user's I/O problem (one line, exit
    # 2), not a traceback: writes to them raise OutputError (cli/output.py).
    out = guard_stream(stdout if stdout is not None else sys.stdout, "standard output")
    err = stderr if stderr is not None else sys.stderr
    err = closed_stream("standard error") if err is None else guard_stream(err, "standard error")
    words = list(sys.argv[1:] if argv is None else argv)
    if not words:  # like gh, pip and httpie: the help, not an error
        build_parser([]).print_help(out)
        return ExitStatus.OK
    args = _parse(words)
    if isinstance(args, int):
        return args
    return _run(args, Environment(stdin or sys.stdin, out, err))


def run() -> None:
    """The ``orderdoctor`` console script (and ``python -m orderdoctor.cli``): :func:`main`, then
    a quick exit.

    Once the output is flushed nothing is left to clean up — every file written was closed and
    renamed, batch's worker processes were joined, ``ask`` restored the terminal — so, like mypy,
    the interpreter's teardown (about 20 ms, an eighth of ``orderdoctor advise``) is skipped.
    """
    try:
        status = main()
    except KeyboardInterrupt:  # before main() could catch it: while it parsed the command line
        status = ExitStatus.INTERRUPTED
        if sys.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"{PROG}: interrupted\n")
    for stream, name in ((sys.stdout, "standard output"), (sys.stderr, "standard error")):
        if stream is None:  # started with it closed: main() said so if anything was lost
            continue
        try:
            stream.flush()
        except BrokenPipeError:  # the reader stopped early: nothing more can be shown
            pass
        except (OSError, ValueError) as exc:  # a full disk, say: the output is lost, so say so
            status = max(status, ExitStatus.BAD_INPUT) if status != ExitStatus.INTERRUPTED else status
            if stream is sys.stdout and sys.stderr is not None:
                try:
                    sys.stderr.write(f"{PROG}: error: {as_output_error(name, exc)}\n")
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass
    os._exit(status)


def _hint(shown: bool) -> str:
    if shown:
        return f"{PROG}: please report this with the traceback above"
    return f"{PROG}: run again with --traceback for details, and please report it"
