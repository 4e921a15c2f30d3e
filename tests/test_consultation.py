"""Consultations: chaining, advice order, isolation, the JSON contract."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys

import pytest
from helpers import MINIMAL_KB, kb_with_rules
from orderdoctor.engine import NOTHING_APPLIES, consult, load_knowledge_base
from orderdoctor.engine.errors import ConflictingDerivationError, FactInputErrors
from strategies import kb_fact_sets

URGENT = {"order_status": "shipped", "days_left": 3, "seller_suspicious": True}
EXAMPLE = {"order_status": "shipped", "tracking_note": "shipment_cancelled",
           "seller_response": "no_reply", "days_left": 3}


def test_forward_chaining_two_levels_deep(minimal_kb):
    result = consult(minimal_kb, URGENT)
    assert result.fired_rules == ("shipped_with_problem", "problem_and_short_time", "urgent_dispute")
    assert result.facts["problem"] is True and result.facts["urgency"] == "high"
    assert result.derived_by == {"problem": "shipped_with_problem", "urgency": "problem_and_short_time"}
    step2, step3 = result.trace[1], result.trace[2]
    problem = next(m for m in step2.matched if m.name == "problem")
    assert (problem.derived_by, problem.derived_step) == ("shipped_with_problem", 1)
    days = next(m for m in step2.matched if m.name == "days_left")
    assert days.given and days.value == 3
    assert step3.matched[0].derived_by == "problem_and_short_time"
    assert step3.advised == ("deadline_near", "open_dispute")


def test_advice_order_warnings_first_then_actions(minimal_kb):
    result = consult(minimal_kb, URGENT)
    assert result.advice_ids == ("deadline_near", "open_dispute")
    assert result.first_action.id == "open_dispute"
    assert result.advice[1].rule.id == "urgent_dispute" and result.advice[1].step == 3


def test_nothing_applies_gives_one_info_item(minimal_kb, shipped_kb):
    result = consult(minimal_kb, {"order_status": "delivered"})
    assert result.trace == ()
    assert [(a.id, a.kind.value, a.rule) for a in result.advice] == [(NOTHING_APPLIES, "info", None)]
    shipped = consult(shipped_kb, {})
    assert shipped.advice_ids == (NOTHING_APPLIES,)
    assert "customer support" in shipped.advice[0].advice.text


def test_the_issue_example_on_the_shipped_kb(shipped_kb):
    result = consult(shipped_kb, EXAMPLE)
    # 3 days of protection left: a dispute is needed, and 18 days remain to open it (no "act today")
    assert result.advice_ids[:2] == ("protection_ends_soon", "open_dispute")
    assert result.first_action.id == "open_dispute"
    assert result.facts["shipment_problem"] is True
    assert result.facts["dispute_needed"] is True
    # protection ended 12 days ago: 3 days are left to open the dispute, so act today
    late = consult(shipped_kb, {**EXAMPLE, "days_left": -12})
    assert late.advice_ids[:2] == ("deadline_near", "open_dispute")


def test_json_contract(minimal_kb):
    data = json.loads(json.dumps(consult(minimal_kb, URGENT).to_json()))
    assert set(data) == {"advice", "facts", "trace", "replaced", "violations"}
    for item in data["advice"]:
        assert set(item) == {"id", "kind", "title", "text", "rule", "source", "deadline_days"}
        assert item["kind"] in {"action", "warning", "info"}
    assert data["facts"] == {**URGENT, "problem": True, "urgency": "high"}
    assert data["trace"][1] == {
        "step": 2,
        "rule": "problem_and_short_time",
        "matched": {"problem": True, "days_left": 3},
        "derived_by": {"problem": "shipped_with_problem"},
        "derived": {"urgency": "high"},
        "advised": [],
    }
    assert [t["step"] for t in data["trace"]] == [1, 2, 3]


def test_bad_facts_are_rejected_before_running(minimal_kb):
    with pytest.raises(FactInputErrors) as caught:
        consult(minimal_kb, {"order_stat": "shipped", "days_left": "soon", "problem": True})
    messages = [e.format() for e in caught.value.errors]
    assert messages == [
        "fact 'order_stat': error: unknown fact 'order_stat' (did you mean 'order_status'?)",
        "fact 'days_left': error: fact 'days_left' is a whole number, not 'soon'",
        "fact 'problem': error: fact 'problem' is concluded by the rules and cannot be given",
    ]


def test_conflicting_derivations_are_an_error(tmp_path):
    rules = """- id: one
  description: One.
  when: {order_status: shipped}
  then: {derive: {urgency: high}}
  source: test-article
- id: two
  description: Two.
  when: {days_left: {lt: 0}}
  then: {derive: {urgency: low}}
  source: test-article
"""
    kb = load_knowledge_base(kb_with_rules(tmp_path, rules))
    with pytest.raises(ConflictingDerivationError) as caught:
        consult(kb, {"order_status": "shipped", "days_left": -1})
    error = caught.value
    assert error.exit_status == 2 and (error.location.line, error.location.column) == (6, 3)  # at rule 'two'
    assert error.message.startswith(f"rules 'one' ({error.location.file}:1) and 'two' ({error.location.file}:6) "
                                    "derive different values for fact 'urgency' ('high' and 'low') from the facts "
                                    "order_status=shipped, days_left=-1")
    assert "run `orderdoctor kb check`" in error.message
    assert error.partial.fired_rules == ("one",)  # what fired before the conflict
    # the engine recovers: the next consultation is fine
    assert consult(kb, {"order_status": "shipped"}).facts["urgency"] == "high"


def _fact_space(kb):
    """Every combination of a few values of each given fact (some left unknown)."""
    options = {
        "order_status": [None, "shipped", "closed", "delivered"],
        "coupon_used": [None, "welcome", "none"],
        "days_left": [None, -3, 3, 10],
        "seller_suspicious": [None, True, False],
    }
    for combo in itertools.product(*options.values()):
        yield {k: v for k, v in zip(options, combo) if v is not None}


def test_isolation_over_many_consultations_in_any_order(minimal_kb):
    """1,144 consultations (more than durable's 1,024 sessions per ruleset) in random order."""
    space = list(_fact_space(minimal_kb))
    first = {json.dumps(f, sort_keys=True): consult(minimal_kb, f).to_json() for f in space}
    draw = random.Random(7)
    for _ in range(1000):
        facts = draw.choice(space)
        assert consult(minimal_kb, facts).to_json() == first[json.dumps(facts, sort_keys=True)]
    assert len({json.dumps(r, sort_keys=True) for r in first.values()}) > 5  # the space is varied


def test_same_answers_as_a_fresh_process(minimal_kb):
    for facts in [URGENT, {"order_status": "closed", "coupon_used": "welcome"}, {}]:
        for _ in range(50):
            consult(minimal_kb, {"order_status": "shipped", "days_left": 30})
        in_process = consult(minimal_kb, facts).to_json()
        args = [sys.executable, "-m", "orderdoctor.cli", "advise", "--json", "--kb", str(MINIMAL_KB)]
        for name, value in facts.items():
            args += ["--set", f"{name}={json.dumps(value).strip(chr(34))}"]
        fresh = subprocess.run(args, capture_output=True, text=True, check=True)
        assert json.loads(fresh.stdout) == in_process


def test_given_order_does_not_matter(minimal_kb):
    forward = consult(minimal_kb, URGENT).to_json()
    backward = consult(minimal_kb, dict(reversed(list(URGENT.items())))).to_json()
    assert forward == backward


def test_shipped_kb_never_fails_never_empty_and_agrees_with_the_evaluator(shipped_kb):
    from hypothesis import HealthCheck, given, settings
    from orderdoctor.engine import evaluate

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(kb_fact_sets(shipped_kb, around=20))
    def check(facts):
        result = consult(shipped_kb, facts)
        assert result.advice  # never empty
        holding = {r.id for r in shipped_kb.rules if evaluate(r.when, result.facts).holds}
        assert set(result.fired_rules) == holding
        assert consult(shipped_kb, dict(reversed(list(facts.items())))).to_json() == result.to_json()

    check()


BOTH = """- id: calm
  description: Calm.
  when: {order_status: shipped}
  then: {advise: [contact_seller]}
  source: test-article
- id: urgent
  description: Urgent.
  priority: 5
  when: {days_left: {lt: 0}}
  then: {advise: [open_dispute]}
  source: test-article
"""


def test_replaced_advice_is_left_out_and_listed(tmp_path):
    kb = load_knowledge_base(kb_with_rules(tmp_path, BOTH))
    result = consult(kb, {"order_status": "shipped", "days_left": -1})
    assert result.fired_rules == ("urgent", "calm")
    assert result.advice_ids == ("open_dispute",)
    [replacement] = result.replaced
    assert (replacement.entry.id, replacement.by, replacement.entry.rule.id) == ("contact_seller", "open_dispute", "calm")
    assert result.to_json()["replaced"] == [{"id": "contact_seller", "by": "open_dispute", "rule": "calm"}]
    alone = consult(kb, {"order_status": "shipped"})
    assert alone.advice_ids == ("contact_seller",) and alone.replaced == ()


def test_deadlines_count_from_the_countdown(shipped_kb):
    result = consult(shipped_kb, {"order_status": "shipped", "tracking_note": "shipment_cancelled",
                                  "seller_response": "not_contacted", "days_left": 20})
    deadlines = {entry.id: entry.deadline_days for entry in result.advice}
    assert deadlines == {"contact_seller": None, "wait_for_seller_reply": 20}  # until protection ends
    late = consult(shipped_kb, {"order_status": "shipped", "tracking_note": "shipment_cancelled",
                                "seller_response": "no_reply", "days_left": -15})
    assert {e.id: e.deadline_days for e in late.advice}["open_dispute"] == 0
    assert late.to_json()["advice"][1]["deadline_days"] == 0


def test_answers_do_not_depend_on_earlier_consultations(shipped_kb):
    """Deterministic: after any history of other consultations, a case gives what it gives fresh."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from orderdoctor.engine import InferenceEngine, load_cases

    cases = [case.facts for case in load_cases(shipped_kb)]
    fresh_engine = InferenceEngine(load_knowledge_base())
    fresh = [fresh_engine.consult(facts).to_json() for facts in cases]
    fresh_engine.close()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.integers(0, len(cases) - 1), min_size=1, max_size=12), st.integers(0, len(cases) - 1))
    def check(history, target):
        for index in history:
            consult(shipped_kb, cases[index])
        assert consult(shipped_kb, cases[target]).to_json() == fresh[target]

    check()


def test_what_each_step_matched_is_what_the_rule_saw_when_it_fired(shipped_kb):
    """A step's matched facts are worked out afterwards from the provenance; they must equal the
    facts the backend handed the rule as it fired, on every kb case."""
    from orderdoctor.engine import load_cases
    from orderdoctor.engine.consultation import Consultation
    from orderdoctor.engine.facts import validate_facts
    from orderdoctor.engine.inference import engine_for

    engine = engine_for(shipped_kb)
    for case in load_cases(shipped_kb):
        consultation = Consultation(shipped_kb, validate_facts(shipped_kb, case.facts))
        seen_at_firing = []

        def listener(rule, seen, consultation=consultation, record=seen_at_firing):
            record.append({name: seen[name] for name in rule.reads if name in seen})
            return consultation.fire(rule, seen)

        engine._backend.run(engine._compiled, consultation.given, listener)
        trace = consultation.result().trace
        assert [{m.name: m.value for m in step.matched} for step in trace] == seen_at_firing, case.id
