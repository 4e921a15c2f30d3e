"""The situation space of a review (:mod:`.review`): which values each fact takes, and which
situations are enumerated.

**The space.** Every fact the buyer can give takes each of its values, or is *not given*. Choice
and boolean facts take all their values; an integer fact takes every threshold ±1 that the rules,
the advice contracts (``requires``), the deadline offsets (the value at which a deadline falls due)
and the urgency limits (the value at which a deadline moves past an ``urgent_within``) compare it
with. The full space is the product over all facts of (values + 1); it is far too large to run, so
the review enumerates:

- **the base** (:func:`base_situations`): every combination of the *deciding* facts (``deciding:``
  in review.yaml), each also not given, with every other fact not given;
- **pairs** (:func:`pairwise_cover`): a greedy covering of the *remaining* facts: every value of
  every remaining fact appears at least once with every value (and "not given") of every deciding
  fact, and with every value of every other remaining fact.

Situations matched by an ``out_of_scope`` entry are not built; the base is pruned as it is built
(:class:`Scope`), so a whole branch (say, every situation without an order status) costs one test.
This module reads no file, runs no consultation and prints nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence

from .model import FactType, KnowledgeBase, Value, comparisons_in

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from .review import OutOfScope

__all__ = ["NOT_GIVEN", "Scope", "base_situations", "fact_values", "pairwise_cover"]

#: A fact that is not given, in an axis of values.
NOT_GIVEN: object = type("NotGiven", (), {"__repr__": lambda self: "NOT_GIVEN"})()


def _integer_points(kb: KnowledgeBase, name: str) -> list[int]:
    fact = kb.facts[name]
    points: set[int] = set()

    def around(value: object) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            points.update((value - 1, value, value + 1))

    conditions = [rule.when for rule in kb.rules] + [a.requires for a in kb.advice.values() if a.requires]
    for condition in conditions:
        for comparison in comparisons_in(condition):
            if comparison.fact == name:
                values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
                for value in values:
                    around(value)
    limits = sorted({a.urgent_within for a in kb.advice.values() if a.urgent_within is not None})
    for advice in kb.advice.values():
        if advice.deadline is not None and advice.deadline.fact == name:
            offset = advice.deadline.offset
            around(-offset)  # the deadline falls due (0 days left); below it has passed
            for limit in limits:
                around(limit - offset)  # the deadline moves past an act-now limit
    return sorted(p for p in points if (fact.minimum is None or p >= fact.minimum)
                  and (fact.maximum is None or p <= fact.maximum))


def fact_values(kb: KnowledgeBase, name: str) -> tuple[Value, ...]:
    """The values the review gives fact ``name`` (besides "not given")."""
    fact = kb.facts[name]
    if fact.type is FactType.CHOICE:
        return tuple(fact.values)
    if fact.type is FactType.BOOLEAN:
        return (True, False)
    return tuple(_integer_points(kb, name))


Pair = tuple[tuple[str, object], tuple[str, object]]


def pairwise_cover(
    axes: Mapping[str, Sequence[object]],
    deciding: Sequence[str],
    remaining: Sequence[str],
    pruned: Callable[[Mapping[str, object]], bool] = lambda facts: False,
) -> tuple[list[dict[str, object]], int, int]:
    """A greedy covering of the pairs the review needs.

    ``axes`` gives each fact's values (a deciding fact's include ``NOT_GIVEN``; a remaining fact's
    do not). Required: every value of every remaining fact with every value of every deciding fact,
    and with every value of every other remaining fact. Each situation assigns every fact (possibly
    ``NOT_GIVEN``); one that ``pruned`` (out of scope) refuses is never built, and a pair that only
    such situations could hold is left out. Returns the situations, the number of required pairs,
    and how many of them could not be covered in scope.
    """
    order = {name: i for i, name in enumerate([*remaining, *deciding])}

    def key(a: tuple[str, object], b: tuple[str, object]) -> Pair:
        return (a, b) if order[a[0]] < order[b[0]] else (b, a)

    uncovered: set[Pair] = set()
    for i, r in enumerate(remaining):
        for v in axes[r]:
            for d in deciding:
                for w in axes[d]:
                    uncovered.add(key((r, v), (d, w)))
            for other in remaining[i + 1:]:
                for w in axes[other]:
                    uncovered.add(key((r, v), (other, w)))
    required = len(uncovered)
    impossible = 0
    tests: list[dict[str, object]] = []
    seeds = sorted(uncovered, key=lambda p: (order[p[0][0]], order[p[1][0]], _rank(axes, p)))
    for seed in seeds:
        if seed not in uncovered:
            continue
        (f1, v1), (f2, v2) = seed
        test: dict[str, object] = {f1: v1, f2: v2}
        if pruned(test) or not _complete(test, axes, remaining, deciding, uncovered, key, pruned):
            uncovered.discard(seed)
            impossible += 1
            continue
        names = list(test)
        for a, b in itertools.combinations(names, 2):
            uncovered.discard(key((a, test[a]), (b, test[b])))
        tests.append(test)
    return tests, required, impossible


def _rank(axes: Mapping[str, Sequence[object]], pair: Pair) -> tuple[int, int]:
    return tuple(list(axes[name]).index(value) for name, value in pair)  # type: ignore[return-value]


def _complete(
    test: dict[str, object],
    axes: Mapping[str, Sequence[object]],
    remaining: Sequence[str],
    deciding: Sequence[str],
    uncovered: set[Pair],
    key: Callable[[tuple[str, object], tuple[str, object]], Pair],
    pruned: Callable[[Mapping[str, object]], bool],
) -> bool:
    """Give every other fact the value that covers most uncovered pairs (ties: not given first,
    then the first value), never one that puts the situation out of scope."""
    for name in [*remaining, *deciding]:
        if name in test:
            continue
        candidates = list(axes[name])
        if NOT_GIVEN not in candidates:
            candidates.insert(0, NOT_GIVEN)
        else:
            candidates.remove(NOT_GIVEN)
            candidates.insert(0, NOT_GIVEN)
        best: object = None
        best_score = -1
        for value in candidates:
            score = sum(1 for other, seen in test.items() if key((name, value), (other, seen)) in uncovered)
            if score > best_score:
                test[name] = value
                if pruned(test):
                    del test[name]
                    continue
                del test[name]
                best, best_score = value, score
        if best_score < 0:
            return False
        test[name] = best
    return True


class Scope:
    """The out_of_scope entries, each checked once its facts are all assigned."""

    def __init__(self, entries: Sequence[OutOfScope], order: Sequence[str]) -> None:
        position = {name: i for i, name in enumerate(order)}
        self.at: dict[int, list[tuple[int, OutOfScope]]] = {}
        self.late: list[tuple[int, OutOfScope]] = []  # entries reading facts outside ``order``
        for index, entry in enumerate(entries):
            reads = entry.reads
            if all(name in position for name in reads):
                level = max((position[name] for name in reads), default=0)
                self.at.setdefault(level, []).append((index, entry))
            else:
                self.late.append((index, entry))
        self.entries = entries

    def first_match(self, facts: Mapping[str, object]) -> int | None:
        for index, entry in enumerate(self.entries):
            if entry.matches(facts):
                return index
        return None


def base_situations(
    deciding: Sequence[str],
    axes: Mapping[str, Sequence[object]],
    scope: Scope,
    removed: dict[int, int],
) -> Iterator[dict[str, object]]:
    """Every combination of the deciding facts, out-of-scope branches cut as early as possible."""
    sizes = [len(axes[name]) for name in deciding]
    below = [1] * (len(deciding) + 1)
    for i in range(len(deciding) - 1, -1, -1):
        below[i] = below[i + 1] * sizes[i]
    assigned: dict[str, object] = {}

    def walk(level: int) -> Iterator[dict[str, object]]:
        if level == len(deciding):
            for index, entry in scope.late:
                if entry.matches(assigned):
                    removed[index] = removed.get(index, 0) + 1
                    return
            yield dict(assigned)
            return
        name = deciding[level]
        checks = scope.at.get(level, ())
        for value in axes[name]:
            assigned[name] = value
            hit = next((index for index, entry in checks if entry.matches(assigned)), None)
            if hit is not None:
                removed[hit] = removed.get(hit, 0) + below[level + 1]
                continue
            yield from walk(level + 1)
        assigned.pop(name, None)

    if not deciding:
        yield {}
        return
    yield from walk(0)
