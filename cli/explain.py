"""Rendering explanations (how, why-not, what-if) as text, JSON, Markdown or Mermaid.

The explanations themselves are data from :mod:`orderdoctor.engine.explanation`;
this module only turns them into words and pictures.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from orderdoctor.engine import ConsultationResult, KnowledgeBase
from orderdoctor.engine import (
    AdviceSupport,
    FactSupport,
    RuleCheck,
    RuleSupport,
    WhatIf,
    WhyNot,
    describe_comparison,
    explain_how,
)
from orderdoctor.engine import Rule

from .render import FORMATS, deadline_text, format_value, render_trace

__all__ = ["Explanation", "FORMATS", "render_explanation"]



@dataclass(frozen=True)
class Explanation:
    """What ``orderdoctor explain`` was asked for."""

    kb: KnowledgeBase
    result: ConsultationResult
    why_not: tuple[WhyNot, ...] = ()
    what_if: WhatIf | None = None
    how: tuple[AdviceSupport, ...] = field(default=())
    #: the date deadlines count from (None: deadlines are not shown)
    today: datetime.date | None = None

    def deadline(self, days: int | None) -> str:
        """``"by Sat 06 Dec, 14 days left"``, or "" (no deadline, or no date to count from)."""
        return deadline_text(days, self.today) if self.today is not None else ""


def _cite(rule: Rule) -> str:
    return f"{rule.location.short()} · source: {rule.source}"


def _value(name: str, value: object) -> str:
    return f"{name} = {format_value(value)}"


# ------------------------------------------------------------------- text
def _text_rule(support: RuleSupport, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    rule = support.rule
    lines.append(f"{pad}because {rule.description[0].lower()}{rule.description[1:]}")
    lines.append(f"{pad}  [rule {rule.id}, step {support.step.step} · {_cite(rule)}]")
    for fact in support.facts:
        _text_fact(fact, indent + 1, lines)


def _text_fact(fact: FactSupport, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    if fact.via is None:
        lines.append(f"{pad}- {_value(fact.name, fact.value)}: you said so")
    else:
        lines.append(f"{pad}- {_value(fact.name, fact.value)}: concluded in step {fact.via.step.step},")
        _text_rule(fact.via, indent + 1, lines)


def _text_how(explanation: Explanation) -> list[str]:
    lines = ["How the advice was reached:"]
    for support in explanation.how:
        entry = support.entry
        head = f"{entry.kind.value.upper()} {entry.id}: {entry.advice.title}"
        if support.replaced_by:
            head += f" (left out: {support.replaced_by} replaces it)"
        lines.append("")
        lines.append(head)
        if support.because is None:
            lines.append("  because no rule applies to the facts given")
        else:
            _text_rule(support.because, 1, lines)
    return lines


def _text_check(check: RuleCheck, kb: KnowledgeBase) -> list[str]:
    rule = check.rule
    lines = [f"- rule {rule.id}: {rule.description}", f"    [{_cite(rule)}]"]
    if check.holds:
        lines.append("    every condition held" + (", and it fired" if check.fired else ""))
    for held in check.held:
        lines.append(f"    held: {describe_comparison(held)}")
    if check.failed is not None:
        lines.append(f"    failed first: {describe_comparison(check.failed)}")
    for name in check.undecided:
        lines.append(f"    not known: {name}")
    if check.questions and check.failed is None:
        questions = "; ".join(f"{kb.facts[q].question} ({q})" for q in check.questions)
        lines.append(f"    would be decided by: {questions}")
    return lines


def _text_why_not(why: WhyNot, kb: KnowledgeBase) -> list[str]:
    advice = kb.advice[why.advice_id]
    lines = [f'Why not {why.advice_id} ("{advice.title}")?']
    if why.given_by is not None:
        rule = why.given_by.rule
        lines.append(f"It is advised, by rule {rule.id}." if rule else "It is advised.")
        return lines
    if why.replaced_by is not None:
        lines.append(f"A rule gave it, but it is left out because {why.replaced_by} replaces it.")
        return lines
    if not why.checks:
        lines.append("No rule gives this advice.")
        return lines
    count = len(why.checks)
    lines.append(f"It is not advised. {count} rule{'s' if count != 1 else ''} could give it:")
    for check in why.checks:
        lines += _text_check(check, kb)
    if why.through:
        lines.append("Facts those rules need are concluded by: " + ", ".join(why.through))
    return lines


def _text_what_if(what: WhatIf, kb: KnowledgeBase) -> list[str]:
    changes = ", ".join(
        f"{_value(name, value)} (was {format_value(what.before.given[name]) if name in what.before.given else 'not known'})"
        for name, value in what.changes.items()
    )
    lines = [f"What if {changes}?"]
    if not what.changed and not what.newly_fired and not what.stopped_firing:
        lines.append("Nothing would change.")
        return lines

    def named(ids: Sequence[str]) -> str:
        return ", ".join(f"{a} ({kb.advice[a].kind.value})" for a in ids) or "none"

    lines.append(f"Advice added: {named(what.added)}")
    lines.append(f"Advice removed: {named(what.removed)}")
    lines.append(f"Order of the advice changed: {'yes' if what.reordered else 'no'}")
    lines.append(f"Rules that would newly fire: {', '.join(what.newly_fired) or 'none'}")
    lines.append(f"Rules that would stop firing: {', '.join(what.stopped_firing) or 'none'}")
    lines.append("The advice would then be: " + ", ".join(what.after.advice_ids))
    return lines


def _text(explanation: Explanation) -> str:
    result = explanation.result
    given = ", ".join(_value(k, v) for k, v in result.given.items()) or "(none)"
    lines = [f"Facts given: {given}", ""]
    if explanation.why_not or explanation.what_if:
        for why in explanation.why_not:
            lines += _text_why_not(why, explanation.kb) + [""]
        if explanation.what_if:
            lines += _text_what_if(explanation.what_if, explanation.kb) + [""]
    else:
        lines += _text_how(explanation) + [""]
        trace = render_trace(result, explanation.kb).split("\n")
        start = next(i for i, line in enumerate(trace) if line.startswith(("Rules fired", "No rule fired")))
        lines += trace[start:]
    while lines and not lines[-1]:
        lines.pop()
    lines += _text_violations(explanation)
    return "\n".join(lines).rstrip("\n") + "\n"


def _text_violations(explanation: Explanation) -> list[str]:
    """The "Contract violations" section: where the answer breaks the advice catalogue's own
    rules (a knowledge-base error; a sound knowledge base has none)."""
    violations = explanation.result.violations
    if not violations:
        return []
    lines = ["", f"Contract violations ({len(violations)}; a knowledge-base error, please report it):"]
    lines += [f"  - {violation.message}" for violation in violations]
    return lines


# ------------------------------------------------------------------- json
def _json_rule(support: RuleSupport) -> dict[str, Any]:
    rule = support.rule
    return {
        "step": support.step.step,
        "rule": rule.id,
        "description": rule.description,
        "location": rule.location.short(),
        "source": rule.source,
        "matched": [
            {"fact": f.name, "value": f.value, "given": f.given, "derived": _json_rule(f.via) if f.via else None}
            for f in support.facts
        ],
    }


def _json_check(check: RuleCheck) -> dict[str, Any]:
    return {
        "rule": check.rule.id,
        "location": check.rule.location.short(),
        "source": check.rule.source,
        "holds": check.holds,
        "fired": check.fired,
        "held": [describe_comparison(e) for e in check.held],
        "failed": describe_comparison(check.failed) if check.failed else None,
        "not_known": list(check.undecided),
        "questions": list(check.questions),
    }


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    """The JSON form: ``advise --json``'s object plus ``how``, ``why_not`` and ``what_if``."""
    data = explanation.result.to_json()
    data["how"] = [
        {
            "advice": s.entry.id,
            "kind": s.entry.kind.value,
            "replaced_by": s.replaced_by,
            "because": _json_rule(s.because) if s.because else None,
        }
        for s in explanation.how
    ]
    if explanation.why_not:
        data["why_not"] = [
            {
                "advice": w.advice_id,
                "given": w.given,
                "given_by": w.given_by.rule.id if w.given_by and w.given_by.rule else None,
                "replaced_by": w.replaced_by,
                "rules": [_json_check(c) for c in w.checks],
                "through": list(w.through),
            }
            for w in explanation.why_not
        ]
    if explanation.what_if:
        what = explanation.what_if
        data["what_if"] = {
            "changes": dict(what.changes),
            "added": list(what.added),
            "removed": list(what.removed),
            "reordered": what.reordered,
            "newly_fired": list(what.newly_fired),
            "stopped_firing": list(what.stopped_firing),
            "after": what.after.to_json(),
        }
    return data


# --------------------------------------------------------------- markdown
def _md_rule(support: RuleSupport, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    rule = support.rule
    lines.append(f"{pad}- because **{rule.description}** (rule `{rule.id}`, `{rule.location.short()}`, {rule.source})")
    for fact in support.facts:
        if fact.via is None:
            lines.append(f"{pad}  - `{_value(fact.name, fact.value)}` — given")
        else:
            lines.append(f"{pad}  - `{_value(fact.name, fact.value)}` — concluded in step {fact.via.step.step}")
            _md_rule(fact.via, depth + 2, lines)


def _markdown(explanation: Explanation) -> str:
    kb, result = explanation.kb, explanation.result
    lines = ["## Order situation", ""]
    lines += [f"- `{_value(k, v)}`" for k, v in result.given.items()] or ["- (no facts given)"]
    lines += ["", "## Advice", ""]
    number = 0
    for entry in result.advice:
        if entry.kind.value == "action":
            number += 1
            label = f"{number}."
        else:
            label = "-"
        when = explanation.deadline(entry.deadline_days)
        title = f"{entry.advice.title} ({when})" if when else entry.advice.title
        lines.append(f"{label} **{entry.kind.value.capitalize()}: {title}** — {entry.advice.text}")
    if not (explanation.why_not or explanation.what_if):
        lines += ["", "## How this advice was reached", ""]
        for support in explanation.how:
            suffix = f" (left out: `{support.replaced_by}` replaces it)" if support.replaced_by else ""
            lines.append(f"### `{support.entry.id}`{suffix}")
            lines.append("")
            if support.because is None:
                lines.append("- no rule applies to the facts given")
            else:
                _md_rule(support.because, 0, lines)
            lines.append("")
    for why in explanation.why_not:
        lines += ["", f"## Why not `{why.advice_id}`?", ""]
        lines += [line if line.startswith(("-", " ")) else line for line in _text_why_not(why, kb)[1:]]
    if explanation.what_if:
        what = explanation.what_if
        lines += ["", "## What if " + ", ".join(f"`{_value(k, v)}`" for k, v in what.changes.items()) + "?", ""]
        lines += ["| | |", "|---|---|"]
        lines.append(f"| advice added | {', '.join(f'`{a}`' for a in what.added) or '—'} |")
        lines.append(f"| advice removed | {', '.join(f'`{a}`' for a in what.removed) or '—'} |")
        lines.append(f"| order changed | {'yes' if what.reordered else 'no'} |")
        lines.append(f"| rules newly fired | {', '.join(f'`{r}`' for r in what.newly_fired) or '—'} |")
        lines.append(f"| rules stopped firing | {', '.join(f'`{r}`' for r in what.stopped_firing) or '—'} |")
    if result.violations:
        lines += ["", "## Contract violations", "", "A knowledge-base error; please report it.", ""]
        lines += [f"- {violation.message}" for violation in result.violations]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- mermaid
def _mermaid(explanation: Explanation) -> str:
    """The fired part of the rule graph: given facts → rules → derived facts → advice."""
    result = explanation.what_if.after if explanation.what_if else explanation.result
    newly = set(explanation.what_if.newly_fired) if explanation.what_if else set()
    lines = ["flowchart LR"]
    ids: dict[str, str] = {}

    def node(key: str, label: str, shape: str) -> str:
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            text = label.replace('"', "'")
            opening, closing = {"fact": ('(["', '"])'), "rule": ('["', '"]'), "advice": ('{{"', '"}}')}[shape]
            lines.append(f"  {ids[key]}{opening}{text}{closing}")
        return ids[key]

    fired_classes: list[str] = []
    for step in result.trace:
        rule_id = node(f"rule:{step.rule.id}", f"{step.step}. {step.rule.id}", "rule")
        fired_classes.append(rule_id)
        for matched in step.matched:
            fact_id = node(f"fact:{matched.name}", _value(matched.name, matched.value), "fact")
            lines.append(f"  {fact_id} --> {rule_id}")
        for name, value in step.derived:
            if result.derived_by.get(name) == step.rule.id:
                fact_id = node(f"fact:{name}", _value(name, value), "fact")
                lines.append(f"  {rule_id} --> {fact_id}")
        for advice_id in step.advised:
            kind = explanation.kb.advice[advice_id].kind.value
            advice_node = node(f"advice:{advice_id}", f"{kind}: {advice_id}", "advice")
            lines.append(f"  {rule_id} --> {advice_node}")
    lines.append("  classDef fact fill:#eef,stroke:#669")
    lines.append("  classDef rule fill:#efe,stroke:#696")
    lines.append("  classDef advice fill:#fee,stroke:#966")
    lines.append("  classDef new stroke-width:3px,stroke:#c60")
    by_kind: dict[str, list[str]] = {"fact": [], "rule": [], "advice": []}
    for key, node_id in ids.items():
        by_kind[key.split(":", 1)[0]].append(node_id)
    for kind, node_ids in by_kind.items():
        if node_ids:
            lines.append(f"  class {','.join(node_ids)} {kind}")
    new_ids = [ids[f"rule:{r}"] for r in newly if f"rule:{r}" in ids]
    if new_ids:
        lines.append(f"  class {','.join(sorted(new_ids))} new")
    return "\n".join(lines) + "\n"


def render_explanation(explanation: Explanation, fmt: str) -> str:
    """The explanation in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        import json

        return json.dumps(explanation_json(explanation), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(explanation)
    if fmt == "mermaid":
        return _mermaid(explanation)
    return _text(explanation)


def build_explanation(
    kb: KnowledgeBase,
    result: ConsultationResult,
    why_not: tuple[WhyNot, ...] = (),
    what_if: WhatIf | None = None,
    today: datetime.date | None = None,
) -> Explanation:
    return Explanation(kb, result, why_not, what_if, explain_how(result), today)
