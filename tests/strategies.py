"""Hypothesis strategies: random conditions, knowledge bases and fact sets over a small fact space."""

from __future__ import annotations


from hypothesis import strategies as st
from orderdoctor.engine.location import Location
from orderdoctor.engine.operators import Shape
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
    Operator,
    Rule,
)

HERE = Location("<generated>")
COLOURS = ("red", "green", "blue")
SIZES = ("small", "large")

BASE_FACTS = {
    "colour": Fact("colour", FactType.CHOICE, "A colour.", HERE, tuple(Choice(v) for v in COLOURS)),
    "size": Fact("size", FactType.CHOICE, "A size.", HERE, tuple(Choice(v) for v in SIZES)),
    "count": Fact("count", FactType.INTEGER, "A count.", HERE, minimum=-5, maximum=5),
    "flag": Fact("flag", FactType.BOOLEAN, "A flag.", HERE),
}
DERIVED_FACTS = {
    "level1": Fact("level1", FactType.BOOLEAN, "Derived from given facts.", HERE, derived=True),
    "level2": Fact("level2", FactType.CHOICE, "Derived from level1.", HERE,
                   tuple(Choice(v) for v in ("hot", "cold")), derived=True),
}
ADVICE = {
    name: Advice(name, kind, name.replace("_", " "), "Text.", "test", HERE)
    for name, kind in [("act_a", AdviceKind.ACTION), ("act_b", AdviceKind.ACTION),
                       ("warn_c", AdviceKind.WARNING), ("info_d", AdviceKind.INFO)]
}


def comparisons(facts: dict[str, Fact]):
    @st.composite
    def build(draw):
        fact = facts[draw(st.sampled_from(sorted(facts)))]
        if fact.type is FactType.CHOICE:
            op = draw(st.sampled_from([Operator.EQ, Operator.NE, Operator.IN, Operator.NOT_IN]))
            if op.shape is Shape.LIST:
                values = tuple(draw(st.lists(st.sampled_from(fact.values), min_size=2, max_size=3, unique=True)))
                return Comparison(fact.name, op, values)
            return Comparison(fact.name, op, draw(st.sampled_from(fact.values)))
        if fact.type is FactType.BOOLEAN:
            return Comparison(fact.name, draw(st.sampled_from([Operator.EQ, Operator.NE])), draw(st.booleans()))
        op = draw(st.sampled_from(list(Operator)))  # every registered operator takes integers
        if op.shape is Shape.LIST:
            return Comparison(fact.name, op, tuple(draw(st.lists(st.integers(-6, 6), min_size=2, max_size=3, unique=True))))
        if op.shape is Shape.PAIR:
            low = draw(st.integers(-6, 6))
            return Comparison(fact.name, op, (low, draw(st.integers(low, 6))))
        return Comparison(fact.name, op, draw(st.integers(-6, 6)))

    return build()


def conditions(facts: dict[str, Fact], max_leaves: int = 6):
    return st.recursive(
        comparisons(facts),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda cs: AllOf(tuple(cs))),
            st.lists(inner, min_size=1, max_size=3).map(lambda cs: AnyOf(tuple(cs))),
            inner.map(Not),
        ),
        max_leaves=max_leaves,
    )


def fact_sets():
    """Partial assignments of the base facts (any subset may be unknown)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "colour": st.sampled_from(COLOURS),
            "size": st.sampled_from(SIZES),
            "count": st.integers(-5, 5),
            "flag": st.booleans(),
        },
    )


@st.composite
def knowledge_bases(draw):
    """2–8 rules: some derive level1 from given facts, some level2 from level1, the rest advise."""
    rules = []
    n = draw(st.integers(2, 8))
    with_level1 = {**BASE_FACTS, "level1": DERIVED_FACTS["level1"]}
    everything = {**with_level1, "level2": DERIVED_FACTS["level2"]}
    for i in range(n):
        role = draw(st.sampled_from(["level1", "level2", "advice"]))
        if role == "level1":
            when, derive, advise = draw(conditions(BASE_FACTS)), (("level1", True),), ()
        elif role == "level2":
            when = AllOf((Comparison("level1", Operator.EQ, True), draw(conditions(BASE_FACTS, 3))))
            derive, advise = (("level2", "hot"),), ()
        else:
            when, derive = draw(conditions(everything)), ()
            advise = tuple(draw(st.lists(st.sampled_from(sorted(ADVICE)), min_size=1, max_size=2, unique=True)))
        priority = draw(st.integers(-2, 2))
        rules.append(Rule(f"rule_{i}", "A generated rule.", when, derive, advise, "test", HERE, priority, i))
    facts = {**BASE_FACTS, **DERIVED_FACTS}
    return KnowledgeBase.assemble(HERE.file, facts, ADVICE, rules)


def kb_fact_sets(kb: KnowledgeBase, around: int = 30):
    """Any partial assignment of ``kb``'s askable facts; integers mostly near the thresholds."""
    optional = {}
    for fact in kb.facts.values():
        if fact.derived:
            continue
        if fact.type is FactType.CHOICE:
            optional[fact.name] = st.sampled_from(fact.values)
        elif fact.type is FactType.BOOLEAN:
            optional[fact.name] = st.booleans()
        else:
            low = fact.minimum if fact.minimum is not None else -1000
            high = fact.maximum if fact.maximum is not None else 1000
            optional[fact.name] = st.integers(max(low, -around), min(high, around)) | st.integers(low, high)
    return st.fixed_dictionaries({}, optional=optional)


def sized_kb(kb: KnowledgeBase, total: int, keep: frozenset[str] = frozenset(), seed: int = 1) -> KnowledgeBase:
    """``kb`` with exactly ``total`` rules: grown by :func:`extended_kb`, or cut by dropping its last rules
    (never those named in ``keep``), so a test can pin the one-shard and sharded sizes whatever the
    shipped kb's size is."""
    if total >= len(kb.rules):
        return extended_kb(kb, total, seed=seed)
    rules = list(kb.rules)
    for rule in reversed(kb.rules):
        if len(rules) == total:
            break
        if rule.id not in keep:
            rules.remove(rule)
    assert len(rules) == total, "too many rules to keep"
    return KnowledgeBase.assemble(kb.root, kb.facts, kb.advice, rules, kb.sources)


def extended_kb(kb: KnowledgeBase, total: int, seed: int = 1) -> KnowledgeBase:
    """``kb`` with advice-only rules appended until it holds ``total`` rules: random ``all``/``any``/
    ``not``/``in`` conditions over its askable facts, random priorities (past 64 rules the backend
    shards, so the extra rules spread ``kb``'s own across shards)."""
    import random

    rng = random.Random(seed)
    askable = [fact for fact in kb.facts.values() if not fact.derived]
    advice = sorted(kb.advice)
    extra = []
    order = max((rule.position for rule in kb.rules), default=0)
    for number in range(total - len(kb.rules)):
        parts = tuple(_random_test(rng, rng.choice(askable)) for _ in range(rng.randint(1, 3)))
        when = rng.choice([AllOf, AllOf, AnyOf])(parts)
        if rng.random() < 0.2:
            when = Not(when)
        extra.append(Rule(f"extra_{number}", "A generated rule.", when, (), (rng.choice(advice),), "test", HERE,
                          rng.randint(-20, 50), order + 1 + number))
    return KnowledgeBase.assemble(kb.root, kb.facts, kb.advice, [*kb.rules, *extra], kb.sources)


def _random_test(rng, fact: Fact) -> Comparison:
    if fact.type is FactType.CHOICE:
        if rng.random() < 0.3:
            return Comparison(fact.name, Operator.IN, tuple(rng.sample(fact.values, min(2, len(fact.values)))))
        return Comparison(fact.name, rng.choice([Operator.EQ, Operator.EQ, Operator.NE]), rng.choice(fact.values))
    if fact.type is FactType.BOOLEAN:
        return Comparison(fact.name, Operator.EQ, rng.random() < 0.5)
    low = fact.minimum if fact.minimum is not None else -30
    high = fact.maximum if fact.maximum is not None else 30
    op = rng.choice([Operator.LT, Operator.LTE, Operator.GT, Operator.GTE, Operator.EQ])
    return Comparison(fact.name, op, rng.randint(max(low, -30), min(high, 30)))


def chained_kb(total: int, seed: int = 1) -> KnowledgeBase:
    """A knowledge base of ``total`` rules over the synthetic kb's facts (benchmarks/synthetic.py)
    whose conditions nest ``all``/``any``/``not``/``in`` (the synthetic rules are plain ``all`` of
    comparisons): a quarter derive a level-1 fact from askable facts, a quarter a level-2 fact
    from level-1 facts, half advise from level-2 facts; priorities -3..3, so rules ready at once
    are spread over the shards. Derived facts are only ever ``true`` (no conflicts)."""
    import random

    rng = random.Random(seed)
    base = synthetic_facts()
    askable = [fact for fact in base.values() if not fact.derived]
    advice = {f"a{i}": Advice(f"a{i}", AdviceKind.ACTION, f"Advice {i}", "Text.", "test", HERE) for i in range(20)}
    rules = []
    for number in range(total):
        level = rng.choice([1, 2, 3, 3])
        tests: list = [_random_test(rng, rng.choice(askable)) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            tests[0] = AnyOf((tests[0], _random_test(rng, rng.choice(askable))))
        if rng.random() < 0.2:
            tests[-1] = Not(tests[-1])
        if level > 1:
            low = 0 if level == 2 else 10
            needed = [Comparison(f"d{low + rng.randrange(10)}", Operator.EQ, True) for _ in range(rng.randint(1, 2))]
            tests.append(AnyOf(tuple(needed)) if len(needed) > 1 and rng.random() < 0.5 else needed[0])
            tests = tests[-3:]
        derive: tuple = ()
        advise: tuple = ()
        if level == 3:
            advise = (f"a{rng.randrange(20)}",)
        else:
            derive = ((f"d{(level - 1) * 10 + rng.randrange(10)}", True),)
        rules.append(Rule(f"rule_{number}", "A generated rule.", AllOf(tuple(tests)), derive, advise, "test", HERE,
                          rng.randint(-3, 3), number))
    return KnowledgeBase.assemble(HERE.file, base, advice, rules)


def synthetic_facts() -> dict[str, Fact]:
    """The synthetic kb's facts: 12 choices c0..c11 (v0..v5), 8 integers n0..n7 (-50..50), 30
    derived booleans d0..d29."""
    facts: dict[str, Fact] = {}
    for i in range(12):
        facts[f"c{i}"] = Fact(f"c{i}", FactType.CHOICE, "A choice.", HERE, tuple(Choice(f"v{j}") for j in range(6)))
    for i in range(8):
        facts[f"n{i}"] = Fact(f"n{i}", FactType.INTEGER, "A number.", HERE, minimum=-50, maximum=50)
    for i in range(30):
        facts[f"d{i}"] = Fact(f"d{i}", FactType.BOOLEAN, "Derived.", HERE, derived=True)
    return facts
