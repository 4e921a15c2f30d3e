"""``not_in``: the fact is known and equals none of the values (``{not_in: [a, b]}``).

The negation of ``in``. Like ``in``, a list of one value is stored as the simpler test (``ne``).
"""

from __future__ import annotations

from .base import ANY_TYPE, Operator, Shape, points

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from typing import Any

    from ..domains import Integers
    from ..location import Location
    from ..model import Comparison, Value


class _NoneOf(Operator):
    def test(self, value: Value, expected: Any) -> bool:
        return value not in expected

    def integers(self, expected: Any) -> Integers:
        return points(expected).complement()

    def durable(self, fact: str, expected: Any) -> dict[str, Any]:
        return {"$and": [{"$neq": {fact: value}} for value in expected]}

    def passes(self, expected: Any) -> Callable[[Value], bool]:
        excluded = frozenset(expected)
        return lambda value: value not in excluded

    def build(self, fact: str, expected: Any, location: Location) -> Comparison | str:
        from . import operator_named

        unique = tuple(dict.fromkeys(expected))
        if len(unique) == 1:  # `not_in: [a]` is `ne: a`
            return operator_named("ne").build(fact, unique[0], location)
        return super().build(fact, unique, location)

    def describe(self, fact: str, expected: Any, word: Callable[[Value], str]) -> str:
        return f"{fact} {self.words} {', '.join(word(v) for v in expected)}"


OPERATOR = _NoneOf("not_in", "not in", "is none of", ANY_TYPE, Shape.LIST, exact=True, negation_name="in")
