"""``orderdoctor batch``: advice for many orders, JSON Lines or CSV in, JSON Lines out
(:mod:`orderdoctor.cli.batch` runs it)."""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus, UsageError, require_engine

from ..parser import add_today_option
from . import Environment, load_kb, today

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "One order per line (JSON Lines) or row (CSV with a header), facts as fields and an optional "
    "id. Prints one JSON line per record, in input order: its advice and first action, or its "
    "error. Exit 0 when every record was advised, 1 when some failed."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_today_option(parser)
    parser.add_argument(
        "input", nargs="?", default="-", metavar="FILE", help="input file ('-' or nothing: standard input)"
    )
    parser.add_argument("--format", choices=("jsonl", "csv"), help="input format (default: from the extension)")
    parser.add_argument(
        "--output", metavar="FILE", help="write the results to FILE (atomically) instead of standard output"
    )
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    parser.add_argument("--trace", action="store_true", help="add each record's trace")


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from ..batch import BatchOptions, run_batch

    require_engine()
    day = today(args)
    kb = load_kb(args)  # report a bad knowledge base once, before any record
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    options = BatchOptions(
        args.input, args.format, args.output, args.jobs, args.trace, getattr(args, "kb", None), day
    )
    return ExitStatus(run_batch(options, env.stdin, env.stdout, env.stderr, kb))
