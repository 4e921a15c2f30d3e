"""Verifying a knowledge base: the checks of ``orderdoctor kb check``.

Every check returns :class:`Finding` data (location, severity, message,
check id, subject); nothing here prints. The checks:

* ``unreachable`` — a rule whose condition can never hold: contradictory
  tests on one fact, an empty integer range, or a derived fact no rule can
  give that value;
* ``redundant`` — another rule with the same (or more) conclusions fires
  whenever this one does;
* ``contract`` (error) — a rule gives advice in a situation where the
  advice's ``requires`` fails and no advice that replaces it is given there
  (by the same rule or by any other: a replacing rule must be proven to fire
  in every such situation, facts left unknown included);
* ``incompatible`` (error) — two rules can fire together and give advice the
  knowledge base declares incompatible (``incompatible_with`` in
  advice.yaml, either direction), and neither is replaced by what they give;
* ``urgency`` (error) — a rule gives advice with ``urgent_within: N`` while a
  rule that can fire with it gives advice whose deadline can be more than N
  days away;
* ``dead-end`` — a derived fact no rule reads or no rule derives, advice no
  rule gives, a fact no rule reads, a choice value no rule mentions;
* ``gap`` — a combination of the facts ``checks.yaml`` names under
  ``gaps`` for which no advice at all can be given.

The three contract checks are proofs over every *complete* situation (each
askable fact known): a contract known to fail on partial facts fails in
every completion of them (the three-valued logic is monotone), so a
situation the consultation would flag is always found here. Each error
names an example situation in askable facts, confirmed when possible by a
pure-Python consultation (:func:`consult_pure`: lint never runs durable).
When a condition expands to more than :data:`MAX_ALTERNATIVES` alternatives
the proof is not attempted and a "could not prove" warning says so.
Errors cannot be explained away in checks.yaml; fix the rule or the contract.

Cycles are load errors (see the loader). Satisfiability is decided exactly
for one rule (or a pair) by expanding the condition into alternatives of
conjunctions and intersecting, per fact, the values each conjunction allows;
derived facts range over the values rules can actually derive. Warnings a
maintainer has looked at are recorded, with the reason, under ``explained``
in ``checks.yaml``; they are then reported as explained, not as warnings.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .conditions import compare, evaluate
from .consultation import Consultation, ConsultationResult
from .location import Location
from .model import (
    AllOf,
    Comparison,
    Condition,
    FactType,
    KnowledgeBase,
    Not,
    Operator,
    Rule,
    Value,
    comparisons_in,
)
from .planner import Interval, _can

__all__ = [
    "Finding",
    "LintConfig",
    "Explained",
    "check_knowledge_base",
    "CHECKS",
    "consult_pure",
    "satisfiable",
]

CHECKS = ("unreachable", "redundant", "contract", "incompatible", "urgency", "dead-end", "gap")

#: Beyond this many alternatives a condition is assumed satisfiable (no finding; the
#: contract checks report "could not prove" instead).
MAX_ALTERNATIVES = 2_000

#: Steps the search for a situation may take before a contract check gives up ("could not prove").
SEARCH_BUDGET = 200_000

#: Situations tried, per finding, for one a pure-Python consultation confirms.
EXAMPLES_TRIED = 8


@dataclass(frozen=True)
class Finding:
    """One result of a check. ``subject`` names what it is about (a rule id, ``fact=value``, …),
    which is also what an ``explained`` entry in checks.yaml matches."""

    location: Location
    severity: str
    message: str
    check: str
    subject: str
    explained: str | None = None

    def format(self) -> str:
        severity = "explained" if self.explained else self.severity
        text = f"{self.location}: {severity}: {self.message} [{self.check}]"
        if self.explained:
            text += f" — {self.explained}"
        return text


@dataclass(frozen=True)
class Explained:
    """A warning a maintainer has looked at: check id, subject, and why it is fine."""

    check: str
    subject: str
    reason: str
    location: Location


@dataclass(frozen=True)
class LintConfig:
    """``checks.yaml``: which facts the gap check combines, and the explained warnings."""

    gap_facts: tuple[str, ...] = ()
    explained: tuple[Explained, ...] = field(default=())
    location: Location = Location("checks.yaml")


# ------------------------------------------------------------ satisfiability
Literal = tuple[Comparison, "bool | None"]  # (comparison, must hold?); None: the fact is not known


class _Expander:
    """Replaces a test on a derived fact by the conditions of the rules that derive a
    value passing (or, negated, failing) it — so conditions speak of askable facts only."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.derivers: dict[str, list[tuple[Value, Rule]]] = {}
        for rule in kb.rules:
            for name, value in rule.derive:
                self.derivers.setdefault(name, []).append((value, rule))

    def expand(self, comparison: Comparison, holds: bool) -> list[list[Literal]] | None:
        found: list[list[Literal]] = []
        for value, rule in self.derivers.get(comparison.fact, []):
            if compare(comparison, value) == holds:
                alternatives = _alternatives(rule.when, True, self)
                if alternatives is None:
                    return None
                found += alternatives
                if len(found) > MAX_ALTERNATIVES:
                    return None
        return found


def _alternatives(
    condition: Condition, holds: bool = True, expander: _Expander | None = None
) -> list[list[Literal]] | None:
    """The condition (or its negation) as alternatives of conjunctions; None if too many.

    With an ``expander``, tests on derived facts are replaced by how they can be derived.
    """
    if isinstance(condition, Comparison):
        if expander is not None and expander.kb.facts[condition.fact].derived:
            return expander.expand(condition, holds)
        return [[(condition, holds)]]
    if isinstance(condition, Not):
        return _alternatives(condition.condition, not holds, expander)
    parts = [_alternatives(part, holds, expander) for part in condition.conditions]
    if any(p is None for p in parts):
        return None
    conjunction = isinstance(condition, AllOf) == holds
    if not conjunction:
        return [alt for part in parts for alt in part]  # type: ignore[union-attr]
    result: list[list[Literal]] = [[]]
    for part in parts:
        result = [left + right for left in result for right in part]  # type: ignore[union-attr]
        if len(result) > MAX_ALTERNATIVES:
            return None
    return result


def _allowed(domain: object, literals: Sequence[Literal]) -> object:
    """The values of ``domain`` every literal allows (a set, or an Interval with holes)."""
    if isinstance(domain, frozenset):
        return frozenset(v for v in domain if all(compare(c, v) == want for c, want in literals))
    assert isinstance(domain, Interval)
    low, high = domain.low, domain.high
    excluded: set[Any] = set()
    allowed_points: set[Any] | None = None
    for comparison, want in literals:
        op, value = comparison.operator, comparison.value
        if op is Operator.IN:
            values = set(value)  # type: ignore[arg-type]
            if want:
                allowed_points = values if allowed_points is None else allowed_points & values
            else:
                excluded |= values
            continue
        if not want:
            op = op.negated
        number: int = value  # type: ignore[assignment]
        if op is Operator.EQ:
            allowed_points = {number} if allowed_points is None else allowed_points & {number}
        elif op is Operator.NE:
            excluded.add(number)
        elif op is Operator.LT:
            high = min(high, number - 1)
        elif op is Operator.LTE:
            high = min(high, number)
        elif op is Operator.GT:
            low = max(low, number + 1)
        else:
            low = max(low, number)
    if allowed_points is not None:
        return frozenset(p for p in allowed_points if low <= p <= high and p not in excluded)
    if low > high:
        return frozenset()
    if high - low < len(excluded) + 1 and not math.isinf(low) and not math.isinf(high):
        return frozenset(p for p in range(int(low), int(high) + 1) if p not in excluded)
    return Interval(low, high)


def _conjunction_conflict(literals: Sequence[Literal], domains: Mapping[str, object]) -> str | None:
    """Why this conjunction can never hold (the fact whose values run out), or None."""
    by_fact: dict[str, list[Literal]] = {}
    for literal in literals:
        by_fact.setdefault(literal[0].fact, []).append(literal)
    for name, group in by_fact.items():
        unknown = [literal for literal in group if literal[1] is None]
        if unknown:
            if len(unknown) < len(group):
                return f"{name} cannot be both unknown and tested"
            continue
        domain = domains.get(name)
        if domain is None:
            return f"no rule can conclude {name}"
        allowed = _allowed(domain, group)
        if isinstance(allowed, frozenset) and not allowed:
            tests = " and ".join(str(c) if want else f"not {c}" for c, want in group)
            return f"no value of {name} passes {tests}"
    return None


def _entailed(literal: Literal, literals: Sequence[Literal], domains: Mapping[str, object]) -> bool:
    """Whether ``literal`` holds in every situation ``literals`` allow."""
    comparison, want = literal
    group = [other for other in literals if other[0].fact == comparison.fact]
    if want is None:
        return any(other[1] is None for other in group)
    if not group or any(other[1] is None for other in group):
        return False
    domain = domains.get(comparison.fact)
    allowed = _allowed(domain, [*group, (comparison, not want)])
    return isinstance(allowed, frozenset) and not allowed


def satisfiable(
    condition: Condition, domains: Mapping[str, object], expander: _Expander | None = None
) -> tuple[bool, str]:
    """Whether ``condition`` can hold for some values in ``domains``; if not, why."""
    alternatives = _alternatives(condition, True, expander)
    if alternatives is None:
        return True, ""
    if not alternatives:
        return False, "no rule derives the facts it needs with the values it tests"
    reasons = []
    for literals in alternatives:
        reason = _conjunction_conflict(literals, domains)
        if reason is None:
            return True, ""
        reasons.append(reason)
    return False, reasons[0]


def _base_domains(kb: KnowledgeBase) -> dict[str, object]:
    domains: dict[str, object] = {}
    for name, fact in kb.facts.items():
        if fact.derived:
            continue
        if fact.type is FactType.CHOICE:
            domains[name] = frozenset(fact.values)
        elif fact.type is FactType.BOOLEAN:
            domains[name] = frozenset((True, False))
        else:
            domains[name] = Interval(
                -math.inf if fact.minimum is None else fact.minimum,
                math.inf if fact.maximum is None else fact.maximum,
            )
    return domains


def derivable_domains(kb: KnowledgeBase, base: Mapping[str, object] | None = None) -> dict[str, object]:
    """``base`` (default: every askable value) plus, for each derived fact, the values some
    satisfiable rule derives — iterated until nothing new can be derived."""
    domains = dict(base if base is not None else _base_domains(kb))
    changed = True
    while changed:
        changed = False
        for rule in kb.rules:
            if not rule.derive:
                continue
            if not satisfiable(rule.when, domains)[0]:
                continue
            for name, value in rule.derive:
                current = domains.get(name)
                values = set(current) if isinstance(current, frozenset) else set()
                if value not in values:
                    values.add(value)
                    domains[name] = frozenset(values)
                    changed = True
    return domains


# ------------------------------------------------------------------ checks
def _unreachable(kb: KnowledgeBase, domains: Mapping[str, object]) -> Iterable[Finding]:
    for rule in kb.rules:
        ok, reason = satisfiable(rule.when, domains)
        if not ok:
            yield Finding(rule.location, "warning", f"rule '{rule.id}' can never fire: {reason}", "unreachable", rule.id)


def _redundant(kb: KnowledgeBase, domains: Mapping[str, object]) -> Iterable[Finding]:
    expander = _Expander(kb)
    for rule, other in itertools.permutations(kb.rules, 2):
        if not (set(rule.advise) <= set(other.advise) and set(rule.derive) <= set(other.derive)):
            continue
        if not set(other.reads) <= set(rule.reads):
            continue
        implies = AllOf((rule.when, Not(other.when)))
        if not satisfiable(implies, domains, expander)[0] and satisfiable(rule.when, domains, expander)[0]:
            if set(rule.advise) == set(other.advise) and set(rule.derive) == set(other.derive) and other.order > rule.order:
                # identical twins: report only the later one
                if satisfiable(AllOf((other.when, Not(rule.when))), domains, expander)[0] is False:
                    continue
            yield Finding(
                rule.location,
                "warning",
                f"rule '{rule.id}' is redundant: rule '{other.id}' gives the same conclusions whenever it fires",
                "redundant",
                rule.id,
            )


# ------------------------------------------------------- contract proofs
def consult_pure(kb: KnowledgeBase, given: Mapping[str, Value]) -> ConsultationResult:
    """A consultation in pure Python (no durable, no fact validation): the rule first in the
    knowledge base's order (priority, then position) whose condition holds fires next, until
    none is left — the backend's documented order. For lint examples and tests."""
    consultation = Consultation(kb, given)
    fired: set[str] = set()
    while True:
        for rule in kb.rules:
            if rule.id not in fired and evaluate(rule.when, consultation.facts).holds:
                fired.add(rule.id)
                consultation.fire(rule, consultation.facts)
                break
        else:
            return consultation.result()


class _TooHard(Exception):
    """A condition expands past MAX_ALTERNATIVES, or the search ran out of steps."""


class _Prover:
    """Finds complete situations (askable facts) in which some conditions hold (or fail) together,
    or proves that none exists. Derived facts are expanded into the rules that derive them."""

    def __init__(self, kb: KnowledgeBase, domains: Mapping[str, object]) -> None:
        self.kb = kb
        self.domains = domains
        self.expander = _Expander(kb)
        self._cache: dict[tuple[Condition, bool], list[list[Literal]] | None] = {}

    def alternatives(self, condition: Condition, holds: bool) -> list[list[Literal]]:
        key = (condition, holds)
        if key not in self._cache:
            self._cache[key] = _alternatives(condition, holds, self.expander)
        found = self._cache[key]
        if found is None:
            raise _TooHard
        return found

    def not_firing(self, rule: Rule) -> list[list[list[Literal]]]:
        """Choices (one literal to pick from each) under which ``rule`` does not fire: for each
        way its condition can hold, one askable fact of it fails that test or is not known."""
        clauses: list[list[list[Literal]]] = []
        for conjunction in self.alternatives(rule.when, True):
            clause: list[list[Literal]] = [[(comparison, not want)] for comparison, want in conjunction]
            for fact in dict.fromkeys(comparison.fact for comparison, _ in conjunction):
                clause.append([(Comparison(fact, Operator.EQ, None), None)])  # type: ignore[arg-type]
            clauses.append(clause)
        return clauses

    def situations(
        self,
        parts: Sequence[tuple[Condition, bool]],
        limit: int = EXAMPLES_TRIED,
        extra: Sequence[list[list[Literal]]] = (),
    ) -> list[list[Literal]]:
        """Up to ``limit`` consistent conjunctions of literals making every part come out as
        wanted (``(condition, True)`` holds, ``(condition, False)`` fails) and picking one
        alternative of each ``extra`` choice; [] when there is none. Raises
        :class:`_TooHard` when that cannot be decided within the limits."""
        choices = sorted((self.alternatives(c, holds) for c, holds in parts), key=len)
        if any(not alternatives for alternatives in choices) or any(not clause for clause in extra):
            return []
        found: list[list[Literal]] = []
        steps = 0

        def tick() -> None:
            nonlocal steps
            steps += 1
            if steps > SEARCH_BUDGET:
                raise _TooHard

        def search(index: int, literals: list[Literal]) -> None:
            if index == len(choices):
                satisfy(literals, list(extra))
                return
            for alternative in choices[index]:
                tick()
                combined = literals + alternative
                if _conjunction_conflict(combined, self.domains) is None:
                    search(index + 1, combined)
                    if len(found) >= limit:
                        return

        def satisfy(literals: list[Literal], clauses: list[list[list[Literal]]]) -> None:
            # One option of every clause, most constrained clause first; a clause an option of
            # which already follows from ``literals`` is satisfied and dropped.
            best: list[list[Literal]] | None = None
            rest: list[list[list[Literal]]] = []
            for clause in clauses:
                tick()
                options = []
                satisfied = False
                for option in clause:
                    if all(_entailed(literal, literals, self.domains) for literal in option):
                        satisfied = True
                        break
                    if _conjunction_conflict(literals + option, self.domains) is None:
                        options.append(option)
                if satisfied:
                    continue
                if not options:
                    return
                if best is None or len(options) < len(best):
                    if best is not None:
                        rest.append(best)
                    best = options
                else:
                    rest.append(options)
            if best is None:
                found.append(literals)
                return
            for option in best:
                satisfy(literals + option, rest)
                if len(found) >= limit:
                    return

        try:
            search(0, [])
        except _TooHard:
            if not found:
                raise
        return found

    def example(self, literals: Sequence[Literal]) -> dict[str, Value]:
        """Askable fact values passing every literal (only the facts the literals test)."""
        by_fact: dict[str, list[Literal]] = {}
        for literal in literals:
            by_fact.setdefault(literal[0].fact, []).append(literal)
        chosen: dict[str, Value] = {}
        for name in self.kb.facts:
            group = by_fact.get(name)
            if group is None or any(want is None for _, want in group):
                continue
            value = _pick(self.kb.facts[name], self.domains[name], group)
            if value is not None:
                chosen[name] = value
        return chosen


def _pick(fact: Any, domain: object, literals: Sequence[Literal]) -> Value | None:
    """A value of ``fact`` that passes ``literals``: the first in declaration order for a choice,
    true before false, and for a number the one closest to 0 (a threshold's neighbour)."""
    def passes(value: Value) -> bool:
        return all(compare(c, value) == want for c, want in literals)

    if fact.type is FactType.CHOICE:
        return next((v for v in fact.values if passes(v)), None)
    if fact.type is FactType.BOOLEAN:
        return next((v for v in (True, False) if passes(v)), None)
    if not isinstance(domain, Interval):  # a derived number: the values rules derive
        return min((v for v in domain if passes(v)), default=None)  # type: ignore[attr-defined]
    candidates: set[int] = {0}
    for bound in (domain.low, domain.high):
        if not math.isinf(bound):
            candidates.add(int(bound))
    for comparison, _ in literals:
        values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool):
                candidates.update((value - 1, value, value + 1))
    inside = [v for v in candidates if domain.low <= v <= domain.high and passes(v)]
    return min(inside, key=lambda v: (abs(v), v < 0)) if inside else None


def _situation(example: Mapping[str, Value]) -> str:
    return " ".join(f"{name}={_show_value(value)}" for name, value in example.items()) or "(any situation)"


def _show_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _prove(
    kb: KnowledgeBase,
    prover: _Prover,
    parts: Sequence[tuple[Condition, bool]],
    confirm: Any,
    silent: Sequence[Rule] = (),
) -> tuple[str, dict[str, Value]]:
    """``("holds", {})`` when no situation makes ``parts`` come out as wanted (with none of
    the ``silent`` rules firing); ``("broken", example)`` when one does — the first whose pure
    consultation ``confirm`` accepts, else the first found; ``("unknown", {})`` when it could
    not be decided."""
    try:
        extra = [clause for rule in silent for clause in prover.not_firing(rule)]
        found = prover.situations(parts, extra=extra)
    except _TooHard:
        return "unknown", {}
    if not found:
        return "holds", {}
    examples = [prover.example(literals) for literals in found]
    for example in examples:
        try:
            if confirm(consult_pure(kb, example)):
                return "broken", example
        except Exception:  # noqa: BLE001 - a conflicting derivation: try the next situation
            continue
    return "broken", examples[0]


def _replaced_by(kb: KnowledgeBase, *rules: Rule) -> set[str]:
    """Advice that advice given by ``rules`` replaces: never shown when they all fire."""
    return {replaced for rule in rules for advice_id in rule.advise for replaced in kb.advice[advice_id].replaces}


def _cannot_prove(location: Location, what: str, check: str, subject: str) -> Finding:
    return Finding(
        location,
        "warning",
        f"could not prove that {what}: the conditions expand to more than {MAX_ALTERNATIVES} alternatives "
        "(split the rule, or simplify its condition)",
        check,
        subject,
    )


def _verdict(status: str, location: Location, check: str, subject: str, broken: str, what: str) -> Iterable[Finding]:
    """The finding of one proof: an error saying ``broken`` (with its example), a "could not
    prove ``what``" warning, or nothing when it holds."""
    if status == "broken":
        yield Finding(location, "error", broken, check, subject)
    elif status == "unknown":
        yield _cannot_prove(location, what, check, subject)


def _contracts(kb: KnowledgeBase, prover: _Prover) -> Iterable[Finding]:
    replacers: dict[str, list[Rule]] = {}
    for replacer in kb.advice.values():
        for replaced in replacer.replaces:
            for rule_id in kb.graph.rules_giving(replacer.id):
                if kb.rule(rule_id) not in replacers.setdefault(replaced, []):
                    replacers[replaced].append(kb.rule(rule_id))
    for rule in kb.rules:
        replaced = _replaced_by(kb, rule)
        for advice_id in rule.advise:
            item = kb.advice[advice_id]
            if item.requires is None or advice_id in replaced:
                continue
            subject = f"{rule.id}:{advice_id}"
            parts = [(rule.when, True), (item.requires, False)]
            confirm = (lambda result, a=advice_id: any(v.kind == "contract" and v.advice == a
                                                        for v in result.violations))
            status, example = _prove(kb, prover, parts, confirm)
            if status != "holds" and replacers.get(advice_id):
                # Shown only where no rule gives advice that replaces it: prove that one always does.
                status, example = _prove(kb, prover, parts, confirm, replacers[advice_id])
            yield from _verdict(
                status, rule.location, "contract", subject,
                f"rule '{rule.id}' can give '{advice_id}' where its contract fails, for example {_situation(example)}",
                f"rule '{rule.id}' never gives '{advice_id}' where its contract fails",
            )


def _incompatibles(kb: KnowledgeBase, prover: _Prover) -> Iterable[Finding]:
    pairs = set()
    for item in kb.advice.values():
        for partner in item.incompatible_with:
            pairs.add(tuple(sorted((item.id, partner))))
    for first, second in sorted(pairs):
        if second in kb.advice[first].replaces or first in kb.advice[second].replaces:
            continue
        for giver in (kb.rule(r) for r in kb.graph.rules_giving(first)):
            for other in (kb.rule(r) for r in kb.graph.rules_giving(second)):
                if _replaced_by(kb, giver, other) & {first, second}:
                    continue
                subject = f"{giver.id}+{other.id}"
                together = "gives" if giver is other else f"and '{other.id}' can fire together and give"
                status, example = _prove(
                    kb, prover, [(giver.when, True), (other.when, True)],
                    lambda result, a=first, b=second: any(
                        v.kind == "incompatible" and {v.advice, v.other} == {a, b} for v in result.violations
                    ),
                )
                yield from _verdict(
                    status, giver.location, "incompatible", subject,
                    f"rule{'s' if giver is not other else ''} '{giver.id}' {together} incompatible advice "
                    f"'{first}' and '{second}', for example {_situation(example)}",
                    f"rules '{giver.id}' and '{other.id}' never give incompatible advice '{first}' and '{second}' "
                    "together",
                )


def _urgencies(kb: KnowledgeBase, prover: _Prover) -> Iterable[Finding]:
    with_deadline = [
        (kb.advice[advice_id], rule) for rule in kb.rules for advice_id in rule.advise
        if kb.advice[advice_id].deadline is not None
    ]
    for urgent in kb.advice.values():
        if urgent.urgent_within is None:
            continue
        limit = urgent.urgent_within
        for giver in (kb.rule(r) for r in kb.graph.rules_giving(urgent.id)):
            for item, other in with_deadline:
                if _replaced_by(kb, giver, other) & {urgent.id, item.id}:
                    continue
                deadline = item.deadline
                assert deadline is not None
                far = Comparison(deadline.fact, Operator.GT, limit - deadline.offset)
                subject = f"{giver.id}:{urgent.id}+{other.id}:{item.id}"
                status, example = _prove(
                    kb, prover, [(giver.when, True), (other.when, True), (far, True)],
                    lambda result, a=urgent.id, b=item.id: any(
                        v.kind == "urgency" and v.advice == a and v.other == b for v in result.violations
                    ),
                )
                by = f"rule '{other.id}'" if other is not giver else "the same rule"
                yield from _verdict(
                    status, giver.location, "urgency", subject,
                    f"rule '{giver.id}' gives '{urgent.id}' (act within {limit} days) while {by} can give "
                    f"'{item.id}' with a deadline more than {limit} days away, for example {_situation(example)}",
                    f"'{urgent.id}' from rule '{giver.id}' never stands beside a deadline of '{item.id}' more than "
                    f"{limit} days away",
                )


def _dead_ends(kb: KnowledgeBase) -> Iterable[Finding]:
    read = {name for rule in kb.rules for name in rule.reads}
    derived = {name for rule in kb.rules for name, _ in rule.derive}
    given = {a for rule in kb.rules for a in rule.advise}
    mentioned: dict[str, set[Value]] = {}
    for rule in kb.rules:
        for comparison in comparisons_in(rule.when):
            values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
            mentioned.setdefault(comparison.fact, set()).update(values)
    for fact in kb.facts.values():
        if fact.derived and fact.name not in derived:
            yield Finding(
                fact.location, "warning", f"derived fact '{fact.name}' is derived by no rule", "dead-end",
                f"derive:{fact.name}",
            )
        if fact.name not in read:
            what = "derived fact" if fact.derived else "fact"
            yield Finding(
                fact.location, "warning", f"{what} '{fact.name}' is read by no rule", "dead-end", f"read:{fact.name}"
            )
        elif fact.type is FactType.CHOICE:
            for value in fact.values:
                if value not in mentioned.get(fact.name, set()):
                    yield Finding(
                        fact.location,
                        "warning",
                        f"value '{value}' of fact '{fact.name}' is mentioned by no rule",
                        "dead-end",
                        f"{fact.name}={value}",
                    )
    for item in kb.advice.values():
        if item.id not in given and item.id != "nothing_applies":
            yield Finding(
                item.location, "warning", f"advice '{item.id}' is given by no rule", "dead-end", f"advice:{item.id}"
            )


def gaps(kb: KnowledgeBase, facts: Sequence[str]) -> list[dict[str, Value]]:
    """Combinations of ``facts`` for which no rule that gives advice can fire."""
    base: dict[str, Any] = _base_domains(kb)
    advisers = [rule for rule in kb.rules if rule.advise]
    choices: list[Sequence[Value]] = [
        kb.facts[name].values if kb.facts[name].type is FactType.CHOICE else (True, False) for name in facts
    ]
    found = []
    for combination in itertools.product(*choices):
        domains = dict(base)
        domains.update({name: ("known", value) for name, value in zip(facts, combination)})
        domains = _derive_for_planner(kb, domains)
        if not any(_can(rule.when, domains, True) for rule in advisers):
            found.append(dict(zip(facts, combination)))
    return found


def _derive_for_planner(kb: KnowledgeBase, domains: dict[str, Any]) -> dict[str, Any]:
    possible: dict[str, set[Value]] = {}
    changed = True
    while changed:
        changed = False
        for rule in kb.rules:
            if rule.derive and _can(rule.when, domains, True):  # type: ignore[arg-type]
                for name, value in rule.derive:
                    values = possible.setdefault(name, set())
                    if value not in values:
                        values.add(value)
                        domains[name] = frozenset(values)
                        changed = True
    return domains


def _gap_findings(kb: KnowledgeBase, config: LintConfig) -> Iterable[Finding]:
    if not config.gap_facts:
        return
    for combination in gaps(kb, config.gap_facts):
        subject = ", ".join(f"{k}={v}" for k, v in combination.items())
        yield Finding(config.location, "warning", f"no advice can be given when {subject}", "gap", subject)


def check_knowledge_base(kb: KnowledgeBase, config: LintConfig | None = None) -> list[Finding]:
    """Run every check; findings a maintainer explained in checks.yaml carry the reason."""
    config = config or LintConfig()
    domains = derivable_domains(kb)
    prover = _Prover(kb, domains)
    findings = [
        *_unreachable(kb, domains),
        *_redundant(kb, domains),
        *_contracts(kb, prover),
        *_incompatibles(kb, prover),
        *_urgencies(kb, prover),
        *_dead_ends(kb),
        *_gap_findings(kb, config),
    ]
    explained = [
        Finding(f.location, f.severity, f.message, f.check, f.subject, _explanation(config, f))
        for f in findings
    ]
    return sorted(explained, key=lambda f: (f.location, f.check, f.subject))


def _explanation(config: LintConfig, finding: Finding) -> str | None:
    if finding.severity == "error":  # errors are fixed, never explained away
        return None
    for item in config.explained:
        if item.check == finding.check and _matches(item.subject, finding.subject):
            return item.reason
    return None


def _matches(pattern: str, subject: str) -> bool:
    """``pattern`` is the subject, or for gaps a comma list of name=value where value may be ``*``."""
    if pattern == subject:
        return True
    wanted = dict(part.strip().split("=", 1) for part in pattern.split(",") if "=" in part)
    have = dict(part.strip().split("=", 1) for part in subject.split(",") if "=" in part)
    if not wanted or set(wanted) - set(have):
        return False
    return all(value == "*" or have[name] == value for name, value in wanted.items())
