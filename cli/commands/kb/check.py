"""``orderdoctor kb check``: the linter's findings (and the case files that do not load), as one
line each or as JSON."""

from __future__ import annotations

import argparse
import json

from orderdoctor.engine import ExitStatus, KnowledgeBase, KnowledgeBaseErrors, load_cases, load_lint_config

from .. import Environment

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "Load the knowledge base and lint its rules: unreachable or redundant rules; advice given "
    "where its contract fails, incompatible advice together, urgent advice beside a far deadline (errors, "
    "each with an example situation); dead ends and gaps in fact ranges. Exit 2 on errors; with --strict, "
    "1 on unexplained warnings."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are unexplained warnings")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text, one line per finding (default), or json"
    )


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    out = env.stdout
    from orderdoctor.engine import check_knowledge_base

    config = load_lint_config(kb)
    findings = check_knowledge_base(kb, config)
    try:
        load_cases(kb)
        case_errors: list[Any] = []
    except KnowledgeBaseErrors as exc:
        case_errors = list(exc.errors)
    errors = len(case_errors) + sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity != "error" and not f.explained)
    explained = sum(1 for f in findings if f.explained)
    if args.format == "json":
        data = {
            "findings": [
                {
                    "file": f.location.file,
                    "line": f.location.line,
                    "column": f.location.column,
                    "severity": "explained" if f.explained else f.severity,
                    "message": f.message,
                    "check": f.check,
                    "subject": f.subject,
                    "explanation": f.explained,
                }
                for f in findings
            ]
            + [
                {"file": e.location.file, "line": e.location.line, "column": e.location.column,
                 "severity": "error", "message": e.message, "check": "load", "subject": e.name,
                 "explanation": None}
                for e in case_errors
            ],
            "errors": errors,
            "warnings": warnings,
            "explained": explained,
        }
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        for error in case_errors:
            out.write(f"{error.format()} [load]\n")
        for finding in findings:
            out.write(finding.format() + "\n")
        out.write(
            f"kb check: {errors} error(s), {warnings} warning(s), {explained} explained "
            f"({len(kb.rules)} rules, {len(kb.advice)} advice items, {len(kb.facts)} facts)\n"
        )
    if errors:
        return ExitStatus.BAD_INPUT
    return ExitStatus.SOME_FAILED if warnings and args.strict else ExitStatus.OK


