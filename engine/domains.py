"""Which values a fact can still have: the possibility analysis shared by the planner and lint.

A fact's *domain* is one of four small frozen values:

* :class:`Known` — the fact is known and has this value;
* :class:`OneOf` — it can still take any of these values (a choice, a boolean, or a derived fact
  that the rules which may still fire can give these values);
* :class:`Interval` — an integer fact not known yet: the whole numbers from ``low`` to ``high``
  (infinite ends allowed);
* :class:`Closed` — it will not become known (answered "I don't know", or derived by no rule that
  may still fire).

:func:`open_domain` is the domain of a fact nobody answered, :func:`can` says whether a condition
may still come out holding (or failing) for some values in the domains — sound, never "impossible"
for something possible — and :func:`derive` is the least fixpoint that opens up the derived facts
the rules can still conclude. What an operator allows of a domain is the operator's own business
(:meth:`.operators.Operator.possible`, :meth:`~.operators.Operator.restrict`); it reasons about
integers through :class:`Integers`, an exact set of whole numbers (a union of ranges).

Nothing here imports durable or the planner: ``kb check`` and the planner share this module.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .model import AllOf, AnyOf, Comparison, Condition, Fact, FactType, Not, Rule, Value, never

__all__ = [
    "CLOSED",
    "Closed",
    "Domain",
    "Integers",
    "Interval",
    "Known",
    "OneOf",
    "allowed",
    "can",
    "derive",
    "open_domain",
]

INF = math.inf


@dataclass(frozen=True)
class Known:
    """The fact is known: it has ``value``."""

    value: Value

    def can(self, comparison: Comparison, holds: bool) -> bool:
        """Whether the value makes ``comparison`` hold (or fail)."""
        return comparison.operator.test(self.value, comparison.value) == holds


@dataclass(frozen=True)
class OneOf:
    """The fact can still take any of ``values`` (and no other)."""

    values: frozenset[Value]

    def can(self, comparison: Comparison, holds: bool) -> bool:
        """Whether some of the values makes ``comparison`` hold (or fail)."""
        return _one_of_can(comparison, self.values, holds)


@dataclass(frozen=True)
class Interval:
    """The whole numbers from ``low`` to ``high`` (inclusive; infinite ends allowed)."""

    low: float
    high: float

    def can(self, comparison: Comparison, holds: bool) -> bool:
        """Whether some number in the interval makes ``comparison`` hold (or fail)."""
        return _interval_can(comparison, self.low, self.high, holds)

    @property
    def integers(self) -> Integers:
        return Integers.span(self.low, self.high)


@dataclass(frozen=True)
class Closed:
    """The fact will not become known."""

    def can(self, comparison: Comparison, holds: bool) -> bool:
        """Never: a test on a fact that is not known neither holds nor fails."""
        return False


CLOSED = Closed()

Domain = Known | OneOf | Interval | Closed


@dataclass(frozen=True)
class Integers:
    """An exact set of whole numbers: sorted, disjoint, non-adjacent ranges ``(low, high)``,
    inclusive, with infinite ends allowed. What an operator passes of the integers, and what is
    left of an :class:`Interval` once some tests must hold or fail."""

    ranges: tuple[tuple[float, float], ...] = ()

    @classmethod
    def span(cls, low: float, high: float) -> Integers:
        return cls(((low, high),)) if low <= high else cls()

    @classmethod
    def points(cls, values: Iterable[int]) -> Integers:
        ranges: list[tuple[float, float]] = []
        for value in sorted(set(values)):
            if ranges and ranges[-1][1] + 1 == value:
                ranges[-1] = (ranges[-1][0], value)
            else:
                ranges.append((value, value))
        return cls(tuple(ranges))

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and any(low <= value <= high for low, high in self.ranges)

    def complement(self) -> Integers:
        """Every whole number not in this set."""
        ranges: list[tuple[float, float]] = []
        start = -INF
        for low, high in self.ranges:
            if low > start:
                ranges.append((start, low - 1))
            start = high + 1
        if start != INF:
            ranges.append((start, INF))
        return Integers(tuple(ranges))

    def __and__(self, other: Integers) -> Integers:
        ranges: list[tuple[float, float]] = []
        mine, theirs = self.ranges, other.ranges
        i = j = 0
        while i < len(mine) and j < len(theirs):
            low = max(mine[i][0], theirs[j][0])
            high = min(mine[i][1], theirs[j][1])
            if low <= high:
                ranges.append((low, high))
            if mine[i][1] < theirs[j][1]:
                i += 1
            else:
                j += 1
        return Integers(tuple(ranges))


def open_domain(fact: Fact) -> Domain:
    """The domain of ``fact`` when nothing is known of it: every value it is declared to take."""
    match fact.type:
        case FactType.CHOICE:
            return OneOf(frozenset(fact.values))
        case FactType.BOOLEAN:
            return OneOf(frozenset((True, False)))
        case FactType.INTEGER:
            low = -INF if fact.minimum is None else fact.minimum
            return Interval(low, INF if fact.maximum is None else fact.maximum)
        case _:  # pragma: no cover
            never(fact.type)


# The planner asks these hundreds of thousands of times per interview: cached, on keys whose
# hashes Python computes in C (a known value is tested directly).
@functools.lru_cache(maxsize=65536)
def _one_of_can(comparison: Comparison, values: frozenset[Value], holds: bool) -> bool:
    return comparison.operator.possible(OneOf(values), comparison.value, holds)


@functools.lru_cache(maxsize=16384)
def _interval_can(comparison: Comparison, low: float, high: float, holds: bool) -> bool:
    return comparison.operator.possible(Interval(low, high), comparison.value, holds)


def can(condition: Condition, domains: Mapping[str, Domain], holds: bool = True) -> bool:
    """Whether ``condition`` may still come out holding (``holds``) or failing for some values in
    ``domains`` (a fact missing from ``domains`` is closed). Each comparison is judged on its own,
    so a combination that cannot occur may be called possible, never the other way round."""
    match condition:
        case Comparison():
            domain = domains.get(condition.fact)
            if type(domain) is OneOf:  # the commonest kind, and the planner asks very often: inlined
                return _one_of_can(condition, domain.values, holds)
            return domain is not None and domain.can(condition, holds)
        case Not():
            return can(condition.condition, domains, not holds)
        case AllOf():  # all must hold / some must fail
            if holds:
                return all(can(part, domains, holds) for part in condition.conditions)
            return any(can(part, domains, holds) for part in condition.conditions)
        case AnyOf():  # some must hold / all must fail
            if holds:
                return any(can(part, domains, holds) for part in condition.conditions)
            return all(can(part, domains, holds) for part in condition.conditions)
        case _:  # pragma: no cover
            never(condition)


#: Whether a rule's condition may hold on some domains (:func:`can`, or lint's exact test).
Possible = Callable[[Condition, Mapping[str, Domain]], bool]


def derive(rules: Iterable[Rule], domains: Mapping[str, Domain], possible: Possible = can) -> dict[str, Domain]:
    """``domains`` with each derived fact that is not known opened up to the values the ``rules``
    whose condition is still ``possible`` derive — repeated until nothing new can be derived (the
    least fixpoint). A known fact stays known: rules never change a derived value."""
    derivers = [rule for rule in rules if rule.derive]
    result = dict(domains)
    found: dict[str, set[Value]] = {}
    changed = True
    while changed:
        changed = False
        for rule in derivers:
            if not possible(rule.when, result):
                continue
            for name, value in rule.derive:
                if isinstance(result.get(name), Known):
                    continue
                values = found.setdefault(name, set())
                if value not in values:
                    values.add(value)
                    result[name] = OneOf(frozenset(values))
                    changed = True
    return result


def allowed(domain: Domain, literals: Iterable[tuple[Comparison, bool]]) -> frozenset[Value] | Integers:
    """The values of ``domain`` that pass every ``(comparison, must hold?)`` literal: a finite set,
    or for an interval the exact set of whole numbers; empty (falsy) when none does."""
    match domain:
        case Known(value):
            return frozenset(
                (value,) if all(c.operator.test(value, c.value) == want for c, want in literals) else ()
            )
        case OneOf(values):
            return frozenset(v for v in values if all(c.operator.test(v, c.value) == want for c, want in literals))
        case Interval():
            numbers = domain.integers
            for comparison, want in literals:
                numbers = comparison.operator.restrict(numbers, comparison.value, want)  # type: ignore[assignment]
            return numbers
        case Closed():
            return frozenset()
        case _:  # pragma: no cover
            never(domain)
