"""What every operator of the rule language is: :class:`Operator`, and the value shapes it takes.

An operator is one frozen object (one per file in this package) that owns everything the engine's
passes need to know about it:

* its words — ``name`` (the kb keyword), ``symbol`` (``days_left < 3`` in explanations) and
  ``words`` (``is one of`` in ``kb docs``);
* what it accepts — ``fact_types`` and ``shape`` (one value, a list, a ``[low, high]`` pair), and
  whether its values must lie within the fact's bounds (``exact``); :meth:`Operator.build` makes
  the comparison the loader stores;
* its test — :meth:`Operator.test`, and its ``negation`` (the operator that holds exactly when it
  fails, when there is one);
* its durable compilation — :meth:`Operator.durable` (what durable-rules matches when it holds),
  :meth:`Operator.requirement` and :meth:`Operator.required_values` (what the backend's shard
  planning may assume of a rule that tests it);
* its reasoning over domains — :meth:`Operator.integers` (the whole numbers that pass it), from
  which :meth:`Operator.possible` (the planner's "can this still hold?") and
  :meth:`Operator.restrict` (lint's "what values are left?") follow.

The registry (:mod:`orderdoctor.engine.operators`) finds the operators; ``Operator.EQ`` and
``list(Operator)`` are the registered ones, as when ``Operator`` was an enum.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from ..model import Comparison, FactType, Value, never
from ..records import frozen

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from ..domains import Domain, Integers
    from ..location import Location
    from ..model import Fact

__all__ = ["ANY_TYPE", "INTEGER_ONLY", "Expected", "Operator", "Shape", "points", "span"]

#: What a comparison compares a fact with: one value, or a tuple (a list, or a pair).
Expected = Value | tuple[Value, ...]

#: Fact types an operator accepts.
ANY_TYPE = frozenset(FactType)
INTEGER_ONLY = frozenset((FactType.INTEGER,))


class Shape(str, enum.Enum):
    """The shape of the value an operator takes in a rule."""

    SCALAR = "scalar"  # one value: `lt: 3`
    LIST = "list"  # a non-empty list of values: `in: [a, b]`
    PAIR = "pair"  # two numbers, low and high: `between: [0, 7]`


class _Registry(type):
    """``Operator.EQ`` is the registered operator ``eq``; ``list(Operator)`` every registered one."""

    def __getattr__(cls, attribute: str) -> Operator:
        if attribute.isupper() and not attribute.startswith("_"):
            from . import OPERATORS

            found = OPERATORS.get(attribute.lower())
            if found is not None:
                return found
        raise AttributeError(attribute)

    def __iter__(cls) -> Iterator[Operator]:
        from . import OPERATORS

        return iter(OPERATORS.values())


@frozen(eq=False, repr=False)
class Operator(metaclass=_Registry):
    """One operator of the rule language (see the module docstring). Compared by identity: the
    registry holds the one object of each operator, and pickling keeps it."""

    name: str
    symbol: str
    words: str
    fact_types: frozenset[FactType]
    shape: Shape
    #: Whether each value must be one the fact can take (``lt: 1000`` may lie outside the bounds).
    exact: bool
    #: The operator that holds exactly when this one fails, if there is one.
    negation_name: str | None = None

    def __init__(
        self,
        name: str,
        symbol: str,
        words: str,
        fact_types: frozenset[FactType],
        shape: Shape,
        exact: bool,
        negation_name: str | None = None,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["name"] = name
        attributes["symbol"] = symbol
        attributes["words"] = words
        attributes["fact_types"] = fact_types
        attributes["shape"] = shape
        attributes["exact"] = exact
        attributes["negation_name"] = negation_name

    # ------------------------------------------------------------------ semantics
    def test(self, value: Value, expected: Any) -> bool:
        """Whether a known ``value`` passes ``fact OP expected`` (values are type-checked)."""
        raise NotImplementedError

    def integers(self, expected: Any) -> Integers:
        """The whole numbers that pass ``fact OP expected`` (for an integer fact)."""
        raise NotImplementedError

    def durable(self, fact: str, expected: Any) -> dict[str, Any]:
        """durable-rules' expression that matches when ``fact OP expected`` holds (a test on a
        property the case lacks never matches: that gives unknown facts their meaning)."""
        raise NotImplementedError

    def passes(self, expected: Any) -> Callable[[Value], bool]:
        """A fast test of a value alone (``passes(expected)(value) == test(value, expected)``)."""
        return lambda value: self.test(value, expected)

    @property
    def negation(self) -> Operator | None:
        if self.negation_name is None:
            return None
        from . import OPERATORS

        return OPERATORS[self.negation_name]

    @property
    def negated(self) -> Operator:
        """The negation (what the enum offered; raises when there is none)."""
        negation = self.negation
        if negation is None:
            raise KeyError(self.name)
        return negation

    @property
    def value(self) -> str:
        """The kb keyword (what the enum offered as ``value``)."""
        return self.name

    # ------------------------------------------------------------------ compilation
    def to_durable(self, fact: str, expected: Any, holds: bool = True) -> dict[str, Any]:
        """durable's expression matching when ``fact OP expected`` holds (or is known to fail)."""
        if holds:
            return self.durable(fact, expected)
        return self.negated.durable(fact, expected)

    def requirement(self, expected: Any, holds: bool) -> Callable[[Value], bool] | None:
        """A test a fact's value must pass for the comparison to hold (or fail); None: the fact
        must merely be known. A necessary condition the backend uses to skip matching."""
        operator = self if holds else self.negation
        return None if operator is None else operator.passes(expected)

    def required_values(self, expected: Any) -> frozenset[Value] | None:
        """The values a fact must have for the comparison to hold, when they are few (None: any)."""
        return None

    # ------------------------------------------------------------------ domains
    def possible(self, domain: Domain, expected: Any, holds: bool) -> bool:
        """Whether some value in ``domain`` makes ``fact OP expected`` hold (or fail)."""
        from ..domains import Closed, Interval, Known, OneOf

        match domain:
            case Known(value):
                return self.test(value, expected) == holds
            case OneOf(values):
                return any(self.test(v, expected) == holds for v in values)
            case Interval():
                return bool(self.restrict(domain.integers, expected, holds))
            case Closed():
                return False
            case _:  # pragma: no cover
                never(domain)

    def restrict(
        self, values: frozenset[Value] | Integers, expected: Any, want: bool
    ) -> frozenset[Value] | Integers:
        """What is left of ``values`` once ``fact OP expected`` must hold (``want``) or fail."""
        if not isinstance(values, frozenset):
            passing = self.integers(expected)
            return values & (passing if want else passing.complement())
        return frozenset(v for v in values if self.test(v, expected) == want)

    # ------------------------------------------------------------------ words
    def mentioned(self, expected: Any) -> tuple[Value, ...]:
        """The values a comparison names (thresholds, choices)."""
        match self.shape:
            case Shape.SCALAR:
                return (expected,)
            case Shape.LIST | Shape.PAIR:
                return tuple(expected)
            case _:  # pragma: no cover
                never(self.shape)

    def show(self, fact: str, expected: Any) -> str:
        """The comparison as text: ``days_left < 3``, ``order_status in [shipped, closed]``."""
        match self.shape:
            case Shape.SCALAR:
                return f"{fact} {self.symbol} {_show(expected)}"
            case Shape.LIST | Shape.PAIR:
                return f"{fact} {self.symbol} [{', '.join(_show(v) for v in expected)}]"
            case _:  # pragma: no cover
                never(self.shape)

    def describe(self, fact: str, expected: Any, word: Callable[[Value], str]) -> str:
        """The comparison in words (``kb docs``), values written by ``word``."""
        values = ", ".join(word(v) for v in self.mentioned(expected))
        return f"{fact} {self.words} {values}"

    # ------------------------------------------------------------------ loading
    def wrong_type(self, fact: Fact) -> str:
        """Why the loader refuses this operator on ``fact`` (a type not in ``fact_types``)."""
        return f"'{self.name}' compares numbers, but fact '{fact.name}' is a {fact.type.value} fact"

    def list_problem(self, items: list[Any] | None) -> str | None:
        """Why ``items`` (None: not a list) is not the list this operator takes, if it is not."""
        match self.shape:
            case Shape.SCALAR:
                return None
            case Shape.LIST:
                return None if items else f"'{self.name}' takes a non-empty list of values"
            case Shape.PAIR:
                return None if items and len(items) == 2 else f"'{self.name}' takes two numbers: [low, high]"
            case _:  # pragma: no cover
                never(self.shape)

    def build(self, fact: str, expected: Any, location: Location) -> Comparison | str:
        """The comparison the loader stores for checked values (or why they make none)."""
        return Comparison(fact, self, expected, location)

    # ------------------------------------------------------------------ identity
    def __repr__(self) -> str:
        return f"Operator.{self.name.upper()}"

    def __reduce__(self) -> tuple[Callable[[str], Operator], tuple[str]]:
        from . import operator_named

        return operator_named, (self.name,)


def span(low: float, high: float) -> Integers:
    """The whole numbers from ``low`` to ``high`` (for :meth:`Operator.integers`)."""
    from ..domains import Integers  # imported when first needed: `advise` never reasons about domains

    return Integers.span(low, high)


def points(values: Iterable[int]) -> Integers:
    """The whole numbers ``values`` (for :meth:`Operator.integers`)."""
    from ..domains import Integers

    return Integers.points(values)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
