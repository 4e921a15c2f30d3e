"""Explanations: how, why-not and what-if as data, agreeing with what durable-rules fired."""

from __future__ import annotations

import pytest
from orderdoctor.engine import consult, load_cases, load_knowledge_base
from orderdoctor.engine.explanation import (
    check_rule,
    describe_comparison,
    explain_how,
    explain_what_if,
    explain_why_not,
)

KB = load_knowledge_base()
CASES = load_cases(KB)
EXAMPLE = {"order_status": "shipped", "tracking_note": "shipment_cancelled", "seller_response": "no_reply",
           "days_left": -12}  # protection ended 12 days ago: 3 days left to open a dispute


def test_how_goes_back_to_the_given_facts():
    result = consult(KB, EXAMPLE)
    how = explain_how(result)
    assert [s.entry.id for s in how if s.replaced_by is None] == ["deadline_near", "open_dispute"]
    assert [s.entry.id for s in how if s.replaced_by] == ["contact_seller", "read_the_tracking"]
    dispute = how[1].because
    assert dispute.rule.id == "open_dispute_when_needed"
    [needed] = dispute.facts
    assert needed.name == "dispute_needed" and not needed.given
    assert needed.via.rule.id == "seller_did_not_help"
    leaves = []

    def walk(support):
        for fact in support.facts:
            if fact.given:
                leaves.append((fact.name, fact.value))
            else:
                walk(fact.via)

    walk(dispute)
    assert sorted(leaves) == [("order_status", "shipped"), ("seller_response", "no_reply"),
                              ("tracking_note", "shipment_cancelled")]


def test_how_lists_replaced_advice_last():
    result = consult(KB, {**EXAMPLE, "days_left": 30, "seller_response": "not_contacted", "seller_suspicious": True})
    how = explain_how(result)
    replaced = [(s.entry.id, s.replaced_by) for s in how if s.replaced_by]
    assert ("contact_seller", "open_dispute") in replaced
    assert how[-1].replaced_by is not None


def test_why_not_names_the_first_failed_condition_and_the_value_seen():
    why = explain_why_not(KB, consult(KB, EXAMPLE), "keep_dispute_open")
    assert not why.shown and why.replaced_by is None
    check = next(c for c in why.checks if c.rule.id == "dispute_under_way")
    assert describe_comparison(check.held[0]) == "order_status in [shipped, delivered] (seen: shipped)"
    assert check.undecided == ("dispute_status",)
    assert check.failed is None
    assert check.questions == ("dispute_status",)


def test_why_not_for_given_and_replaced_advice():
    result = consult(KB, EXAMPLE)
    assert explain_why_not(KB, result, "open_dispute").shown_by.rule.id == "open_dispute_when_needed"
    suspicious = consult(KB, {**EXAMPLE, "days_left": 30, "seller_response": "not_contacted", "seller_suspicious": True})
    assert explain_why_not(KB, suspicious, "contact_seller").replaced_by == "open_dispute"
    with pytest.raises(KeyError):
        explain_why_not(KB, result, "no_such_advice")


def test_why_not_traces_unknown_derived_facts_to_questions():
    result = consult(KB, {"order_status": "shipped"})
    why = explain_why_not(KB, result, "open_dispute")
    [check] = why.checks
    assert check.undecided == ("dispute_needed",)
    assert {"tracking_note", "seller_response", "days_left"} <= set(check.questions)
    assert "seller_did_not_help" in why.through


def test_not_is_reported_with_its_effect():
    from orderdoctor.engine.location import Location
    from orderdoctor.engine.model import Comparison, Not, Operator, Rule

    rule = Rule("r", "Not suspicious.", Not(Comparison("seller_suspicious", Operator.EQ, True)), (), ("reorder",),
                "x", Location("x"))
    check = check_rule(KB, rule, consult(KB, {"seller_suspicious": True}))
    assert check.failed is not None and check.failed.seen is True and not check.holds
    check = check_rule(KB, rule, consult(KB, {"seller_suspicious": False}))
    assert check.holds and check.failed is None and len(check.held) == 1


def test_what_if_reports_the_difference():
    what = explain_what_if(KB, EXAMPLE, {"days_left": "-20"})
    assert what.changes == {"days_left": -20}
    assert what.added == ("dispute_window_closed", "contact_support")
    assert what.removed == ("deadline_near", "open_dispute")
    assert "protection_ended_long_ago" in what.newly_fired
    assert "protection_ended_recently" in what.stopped_firing
    same = explain_what_if(KB, EXAMPLE, {"days_left": -11})
    assert not same.changed and same.newly_fired == () and same.stopped_firing == ()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_all_conditions_held_exactly_for_the_fired_rules(case):
    """The engine's own condition evaluator agrees with what durable-rules fired, rule by rule."""
    result = consult(KB, case.facts)
    for rule in KB.rules:
        assert check_rule(KB, rule, result).holds == (rule.id in result.fired_rules), rule.id
