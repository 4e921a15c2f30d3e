"""What a rule needs of the facts before it can fire: its *requirements* and its *entry key*; pure data.

A test on an unknown fact never holds, and facts are only ever added, so the comparisons at the
top of a rule's condition (its requirements) must all hold before the rule can fire, and go on
holding once they do. :mod:`.compiler` uses them to plan shards (the entry keys: a fact each rule
cannot fire without, and its values) and :mod:`.backend` to decide which shards to give durable
to match. Only necessary conditions: durable does the matching.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from .memo import remembered
from .model import AllOf, AnyOf, Comparison, Condition, KnowledgeBase, Not, Rule, Value

__all__ = ["Requirements", "entry", "entry_key", "entry_keys", "keys_of", "requirements"]

#: What a rule requires of the facts to be able to fire: (fact, a test its value must pass —
#: None: it must merely be known), one entry per comparison its condition makes outright.
Requirements = tuple[tuple[str, "Callable[[Value], bool] | None"], ...]


def _requirement(comparison: Comparison, holds: bool) -> tuple[str, Callable[[Value], bool] | None]:
    """The test a fact's value must pass for ``comparison`` to hold (or, with ``holds=False``,
    to fail), as its operator states it (:meth:`.operators.Operator.requirement`)."""
    return comparison.fact, comparison.operator.requirement(comparison.value, holds)


def requirements(rule: Rule) -> Requirements:
    """What ``rule``'s condition requires of the facts outright (a comparison, or the ``not`` of
    one, at the top of an ``all``). A test on an unknown fact never holds, so the rule cannot
    fire until every requirement holds; since facts are only ever added, once they hold they go
    on holding. Only a necessary condition: durable does the matching."""
    parts = rule.when.conditions if isinstance(rule.when, AllOf) else (rule.when,)
    required = []
    for part in parts:
        if isinstance(part, Not) and isinstance(part.condition, Comparison):
            required.append(_requirement(part.condition, holds=False))
        elif isinstance(part, Comparison):
            required.append(_requirement(part, holds=True))
    return tuple(required)


def _required_values(rule: Rule, fact: str) -> frozenset[Value] | None:
    """The values ``fact`` must have for ``rule`` to fire, when its condition says so outright."""
    return _required_of(rule.when, fact)


def _required_of(condition: Condition, fact: str) -> frozenset[Value] | None:
    """The values ``fact`` must have for ``condition`` to hold, when it says so outright (a
    comparison at its top)."""
    parts = condition.conditions if isinstance(condition, AllOf) else (condition,)
    for part in parts:
        if isinstance(part, Comparison) and part.fact == fact:
            values = part.operator.required_values(part.value)
            if values is not None:
                return values
    return None


def entry_key(kb: KnowledgeBase, rule: Rule) -> tuple[str, frozenset[Value] | None] | None:
    """A fact ``rule`` cannot fire without, and the values it must have (None: any value, as
    for ``days_left < 3`` — a test on an unknown fact never holds); for a condition with no
    comparison at its top, a fact every branch of an ``any`` group compares
    (:func:`_shared_key`); None when the condition requires no single fact. Chosen to rule the rule out most often:
    the largest share of the fact's possible values excluded (a choice of six values required
    to be one: five sixths), then a derived fact (unknown until some rule concludes it)."""
    parts = rule.when.conditions if isinstance(rule.when, AllOf) else (rule.when,)
    best: tuple[tuple[float, int], str, frozenset[Value] | None] | None = None
    for part in parts:
        if not isinstance(part, Comparison):
            continue
        values = _required_values(rule, part.fact)
        score = _score(kb, part.fact, values)
        if best is None or score > best[0]:
            best = (score, part.fact, values)
    if best is None:
        return _shared_key(kb, parts)
    return best[1], best[2]


def _score(kb: KnowledgeBase, name: str, values: frozenset[Value] | None) -> tuple[float, int]:
    """How well requiring fact ``name`` to have one of ``values`` rules a rule out: the share of
    its possible values excluded, then whether it is derived."""
    fact = kb.facts[name]
    domain = len(fact.values) if fact.values else 2
    return (0.0 if values is None else (domain - len(values)) / domain, int(fact.derived))


def _shared_key(kb: KnowledgeBase, parts: tuple[Condition, ...]) -> tuple[str, frozenset[Value] | None] | None:
    """For a condition with no comparison at its top: a fact every branch of one of its ``any``
    groups compares outright, and the values it may then have (the union of the branches'); None
    when there is none. The group holds only if a branch does, so the rule needs the fact too."""
    best: tuple[tuple[float, int], str, frozenset[Value] | None] | None = None
    for part in parts:
        if not isinstance(part, AnyOf) or not part.conditions:
            continue
        branches = [branch.conditions if isinstance(branch, AllOf) else (branch,) for branch in part.conditions]
        shared = set.intersection(*({c.fact for c in branch if isinstance(c, Comparison)} for branch in branches))
        for name in sorted(shared):
            found = [_required_of(branch, name) for branch in part.conditions]
            sets = [v for v in found if v is not None]
            values = frozenset(value for v in sets for value in v) if len(sets) == len(found) else None
            score = _score(kb, name, values)
            if best is None or score > best[0]:
                best = (score, name, values)
    return None if best is None else (best[1], best[2])


def keys_of(kb: KnowledgeBase) -> tuple[tuple[str, frozenset[Value] | None] | None, ...]:
    """The entry key of every rule of ``kb``, in order (worked out once per kb)."""
    return remembered(kb, "_entry_keys", lambda kb: tuple(entry_key(kb, rule) for rule in kb.rules))


def entry(kb: KnowledgeBase, indices: list[int]) -> Mapping[str, frozenset[Value] | None] | None:
    """The entry keys of the rules at ``indices``, merged by fact; None if one rule has none."""
    entry: dict[str, frozenset[Value] | None] = {}
    for index in indices:
        key = keys_of(kb)[index]
        if key is None:
            return None
        fact, values = key
        if fact in entry:
            known = entry[fact]
            entry[fact] = None if known is None or values is None else known | values
        else:
            entry[fact] = values
    return MappingProxyType(entry)


def entry_keys(kb: KnowledgeBase, indices: list[int]) -> Mapping[int, tuple[str, frozenset[Value] | None]]:
    """The entry key of each rule at ``indices`` (when every one has one: see :func:`entry`)."""
    keys = {index: keys_of(kb)[index] for index in indices}
    return MappingProxyType({index: key for index, key in keys.items() if key is not None})
