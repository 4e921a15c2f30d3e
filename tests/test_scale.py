"""Knowledge bases past durable-rules' limits (64-entry match stack, 4,096 rules per ruleset) load
and answer exactly as the engine's own evaluator says, through sharded rulesets."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
