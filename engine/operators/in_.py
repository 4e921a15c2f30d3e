"""``in``: the fact equals one of the values (``[a, b]`` is short for ``{in: [a, b]}``)."""

from __future__ import annotations

from .base import ANY_TYPE, Operator, Shape, points

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from typing import Any

    from ..domains import Integers
    from ..location import Location
    from ..model import Comparison, Value


class _OneOf(Operator):
    def test(self, value: Value, expected: Any) -> bool:
        return value in expected

    def integers(self, expected: Any) -> Integers:
        return points(expected)

    def durable(self, fact: str, expected: Any) -> dict[str, Any]:
        return {"$or": [{fact: value} for value in expected]}  # durable has no `$in`

    def passes(self, expected: Any) -> Callable[[Value], bool]:
        return frozenset(expected).__contains__

    def requirement(self, expected: Any, holds: bool) -> Callable[[Value], bool] | None:
        return self.passes(expected) if holds else None  # failing: merely known (not worth a test)

    def required_values(self, expected: Any) -> frozenset[Value] | None:
        return frozenset(expected)

    def build(self, fact: str, expected: Any, location: Location) -> Comparison | str:
        from . import operator_named

        unique = tuple(dict.fromkeys(expected))
        if len(unique) == 1:  # `in: [a]` is `eq: a`
            return operator_named("eq").build(fact, unique[0], location)
        return super().build(fact, unique, location)


OPERATOR = _OneOf("in", "in", "is one of", ANY_TYPE, Shape.LIST, exact=True, negation_name="not_in")
