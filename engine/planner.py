"""Question planning: which fact to ask next, and when to stop asking.

Given the answers so far (a value, or :data:`UNKNOWN` for "I don't know"),
the planner consults the knowledge base on what is known, then works out
which rules could still fire for *some* answers to the open questions:

* a fact is **known** (given, or derived by a rule that fired), **open**
  (askable and not asked yet; or derived and still derivable, with the
  values the rules that may still fire can give it), or **closed**
  (answered "unknown", or derived by no rule that may still fire);
* ``can_hold`` / ``can_fail`` say whether a condition may still come out
  holding / failing for some values of the open facts (sound: it never
  says "impossible" for something possible; it may say "possible" for a
  combination that cannot occur, which costs at most one extra question);
* a rule is **relevant** when it may still fire and would change the
  answer (give advice not given yet, or give it with a higher priority),
  or may derive a fact a relevant rule reads.

A countdown that the deadline of advice already given counts from is
asked last, so that each step can say by when.

Only askable, unanswered facts read by a relevant rule are worth asking;
when there are none the advice cannot change any more and the interview
stops. Questions are ranked by how many relevant rules an answer rules out on
average over its possible values, then by how many relevant rules read
the fact, then by the order of ``facts.yaml``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Union

from .conditions import compare
from .consultation import ConsultationResult
from .graph import advice_node
from .inference import engine_for
from .model import (
    AllOf,
    Comparison,
    Condition,
    Fact,
    FactType,
    KnowledgeBase,
    Not,
    Operator,
    Rule,
    Value,
)

__all__ = ["UNKNOWN", "Unknown", "Answer", "Question", "Plan", "plan", "sample_values"]


class Unknown:
    """The answer "I don't know": the fact was asked and stays unknown."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()
Answer = Union[Value, Unknown]


@dataclass(frozen=True)
class Interval:
    """The whole numbers from ``low`` to ``high`` (inclusive; infinite ends allowed)."""

    low: float
    high: float

    def can(self, comparison: Comparison, holds: bool) -> bool:
        """Whether some number in the interval makes ``comparison`` hold (or fail)."""
        op, value = comparison.operator, comparison.value
        if op is Operator.IN:
            inside = [v for v in value if self.low <= v <= self.high]  # type: ignore[union-attr, operator]
            return bool(inside) if holds else not (self.low == self.high and inside)
        if not holds:
            op = op.negated
        number: int = value  # type: ignore[assignment]
        if op is Operator.EQ:
            return self.low <= number <= self.high
        if op is Operator.NE:
            return not (self.low == self.high == number)
        if op is Operator.LT:
            return self.low < number
        if op is Operator.LTE:
            return self.low <= number
        if op is Operator.GT:
            return self.high > number
        return self.high >= number  # GTE


Domain = Union[tuple, frozenset, Interval, None]


@functools.lru_cache(maxsize=65536)
def _comparison_can(comparison: Comparison, domain: Domain, holds: bool) -> bool:
    if isinstance(domain, tuple):  # ("known", value)
        return compare(comparison, domain[1]) == holds
    if isinstance(domain, Interval):
        return domain.can(comparison, holds)
    return any(compare(comparison, v) == holds for v in domain)  # type: ignore[union-attr]


def _can(condition: Condition, domains: Mapping[str, Domain], holds: bool) -> bool:
    """Whether ``condition`` may still come out holding (``holds``) or failing."""
    if isinstance(condition, Comparison):
        domain = domains.get(condition.fact)
        if domain is None:
            return False
        return _comparison_can(condition, domain, holds)
    if isinstance(condition, Not):
        return _can(condition.condition, domains, not holds)
    parts = condition.conditions
    if isinstance(condition, AllOf) == holds:  # all must hold / any must fail
        return all(_can(part, domains, holds) for part in parts)
    return any(_can(part, domains, holds) for part in parts)


@dataclass(frozen=True)
class Reason:
    """A rule that needs the asked fact, and the advice it could lead to."""

    rule: Rule
    could_give: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """A fact worth asking, with the relevant rules that read it (and the advice
    whose deadline counts from it, when that is why it is asked)."""

    fact: Fact
    reasons: tuple[Reason, ...]
    score: float
    for_deadline: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The advice from what is known, and the questions still worth asking (best first)."""

    result: ConsultationResult
    questions: tuple[Question, ...]
    unknown: tuple[str, ...]

    @property
    def next(self) -> Question | None:
        return self.questions[0] if self.questions else None

    @property
    def settled(self) -> bool:
        """True when no answer to any open question can change the advice."""
        return not self.questions


def _open_domain(fact: Fact) -> Domain:
    if fact.type is FactType.CHOICE:
        return frozenset(fact.values)
    if fact.type is FactType.BOOLEAN:
        return frozenset((True, False))
    low = -math.inf if fact.minimum is None else fact.minimum
    high = math.inf if fact.maximum is None else fact.maximum
    return Interval(low, high)


class _Analysis:
    """Possibility analysis for one state of the interview."""

    def __init__(self, kb: KnowledgeBase, result: ConsultationResult, answers: Mapping[str, Answer]) -> None:
        self.kb = kb
        self.fired = set(result.fired_rules)
        self.unfired = [rule for rule in kb.rules if rule.id not in self.fired]
        self.base: dict[str, Domain] = {}
        for name, fact in kb.facts.items():
            if name in result.facts:
                self.base[name] = ("known", result.facts[name])
            elif fact.derived or answers.get(name) is UNKNOWN:
                self.base[name] = None
            else:
                self.base[name] = _open_domain(fact)
        self.derivers = [rule for rule in self.unfired if rule.derive]
        self.deriver_reads = {name for rule in self.derivers for name in rule.reads}
        self._settled: dict[str, Domain] | None = None

    def domains(self, overrides: Mapping[str, Domain] | None = None) -> dict[str, Domain]:
        """Domains with the derived facts that may still be derived opened up (least fixpoint)."""
        if not overrides and self._settled is not None:
            return self._settled
        if overrides and not (set(overrides) & self.deriver_reads):
            # no rule that derives anything reads these facts: the derived domains stay as they are
            return {**self.domains(), **overrides}
        domains = dict(self.base)
        if overrides:
            domains.update(overrides)
        possible: dict[str, set[Value]] = {}
        changed = True
        while changed:
            changed = False
            for rule in self.derivers:
                if not _can(rule.when, domains, True):
                    continue
                for name, value in rule.derive:
                    if isinstance(domains.get(name), tuple):
                        continue  # already known; rules never change a derived value
                    values = possible.setdefault(name, set())
                    if value not in values:
                        values.add(value)
                        domains[name] = frozenset(values)
                        changed = True
        if not overrides:
            self._settled = domains
        return domains

    def possible_rules(self, domains: Mapping[str, Domain]) -> list[Rule]:
        return [rule for rule in self.unfired if _can(rule.when, domains, True)]


def sample_values(kb: KnowledgeBase, fact: Fact) -> list[Value]:
    """Representative answers for ``fact``: every choice, both booleans, or the numbers
    around each threshold the rules compare it with."""
    if fact.type is FactType.CHOICE:
        return list(fact.values)
    if fact.type is FactType.BOOLEAN:
        return [True, False]
    low = -math.inf if fact.minimum is None else fact.minimum
    high = math.inf if fact.maximum is None else fact.maximum
    points: set[int] = set()
    for rule in kb.rules:
        stack: list[Condition] = [rule.when]
        while stack:
            condition = stack.pop()
            if isinstance(condition, Comparison):
                if condition.fact == fact.name:
                    values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
                    for v in values:
                        if isinstance(v, int):
                            # a comparison with v changes truth only between v-1|v and v|v+1
                            points.update({v - 1, v, v + 1})
            elif isinstance(condition, Not):
                stack.append(condition.condition)
            else:
                stack.extend(condition.conditions)
    inside = sorted(p for p in points if low <= p <= high)
    if not inside:
        inside = [int(low) if low != -math.inf else (int(high) if high != math.inf else 0)]
    return inside  # type: ignore[return-value]


def plan(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> Plan:
    """What to ask next, given ``answers`` (fact → value or :data:`UNKNOWN`)."""
    known = {name: value for name, value in answers.items() if value is not UNKNOWN}
    result = engine_for(kb).consult(known)
    analysis = _Analysis(kb, result, answers)
    domains = analysis.domains()
    possible = analysis.possible_rules(domains)

    # Advice only grows as answers come in, so what current advice replaces stays replaced.
    giver_priority: dict[str, int] = {}
    for step in result.trace:
        for advice_id in step.advised:
            giver_priority[advice_id] = max(giver_priority.get(advice_id, -(10**6)), step.rule.priority)
    moot = {other for advice_id in giver_priority for other in kb.advice[advice_id].replaces}

    def adds_something(rule: Rule) -> bool:
        return any(
            a not in moot and rule.priority > giver_priority.get(a, -(10**6) - 1) for a in rule.advise
        )

    relevant = {rule.id: rule for rule in possible if adds_something(rule)}
    derivers = [rule for rule in possible if rule.derive and rule.id not in relevant]
    grew = True
    while grew:
        grew = False
        needed = {name for rule in relevant.values() for name in rule.reads}
        for rule in derivers:
            if rule.id not in relevant and any(name in needed for name, _ in rule.derive):
                relevant[rule.id] = rule
                grew = True

    readers: dict[str, list[Rule]] = {}
    for rule in relevant.values():
        for name in rule.reads:
            readers.setdefault(name, []).append(rule)
    candidates = [
        fact
        for fact in kb.facts.values()
        if fact.askable and fact.name not in answers and fact.name in readers
    ]

    order = {name: i for i, name in enumerate(kb.facts)}
    possible_ids = frozenset(rule.id for rule in possible)
    scored: list[tuple[float, int, int, Question]] = []
    for fact in candidates:
        score = _settling_score(analysis, fact, sample_values(kb, fact), list(relevant.values()))
        reasons = tuple(Reason(rule, _reachable_advice(kb, rule, possible_ids)) for rule in readers[fact.name])
        scored.append((-score, -len(readers[fact.name]), order[fact.name], Question(fact, reasons, score)))
    scored.sort(key=lambda item: item[:3])
    # Last, the countdowns the deadlines of the advice already given count from.
    asked = {item[3].fact.name for item in scored}
    waiting: dict[str, list[str]] = {}
    for entry in result.advice:
        deadline = entry.advice.deadline
        if deadline is not None and deadline.fact not in answers and deadline.fact not in asked:
            if kb.facts[deadline.fact].askable:
                waiting.setdefault(deadline.fact, []).append(entry.id)
    for name, advice_ids in waiting.items():
        question = Question(kb.facts[name], (), 0.0, tuple(advice_ids))
        scored.append((0.0, 0, order[name], question))
    unknown = tuple(name for name, value in answers.items() if value is UNKNOWN)
    return Plan(result, tuple(item[3] for item in scored), unknown)


def _settling_score(analysis: _Analysis, fact: Fact, values: Iterable[Value], relevant: list[Rule]) -> float:
    """On average over ``values``, how many relevant rules an answer rules out.

    Every relevant rule may still fire on the current domains, and whether it may depends only
    on the domains of the facts it reads: so only the rules reading the answered fact, or a
    derived fact whose possible values the answer changed, are evaluated again."""
    values = list(values)
    if not values or not relevant:
        return 0.0
    current = analysis.domains()
    total = 0
    for value in values:
        domains = analysis.domains({fact.name: ("known", value)})
        changed = {name for name, domain in domains.items() if current.get(name) != domain}
        total += sum(
            1
            for rule in relevant
            if any(name in changed for name in rule.reads) and not _can(rule.when, domains, True)
        )
    return total / len(values)


def _reachable_advice(kb: KnowledgeBase, rule: Rule, possible: frozenset[str]) -> tuple[str, ...]:
    """Advice ids ``rule`` gives or can lead to through the facts it derives, following only
    rules that may still fire (``possible``): advice the known facts rule out is left out."""
    found: list[str] = []
    seen = {rule.id}
    queue = [rule]
    while queue:
        current = queue.pop(0)
        for name, _ in current.derive:
            for reader in kb.graph.rules_reading(name):
                if reader not in seen and reader in possible:
                    seen.add(reader)
                    other = kb.rule(reader)
                    queue.append(other)
                    found += [a for a in other.advise if a not in found]
    direct = list(rule.advise)
    ordered = direct + sorted(a for a in found if a not in direct)
    return tuple(a for a in ordered if advice_node(a) in kb.graph)
