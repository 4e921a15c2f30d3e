"""The benchmark peers (benchmarks/peers.py, benchmarks/floor.py) answer as orderdoctor does.

No timing here: these run the agreement checks that ``python -m benchmarks`` runs before it times
anything, on a few fact sets, and check that a peer answering differently is caught.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.agreement import Disagreement, check, random_fact_sets  # noqa: E402
from benchmarks.floor import Floor  # noqa: E402
from benchmarks.peers import Clips, Experta, NaiveDurable  # noqa: E402
from benchmarks.realistic import cases as realistic_cases  # noqa: E402
from benchmarks.realistic import write_kb  # noqa: E402
from orderdoctor.engine import InferenceEngine, load_cases, load_knowledge_base  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "kb"


@pytest.fixture(scope="module")
def shipped():
    kb = load_knowledge_base()
    engine = InferenceEngine(kb)
    facts = [dict(case.facts) for case in load_cases(kb)][::10] + random_fact_sets(kb, 40)
    yield kb, engine, facts
    engine.close()


def test_the_floor_gives_the_whole_to_json_on_the_shipped_kb(shipped):
    kb, engine, facts = shipped
    assert check(Floor(kb), engine, facts) == len(facts)


@pytest.mark.parametrize("peer", [Clips, Experta, NaiveDurable])
def test_each_peer_gives_the_ordered_answer_on_the_shipped_kb(shipped, peer):
    kb, engine, facts = shipped
    try:
        built = peer(kb)
    except ImportError:  # clipspy and experta come with the [bench] extra
        pytest.skip(f"{peer.__name__} is not installed")
    limit = 8 if peer is Experta else len(facts)  # experta is slow
    assert check(built, engine, facts[:limit]) == limit


def test_the_floor_and_clips_agree_on_a_fixture_kb():
    kb = load_knowledge_base(FIXTURES / "minimal", cache=False)
    engine = InferenceEngine(kb)
    facts = random_fact_sets(kb, 60, present=0.8)
    assert check(Floor(kb), engine, facts) == 60
    pytest.importorskip("clips")
    assert check(Clips(kb), engine, facts) == 60


def test_a_generated_kb_loads_and_every_peer_agrees_past_one_shard(tmp_path):
    kb = load_knowledge_base(write_kb(tmp_path / "kb", 150), cache=False)
    assert len(kb.rules) == 150
    engine = InferenceEngine(kb)
    facts = realistic_cases(kb, 10)
    assert check(Floor(kb), engine, facts) == 10
    pytest.importorskip("clips")
    assert check(Clips(kb), engine, facts) == 10


def test_a_peer_that_answers_in_another_order_fails_the_check(shipped):
    kb, engine, facts = shipped

    class Reversed(Floor):
        name = "reversed"

        def advise(self, given):
            answer = super().advise(given)
            answer["advice"] = answer["advice"][::-1]
            return answer

    several = next(f for f in facts if len(engine.consult(f).advice) > 1)
    with pytest.raises(Disagreement, match="reversed disagrees"):
        check(Reversed(kb), engine, [several])


def test_the_clips_peer_releases_the_facts_it_asserts(shipped):
    """clipspy 1.0.6 never releases a fact asserted from Python (Fact.__del__ has the wrong arity):
    the peer does it itself, so CLIPS's memory stays flat over consultations."""
    kb, _, facts = shipped
    try:
        peer = Clips(kb)
    except ImportError:
        pytest.skip("clipspy is not installed")
    for given in facts:
        peer.advise(given)
    before = peer.env.eval("(mem-used)")
    for _ in range(3):
        for given in facts:
            peer.advise(given)
    assert peer.env.eval("(mem-used)") == before
