"""Random knowledge bases of any size, built in memory (fast), for the differential tests.

Fact names include durable-rules' reserved ``sid`` and ``id``, names whose FNV-1a-32 hashes
collide with each other, with ``sid``/``id`` or with the backend's generated property names,
and choice values of 65,537 characters beside their 1-character prefix; conditions nest
``all``/``any``/``not`` and use every operator, ``in`` lists up to 600 values; derived facts chain
(a rule of level L reads derived facts of lower levels only); priorities spread the rules ready
at once over the shards.
"""

from __future__ import annotations

import random

from orderdoctor.engine.model import (
    Advice,
    AdviceKind,
    AllOf,
    AnyOf,
    Choice,
    Comparison,
    Fact,
    FactType,
    KnowledgeBase,
    Not,
    Rule,
)
from orderdoctor.engine.operators import Operator

from strategies import HERE

#: Legal fact names durable-rules cannot tell apart by its 32-bit FNV-1a hash (found by brute
#: force): ``f_loczw`` and ``f_vfbpa`` hash alike; ``xisvisyc`` as ``sid``, ``x5e5zqa`` as ``id``,
#: ``xbsr85ra`` as ``_f0`` (an old marker), ``x5e5zy5``/``xi2ps_r``/``x5e5zv3`` as the backend's
#: ``a0``/``m0``/``h0``.
COLLIDING = ("sid", "id", "xisvisyc", "x5e5zqa", "f_loczw", "f_vfbpa", "xbsr85ra", "x5e5zy5", "xi2ps_r", "x5e5zv3")
LONG = "b" + "x" * 65_536


def _choices(rng: random.Random) -> tuple[str, ...]:
    count = rng.choice([2, 3, 6, 40, 600])
    values = [f"v{i}" for i in range(count)]
    if rng.random() < 0.3:
        values[:2] = ["b", LONG]
    return tuple(values)


def _facts(rng: random.Random, derived_levels: int) -> dict[str, Fact]:
    names = list(COLLIDING) + [f"g{i}" for i in range(rng.randint(2, 8))]
    rng.shuffle(names)
    facts: dict[str, Fact] = {}
    for name in names[: rng.randint(3, len(names))]:
        kind = rng.choice([FactType.CHOICE, FactType.BOOLEAN, FactType.INTEGER])
        if kind is FactType.CHOICE:
            facts[name] = Fact(name, kind, "A choice.", HERE, tuple(Choice(v) for v in _choices(rng)), question="?")
        elif kind is FactType.INTEGER:
            facts[name] = Fact(name, kind, "A number.", HERE, minimum=-20, maximum=20, question="?")
        else:
            facts[name] = Fact(name, kind, "A flag.", HERE, question="?")
    for level in range(derived_levels):
        name = f"d{level}"
        facts[name] = Fact(name, FactType.BOOLEAN, "Derived.", HERE, derived=True)
    return facts


def _comparison(rng: random.Random, fact: Fact) -> Comparison:
    if fact.type is FactType.BOOLEAN:
        return Comparison(fact.name, Operator.EQ if rng.random() < 0.7 else Operator.NE, rng.random() < 0.6)
    if fact.type is FactType.INTEGER:
        op = rng.choice([Operator.LT, Operator.LTE, Operator.GT, Operator.GTE, Operator.EQ, Operator.NE,
                         Operator.BETWEEN])
        if op is Operator.BETWEEN:
            low = rng.randint(-20, 10)
            return Comparison(fact.name, op, (low, low + rng.randint(0, 10)))
        return Comparison(fact.name, op, rng.randint(-22, 22))
    values = fact.values
    op = rng.choice([Operator.EQ, Operator.NE, Operator.IN, Operator.IN, Operator.NOT_IN])
    if op in (Operator.IN, Operator.NOT_IN):
        picked = tuple(dict.fromkeys(rng.sample(values, rng.randint(2, len(values)))))
        return Comparison(fact.name, op, picked)
    return Comparison(fact.name, op, rng.choice(values[:3]))


def _condition(rng: random.Random, readable: list[Fact], depth: int = 0) -> object:
    roll = rng.random()
    if depth >= 2 or roll < 0.5:
        return _comparison(rng, rng.choice(readable))
    parts = tuple(_condition(rng, readable, depth + 1) for _ in range(rng.randint(1, 3)))
    if roll < 0.75:
        return AllOf(parts)
    if roll < 0.92:
        return AnyOf(parts)
    return Not(parts[0])


def random_kb(size: int, seed: int) -> KnowledgeBase:
    """A knowledge base of ``size`` rules (see the module docstring); derived facts are only
    ever ``true``, so no two rules conflict."""
    rng = random.Random(seed)
    levels = rng.randint(1, 4)
    facts = _facts(rng, levels)
    askable = [fact for fact in facts.values() if not fact.derived]
    advice = {
        f"a{i}": Advice(f"a{i}", rng.choice(list(AdviceKind)), f"Advice {i}", "Text.", "test", HERE)
        for i in range(rng.randint(3, 12))
    }
    ids = list(advice)
    for i, key in enumerate(ids[:-1]):
        if rng.random() < 0.2:
            old = advice[key]
            replaces = (rng.choice(ids[i + 1:]),)
            advice[key] = Advice(old.id, old.kind, old.title, old.text, old.source, HERE, replaces=replaces)
    rules = []
    for number in range(size):
        level = rng.randint(0, levels)
        readable = askable + [facts[f"d{k}"] for k in range(level)]
        tests = [_condition(rng, readable) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.02:  # a rule past durable's connective limit (14 `any` groups)
            pair = lambda: (_comparison(rng, rng.choice(askable)), _comparison(rng, rng.choice(askable)))  # noqa: E731
            tests = [AnyOf(pair()) for _ in range(16)]
        derive: tuple = ((f"d{level}", True),) if level < levels and rng.random() < 0.4 else ()
        advise = tuple(rng.sample(ids, rng.randint(1, 2))) if not derive or rng.random() < 0.5 else ()
        rules.append(Rule(f"rule_{number}", "A generated rule.", AllOf(tuple(tests)), derive, advise, "test",  # type: ignore[arg-type]
                          HERE, rng.choice([-10, 0, 0, 0, 5, 40]), number))
    return KnowledgeBase.assemble(HERE.file, facts, advice, rules)


def random_facts(kb: KnowledgeBase, rng: random.Random) -> dict[str, object]:
    """Random values for some of ``kb``'s askable facts (long values and their prefixes often)."""
    given: dict[str, object] = {}
    for fact in kb.facts.values():
        if fact.derived or rng.random() < 0.3:
            continue
        if fact.type is FactType.CHOICE:
            given[fact.name] = rng.choice(fact.values[:3] if rng.random() < 0.6 else fact.values)
        elif fact.type is FactType.INTEGER:
            given[fact.name] = rng.randint(-20, 20)
        else:
            given[fact.name] = rng.random() < 0.5
    return given
