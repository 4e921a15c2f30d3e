"""An independent evaluator of a knowledge base, written from docs/kb-format.md alone, for the
differential tests: it shares no code with the engine's compiler, backend, conditions or
consultation (it reads the model's plain data: facts, rules, advice).

- A condition holds, fails or is undecided (Kleene): a test on an unknown fact is undecided;
  ``all`` fails if a part fails and holds if all hold; ``any`` holds if a part holds and fails
  if all fail; ``not`` swaps holds and fails.
- A rule fires when its condition holds, at most once; of the rules ready at once, the highest
  priority fires first, then the earliest position; derived facts chain.
- Advice: warnings, then actions, then info; within a kind by the giving rule's priority, then
  firing order, then place in the rule's list; an item given twice ranks where it ranks best;
  items replaced by another item given are left out; none left: ``nothing_applies``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

HOLDS, UNDECIDED, FAILS = "holds", "undecided", "fails"
_KIND = {"warning": 0, "action": 1, "info": 2}


class Conflict(Exception):
    """Two values derived for one fact."""


@dataclass
class Answer:
    fired: list[str]
    facts: dict[str, object]
    advice: list[str]

    @property
    def first_action(self) -> str | None:
        return next((a for a, kind in self.kinds if kind == "action"), None)

    kinds: tuple[tuple[str, str], ...] = ()


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _test(op: str, value: object, expected: object) -> bool:
    if op == "eq":
        return _same(value, expected)
    if op == "ne":
        return not _same(value, expected)
    if op == "in":
        return any(_same(value, e) for e in expected)  # type: ignore[attr-defined]
    if op == "not_in":
        return not any(_same(value, e) for e in expected)  # type: ignore[attr-defined]
    if op == "between":
        low, high = expected  # type: ignore[misc]
        return low <= value <= high  # type: ignore[operator]
    return {"lt": value < expected, "lte": value <= expected,  # type: ignore[operator]
            "gt": value > expected, "gte": value >= expected}[op]  # type: ignore[operator]


def truth(condition: object, facts: Mapping[str, object]) -> str:
    kind = type(condition).__name__
    if kind == "Comparison":
        fact = condition.fact  # type: ignore[attr-defined]
        if fact not in facts:
            return UNDECIDED
        return HOLDS if _test(condition.operator.name, facts[fact], condition.value) else FAILS  # type: ignore[attr-defined]
    if kind == "Not":
        inner = truth(condition.condition, facts)  # type: ignore[attr-defined]
        return {HOLDS: FAILS, FAILS: HOLDS, UNDECIDED: UNDECIDED}[inner]
    parts = [truth(part, facts) for part in condition.conditions]  # type: ignore[attr-defined]
    deciding, other = (FAILS, HOLDS) if kind == "AllOf" else (HOLDS, FAILS)
    if deciding in parts:
        return deciding
    return other if all(p == other for p in parts) else UNDECIDED


def _reads(condition: object) -> list[str]:
    kind = type(condition).__name__
    if kind == "Comparison":
        return [condition.fact]  # type: ignore[attr-defined]
    if kind == "Not":
        return _reads(condition.condition)  # type: ignore[attr-defined]
    return [fact for part in condition.conditions for fact in _reads(part)]  # type: ignore[attr-defined]


def consult(kb: object, given: Mapping[str, object]) -> Answer:
    """The documented answer of ``kb`` (a loaded KnowledgeBase, read as plain data) on ``given``."""
    rules = sorted(kb.rules, key=lambda r: (-r.priority, r.position))  # type: ignore[attr-defined]
    facts = dict(given)
    fired: list[object] = []
    # Facts are only ever added, so a condition that holds or fails stays so: only the undecided
    # ones are worked out again, and only once a fact they read is derived.
    outcome = {rule.id: truth(rule.when, facts) for rule in rules}
    reads = {rule.id: set(_reads(rule.when)) for rule in rules}
    while True:
        ready = next((r for r in rules if outcome[r.id] == HOLDS), None)
        if ready is None:
            break
        outcome[ready.id] = "fired"
        fired.append(ready)
        new = set()
        for name, value in ready.derive:
            if name in facts and not _same(facts[name], value):
                raise Conflict(name)
            if name not in facts:
                new.add(name)
            facts[name] = value
        for rule in rules:
            if outcome[rule.id] == UNDECIDED and new & reads[rule.id]:
                outcome[rule.id] = truth(rule.when, facts)
    catalogue = kb.advice  # type: ignore[attr-defined]
    best: dict[str, tuple[int, int, int, int]] = {}
    for step, rule in enumerate(fired, 1):
        for place, advice_id in enumerate(rule.advise):  # type: ignore[attr-defined]
            key = (_KIND[catalogue[advice_id].kind.value], -rule.priority, step, place)  # type: ignore[attr-defined]
            if advice_id not in best or key < best[advice_id]:
                best[advice_id] = key
    ranked = sorted(best, key=best.__getitem__)
    replaced = {old for a in ranked for old in catalogue[a].replaces}
    shown = [a for a in ranked if a not in replaced] or ["nothing_applies"]
    kinds = tuple((a, catalogue[a].kind.value if a in catalogue else "info") for a in shown)
    return Answer([r.id for r in fired], facts, shown, kinds)  # type: ignore[attr-defined]
