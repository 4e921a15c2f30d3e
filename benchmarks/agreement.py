"""Before anything is timed: every peer must give orderdoctor's *ordered* answer.

:func:`random_fact_sets` draws fact sets from a knowledge base's declared facts (each askable fact
present with probability 0.6; choices and booleans uniform; integers half uniform over their range
and half within one of a threshold some rule tests). :func:`check` runs orderdoctor and a peer on
each fact set and compares what the peer produces — the advice ids in order, every fact with its
value, and the rules fired in order (where the peer has a trace; the floor is compared with the
whole ``to_json()``) — and raises :class:`Disagreement` on the first difference: a benchmark never
times a peer that answers differently.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

from orderdoctor.engine import InferenceEngine, KnowledgeBase
from orderdoctor.engine.errors import ConflictingDerivationError
from orderdoctor.engine.model import FactType, comparisons_in

from .floor import PeerConflict


class Disagreement(AssertionError):
    """A peer's answer differs from orderdoctor's."""


def random_fact_sets(kb: KnowledgeBase, count: int, seed: int = 11, present: float = 0.6) -> list[dict[str, Any]]:
    """``count`` valid fact sets for ``kb`` (seeded: every run draws the same ones)."""
    rng = random.Random(seed)
    thresholds: dict[str, set[int]] = {}
    for rule in kb.rules:
        for comparison in comparisons_in(rule.when):
            values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
            for value in values:
                if isinstance(value, int) and not isinstance(value, bool):
                    thresholds.setdefault(comparison.fact, set()).add(value)
    askable = [fact for fact in kb.facts.values() if not fact.derived]
    sets = []
    for _ in range(count):
        facts: dict[str, Any] = {}
        for fact in askable:
            if rng.random() >= present:
                continue
            if fact.type is FactType.CHOICE:
                facts[fact.name] = rng.choice(fact.values)
            elif fact.type is FactType.BOOLEAN:
                facts[fact.name] = rng.random() < 0.5
            else:
                low = -1000 if fact.minimum is None else fact.minimum
                high = 1000 if fact.maximum is None else fact.maximum
                near = sorted(thresholds.get(fact.name, ()))
                value = rng.choice(near) + rng.randint(-1, 1) if near and rng.random() < 0.5 else rng.randint(low, high)
                facts[fact.name] = min(max(value, low), high)
        sets.append(facts)
    return sets


def summary(answer: Mapping[str, Any]) -> tuple[Any, ...]:
    """What every peer is compared on: ordered advice ids, facts, fired rules in order."""
    return (
        tuple(entry["id"] for entry in answer["advice"]),
        tuple(answer["facts"].items()),
        tuple(step["rule"] for step in answer["trace"]) if answer.get("trace") is not None else None,
    )


def expected(engine: InferenceEngine, facts: Mapping[str, Any]) -> dict[str, Any] | str:
    try:
        return engine.consult(facts).to_json()
    except ConflictingDerivationError:
        return "conflict"


def check(peer: Any, engine: InferenceEngine, fact_sets: Iterable[Mapping[str, Any]],
          wanted: list[Any] | None = None) -> int:
    """Raise :class:`Disagreement` unless ``peer`` answers every fact set as orderdoctor does;
    returns the number checked. A peer with ``whole = True`` must give the whole ``to_json()``."""
    checked = 0
    for number, facts in enumerate(fact_sets):
        want = wanted[number] if wanted is not None else expected(engine, facts)
        try:
            got: Any = peer.advise(facts)
        except PeerConflict:
            got = "conflict"
        if isinstance(want, str) or isinstance(got, str):
            same = want == got
        elif getattr(peer, "whole", False):
            same = got == want
        else:
            mine, theirs = summary(got), summary(want)
            same = mine[:2] == theirs[:2] and (not getattr(peer, "trace", False) or mine[2] == theirs[2])
        if not same:
            raise Disagreement(f"{peer.name} disagrees with orderdoctor on {dict(facts)}:\n"
                               f"  peer:        {_short(got)}\n  orderdoctor: {_short(want)}")
        checked += 1
    return checked


def _short(answer: Any) -> str:
    return answer if isinstance(answer, str) else repr(summary(answer))
