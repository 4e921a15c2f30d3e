"""Advice contracts, checked on every answer.

Each advice item may state, in advice.yaml, when it makes sense
(``requires``: a condition over given and derived facts), which items it
can never stand beside (``incompatible_with``, either direction counts),
and that it tells the buyer to act now (``urgent_within``: no deadline shown
beside it may be further away than that many days). ``orderdoctor kb check``
proves these statically (:mod:`.lint`); this module checks them again on
each consultation's answer, so that a rule the proof could not see through
shows up as a :class:`Violation` in the result (and a failing ``kb test`` /
``kb review --check``), never as silent bad advice.

A ``requires`` condition is violated only when it is known to *fail*: a fact
it reads that nobody gave leaves it undecided, which is not a violation.
Advice that breaks its ``requires`` is withheld from the answer; advice that
is incompatible or too urgent is kept and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .conditions import Truth, evaluate
from .model import Advice, AllOf, AnyOf, Comparison, Condition, Not, Value, never

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Contracts", "Violation", "VIOLATION_KINDS", "check_answer", "compile_verdict", "contract_holds"]

#: What a violation can be about.
VIOLATION_KINDS = ("contract", "incompatible", "urgency")


@dataclass(frozen=True)
class Violation:
    """An answer that breaks the advice catalogue's own rules.

    ``kind`` is ``contract`` (``advice`` was given where its ``requires`` fails;
    it was withheld), ``incompatible`` (``advice`` and ``other`` were shown
    together) or ``urgency`` (``advice`` says act now while ``other`` shows a
    deadline ``days`` away, beyond ``advice``'s ``urgent_within``). ``rule`` is
    the rule that gave ``advice``.
    """

    kind: str
    advice: str
    rule: str | None
    other: str | None = None
    days: int | None = None

    @property
    def message(self) -> str:
        giver = f" (given by rule '{self.rule}')" if self.rule else ""
        if self.kind == "contract":
            return f"advice '{self.advice}'{giver} was given where its contract ('requires') fails; it was withheld"
        if self.kind == "incompatible":
            return f"advice '{self.advice}'{giver} was shown beside incompatible advice '{self.other}'"
        return (
            f"advice '{self.advice}'{giver} says to act now, but '{self.other}' shows a deadline "
            f"{self.days} days away"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "advice": self.advice,
            "rule": self.rule,
            "other": self.other,
            "days": self.days,
            "message": self.message,
        }


def contract_holds(advice: Advice, facts: Mapping[str, Value]) -> bool:
    """False only when ``advice.requires`` is known to fail on ``facts``."""
    if advice.requires is None:
        return True
    return evaluate(advice.requires, facts).truth is not Truth.FAILS


def incompatible(first: Advice, second: Advice) -> bool:
    """Whether the catalogue declares the two items incompatible (either direction)."""
    return second.id in first.incompatible_with or first.id in second.incompatible_with


def check_answer(
    shown: Sequence[tuple[Advice, str | None, int | None]],
) -> tuple[Violation, ...]:
    """The incompatible pairs and urgency clashes among ``shown`` advice
    (each ``(advice, rule id, deadline days)``, in reading order)."""
    found: list[Violation] = []
    for i, (first, rule, _days) in enumerate(shown):
        for second, _rule, _ in shown[i + 1 :]:
            if incompatible(first, second):
                found.append(Violation("incompatible", first.id, rule, second.id))
    for advice, rule, _days in shown:
        if advice.urgent_within is None:
            continue
        for other, _rule, days in shown:
            if days is not None and days > advice.urgent_within:
                found.append(Violation("urgency", advice.id, rule, other.id, days))
    return tuple(found)


#: A test of the known facts: whether a condition is known to hold (or, compiled so, to fail).
Verdict = Callable[[Mapping[str, Value]], bool]


def _never(facts: Mapping[str, Value]) -> bool:
    return False


def compile_verdict(condition: Condition, holds: bool = True) -> Verdict:
    """A fast test of whether ``condition`` is known to hold on some facts (``holds=False``: known
    to fail), as :func:`.conditions.evaluate` decides it: Kleene's three values, an unknown fact
    deciding nothing (an empty ``all``/``any`` is undecided). Built once from closures over each
    operator's :meth:`~.operators.base.Operator.passes`."""
    match condition:
        case Comparison():
            name, passes = condition.fact, condition.operator.passes(condition.value)
            if holds:
                return lambda facts: name in facts and passes(facts[name])
            return lambda facts: name in facts and not passes(facts[name])
        case Not():
            return compile_verdict(condition.condition, not holds)
        case AllOf() | AnyOf():
            parts = tuple(compile_verdict(part, holds) for part in condition.conditions)
            if not parts:
                return _never
            if len(parts) == 1:
                return parts[0]
            if isinstance(condition, AllOf) == holds:  # all must: all hold, or (any) all fail
                return _every(parts)
            return _some(parts)
        case _:  # pragma: no cover
            never(condition)


def _every(parts: tuple[Verdict, ...]) -> Verdict:
    """A test passing when each of ``parts`` does (two parts, the usual case, without a loop)."""
    if len(parts) == 2:
        first, second = parts
        return lambda facts: first(facts) and second(facts)
    return lambda facts: all(part(facts) for part in parts)


def _some(parts: tuple[Verdict, ...]) -> Verdict:
    """A test passing when one of ``parts`` does (two parts, the usual case, without a loop)."""
    if len(parts) == 2:
        first, second = parts
        return lambda facts: first(facts) or second(facts)
    return lambda facts: any(part(facts) for part in parts)


class Contracts:
    """The contracts of one advice catalogue, made ready to check answers fast: each ``requires``
    compiled (:func:`compile_verdict`, on first use: one ``advise`` checks a few), the incompatible
    pairs and the urgent items by id."""

    __slots__ = ("catalogue", "failing", "incompatible", "partnered", "urgent", "urgent_ids")

    def __init__(self, catalogue: Mapping[str, Advice]) -> None:
        self.catalogue = catalogue
        #: The "known to fail" test of each item's ``requires`` compiled so far (see :meth:`verdict`).
        self.failing: dict[str, Verdict] = {}
        pairs = {(item.id, other) for item in catalogue.values() for other in item.incompatible_with}
        #: The pairs of ids that must not be shown together, both ways round.
        self.incompatible = frozenset(pairs | {(second, first) for first, second in pairs})
        #: The items in some incompatible pair.
        self.partnered = frozenset(first for first, _ in self.incompatible)
        #: Each urgent item's ``urgent_within``.
        self.urgent = {item.id: item.urgent_within for item in catalogue.values() if item.urgent_within is not None}
        self.urgent_ids = frozenset(self.urgent)

    def may_clash(self, advice_ids: Sequence[str]) -> bool:
        """Whether an answer showing ``advice_ids`` can break an incompatibility or urgency
        contract at all (when not, :meth:`clashes` finds nothing)."""
        if len(advice_ids) > 1 and len(self.partnered.intersection(advice_ids)) > 1:
            return True
        return not self.urgent_ids.isdisjoint(advice_ids)

    def verdict(self, advice_id: str) -> Verdict:
        """The test of whether the ``requires`` of ``advice_id`` is known to fail (never, without
        one), compiled on first use and kept in :attr:`failing`."""
        verdict = self.failing.get(advice_id)
        if verdict is None:
            requires = self.catalogue[advice_id].requires
            verdict = _never if requires is None else compile_verdict(requires, holds=False)
            self.failing[advice_id] = verdict
        return verdict

    def fails(self, advice_id: str, facts: Mapping[str, Value]) -> bool:
        """Whether the ``requires`` of ``advice_id`` is known to fail on ``facts``
        (:func:`contract_holds`, negated)."""
        return self.verdict(advice_id)(facts)

    def clashes(self, shown: Sequence[tuple[str, str | None, int | None]]) -> list[Violation]:
        """:func:`check_answer` of ``shown`` (each ``(advice id, rule id, deadline days)``, in
        reading order), on the catalogue's items of those ids."""
        found: list[Violation] = []
        incompatible, urgent = self.incompatible, self.urgent
        if incompatible and len(shown) > 1:
            ids = [advice_id for advice_id, _, _ in shown]
            for i, (first, rule, _days) in enumerate(shown):
                for second in ids[i + 1 :]:
                    if (first, second) in incompatible:
                        found.append(Violation("incompatible", first, rule, second))
        if urgent:
            for advice_id, rule, _days in shown:
                within = urgent.get(advice_id)
                if within is None:
                    continue
                for other, _rule, days in shown:
                    if days is not None and days > within:
                        found.append(Violation("urgency", advice_id, rule, other, days))
        return found
