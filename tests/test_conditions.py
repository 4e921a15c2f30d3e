"""Three-valued condition evaluation, and its agreement with what durable-rules fires."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from orderdoctor.engine import InferenceEngine
from orderdoctor.engine.conditions import Truth, evaluate
from orderdoctor.engine.model import AllOf, AnyOf, Comparison, Not, Operator
from strategies import BASE_FACTS, conditions, fact_sets, knowledge_bases

SHIPPED = Comparison("colour", Operator.EQ, "red")
SMALL = Comparison("size", Operator.EQ, "small")
FEW = Comparison("count", Operator.LT, 2)


def test_comparison_outcomes():
    assert evaluate(SHIPPED, {"colour": "red"}).truth is Truth.HOLDS
    assert evaluate(SHIPPED, {"colour": "blue"}).truth is Truth.FAILS
    assert evaluate(SHIPPED, {}).truth is Truth.UNDECIDED
    assert evaluate(Comparison("count", Operator.IN, (1, 2)), {"count": 2}).holds
    assert evaluate(Comparison("count", Operator.GTE, 2), {"count": 2}).holds
    assert not evaluate(Comparison("count", Operator.GT, 2), {"count": 2}).holds


def test_kleene_connectives():
    assert evaluate(AllOf((SHIPPED, SMALL)), {"colour": "blue"}).truth is Truth.FAILS
    assert evaluate(AllOf((SHIPPED, SMALL)), {"colour": "red"}).truth is Truth.UNDECIDED
    assert evaluate(AnyOf((SHIPPED, SMALL)), {"colour": "red"}).truth is Truth.HOLDS
    assert evaluate(AnyOf((SHIPPED, SMALL)), {"colour": "blue"}).truth is Truth.UNDECIDED
    assert evaluate(Not(SHIPPED), {}).truth is Truth.UNDECIDED
    assert evaluate(Not(SHIPPED), {"colour": "blue"}).truth is Truth.HOLDS


def test_evaluation_keeps_parts_and_values():
    result = evaluate(AllOf((SHIPPED, FEW, SMALL)), {"colour": "red", "count": 4})
    assert [e.truth for e in result.parts] == [Truth.HOLDS, Truth.FAILS, Truth.UNDECIDED]
    failure = result.first_failure()
    assert failure.condition == FEW and failure.seen == 4
    assert result.unknown_facts() == ("size",)


@given(conditions(BASE_FACTS), fact_sets(), fact_sets())
def test_more_facts_never_undo_a_decided_outcome(condition, facts, more):
    """Monotonic: learning facts can decide an undecided condition, never flip a decided one."""
    before = evaluate(condition, facts).truth
    after = evaluate(condition, {**more, **facts}).truth
    if before is not Truth.UNDECIDED:
        assert after is before


@given(conditions(BASE_FACTS), fact_sets())
def test_not_is_an_involution(condition, facts):
    assert evaluate(Not(Not(condition)), facts).truth is evaluate(condition, facts).truth


@settings(max_examples=60, deadline=None)
@given(knowledge_bases(), st.lists(fact_sets(), min_size=1, max_size=6))
def test_durable_fires_exactly_the_rules_whose_conditions_hold(kb, fact_list):
    """Differential test: the pure-Python evaluator and durable-rules agree on every rule."""
    with InferenceEngine(kb) as engine:
        for facts in fact_list:
            result = engine.consult(facts)
            holding = {rule.id for rule in kb.rules if evaluate(rule.when, result.facts).holds}
            assert set(result.fired_rules) == holding
            assert len(result.fired_rules) == len(set(result.fired_rules))  # no rule fires twice
            for step in result.trace:  # each step's matched values are the facts of the run
                for matched in step.matched:
                    assert result.facts[matched.name] == matched.value
