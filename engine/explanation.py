"""Explanations as data: how each piece of advice was reached, why a piece of
advice was *not* given, and what would change if some facts were different.

Everything here is computed from a consultation's trace, the rule graph and
the three-valued evaluator (:mod:`.conditions`); the command line only
renders it. The why-not answer evaluates the knowledge base's own conditions
against the consultation's facts, so "every condition held" agrees with what
durable-rules fired (tested on every scenario case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Evaluation, Truth, evaluate
from .consultation import AdviceEntry, ConsultationResult, TraceStep
from .graph import fact_node, split_node
from .inference import engine_for
from .model import Comparison, KnowledgeBase, Not, Rule, Value

__all__ = [
    "FactSupport",
    "RuleSupport",
    "AdviceSupport",
    "RuleCheck",
    "WhyNot",
    "WhatIf",
    "explain_how",
    "explain_why_not",
    "explain_what_if",
    "check_rule",
    "describe_comparison",
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
    given_by: AdviceEntry | None
    replaced_by: str | None
    checks: tuple[RuleCheck, ...]
    through: tuple[str, ...]

    @property
    def given(self) -> bool:
        return self.given_by is not None


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


def explain_why_not(kb: KnowledgeBase, result: ConsultationResult, advice_id: str) -> WhyNot:
    """Every rule that gives ``advice_id`` (and, when none applies directly, the rules
    that derive the facts those need), checked against the consultation's facts.

    Raises KeyError for an advice id the knowledge base does not define.
    """
    kb.advice[advice_id]  # KeyError for unknown ids
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
    old, new = before.advice_ids, after.advice_ids
    common_old = [a for a in old if a in new]
    common_new = [a for a in new if a in old]
    fired_before, fired_after = before.fired_rules, after.fired_rules
    applied = {name: after.given.get(name) for name in changes}
    return WhatIf(
        changes={k: v for k, v in applied.items() if v is not None},
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
    seen = "not known" if evaluation.seen is None else f"seen: {_show(evaluation.seen)}"
    return f"{condition} ({seen})"


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
