"""``orderdoctor kb test``: run the scenario cases, report failures and coverage (and JUnit XML)."""

from __future__ import annotations

import argparse
from pathlib import Path

from orderdoctor.engine import ExitStatus, KnowledgeBase, load_cases

from .. import Environment

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DESCRIPTION", "add_arguments", "run"]

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
    parser.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML")


def _failure(outcome: Any) -> str:
    """A failed case: its problems, what it expected, what it got, and the trace."""
    case = outcome.case
    lines = [f"FAIL {case.id} ({case.location}): {case.story}\n"]
    lines += [f"  - {problem}\n" for problem in outcome.problems]
    lines.append(f"  expected: must {list(case.must)}, must not {list(case.must_not)}")
    lines.append(f", first {case.first}\n" if case.first else "\n")
    lines.append(f"  got: {list(outcome.result.advice_ids)}\n  trace:\n")
    for step in outcome.result.trace:
        matched = ", ".join(f"{m.name}={m.value}" for m in step.matched)
        lines.append(f"    {step.step}. {step.rule.id} ({matched}) → {list(step.advised) or dict(step.derived)}\n")
    return "".join(lines)


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


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from orderdoctor.engine import run_cases

    out = env.stdout
    cases = load_cases(kb, args.files or None)
    report = run_cases(kb, cases)
    for outcome in report.failed:
        out.write(_failure(outcome))
    coverage = report.coverage
    passed = len(report.outcomes) - len(report.failed)
    out.write(f"{len(report.outcomes)} cases: {passed} passed, {len(report.failed)} failed\n")
    out.write(_coverage(coverage))
    if args.junit:
        _write_junit(args.junit, report)
    if report.failed:
        return ExitStatus.SOME_FAILED
    for what, percent in (("rule", coverage.rule_percent), ("advice shown", coverage.advice_percent)):
        if args.min_coverage is not None and percent + 1e-9 < args.min_coverage:
            out.write(f"{what} coverage {percent:.1f}% is below --min-coverage {args.min_coverage:g}\n")
            return ExitStatus.SOME_FAILED
    return ExitStatus.OK


def _write_junit(path: str, report: Any) -> None:
    from xml.sax.saxutils import escape, quoteattr

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name="orderdoctor kb test" tests="{len(report.outcomes)}" '
        f'failures="{len(report.failed)}" errors="0">',
    ]
    for outcome in report.outcomes:
        case = outcome.case
        classname = quoteattr("kb.cases." + Path(case.location.file).stem)
        lines.append(f"  <testcase classname={classname} name={quoteattr(case.id)}>")
        if not outcome.passed:
            message = "; ".join(outcome.problems)
            detail = f"{case.story}\nadvice: {list(outcome.result.advice_ids)}"
            lines.append(f"    <failure message={quoteattr(message)}>{escape(detail)}</failure>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    from ...output import write_output

    write_output(path, "\n".join(lines) + "\n")  # '-' refused: the report is on standard output


