"""The situation-space review behind ``orderdoctor kb review``: enumerate, consult, classify, group.

This module owns *which situations a buyer can be in* and *what is wrong with the answer in each*.
It reads no file and prints nothing: the loader parses ``kb/review.yaml`` into a
:class:`ReviewConfig` (:func:`orderdoctor.engine.reviewconfig.load_review_config`) and the command line
formats the :class:`Review` this module returns.

**The space** — which values each fact takes, the base of every combination of the *deciding* facts
and a pairwise covering of the *remaining* ones, pruned by the ``out_of_scope`` entries (a
condition over the given facts, optionally with facts that must be not given, and a reason) —
is :mod:`.review_space`'s.

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
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .conditions import Truth, evaluate
from .consultation import NOTHING_APPLIES, ConsultationResult
from .contracts import Violation
from .location import Location
from .model import AdviceKind, Comparison, Condition, KnowledgeBase, Value, comparisons_in
from .review_space import NOT_GIVEN, Scope, base_situations, fact_values, pairwise_cover

__all__ = [
    "PROBLEM_CLASSES",
    "MAX_BASE_SITUATIONS",
    "NOT_GIVEN",
    "Enumeration",
    "Explanation",
    "OutOfScope",
    "Problem",
    "Review",
    "ReviewConfig",
    "ReviewTooLargeError",
    "Row",
    "ShownAdvice",
    "Situation",
    "enumerate_space",
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
    if result.advice_ids == (NOTHING_APPLIES,):
        found.append(Problem("no-advice", "no rule gives advice"))
    found += (_violation_problem(violation) for violation in result.violations)
    kinds = {entry.kind for entry in result.advice}
    if AdviceKind.WARNING in kinds and AdviceKind.ACTION not in kinds:
        found.append(Problem("warning-only", "warnings and no action to take"))
    found += _deadline_problems(result, watched)
    order = {kind: i for i, kind in enumerate(PROBLEM_CLASSES)}
    return tuple(sorted(dict.fromkeys(found), key=lambda p: (order[p.kind], p.detail)))


def _violation_problem(violation: Violation) -> Problem:
    giver = f" (rule {violation.rule})" if violation.rule else ""
    if violation.kind == "contract":
        detail = f"{violation.advice}{giver} withheld: its 'requires' fails"
    elif violation.kind == "incompatible":
        detail = f"{violation.advice}{giver} shown beside incompatible {violation.other}"
    else:
        detail = f"{violation.advice}{giver} says act now beside {violation.other}'s later deadline"
    return Problem(violation.kind, detail)


def _deadline_problems(result: ConsultationResult, watched: Mapping[tuple[str, int], int]) -> list[Problem]:
    """An act-now item without its date; or, when nothing says act now, a watched deadline
    within its act-now limit."""
    found: list[Problem] = []
    urgent = [entry for entry in result.advice if entry.advice.urgent_within is not None]
    for entry in urgent:
        if entry.advice.deadline is not None and entry.deadline_days is None:
            found.append(Problem("deadline", f"{entry.id} says act now, but its deadline is not shown"))
    if urgent:
        return found
    for entry in result.advice:
        deadline = entry.advice.deadline
        if deadline is None or entry.deadline_days is None:
            continue
        limit = watched.get((deadline.fact, deadline.offset))
        if limit is not None and entry.deadline_days <= limit:
            found.append(Problem(
                "deadline", f"{entry.id}'s deadline is within {limit} days, but nothing says act now"))
    return found


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

    def add(self, given: tuple[tuple[str, Value], ...], serial: int, first: Value | None) -> None:
        """Count one situation (the facts ``given``, its ``first`` deciding fact's value) and
        keep it as an example if it is among the simplest."""
        self.count += 1
        self.groups[first] = self.groups.get(first, 0) + 1
        best = self.best
        if len(best) <= EXAMPLES or (len(given), serial) < best[-1][:2]:
            best.append((len(given), serial, Situation(given)))
            best.sort(key=lambda item: item[:2])
            del best[EXAMPLES + 1:]

    def row(self, consult: Callable[[Mapping[str, Value]], ConsultationResult]) -> Row:
        representative = self.best[0][2]
        result = consult(representative.as_dict())  # once per row: what it shows, with deadlines
        return Row(
            id=self.id,
            advice_ids=self.advice_ids,
            problems=self.problems,
            count=self.count,
            representative=representative,
            examples=tuple(item[2] for item in self.best[1:]),
            advice=tuple(ShownAdvice(e.id, e.kind.value, e.advice.title, e.deadline_days) for e in result.advice),
            unexplained=dict(self.unexplained),
            explained=dict(self.explained),
            reasons={p: tuple(r) for p, r in self.reasons.items()},
            groups=dict(self.groups),
        )


#: An outcome as the tally keeps it: advice ids, problems, and the facts (given and derived) when
#: the explained entries need them.
_Outcome = tuple[tuple[str, ...], tuple[Problem, ...], Mapping[str, Value]]


class _Tally:
    """Runs situations and groups them by outcome, counting problems (explained or not) by class."""

    def __init__(
        self,
        kb: KnowledgeBase,
        config: ReviewConfig,
        consult: Callable[[Mapping[str, Value]], ConsultationResult],
        first_deciding: str | None,
    ) -> None:
        self.config = config
        self.consult = consult
        self.first_deciding = first_deciding
        self.watched = _watched(kb)
        self.order = {name: i for i, name in enumerate(kb.facts)}
        self.groups: dict[tuple[tuple[str, ...], tuple[Problem, ...]], _Group] = {}
        self.cache: dict[tuple[tuple[str, Value], ...], _Outcome] = {}  # identical fact sets run once
        self.by_class = dict.fromkeys(PROBLEM_CLASSES, 0)
        self.explained_by_class = dict.fromkeys(PROBLEM_CLASSES, 0)
        self.in_scope = 0

    def _outcome(self, given: tuple[tuple[str, Value], ...]) -> _Outcome:
        known = self.cache.get(given)
        if known is None:
            result = self.consult(dict(given))
            problems = _problems(result, self.watched)
            facts = result.facts if problems and self.config.explained else {}
            known = self.cache[given] = (result.advice_ids, problems, facts)
        return known

    def run(self, situation: Mapping[str, object]) -> None:
        given: tuple[tuple[str, Value], ...] = tuple(sorted(
            ((k, v) for k, v in situation.items() if v is not NOT_GIVEN),  # type: ignore[misc]
            key=lambda item: self.order[item[0]],
        ))
        advice_ids, problems, facts = self._outcome(given)
        self.in_scope += 1
        group = self.groups.get((advice_ids, problems))
        if group is None:
            group = self.groups[(advice_ids, problems)] = _Group(advice_ids, problems)
        first = situation.get(self.first_deciding, NOT_GIVEN) if self.first_deciding else NOT_GIVEN
        group.add(given, self.in_scope, None if first is NOT_GIVEN else first)  # type: ignore[arg-type]
        if problems:
            self._explain(group, problems, facts)

    def _explain(self, group: _Group, problems: tuple[Problem, ...], facts: Mapping[str, Value]) -> None:
        seen: set[str] = set()
        for problem in problems:
            reasons = [e.reason for e in self.config.explained if e.covers(problem.kind, group.id, facts)]
            if reasons:
                group.explained[problem] += 1
                group.reasons[problem].update(dict.fromkeys(reasons))
            else:
                group.unexplained[problem] += 1
            key = problem.kind + ("" if not reasons else "+explained")
            if key not in seen:
                seen.add(key)
                (self.explained_by_class if reasons else self.by_class)[problem.kind] += 1


def _space(
    kb: KnowledgeBase, config: ReviewConfig
) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[Value, ...]]]:
    """The deciding facts, the remaining ones, and the values of each."""
    askable = [f.name for f in kb.facts.values() if not f.derived]
    deciding = tuple(config.deciding) if config.deciding is not None else tuple(askable)
    remaining = tuple(name for name in askable if name not in deciding)
    return deciding, remaining, {name: fact_values(kb, name) for name in askable}


def _size(values: Mapping[str, Sequence[Value]], names: Sequence[str]) -> int:
    size = 1
    for name in names:
        size *= len(values[name]) + 1
    return size


@dataclass(frozen=True)
class Enumeration:
    """The situations a review runs (and ``kb diff`` compares): every combination of the deciding
    facts, out-of-scope branches cut as they are built, then the pairwise situations."""

    deciding: tuple[str, ...]
    remaining: tuple[str, ...]
    values: Mapping[str, tuple[Value, ...]]
    axes: Mapping[str, list[object]]
    scope: Scope
    base_size: int
    tests: tuple[dict[str, object], ...]
    pairs_required: int
    pairs_out_of_scope: int

    def situations(self, removed: dict[int, int]) -> Iterator[Mapping[str, object]]:
        """Every in-scope situation (a fact not given is ``NOT_GIVEN`` or absent), counting in
        ``removed`` the situations each out_of_scope entry cut."""
        yield from base_situations(self.deciding, self.axes, self.scope, removed)
        yield from self.tests


def enumerate_space(kb: KnowledgeBase, config: ReviewConfig) -> Enumeration:
    """The situations ``config`` describes for ``kb`` (raises :class:`ReviewTooLargeError`)."""
    deciding, remaining, values = _space(kb, config)
    base_size = _size(values, deciding)
    if base_size > MAX_BASE_SITUATIONS:
        raise ReviewTooLargeError(
            f"the deciding facts span {base_size:,} situations, more than {MAX_BASE_SITUATIONS:,}: "
            "move some of them to the remaining facts (covered pairwise)"
        )
    axes: dict[str, list[object]] = {name: [*values[name], NOT_GIVEN] for name in deciding}
    axes.update({name: list(values[name]) for name in remaining})

    def pruned(facts: Mapping[str, object]) -> bool:
        return any(
            all(name in facts for name in entry.reads) and entry.matches(facts) for entry in config.out_of_scope
        )

    tests, required, impossible = pairwise_cover(axes, deciding, remaining, pruned)
    return Enumeration(deciding, remaining, values, axes, Scope(config.out_of_scope, deciding), base_size,
                       tuple(tests), required, impossible)


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
    space = enumerate_space(kb, config)
    deciding, values = space.deciding, space.values
    removed: dict[int, int] = {}
    tally = _Tally(kb, config, consult, deciding[0] if deciding else None)
    for situation in space.situations(removed):
        tally.run(situation)
    rows = sorted((group.row(consult) for group in tally.groups.values()),
                  key=lambda row: (not row.has_problems, -row.count, row.id))
    return Review(
        rows=tuple(rows),
        deciding=deciding,
        remaining=space.remaining,
        values=values,
        space_size=_size(values, list(values)),
        base_size=space.base_size,
        pairwise_situations=len(space.tests),
        pairs_required=space.pairs_required,
        pairs_covered=space.pairs_required - space.pairs_out_of_scope,
        pairs_out_of_scope=space.pairs_out_of_scope,
        enumerated=space.base_size + len(space.tests),
        in_scope=tally.in_scope,
        consultations=len(tally.cache) + len(tally.groups),
        out_of_scope=dict(sorted(removed.items())),
        situations_by_class=tally.by_class,
        explained_by_class=tally.explained_by_class,
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
