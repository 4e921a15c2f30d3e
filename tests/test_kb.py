"""The shipped knowledge base: every scenario case passes, nothing is left unused, answers never contradict."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from orderdoctor.engine import (
    FactType,
    check_case,
    consult,
    load_cases,
    load_knowledge_base,
)
from orderdoctor.engine.model import comparisons_in
from strategies import kb_fact_sets

SHIPPED_KB = load_knowledge_base()
CASES = load_cases(SHIPPED_KB)

#: Facts and values the issue fixes as the public vocabulary.
VOCABULARY = {
    "order_status": {"awaiting_payment", "payment_verifying", "awaiting_shipment", "shipped", "closed", "delivered",
                     "frozen"},
    "tracking_note": {"none", "in_transit", "shipment_cancelled", "sorting_center_exception", "customs_problem",
                      "returned_to_sender", "delivered"},
    "closure_reason": {"security_check", "processing_time_expired", "seller_cancelled", "unpaid",
                       "payment_verification", "seller_frozen", "buyer_cancelled", "no_reason_given",
                       "payment_failed", "import_restrictions"},
    "coupon_used": {"none", "welcome", "platform", "seller", "promo_code"},
    "days_left": None,
    "seller_response": {"not_contacted", "no_reply", "new_tracking_in_order", "new_tracking_in_chat",
                        "says_on_the_way", "asks_buyer_to_cancel", "asks_extra_payment", "tells_to_open_dispute",
                        "refuses_refund", "offers_bonus_to_close_dispute", "will_resend"},
    "dispute_status": {"none", "open", "seller_rejected", "escalated", "closed_by_buyer"},
    "refund_status": {"not_started", "in_progress", "received", "completed_not_received"},
    "working_days_since_cancel": None,
    "buyer_goal": {"get_item", "cancel_order", "undecided"},
    "address_wrong": None,
    "seller_suspicious": None,
    "item_is_replica": None,
    "support_confirms_refund_sent": None,
}
ACTIONS = """contact_seller wait_for_seller_reply open_dispute keep_dispute_open wait_for_auto_refund track_refund
reorder_without_coupon verify_payment_identity pay_or_let_lapse extend_processing_time decline_cancellation_request
accept_cancellation_other_reasons request_cancellation cancel_order_now ask_seller_to_cancel_shipped
ask_seller_update_tracking keep_tracking reorder contact_support contact_bank file_complaint contact_courier
ask_seller_fix_address""".split()
WARNINGS = """extra_payment_scam dispute_bonus_trap deadline_near dispute_window_closed suspicious_seller
coupon_may_be_lost replica_customs_risk""".split()

#: Advice that must never be shown together (declared in advice.yaml as incompatible_with).
INCOMPATIBLE = [(item.id, other) for item in SHIPPED_KB.advice.values() for other in item.incompatible_with]
_FORMERLY_LISTED_HERE = [
    ("wait_for_seller_reply", "open_dispute"),
    ("wait_for_seller_reply", "deadline_near"),
    ("wait_for_auto_refund", "open_dispute"),
    ("wait_for_auto_refund", "contact_support"),
    ("wait_for_auto_refund", "contact_bank"),
    ("wait_for_auto_refund", "refund_complete"),
    ("open_dispute", "keep_dispute_open"),
    ("open_dispute", "dispute_window_closed"),
    ("open_dispute", "keep_tracking"),
    ("deadline_near", "dispute_window_closed"),
    ("decline_cancellation_request", "accept_cancellation_other_reasons"),
    ("decline_cancellation_request", "request_cancellation"),
    ("extend_processing_time", "request_cancellation"),
    ("extend_processing_time", "seller_still_has_time"),
    ("contact_support", "contact_bank"),
    ("contact_support", "refund_complete"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_scenario_case(case):
    outcome = check_case(case, consult(SHIPPED_KB, case.facts))
    if not outcome.passed:
        trace = "\n".join(
            f"  {s.step}. {s.rule.id} matched {dict((m.name, m.value) for m in s.matched)} "
            f"derived {dict(s.derived)} advised {list(s.advised)}"
            for s in outcome.result.trace
        )
        pytest.fail(
            f"{case.id} ({case.location}): {case.story}\n"
            f"problems: {'; '.join(outcome.problems)}\n"
            f"advice: {list(outcome.result.advice_ids)}\ntrace:\n{trace}"
        )


def test_enough_cases_and_every_rule_fired_by_one():
    assert len(CASES) >= 60
    fired = set()
    for case in CASES:
        fired.update(consult(SHIPPED_KB, case.facts).fired_rules)
    assert [rule.id for rule in SHIPPED_KB.rules if rule.id not in fired] == []


def test_public_vocabulary_is_declared():
    for name, values in VOCABULARY.items():
        fact = SHIPPED_KB.facts[name]
        assert fact.askable and not fact.derived
        if values is not None:  # values may be added (issue 13), never renamed or removed
            assert values <= set(fact.values), name
    for advice_id in ACTIONS:
        assert SHIPPED_KB.advice[advice_id].kind.value == "action", advice_id
    for advice_id in WARNINGS:
        assert SHIPPED_KB.advice[advice_id].kind.value == "warning", advice_id


def test_every_fact_value_and_advice_is_used_by_a_rule():
    used: dict[str, set] = {}
    for rule in SHIPPED_KB.rules:
        for comparison in comparisons_in(rule.when):
            values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
            used.setdefault(comparison.fact, set()).update(values)
    for fact in SHIPPED_KB.facts.values():
        assert fact.name in used, f"no rule reads fact {fact.name}"
        if fact.type is FactType.CHOICE:
            assert set(fact.values) <= used[fact.name], f"{fact.name}: {set(fact.values) - used[fact.name]}"
    given = {advice_id for rule in SHIPPED_KB.rules for advice_id in rule.advise}
    assert set(SHIPPED_KB.advice) - given == {"nothing_applies"}


def test_every_rule_and_advice_cites_a_listed_source():
    five = {"megabonus-shipment-cancelled", "cancel-shipment-guide", "freightcourse-cancelled-by-seller",
            "order-closed-vs-shipment-cancelled", "onecommerce-cancel-orders"}
    assert five <= set(SHIPPED_KB.sources), "the five articles remain the backbone"
    for rule in SHIPPED_KB.rules:
        assert rule.source in SHIPPED_KB.sources
    for item in SHIPPED_KB.advice.values():
        assert item.source in SHIPPED_KB.sources


def test_incompatible_pairs_are_declared_in_the_knowledge_base():
    declared = {tuple(sorted(p)) for p in INCOMPATIBLE}
    assert {tuple(sorted(p)) for p in _FORMERLY_LISTED_HERE} <= declared


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kb_fact_sets(SHIPPED_KB))
def test_answers_never_contradict_themselves(facts):
    result = consult(SHIPPED_KB, facts)
    advice = set(result.advice_ids)
    assert advice, "advice is never empty"
    assert result.violations == (), [v.message for v in result.violations]
    for one, other in INCOMPATIBLE:
        assert not (one in advice and other in advice), (one, other, facts)
    if facts.get("order_status") in ("shipped", "delivered"):
        assert "wait_for_auto_refund" not in advice, "automatic refund promised for a shipped parcel"
    firsts = [a.kind.rank for a in result.advice]
    assert firsts == sorted(firsts), "warnings, then actions, then information"


def test_docs_knowledge_lists_every_rule():
    """knowledge.md's counts and rule tables are generated regions (``orderdoctor kb docs``),
    current, and list every rule with its numbers as the kb has them."""
    from pathlib import Path

    from orderdoctor.cli.generated import DocData, fill_regions, find_regions

    path = Path(__file__).resolve().parent.parent / "docs" / "knowledge.md"
    text = path.read_text()
    assert {"kb-size", "kb-sources", "rules-by-topic"} <= {r.name for r in find_regions(text, str(path))}
    _, stale = fill_regions(text, str(path), DocData(SHIPPED_KB, CASES))
    assert [region.name for region in stale] == [], "run 'orderdoctor kb docs'"
    missing = [rule.id for rule in SHIPPED_KB.rules if f"`{rule.id}`" not in text]
    assert missing == []
    assert f"{len(SHIPPED_KB.rules)} rules, {len(SHIPPED_KB.advice)} pieces of advice" in text
    assert f"{len(CASES)} scenario cases" in text


def test_every_advice_item_has_a_contract():
    """Issue 13: every item of the catalogue states when it makes sense (``requires``)."""
    from orderdoctor.engine import load_knowledge_base as load

    kb = load()
    missing = [item.id for item in kb.advice.values() if item.requires is None and item.id != "nothing_applies"]
    assert missing == []
