"""Swapping the backend is one module behind the ``Backend`` protocol (docs/architecture.md,
"Changing the code"): a backend written from the documented firing rule alone, in pure Python,
plugged into :class:`InferenceEngine`, gives every scenario case of the shipped knowledge base the
same advice, facts and trace as durable-rules."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from orderdoctor.engine import InferenceEngine, KnowledgeBase, Truth, evaluate, load_cases, load_knowledge_base
from orderdoctor.engine.inference import FiringListener
from orderdoctor.engine.model import Value


class PurePythonBackend:
    """The documented rule: of the rules whose condition holds on the facts known so far, the
    first in the knowledge base's order (priority, then position) fires, once; repeat."""

    def __init__(self) -> None:
        self.registered: list[KnowledgeBase] = []

    def register(self, kb: KnowledgeBase) -> KnowledgeBase:
        self.registered.append(kb)
        return kb

    def run(self, kb: KnowledgeBase, facts: Mapping[str, Value], listener: FiringListener) -> list[str]:
        known = dict(facts)
        fired: list[str] = []
        while True:
            ready = next(
                (rule for rule in kb.rules
                 if rule.id not in fired and evaluate(rule.when, known).truth is Truth.HOLDS),
                None,
            )
            if ready is None:
                return fired
            fired.append(ready.id)
            known.update(listener(ready, dict(known)))

    def unregister(self, kb: KnowledgeBase) -> None:
        self.registered.remove(kb)


KB = load_knowledge_base()
CASES = load_cases(KB)


@pytest.fixture(scope="module")
def engines():
    pure = PurePythonBackend()
    with InferenceEngine(KB, pure) as swapped, InferenceEngine(KB) as durable:
        yield swapped, durable
    assert pure.registered == []  # closing the engine unregistered the knowledge base


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_pure_python_backend_gives_the_same_answers(engines, case) -> None:
    swapped, durable = engines
    expected = durable.consult(case.facts).to_json()
    assert swapped.consult(case.facts).to_json() == expected


def test_a_backend_that_fires_nothing_gives_the_built_in_answer() -> None:
    class Silent:
        def register(self, kb: KnowledgeBase) -> str:
            return "handle"

        def run(self, compiled: str, facts: Mapping[str, Value], listener: FiringListener) -> list[str]:
            return []

        def unregister(self, compiled: str) -> None:
            pass

    with InferenceEngine(KB, Silent()) as engine:
        result = engine.consult({"order_status": "shipped"})
    assert [entry.id for entry in result.advice] == ["nothing_applies"] and result.trace == ()
