"""The firing order is the documented one at every size (docs/kb-format.md, "Order"): of the rules
ready at once, the one first by priority, then position fires — however many shards the backend
splits a knowledge base into (more than 64 rules). The backend's trace, facts and advice order must
equal those of a forward chainer written directly from that sentence with the engine's own
condition evaluator (:func:`orderdoctor.engine.evaluate`)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from orderdoctor.engine import InferenceEngine, evaluate
from orderdoctor.engine.backend import SHARD_SIZE
from orderdoctor.engine.consultation import Consultation, ConsultationResult
from orderdoctor.engine.errors import OrderdoctorError
from orderdoctor.engine.facts import validate_facts
from orderdoctor.engine.location import Location
from orderdoctor.engine.model import AllOf, Comparison, KnowledgeBase, Not, Operator, Rule
from strategies import chained_kb, extended_kb, kb_fact_sets, sized_kb

#: The review's example (F3): with the shipped kb plus one rule, `reorder_after_seller_side_closure`
#: (priority -10) fired before `overdue_refund_ask_support` (priority 40), both ready after step 3.
F3_FACTS = {
    "order_status": "closed", "tracking_note": "shipment_cancelled", "closure_reason": "seller_cancelled",
    "seller_response": "refuses_refund", "refund_status": "not_started", "working_days_since_cancel": 21,
    "buyer_goal": "get_item", "address_wrong": False,
}


def reference(kb: KnowledgeBase, facts: dict) -> ConsultationResult:
    """Forward chaining as documented: while some rule that has not fired holds, fire the first
    one in ``kb.rules`` (priority, then position). A condition reads only its own facts and facts
    are only ever added, so only rules reading a fact added by the last firing are evaluated again."""
    consultation = Consultation(kb, validate_facts(kb, facts))
    holds = {rule.id: evaluate(rule.when, consultation.facts).holds for rule in kb.rules}
    fired: set[str] = set()
    while True:
        rule = next((r for r in kb.rules if holds[r.id] and r.id not in fired), None)
        if rule is None:
            return consultation.result()
        fired.add(rule.id)
        added = consultation.fire(rule, consultation.facts)
        for other in kb.rules:
            if not holds[other.id] and not added.keys().isdisjoint(other.reads):
                holds[other.id] = evaluate(other.when, consultation.facts).holds


def _outcome(consult, kb: KnowledgeBase, facts: dict) -> object:
    try:
        return json.dumps(consult(kb, facts).to_json(), sort_keys=True)
    except OrderdoctorError as exc:  # e.g. conflicting derivations: the same error, the same rules named
        return f"{type(exc).__name__}: {exc}"


def assert_agrees(kb: KnowledgeBase, engine: InferenceEngine, facts: dict) -> None:
    """Same fired rules in the same order, same facts, same advice in the same order (the whole
    JSON answer, trace included), or the same error."""
    got = _outcome(lambda _kb, f: engine.consult(f), kb, facts)
    want = _outcome(reference, kb, facts)
    assert got == want, facts


def with_rule(kb: KnowledgeBase, rule: Rule) -> KnowledgeBase:
    return KnowledgeBase.assemble(kb.root, kb.facts, kb.advice, [*kb.rules, rule], kb.sources)


def never_firing_rule(kb: KnowledgeBase) -> Rule:
    """The review's 65th rule (kb65_sharded/): item_is_replica both true and not true."""
    replica = Comparison("item_is_replica", Operator.EQ, True)
    order = max(rule.position for rule in kb.rules) + 1
    return Rule("never_fires_extra_rule", "Never fires.", AllOf((replica, Not(replica))), (), ("contact_support",),
                kb.rules[0].source, Location("<test>"), 0, order)


# --------------------------------------------------------------- regression
def test_one_more_rule_than_a_shard_keeps_the_documented_order(shipped_kb):
    """F3: the shipped kb cut to 64 rules (one shard; the rules this case fires are kept) plus a rule
    that never fires (two shards) gives the same trace and advice, in priority order."""
    with InferenceEngine(shipped_kb) as engine:
        fired = frozenset(engine.consult(F3_FACTS).fired_rules)
    one_shard = sized_kb(shipped_kb, SHARD_SIZE, keep=fired)
    bigger = with_rule(one_shard, never_firing_rule(one_shard))
    with InferenceEngine(one_shard) as single, InferenceEngine(bigger) as sharded:
        assert len(sharded._compiled.shards) == 2
        want = single.consult(F3_FACTS)
        got = sharded.consult(F3_FACTS)
    fired = got.fired_rules
    assert fired.index("overdue_refund_ask_support") < fired.index("reorder_after_seller_side_closure")
    assert fired == want.fired_rules
    assert got.advice_ids == want.advice_ids
    assert got.to_json() == want.to_json()
    assert_agrees(bigger, InferenceEngine(bigger), F3_FACTS)


def test_every_shipped_case_keeps_its_answer_with_one_more_rule(shipped_kb):
    from orderdoctor.engine import load_cases

    bigger = with_rule(shipped_kb, never_firing_rule(shipped_kb))
    with InferenceEngine(shipped_kb) as single, InferenceEngine(bigger) as sharded:
        for case in load_cases(shipped_kb):
            assert sharded.consult(case.facts).to_json() == single.consult(case.facts).to_json(), case.id


# ---------------------------------------------------------- property tests
_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def _check_many(kb: KnowledgeBase, fact_sets: list[dict]) -> None:
    with InferenceEngine(kb) as engine:
        assert len(engine._compiled.shards) > 1
        for facts in fact_sets:
            assert_agrees(kb, engine, facts)


def _full_facts(kb: KnowledgeBase, seed: int) -> dict:
    """Every askable fact given (long chains of derived facts)."""
    import random

    rng = random.Random(seed)
    facts = {}
    for fact in kb.facts.values():
        if not fact.derived:
            facts[fact.name] = rng.choice(fact.values) if fact.values else rng.randint(-40, 40)
    return facts


@settings(max_examples=15, **_SETTINGS)
@given(size=st.integers(SHARD_SIZE + 1, 300), seed=st.integers(0, 10**6), data=st.data())
def test_order_agrees_with_the_evaluator_on_generated_kbs(size, seed, data):
    kb = chained_kb(size, seed)
    fact_sets = data.draw(st.lists(kb_fact_sets(kb, around=50), min_size=2, max_size=3))
    _check_many(kb, [*fact_sets, _full_facts(kb, seed), _full_facts(kb, seed + 1)])


@settings(max_examples=3, **_SETTINGS)
@given(size=st.integers(300, 2_000), seed=st.integers(0, 10**6), data=st.data())
def test_order_agrees_with_the_evaluator_on_large_generated_kbs(size, seed, data):
    kb = chained_kb(size, seed)
    fact_sets = data.draw(st.lists(kb_fact_sets(kb, around=50), min_size=1, max_size=2))
    _check_many(kb, [*fact_sets, _full_facts(kb, seed)])


@settings(max_examples=10, **_SETTINGS)
@given(size=st.sampled_from([SHARD_SIZE + 1, 100, 200]), seed=st.integers(0, 10**6), data=st.data())
def test_order_agrees_with_the_evaluator_on_the_shipped_kb_grown(shipped_kb, size, seed, data):
    kb = extended_kb(shipped_kb, size, seed)
    _check_many(kb, data.draw(st.lists(kb_fact_sets(kb), min_size=3, max_size=5)))


@pytest.mark.parametrize("size", [SHARD_SIZE, SHARD_SIZE + 1, 2 * SHARD_SIZE + 1, 1_000])
def test_order_agrees_with_the_evaluator_at_fixed_sizes(size):
    """Deterministic: a few kbs around the shard boundaries, every askable fact given."""
    kb = chained_kb(size, seed=size)
    with InferenceEngine(kb) as engine:
        for seed in range(4):
            assert_agrees(kb, engine, _full_facts(kb, seed))
