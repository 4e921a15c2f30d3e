"""Realistic generated knowledge bases, written as YAML files that the real loader reads.

Shaped like the shipped kb grown large: askable facts grow with the kb (choice facts with 3–10
values, integers 0..100, booleans); derived facts in :data:`LEVELS` levels, each concluded by
about a dozen rules; a rule of level L reads one or two derived facts of level L-1 and one to
three askable facts, with ``in`` lists, comparisons, ``not`` and ``any``; a third of the rules
give advice. Derived facts are booleans that rules only ever conclude ``true``, so no fact set
makes two rules conclude different values. 1,000 rules per rule file. Seeded: every run writes
the same files.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

LEVELS = 6
RULES_PER_FILE = 1_000


def _shape(rules: int) -> tuple[int, int]:
    """(askable facts, derived facts) for a kb of ``rules`` rules."""
    askable = max(20, int(35 * (rules / 1000) ** 0.36))  # 35 at 1k, 80 at 10k
    derived = max(LEVELS * 4, int(60 * (rules / 1000) ** 0.845))  # 60 at 1k, 420 at 10k
    return askable, derived


def _askable(rng: random.Random, count: int) -> list[dict[str, Any]]:
    facts = []
    for i in range(count):
        kind = ("choice", "choice", "integer", "boolean")[i % 4]
        fact: dict[str, Any] = {"name": f"ask_{i}", "type": kind, "description": "An askable fact.",
                                "question": "What is it?"}
        if kind == "choice":
            fact["values"] = [f"v{j}" for j in range(rng.randint(3, 10))]
        elif kind == "integer":
            fact["min"], fact["max"] = 0, 100
        facts.append(fact)
    return facts


def _test(rng: random.Random, fact: dict[str, Any]) -> dict[str, Any]:
    """One test on an askable fact: equality, ``in``, a comparison or a range."""
    name = fact["name"]
    if fact["type"] == "choice":
        values = fact["values"]
        if rng.random() < 0.5:
            return {name: rng.choice(values)}
        return {name: {"in": rng.sample(values, rng.randint(2, max(2, len(values) // 2)))}}
    if fact["type"] == "boolean":
        return {name: rng.random() < 0.5}
    low = rng.randint(0, 90)
    return {name: rng.choice([{"lt": low + 10}, {"gte": low}, {"between": [low, low + rng.randint(5, 30)]}])}


def _condition(rng: random.Random, askable: list[dict[str, Any]], inputs: list[str]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{name: True} for name in inputs]
    picked = rng.sample(askable, rng.randint(1, 3))
    tests = [_test(rng, fact) for fact in picked]
    roll = rng.random()
    if roll < 0.2 and len(tests) >= 2:  # `any` of two tests
        parts.append({"any": tests[:2]})
        tests = tests[2:]
    elif roll < 0.35:  # `not` of a test
        parts.append({"not": tests.pop()})
    parts += tests
    return parts[0] if len(parts) == 1 else {"all": parts}


def write_kb(folder: Path, rules: int, seed: int = 3) -> Path:
    """Write a kb of ``rules`` rules into ``folder`` (created); returns it."""
    rng = random.Random(seed)
    n_ask, n_derived = _shape(rules)
    askable = _askable(rng, n_ask)
    per_level = max(1, n_derived // LEVELS)
    levels = [[f"d{level}_{i}" for i in range(per_level)] for level in range(LEVELS)]
    derived = [{"name": name, "type": "boolean", "derived": True, "description": "A derived fact."}
               for level in levels for name in level]
    advice = [{"id": f"advice_{i}", "kind": ("warning", "action", "info", "action")[i % 4],
               "title": f"Advice {i}", "text": "Do this.", "source": "generated"} for i in range(max(40, rules // 20))]
    written: list[dict[str, Any]] = []
    for number in range(rules):
        level = rng.randrange(LEVELS)
        inputs = rng.sample(levels[level - 1], rng.randint(1, 2)) if level else []
        rule: dict[str, Any] = {"id": f"rule_{number}", "description": "A generated rule.",
                                "when": _condition(rng, askable, inputs), "source": "generated"}
        if number % 3 == 0:  # advice, from a derived fact when the rule reads one
            rule["then"] = {"advise": [rng.choice(advice)["id"]]}
        else:
            rule["then"] = {"derive": {rng.choice(levels[level]): True}}
        if rng.random() < 0.2:
            rule["priority"] = rng.randint(-3, 3)
        written.append(rule)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rules").mkdir(exist_ok=True)
    dump = _dump
    (folder / "facts.yaml").write_text(dump(askable + derived), encoding="utf-8")
    (folder / "advice.yaml").write_text(dump(advice), encoding="utf-8")
    (folder / "sources.yaml").write_text(dump([{"id": "generated", "title": "Generated for benchmarks"}]),
                                         encoding="utf-8")
    for start in range(0, rules, RULES_PER_FILE):
        path = folder / "rules" / f"part_{start // RULES_PER_FILE:03d}.yaml"
        path.write_text(dump(written[start:start + RULES_PER_FILE]), encoding="utf-8")
    return folder


def _dump(items: list[dict[str, Any]]) -> str:
    """YAML the loader reads: a block list of flow mappings (JSON is YAML)."""
    return "".join(f"- {json.dumps(item)}\n" for item in items)


def cases(kb: Any, count: int, given: int = 12, seed: int = 5) -> list[dict[str, Any]]:
    """``count`` fact sets of ``given`` askable facts each, values drawn from their domains."""
    rng = random.Random(seed)
    askable = [fact for fact in kb.facts.values() if not fact.derived]
    found = []
    for _ in range(count):
        facts: dict[str, Any] = {}
        for fact in rng.sample(askable, min(given, len(askable))):
            if fact.type.value == "choice":
                facts[fact.name] = rng.choice(fact.values)
            elif fact.type.value == "boolean":
                facts[fact.name] = rng.random() < 0.5
            else:
                facts[fact.name] = rng.randint(fact.minimum, fact.maximum)
        found.append(facts)
    return found
