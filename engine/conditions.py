"""Evaluating rule conditions in pure Python, with three outcomes.

A condition *holds*, *fails*, or is *undecided* because a fact it needs is
not known (Kleene's three-valued logic): ``all`` fails as soon as one part
fails, ``any`` holds as soon as one part holds, ``not`` swaps holds and
fails and leaves undecided alone. A rule fires exactly when its condition
holds, which is also what the durable-rules backend compiles, so the two can
be checked against each other. The evaluation keeps every part's outcome and
the value it saw, for question planning and why-not explanations.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from .model import AllOf, AnyOf, Comparison, Condition, Not, Value, never
from .records import frozen

__all__ = ["Evaluation", "Truth", "compare", "evaluate"]


class Truth(str, enum.Enum):
    """The outcome of a condition over partly known facts."""

    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"

    def negated(self) -> Truth:
        match self:
            case Truth.HOLDS:
                return Truth.FAILS
            case Truth.FAILS:
                return Truth.HOLDS
            case Truth.UNDECIDED:
                return self
            case _:  # pragma: no cover
                never(self)


@frozen()
class Evaluation:
    """How one condition (and each of its parts) came out.

    For a comparison ``seen`` is the fact's value, or None when not known.
    """

    condition: Condition
    truth: Truth
    parts: tuple[Evaluation, ...] = ()
    seen: Value | None = None

    def __init__(
        self,
        condition: Condition,
        truth: Truth,
        parts: tuple[Evaluation, ...] = (),
        seen: Value | None = None,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["condition"] = condition
        attributes["truth"] = truth
        attributes["parts"] = parts
        attributes["seen"] = seen

    @property
    def holds(self) -> bool:
        return self.truth is Truth.HOLDS

    def comparisons(self) -> Iterator[Evaluation]:
        """The evaluated comparisons inside, depth first."""
        if isinstance(self.condition, Comparison):
            yield self
        for part in self.parts:
            yield from part.comparisons()

    def first_failure(self) -> Evaluation | None:
        """The first comparison (in written order) that is known to fail, if any."""
        for evaluation in self.comparisons():
            if evaluation.truth is Truth.FAILS:
                return evaluation
        return None

    def unknown_facts(self) -> tuple[str, ...]:
        """Facts whose value is not known but would be read, first mention first."""
        names = (
            e.condition.fact  # type: ignore[union-attr]
            for e in self.comparisons()
            if e.truth is Truth.UNDECIDED
        )
        return tuple(dict.fromkeys(names))


def compare(comparison: Comparison, value: Value) -> bool:
    """Whether a known ``value`` passes ``comparison``. Values are already type-checked."""
    return comparison.operator.test(value, comparison.value)


def evaluate(condition: Condition, facts: Mapping[str, Value]) -> Evaluation:
    """Evaluate ``condition`` against the facts known so far."""
    match condition:
        case Comparison():
            if condition.fact not in facts:
                return Evaluation(condition, Truth.UNDECIDED)
            value = facts[condition.fact]
            truth = Truth.HOLDS if condition.operator.test(value, condition.value) else Truth.FAILS
            return Evaluation(condition, truth, seen=value)
        case Not():
            inner = evaluate(condition.condition, facts)
            return Evaluation(condition, inner.truth.negated(), (inner,))
        case AllOf() | AnyOf():
            parts = tuple(evaluate(part, facts) for part in condition.conditions)
            return Evaluation(condition, _combine(isinstance(condition, AllOf), {part.truth for part in parts}), parts)
        case _:  # pragma: no cover
            never(condition)


def _combine(conjunction: bool, truths: set[Truth]) -> Truth:
    """Kleene's ``all`` (``conjunction``) or ``any`` of parts that came out as ``truths``."""
    deciding, other = (Truth.FAILS, Truth.HOLDS) if conjunction else (Truth.HOLDS, Truth.FAILS)
    if deciding in truths:
        return deciding
    if truths == {other}:
        return other
    return Truth.UNDECIDED
