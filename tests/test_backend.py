"""The durable-rules backend: one test for every durable edge the design relies on."""

from __future__ import annotations

import copy
import json
import threading

import durable_rules_engine
import pytest
from durable.engine import Host
from helpers import MINIMAL_KB, kb_with_rules
from orderdoctor.engine import InferenceEngine, consult, load_knowledge_base
from orderdoctor.engine.backend import (
    SHARD_SIZE,
    DurableBackend,
    compile_condition,
    compile_ruleset,
    get_backend,
)
from orderdoctor.engine.errors import BackendError, RuleActionError
from orderdoctor.engine.model import AllOf, AnyOf, Comparison, Not, Operator
from strategies import sized_kb

RED = Comparison("colour", Operator.EQ, "red")
FEW = Comparison("count", Operator.LT, 3)


class _ProbeHost(Host):
    """A bare durable host for probing durable's own behaviour."""

    def __init__(self) -> None:
        self.fired: list[str] = []
        super().__init__()

    def _run(self) -> None:
        pass

    def get_action(self, action_name):
        def act(c):
            self.fired.append(action_name)

        return act


def _probe(rules: dict, facts: list[dict]) -> list[list[str]]:
    host = _ProbeHost()
    definition = {**rules, "done": {"all": [{"m": {"_case": 1}}], "pri": 99, "run": "done"}}
    host.set_rulesets({"probe": definition})
    runs = []
    for fact in facts:
        host.fired.clear()
        fact = {**fact, "_case": 1, "sid": "1"}
        host.assert_fact("probe", dict(fact))
        host.retract_fact("probe", dict(fact))
        runs.append([name for name in host.fired if name != "done"])
    return runs


# ------------------------------------------------------------- compilation
def test_in_compiles_to_or_of_equalities_because_durable_has_no_in():
    compiled = compile_condition(Comparison("colour", Operator.IN, ("red", "blue")))
    assert compiled == {"$or": [{"colour": "red"}, {"colour": "blue"}]}
    assert "$in" not in json.dumps(compiled)


def test_not_is_pushed_inwards():
    assert compile_condition(Not(AllOf((RED, FEW)))) == {
        "$or": [{"$neq": {"colour": "red"}}, {"$gte": {"count": 3}}]
    }
    assert compile_condition(Not(AnyOf((RED, Not(FEW))))) == {
        "$and": [{"$neq": {"colour": "red"}}, {"$lt": {"count": 3}}]
    }
    assert compile_condition(Not(Comparison("colour", Operator.IN, ("red", "blue")))) == {
        "$and": [{"$neq": {"colour": "red"}}, {"$neq": {"colour": "blue"}}]
    }


def test_every_rule_pattern_ends_with_its_marker_and_has_a_unique_priority(minimal_kb):
    compiled = compile_ruleset(minimal_kb, "x")
    pris = [rule["pri"] for rule in compiled.definition.values()]
    assert len(set(pris)) == len(pris)
    for key, rule in compiled.rules.items():
        pattern = compiled.definition[key]["all"][0]["m"]["$and"]
        assert pattern[-1] == {"$nex": {compiled.markers[key]: 1}}
    assert all("run" not in rule for rule in compiled.definition.values())  # pure durable JSON


# ------------------------------------------------------------- durable edges
def test_a_case_no_rule_matches_is_not_stored_so_no_catch_all_rule_is_needed():
    handle = durable_rules_engine.create_ruleset(
        "edge_unhandled", json.dumps({"r": {"all": [{"m": {"a": 1}}], "pri": 1}})
    )
    try:
        code, _ = durable_rules_engine.assert_fact(handle, json.dumps({"sid": "1", "b": 2}))
        assert code == 1  # not handled: no exception from the C engine, nothing stored
        assert json.loads(durable_rules_engine.get_facts(handle, "1")) == []
        durable_rules_engine.retract_fact(handle, json.dumps({"sid": "1", "b": 2}))  # harmless
    finally:
        durable_rules_engine.delete_ruleset(handle)


def test_activations_of_a_retracted_version_are_dropped():
    """The backend hands listeners its own copy of the case: durable only ever activates rules on
    the current version, because every older version is retracted before a new one is asserted."""
    rules = {
        "derive": {"all": [{"m": {"$and": [{"a": 1}, {"$nex": {"_f0": 1}}]}}], "pri": 1},
        "later": {"all": [{"m": {"a": 1}}], "pri": 2},
    }
    handle = durable_rules_engine.create_ruleset("edge_versions", json.dumps(rules))
    try:
        first = json.dumps({"sid": "1", "a": 1})
        _, state = durable_rules_engine.assert_fact(handle, first)
        message = durable_rules_engine.start_action_for_state(handle, state)[1]
        assert json.loads(message) == {"derive": {"m": {"sid": "1", "a": 1}}}
        second = json.dumps({"sid": "1", "a": 1, "b": 2, "_f0": 1})
        durable_rules_engine.retract_fact(handle, first)
        durable_rules_engine.assert_fact(handle, second)
        messages = []
        while message := durable_rules_engine.complete_and_start_action(handle, state):
            messages.append(json.loads(message))
        assert messages == [{"later": {"m": {"sid": "1", "a": 1, "b": 2, "_f0": 1}}}]
        durable_rules_engine.retract_fact(handle, second)
        assert json.loads(durable_rules_engine.get_facts(handle, "1")) == []
    finally:
        durable_rules_engine.delete_ruleset(handle)


def test_a_test_on_a_missing_property_never_matches():
    rules = {
        "ne": {"all": [{"m": {"$neq": {"colour": "red"}}}], "pri": 1, "run": "ne"},
        "lt": {"all": [{"m": {"$lt": {"count": 3}}}], "pri": 2, "run": "lt"},
        "eq": {"all": [{"m": {"flag": False}}], "pri": 3, "run": "eq"},
    }
    assert _probe(rules, [{}, {"colour": "blue", "count": 1, "flag": False}]) == [[], ["ne", "lt", "eq"]]


def test_durable_types_are_loose_so_values_are_checked_before_asserting():
    rules = {"eq": {"all": [{"m": {"flag": True}}], "pri": 1, "run": "eq"}}
    assert _probe(rules, [{"flag": 1}]) == [["eq"]]  # durable: 1 == True


def test_an_or_activates_once_per_holding_branch_and_the_backend_fires_once(tmp_path):
    rules = {"r": {"all": [{"m": {"$or": [{"a": 1}, {"b": 2}]}}], "pri": 1, "run": "r"}}
    assert _probe(rules, [{"a": 1, "b": 2}]) == [["r", "r"]]
    kb = load_knowledge_base(
        kb_with_rules(
            tmp_path,
            """- id: either
  description: Either one.
  when:
    any:
      - order_status: shipped
      - seller_suspicious: true
  then: {advise: [contact_seller]}
  source: test-article
""",
        )
    )
    result = InferenceEngine(kb).consult({"order_status": "shipped", "seller_suspicious": True})
    assert result.fired_rules == ("either",)


def test_lower_pri_fires_first():
    rules = {
        "late": {"all": [{"m": {"a": 1}}], "pri": 5, "run": "late"},
        "early": {"all": [{"m": {"a": 1}}], "pri": 1, "run": "early"},
    }
    assert _probe(rules, [{"a": 1}]) == [["early", "late"]]


def test_retracted_fact_can_be_asserted_again_in_the_same_session():
    rules = {"r": {"all": [{"m": {"a": 1}}], "pri": 1, "run": "r"}}
    assert _probe(rules, [{"a": 1}] * 3) == [["r"]] * 3


def test_backend_host_starts_no_timer_threads(minimal_kb):
    before = {t.ident for t in threading.enumerate()}
    backend = DurableBackend()
    compiled = backend.register(minimal_kb)
    backend.run(compiled, {"order_status": "shipped"}, lambda rule, seen: {})
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert new == []
    backend.unregister(compiled)


# ------------------------------------------------------------ error handling
def test_an_error_in_a_rule_action_is_raised_naming_the_rule(minimal_kb):
    backend = get_backend()
    compiled = backend.register(minimal_kb)

    def explode(rule, seen):
        raise ZeroDivisionError("boom")

    with pytest.raises(RuleActionError) as caught:
        backend.run(compiled, {"order_status": "closed", "coupon_used": "welcome"}, explode)
    assert caught.value.rule_id == "closed_with_coupon"
    assert "ZeroDivisionError: boom" in str(caught.value)
    # the backend is still usable afterwards: the session was emptied (not given up), and the
    # next run is clean
    assert backend.facts_left() == 0
    assert backend._sid[compiled.shards[0].name] == "1"
    fired = backend.run(compiled, {"order_status": "closed", "coupon_used": "welcome"}, lambda r, s: {})
    assert [compiled.rules[k].id for k in fired] == ["closed_with_coupon"]
    backend.unregister(compiled)


def test_re_entrant_consultation_is_refused(minimal_kb):
    backend = get_backend()
    compiled = backend.register(minimal_kb)

    def again(rule, seen):
        backend.run(compiled, {"order_status": "shipped"}, lambda r, s: {})
        return {}

    with pytest.raises(BackendError, match="already running"):
        backend.run(compiled, {"order_status": "closed", "coupon_used": "welcome"}, again)
    backend.unregister(compiled)


def test_unregistered_ruleset_cannot_run(minimal_kb):
    engine = InferenceEngine(minimal_kb)
    engine.close()
    with pytest.raises(RuntimeError, match="closed"):
        engine.consult({"order_status": "shipped"})


def test_register_and_unregister_many_times():
    """durable has no reload API; the backend frees rulesets so a knowledge base can be reloaded."""
    facts = {"order_status": "shipped", "days_left": 3, "seller_suspicious": True}
    expected = None
    for _ in range(150):
        kb = load_knowledge_base(MINIMAL_KB)
        with InferenceEngine(kb) as engine:
            advice = engine.consult(facts).advice_ids
        expected = expected or advice
        assert advice == expected == ("deadline_near", "open_dispute")


@pytest.fixture(scope="module", params=[SHARD_SIZE, SHARD_SIZE + 1, 200], ids=lambda n: f"{n}rules")
def any_size_kb(request):
    """The shipped kb cut or grown to 64 rules (one durable ruleset), 65 and 200 (sharded): the
    backend must behave the same at every size."""
    kb = load_knowledge_base()
    # the tests below run these situations: keep the rules that fire in them when the kb is cut
    keep = frozenset(rule for facts in (CLOSED_FACTS, CHAINING_FACTS) for rule in consult(kb, facts).fired_rules)
    return sized_kb(kb, request.param, keep=keep, seed=request.param)


#: A closed order whose refund is late, and a stopped parcel that chains derived facts.
CLOSED_FACTS = {"order_status": "closed", "closure_reason": "seller_cancelled", "refund_status": "not_started",
                "working_days_since_cancel": 21}
CHAINING_FACTS = {"order_status": "shipped", "tracking_note": "shipment_cancelled", "seller_response": "no_reply",
                  "days_left": 3}


def test_facts_left_is_zero_when_no_shard_ever_ran(any_size_kb):
    """durable has no session for a ruleset never asserted to (get_facts: error 309)."""
    backend = DurableBackend()
    compiled = backend.register(any_size_kb)
    try:
        assert backend.facts_left() == 0
        assert backend.run(compiled, {}, lambda rule, seen: {}) == []  # nothing known: no shard runs
        assert backend.facts_left() == 0
        backend.run(compiled, {"order_status": "shipped", "days_left": 3}, lambda rule, seen: dict(rule.derive))
        assert backend.facts_left() == 0
    finally:
        backend.unregister(compiled)


def test_an_error_in_a_rule_action_at_any_size_leaves_sessions_empty(any_size_kb):
    facts = CLOSED_FACTS
    engine = InferenceEngine(any_size_kb)
    try:
        expected = engine.consult(facts)

        def explode(rule, seen):
            raise ZeroDivisionError("boom")

        with pytest.raises(RuleActionError) as caught:
            get_backend().run(engine._compiled, facts, explode)
        assert caught.value.rule_id == expected.fired_rules[0]
        assert get_backend().facts_left() == 0
        assert {get_backend()._sid[shard.name] for shard in engine._compiled.shards} == {"1"}  # none given up
        assert engine.consult(facts).to_json() == expected.to_json()
    finally:
        engine.close()


def test_a_run_that_fails_at_any_firing_leaves_the_backend_clean(any_size_kb):
    """Fail at the 1st, 2nd, … firing of a chaining case (some after derived facts were asserted):
    every following run gives the same answer as before, and the session stays empty."""
    kb = any_size_kb
    facts = CHAINING_FACTS
    engine = InferenceEngine(kb)
    expected = engine.consult(facts)
    backend = get_backend()
    assert len(expected.trace) >= 3
    assert len(engine._compiled.shards) == -(-len(kb.rules) // SHARD_SIZE)
    for fail_at in range(1, len(expected.trace) + 1):
        calls = []

        def flaky(rule, seen, fail_at=fail_at):
            calls.append(rule.id)
            if len(calls) == fail_at:
                raise ValueError("flaky")
            return dict(rule.derive)

        with pytest.raises(RuleActionError, match="ValueError: flaky"):
            backend.run(engine._compiled, facts, flaky)
        assert backend.facts_left() == 0
        again = engine.consult(facts)
        assert again.fired_rules == expected.fired_rules
        assert again.advice_ids == expected.advice_ids
    engine.close()
