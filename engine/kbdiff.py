"""What an edit to the knowledge base does to the advice: the comparison behind ``orderdoctor kb diff``.

Two knowledge bases, *old* and *new*, answer the same questions; this module runs both on

- **the scenario cases** (:func:`diff_cases`): the new knowledge base's cases, and the old one's
  where they differ; a case whose facts one side cannot take (an unknown fact or value) is
  reported as such;
- **the review space** (:func:`diff_space`): every situation ``orderdoctor kb review`` runs for the
  new knowledge base (:func:`.review.enumerate_space`). A situation the old knowledge base cannot
  express is counted, not compared; so are the old space's situations the new one cannot express.

and classifies each answer that changes (:data:`CHANGE_CLASSES`): advice added or removed, the
same advice reordered, another first action, a deadline or an urgency that moved, ``nothing_applies``
appearing or disappearing, an error (a run-time kb error such as two rules deriving different
values, or a contract violation) appearing or disappearing. Situations with identical changes form
one :class:`ChangeGroup`, with the simplest ones as examples.

Only situations where an edited rule can fire are run (:mod:`.kbchanges` says why that is sound):
the others are counted as unchanged. ``exhaustive=True`` runs them all. The consultations are the
engine's (``engine_for``); this module reads no file and prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .cases import Case
from .consultation import NOTHING_APPLIES, ConsultationResult
from .errors import FactInputErrors, OrderdoctorError
from .facts import ValueProblem, check_value
from .kbchanges import KbChanges, kb_changes, rule_inputs, touched_rules
from .model import KnowledgeBase, Value
from .review import ReviewConfig, Situation, enumerate_space
from .review_space import NOT_GIVEN

__all__ = [
    "CHANGE_CLASSES",
    "Answer",
    "CaseDiff",
    "Change",
    "ChangeGroup",
    "KbDiff",
    "SpaceDiff",
    "answer_of",
    "classify",
    "diff_cases",
    "diff_kbs",
    "diff_space",
]

#: The kinds of change, in the order they are reported.
CHANGE_CLASSES = (
    "error-appeared",
    "error-disappeared",
    "error-changed",
    "nothing-applies-appeared",
    "nothing-applies-disappeared",
    "advice-added",
    "advice-removed",
    "reordered",
    "first-action",
    "deadline",
    "urgency",
)
#: How many example situations a group keeps.
EXAMPLES = 3

Facts = tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class Answer:
    """What one consultation answered, as far as ``kb diff`` compares it: the advice ids in
    reading order, the first action, each item's days left to its deadline and act-now limit, and
    the errors (a run-time kb error stops the answer: then ``advice`` is empty)."""

    advice: tuple[str, ...]
    first_action: str | None = None
    deadlines: tuple[tuple[str, int | None], ...] = ()
    urgency: tuple[tuple[str, int], ...] = ()
    errors: tuple[str, ...] = ()
    stopped: bool = False

    def to_json(self) -> dict[str, object]:
        return {"advice": list(self.advice), "first_action": self.first_action,
                "deadline_days": dict(self.deadlines), "urgent_within": dict(self.urgency),
                "errors": list(self.errors)}


def answer_of(consult: Callable[[Mapping[str, Value]], ConsultationResult], facts: Mapping[str, Value]) -> Answer:
    """Run ``consult`` on ``facts``; a kb error at run time is an :class:`Answer` that stopped
    (bad facts, :class:`FactInputErrors`, are raised)."""
    try:
        result = consult(facts)
    except FactInputErrors:
        raise
    except OrderdoctorError as exc:
        return Answer((), errors=(str(exc),), stopped=True)
    first = result.first_action
    return Answer(
        advice=result.advice_ids,
        first_action=first.id if first else None,
        deadlines=tuple((e.id, e.deadline_days) for e in result.advice if e.advice.deadline is not None),
        urgency=tuple((e.id, e.advice.urgent_within) for e in result.advice if e.advice.urgent_within is not None),
        errors=tuple(violation.message for violation in result.violations),
    )


@dataclass(frozen=True, order=True)
class Change:
    """One way an answer changed: its class (:data:`CHANGE_CLASSES`) and the words for it."""

    kind: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"class": self.kind, "text": self.text}


def _errors(old: Answer, new: Answer) -> list[Change]:
    gone = [e for e in old.errors if e not in new.errors]
    came = [e for e in new.errors if e not in old.errors]
    if gone and came and (old.stopped or new.stopped):
        return [Change("error-changed", f"error: {gone[0]} → {came[0]}")]
    return [Change("error-appeared", f"error: {e}") for e in came] + [
        Change("error-disappeared", f"error gone: {e}") for e in gone]


def _days(days: int | None) -> str:
    return "passed" if days is None else f"{days} day{'s' if days != 1 else ''}"


def _deadlines(old: Answer, new: Answer, common: set[str]) -> list[Change]:
    found = []
    before, after = dict(old.deadlines), dict(new.deadlines)
    for item in (i for i in new.advice if i in common):
        if item in before and item in after and before[item] != after[item]:
            a, b = before[item], after[item]
            if a is not None and b is not None:
                words = f"{abs(b - a)} day{'s' if abs(b - a) != 1 else ''} {'later' if b > a else 'earlier'}"
                found.append(Change("deadline", f"deadline of {item}: {words}"))
            else:
                found.append(Change("deadline", f"deadline of {item}: {_days(a)} → {_days(b)}"))
        elif (item in before) != (item in after):
            found.append(Change("deadline", f"deadline of {item}: {'now shown' if item in after else 'gone'}"))
    before_u, after_u = dict(old.urgency), dict(new.urgency)
    for item in (i for i in new.advice if i in common):
        a_u, b_u = before_u.get(item), after_u.get(item)
        if a_u != b_u:
            text = (f"{item} no longer says act now" if b_u is None
                    else f"{item} says act now within {b_u} days" + (f" (was {a_u})" if a_u is not None else ""))
            found.append(Change("urgency", text))
    return found


def _advice(old: Answer, new: Answer) -> tuple[list[Change], set[str]]:
    """nothing_applies appearing or going, advice added, removed, reordered; and the items both
    answers show."""
    found = []
    was_nothing, is_nothing = old.advice == (NOTHING_APPLIES,), new.advice == (NOTHING_APPLIES,)
    if is_nothing and not was_nothing:
        found.append(Change("nothing-applies-appeared", "nothing_applies appeared"))
    if was_nothing and not is_nothing:
        found.append(Change("nothing-applies-disappeared", "nothing_applies gone"))
    before = [a for a in old.advice if a != NOTHING_APPLIES]
    after = [a for a in new.advice if a != NOTHING_APPLIES]
    found += [Change("advice-added", f"+{a}") for a in after if a not in before]
    found += [Change("advice-removed", f"-{a}") for a in before if a not in after]
    common = set(before) & set(after)
    kept_before, kept_after = [a for a in before if a in common], [a for a in after if a in common]
    if kept_before != kept_after:
        found.append(Change("reordered", f"order {', '.join(kept_before)} → {', '.join(kept_after)}"))
    return found, common


def classify(old: Answer, new: Answer) -> tuple[Change, ...]:
    """How the answer changed from ``old`` to ``new`` (empty: it did not), in class order."""
    found = _errors(old, new)
    if old.stopped or new.stopped:
        return tuple(found)
    advice, common = _advice(old, new)
    found += advice
    if old.first_action != new.first_action:
        words = f"first action {old.first_action or 'none'} → {new.first_action or 'none'}"
        found.append(Change("first-action", words))
    found += _deadlines(old, new, common)
    order = {kind: i for i, kind in enumerate(CHANGE_CLASSES)}
    return tuple(sorted(found, key=lambda c: order[c.kind]))


# ------------------------------------------------------------------ cases
@dataclass(frozen=True)
class CaseDiff:
    """A case whose answer changed (``changes``), or that one side cannot run (``unloadable``:
    which side, and why). ``side`` is the knowledge base whose case files hold it."""

    case: Case
    side: str
    changes: tuple[Change, ...] = ()
    old: Answer | None = None
    new: Answer | None = None
    unloadable: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"id": self.case.id, "location": str(self.case.location.short()), "side": self.side,
                "changes": [c.to_json() for c in self.changes], "unloadable": self.unloadable,
                "old": self.old.to_json() if self.old else None, "new": self.new.to_json() if self.new else None}


def _run_case(case: Case, side: str, old: KnowledgeBase, new: KnowledgeBase) -> CaseDiff | None:
    from .inference import engine_for

    answers: dict[str, Answer] = {}
    for name, kb in (("old", old), ("new", new)):
        try:
            answers[name] = answer_of(engine_for(kb).consult, case.facts)
        except FactInputErrors as exc:
            detail = "; ".join(error.message for error in exc.errors)
            return CaseDiff(case, side, unloadable=f"does not run on the {name} knowledge base: {detail}")
    changes = classify(answers["old"], answers["new"])
    return CaseDiff(case, side, changes, answers["old"], answers["new"]) if changes else None


def diff_cases(
    old: KnowledgeBase, new: KnowledgeBase, old_cases: Iterable[Case], new_cases: Iterable[Case]
) -> tuple[tuple[CaseDiff, ...], int]:
    """Run the new cases, and the old ones that differ from them (by id and facts), on both
    knowledge bases; returns the cases that changed or cannot run on one side, and how many ran."""
    new_list = list(new_cases)
    seen = {(case.id, tuple(sorted(case.facts.items()))) for case in new_list}
    todo = [(case, "new") for case in new_list]
    todo += [(case, "old") for case in old_cases if (case.id, tuple(sorted(case.facts.items()))) not in seen]
    found = [diff for case, side in todo if (diff := _run_case(case, side, old, new)) is not None]
    return tuple(found), len(todo)


# ------------------------------------------------------------------ the review space
@dataclass(frozen=True)
class ChangeGroup:
    """The situations whose answer changed in the same way: their count, and the simplest ones
    (fewest facts given, then first enumerated) with the old and new answer of the first."""

    changes: tuple[Change, ...]
    count: int
    examples: tuple[Situation, ...]
    old: Answer
    new: Answer

    @property
    def label(self) -> str:
        return ", ".join(change.text for change in self.changes)

    def to_json(self) -> dict[str, object]:
        return {"changes": [c.to_json() for c in self.changes], "count": self.count,
                "examples": [dict(s.facts) for s in self.examples], "old": self.old.to_json(),
                "new": self.new.to_json()}


@dataclass(frozen=True)
class SpaceDiff:
    """The review space compared: ``situations`` in scope (the new knowledge base's space),
    ``only_new`` of them the old one cannot express, ``only_old`` situations of the old space the
    new one cannot express, ``consulted`` situations run on both (the others cannot reach an
    edited rule), and the groups of changed answers, largest first."""

    situations: int
    only_new: int
    only_old: int
    consulted: int
    groups: tuple[ChangeGroup, ...]

    @property
    def changed(self) -> int:
        return sum(group.count for group in self.groups)

    def by_class(self) -> dict[str, int]:
        counts = dict.fromkeys(CHANGE_CLASSES, 0)
        for group in self.groups:
            for kind in dict.fromkeys(change.kind for change in group.changes):
                counts[kind] += group.count
        return counts

    def to_json(self) -> dict[str, object]:
        return {"situations": self.situations, "only_new": self.only_new, "only_old": self.only_old,
                "consulted": self.consulted, "changed": self.changed, "by_class": self.by_class(),
                "groups": [group.to_json() for group in self.groups]}


class _Group:
    __slots__ = ("best", "count", "old", "new")

    def __init__(self) -> None:
        self.count = 0
        self.best: list[tuple[int, int, Facts]] = []
        self.old = self.new = Answer(())

    def add(self, given: Facts, serial: int, old: Answer, new: Answer) -> None:
        self.count += 1
        if len(self.best) < EXAMPLES or (len(given), serial) < self.best[-1][:2]:
            self.best.append((len(given), serial, given))
            self.best.sort(key=lambda item: item[:2])
            del self.best[EXAMPLES:]
            if self.best[0][2] is given:
                self.old, self.new = old, new


def _expressible(kb: KnowledgeBase) -> Callable[[str, Value], bool]:
    """Whether ``kb`` takes a fact's value from the buyer (cached per fact and value)."""
    known: dict[tuple[str, Value], bool] = {}

    def check(name: str, value: Value) -> bool:
        key = (name, value)
        if key not in known:
            fact = kb.facts.get(name)
            known[key] = (fact is not None and not fact.derived
                          and not isinstance(check_value(fact, value), ValueProblem))
        return known[key]

    return check


def _given(situation: Mapping[str, object], order: Sequence[str]) -> Facts:
    return tuple((name, situation[name]) for name in order  # type: ignore[misc]
                 if situation.get(name, NOT_GIVEN) is not NOT_GIVEN)


def _only_old(old: KnowledgeBase, config: ReviewConfig, new: KnowledgeBase) -> int:
    """Situations of the old space that the new knowledge base cannot express."""
    space = enumerate_space(old, config)
    takes = _expressible(new)
    if all(takes(name, value) for name, values in space.values.items() for value in values):
        return 0
    order = list(old.facts)
    return sum(not all(takes(name, value) for name, value in _given(situation, order))
               for situation in space.situations({}))


class _Runner:
    """Runs situations on both knowledge bases when an edited rule can fire in them."""

    def __init__(self, old: KnowledgeBase, new: KnowledgeBase, exhaustive: bool) -> None:
        from .inference import engine_for

        self.old, self.new = engine_for(old).consult, engine_for(new).consult
        touched_old, touched_new = touched_rules(old, new, kb_changes(old, new))
        self.touched = (touched_old, touched_new)
        inputs = rule_inputs(old, touched_old) | rule_inputs(new, touched_new)
        self.inputs = None if exhaustive else tuple(sorted(inputs))
        self.reach: dict[tuple[object, ...], bool] = {}
        self.consulted = 0

    def reaches(self, situation: Mapping[str, object]) -> bool:
        """Whether an edited rule fires (or a run stops) on the situation's values of the edited
        rules' inputs, in either knowledge base."""
        if self.inputs is None:
            return True
        key = tuple(situation.get(name, NOT_GIVEN) for name in self.inputs)
        known = self.reach.get(key)
        if known is None:
            facts = {name: value for name, value in zip(self.inputs, key, strict=True) if value is not NOT_GIVEN}
            known = self.reach[key] = any(self._fires(consult, facts, touched)  # type: ignore[arg-type]
                                          for consult, touched in zip((self.old, self.new), self.touched, strict=True))
        return known

    @staticmethod
    def _fires(consult: Callable[[Mapping[str, Value]], ConsultationResult], facts: Mapping[str, Value],
               touched: frozenset[str]) -> bool:
        try:
            return not touched.isdisjoint(consult(facts).fired_rules)
        except OrderdoctorError:
            return True

    def answers(self, given: Facts) -> tuple[Answer, Answer]:
        self.consulted += 1
        facts = dict(given)
        return answer_of(self.old, facts), answer_of(self.new, facts)


def diff_space(
    old: KnowledgeBase,
    new: KnowledgeBase,
    old_config: ReviewConfig,
    new_config: ReviewConfig,
    *,
    exhaustive: bool = False,
) -> SpaceDiff:
    """Compare the answers of ``old`` and ``new`` in every situation of the new review space
    (raises :class:`~.review.ReviewTooLargeError` as ``kb review`` does)."""
    space = enumerate_space(new, new_config)
    runner = _Runner(old, new, exhaustive)
    takes = _expressible(old)
    order = list(new.facts)
    groups: dict[tuple[Change, ...], _Group] = {}
    situations = only_new = 0
    every = all(takes(name, value) for name, values in space.values.items() for value in values)
    quiet = not exhaustive and not any(runner.touched)
    for situation in space.situations({}):
        situations += 1
        if not every and not all(takes(k, v) for k, v in situation.items() if v is not NOT_GIVEN):  # type: ignore[arg-type]
            only_new += 1
            continue
        if quiet or not runner.reaches(situation):
            continue
        given = _given(situation, order)
        before, after = runner.answers(given)
        changes = classify(before, after)
        if changes:
            group = groups.get(changes)
            if group is None:
                group = groups[changes] = _Group()
            group.add(given, situations, before, after)
    found = sorted(
        (ChangeGroup(key, g.count, tuple(Situation(b[2]) for b in g.best), g.old, g.new) for key, g in groups.items()),
        key=lambda group: (-group.count, group.changes),
    )
    return SpaceDiff(situations, only_new, _only_old(old, old_config, new), runner.consulted, tuple(found))


# ------------------------------------------------------------------ both
@dataclass(frozen=True)
class KbDiff:
    """Everything ``kb diff`` found: the edit, the cases, and the review space (None: not run)."""

    changes: KbChanges
    cases: tuple[CaseDiff, ...]
    cases_run: int
    space: SpaceDiff | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def answers_change(self) -> bool:
        """Whether any answer changes, or some case or situation only one side can run."""
        space = self.space
        return bool(self.cases) or (space is not None and bool(space.groups or space.only_new or space.only_old))

    def to_json(self) -> dict[str, object]:
        return {"answers_change": self.answers_change, "kb_changes": self.changes.to_json(),
                "cases_run": self.cases_run, "cases": [case.to_json() for case in self.cases],
                "space": self.space.to_json() if self.space is not None else None, "notes": list(self.notes)}


def diff_kbs(
    old: KnowledgeBase,
    new: KnowledgeBase,
    old_cases: Iterable[Case],
    new_cases: Iterable[Case],
    configs: tuple[ReviewConfig, ReviewConfig] | None,
    *,
    exhaustive: bool = False,
) -> KbDiff:
    """Compare ``old`` and ``new`` on the cases and, with ``configs`` (old, new review
    configurations), on the review space."""
    cases, run = diff_cases(old, new, old_cases, new_cases)
    space = diff_space(old, new, configs[0], configs[1], exhaustive=exhaustive) if configs is not None else None
    return KbDiff(kb_changes(old, new), cases, run, space)
