"""The situation-space review behind ``orderdoctor kb review``: enumerate, consult, classify, group.

This module owns *which situations a buyer can be in* and *what is wrong with the answer in each*.
It reads no file and prints nothing: the loader parses ``kb/review.yaml`` into a
:class:`ReviewConfig` (:func:`orderdoctor.engine.loader.load_review_config`) and the command line
formats the :class:`Review` this module returns.

**The space.** Every fact the buyer can give takes each of its values, or is *not given*. Choice
and boolean facts take all their values; an integer fact takes every threshold ±1 that the rules,
the advice contracts (``requires``), the deadline offsets (the value at which a deadline falls due)
and the urgency limits (the value at which a deadline moves past an ``urgent_within``) compare it
with. The full space is the product over all facts of (values + 1); it is far too large to run, so
the review enumerates:

- **the base**: every combination of the *deciding* facts (``deciding:`` in review.yaml), each also
  not given, with every other fact not given;
- **pairs**: a greedy covering of the *remaining* facts: every value of every remaining fact appears
  at least once with every value (and "not given") of every deciding fact, and with every value of
  every other remaining fact.

Situations matched by an ``out_of_scope`` entry (a condition over the given facts, optionally with
facts that must be not given, and a reason) are not run: they cannot happen, or orderdoctor does not
advise on them. The base is pruned as it is built, so a whole branch (say, every situation without
an order status) costs one test.

**Problems** of an in-scope situation (:data:`PROBLEM_CLASSES`):

- ``no-advice``: the answer is only ``nothing_applies``;
- ``contract``, ``incompatible``, ``urgency``: the consultation's own violations (:mod:`.contracts`);
- ``warning-only``: warnings and no action to take;
- ``deadline``: urgency and deadlines disagree in a way ``urgency`` does not already say. An
  item that says act now (``urgent_within``) and has a ``deadline`` of its own is shown without
  that date; or a deadline that an act-now item watches (an item whose ``deadline`` is the same
  countdown and offset as the act-now item's) is within that item's ``urgent_within`` days while
  no item says act now — e.g. the last day to open a dispute is 3 days away and nothing says
  "open it today". Other deadlines close by (Buyer Protection ends today, while 15 days remain
  for a dispute) need no act-now item: their date is shown. (A deadline *beyond* an urgent
  item's limit is the ``urgency`` violation.)

**Rows.** Situations with the same outcome (the advice ids in reading order and the problems) form
one :class:`Row`, with a stable id (``R-`` and 8 hex digits of a hash of the outcome), a count, a
representative (fewest facts given, then first enumerated) and a few more examples. ``explained``
entries of review.yaml (a problem class, and a condition over given and derived facts or a row id,
and a reason) mark reviewed exceptions: such problems are reported as explained, not as problems.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .conditions import Truth, evaluate
from .consultation import NOTHING_APPLIES, ConsultationResult
from .location import Location
from .model import AdviceKind, Comparison, Condition, FactType, KnowledgeBase, Value, comparisons_in

__all__ = [
    "PROBLEM_CLASSES",
    "MAX_BASE_SITUATIONS",
    "Explanation",
    "OutOfScope",
    "Problem",
    "Review",
    "ReviewConfig",
    "ReviewTooLargeError",
    "Row",
    "ShownAdvice",
    "Situation",
    "fact_values",
    "pairwise_cover",
    "review",
    "row_id",
]

#: The problem classes, in the order they are reported.
PROBLEM_CLASSES = ("no-advice", "contract", "incompatible", "urgency", "warning-only", "deadline")
#: The most base situations a review will build (a review.yaml with too many deciding facts).
MAX_BASE_SITUATIONS = 5_000_000
#: How many examples a row keeps besides its representative.
EXAMPLES = 3

#: A fact that is not given, in an axis of values.
NOT_GIVEN: object = type("NotGiven", (), {"__repr__": lambda self: "NOT_GIVEN"})()


class ReviewTooLargeError(ValueError):
    """The deciding facts span more situations than :data:`MAX_BASE_SITUATIONS`."""


# ------------------------------------------------------------------ config
@dataclass(frozen=True)
class OutOfScope:
    """Situations the review does not run: ``when`` holds on the given facts (None: always) and
    every fact of ``not_given`` is not given."""

    reason: str
    location: Location
    when: Condition | None = None
    not_given: tuple[str, ...] = ()

    @property
    def reads(self) -> tuple[str, ...]:
        names = [c.fact for c in comparisons_in(self.when)] if self.when is not None else []
        return tuple(dict.fromkeys([*names, *self.not_given]))

    def matches(self, facts: Mapping[str, object]) -> bool:
        """Whether the entry holds on ``facts`` (``NOT_GIVEN`` values count as not given)."""
        if any(facts.get(name, NOT_GIVEN) is not NOT_GIVEN for name in self.not_given):
            return False
        if self.when is None:
            return True
        known = {k: v for k, v in facts.items() if v is not NOT_GIVEN}
        return evaluate(self.when, known).truth is Truth.HOLDS  # type: ignore[arg-type]

    def describe(self) -> str:
        parts = []
        if self.when is not None:
            parts.append(condition_text(self.when))
        parts += [f"{name} not given" for name in self.not_given]
        return " and ".join(parts) or "always"


@dataclass(frozen=True)
class Explanation:
    """A reviewed exception: problems of class ``problem`` in the situations where ``when`` holds
    (on given and derived facts), or in row ``row``, are fine for ``reason``."""

    problem: str
    reason: str
    location: Location
    when: Condition | None = None
    row: str | None = None

    def covers(self, kind: str, row: str, facts: Mapping[str, Value]) -> bool:
        if kind != self.problem:
            return False
        if self.row is not None:
            return self.row == row
        return self.when is not None and evaluate(self.when, facts).truth is Truth.HOLDS


@dataclass(frozen=True)
class ReviewConfig:
    """``kb/review.yaml``: the deciding facts, what is out of scope, and the reviewed exceptions.
    Without the file every fact is deciding and nothing is out of scope or explained."""

    deciding: tuple[str, ...] | None = None
    out_of_scope: tuple[OutOfScope, ...] = ()
    explained: tuple[Explanation, ...] = ()
    location: Location = field(default=Location("<default>"), compare=False)


# ----------------------------------------------------------------- results
@dataclass(frozen=True)
class Situation:
    """The facts a buyer gave, in the knowledge base's order of facts."""

    facts: tuple[tuple[str, Value], ...]

    def as_dict(self) -> dict[str, Value]:
        return dict(self.facts)

    def __len__(self) -> int:
        return len(self.facts)


@dataclass(frozen=True)
class Problem:
    """One problem of an outcome: its class and what exactly is wrong."""

    kind: str
    detail: str


@dataclass(frozen=True)
class ShownAdvice:
    """An advice item as the representative situation shows it."""

    id: str
    kind: str
    title: str
    deadline_days: int | None = None


@dataclass(frozen=True)
class Row:
    """Situations with one outcome. ``unexplained`` / ``explained`` count, per problem, the
    situations where it is (not) covered by an ``explained`` entry; ``reasons`` are the reasons
    of the entries that covered it; ``groups`` counts the situations by the value of the first
    deciding fact (the order status on the shipped kb; ``None``: not given)."""

    id: str
    advice_ids: tuple[str, ...]
    problems: tuple[Problem, ...]
    count: int
    representative: Situation
    examples: tuple[Situation, ...]
    advice: tuple[ShownAdvice, ...]
    unexplained: Mapping[Problem, int]
    explained: Mapping[Problem, int]
    reasons: Mapping[Problem, tuple[str, ...]]
    groups: Mapping[Value | None, int]

    @property
    def has_problems(self) -> bool:
        """Whether any of its problems is unexplained in some situation."""
        return any(self.unexplained.values())

    @property
    def first_action(self) -> str | None:
        return next((a.id for a in self.advice if a.kind == AdviceKind.ACTION.value), None)


@dataclass(frozen=True)
class Review:
    """What a review found, and how much of the space it looked at."""

    rows: tuple[Row, ...]
    deciding: tuple[str, ...]
    remaining: tuple[str, ...]
    values: Mapping[str, tuple[Value, ...]]
    space_size: int
    base_size: int
    pairwise_situations: int
    pairs_required: int
    pairs_covered: int
    pairs_out_of_scope: int
    enumerated: int
    in_scope: int
    consultations: int
    out_of_scope: Mapping[int, int]  # index into the config's entries → situations it removed
    situations_by_class: Mapping[str, int]
    explained_by_class: Mapping[str, int]

    @property
    def problem_rows(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.has_problems)

    @property
    def coverage(self) -> float:
        """The share of the full space enumerated (0-1)."""
        return self.enumerated / self.space_size if self.space_size else 1.0

    def row(self, row_id: str) -> Row | None:
        return next((row for row in self.rows if row.id == row_id), None)


# -------------------------------------------------------------- the space
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


class _Scope:
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


def _base(
    deciding: Sequence[str],
    axes: Mapping[str, Sequence[object]],
    scope: _Scope,
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


# --------------------------------------------------------------- outcomes
def row_id(advice_ids: Sequence[str], problems: Sequence[Problem]) -> str:
    """``R-`` and 8 hex digits of a hash of the outcome: stable while the outcome is."""
    text = json.dumps([list(advice_ids), [[p.kind, p.detail] for p in problems]], separators=(",", ":"))
    return "R-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def _watched(kb: KnowledgeBase) -> dict[tuple[str, int], int]:
    """The deadlines act-now items watch: (countdown fact, offset) -> the smallest ``urgent_within``."""
    watched: dict[tuple[str, int], int] = {}
    for item in kb.advice.values():
        if item.urgent_within is not None and item.deadline is not None:
            key = (item.deadline.fact, item.deadline.offset)
            watched[key] = min(item.urgent_within, watched.get(key, item.urgent_within))
    return watched


def _problems(result: ConsultationResult, watched: Mapping[tuple[str, int], int]) -> tuple[Problem, ...]:
    found: list[Problem] = []
    ids = result.advice_ids
    if ids == (NOTHING_APPLIES,):
        found.append(Problem("no-advice", "no rule gives advice"))
    for violation in result.violations:
        giver = f" (rule {violation.rule})" if violation.rule else ""
        if violation.kind == "contract":
            detail = f"{violation.advice}{giver} withheld: its 'requires' fails"
        elif violation.kind == "incompatible":
            detail = f"{violation.advice}{giver} shown beside incompatible {violation.other}"
        else:
            detail = f"{violation.advice}{giver} says act now beside {violation.other}'s later deadline"
        found.append(Problem(violation.kind, detail))
    kinds = {entry.kind for entry in result.advice}
    if AdviceKind.WARNING in kinds and AdviceKind.ACTION not in kinds:
        found.append(Problem("warning-only", "warnings and no action to take"))
    urgent = [entry for entry in result.advice if entry.advice.urgent_within is not None]
    for entry in urgent:
        if entry.advice.deadline is not None and entry.deadline_days is None:
            found.append(Problem("deadline", f"{entry.id} says act now, but its deadline is not shown"))
    if not urgent:
        for entry in result.advice:
            deadline = entry.advice.deadline
            if deadline is None or entry.deadline_days is None:
                continue
            limit = watched.get((deadline.fact, deadline.offset))
            if limit is not None and entry.deadline_days <= limit:
                found.append(Problem(
                    "deadline", f"{entry.id}'s deadline is within {limit} days, but nothing says act now"))
    order = {kind: i for i, kind in enumerate(PROBLEM_CLASSES)}
    return tuple(sorted(dict.fromkeys(found), key=lambda p: (order[p.kind], p.detail)))


class _Group:
    __slots__ = ("id", "advice_ids", "problems", "count", "best", "advice", "unexplained", "explained",
                 "reasons", "groups")

    def __init__(self, advice_ids: tuple[str, ...], problems: tuple[Problem, ...]) -> None:
        self.id = row_id(advice_ids, problems)
        self.advice_ids = advice_ids
        self.problems = problems
        self.count = 0
        self.best: list[tuple[int, int, Situation]] = []
        self.advice: tuple[ShownAdvice, ...] = ()
        self.unexplained = dict.fromkeys(problems, 0)
        self.explained = dict.fromkeys(problems, 0)
        self.reasons: dict[Problem, dict[str, None]] = {p: {} for p in problems}
        self.groups: dict[Value | None, int] = {}


def review(
    kb: KnowledgeBase,
    config: ReviewConfig,
    consult: Callable[[Mapping[str, Value]], ConsultationResult] | None = None,
) -> Review:
    """Enumerate the situations ``config`` describes, run each through ``consult`` (default: the
    process's engine for ``kb``), and group them by outcome."""
    if consult is None:
        from .inference import engine_for

        consult = engine_for(kb).consult
    askable = [f.name for f in kb.facts.values() if not f.derived]
    deciding = tuple(config.deciding) if config.deciding is not None else tuple(askable)
    remaining = tuple(name for name in askable if name not in deciding)
    values = {name: fact_values(kb, name) for name in askable}
    space = 1
    for name in askable:
        space *= len(values[name]) + 1
    base_size = 1
    for name in deciding:
        base_size *= len(values[name]) + 1
    if base_size > MAX_BASE_SITUATIONS:
        raise ReviewTooLargeError(
            f"the deciding facts span {base_size:,} situations, more than {MAX_BASE_SITUATIONS:,}: "
            "move some of them to the remaining facts (covered pairwise)"
        )
    axes: dict[str, list[object]] = {name: [*values[name], NOT_GIVEN] for name in deciding}
    axes.update({name: list(values[name]) for name in remaining})
    scope = _Scope(config.out_of_scope, deciding)
    removed: dict[int, int] = {}

    def pruned(facts: Mapping[str, object]) -> bool:
        return any(
            all(name in facts for name in entry.reads) and entry.matches(facts) for entry in config.out_of_scope
        )

    tests, required, impossible = pairwise_cover(axes, deciding, remaining, pruned)
    watched = _watched(kb)
    order = {name: i for i, name in enumerate(kb.facts)}
    first_deciding = deciding[0] if deciding else None
    groups: dict[tuple[tuple[str, ...], tuple[Problem, ...]], _Group] = {}
    # identical fact sets are run once: the outcome, and the facts (given and derived) when the
    # explained entries need them
    cache: dict[tuple[tuple[str, Value], ...], tuple[tuple[str, ...], tuple[Problem, ...], Mapping[str, Value]]] = {}
    by_class = dict.fromkeys(PROBLEM_CLASSES, 0)
    explained_by_class = dict.fromkeys(PROBLEM_CLASSES, 0)
    in_scope = 0
    serial = 0
    no_facts: Mapping[str, Value] = {}

    def run(situation: Mapping[str, object]) -> None:
        nonlocal in_scope, serial
        given = tuple(sorted(((k, v) for k, v in situation.items() if v is not NOT_GIVEN),
                             key=lambda item: order[item[0]]))  # type: ignore[arg-type]
        known = cache.get(given)
        if known is None:
            result = consult(dict(given))
            problems = _problems(result, watched)
            known = (result.advice_ids, problems, result.facts if problems and config.explained else no_facts)
            cache[given] = known
        advice_ids, problems, facts = known
        in_scope += 1
        serial += 1
        outcome = (advice_ids, problems)
        group = groups.get(outcome)
        if group is None:
            group = groups[outcome] = _Group(*outcome)
        group.count += 1
        status = situation.get(first_deciding, NOT_GIVEN) if first_deciding else NOT_GIVEN
        status = None if status is NOT_GIVEN else status
        group.groups[status] = group.groups.get(status, 0) + 1
        best = group.best
        if len(best) <= EXAMPLES or (len(given), serial) < best[-1][:2]:
            best.append((len(given), serial, Situation(given)))
            best.sort(key=lambda item: item[:2])
            del best[EXAMPLES + 1:]
        if not problems:
            return
        seen: set[str] = set()
        for problem in problems:
            reasons = [e.reason for e in config.explained if e.covers(problem.kind, group.id, facts)]
            if reasons:
                group.explained[problem] += 1
                group.reasons[problem].update(dict.fromkeys(reasons))
            else:
                group.unexplained[problem] += 1
            key = problem.kind + ("" if not reasons else "+explained")
            if key not in seen:
                seen.add(key)
                if reasons:
                    explained_by_class[problem.kind] += 1
                else:
                    by_class[problem.kind] += 1

    base_count = 0
    for situation in _base(deciding, axes, scope, removed):
        base_count += 1
        run(situation)
    pair_count = 0
    for test in tests:
        pair_count += 1
        run(test)
    rows = []
    for group in groups.values():
        representative = group.best[0]
        result = consult(representative[2].as_dict())  # once per row: what it shows, with deadlines
        shown = tuple(ShownAdvice(e.id, e.kind.value, e.advice.title, e.deadline_days) for e in result.advice)
        rows.append(
            Row(
                id=group.id,
                advice_ids=group.advice_ids,
                problems=group.problems,
                count=group.count,
                representative=representative[2],
                examples=tuple(item[2] for item in group.best[1:]),
                advice=shown,
                unexplained=dict(group.unexplained),
                explained=dict(group.explained),
                reasons={p: tuple(r) for p, r in group.reasons.items()},
                groups=dict(group.groups),
            )
        )
    rows.sort(key=lambda row: (not row.has_problems, -row.count, row.id))
    return Review(
        rows=tuple(rows),
        deciding=deciding,
        remaining=remaining,
        values=values,
        space_size=space,
        base_size=base_size,
        pairwise_situations=pair_count,
        pairs_required=required,
        pairs_covered=required - impossible,
        pairs_out_of_scope=impossible,
        enumerated=base_size + pair_count,
        in_scope=in_scope,
        consultations=len(cache) + len(groups),
        out_of_scope=dict(sorted(removed.items())),
        situations_by_class=by_class,
        explained_by_class=explained_by_class,
    )


# ------------------------------------------------------------------ words
def condition_text(condition: Condition) -> str:
    """A condition in short words, for reports (``order_status = shipped and …``)."""
    from .model import AllOf, AnyOf, Not

    if isinstance(condition, Comparison):
        return str(condition)
    if isinstance(condition, Not):
        return f"not ({condition_text(condition.condition)})"
    joiner = " and " if isinstance(condition, AllOf) else " or "
    text = joiner.join(condition_text(c) for c in condition.conditions)
    return f"({text})" if isinstance(condition, AnyOf) and len(condition.conditions) > 1 else text
