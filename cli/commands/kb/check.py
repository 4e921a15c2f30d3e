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
    "where its contract fails, incompatible advice together, urgent advice beside a far deadline, two rules "
    "deriving different values of one fact (errors, each with an example situation); holes between the "
    "ranges a derived fact is derived over; dead ends and gaps in fact ranges. Exit 2 on errors; with --strict, "
    "1 on unexplained warnings."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are unexplained warnings")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text, one line per finding (default), or json"
    )


def _finding_data(finding: Any) -> dict[str, Any]:
    return {
        "file": finding.location.file,
        "line": finding.location.line,
        "column": finding.location.column,
        "severity": "explained" if finding.explained else finding.severity,
        "message": finding.message,
        "check": finding.check,
        "subject": finding.subject,
        "explanation": finding.explained,
    }


def _load_error_data(error: Any) -> dict[str, Any]:
    return {"file": error.location.file, "line": error.location.line, "column": error.location.column,
            "severity": "error", "message": error.message, "check": "load", "subject": error.name,
            "explanation": None}


def _case_errors(kb: KnowledgeBase) -> list[Any]:
    """The errors of the case files (they are part of what ``kb check`` checks)."""
    try:
        load_cases(kb)
    except KnowledgeBaseErrors as exc:
        return list(exc.errors)
    return []


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from orderdoctor.engine import check_knowledge_base

    out = env.stdout
    config = load_lint_config(kb)
    findings = check_knowledge_base(kb, config)
    case_errors = _case_errors(kb)
    errors = len(case_errors) + sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity != "error" and not f.explained)
    explained = sum(1 for f in findings if f.explained)
    if args.format == "json":
        data = {
            "findings": [_finding_data(f) for f in findings] + [_load_error_data(e) for e in case_errors],
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
