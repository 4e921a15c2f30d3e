"""``orderdoctor kb review``: the situation-space review as a summary, a sheet (Markdown, CSV,
JSON), a CI check, or accepted rows appended as scenario cases. The renderers are in
:mod:`orderdoctor.cli.review`; the review itself is engine data."""

from __future__ import annotations

import argparse
import datetime
import os

from orderdoctor.engine import ExitStatus, KnowledgeBase, UsageError, display_path

from ...review import FORMATS
from .. import Environment

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "Enumerate the situations a buyer can be in (kb/review.yaml: every combination of the "
    "deciding facts, the rest pairwise), run each, and group them by outcome: situations with no advice, "
    "contract violations, incompatible advice, urgency and deadline clashes, warnings without an action. "
    "Prints a summary, or writes a review sheet (--format). With --check, exit 1 on unexplained problems."
)

_EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".json": "json"}


def _today(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write YYYY-MM-DD, e.g. 2026-11-23") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="write the review sheet as markdown, csv (one row per group) or json; default: a summary")
    parser.add_argument("--output", metavar="FILE", default=None,
                        help="where to write the sheet (atomically; '-' standard output; the extension .md/.csv/.json "
                        "gives the format)")
    parser.add_argument("--check", action="store_true", help="exit 1 when any problem is not explained in review.yaml")
    parser.add_argument("--today", type=_today, default=None, metavar="YYYY-MM-DD",
                        help="count deadlines from this date (default: today)")
    parser.add_argument("--accept", nargs="+", metavar="ROW", default=None,
                        help="append a scenario case for each row (its representative situation and advice)")
    parser.add_argument("--story", default=None, metavar="TEXT", help="the accepted case's story (default: generated)")
    parser.add_argument("--cases", default=None, metavar="FILE",
                        help="the case file to append to (default: the knowledge base's cases/reviewed.yaml)")


def _format(args: argparse.Namespace) -> str | None:
    if args.output in (None, "-"):
        return args.format
    implied = _EXTENSIONS.get(os.path.splitext(args.output)[1].lower())
    if args.format is None:
        if implied is None:
            raise UsageError(
                f"kb review --output {args.output}: cannot tell the format from the extension; "
                "use .md, .csv or .json, or say --format"
            )
        return implied
    return args.format


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from orderdoctor.engine import ReviewTooLargeError, load_review_config, review_situations

    from ...output import write_output
    from ...review import accept_rows, check_lines, render_sheet, render_summary

    out = env.stdout
    if (args.story is not None or args.cases is not None) and not args.accept:
        raise UsageError("--story and --cases go with --accept ROW")
    fmt = _format(args)
    today = args.today or datetime.date.today()  # the one place kb review reads the clock
    config = load_review_config(kb)
    try:
        found = review_situations(kb, config)
    except ReviewTooLargeError as exc:
        raise UsageError(f"kb review: {exc} (review.yaml)") from None
    if args.accept:
        return accept_rows(args, found, kb, out)
    if fmt is not None:
        write_output(args.output or "-", render_sheet(fmt, found, kb, config, today), out)
        if args.output not in (None, "-"):
            out.write(f"wrote {display_path(args.output)} ({len(found.rows)} rows, {fmt})\n")
    elif not args.check:
        out.write(render_summary(found, config))
    if args.check:
        lines, failed = check_lines(found)
        out.write(lines)
        return ExitStatus.SOME_FAILED if failed else ExitStatus.OK
    return ExitStatus.OK
