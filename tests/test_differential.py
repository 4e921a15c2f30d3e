"""The engine (durable-rules) against an independent evaluator (tests/reference.py) on random
knowledge bases of every size: the same advice, in the same order, the same first action, the
same facts and the same trace (firing order), however the rules are sharded (docs/kb-format.md,
"How rules fire"; docs/reliability.md, "No cliffs").

Fact names include durable's reserved and hash-colliding ones, choice values of 65,537 characters
sit beside their prefix, ``in`` lists reach 600 values and some rules have 16 ``any`` groups
(tests/kbgen.py): everything durable-rules alone could not tell apart or run.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
from kbgen import random_facts, random_kb
from orderdoctor.engine.inference import InferenceEngine
from orderdoctor.engine.model import KnowledgeBase


def _agree(kb: KnowledgeBase, seed: int, cases: int) -> None:
    rng = random.Random(seed)
    with InferenceEngine(kb) as engine:
        for _ in range(cases):
            facts = random_facts(kb, rng)
            got = engine.consult(facts)
            want = reference.consult(kb, facts)
            assert list(got.fired_rules) == want.fired, facts
            assert dict(got.facts) == want.facts, facts
            assert list(got.advice_ids) == want.advice, facts
            first = got.first_action
            assert (first.id if first else None) == want.first_action, facts


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(size=st.integers(1, 300), seed=st.integers(0, 10**9))
def test_random_kbs_of_every_size_agree_with_the_reference(size: int, seed: int) -> None:
    _agree(random_kb(size, seed), seed, cases=8)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(size=st.integers(65, 2_000), seed=st.integers(0, 10**9))
def test_firing_order_does_not_depend_on_sharding(size: int, seed: int) -> None:
    """65-2,000 rules: several shards; the documented order all the same."""
    kb = random_kb(size, seed)
    _agree(kb, seed, cases=6)


def test_small_kbs_agree_on_many_fact_sets() -> None:
    for seed in range(12):
        _agree(random_kb(random.Random(seed).randint(1, 64), seed), seed, cases=20)
