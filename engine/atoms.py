"""The tests durable-rules matches on: each rule's condition as a conjunction of *atoms*; pure data.

durable-rules has sharp limits on what it can match (shared/notes/durable-rules.md and the
reliability review): it identifies a property by a 32-bit FNV-1a hash of its name alone, compares
string lengths as 16-bit numbers, hangs while building a ruleset whose tests under one node pass
512, refuses more than 15 nested ``$and``/``$or`` in a rule (error 113), fails once a fact matches
more than 64 sibling tests (error 303) and drops a fact's properties past about 252 (error 302).
So the backend never gives durable a fact name, a fact value or a connective it could get wrong:

* **Atoms.** A rule's condition is split at its top-level ``all`` (nested ``all`` flattened,
  ``not`` pushed inwards by De Morgan) into conjuncts. A conjunct that is a comparison, or its
  negation, is one atom ("``country`` is known and is one of these 600 values"); any other
  conjunct (an ``any`` group) is one atom too, evaluated with Kleene's three-valued logic. Equal
  atoms are shared. The backend works out in Python which atoms hold, as facts become known
  (facts are only ever added, so an atom that holds goes on holding), and durable matches each
  rule as a conjunction of atom flags, ``{"a3": 1}``, with the rule's marker last.
* **Names.** Atoms and markers get short generated property names (``a0``, ``a1``, …, ``m0``, …)
  whose FNV-1a-32 hashes differ from each other's and from durable's reserved ``sid`` and ``id``
  (:func:`property_names` skips a name whose hash is taken). Every value durable sees is ``1``.
* **Size.** A rule of more than :data:`MAX_RULE_ATOMS` atoms is matched as one atom (its whole
  condition), so no rule is too big for a shard of :data:`PROPERTY_BUDGET` properties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from .model import AllOf, AnyOf, Comparison, Condition, Not, Rule, Value, never

__all__ = [
    "MAX_RULE_ATOMS",
    "PROPERTY_BUDGET",
    "RESERVED",
    "Atom",
    "conjuncts",
    "fnv1a32",
    "make_atom",
    "monotone",
    "property_names",
]

#: Properties a state fact may hold (atoms that hold, markers, ``sid``): durable drops those past
#: about 252 (error 302); each shard's atoms and rules fit in this many, with a margin.
PROPERTY_BUDGET = 200

#: Atoms a rule may test one by one; a rule of more is matched as one atom.
MAX_RULE_ATOMS = 100

#: Property names durable itself gives a meaning (``sid`` partitions state, ``id`` identifies a fact).
RESERVED = ("sid", "id")

def fnv1a32(name: str) -> int:
    """The 32-bit FNV-1a hash of ``name``'s UTF-8 bytes: all durable knows of a property's name."""
    value = 0x811C9DC5
    for byte in name.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def property_names(prefix: str, taken: set[int]) -> Iterator[str]:
    """Names ``{prefix}0``, ``{prefix}1``, … skipping any whose hash is in ``taken``; each name
    given adds its hash to ``taken`` (so names from several prefixes never collide either)."""
    number = 0
    while True:
        name = f"{prefix}{number}"
        number += 1
        code = fnv1a32(name)
        if code not in taken:
            taken.add(code)
            yield name


#: A test of one fact's value: (fact, the value's test, whether it must pass or fail).
Literal = tuple[str, Callable[[Value], bool], bool]


def monotone(condition: Condition, holds: bool, literals: list[Literal]) -> Callable[[Mapping[str, Value]], bool]:
    """A test of whether ``condition`` holds (or, ``holds=False``, is known to fail) on the facts
    known, with ``not`` pushed down to the comparisons (Kleene's logic: a comparison on an unknown
    fact neither holds nor fails), adding each comparison's literal to ``literals``. The test is
    monotone in its literals: it can start to pass only when one of them starts to."""
    match condition:
        case Comparison():
            fact = condition.fact
            passes = condition.operator.passes(condition.value)
            literals.append((fact, passes, holds))
            if holds:
                return lambda known: fact in known and passes(known[fact])
            return lambda known: fact in known and not passes(known[fact])
        case Not():
            return monotone(condition.condition, not holds, literals)
        case AllOf() | AnyOf():
            parts = tuple(monotone(part, holds, literals) for part in condition.conditions)
            if isinstance(condition, AllOf) == holds:  # every part
                return lambda known: all(part(known) for part in parts)
            return lambda known: any(part(known) for part in parts)
        case _:  # pragma: no cover
            never(condition)


#: Disjuncts a group is expanded into at most (:func:`disjuncts`); a bigger one is only tested whole.
MAX_DISJUNCTS = 64


def disjuncts(condition: Condition, holds: bool) -> tuple[tuple[Literal, ...], ...] | None:
    """``condition`` holding (or failing) as an ``any`` of ``all``s of literals (disjunctive normal
    form, ``not`` pushed down to the comparisons); None when that takes more than
    :data:`MAX_DISJUNCTS` disjuncts."""
    match condition:
        case Comparison():
            return (((condition.fact, condition.operator.passes(condition.value), holds),),)
        case Not():
            return disjuncts(condition.condition, not holds)
        case AllOf() | AnyOf():
            parts = [disjuncts(part, holds) for part in condition.conditions]
            if any(part is None for part in parts):
                return None
            if isinstance(condition, AllOf) != holds:  # some part
                found = tuple(conjunction for part in parts for conjunction in part)  # type: ignore[union-attr]
                return found if len(found) <= MAX_DISJUNCTS else None
            product: list[tuple[Literal, ...]] = [()]
            for part in parts:
                product = [left + right for left in product for right in part]  # type: ignore[union-attr]
                if len(product) > MAX_DISJUNCTS:
                    return None
            return tuple(product)
        case _:  # pragma: no cover
            never(condition)


@dataclass(frozen=True)
class Atom:
    """One test durable matches as a flag: it holds on the facts known (``test``)."""

    #: What makes two atoms equal (so they are shared).
    key: object
    #: The facts the test reads.
    reads: tuple[str, ...]
    test: Callable[[Mapping[str, Value]], bool]
    #: For a comparison (or its negation): the test of the fact's value alone, and whether it
    #: must pass (True) or fail; None for a group.
    passes: Callable[[Value], bool] | None = None
    holds: bool = True
    #: For a group: its comparisons' literals (it can start to hold only when one of them does).
    literals: tuple[Literal, ...] = ()
    #: For a group: the group as an ``any`` of ``all``s of literals (:func:`disjuncts`), if small.
    dnf: tuple[tuple[Literal, ...], ...] | None = None


def make_atom(conjunct: tuple[Condition, bool]) -> Atom:
    """The atom that holds when ``conjunct`` (a condition, and whether it must hold or fail) does."""
    condition, holds = conjunct
    if isinstance(condition, Comparison):
        fact = condition.fact
        passes = condition.operator.passes(condition.value)
        if holds:
            def test(known: Mapping[str, Value]) -> bool:
                return fact in known and passes(known[fact])
        else:
            def test(known: Mapping[str, Value]) -> bool:
                return fact in known and not passes(known[fact])
        key: object = (fact, condition.operator.name, condition.value, holds)
        return Atom(key, (fact,), test, passes, holds)
    literals: list[Literal] = []
    whole = monotone(condition, holds, literals)
    reads = tuple(dict.fromkeys(fact for fact, _, _ in literals))
    return Atom((condition, holds), reads, whole, literals=tuple(literals), dnf=disjuncts(condition, holds))


def conjuncts(rule: Rule) -> list[tuple[Condition, bool]]:
    """``rule``'s condition as conjuncts (condition, must hold): comparisons and ``any`` groups,
    ``all`` flattened and ``not`` pushed inwards; one conjunct (the whole condition) when there
    would be more than :data:`MAX_RULE_ATOMS`."""
    found: list[tuple[Condition, bool]] = []
    _split(rule.when, True, found)
    unique = list(dict.fromkeys(found))
    if len(unique) > MAX_RULE_ATOMS:
        return [(rule.when, True)]
    return unique


def _split(condition: Condition, holds: bool, found: list[tuple[Condition, bool]]) -> None:
    """Add the conjuncts of ``condition`` holding (or, ``holds=False``, failing) to ``found``."""
    match condition:
        case Not():
            _split(condition.condition, not holds, found)
        case AllOf() if holds:  # all hold
            for part in condition.conditions:
                _split(part, holds, found)
        case AnyOf() if not holds:  # all fail
            for part in condition.conditions:
                _split(part, holds, found)
        case AllOf() | AnyOf() if len(condition.conditions) == 1:
            _split(condition.conditions[0], holds, found)
        case _:
            found.append((condition, holds))
