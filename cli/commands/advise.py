"""``orderdoctor advise``: the plan for the facts given (text, or the JSON contract), with the
explanations ``--why-not`` and ``--what-if`` ask for."""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus, require_engine

from .. import render
from . import Environment, today
from ._consulting import add_fact_options, consult_args, explanation, report_violations

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = "Print a numbered plan (warnings first) for the facts given."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_fact_options(parser)


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    require_engine()
    out = env.stdout
    day = today(args)
    kb, result = consult_args(args, env.stdin)
    asked = bool(args.why_not or args.what_if)
    explained = explanation(args, kb, result, day) if asked else None
    if args.json:
        data = result.to_json() if explained is None else explained.to_json()
        if explained is not None:
            data.pop("how", None)
        out.write(render.render_json(data))
        return ExitStatus.OK
    out.write(render.render_plan(result, day))
    report_violations(result, env.stderr)
    if explained is not None:
        from ..explain import render_sections

        out.write("\n" + render_sections(explained))
    return ExitStatus.OK
