"""Knowledge bases past durable-rules' limits (64-entry match stack, 4,096 rules per ruleset) load
and answer exactly as the engine's own evaluator says, through sharded rulesets."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from benchmarks.synthetic import synthetic_cases, synthetic_kb  # noqa: E402
from orderdoctor.engine import InferenceEngine, evaluate  # noqa: E402
from orderdoctor.engine.backend import SHARD_SIZE  # noqa: E402


def _agrees(kb, engine, facts):
    result = engine.consult(facts)
    holding = {rule.id for rule in kb.rules if evaluate(rule.when, result.facts).holds}
    assert set(result.fired_rules) == holding
    assert len(result.fired_rules) == len(holding)  # no rule fired twice
    return result


def test_several_shards_chain_across_each_other():
    kb = synthetic_kb(600, seed=3)
    with InferenceEngine(kb) as engine:
        assert len(engine._compiled.shards) == -(-600 // SHARD_SIZE)
        shard_of = {rule.id: i for i, shard in enumerate(engine._compiled.shards) for rule in shard.rules.values()}
        fired = crossing = 0
        for facts in synthetic_cases(25, seed=11):
            result = _agrees(kb, engine, facts)
            fired += len(result.fired_rules)
            for step in result.trace:
                for matched in step.matched:
                    if matched.derived_by and shard_of[matched.derived_by] != shard_of[step.rule.id]:
                        crossing += 1
        assert fired > 100  # the cases really exercise the rules
        assert crossing > 10  # and facts derived in one shard fire rules in another


def test_ten_thousand_rules_load_and_answer_correctly():
    kb = synthetic_kb(10_000, seed=5)
    with InferenceEngine(kb) as engine:
        assert len(engine._compiled.shards) == -(-10_000 // SHARD_SIZE)
        for facts in synthetic_cases(3, seed=13):
            result = _agrees(kb, engine, facts)
            assert len(result.fired_rules) > 50


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), keep=st.lists(st.booleans(), min_size=20, max_size=20))
def test_skipped_shards_never_hide_a_rule_that_holds(sharded_engine, seed, keep):
    """Partial fact sets (unknown facts rule out entry keys until derived) on a sharded kb: the
    engine fires exactly the rules that hold, although it skips shards."""
    kb, engine = sharded_engine
    (facts,) = synthetic_cases(1, seed=seed)
    facts = {name: value for (name, value), kept in zip(facts.items(), keep) if kept}
    _agrees(kb, engine, facts)


def test_shards_are_skipped(sharded_engine, monkeypatch):
    """The property test above exercises skipping: shards none of whose entry keys hold are not
    run, and shards that ran are not run again when nothing they read was derived."""
    kb, engine = sharded_engine
    backend = engine._backend
    runs = []
    original = backend._match

    def match(run, known, ready):
        if run.compiled.may_match(known):  # asserted to durable
            runs.append(run.compiled.name)
        return original(run, known, ready)

    monkeypatch.setattr(backend, "_match", match)
    shards = len(engine._compiled.shards)
    for facts in synthetic_cases(10, seed=17):
        half = dict(list(facts.items())[::2])
        for given_facts in (facts, half):
            runs.clear()
            result = _agrees(kb, engine, given_facts)
            rounds = 1 + len({step.rule.id for step in result.trace if step.derived})  # an upper bound
            assert len(runs) < shards * rounds
    runs.clear()
    _agrees(kb, engine, {})
    assert runs == []  # nothing known: no entry key holds, no shard runs


@pytest.fixture(scope="module")
def sharded_engine():
    kb = synthetic_kb(1_000, seed=9)
    with InferenceEngine(kb) as engine:
        yield kb, engine
