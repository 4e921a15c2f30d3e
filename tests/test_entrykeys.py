"""Entry keys and requirements (engine/entrykeys.py): necessary conditions only — a shard is
matched whenever one of its rules might fire, so answers never depend on them."""

from __future__ import annotations

from orderdoctor.engine import InferenceEngine
from orderdoctor.engine.entrykeys import entry_key, requirements
from orderdoctor.engine.location import Location
from orderdoctor.engine.model import AllOf, AnyOf, Comparison, KnowledgeBase, Operator, Rule
from test_shard_order import assert_agrees, with_rule

from strategies import sized_kb

SHIPPED = Comparison("order_status", Operator.IN, ("shipped", "delivered"))
CLOSED = Comparison("order_status", Operator.EQ, "closed")
RETURNED = Comparison("tracking_note", Operator.EQ, "returned_to_sender")
COUPON = Comparison("coupon_used", Operator.EQ, "welcome")


def _rule(kb: KnowledgeBase, when, priority: int = 90) -> Rule:
    order = max(rule.position for rule in kb.rules) + 1
    return Rule("any_at_the_top", "An any at the top.", when, (), (kb.rules[0].advise[0],),
                kb.rules[0].source, Location("<test>"), priority, order)


def test_an_any_whose_branches_all_compare_a_fact_is_keyed_by_it(shipped_kb):
    rule = _rule(shipped_kb, AnyOf((AllOf((SHIPPED, RETURNED)), AllOf((CLOSED, COUPON)))))
    assert requirements(rule) == ()
    assert entry_key(shipped_kb, rule) == ("order_status", frozenset({"shipped", "delivered", "closed"}))


def test_an_any_with_a_branch_that_does_not_compare_the_fact_has_no_key(shipped_kb):
    rule = _rule(shipped_kb, AnyOf((AllOf((SHIPPED, RETURNED)), COUPON)))
    assert entry_key(shipped_kb, rule) is None


def test_a_comparison_at_the_top_is_preferred(shipped_kb):
    rule = _rule(shipped_kb, AllOf((RETURNED, AnyOf((SHIPPED, CLOSED)))))
    assert entry_key(shipped_kb, rule)[0] == "tracking_note"


def test_a_sharded_kb_with_a_keyed_any_rule_answers_like_the_evaluator(shipped_kb):
    """The rule fires through either branch, in its place, whatever shard it lands in."""
    kb = sized_kb(shipped_kb, 80, seed=4)
    kb = with_rule(kb, _rule(kb, AnyOf((AllOf((SHIPPED, RETURNED)), AllOf((CLOSED, COUPON))))))
    with InferenceEngine(kb) as engine:
        assert len(engine._compiled.shards) > 1
        for facts in (
            {"order_status": "closed", "coupon_used": "welcome"},
            {"order_status": "delivered", "tracking_note": "returned_to_sender"},
            {"order_status": "shipped", "tracking_note": "in_transit"},
            {"order_status": "closed"},
            {},
        ):
            assert_agrees(kb, engine, facts)
        assert "any_at_the_top" in engine.consult({"order_status": "closed", "coupon_used": "welcome"}).fired_rules
