"""``eq``: the fact equals the value (``order_status: shipped`` is short for ``{eq: shipped}``)."""

from __future__ import annotations

from .base import ANY_TYPE, Operator, Shape, points

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from typing import Any

    from ..domains import Integers
    from ..model import Value


class _Equals(Operator):
    def test(self, value: Value, expected: Any) -> bool:
        return value == expected

    def integers(self, expected: Any) -> Integers:
        return points((expected,))

    def durable(self, fact: str, expected: Any) -> dict[str, Any]:
        return {fact: expected}

    def passes(self, expected: Any) -> Callable[[Value], bool]:
        return frozenset((expected,)).__contains__

    def required_values(self, expected: Any) -> frozenset[Value] | None:
        return frozenset((expected,))


OPERATOR = _Equals("eq", "=", "is", ANY_TYPE, Shape.SCALAR, exact=True, negation_name="ne")
