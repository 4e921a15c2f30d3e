"""What ``orderdoctor ask`` says to ``why``, ``how``, ``why not ADVICE`` and ``what if
FACT=VALUE``, and what a ``--watch`` reload changed in the plan: the engine's explanations
(:mod:`orderdoctor.engine.explanation`) in the words of the conversation — shorter than
``orderdoctor explain``'s, in terms of questions and the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from orderdoctor.engine import (
    AdviceKind,
    ConsultationResult,
    Interview,
    KnowledgeBase,
    Question,
    Reason,
    WhatIf,
    WhyNot,
    compare_results,
    describe_comparison,
    explain,
    format_value,
)

from .explain import text_how

__all__ = [
    "WHY_LEADS", "WHY_RULES", "how_text", "listed", "reload_lines", "what_if_text", "why_lines", "why_not_text",
]

#: How many rules ``why`` shows, and how much advice for each (``why all`` shows everything).
WHY_RULES = 3
WHY_LEADS = 3

#: A line to say and its style ("" or ``class:hint``).
Said = tuple[str, str]


def listed(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def titles(kb: KnowledgeBase, advice_ids: Iterable[str]) -> str:
    """``"Title one"; "Title two"`` for the advice ids ``kb`` defines."""
    return "; ".join(f'"{kb.advice[a].title}"' for a in advice_ids if a in kb.advice)


def _ranked(reasons: Sequence[Reason]) -> list[Reason]:
    """The rules that matter most first: those on which the most advice still hangs (what
    they give and what the facts they derive can lead to), then by priority; then the
    order the planner gave."""

    def key(item: tuple[int, Reason]) -> tuple[int, int, int]:
        position, reason = item
        return (-len(reason.could_give), -reason.rule.priority, position)

    return [reason for _, reason in sorted(enumerate(reasons), key=key)]


def why_lines(kb: KnowledgeBase, question: Question | None, every: bool = False) -> list[Said]:
    """Why ``question`` is asked (None: the advice is complete); ``every`` rule that needs it
    (``why all``) or the few that matter most."""
    if question is None:
        return [("The advice is complete: no answer to another question would change it. Type how to see why.", "")]
    if question.for_deadline:
        return [(
            "The advice is settled; I ask so that the plan can say by when to act on "
            f"{titles(kb, question.for_deadline)}.", ""
        )]
    if not question.reasons:
        return [("You asked to change this answer.", "")]
    ranked = _ranked(question.reasons)
    shown = ranked if every else ranked[:WHY_RULES]
    count = len(ranked)
    if every:
        lines = [(f"I ask this because your answer can change the advice. All {count} rules that need it:", "")]
    elif count == 1:
        lines = [("I ask this because your answer can change the advice. The rule that needs it:", "")]
    else:
        lines = [("I ask this because your answer can change the advice. The rules that matter most:", "")]
    for reason in shown:
        leads = reason.could_give if every else reason.could_give[:WHY_LEADS]
        more = len(reason.could_give) - len(leads)
        lead = f" It can lead to: {titles(kb, leads)}" if leads else ""
        lead += f" (and {more} more)." if more else "." if leads else ""
        lines.append((f"- {reason.rule.description}{lead}", ""))
    if len(shown) < count:
        rest = count - len(shown)
        lines.append((
            f"({rest} more rule{'s' if rest != 1 else ''} need{'' if rest != 1 else 's'} the answer; "
            "type why all to see every one.)", "class:hint"
        ))
    return lines


def how_text(kb: KnowledgeBase, result: ConsultationResult) -> str:
    """How the advice so far was reached (the how section of ``orderdoctor explain``)."""
    return "\n".join(text_how(explain(kb, result))).rstrip("\n")


def why_not_text(kb: KnowledgeBase, why: WhyNot) -> str:
    """Why the advice ``why`` is about is (not) in the plan, rule by rule."""
    advice = kb.advice[why.advice_id]
    head = f'Why not "{advice.title}"?'
    if why.shown_by is not None:
        return f"{head} It is advised: it is in your plan."
    if why.replaced_by is not None:
        return f"{head} A rule gives it, but {titles(kb, [why.replaced_by])} takes its place in your plan."
    if not why.checks:
        return f"{head} No rule gives this advice."
    count = len(why.checks)
    lines = [f"{head} It is not advised. {count} rule{'s' if count != 1 else ''} could give it:"]
    for check in why.checks:
        lines.append(f"- {check.rule.description}")
        if check.failed is not None:
            lines.append(f"  It does not apply: {describe_comparison(check.failed)}.")
        elif check.undecided:
            asked = [f'"{kb.facts[name].question}"' if kb.facts[name].askable else name for name in check.undecided]
            lines.append(f"  Not decided yet: it needs {listed(asked)}.")
        elif check.holds:
            lines.append("  It applies" + (", and it fired." if check.fired else "."))
    return "\n".join(lines)


def what_if_text(kb: KnowledgeBase, what: WhatIf) -> str:
    """What the changed answers would do to the plan, and the plan it would then be."""
    before = what.before.given
    changes = ", ".join(
        f"{n} = {format_value(v)} (was {format_value(before[n]) if n in before else 'not known'})"
        for n, v in what.changes.items()
    )
    lines = [f"What if {changes}?"]
    if not what.changed:
        lines.append("The advice would stay the same.")
        return "\n".join(lines)
    if what.added:
        lines.append(f"The plan would gain: {titles(kb, what.added)}.")
    if what.removed:
        lines.append(f"It would lose: {titles(kb, what.removed)}.")
    if what.reordered and not (what.added or what.removed):
        lines.append("The same advice would come in another order.")
    lines.append("The plan would then be:")
    number = 0
    for entry in what.after.advice:
        if entry.kind is AdviceKind.ACTION:
            number += 1
            label = f"{number}."
        else:
            label = "WARNING:" if entry.kind is AdviceKind.WARNING else "Note:"
        lines.append(f"  {label} {entry.advice.title}")
    return "\n".join(lines)


def _first_step_line(before: ConsultationResult, after: ConsultationResult) -> str | None:
    """What became of the plan's first step (None: it stayed)."""
    old, new = before.first_action, after.first_action
    was = f'"{old.advice.title}"' if old else "none"
    if new is not None and (old is None or old.advice.id != new.advice.id):
        return f'The first step is now "{new.advice.title}" (was {was}).'
    if new is None and old is not None:
        return f"There is no first step any more (was {was})."
    return None


def reload_lines(before: Interview, after: Interview) -> list[str]:
    """What the new rules (``after``, with the answers that still fit) changed in the plan of
    ``before``: advice gained and lost, the first step, and the questions now asked or no longer
    needed."""
    old, new = before.plan(), after.plan()
    diff = compare_results(old.result, new.result)
    lines = []
    named = {entry.advice.id: f'"{entry.advice.title}"' for entry in (*old.result.advice, *new.result.advice)}
    if diff.added:
        lines.append(f"The plan gains: {'; '.join(named[a] for a in diff.added)}.")
    if diff.removed:
        lines.append(f"The plan loses: {'; '.join(named[a] for a in diff.removed)}.")
    first = _first_step_line(old.result, new.result)
    if first:
        lines.append(first)
    elif diff.reordered and not (diff.added or diff.removed):
        lines.append("The same advice now comes in another order.")
    lines += _question_lines(old.questions, new.questions)
    return lines or ["The plan for your answers stays the same."]


def _question_lines(before: Sequence[Question], after: Sequence[Question]) -> list[str]:
    """The questions now asked, and those no longer needed."""
    asked_old = {q.fact.name: q.fact for q in before}
    asked_new = {q.fact.name: q.fact for q in after}
    now = [f'"{fact.question or name}"' for name, fact in asked_new.items() if name not in asked_old]
    gone = [f'"{fact.question or name}"' for name, fact in asked_old.items() if name not in asked_new]
    lines = []
    if now:
        lines.append(f"Now also asked: {'; '.join(now)}.")
    if gone:
        lines.append(f"No longer needed: {'; '.join(gone)}.")
    return lines
