"""``ne``: the fact is known and differs from the value."""

from __future__ import annotations

import operator
from functools import partial

from .base import ANY_TYPE, Operator, Shape, points

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from typing import Any

    from ..domains import Integers
    from ..model import Value


class _Differs(Operator):
    def test(self, value: Value, expected: Any) -> bool:
        return value != expected

    def integers(self, expected: Any) -> Integers:
        return points((expected,)).complement()

    def durable(self, fact: str, expected: Any) -> dict[str, Any]:
        return {"$neq": {fact: expected}}

    def passes(self, expected: Any) -> Callable[[Value], bool]:
        return partial(operator.ne, expected)


OPERATOR = _Differs("ne", "≠", "is not", ANY_TYPE, Shape.SCALAR, exact=True, negation_name="eq")
