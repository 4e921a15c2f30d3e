"""Explanations as data: how each piece of advice was reached, why a piece of
advice was *not* given, and what would change if some facts were different.

Everything here is computed from a consultation's trace, the rule graph and
the three-valued evaluator (:mod:`.conditions`), and bundled by :func:`explain`
into one :class:`Explanation` (with its JSON form, :meth:`Explanation.to_json`);
the command line only renders it, section by section. The why-not answer evaluates the knowledge base's own conditions
against the consultation's facts, so "every condition held" agrees with what
durable-rules fired (tested on every scenario case).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Evaluation, Truth, evaluate
from .consultation import AdviceEntry, ConsultationResult, TraceStep
from .errors import FactInputError, suggest
from .graph import fact_node, split_node
from .inference import engine_for
from .location import Location
from .model import Comparison, KnowledgeBase, Not, Rule, Value
from .values import format_value

__all__ = [
    "Explanation",
    "explain",
    "FactSupport",
    "RuleSupport",
    "AdviceSupport",
    "RuleCheck",
    "WhyNot",
    "WhatIf",
    "explain_how",
    "explain_why_not",
    "compare_results",
    "explain_what_if",
    "check_rule",
    "describe_comparison",
    "UnknownAdviceIdError",
]


# -------------------------------------------------------------------- how
@dataclass(frozen=True)
class FactSupport:
    """A fact value a rule matched: given by the user, or derived by an earlier step."""

    name: str
    value: Value
    via: RuleSupport | None = None

    @property
    def given(self) -> bool:
        return self.via is None


@dataclass(frozen=True)
class RuleSupport:
    """A fired rule and the facts that made it fire."""

    step: TraceStep
    facts: tuple[FactSupport, ...]

    @property
    def rule(self) -> Rule:
        return self.step.rule


@dataclass(frozen=True)
class AdviceSupport:
    """One piece of the answer and the chain of rules behind it."""

    entry: AdviceEntry
    because: RuleSupport | None
    replaced_by: str | None = None


def _support(step: TraceStep, steps: Mapping[int, TraceStep]) -> RuleSupport:
    facts = []
    for matched in step.matched:
        via = None
        if matched.derived_step is not None:
            via = _support(steps[matched.derived_step], steps)
        facts.append(FactSupport(matched.name, matched.value, via))
    return RuleSupport(step, tuple(facts))


def explain_how(result: ConsultationResult) -> tuple[AdviceSupport, ...]:
    """The chain behind every piece of advice, back to the facts the user gave;
    advice left out because other advice replaces it comes last."""
    steps = {step.step: step for step in result.trace}
    found = [
        AdviceSupport(entry, _support(steps[entry.step], steps) if entry.step else None)
        for entry in result.advice
    ]
    found += [
        AdviceSupport(r.entry, _support(steps[r.entry.step], steps) if r.entry.step else None, r.by)
        for r in result.replaced
    ]
    return tuple(found)


# ---------------------------------------------------------------- why not
@dataclass(frozen=True)
class RuleCheck:
    """A rule that could give the advice, checked against the consultation's facts.

    ``held`` are the comparisons that held; ``failed`` is the first that failed
    (with the value it saw); ``undecided`` the facts not known; ``questions``
    the askable facts whose answers could decide it (directly, or through the
    rules that derive an unknown derived fact).
    """

    rule: Rule
    evaluation: Evaluation
    held: tuple[Evaluation, ...]
    failed: Evaluation | None
    undecided: tuple[str, ...]
    questions: tuple[str, ...]
    fired: bool

    @property
    def holds(self) -> bool:
        return self.evaluation.truth is Truth.HOLDS


@dataclass(frozen=True)
class WhyNot:
    """Why ``advice_id`` is (not) in the answer."""

    advice_id: str
    shown_by: AdviceEntry | None
    replaced_by: str | None
    checks: tuple[RuleCheck, ...]
    through: tuple[str, ...]

    @property
    def shown(self) -> bool:
        """Whether the advice is in the answer (``shown_by`` is the entry that shows it)."""
        return self.shown_by is not None


def _questions_for(kb: KnowledgeBase, names: tuple[str, ...], known: Mapping[str, Value]) -> tuple[str, ...]:
    """Askable, unknown facts that could decide ``names`` (derived ones traced upstream)."""
    found: list[str] = []
    for name in names:
        fact = kb.facts[name]
        if fact.askable:
            candidates = [name]
        else:
            upstream = kb.graph.upstream(fact_node(name))
            candidates = [
                split_node(node)[1]
                for node in sorted(upstream)
                if node.startswith("fact:") and kb.facts[split_node(node)[1]].askable
            ]
        for candidate in candidates:
            if candidate not in known and candidate not in found:
                found.append(candidate)
    order = list(kb.facts)
    return tuple(sorted(found, key=order.index))


def _leaves(evaluation: Evaluation, negated: bool = False) -> list[tuple[Evaluation, Truth]]:
    """Each comparison with its effect on the rule: a comparison under ``not`` counts reversed."""
    if isinstance(evaluation.condition, Comparison):
        return [(evaluation, evaluation.truth.negated() if negated else evaluation.truth)]
    flip = negated != isinstance(evaluation.condition, Not)
    found: list[tuple[Evaluation, Truth]] = []
    for part in evaluation.parts:
        found += _leaves(part, flip)
    return found


def check_rule(kb: KnowledgeBase, rule: Rule, result: ConsultationResult) -> RuleCheck:
    """Check ``rule`` against the facts of ``result``: what held, what failed first, what is unknown."""
    evaluation = evaluate(rule.when, result.facts)
    leaves = _leaves(evaluation)
    held = tuple(e for e, effect in leaves if effect is Truth.HOLDS)
    failed = next((e for e, effect in leaves if effect is Truth.FAILS), None)
    undecided = evaluation.unknown_facts()
    return RuleCheck(
        rule=rule,
        evaluation=evaluation,
        held=held,
        failed=failed,
        undecided=undecided,
        questions=_questions_for(kb, undecided, result.facts),
        fired=rule.id in result.fired_rules,
    )


class UnknownAdviceIdError(FactInputError, KeyError):
    """A why-not asked about an advice id the knowledge base does not define. Also a
    ``KeyError``, what :func:`explain_why_not` raised before its errors were located."""

    def __str__(self) -> str:  # the one-line form, not KeyError's quoted repr
        return self.format()


def explain_why_not(
    kb: KnowledgeBase, result: ConsultationResult, advice_id: str, *, where: str | None = None
) -> WhyNot:
    """Every rule that gives ``advice_id`` (and, when none applies directly, the rules
    that derive the facts those need), checked against the consultation's facts.

    Raises :class:`UnknownAdviceIdError` (a :class:`FactInputError`) for an advice id the
    knowledge base does not define, located at ``where`` (the caller's name for where the id
    came from; default ``why not ID``), with a did-you-mean.
    """
    if advice_id not in kb.advice:
        raise UnknownAdviceIdError(
            Location(where or f"why not {advice_id}"),
            f"unknown advice id '{advice_id}'",
            name=advice_id,
            suggestion=suggest(advice_id, kb.advice),
        )
    given = next((entry for entry in result.advice if entry.id == advice_id), None)
    replaced = next((r.by for r in result.replaced if r.entry.id == advice_id), None)
    givers = [kb.rule(rule_id) for rule_id in kb.graph.rules_giving(advice_id)]
    checks = tuple(check_rule(kb, rule, result) for rule in givers)
    through: list[str] = []
    for check in checks:
        for name in check.undecided:
            for rule_id in kb.graph.rules_deriving(name):
                if rule_id not in through:
                    through.append(rule_id)
    return WhyNot(advice_id, given, replaced, checks, tuple(through))


# ---------------------------------------------------------------- what if
@dataclass(frozen=True)
class WhatIf:
    """The difference the changed facts make."""

    changes: Mapping[str, Value]
    before: ConsultationResult
    after: ConsultationResult
    added: tuple[str, ...]
    removed: tuple[str, ...]
    reordered: bool
    newly_fired: tuple[str, ...]
    stopped_firing: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.reordered)


def explain_what_if(
    kb: KnowledgeBase, facts: Mapping[str, Any], changes: Mapping[str, Any]
) -> WhatIf:
    """Consult again with ``changes`` applied to ``facts`` and compare.

    A change to None forgets the fact. Raises FactInputErrors for bad facts.
    """
    engine = engine_for(kb)
    before = engine.consult(facts)
    merged = {name: value for name, value in {**dict(before.given), **dict(changes)}.items() if value is not None}
    after = engine.consult(merged)
    applied = {name: after.given.get(name) for name in changes}
    return compare_results(before, after, {k: v for k, v in applied.items() if v is not None})


def compare_results(
    before: ConsultationResult, after: ConsultationResult, changes: Mapping[str, Value] | None = None
) -> WhatIf:
    """What differs between two consultations (of one knowledge base or of two versions of it,
    as when ``ask --watch`` reloads the rules): advice added, removed, reordered, rules fired."""
    old, new = before.advice_ids, after.advice_ids
    common_old = [a for a in old if a in new]
    common_new = [a for a in new if a in old]
    fired_before, fired_after = before.fired_rules, after.fired_rules
    return WhatIf(
        changes=dict(changes or {}),
        before=before,
        after=after,
        added=tuple(a for a in new if a not in old),
        removed=tuple(a for a in old if a not in new),
        reordered=common_old != common_new,
        newly_fired=tuple(r for r in fired_after if r not in fired_before),
        stopped_firing=tuple(r for r in fired_before if r not in fired_after),
    )


def describe_comparison(evaluation: Evaluation) -> str:
    """``"days_left > 7 (seen: 3)"`` / ``"(not known)"``."""
    condition = evaluation.condition
    assert isinstance(condition, Comparison)
    seen = "not known" if evaluation.seen is None else f"seen: {format_value(evaluation.seen)}"
    return f"{condition} ({seen})"


# ------------------------------------------------------------ the bundle
@dataclass(frozen=True)
class Explanation:
    """Everything explained about one consultation: how each piece of advice was reached, and
    the why-not and what-if answers asked for. ``today`` is the date deadlines count from (None:
    no dates are shown); it is passed in, never read from the clock."""

    kb: KnowledgeBase
    result: ConsultationResult
    why_not: tuple[WhyNot, ...] = ()
    what_if: WhatIf | None = None
    how: tuple[AdviceSupport, ...] = ()
    today: datetime.date | None = None

    @property
    def asked(self) -> bool:
        """True when why-not or what-if answers were asked for (they then replace the how)."""
        return bool(self.why_not or self.what_if)

    def to_json(self) -> dict[str, Any]:
        """The JSON form: the consultation's :meth:`ConsultationResult.to_json` object plus
        ``how`` and, when asked for, ``why_not`` and ``what_if``."""
        data = self.result.to_json()
        data["how"] = [_json_how(support) for support in self.how]
        if self.why_not:
            data["why_not"] = [_json_why_not(why) for why in self.why_not]
        if self.what_if:
            data["what_if"] = _json_what_if(self.what_if)
        return data


def explain(
    kb: KnowledgeBase,
    result: ConsultationResult,
    why_not: Iterable[WhyNot] = (),
    what_if: WhatIf | None = None,
    *,
    today: datetime.date | None = None,
) -> Explanation:
    """The explanation of ``result``: the chain behind every piece of advice
    (:func:`explain_how`), with the why-not and what-if answers given."""
    return Explanation(kb, result, tuple(why_not), what_if, explain_how(result), today)


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


def _json_how(support: AdviceSupport) -> dict[str, Any]:
    return {
        "advice": support.entry.id,
        "kind": support.entry.kind.value,
        "replaced_by": support.replaced_by,
        "because": _json_rule(support.because) if support.because else None,
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


def _json_why_not(why: WhyNot) -> dict[str, Any]:
    return {
        "advice": why.advice_id,
        "given": why.shown,
        "given_by": why.shown_by.rule.id if why.shown_by and why.shown_by.rule else None,
        "replaced_by": why.replaced_by,
        "rules": [_json_check(c) for c in why.checks],
        "through": list(why.through),
    }


def _json_what_if(what: WhatIf) -> dict[str, Any]:
    return {
        "changes": dict(what.changes),
        "added": list(what.added),
        "removed": list(what.removed),
        "reordered": what.reordered,
        "newly_fired": list(what.newly_fired),
        "stopped_firing": list(what.stopped_firing),
        "after": what.after.to_json(),
    }
