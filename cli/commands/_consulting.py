"""What ``advise`` and ``explain`` share: the options that give facts (``--set``, ``--facts``) and
ask for explanations (``--why-not``, ``--what-if``), reading them, and consulting the rules."""

from __future__ import annotations

import argparse
import datetime

from orderdoctor.engine import (
    FactInputError,
    FactInputErrors,
    KnowledgeBase,
    Location,
    UsageError,
    consult,
    display_path,
    parse_assignment,
    parse_facts_document,
)

from ..parser import PROG, add_today_option
from ..render import printable
from . import load_kb

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, TextIO

    from ..explain import Explanation

__all__ = ["add_fact_options", "consult_args", "explanation", "report_violations"]


def add_fact_options(parser: argparse.ArgumentParser) -> None:
    """``--set``, ``--facts``, ``--json``, ``--why-not``, ``--what-if`` and ``--today``."""
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="give one fact, e.g. --set order_status=shipped (repeatable; wins over --facts)",
    )
    parser.add_argument(
        "--facts",
        metavar="FILE",
        help="read facts from a YAML or JSON mapping of fact: value ('-' reads standard input)",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON contract instead of text")
    parser.add_argument(
        "--why-not",
        dest="why_not",
        action="append",
        default=[],
        metavar="ADVICE_ID",
        help="explain why this advice was not given: every rule that could give it and what stopped it",
    )
    parser.add_argument(
        "--what-if",
        dest="what_if",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="consult again with this fact changed and show what changes (repeatable)",
    )
    add_today_option(parser)


def report_violations(result: Any, err: TextIO | None) -> None:
    """One line on standard error per contract violation in the answer (the rest is shown)."""
    if err is None:
        return
    for violation in result.violations:
        err.write(printable(f"{PROG}: knowledge base error: {violation.message} (please report it)") + "\n")


def _read_text(name: str, stdin: TextIO) -> tuple[str, str]:
    """The text of ``--facts NAME`` (``-``: standard input) and its label; bounded like every
    read (the engine's :func:`~orderdoctor.engine.read_text_file`): one line, exit 2, for
    a missing file, a folder, a device or FIFO, a file over the size limit, or bad bytes."""
    from orderdoctor.engine import MAX_FILE_BYTES, UnreadableFileError, decode_text, read_text_file

    try:
        if name != "-":
            return read_text_file(name), display_path(name)
        label = "<stdin>"
        buffer = getattr(stdin, "buffer", None)
        data: Any = buffer.read(MAX_FILE_BYTES + 1) if buffer is not None else stdin.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise UsageError(f"--facts -: standard input holds more than the {MAX_FILE_BYTES // 2**20} MiB read")
        return (decode_text(data, label) if isinstance(data, bytes) else data), label
    except UnreadableFileError as exc:
        if exc.location.line is None:
            raise UsageError(f"--facts {name}: {exc.message}") from None
        raise FactInputErrors([FactInputError(exc.location, exc.message)]) from None
    except UnicodeDecodeError:  # standard input without a byte buffer
        raise UsageError(f"--facts {name}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"--facts {name}: cannot read: {exc.strerror or exc}") from None


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


def consult_args(args: argparse.Namespace, stdin: TextIO) -> tuple[KnowledgeBase, Any]:
    """The knowledge base, and the result of consulting it with the facts given."""
    kb = load_kb(args)
    values, locations = _gather_facts(args, stdin)
    return kb, consult(kb, values, locations)


def _why_not(args: argparse.Namespace, kb: KnowledgeBase, result: Any) -> list[Any]:
    from orderdoctor.engine import explain_why_not

    return [explain_why_not(kb, result, advice_id, where=f"--why-not {advice_id}") for advice_id in args.why_not]


def _what_if(args: argparse.Namespace, kb: KnowledgeBase, result: Any) -> Any:
    from orderdoctor.engine import explain_what_if, validate_facts

    if not args.what_if:
        return None
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
    validate_facts(kb, changes, locations)
    return explain_what_if(kb, result.given, changes)


def explanation(
    args: argparse.Namespace, kb: KnowledgeBase, result: Any, today: datetime.date | None = None
) -> Explanation:
    """The why-not and what-if parts asked for on the command line."""
    from orderdoctor.engine import explain

    why_not = _why_not(args, kb, result)
    what_if = _what_if(args, kb, result)
    return explain(kb, result, why_not, what_if, today=today)
