"""Shadowing and reachability through derived facts: two ``kb check`` warnings that follow the
rules' derivations, with :mod:`.proofs`' prover (a warning only when it is proven).

* ``shadowed`` — a rule that gives advice, every item of which is *always* replaced: in every
  situation where the rule fires (facts left unknown included), some rule fires that gives
  advice replacing it (``replaces`` in advice.yaml). The rule can never change what the buyer
  is shown. The finding names the replacing advice and the rules that give it.
* ``unreachable`` (through derived facts) — a rule whose condition passes the per-fact check of
  :func:`.proofs.satisfiable` (each derived fact can take the value it tests) but not once the
  derived facts are expanded into the rules that derive them: the derived fact takes the needed
  value only in situations the rule's other tests exclude. The finding names that derived fact,
  the rules deriving the value, and the fact whose values run out.

Both are sound: a rule is reported only when no situation exists; a proof that runs past the
prover's limits reports nothing. :mod:`.lint` registers them in ``check_knowledge_base``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from .domains import Domain
from .lint import Finding
from .model import Comparison, KnowledgeBase, Rule, comparisons_in
from .proofs import MAX_ALTERNATIVES, Effort, Expander, Literal, Prover, TooHard, consult_pure, satisfiable

__all__ = ["shadowed_rules", "unreachable_through_derived"]


# ------------------------------------------------------------------ shadowed
def _replacers(kb: KnowledgeBase) -> dict[str, list[tuple[str, Rule]]]:
    """For each advice id: the (replacing advice, rule giving it) pairs, in kb order."""
    found: dict[str, dict[tuple[str, str], tuple[str, Rule]]] = {}  # pairs by (advice id, rule id)
    for item in kb.advice.values():
        for target in item.replaces:
            for rule_id in kb.graph.rules_giving(item.id):
                found.setdefault(target, {}).setdefault((item.id, rule_id), (item.id, kb.rule(rule_id)))
    return {target: list(pairs.values()) for target, pairs in found.items()}


def _fires_alone(prover: Prover, rule: Rule, silent: Sequence[Rule]) -> bool:
    """Whether some situation fires ``rule`` while none of ``silent`` fires."""
    extra = [clause for other in silent for clause in prover.not_firing(other)]
    return bool(prover.situations([(rule.when, True)], limit=1, extra=extra))


def _always_replaced(
    prover: Prover, rule: Rule, replacers: Sequence[tuple[str, Rule]]
) -> list[tuple[str, Rule]] | None:
    """The replacers that together always replace an item ``rule`` gives (one alone when one
    suffices), or None when some situation fires ``rule`` and none of them."""
    if _fires_alone(prover, rule, [other for _, other in replacers]):
        return None
    for pair in replacers:
        if not _fires_alone(prover, rule, [pair[1]]):
            return [pair]
    together = [pair for pair in replacers if prover.situations([(rule.when, True), (pair[1].when, True)], limit=1)]
    return together or list(replacers)


def _named(pairs: Sequence[tuple[str, Rule]]) -> str:
    by_advice: dict[str, list[str]] = {}
    for advice_id, rule in pairs:
        by_advice.setdefault(advice_id, []).append(f"'{rule.id}'")
    return " or ".join(
        f"'{advice_id}' (rule{'s' if len(rules) > 1 else ''} {', '.join(rules)})"
        for advice_id, rules in by_advice.items()
    )


def _shown_in_example(kb: KnowledgeBase, prover: Prover, rule: Rule, literals: Sequence[Literal]) -> bool:
    """Whether a pure consultation of one situation firing ``rule`` shows some of its advice: the
    quick disproof that spares most rules the proof."""
    try:
        result = consult_pure(kb, prover.example(literals))
    except Exception:  # noqa: BLE001 - a conflicting derivation: leave it to the proof
        return False
    return rule.id in result.fired_rules and any(a in result.advice_ids for a in rule.advise)


def shadowed_rules(kb: KnowledgeBase, prover: Prover, effort: Effort | None = None) -> Iterator[Finding]:
    """``shadowed`` warnings: rules every advice item of which is always replaced where they fire
    (within ``effort``: a check that takes it stops with a warning that says so)."""
    from .lint import _stopped

    effort = effort or Effort(prover)
    replacers = _replacers(kb)
    candidates = [rule for rule in kb.rules if rule.advise and all(a in replacers for a in rule.advise)]
    for done, rule in enumerate(candidates):
        if effort.spent():
            yield _stopped(rule.location, "shadowed", len(candidates) - done, effort)
            return
        try:
            found = prover.situations([(rule.when, True)], limit=1)
            if not found or (effort.consult() and _shown_in_example(kb, prover, rule, found[0])):
                continue  # it never fires (the unreachable check says so), or an example shows its advice
            covered = [(advice_id, _always_replaced(prover, rule, replacers[advice_id])) for advice_id in rule.advise]
        except TooHard:
            continue
        if any(pairs is None for _, pairs in covered):
            continue
        parts = "; ".join(f"'{advice_id}' by {_named(pairs or [])}" for advice_id, pairs in covered)
        still = f" (it still derives {', '.join(name for name, _ in rule.derive)})" if rule.derive else ""
        message = (
            f"rule '{rule.id}' never changes what the buyer is shown: wherever it fires, its advice is "
            f"replaced — {parts}{still}"
        )
        yield Finding(rule.location, "warning", message, "shadowed", rule.id)


# ------------------------------------------------- unreachable through derived facts
class _OnlyExpander(Expander):
    """Expands tests on the derived facts ``only`` (to any depth); other tests stay as they are."""

    def __init__(self, kb: KnowledgeBase, only: Iterable[str], limit: int = MAX_ALTERNATIVES) -> None:
        super().__init__(kb, limit)
        self.only = frozenset(only)

    def expand(self, comparison: Comparison, holds: bool) -> list[list[Literal]] | None:
        if comparison.fact not in self.only:
            return [[(comparison, holds)]]
        return super().expand(comparison, holds)


def _why(kb: KnowledgeBase, rule: Rule, fact: str, reason: str, expander: Expander) -> str:
    tests = [c for c in comparisons_in(rule.when) if c.fact == fact]
    givers = sorted(
        {f"'{giver.id}'" for value, giver in expander.derivers.get(fact, []) if any(
            c.operator.test(value, c.value) for c in tests)}
    )
    shown = " and ".join(str(c) for c in tests)
    by = f"rule{'s' if len(givers) > 1 else ''} {', '.join(givers)}" if givers else "no rule"
    return (
        f"{shown} holds only where {by} derive{'s' if len(givers) == 1 else ''} it, never together "
        f"with the rule's other tests ({reason})"
    )


def unreachable_through_derived(kb: KnowledgeBase, domains: Mapping[str, Domain]) -> Iterator[Finding]:
    """``unreachable`` warnings for rules that only the derivations of their derived facts rule out."""
    full = Expander(kb, MAX_ALTERNATIVES)
    for rule in kb.rules:
        derived = [name for name in rule.reads if kb.facts[name].derived]
        if not derived or not satisfiable(rule.when, domains, limit=MAX_ALTERNATIVES)[0]:
            continue  # no derived fact, or the plain unreachable check reports it
        ok, reason = satisfiable(rule.when, domains, full, MAX_ALTERNATIVES)
        if ok:
            continue
        why = None
        for name in derived:
            alone, alone_reason = satisfiable(rule.when, domains, _OnlyExpander(kb, [name]), MAX_ALTERNATIVES)
            if not alone:
                why = _why(kb, rule, name, alone_reason, full)
                break
        if why is None:
            why = f"the rules that derive {', '.join(derived)} never fire together with its other tests ({reason})"
        message = f"rule '{rule.id}' can never fire: {why}"
        yield Finding(rule.location, "warning", message, "unreachable", rule.id)
