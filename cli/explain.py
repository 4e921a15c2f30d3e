"""Rendering explanations (how, why-not, what-if) as text, JSON, Markdown or Mermaid.

The explanations themselves are data (:class:`orderdoctor.engine.explanation.Explanation`);
this module only turns them into words and pictures. Text is composed of section
renderers — :func:`text_facts`, :func:`text_how`, :func:`text_trace`, :func:`text_why_not`,
:func:`text_what_if`, :func:`text_violations` — which ``explain``, ``advise --why-not`` and
``ask``'s ``how`` call directly: nothing re-reads rendered text.

Every format is one function and one line of :data:`RENDERERS`; the command line's choices
(``render.FORMATS``) are its keys. Importing this module loads nothing from the engine but
the value formatter (the command line's start-up reads the keys).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from orderdoctor.engine import format_value

from .render import deadline_text, render_json, trace_lines

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from orderdoctor.engine import (
        Evaluation,
        Explanation,
        FactSupport,
        KnowledgeBase,
        Rule,
        RuleCheck,
        RuleSupport,
        WhatIf,
        WhyNot,
    )

__all__ = [
    "RENDERERS",
    "render_explanation",
    "render_sections",
    "text_facts",
    "text_how",
    "text_trace",
    "text_violations",
    "text_what_if",
    "text_why_not",
]


def _cite(rule: Rule) -> str:
    return f"{rule.location.short()} · source: {rule.source}"


def _value(name: str, value: object) -> str:
    return f"{name} = {format_value(value)}"


def _describe(evaluation: Evaluation) -> str:
    from orderdoctor.engine import describe_comparison  # (loaded: the explanation exists)

    return describe_comparison(evaluation)


def _joined(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


# ------------------------------------------------------------------- text
def text_facts(explanation: Explanation) -> list[str]:
    """``Facts given: a = 1, b = x`` and an empty line."""
    given = ", ".join(_value(k, v) for k, v in explanation.result.given.items()) or "(none)"
    return [f"Facts given: {given}", ""]


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


def text_how(explanation: Explanation) -> list[str]:
    """``How the advice was reached:``, then each piece of advice and the rules behind it."""
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


def text_trace(explanation: Explanation) -> list[str]:
    """The rules fired, in order, and the conclusion (:func:`render.trace_lines`)."""
    return trace_lines(explanation.result, explanation.kb)


def _text_check(check: RuleCheck, kb: KnowledgeBase) -> list[str]:
    rule = check.rule
    lines = [f"- rule {rule.id}: {rule.description}", f"    [{_cite(rule)}]"]
    if check.holds:
        lines.append("    every condition held" + (", and it fired" if check.fired else ""))
    for held in check.held:
        lines.append(f"    held: {_describe(held)}")
    if check.failed is not None:
        lines.append(f"    failed first: {_describe(check.failed)}")
    for name in check.undecided:
        lines.append(f"    not known: {name}")
    if check.questions and check.failed is None:
        questions = "; ".join(f"{kb.facts[q].question} ({q})" for q in check.questions)
        lines.append(f"    would be decided by: {questions}")
    return lines


def text_why_not(why: WhyNot, kb: KnowledgeBase) -> list[str]:
    """``Why not ADVICE ("title")?`` and the answer: given, replaced, or the rules checked."""
    advice = kb.advice[why.advice_id]
    lines = [f'Why not {why.advice_id} ("{advice.title}")?']
    if why.shown_by is not None:
        rule = why.shown_by.rule
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


def text_what_if(what: WhatIf, kb: KnowledgeBase) -> list[str]:
    """``What if a = 1 (was 2)?`` and what would change."""
    before = what.before.given
    changes = ", ".join(
        f"{_value(name, value)} (was {format_value(before[name]) if name in before else 'not known'})"
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


def text_violations(explanation: Explanation) -> list[str]:
    """The "Contract violations" section: where the answer breaks the advice catalogue's own
    rules (a knowledge-base error; a sound knowledge base has none)."""
    violations = explanation.result.violations
    if not violations:
        return []
    lines = ["", f"Contract violations ({len(violations)}; a knowledge-base error, please report it):"]
    lines += [f"  - {violation.message}" for violation in violations]
    return lines


def _text_sections(explanation: Explanation) -> list[str]:
    """Everything after the facts: the why-not and what-if answers asked for, else the how and
    the trace; then the contract violations."""
    lines: list[str] = []
    if explanation.asked:
        for why in explanation.why_not:
            lines += text_why_not(why, explanation.kb) + [""]
        if explanation.what_if:
            lines += text_what_if(explanation.what_if, explanation.kb) + [""]
    else:
        lines += text_how(explanation) + [""]
        lines += text_trace(explanation)
    while lines and not lines[-1]:
        lines.pop()
    return lines + text_violations(explanation)


def render_sections(explanation: Explanation) -> str:
    """The text form without its ``Facts given`` line (``advise`` has shown the facts' plan)."""
    return _joined(_text_sections(explanation))


def _text(explanation: Explanation) -> str:
    return _joined(text_facts(explanation) + _text_sections(explanation))


# ------------------------------------------------------------------- json
def _json(explanation: Explanation) -> str:
    return render_json(explanation.to_json())


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


def _md_advice(explanation: Explanation) -> list[str]:
    lines = ["", "## Advice", ""]
    number = 0
    today = explanation.today
    for entry in explanation.result.advice:
        if entry.kind.value == "action":
            number += 1
            label = f"{number}."
        else:
            label = "-"
        when = deadline_text(entry.deadline_days, today) if today is not None else ""
        title = f"{entry.advice.title} ({when})" if when else entry.advice.title
        lines.append(f"{label} **{entry.kind.value.capitalize()}: {title}** — {entry.advice.text}")
    return lines


def _md_how(explanation: Explanation) -> list[str]:
    lines = ["", "## How this advice was reached", ""]
    for support in explanation.how:
        suffix = f" (left out: `{support.replaced_by}` replaces it)" if support.replaced_by else ""
        lines.append(f"### `{support.entry.id}`{suffix}")
        lines.append("")
        if support.because is None:
            lines.append("- no rule applies to the facts given")
        else:
            _md_rule(support.because, 0, lines)
        lines.append("")
    return lines


def _md_what_if(what: WhatIf) -> list[str]:
    def ids(names: Sequence[str]) -> str:
        return ", ".join(f"`{name}`" for name in names) or "—"

    lines = ["", "## What if " + ", ".join(f"`{_value(k, v)}`" for k, v in what.changes.items()) + "?", ""]
    lines += ["| | |", "|---|---|"]
    lines.append(f"| advice added | {ids(what.added)} |")
    lines.append(f"| advice removed | {ids(what.removed)} |")
    lines.append(f"| order changed | {'yes' if what.reordered else 'no'} |")
    lines.append(f"| rules newly fired | {ids(what.newly_fired)} |")
    lines.append(f"| rules stopped firing | {ids(what.stopped_firing)} |")
    return lines


def _markdown(explanation: Explanation) -> str:
    result = explanation.result
    lines = ["## Order situation", ""]
    lines += [f"- `{_value(k, v)}`" for k, v in result.given.items()] or ["- (no facts given)"]
    lines += _md_advice(explanation)
    if not explanation.asked:
        lines += _md_how(explanation)
    for why in explanation.why_not:
        lines += ["", f"## Why not `{why.advice_id}`?", ""]
        lines += text_why_not(why, explanation.kb)[1:]
    if explanation.what_if:
        lines += _md_what_if(explanation.what_if)
    if result.violations:
        lines += ["", "## Contract violations", "", "A knowledge-base error; please report it.", ""]
        lines += [f"- {violation.message}" for violation in result.violations]
    return _joined(lines)


# ---------------------------------------------------------------- mermaid
_SHAPES = {"fact": ('(["', '"])'), "rule": ('["', '"]'), "advice": ('{{"', '"}}')}
_CLASSES = [
    "  classDef fact fill:#eef,stroke:#669",
    "  classDef rule fill:#efe,stroke:#696",
    "  classDef advice fill:#fee,stroke:#966",
    "  classDef new stroke-width:3px,stroke:#c60",
]


class _Flowchart:
    """Mermaid lines with one node per key (``fact:NAME``, ``rule:ID``, ``advice:ID``)."""

    def __init__(self) -> None:
        self.lines = ["flowchart LR"]
        self.ids: dict[str, str] = {}

    def node(self, key: str, label: str) -> str:
        if key not in self.ids:
            self.ids[key] = f"n{len(self.ids)}"
            opening, closing = _SHAPES[key.split(":", 1)[0]]
            text = label.replace('"', "'")
            self.lines.append(f"  {self.ids[key]}{opening}{text}{closing}")
        return self.ids[key]

    def edge(self, start: str, end: str) -> None:
        self.lines.append(f"  {start} --> {end}")

    def classes(self, newly: set[str]) -> list[str]:
        lines = list(_CLASSES)
        by_kind: dict[str, list[str]] = {"fact": [], "rule": [], "advice": []}
        for key, node_id in self.ids.items():
            by_kind[key.split(":", 1)[0]].append(node_id)
        lines += [f"  class {','.join(node_ids)} {kind}" for kind, node_ids in by_kind.items() if node_ids]
        new_ids = [self.ids[f"rule:{r}"] for r in newly if f"rule:{r}" in self.ids]
        if new_ids:
            lines.append(f"  class {','.join(sorted(new_ids))} new")
        return lines


def _mermaid(explanation: Explanation) -> str:
    """The fired part of the rule graph: given facts → rules → derived facts → advice."""
    result = explanation.what_if.after if explanation.what_if else explanation.result
    newly = set(explanation.what_if.newly_fired) if explanation.what_if else set()
    chart = _Flowchart()
    for step in result.trace:
        rule_id = chart.node(f"rule:{step.rule.id}", f"{step.step}. {step.rule.id}")
        for matched in step.matched:
            chart.edge(chart.node(f"fact:{matched.name}", _value(matched.name, matched.value)), rule_id)
        for name, value in step.derived:
            if result.derived_by.get(name) == step.rule.id:
                chart.edge(rule_id, chart.node(f"fact:{name}", _value(name, value)))
        for advice_id in step.advised:
            kind = explanation.kb.advice[advice_id].kind.value
            chart.edge(rule_id, chart.node(f"advice:{advice_id}", f"{kind}: {advice_id}"))
    return "\n".join(chart.lines + chart.classes(newly)) + "\n"


# --------------------------------------------------------------- registry
#: Every format of ``orderdoctor explain --format``: its name and the function that renders it.
RENDERERS: dict[str, Callable[[Explanation], str]] = {
    "text": _text,
    "json": _json,
    "markdown": _markdown,
    "mermaid": _mermaid,
}


def render_explanation(explanation: Explanation, fmt: str) -> str:
    """The explanation in ``fmt`` (one of the keys of :data:`RENDERERS`)."""
    return RENDERERS[fmt](explanation)
