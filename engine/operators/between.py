"""``between``: the fact is known and lies in an inclusive range (``days_left: {between: [0, 7]}``).

Integer facts only: ``[low, high]``, two numbers with low ≤ high, which may lie outside the fact's
bounds. Nothing is its negation (outside a range is two ranges): failing it compiles to "below
or above" directly.
"""

from __future__ import annotations

from .base import INTEGER_ONLY, Operator, Shape, span

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from typing import Any

    from ..domains import Integers
    from ..location import Location
    from ..model import Comparison, Value


class _Between(Operator):
    def test(self, value: Value, expected: Any) -> bool:
        low, high = expected
        return bool(low <= value <= high)

    def integers(self, expected: Any) -> Integers:
        return span(*expected)

    def durable(self, fact: str, expected: Any) -> dict[str, Any]:
        low, high = expected
        return {"$and": [{"$gte": {fact: low}}, {"$lte": {fact: high}}]}

    def to_durable(self, fact: str, expected: Any, holds: bool = True) -> dict[str, Any]:
        if holds:
            return self.durable(fact, expected)
        low, high = expected
        return {"$or": [{"$lt": {fact: low}}, {"$gt": {fact: high}}]}

    def build(self, fact: str, expected: Any, location: Location) -> Comparison | str:
        low, high = expected
        if low > high:
            return f"'between' takes [low, high] with low ≤ high, not [{low}, {high}]"
        return super().build(fact, (low, high), location)

    def describe(self, fact: str, expected: Any, word: Callable[[Value], str]) -> str:
        low, high = expected
        return f"{fact} {self.words} {word(low)} and {word(high)}"


OPERATOR = _Between("between", "between", "is between", INTEGER_ONLY, Shape.PAIR, exact=False)
