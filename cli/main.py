"""The ``orderdoctor`` command: a thin shell over :mod:`orderdoctor.engine`.

``main(argv) -> exit status``; it never calls ``sys.exit`` itself. Exit
statuses: 0 ok (also when no advice applies, and ``orderdoctor`` alone, which
prints the help), 1 some records of a batch failed, 2 bad input or a bad
knowledge base (and command-line usage errors), 69 the rule engine
(durable-rules) cannot be loaded on this Python (an installation to repair), 70
internal error, 130 interrupted, 143 terminated (batch, on SIGTERM). Errors are one line each on stderr; a
traceback only with ``--traceback``.

Command-line conventions: ``-V``/``--version``; a mistyped command, tool or
option gets a did-you-mean, with the usage line of the command it was given to;
``orderdoctor completion bash|zsh|fish`` prints a shell completion script
(:mod:`.completion`).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from orderdoctor.engine import (
    FactInputError,
    FactInputErrors,
    KnowledgeBase,
    KnowledgeBaseErrors,
    Location,
    OrderdoctorError,
    consult,
    load_knowledge_base,
    parse_assignment,
    parse_facts_document,
)
from orderdoctor.engine._durable import EXIT_UNAVAILABLE, EngineUnavailableError, require_engine
from orderdoctor.engine.errors import did_you_mean, suggest
from orderdoctor.engine.facts import validate_facts
from orderdoctor.engine.location import display_path

from . import render
from .kb import HANDLERS as KB_HANDLERS
from .kb import KbUsageError, add_kb_commands
from .output import OutputError, as_output_error, closed_stream, guard_stream

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, TextIO

    from orderdoctor.engine.interview import Interview

    from orderdoctor.engine.explanation import Explanation

# Start-up time: `ask` (prompt-toolkit), `batch` (multiprocessing), explanations, interviews and
# the kb commands' checks are imported by the commands that use them only, so that
# `orderdoctor advise` does not pay for them (docs/performance.md).

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_SOME_FAILED",
    "EXIT_UNAVAILABLE",
    "build_parser",
    "main",
]

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

PROG = "orderdoctor"


class _UsageError(Exception):
    """Bad command-line usage found after parsing (argparse handles the rest)."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("orderdoctor")
    except Exception:  # pragma: no cover - not installed
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``, looking the version up only when asked (importlib.metadata is slow to load)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        try:
            if sys.stdout is None:
                raise OSError("is closed")
            sys.stdout.write(f"{PROG} {_version()}\n")
            sys.stdout.flush()
        except OSError as exc:
            parser.exit(EXIT_BAD_INPUT, f"{PROG}: error: standard output: {exc.strerror or exc}\n")
        parser.exit()


class _HelpFormatter(argparse.HelpFormatter):
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


class _ArgumentParser(argparse.ArgumentParser):
    """An argument parser using :class:`_HelpFormatter`; its subcommands' parsers are of this
    class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
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


COMMANDS = ("advise", "explain", "ask", "batch", "kb", "completion")

#: The commands that consult the rules (through durable-rules): each checks first that the rule
#: engine loads, so that a broken installation is one clear line before anything else happens.
_CONSULTING = ("advise", "explain", "ask", "batch")

#: The shells ``orderdoctor completion`` writes scripts for.
SHELLS = ("bash", "zsh", "fish")


def build_parser(only: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``--kb`` and ``--traceback`` work before or after the command.

    With ``only``, the options of the other commands (and the ``kb`` tools) are left out —
    their names and help stay, for ``--help`` and for error messages. Building argparse parsers
    costs start-up time, so :func:`main` builds only the commands named on the command line
    (all of them when none is).
    """

    def wanted(command: str) -> bool:
        return only is None or command in only

    common = _ArgumentParser(add_help=False)
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

    facts = _ArgumentParser(add_help=False)
    facts.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="give one fact, e.g. --set order_status=shipped (repeatable; wins over --facts)",
    )
    facts.add_argument(
        "--facts",
        metavar="FILE",
        help="read facts from a YAML or JSON mapping of fact: value ('-' reads standard input)",
    )
    facts.add_argument("--json", action="store_true", help="print the JSON contract instead of text")
    facts.add_argument(
        "--why-not",
        dest="why_not",
        action="append",
        default=[],
        metavar="ADVICE_ID",
        help="explain why this advice was not given: every rule that could give it and what stopped it",
    )
    facts.add_argument(
        "--what-if",
        dest="what_if",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="consult again with this fact changed and show what changes (repeatable)",
    )

    dated = _ArgumentParser(add_help=False)
    dated.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="count deadlines from this date instead of the computer's clock (reproducible runs)",
    )

    parser = _ArgumentParser(
        prog=PROG,
        parents=[common],
        description=(
            "Calm, correct advice for a cancelled, closed or stuck AliExpress order: "
            "what to do now, and by when."
        ),
        epilog="Facts and their values: see docs/kb-format.md or kb/facts.yaml.",
    )
    parser.add_argument("-V", "--version", action=_VersionAction, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    advise = commands.add_parser(
        "advise",
        parents=[common, facts, dated] if wanted("advise") else [],
        help="print the plan for the given facts",
        description="Print a numbered plan (warnings first) for the facts given.",
    )
    advise.set_defaults(handler=_advise)

    explain = commands.add_parser(
        "explain",
        parents=[common, facts, dated] if wanted("explain") else [],
        help="print the trace of fired rules behind the plan",
        description=(
            "Print every rule that fired, in firing order: the fact values it matched "
            "(given, or derived by which earlier rule), and what it concluded."
        ),
    )
    explain.set_defaults(handler=_explain)
    if wanted("explain"):
        explain.add_argument(
            "--format",
            choices=render.FORMATS,  # (loads the renderers: only when explain is parsed)
            default=None,
            help="text (default), json (advise --json plus the explanations), markdown (for a support "
            "ticket) or mermaid (the fired part of the rule graph)",
        )

    ask = commands.add_parser(
        "ask",
        parents=[common, dated] if wanted("ask") else [],
        help="answer a few questions, one at a time, and get the plan",
        description=(
            "An interactive consultation: one question at a time, only those that can still change "
            "the advice, then the plan. At any prompt: ? (help), why (why all), back, change FACT, how, "
            "why not ADVICE, what if FACT=VALUE, restart, quit. Without a terminal, answers are read "
            "one per line from standard input."
        ),
    )
    if wanted("ask"):
        save = ask.add_argument(
            "--save",
            metavar="FILE",
            help="session file the answers are saved to after each one",
            default=None,
        )
        save.shown_default = _session_path_for_help  # type: ignore[attr-defined]
        ask.add_argument("--resume", action="store_true", help="continue the session saved in the session file")
        ask.add_argument(
            "--answers",
            metavar="FILE",
            help="replay the answers of a saved session file, then go on asking",
        )
        ask.add_argument(
            "--watch",
            action="store_true",
            help="reload the knowledge base when a kb file changes (if it loads without errors)",
        )
    ask.set_defaults(handler=_ask)
    batch = commands.add_parser(
        "batch",
        parents=[common, dated] if wanted("batch") else [],
        help="advice for many orders: JSON Lines or CSV in, JSON Lines out",
        description=(
            "One order per line (JSON Lines) or row (CSV with a header), facts as fields and an optional "
            "id. Prints one JSON line per record, in input order: its advice and first action, or its "
            "error. Exit 0 when every record was advised, 1 when some failed."
        ),
    )
    if wanted("batch"):
        batch.add_argument("input", nargs="?", default="-", metavar="FILE", help="input file ('-' or nothing: standard input)")
        batch.add_argument("--format", choices=("jsonl", "csv"), help="input format (default: from the extension)")
        batch.add_argument("--output", metavar="FILE", help="write the results to FILE (atomically) instead of standard output")
        batch.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
        batch.add_argument("--trace", action="store_true", help="add each record's trace")
    batch.set_defaults(handler=_batch)
    add_kb_commands(commands, common, tools=wanted("kb"))
    completion = commands.add_parser(
        "completion",
        parents=[common] if wanted("completion") else [],
        help="print a shell completion script (bash, zsh or fish)",
        description=(
            "Print a script that completes orderdoctor's commands, options and choices, and fact "
            "names and values after --set (from the knowledge base, see --kb), in bash, zsh or fish. "
            "Install it as README.md says, e.g. "
            "for bash: orderdoctor completion bash > ~/.local/share/bash-completion/completions/orderdoctor"
        ),
    )
    if wanted("completion"):
        completion.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    completion.set_defaults(handler=_completion)
    return parser


def _session_path_for_help() -> str:
    """The default session file, for ``ask --help`` (only computed when help is shown)."""
    from .ask import default_session_path

    return display_path(default_session_path())


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


# ---------------------------------------------------------------- handlers
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _today(args: argparse.Namespace) -> datetime.date:
    """The date deadlines count from: ``--today``, else the clock — the one place the command
    line reads it. A ``--today`` that is not a real date written YYYY-MM-DD is a usage error."""
    given: str | None = getattr(args, "today", None)
    if given is None:
        return datetime.date.today()
    if _DATE.fullmatch(given):
        try:
            return datetime.date.fromisoformat(given)
        except ValueError:
            pass
    raise _UsageError(f"--today {given!r}: not a date; give it as YYYY-MM-DD, e.g. 2026-11-23")


def _report_violations(result: Any, err: TextIO | None) -> None:
    """One line on standard error per contract violation in the answer (the rest is shown)."""
    if err is None:
        return
    for violation in result.violations:
        err.write(printable(f"{PROG}: knowledge base error: {violation.message} (please report it)") + "\n")


def _load_kb(args: argparse.Namespace) -> KnowledgeBase:
    kb_dir = getattr(args, "kb", None)
    if kb_dir is not None and not kb_dir.strip():
        raise _UsageError("--kb: the folder name is empty (leave --kb out to use the shipped knowledge base)")
    return load_knowledge_base(Path(kb_dir) if kb_dir is not None else None)


def _read_text(name: str, stdin: TextIO) -> tuple[str, str]:
    """The text of ``--facts NAME`` (``-``: standard input) and its label; bounded like every
    read (the engine's :func:`~orderdoctor.engine.loader.read_text_file`): one line, exit 2, for
    a missing file, a folder, a device or FIFO, a file over the size limit, or bad bytes."""
    from orderdoctor.engine.errors import UnreadableFileError
    from orderdoctor.engine.loader import MAX_FILE_BYTES, decode_text, read_text_file

    try:
        if name != "-":
            return read_text_file(name), display_path(name)
        label = "<stdin>"
        buffer = getattr(stdin, "buffer", None)
        data: Any = buffer.read(MAX_FILE_BYTES + 1) if buffer is not None else stdin.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise _UsageError(f"--facts -: standard input holds more than the {MAX_FILE_BYTES // 2**20} MiB read")
        return (decode_text(data, label) if isinstance(data, bytes) else data), label
    except UnreadableFileError as exc:
        if exc.location.line is None:
            raise _UsageError(f"--facts {name}: {exc.message}") from None
        raise FactInputErrors([FactInputError(exc.location, exc.message)]) from None
    except UnicodeDecodeError:  # standard input without a byte buffer
        raise _UsageError(f"--facts {name}: not UTF-8 text") from None
    except OSError as exc:
        raise _UsageError(f"--facts {name}: cannot read: {exc.strerror or exc}") from None


def _gather_facts(args: argparse.Namespace, stdin: TextIO) -> tuple[dict[str, Any], dict[str, Location]]:
    values: dict[str, Any] = {}
    locations: dict[str, Location] = {}
    if args.facts:
        text, label = _read_text(args.facts, stdin)
        for name, (value, location) in parse_facts_document(text, label).items():
            values[name] = value
            locations[name] = location
    errors: list[FactInputError] = []
    for assignment in args.assignments:
        try:
            name, value = parse_assignment(assignment, "--set")
        except FactInputError as exc:
            errors.append(exc)
            continue
        earlier = locations.get(name)
        if earlier is not None and str(earlier).startswith("--set ") and values[name] != value:
            errors.append(FactInputError(Location(f"--set {assignment}"),
                                         f"fact '{name}' is already given ({earlier}): give it once", name=name))
            continue
        values[name] = value
        locations[name] = Location(f"--set {assignment}")
    if errors:
        raise FactInputErrors(errors)
    return values, locations


def _consult(args: argparse.Namespace, stdin: TextIO) -> tuple[KnowledgeBase, Any]:
    kb = _load_kb(args)
    values, locations = _gather_facts(args, stdin)
    return kb, consult(kb, values, locations)


def _explanation(
    args: argparse.Namespace, kb: KnowledgeBase, result: Any, today: datetime.date | None = None
) -> Explanation:
    """The why-not and what-if parts asked for on the command line."""
    from orderdoctor.engine.explanation import explain, explain_what_if, explain_why_not

    why_not = [explain_why_not(kb, result, advice_id, where=f"--why-not {advice_id}") for advice_id in args.why_not]
    what_if = None
    if args.what_if:
        changes: dict[str, Any] = {}
        locations: dict[str, Location] = {}
        errors: list[FactInputError] = []
        for assignment in args.what_if:
            try:
                name, value = parse_assignment(assignment, "--what-if")
            except FactInputError as exc:
                errors.append(exc)
                continue
            changes[name] = value
            locations[name] = Location(f"--what-if {assignment}")
        if errors:
            raise FactInputErrors(errors)
        try:
            validate_facts(kb, changes, locations)
        except FactInputErrors:
            raise
        what_if = explain_what_if(kb, result.given, changes)
    return explain(kb, result, why_not, what_if, today=today)


def _advise(args: argparse.Namespace, out: TextIO, stdin: TextIO, err: TextIO | None = None) -> int:
    today = _today(args)
    kb, result = _consult(args, stdin)
    asked = bool(args.why_not or args.what_if)
    explanation = _explanation(args, kb, result, today) if asked else None
    if args.json:
        data = result.to_json() if explanation is None else explanation.to_json()
        if explanation is not None:
            data.pop("how", None)
        out.write(render.render_json(data))
        return EXIT_OK
    out.write(render.render_plan(result, today))
    _report_violations(result, err)
    if explanation is not None:
        from .explain import render_sections

        out.write("\n" + render_sections(explanation))
    return EXIT_OK


def _explain(args: argparse.Namespace, out: TextIO, stdin: TextIO, err: TextIO | None = None) -> int:
    from .explain import render_explanation

    today = _today(args)
    kb, result = _consult(args, stdin)
    if args.json and args.format not in (None, "json"):
        raise _UsageError(f"--json and --format {args.format} ask for two formats: give one")
    fmt = args.format or ("json" if args.json else "text")
    out.write(render_explanation(_explanation(args, kb, result, today), fmt))
    return EXIT_OK


def _load_interview(kb: KnowledgeBase, path: Path, what: str, today: datetime.date) -> Interview:
    from orderdoctor.engine.interview import Interview

    from .ask import read_session

    try:
        data = read_session(path)
    except FileNotFoundError:
        raise _UsageError(f"{what} {path}: no such session file (start one with 'orderdoctor ask')") from None
    except (OSError, ValueError) as exc:
        raise _UsageError(f"{what} {path}: not a readable session file ({exc})") from None
    return Interview.from_data(kb, data, display_path(path), today)


def _ask(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from orderdoctor.engine.interview import Interview

    from .ask import AskSession, PlainTerminal, PromptTerminal, default_session_path

    today = _today(args)
    kb = _load_kb(args)
    save_path = Path(args.save) if args.save else default_session_path()
    if save_path.is_symlink():  # the session is the file the link points to; the link stays a link
        save_path = Path(os.path.realpath(save_path))
    interview = Interview(kb, today=today)
    if args.resume:
        interview = _load_interview(kb, save_path, "--resume:", today)
    if args.answers:
        interview = _load_interview(kb, Path(args.answers), "--answers", today)
    if _is_terminal(stdin) and _is_terminal(out):
        terminal: Any = PromptTerminal(kb)
    else:
        terminal = PlainTerminal(kb, stdin, out)
    session = AskSession(kb, terminal, interview, save_path, today=today, resuming=args.resume)
    session.watch = args.watch
    return session.run()


def _batch(args: argparse.Namespace, out: TextIO, stdin: TextIO, err: TextIO | None = None) -> int:
    from .batch import BatchInputError, BatchOptions, run_batch

    today = _today(args)
    kb = _load_kb(args)  # report a bad knowledge base once, before any record
    if args.jobs < 1:
        raise _UsageError("--jobs must be at least 1")
    options = BatchOptions(
        args.input, args.format, args.output, args.jobs, args.trace, getattr(args, "kb", None), today
    )
    try:
        return run_batch(options, stdin, out, err or sys.stderr, kb)
    except BatchInputError as exc:
        raise _UsageError(str(exc)) from None


def _completion(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from .completion import completion_script

    kb = _load_kb(args)
    out.write(completion_script(args.shell, build_parser(), kb))
    return EXIT_OK


def _kb(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    kb = _load_kb(args)
    try:
        return KB_HANDLERS[args.handler](args, kb, out)
    except KbUsageError as exc:
        raise _UsageError(str(exc)) from None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -------------------------------------------------------------------- main
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
    inp = stdin or sys.stdin
    words = list(sys.argv[1:] if argv is None else argv)
    named = [word for word in words if word in COMMANDS]
    parser = build_parser(named or None)
    if not words:  # like gh, pip and httpie: the help, not an error
        parser.print_help(out)
        return EXIT_OK
    try:
        args, extras = parser.parse_known_args(words)
        if extras:
            _reject_unrecognized(parser, args, extras)
    except SystemExit as exc:  # argparse: --help, --version, or a usage error
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_BAD_INPUT
    show_traceback = getattr(args, "traceback", False)
    handler: Callable[[argparse.Namespace, TextIO, TextIO], int] = (
        _kb if isinstance(args.handler, str) else args.handler
    )

    def fail(lines: Sequence[str], status: int) -> int:
        try:
            if show_traceback:
                traceback.print_exc(file=err)
            for line in lines:
                err.write(printable(line) + "\n")
        except OSError:  # standard error itself is full or closed: the status still says it
            pass
        return status

    try:
        if args.command in _CONSULTING:
            require_engine()
        if handler in (_batch, _advise, _explain):
            return handler(args, out, inp, err)  # type: ignore[call-arg]
        return handler(args, out, inp)
    except KnowledgeBaseErrors as exc:
        lines = [e.format() for e in exc.errors]
        lines.append(f"{PROG}: the knowledge base has {len(exc.errors)} error(s); nothing was advised")
        return fail(lines, EXIT_BAD_INPUT)
    except FactInputErrors as exc:
        return fail([e.format() for e in exc.errors], EXIT_BAD_INPUT)
    except OutputError as exc:
        return fail([f"{PROG}: error: {exc}"], EXIT_BAD_INPUT)
    except (FactInputError, _UsageError) as exc:
        return fail([f"{PROG}: error: {exc}" if isinstance(exc, _UsageError) else str(exc)], EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        return fail([f"{PROG}: interrupted"], EXIT_INTERRUPTED)
    except BrokenPipeError:
        return EXIT_OK
    except EngineUnavailableError as exc:
        return fail([f"{PROG}: error: {exc}"], EXIT_UNAVAILABLE)
    except OrderdoctorError as exc:
        return fail([f"{PROG}: internal error: {exc}", _hint(show_traceback)], EXIT_INTERNAL)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return fail(
            [f"{PROG}: internal error: {type(exc).__name__}: {exc}", _hint(show_traceback)],
            EXIT_INTERNAL,
        )


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
        status = EXIT_INTERRUPTED
        if sys.stderr is not None:
            try:
                sys.stderr.write(f"{PROG}: interrupted\n")
            except (OSError, ValueError):
                pass
    for stream, name in ((sys.stdout, "standard output"), (sys.stderr, "standard error")):
        if stream is None:  # started with it closed: main() said so if anything was lost
            continue
        try:
            stream.flush()
        except BrokenPipeError:  # the reader stopped early: nothing more can be shown
            pass
        except (OSError, ValueError) as exc:  # a full disk, say: the output is lost, so say so
            status = max(status, EXIT_BAD_INPUT) if status != EXIT_INTERRUPTED else status
            if stream is sys.stdout and sys.stderr is not None:
                try:
                    sys.stderr.write(f"{PROG}: error: {as_output_error(name, exc)}\n")
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass
    os._exit(status)


printable = render.printable  # the one escaper of text from input (kept here for its callers)


def _hint(shown: bool) -> str:
    if shown:
        return f"{PROG}: please report this with the traceback above"
    return f"{PROG}: run again with --traceback for details, and please report it"
