"""``orderdoctor kb test``: run the scenario cases (all, or those ``--case`` names), report failures
(with a why-not for each expected advice that did not come) and coverage, as text or JSON, and
as JUnit XML."""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus, KnowledgeBase, KnowledgeBaseErrors, UsageError, load_cases

from .. import Environment

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["DESCRIPTION", "add_arguments", "report_load_errors", "run"]

DESCRIPTION = (
    "Run the scenario cases (facts in, expected advice out) and report which fail and "
    "how many rules they fire. Exit 1 when a case fails or coverage is below --min-coverage."
)


def _percent(text: str) -> float:
    """A ``--min-coverage`` value: a number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 <= value <= 100:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} is not a percentage from 0 to 100")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="case files (default: the knowledge base's cases/*.yaml)"
    )
    parser.add_argument(
        "--min-coverage", type=_percent, metavar="PERCENT",
        help="fail when fewer rules fire or less advice is shown (0-100)",
    )
    parser.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML (with file and line)")
    parser.add_argument("--case", action="append", metavar="ID", help="run only this case (repeat for more)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json: every case as data"
    )


def _coverage(coverage: Any) -> str:
    """The coverage lines: rules fired, advice shown, fact values and integer boundaries given."""
    never = coverage.rules_never_fired
    text = (
        f"rules fired: {len(coverage.rules_fired)}/{len(coverage.rules)} ({coverage.rule_percent:.1f}%)"
        + (f"; never fired: {', '.join(never)}" if never else "")
        + "\n"
    )
    unreached = coverage.advice_never_reached
    hidden = coverage.rules_never_shown
    text += (
        f"advice shown: {len(coverage.advice_reached)}/{len(coverage.advice)} ({coverage.advice_percent:.1f}%)"
        + (f"; never: {', '.join(unreached)}" if unreached else "")
        + (f"; rules fired but never shown: {', '.join(hidden)}" if hidden else "")
        + "\n"
    )
    missing = [f"{name}={v}" for name, values in coverage.values.items() for v in values
               if v not in coverage.values_given[name]]
    total = sum(len(v) for v in coverage.values.values())
    text += (
        f"fact values given: {total - len(missing)}/{total} ({coverage.value_percent:.1f}%)"
        + (f"; never: {', '.join(missing)}" if missing else "")
        + "\n"
    )
    bounds = sum(len(v) for v in coverage.bounds.values())
    if not bounds:
        return text
    absent = coverage.bounds_missing
    return text + (
        f"integer boundaries given: {bounds - len(absent)}/{bounds} ({coverage.bound_percent:.1f}%)"
        + (f"; missing: {', '.join(absent)}" if absent else "")
        + "\n"
    )


def _chosen(cases: Sequence[Any], wanted: Sequence[str] | None) -> list[Any]:
    """The cases ``--case`` names (all when it is not given); an unknown id is a usage error."""
    if not wanted:
        return list(cases)
    ids = [case.id for case in cases]
    for case_id in wanted:
        if case_id not in ids:
            from orderdoctor.engine import did_you_mean, suggest

            raise UsageError(f"--case '{case_id}': no such case{did_you_mean(suggest(case_id, ids))}")
    return [case for case in cases if case.id in wanted]


def report_load_errors(args: argparse.Namespace, env: Environment, errors: Sequence[Any]) -> ExitStatus:
    """The knowledge base or a case file does not load: its errors (as JSON with ``--format
    json``, else one line each on standard error); no case runs; exit 2."""
    from ...diagnostics import Diagnostic
    from ...render import printable

    diagnostics = [Diagnostic.of_error(error) for error in errors]
    if args.format == "json":
        import json

        data = {"cases": [], "passed": 0, "failed": 0, "coverage": None,
                "errors": [d.to_json() for d in diagnostics]}
        env.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        for diagnostic in diagnostics:
            env.stderr.write(printable(diagnostic.text()) + "\n")
        env.stderr.write(f"kb test: the knowledge base and its cases have {len(errors)} error(s); no case was run\n")
    return ExitStatus.BAD_INPUT


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from orderdoctor.engine import run_cases

    from ...casereport import junit_xml

    try:
        cases = load_cases(kb, args.files or None)
    except KnowledgeBaseErrors as exc:
        return report_load_errors(args, env, exc.errors)
    report = run_cases(kb, _chosen(cases, args.case))
    coverage = report.coverage
    below = _shortfall(coverage, args.min_coverage)
    if args.format == "json":
        _write_json(env, kb, report, args.min_coverage, below is not None)
    else:
        _write_text(env, kb, report, args.min_coverage, below)
    if args.junit:
        from ...output import write_output

        write_output(args.junit, junit_xml(kb, report))  # '-' refused: the report is on standard output
    return ExitStatus.SOME_FAILED if report.failed or below else ExitStatus.OK


def _shortfall(coverage: Any, minimum: float | None) -> str | None:
    """What ``--min-coverage`` finds short (rules fired, then advice shown), or None."""
    if minimum is None:
        return None
    for what, percent in (("rule", coverage.rule_percent), ("advice shown", coverage.advice_percent)):
        if percent + 1e-9 < minimum:
            return f"{what} coverage {percent:.1f}% is below --min-coverage {minimum:g}"
    return None


def _write_text(env: Environment, kb: KnowledgeBase, report: Any, minimum: float | None, below: str | None) -> None:
    from ...casereport import failure_text

    out = env.stdout
    for outcome in report.failed:
        out.write(failure_text(kb, outcome))
    passed = len(report.outcomes) - len(report.failed)
    out.write(f"{len(report.outcomes)} cases: {passed} passed, {len(report.failed)} failed\n")
    out.write(_coverage(report.coverage))
    if below and not report.failed:
        out.write(below + "\n")


def _write_json(env: Environment, kb: KnowledgeBase, report: Any, minimum: float | None, below: bool) -> None:
    import json

    from ...casereport import case_json, coverage_json

    data = {
        "cases": [case_json(kb, outcome) for outcome in report.outcomes],
        "passed": len(report.outcomes) - len(report.failed),
        "failed": len(report.failed),
        "coverage": coverage_json(report.coverage),
        "min_coverage": None if minimum is None else {"required": minimum, "met": not below},
        "errors": [],
    }
    env.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
