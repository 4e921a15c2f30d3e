"""``orderdoctor explain``: every rule that fired behind the plan, as text, JSON, Markdown or a
Mermaid graph."""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus, UsageError, require_engine

from .. import render
from . import Environment, today
from ._consulting import add_fact_options, consult_args, explanation

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "Print every rule that fired, in firing order: the fact values it matched "
    "(given, or derived by which earlier rule), and what it concluded."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_fact_options(parser)
    parser.add_argument(
        "--format",
        choices=render.FORMATS,  # (loads the renderers: only when explain is parsed)
        default=None,
        help="text (default), json (advise --json plus the explanations), markdown (for a support "
        "ticket) or mermaid (the fired part of the rule graph)",
    )


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from ..explain import render_explanation

    require_engine()
    day = today(args)
    kb, result = consult_args(args, env.stdin)
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json and --format {args.format} ask for two formats: give one")
    fmt = args.format or ("json" if args.json else "text")
    env.stdout.write(render_explanation(explanation(args, kb, result, day), fmt))
    return ExitStatus.OK
