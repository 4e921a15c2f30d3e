"""Synthetic knowledge bases with the shipped one's shape, at any size.

12 choice facts (6 values each) and 8 integer facts (-50..50) that can be asked; 30 derived
booleans in three levels. Each rule has 2–4 conditions on the askable facts; a quarter of the rules
derive a level-1 fact from askable facts only, a quarter derive a level-2 fact from a level-1 fact,
and half give advice from a level-2 fact — chains of derived facts three deep, as in the shipped kb.
Seeded, so every run builds the same knowledge base.
"""

from __future__ import annotations

import random

from orderdoctor.engine.location import Location
from orderdoctor.engine.model import (
    Advice,
    AdviceKind,
    AllOf,
    Choice,
    Comparison,
    Fact,
    FactType,
    KnowledgeBase,
    Operator,
    Rule,
)

HERE = Location("<synthetic>")


def synthetic_kb(rules: int, seed: int = 1) -> KnowledgeBase:
    rng = random.Random(seed)
    facts: dict[str, Fact] = {}
    for i in range(12):
        facts[f"c{i}"] = Fact(f"c{i}", FactType.CHOICE, "A choice.", HERE,
                              tuple(Choice(f"v{j}") for j in range(6)), question="?")
    for i in range(8):
        facts[f"n{i}"] = Fact(f"n{i}", FactType.INTEGER, "A number.", HERE, minimum=-50, maximum=50, question="?")
    for i in range(30):
        facts[f"d{i}"] = Fact(f"d{i}", FactType.BOOLEAN, "Derived.", HERE, derived=True)
    advice = {f"a{i}": Advice(f"a{i}", AdviceKind.ACTION, f"Advice {i}", "Text.", "synthetic", HERE) for i in range(40)}
    askable = [name for name, fact in facts.items() if not fact.derived]
    made = []
    for number in range(rules):
        conditions = []
        for name in rng.sample(askable, rng.randint(2, 4)):
            fact = facts[name]
            if fact.type is FactType.CHOICE:
                conditions.append(Comparison(name, Operator.EQ, rng.choice(fact.values)))
            else:
                conditions.append(Comparison(name, rng.choice([Operator.LT, Operator.GTE]), rng.randint(-40, 40)))
        level = rng.choice([1, 2, 3, 3])
        derive: tuple = ()
        advise: tuple = ()
        if level == 1:
            derive = ((f"d{rng.randrange(10)}", True),)
        elif level == 2:
            conditions = conditions[:2] + [Comparison(f"d{rng.randrange(10)}", Operator.EQ, True)]
            derive = ((f"d{10 + rng.randrange(10)}", True),)
        else:
            conditions = conditions[:2] + [Comparison(f"d{10 + rng.randrange(10)}", Operator.EQ, True)]
            advise = (f"a{rng.randrange(40)}",)
        made.append(Rule(f"r{number}", "A synthetic rule.", AllOf(tuple(conditions)), derive, advise,
                         "synthetic", HERE, rng.randint(-2, 2), number))
    return KnowledgeBase.assemble(HERE.file, facts, advice, made)


def synthetic_cases(count: int, seed: int = 7) -> list[dict]:
    """Fact sets for the synthetic knowledge bases: every askable fact given."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        facts: dict = {f"c{j}": f"v{rng.randrange(6)}" for j in range(12)}
        facts.update({f"n{j}": rng.randint(-50, 50) for j in range(8)})
        cases.append(facts)
    return cases
