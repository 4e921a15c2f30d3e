"""Frozen records (engine/records.py) behave as the frozen dataclasses they replace: the same
``__init__`` signature, equality, hash, repr, ordering, ``__match_args__`` and frozenness as a
real ``@dataclass(frozen=True)`` of the same fields, checked on the shipped kb's own objects."""

from __future__ import annotations

import dataclasses
import inspect
import itertools

import pytest
from orderdoctor.engine import load_knowledge_base
from orderdoctor.engine.conditions import Evaluation, evaluate
from orderdoctor.engine.location import Location
from orderdoctor.engine.model import (
    Advice,
    AllOf,
    AnyOf,
    Choice,
    Comparison,
    Deadline,
    Fact,
    KnowledgeBase,
    Not,
    Rule,
    Source,
    comparisons_in,
)
from orderdoctor.engine.operators import OPERATORS, Operator
from orderdoctor.engine.records import frozen

RECORDS = (Advice, AllOf, AnyOf, Choice, Comparison, Deadline, Evaluation, Fact, KnowledgeBase, Location, Not,
           Rule, Source)


def _reference(cls: type) -> type:
    """A real frozen dataclass with ``cls``'s fields and options (what ``@dataclass`` generates)."""
    spec = [(f.name, f.type, dataclasses.field(default=f.default, compare=f.compare, repr=f.repr, hash=f.hash))
            if f.default is not dataclasses.MISSING else
            (f.name, f.type, dataclasses.field(compare=f.compare, repr=f.repr, hash=f.hash))
            for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, spec, frozen=True, order=cls is Location)


def _outcome(function, value):
    try:
        return function(value)
    except TypeError as exc:  # e.g. a KnowledgeBase's mappings can be neither hashed nor copied
        return type(exc)


def _parameters(cls: type) -> list[inspect.Parameter]:
    return list(inspect.signature(cls).parameters.values())


def _instances(cls: type) -> list[object]:
    kb = load_knowledge_base()
    conditions = [rule.when for rule in kb.rules]
    everything: list[object] = [kb, *kb.facts.values(), *kb.advice.values(), *kb.sources.values(), *kb.rules]
    everything += [choice for fact in kb.facts.values() for choice in fact.choices]
    everything += [advice.deadline for advice in kb.advice.values() if advice.deadline is not None]
    everything += [c for condition in conditions for c in comparisons_in(condition)]
    everything += [c for condition in conditions for c in _parts(condition)]
    made = [c for condition in conditions for c in comparisons_in(condition)][:8]  # whatever the kb uses
    everything += [*map(Not, made), AllOf(tuple(made)), AnyOf(tuple(made[:2])), Not(AllOf(tuple(made[2:4])))]
    everything += [x.location for x in everything if hasattr(x, "location")]
    everything += [Location("<memory>"), Location("a.yaml", 1), Location("a.yaml", 1, 2), Location("b.yaml", None, 3)]
    everything += [evaluate(rule.when, {"order_status": "shipped", "days_left": 3}) for rule in kb.rules]
    return [x for x in everything if type(x) is cls][:60]


def _parts(condition: object) -> list[object]:
    inner = getattr(condition, "conditions", None) or ([condition.condition] if isinstance(condition, Not) else [])
    return [condition, *[p for c in inner for p in _parts(c)]]


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_a_record_is_the_frozen_dataclass_it_replaces(cls):
    reference = _reference(cls)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert cls.__match_args__ == reference.__match_args__
    assert _parameters(cls) == _parameters(reference)
    found = _instances(cls)
    assert found, cls
    twins = [reference(**{f.name: getattr(x, f.name) for f in dataclasses.fields(cls)}) for x in found]
    for record, twin in zip(found, twins, strict=True):
        if cls is not KnowledgeBase:  # its repr shows every fact: compared once, below
            assert repr(record) == repr(twin)
        assert _outcome(hash, record) == _outcome(hash, twin)
        assert dataclasses.replace(record) == record
        assert _outcome(dataclasses.astuple, record) == _outcome(dataclasses.astuple, twin)
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.location = None  # type: ignore[misc,union-attr]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del record.__dict__  # type: ignore[attr-defined]
    for (a, ta), (b, tb) in itertools.product(zip(found, twins, strict=True), repeat=2):
        assert (a == b) == (ta == tb) and (a != b) == (ta != tb)
        if cls is Location:
            assert (a < b, a <= b, a > b, a >= b) == (ta < tb, ta <= tb, ta > tb, ta >= tb)
    assert found[0].__eq__(twins[0]) is NotImplemented


def test_the_knowledge_base_repr_is_the_dataclass_one():
    kb = load_knowledge_base()
    twin = _reference(KnowledgeBase)(**{f.name: getattr(kb, f.name) for f in dataclasses.fields(kb)})
    assert repr(kb) == repr(twin)


def test_operators_stay_frozen_and_compared_by_identity():
    for operator in OPERATORS.values():
        assert isinstance(operator, Operator) and operator == operator and hash(operator) == id(operator) >> 4
        with pytest.raises(dataclasses.FrozenInstanceError):
            operator.name = "x"  # type: ignore[misc]
    assert _parameters(Operator) == _parameters(_reference(Operator))


def test_a_record_without_its_own_init_is_refused():
    with pytest.raises(TypeError):

        @frozen()
        class Missing:
            x: int

    @frozen(order=True)
    class Pair:
        a: int
        b: int = 0

        def __init__(self, a: int, b: int = 0) -> None:
            self.__dict__.update(a=a, b=b)

    assert Pair(1) < Pair(1, 2) and repr(Pair(1)) == "test_a_record_without_its_own_init_is_refused.<locals>.Pair(a=1, b=0)"
    assert {Pair(1), Pair(1, 0)} == {Pair(1)}
