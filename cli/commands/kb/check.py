"""``orderdoctor kb check``: the linter's findings and every load error (knowledge-base, checks and
case files), in one format: text lines, JSON, SARIF 2.1.0 or GitHub annotations
(:mod:`orderdoctor.cli.diagnostics`)."""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus, KnowledgeBase, KnowledgeBaseErrors, load_cases, load_lint_config

from .. import Environment

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from ...diagnostics import Diagnostic

__all__ = ["DESCRIPTION", "add_arguments", "report_load_errors", "run"]

DESCRIPTION = (
    "Load the knowledge base and lint its rules: unreachable or redundant rules; advice given "
    "where its contract fails, incompatible advice together, urgent advice beside a far deadline, two rules "
    "deriving different values of one fact (errors, each with an example situation); holes between the "
    "ranges a derived fact is derived over; dead ends and gaps in fact ranges. Exit 2 on errors; with --strict, "
    "1 on unexplained warnings. Every finding and load error goes to standard output in the --format asked for."
)

FORMAT_HELP = (
    "text: one line per finding, file:line:col: severity: message [check], at most 5 per check and severity "
    "then a count of the rest (default); json: the same as data, every finding; "
    "sarif: a SARIF 2.1.0 log (GitHub code scanning, GitLab); github: GitHub Actions annotations"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are unexplained warnings")
    parser.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text", help=FORMAT_HELP)
    parser.add_argument("--all", action="store_true", dest="every",
                        help="text: list every finding, not the first 5 of each check and a count")
    parser.add_argument("--effort", type=float, default=1.0, metavar="N",
                        help="let each proving check work N times its budget (default 1; a check that runs out "
                             "stops with a warning that says so)")


def _case_errors(kb: KnowledgeBase) -> list[Any]:
    """The errors of the case files (they are part of what ``kb check`` checks)."""
    try:
        load_cases(kb)
    except KnowledgeBaseErrors as exc:
        return list(exc.errors)
    return []


def _counts(diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
    """How many errors, (unexplained) warnings and explained warnings."""
    severities = [d.severity for d in diagnostics]
    errors, explained = severities.count("error"), severities.count("explained")
    return {"errors": errors, "warnings": len(severities) - errors - explained, "explained": explained}


def _write(args: argparse.Namespace, env: Environment, diagnostics: Sequence[Diagnostic], summary: str,
           status: ExitStatus) -> ExitStatus:
    from ...diagnostics import FORMATS, Report

    report = Report(tuple(diagnostics), _counts(diagnostics), summary, int(status), getattr(args, "every", False))
    env.stdout.write(FORMATS[args.format](report))
    return status


def report_load_errors(args: argparse.Namespace, env: Environment, errors: Sequence[Any]) -> ExitStatus:
    """The knowledge base does not load: its errors, in the format asked for; exit 2."""
    from ...diagnostics import Diagnostic

    summary = f"kb check: the knowledge base has {len(errors)} error(s); its rules were not checked"
    return _write(args, env, [Diagnostic.of_error(e) for e in errors], summary, ExitStatus.BAD_INPUT)


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from orderdoctor.engine import check_knowledge_base

    from ...diagnostics import Diagnostic

    try:
        config = load_lint_config(kb)
    except KnowledgeBaseErrors as exc:  # checks.yaml: without it the rules are not checked
        return report_load_errors(args, env, [*exc.errors, *_case_errors(kb)])
    findings = check_knowledge_base(kb, config, max(getattr(args, "effort", 1.0), 0.0))
    diagnostics = [Diagnostic.of_error(e) for e in _case_errors(kb)] + [Diagnostic.of_finding(f) for f in findings]
    counts = _counts(diagnostics)
    errors, warnings = counts["errors"], counts["warnings"]
    summary = (
        f"kb check: {errors} error(s), {warnings} warning(s), {counts['explained']} explained "
        f"({len(kb.rules)} rules, {len(kb.advice)} advice items, {len(kb.facts)} facts)"
    )
    status = ExitStatus.OK
    if errors or (warnings and args.strict):
        status = ExitStatus.BAD_INPUT if errors else ExitStatus.SOME_FAILED
    return _write(args, env, diagnostics, summary, status)
