"""How ``orderdoctor kb test`` shows the scenario cases' outcomes: a failed case as text (its
problems, a why-not for each expected advice that did not come, the advice left out, the trace),
every case as JSON, and the whole run as JUnit XML with each case's file and line.

The why-not is the engine's (:func:`orderdoctor.engine.explain_why_not`): the rules that give the
advice, each with the first condition that failed and the value it saw, or the facts it did not
know; or the advice that replaces it.
"""

from __future__ import annotations

from pathlib import Path

from orderdoctor.engine import Comparison, Not, Truth, describe_comparison, evaluate, explain_why_not, format_value

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

    from collections.abc import Iterator

    from orderdoctor.engine import ConsultationResult, Evaluation, KnowledgeBase, RuleCheck, TraceStep, WhyNot

__all__ = ["case_json", "coverage_json", "failure_text", "junit_xml", "trace_line", "unexpected"]


# ------------------------------------------------------------------ why not
def unexpected(case: Any, result: ConsultationResult) -> list[str]:
    """The advice ids the case expected and did not get as it wanted: each missing ``must``,
    then ``first`` when the first action is another (once each)."""
    given = result.advice_ids
    ids = [advice_id for advice_id in case.must if advice_id not in given]
    first = result.first_action.id if result.first_action else None
    if case.first is not None and first != case.first and case.first not in ids:
        ids.append(case.first)
    return ids


#: How many derived facts deep the why-not follows a fact that is not known.
DERIVATION_DEPTH = 3


def _leaves(evaluation: Evaluation, negated: bool = False) -> Iterator[tuple[Evaluation, bool]]:
    """Each comparison inside, with whether it counts reversed (under an odd number of ``not``)."""
    if isinstance(evaluation.condition, Comparison):
        yield evaluation, negated
        return
    flip = negated != isinstance(evaluation.condition, Not)
    for part in evaluation.parts:
        yield from _leaves(part, flip)


def _stopped_by(evaluation: Evaluation) -> str:
    """What keeps a condition from holding: the first comparison that fails, else the facts not known."""
    for leaf, negated in _leaves(evaluation):
        if (leaf.truth.negated() if negated else leaf.truth) is Truth.FAILS:
            return "failed first: " + describe_comparison(leaf)
    if evaluation.truth is Truth.HOLDS:
        return "every condition held"
    return "not known: " + ", ".join(evaluation.unknown_facts())


def _needs(evaluation: Evaluation, name: str, value: object) -> bool:
    """Whether ``name`` taking ``value`` would help the condition: it passes a comparison of
    ``name`` that is not decided (or fails one under ``not``)."""
    for leaf, negated in _leaves(evaluation):
        condition = leaf.condition
        if (isinstance(condition, Comparison) and condition.fact == name and leaf.truth is Truth.UNDECIDED
                and condition.operator.test(value, condition.value) != negated):
            return True
    return False


def _derivations(kb: KnowledgeBase, result: ConsultationResult, evaluation: Evaluation, depth: int,
                 seen: set[str]) -> list[str]:
    """For each derived fact ``evaluation`` needs and does not know: the rules that would derive
    a value it needs, and what stops each (following their own unknown derived facts)."""
    lines: list[str] = []
    pad = "  " * depth
    for name in evaluation.unknown_facts():
        if not kb.facts[name].derived or name in seen:
            continue
        seen.add(name)
        for rule_id in kb.graph.rules_deriving(name):
            rule = kb.rule(rule_id)
            value = rule.derived_facts[name]
            if not _needs(evaluation, name, value):
                continue
            inner = evaluate(rule.when, result.facts)
            lines.append(f"{pad}- {name}={format_value(value)} would come from rule {rule.id} "
                         f"({rule.location.short()}): {_stopped_by(inner)}")
            if depth < DERIVATION_DEPTH:
                lines += _derivations(kb, result, inner, depth + 1, seen)
    return lines


def _check_line(check: RuleCheck, why: WhyNot, result: ConsultationResult) -> str:
    """One rule that gives the advice, and what stopped it."""
    rule = check.rule
    head = f"rule {rule.id} ({rule.location.short()}): "
    if check.failed is not None:
        return head + "failed first: " + describe_comparison(check.failed)
    if check.undecided:
        return head + "not known: " + ", ".join(check.undecided)
    if check.fired and any(v.kind == "contract" and v.advice == why.advice_id for v in result.violations):
        return head + "fired, but the advice was withheld: its contract ('requires') fails"
    return head + ("every condition held, and it fired" if check.fired else "every condition held")


def _first_line(advice_id: str, result: ConsultationResult) -> str | None:
    """Why ``advice_id``, which is in the answer, is not its first action."""
    entries = {entry.id: entry for entry in result.advice}
    first = result.first_action
    if advice_id not in entries or first is None:
        return None
    mine, theirs = entries[advice_id], first
    reason = "it is ranked higher"
    ours, other = mine.rule, theirs.rule
    if ours is not None and other is not None:
        if other.priority != ours.priority:
            reason = f"rule {other.id} has priority {other.priority}, rule {ours.id} {ours.priority}"
        elif theirs.step != mine.step:
            reason = f"rule {other.id} fired first (step {theirs.step}; rule {ours.id} at step {mine.step})"
        else:
            reason = f"rule {other.id} lists it first"
    return f"'{advice_id}' is advised, but '{theirs.id}' comes first: {reason}"


def why_not_lines(kb: KnowledgeBase, result: ConsultationResult, advice_id: str) -> list[str]:
    """``why not 'ID':`` and one line per rule that gives it (or what replaced it)."""
    ordered = _first_line(advice_id, result)
    if ordered is not None:
        return [f"why not '{advice_id}' first: {ordered}"]
    why = explain_why_not(kb, result, advice_id)
    if why.replaced_by is not None:
        return [f"why not '{advice_id}': left out: {why.replaced_by} replaces it"]
    if not why.checks:
        return [f"why not '{advice_id}': no rule gives it"]
    lines = [f"why not '{advice_id}':"]
    for check in why.checks:
        lines.append(f"  - {_check_line(check, why, result)}")
        if check.failed is None:
            lines += [f"  {line}" for line in _derivations(kb, result, check.evaluation, 1, set())]
    return lines


def _why_not_json(kb: KnowledgeBase, result: ConsultationResult, advice_id: str) -> dict[str, Any]:
    why = explain_why_not(kb, result, advice_id)
    return {
        "advice": advice_id,
        "given": why.shown,
        "replaced_by": why.replaced_by,
        "explanation": why_not_lines(kb, result, advice_id),
        "rules": [
            {
                "rule": check.rule.id,
                "location": check.rule.location.short(),
                "fired": check.fired,
                "failed": describe_comparison(check.failed) if check.failed else None,
                "not_known": list(check.undecided),
            }
            for check in why.checks
        ],
    }


# ------------------------------------------------------------------ text
def trace_line(step: TraceStep) -> str:
    """``N. RULE (fact=value, …) → what it concluded``: derived facts and advice, both when a
    rule gives both."""
    matched = ", ".join(f"{m.name}={m.value}" for m in step.matched)
    if step.derived and step.advised:
        concluded = f"{dict(step.derived)} and {list(step.advised)}"
    else:
        concluded = str(list(step.advised) or dict(step.derived))
    return f"{step.step}. {step.rule.id} ({matched}) → {concluded}"


def failure_text(kb: KnowledgeBase, outcome: Any) -> str:
    """A failed case: its problems, why each expected advice did not come, what it expected,
    what it got (and left out), and the trace."""
    case, result = outcome.case, outcome.result
    lines = [f"FAIL {case.id} ({case.location}): {case.story}\n"]
    lines += [f"  - {problem}\n" for problem in outcome.problems]
    for advice_id in unexpected(case, result):
        lines += [f"  {line}\n" for line in why_not_lines(kb, result, advice_id)]
    lines.append(f"  expected: must {list(case.must)}, must not {list(case.must_not)}")
    lines.append(f", first {case.first}\n" if case.first else "\n")
    lines.append(f"  got: {list(result.advice_ids)}\n")
    for replaced in result.replaced:
        lines.append(f"  left out: {replaced.entry.id} ({replaced.by} replaces it)\n")
    lines.append("  trace:\n")
    lines += [f"    {trace_line(step)}\n" for step in result.trace]
    return "".join(lines)


# ------------------------------------------------------------------ json
def case_json(kb: KnowledgeBase, outcome: Any) -> dict[str, Any]:
    """One case's outcome as data: where it is, whether it passed, what it expected and got."""
    case, result = outcome.case, outcome.result
    return {
        "id": case.id,
        "file": case.location.file,
        "line": case.location.line,
        "column": case.location.column,
        "status": "passed" if outcome.passed else "failed",
        "messages": list(outcome.problems),
        "expected": {"must": list(case.must), "must_not": list(case.must_not), "first": case.first},
        "got": list(result.advice_ids),
        "first": result.first_action.id if result.first_action else None,
        "left_out": [{"advice": r.entry.id, "replaced_by": r.by} for r in result.replaced],
        "why_not": [] if outcome.passed else [_why_not_json(kb, result, a) for a in unexpected(case, result)],
    }


def coverage_json(coverage: Any) -> dict[str, Any]:
    """What the cases exercised: rules fired, advice shown, choice values and integer boundaries given."""
    missing = {name: [v for v in values if v not in coverage.values_given[name]]
               for name, values in coverage.values.items()}
    return {
        "rules": {"total": len(coverage.rules), "fired": len(coverage.rules_fired),
                  "percent": round(coverage.rule_percent, 1), "never_fired": list(coverage.rules_never_fired)},
        "advice": {"total": len(coverage.advice), "shown": len(coverage.advice_reached),
                   "percent": round(coverage.advice_percent, 1), "never": list(coverage.advice_never_reached),
                   "rules_fired_but_never_shown": list(coverage.rules_never_shown)},
        "values": {"total": sum(len(v) for v in coverage.values.values()),
                   "given": sum(len(v) for v in coverage.values_given.values()),
                   "percent": round(coverage.value_percent, 1),
                   "never": [f"{name}={v}" for name, values in missing.items() for v in values]},
        "integer_boundaries": {"total": sum(len(v) for v in coverage.bounds.values()),
                               "missing": list(coverage.bounds_missing)},
    }


# ------------------------------------------------------------------ junit
def junit_xml(kb: KnowledgeBase, report: Any) -> str:
    """The run as JUnit XML: one ``testcase`` per case, with ``file`` and ``line`` (what GitHub's
    and GitLab's test reports use to point at the case), and a failed case's text as the failure."""
    from xml.sax.saxutils import escape, quoteattr

    from .diagnostics import repository_path

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name="orderdoctor kb test" tests="{len(report.outcomes)}" '
        f'failures="{len(report.failed)}" errors="0">',
    ]
    for outcome in report.outcomes:
        case = outcome.case
        where = case.location
        classname = quoteattr("kb.cases." + Path(where.file).stem)
        file = quoteattr(repository_path(where.file) or where.file)
        line = f' line="{where.line}"' if where.line is not None else ""
        lines.append(f"  <testcase classname={classname} name={quoteattr(case.id)} file={file}{line}>")
        if not outcome.passed:
            message = "; ".join(outcome.problems)
            detail = failure_text(kb, outcome)
            lines.append(f"    <failure message={quoteattr(message)}>{escape(detail)}</failure>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"

