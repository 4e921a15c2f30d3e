"""Every registered operator agrees with itself across the engine's passes.

One parametrised test per operator walks small domains and checks that its test, its durable
compilation (run through durable-rules on a tiny knowledge base), its possibility on a domain,
its restriction of a domain, its negation and what the backend may assume of it (requirements,
required values) all say the same thing. A new operator in ``engine/operators/`` is checked here
without a line of this file changing.
"""

from __future__ import annotations

import math
import pickle

import pytest
from helpers import kb_with_rules
from orderdoctor.engine import InferenceEngine, evaluate, load_knowledge_base
from orderdoctor.engine.domains import CLOSED, Integers, Interval, Known, OneOf
from orderdoctor.engine.errors import KnowledgeBaseErrors
from orderdoctor.engine.model import Comparison, FactType, KnowledgeBase, Not, Operator, Rule
from orderdoctor.engine.operators import OPERATORS, Shape
from strategies import ADVICE, BASE_FACTS, HERE

#: Each fact type's fact in the strategies' fact space, and the values it is tried with.
FACTS = {FactType.CHOICE: "colour", FactType.BOOLEAN: "flag", FactType.INTEGER: "count"}
VALUES = {FactType.CHOICE: ("red", "green", "blue"), FactType.BOOLEAN: (True, False), FactType.INTEGER: range(-5, 6)}  # count: -5..5
#: A window of whole numbers wide enough that every test below is constant outside it.
WINDOW = range(-20, 21)


def expected_values(operator: Operator, fact_type: FactType) -> list:
    """Small values to compare with, in the operator's shape."""
    values = list(VALUES[fact_type]) if fact_type is not FactType.INTEGER else [-3, 0, 2]
    match operator.shape:
        case Shape.SCALAR:
            return values
        case Shape.LIST:
            return [tuple(values[:2]), tuple(values[1:3]) if len(values) > 2 else tuple(values), tuple(values)]
        case Shape.PAIR:
            return [(-3, -3), (-2, 1), (0, 4), (5, 9)]
    raise AssertionError(operator.shape)


def cases():
    for operator in OPERATORS.values():
        for fact_type in sorted(operator.fact_types, key=lambda t: t.value):
            yield pytest.param(operator, fact_type, id=f"{operator.name}-{fact_type.value}")


@pytest.mark.parametrize("operator, fact_type", list(cases()))
def test_operator_passes_agree(operator: Operator, fact_type: FactType):
    values = list(VALUES[fact_type])
    for expected in expected_values(operator, fact_type):
        passing = {v for v in values if operator.test(v, expected)}
        # its fast test, its negation, and what the backend may assume when it holds or fails
        for value in values:
            holds = value in passing
            assert operator.passes(expected)(value) == holds
            if operator.negation is not None:
                assert operator.negation.test(value, expected) == (not holds)
            for want in (True, False):
                requirement = operator.requirement(expected, want)
                if holds == want and requirement is not None:
                    assert requirement(value), (expected, value, want)
            required = operator.required_values(expected)
            if holds and required is not None:
                assert value in required
        # possibility on a known value, on a set of values, on a closed fact
        for want in (True, False):
            for value in values:
                assert operator.possible(Known(value), expected, want) == ((value in passing) == want)
            for size in (1, 2, 3):
                subset = frozenset(values[:size])
                assert operator.possible(OneOf(subset), expected, want) == any(
                    (v in passing) == want for v in subset
                )
                assert operator.restrict(subset, expected, want) == {v for v in subset if (v in passing) == want}
            assert not operator.possible(CLOSED, expected, want)
        if fact_type is FactType.INTEGER:
            _check_integers(operator, expected)


def _check_integers(operator: Operator, expected) -> None:
    """The whole numbers it passes, its possibility on an interval and its restriction of one."""
    passing = {v for v in WINDOW if operator.test(v, expected)}
    assert {v for v in WINDOW if v in operator.integers(expected)} == passing
    intervals = [(-math.inf, math.inf), (-math.inf, -1), (2, math.inf)]
    intervals += [(low, high) for low in range(-5, 6) for high in range(low, min(low + 4, 6))]
    for low, high in intervals:
        inside = [v for v in WINDOW if low <= v <= high]
        for want in (True, False):
            wanted = {v for v in inside if (v in passing) == want}
            assert operator.possible(Interval(low, high), expected, want) == bool(wanted), (low, high, want)
            left = operator.restrict(Integers.span(low, high), expected, want)
            assert {v for v in WINDOW if v in left} == wanted, (low, high, want)


def _tiny_kb(operator: Operator, fact: str, expected: list) -> KnowledgeBase:
    """One rule testing ``fact OP e`` and one testing ``not (fact OP e)`` for each ``e``."""
    rules = []
    for number, value in enumerate(expected):
        comparison = Comparison(fact, operator, value)
        for kind, when in (("holds", comparison), ("fails", Not(comparison))):
            rules.append(Rule(f"{kind}_{number}", "A rule.", when, (), ("act_a",), "test", HERE, 0, len(rules)))
    return KnowledgeBase.assemble(HERE.file, BASE_FACTS, ADVICE, rules)


@pytest.mark.parametrize("operator, fact_type", list(cases()))
def test_durable_compilation_agrees_with_the_test(operator: Operator, fact_type: FactType):
    fact = FACTS[fact_type]
    kb = _tiny_kb(operator, fact, expected_values(operator, fact_type))
    with InferenceEngine(kb) as engine:
        for given in [{}, *({fact: value} for value in VALUES[fact_type])]:
            result = engine.consult(given)
            holding = {rule.id for rule in kb.rules if evaluate(rule.when, given).holds}
            assert set(result.fired_rules) == holding, given


@pytest.mark.parametrize("operator", list(OPERATORS.values()), ids=list(OPERATORS))
def test_registry_keeps_one_object_per_operator(operator: Operator):
    assert getattr(Operator, operator.name.upper()) is operator
    assert pickle.loads(pickle.dumps(operator)) is operator
    sample = 1 if operator.shape is Shape.SCALAR else (1, 2)
    assert operator.show("x", sample).startswith(f"x {operator.symbol} ")
    assert operator.describe("x", sample, str).startswith(f"x {operator.words} ")


RULE = """- id: r
  description: A rule.
  when: {when}
  then: {{advise: [reorder]}}
  source: test-article
"""


@pytest.mark.parametrize(
    "when, expected",
    [
        ("{order_status: {not_in: [shipped, closed]}}", Comparison("order_status", Operator.NOT_IN, ("shipped", "closed"))),
        ("{order_status: {not_in: [shipped]}}", Comparison("order_status", Operator.NE, "shipped")),
        ("{days_left: {between: [0, 7]}}", Comparison("days_left", Operator.BETWEEN, (0, 7))),
        ("{days_left: {between: [-500, 500]}}", Comparison("days_left", Operator.BETWEEN, (-500, 500))),
    ],
)
def test_new_operators_load(tmp_path, when, expected):
    kb = load_knowledge_base(kb_with_rules(tmp_path, RULE.format(when=when)))
    assert kb.rule("r").when == expected


@pytest.mark.parametrize(
    "when, text",
    [
        ("{days_left: {between: [7, 0]}}", "'between' takes [low, high] with low ≤ high, not [7, 0]"),
        ("{days_left: {between: [1, 2, 3]}}", "'between' takes two numbers: [low, high]"),
        ("{days_left: {between: 3}}", "'between' takes two numbers: [low, high]"),
        ("{order_status: {between: [1, 2]}}", "'between' compares numbers, but fact 'order_status' is a choice fact"),
        ("{order_status: {not_in: []}}", "'not_in' takes a non-empty list of values"),
        ("{order_status: {not_in: [shipped, lost]}}", "lost"),
    ],
)
def test_new_operators_refuse_bad_values(tmp_path, when, text):
    with pytest.raises(KnowledgeBaseErrors) as caught:
        load_knowledge_base(kb_with_rules(tmp_path, RULE.format(when=when)))
    assert any(text in error.message for error in caught.value.errors), [e.format() for e in caught.value.errors]
