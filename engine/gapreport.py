"""The report of ``kb check``'s gap check: combinations without advice, aggregated and located.

:func:`.lint.gaps` lists every combination of the ``gaps:`` facts of checks.yaml for which no
advice can be given. Here they become few findings: combinations that differ only in one fact and
together take every value of it are written once with ``fact=*`` (repeatedly, so a fact value no
rule handles reads ``order_status=on_hold, tracking_note=*, seller_response=*``); then patterns that
differ in one fact only are merged into a set of its values (``seller_response≠offers_refund``,
``tracking_note in [none, stalled]``). Each finding is
located at the value in facts.yaml that the fewest rules mention among the values it fixes — the
value that made the gap, typically one just added — or at ``gaps:`` in checks.yaml when it fixes
none. Explanations are matched per combination before aggregating, so an ``explained`` pattern
covers exactly the combinations it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .location import Location
from .model import FactType, KnowledgeBase, Value, comparisons_in

__all__ = ["ANY", "aggregate", "gap_location", "show_pattern"]

#: A fact every value of which is in the aggregated combinations.
ANY = "*"

Pattern = tuple["Value | tuple[Value, ...]", ...]


def _values(kb: KnowledgeBase, name: str) -> tuple[Value, ...]:
    fact = kb.facts[name]
    return tuple(fact.values) if fact.type is FactType.CHOICE else (True, False)


def aggregate(kb: KnowledgeBase, facts: Sequence[str], combinations: Sequence[Mapping[str, Value]]) -> list[Pattern]:
    """``combinations`` as patterns, ``*`` standing for every value of a fact (in the order of
    the combinations, a merged pattern where its first combination was)."""
    patterns: list[Pattern] = [tuple(c[name] for name in facts) for c in combinations]
    changed = True
    while changed:
        changed = False
        for index in reversed(range(len(facts))):
            wanted = set(_values(kb, facts[index]))
            groups: dict[Pattern, list[Pattern]] = {}
            for pattern in patterns:
                groups.setdefault(pattern[:index] + pattern[index + 1:], []).append(pattern)
            merged: list[Pattern] = []
            for rest, members in groups.items():
                if {m[index] for m in members} == wanted:
                    merged.append(rest[:index] + (ANY,) + rest[index:])
                    changed = True
                else:
                    merged.extend(members)
            patterns = merged
    return _value_sets(patterns)


def _value_sets(patterns: list[Pattern]) -> list[Pattern]:
    """Patterns that differ in one fact only, merged into one with a tuple of its values."""
    for index in reversed(range(len(patterns[0]) if patterns else 0)):
        groups: dict[Pattern, list[Pattern]] = {}
        for pattern in patterns:
            groups.setdefault(pattern[:index] + pattern[index + 1:], []).append(pattern)
        merged: list[Pattern] = []
        for rest, members in groups.items():
            singles = [m for m in members if not isinstance(m[index], tuple)]
            values: list[Value] = [m[index] for m in singles]  # type: ignore[misc]
            if len(values) > 1 and ANY not in values:
                merged.append(rest[:index] + (tuple(values),) + rest[index:])
                merged.extend(m for m in members if isinstance(m[index], tuple))
            else:
                merged.extend(members)
        patterns = merged
    return patterns


def show_pattern(kb: KnowledgeBase, facts: Sequence[str], pattern: Pattern) -> str:
    """``fact=value, fact=*, fact in [a, b], fact≠c``: the subject of a gap finding."""
    return ", ".join(_show_part(kb, name, value) for name, value in zip(facts, pattern, strict=True))


def _show_part(kb: KnowledgeBase, name: str, value: Value | tuple[Value, ...]) -> str:
    if not isinstance(value, tuple):
        return f"{name}={_show(value)}"
    left = [v for v in _values(kb, name) if v not in value]
    if len(left) == 1:
        return f"{name}≠{_show(left[0])}"
    if len(left) < len(value):
        return f"{name} not in [{', '.join(_show(v) for v in left)}]"
    return f"{name} in [{', '.join(_show(v) for v in value)}]"


def _show(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def gap_location(
    kb: KnowledgeBase, facts: Sequence[str], pattern: Pattern,
    value_locations: Mapping[str, Location], fallback: Location,
) -> Location:
    """Where a gap is reported: the value ``pattern`` names (alone or in a set) that the fewest rules
    mention, in facts.yaml; ``fallback`` when it names none."""
    mentions: dict[tuple[str, Value], int] = {}
    for rule in kb.rules:
        seen = {(c.fact, v) for c in comparisons_in(rule.when) for v in c.operator.mentioned(c.value)}
        for key in seen:
            mentions[key] = mentions.get(key, 0) + 1
    fixed = [(name, one) for name, value in zip(facts, pattern, strict=True) if value != ANY
             for one in (value if isinstance(value, tuple) else (value,))]
    if not fixed:
        return fallback
    name, value = min(fixed, key=lambda pair: mentions.get(pair, 0))
    return value_locations.get(f"{name}={_show(value)}") or kb.facts[name].location
