"""``gte``: the fact is known and at least the number.

Integer facts only; the number may lie outside the fact's bounds (the test then never holds, or always).
"""

from __future__ import annotations

import operator
from functools import partial
from math import inf as INF

from .base import INTEGER_ONLY, Operator, Shape, span

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from typing import Any

    from ..domains import Integers
    from ..model import Value


class _Ordering(Operator):
    def test(self, value: Value, expected: Any) -> bool:
        return value >= expected

    def integers(self, expected: Any) -> Integers:
        return span(expected, INF)

    def durable(self, fact: str, expected: Any) -> dict[str, Any]:
        return {"$gte": {fact: expected}}

    def passes(self, expected: Any) -> Callable[[Value], bool]:
        return partial(operator.le, expected)  # value ≥ expected, as expected <= value


OPERATOR = _Ordering("gte", "≥", "≥", INTEGER_ONLY, Shape.SCALAR, exact=False, negation_name="lt")
