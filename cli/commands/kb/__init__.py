"""``orderdoctor kb TOOL``: the tools for the people who maintain the knowledge base.

Each tool is one module of this package with a ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args, env, kb) -> ExitStatus``, listed in :data:`TOOLS` (one line each); ``kb`` loads the
knowledge base ``--kb`` names and runs the tool named. A new tool is one module and one line.

A tool that reports the knowledge base's load errors itself (``kb check`` and ``kb test``, in the
format asked for) has ``report_load_errors(args, env, errors) -> ExitStatus``; for the others, the
errors stop the command as in every other command.
"""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus, KnowledgeBaseError, KnowledgeBaseErrors

from ...parser import common_options
from .. import Environment, load_kb, load_module

__all__ = ["DESCRIPTION", "TOOLS", "add_arguments", "run"]

DESCRIPTION = "Tools for the people who maintain the knowledge base (see docs/maintaining.md)."

#: Each tool → its module and the one-line summary ``kb --help`` lists.
TOOLS = {
    "check": (f"{__name__}.check", "lint the rules: unreachable, redundant, contracts, incompatible, urgency, "
              "dead ends, gaps"),
    "test": (f"{__name__}.test", "run the scenario cases and report coverage"),
    "graph": (f"{__name__}.graph", "the rule graph as DOT or Mermaid, or a picture"),
    "impact": (f"{__name__}.impact", "what an edit to a fact, rule or advice can touch"),
    "docs": (f"{__name__}.docs", "write every doc derived from the kb: docs/rules.md and the generated regions"),
    "review": (f"{__name__}.review", "run every situation a buyer can be in and report the answers' problems"),
    "schema": (f"{__name__}.schema", "write the JSON Schemas editors check the kb files with"),
    "diff": (f"{__name__}.diff", "what an edit does to the answers: cases and review space, old kb vs new"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The tools' parsers, each with its options (and ``--kb``, ``--traceback`` after its name)."""
    sub = parser.add_subparsers(dest="kb_command", metavar="TOOL")
    sub.required = True
    common = common_options()
    for name, (module_name, summary) in TOOLS.items():
        tool = load_module(module_name)
        tool.add_arguments(sub.add_parser(name, parents=[common], help=summary, description=tool.DESCRIPTION))


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    tool = load_module(TOOLS[args.kb_command][0])
    report = getattr(tool, "report_load_errors", None)
    try:
        kb = load_kb(args)
    except (KnowledgeBaseErrors, KnowledgeBaseError) as exc:
        if report is None:
            raise
        errors = exc.errors if isinstance(exc, KnowledgeBaseErrors) else (exc,)
        reported: ExitStatus = report(args, env, errors)
        return reported
    status: ExitStatus = tool.run(args, env, kb)
    return status
