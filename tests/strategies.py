"""Hypothesis strategies: random conditions, knowledge bases and fact sets over a small fact space."""

from __future__ import annotations


from hypothesis import strategies as st
from orderdoctor.engine.location import Location
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
            op = draw(st.sampled_from([Operator.EQ, Operator.NE, Operator.IN]))
            if op is Operator.IN:
                values = tuple(draw(st.lists(st.sampled_from(fact.values), min_size=2, max_size=3, unique=True)))
                return Comparison(fact.name, op, values)
            return Comparison(fact.name, op, draw(st.sampled_from(fact.values)))
        if fact.type is FactType.BOOLEAN:
            return Comparison(fact.name, draw(st.sampled_from([Operator.EQ, Operator.NE])), draw(st.booleans()))
        op = draw(st.sampled_from(list(Operator)))
        if op is Operator.IN:
            return Comparison(fact.name, op, tuple(draw(st.lists(st.integers(-6, 6), min_size=2, max_size=3, unique=True))))
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
