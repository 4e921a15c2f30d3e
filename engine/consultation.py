"""One consultation: its per-run state while rules fire, and the result it leaves.

:class:`Consultation` is the state of a single run (facts so far, where each
derived fact came from, the trace, the advice given); the backend calls
:meth:`Consultation.fire` as each rule fires. :class:`ConsultationResult` is
the frozen outcome: advice in reading order, every fact, and the trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from .contracts import Contracts, Violation
from .errors import ConflictingDerivationError
from .location import Location
from .memo import remembered
from .model import Advice, AdviceKind, KnowledgeBase, Rule, Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "NOTHING_APPLIES",
    "AdviceEntry",
    "Consultation",
    "ConsultationResult",
    "MatchedFact",
    "TraceStep",
]

#: The advice id given when no rule gives any advice. A knowledge base may
#: define it in advice.yaml to word it; otherwise the built-in text is used.
NOTHING_APPLIES = "nothing_applies"

_BUILT_IN_NOTHING_APPLIES = Advice(
    id=NOTHING_APPLIES,
    kind=AdviceKind.INFO,
    title="No advice for this situation",
    text=(
        "None of the rules covers what you described. Check the facts you gave; "
        "if they are right, contact AliExpress customer support from the order page."
    ),
    source="orderdoctor",
    location=Location("<built-in>"),
)


@dataclass(frozen=True)
class MatchedFact:
    """A fact value a rule's condition matched; ``derived_by`` is None if the user gave it."""

    name: str
    value: Value
    derived_by: str | None = None
    derived_step: int | None = None

    @property
    def given(self) -> bool:
        return self.derived_by is None


class Provenance:
    """Where each fact of one consultation came from: given, or derived at which step by which
    rule. Facts are only ever added during a run, so what a rule matched when it fired at step
    N follows from this afterwards: the facts it reads that were given or derived before N."""

    __slots__ = ("derived_by", "derived_step", "facts")

    def __init__(self, facts: Mapping[str, Value], derived_by: Mapping[str, str], derived_step: Mapping[str, int]):
        self.facts = facts
        self.derived_by = derived_by
        self.derived_step = derived_step

    def matched(self, rule: Rule, step: int) -> tuple[MatchedFact, ...]:
        return tuple(
            MatchedFact(name, self.facts[name], self.derived_by.get(name), self.derived_step.get(name))
            for name in rule.reads
            if name in self.facts and self.derived_step.get(name, 0) < step
        )


@dataclass(frozen=True)
class TraceStep:
    """One rule firing: what it matched, what it concluded."""

    step: int
    rule: Rule
    derived: tuple[tuple[str, Value], ...]
    advised: tuple[str, ...]
    provenance: Provenance = field(compare=False, repr=False)

    @cached_property
    def matched(self) -> tuple[MatchedFact, ...]:
        """The fact values the rule's condition matched (worked out when first asked: a plain
        ``advise`` never needs them)."""
        return self.provenance.matched(self.rule, self.step)

    def to_json(self) -> dict[str, Any]:
        return _step_json(self)


@dataclass(frozen=True)
class AdviceEntry:
    """A piece of advice in the answer, with the rule (and trace step) that gave it."""

    advice: Advice
    rule: Rule | None = None
    step: int | None = None
    deadline_days: int | None = None

    @property
    def id(self) -> str:
        return self.advice.id

    @property
    def kind(self) -> AdviceKind:
        return self.advice.kind

    def to_json(self) -> dict[str, Any]:
        return _advice_json([_fields(self)])[0]


@dataclass(frozen=True)
class Replacement:
    """Advice a rule gave that was left out because other advice in the answer replaces it."""

    entry: AdviceEntry
    by: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.entry.id, "by": self.by, "rule": self.entry.rule.id if self.entry.rule else None}


@dataclass(frozen=True)
class ConsultationResult:
    """What a consultation concluded.

    ``advice`` is in reading order: warnings, then actions (the first action
    is the first thing to do), then information; within a kind by the
    priority of the rule that gave it, then by firing order. It is never
    empty: when no rule advises anything it holds one ``info`` item saying so.
    Advice that other advice in the answer replaces (``replaces:`` in the
    catalogue) is left out and listed in ``replaced``. ``violations`` lists
    where the answer breaks the catalogue's contracts (see :mod:`.contracts`);
    advice whose ``requires`` fails is withheld. A sound knowledge base has none.

    A result made by :meth:`Consultation.result` works out ``trace``, ``advice`` and
    ``replaced`` when first read (see :class:`_Answer`); ``to_json()`` does not need them.
    """

    given: Mapping[str, Value]
    facts: Mapping[str, Value]
    derived_by: Mapping[str, str]
    trace: tuple[TraceStep, ...]
    advice: tuple[AdviceEntry, ...]
    replaced: tuple[Replacement, ...] = ()
    violations: tuple[Violation, ...] = ()

    @property
    def first_action(self) -> AdviceEntry | None:
        return next((a for a in self.advice if a.kind is AdviceKind.ACTION), None)

    @property
    def advice_ids(self) -> tuple[str, ...]:
        return tuple(entry.id for entry in self.advice)

    @property
    def fired_rules(self) -> tuple[str, ...]:
        return tuple(step.rule.id for step in self.trace)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON contract of ``orderdoctor advise --json``."""
        answer: _Answer | None = self.__dict__.get("_answer")
        if answer is not None:
            return answer.to_json(self.facts, self.violations)
        replaced = []
        for replacement in self.replaced:
            entry = replacement.entry
            giver = entry.rule.id if entry.rule else None
            replaced.append({"id": entry.advice.id, "by": replacement.by, "rule": giver})
        return {
            "advice": _advice_json([_fields(entry) for entry in self.advice]),
            "facts": dict(self.facts),
            "trace": [_step_json(step) for step in self.trace],
            "replaced": replaced,
            "violations": [violation.to_json() for violation in self.violations],
        }


class _Pending:
    """A field of :class:`ConsultationResult` that a result made by :meth:`Consultation.result`
    works out from its :class:`_Answer` when first read, and keeps (as ``cached_property`` does:
    a value in the instance dictionary, which ``__init__`` fills for every other result, comes
    first). Read on the class, it is the field's default, as before."""

    __slots__ = ("default", "name")

    def __init__(self, name: str, default: object) -> None:
        self.name = name
        self.default = default

    def __get__(self, result: ConsultationResult | None, owner: type | None = None) -> Any:
        if result is None:
            if self.default is _NO_DEFAULT:
                raise AttributeError(self.name)
            return self.default
        fields = result.__dict__
        answer = fields.get("_answer")
        if answer is None:  # pragma: no cover - not made by __init__ nor by Consultation.result
            raise AttributeError(self.name)
        value = fields[self.name] = getattr(answer, self.name)()
        return value


_NO_DEFAULT = object()
setattr(ConsultationResult, "trace", _Pending("trace", _NO_DEFAULT))  # noqa: B010 - over the dataclass's own
setattr(ConsultationResult, "advice", _Pending("advice", _NO_DEFAULT))  # noqa: B010
setattr(ConsultationResult, "replaced", _Pending("replaced", ()))  # noqa: B010

#: Frozen dataclass instances are made here without their ``__init__`` (which sets each field
#: through ``object.__setattr__``, a measurable share of a consultation): ``_new(cls)``, then every
#: field written into its fresh ``__dict__``. The instance is as frozen, and compares, hashes and
#: prints the same, as one made by ``__init__`` (tests/test_consultation_fast.py).
_new = object.__new__
_NOTHING_ADDED: Mapping[str, Value] = MappingProxyType({})

#: An advice item as answered: the item, the rule that gave it, its step, its deadline in days.
Given = tuple[Advice, Rule, int, "int | None"]


class _Answer:
    """The advice, replacements and firings of one result, as plain tuples: what
    :meth:`ConsultationResult.to_json` reads, and what the result's ``trace``, ``advice`` and
    ``replaced`` are made of when first read (``advise --json`` never needs the objects)."""

    __slots__ = ("fired", "nothing", "provenance", "replaced_by", "shown")

    def __init__(
        self,
        fired: tuple[Rule, ...],
        provenance: Provenance,
        shown: list[Given],
        replaced_by: list[tuple[Given, str]],
        nothing: tuple[AdviceEntry, ...],
    ) -> None:
        self.fired = fired
        self.provenance = provenance
        self.shown = shown
        self.replaced_by = replaced_by
        self.nothing = nothing

    def trace(self) -> tuple[TraceStep, ...]:
        provenance, steps = self.provenance, []
        for number, rule in enumerate(self.fired, 1):
            step = _new(TraceStep)
            fields = step.__dict__
            fields["step"] = number
            fields["rule"] = rule
            fields["derived"] = rule.derive
            fields["advised"] = rule.advise
            fields["provenance"] = provenance
            steps.append(step)
        return tuple(steps)

    def advice(self) -> tuple[AdviceEntry, ...]:
        return tuple(_entry(given) for given in self.shown) if self.shown else self.nothing

    def replaced(self) -> tuple[Replacement, ...]:
        replacements = []
        for given, by in self.replaced_by:
            replacement = _new(Replacement)
            fields = replacement.__dict__
            fields["entry"] = _entry(given)
            fields["by"] = by
            replacements.append(replacement)
        return tuple(replacements)

    def to_json(self, facts: Mapping[str, Value], violations: tuple[Violation, ...]) -> dict[str, Any]:
        return {
            "advice": _advice_json(self.shown or [_fields(entry) for entry in self.nothing]),
            "facts": dict(facts),
            "trace": _trace_json(enumerate(self.fired, 1), self.provenance),
            "replaced": [{"id": item.id, "by": by, "rule": rule.id} for (item, rule, _, _), by in self.replaced_by]
            if self.replaced_by
            else [],
            "violations": [violation.to_json() for violation in violations] if violations else [],
        }


def _fields(entry: AdviceEntry) -> Given:
    return entry.advice, entry.rule, entry.step, entry.deadline_days  # type: ignore[return-value]


def _entry(given: Given) -> AdviceEntry:
    entry = _new(AdviceEntry)
    fields = entry.__dict__
    fields["advice"], fields["rule"], fields["step"], fields["deadline_days"] = given
    return entry


def _trace_json(fired: Iterable[tuple[int, Rule]], provenance: Provenance) -> list[dict[str, Any]]:
    """The JSON of each firing (``(step, rule)``), as :meth:`TraceStep.to_json` gives it, its
    matched facts straight from the provenance (not through ``matched``: no :class:`MatchedFact`
    objects, and no lock, which ``cached_property`` takes on every first access on Python 3.11)."""
    facts, at_step, givers = provenance.facts, provenance.derived_step, provenance.derived_by
    found = []
    for number, rule in fired:
        matched: dict[str, Value] = {}
        derived_by: dict[str, str] = {}
        for name in rule.reads:
            if name in facts:
                at = at_step.get(name)
                if at is None:
                    matched[name] = facts[name]
                elif at < number:
                    matched[name] = facts[name]
                    derived_by[name] = givers[name]
        found.append({
            "step": number,
            "rule": rule.id,
            "matched": matched,
            "derived_by": derived_by,
            "derived": dict(rule.derive),
            "advised": list(rule.advise),
        })  # fmt: skip
    return found


def _step_json(step: TraceStep) -> dict[str, Any]:
    """:meth:`TraceStep.to_json` (its own ``derived`` and ``advised``, which are its rule's
    unless it was made otherwise)."""
    found = _trace_json([(step.step, step.rule)], step.provenance)[0]
    found["derived"] = dict(step.derived)
    found["advised"] = list(step.advised)
    return found


def _advice_json(entries: Iterable[tuple[Advice, Rule | None, int | None, int | None]]) -> list[dict[str, Any]]:
    """The JSON of each entry (:meth:`AdviceEntry.to_json`): its item, rule, step and deadline days."""
    return [
        {
            "id": advice.id,
            "kind": advice.kind._value_,  # not ``.value``: an enum property, slow on Python 3.11
            "title": advice.title,
            "text": advice.text,
            "rule": rule.id if rule else None,
            "source": advice.source,
            "deadline_days": days,
        }
        for advice, rule, _step, days in entries
    ]


class _Tables:
    """What :meth:`Consultation.result` needs of one knowledge base, worked out once (kept with
    it by :func:`.memo.remembered`)."""

    __slots__ = ("catalogue", "contracts", "deadlines", "nothing", "order", "rank", "replaces")

    def __init__(self, kb: KnowledgeBase) -> None:
        catalogue = self.catalogue = dict(kb.advice)
        #: Each advice item's kind, as the rank it is read in.
        self.rank = {advice_id: item.kind.rank for advice_id, item in catalogue.items()}
        self.replaces = {advice_id: item.replaces for advice_id, item in catalogue.items() if item.replaces}
        self.deadlines = {advice_id: item.deadline for advice_id, item in catalogue.items() if item.deadline}
        self.contracts = Contracts(catalogue)
        self.order = {name: index for index, name in enumerate(kb.facts)}
        self.nothing = (AdviceEntry(catalogue.get(NOTHING_APPLIES, _BUILT_IN_NOTHING_APPLIES)),)


def _tables(kb: KnowledgeBase) -> _Tables:
    return remembered(kb, "_consultation_tables", _Tables)


#: A ranked advice item: its sort key, its id, the step that gave it and the rule of that step.
Ranked = tuple[tuple[int, int, int, int], str, int, Rule]


class Consultation:
    """The state of one run while rules fire; produces a :class:`ConsultationResult`."""

    def __init__(self, kb: KnowledgeBase, given: Mapping[str, Value]) -> None:
        self.kb = kb
        self.given = MappingProxyType(dict(given))
        self.facts: dict[str, Value] = dict(given)
        self.derived_by: dict[str, str] = {}
        self.derived_step: dict[str, int] = {}
        #: The rules fired so far, in order (rule N fired at step N + 1).
        self.fired: list[Rule] = []
        self.provenance = Provenance(self.facts, self.derived_by, self.derived_step)

    def fire(self, rule: Rule, seen: Mapping[str, Value]) -> Mapping[str, Value]:
        """Record that ``rule`` fired on the fact values ``seen`` (the facts known so far: what
        it matched is worked out from the provenance when asked); returns the new facts."""
        fired = self.fired
        fired.append(rule)
        if not rule.derive:
            return _NOTHING_ADDED
        facts = self.facts
        added: dict[str, Value] = {}
        for name, value in rule.derive:
            if name in facts:
                if facts[name] != value:
                    fired.pop()
                    raise self._conflict(rule, name, value)
                continue
            added[name] = value
        if added:
            facts.update(added)
            step, derived_by, derived_step, rule_id = len(fired), self.derived_by, self.derived_step, rule.id
            for name in added:
                derived_by[name] = rule_id
                derived_step[name] = step
        return added

    def _conflict(self, rule: Rule, name: str, value: Value) -> ConflictingDerivationError:
        """The error of ``rule`` deriving ``value`` for ``name``, which already has another: naming
        both rules and the given facts that led to them (followed back through derived facts)."""
        earlier = self.derived_by.get(name)
        first_at = self.kb.rule(earlier).location if earlier is not None else None
        wanted: set[str] = set()
        todo = list(rule.reads) + (list(self.kb.rule(earlier).reads) if earlier is not None else [name])
        while todo:
            fact = todo.pop()
            if fact in wanted or fact not in self.facts:
                continue
            wanted.add(fact)
            if fact in self.derived_by:
                todo += self.kb.rule(self.derived_by[fact]).reads
        given = [(fact, self.given[fact]) for fact in self.kb.facts if fact in wanted and fact in self.given]
        error = ConflictingDerivationError(
            name, (earlier or "(given)", self.facts[name]), (rule.id, value), (first_at, rule.location), given
        )
        error.partial = self.result()
        return error

    def _deadline(self, advice: Advice) -> int | None:
        """Days left to act on ``advice``; None without a deadline, or when it has passed."""
        if advice.deadline is None:
            return None
        base = self.facts.get(advice.deadline.fact)
        if not isinstance(base, int) or isinstance(base, bool):
            return None
        days = base + advice.deadline.offset
        return days if days >= 0 else None

    def _ranked(self, rank: Mapping[str, int]) -> list[Ranked]:
        """Every advice item given, once (where it ranks best), in reading order: kind, then the
        giving rule's priority, then firing order, then its place in the rule. (The keys differ
        in step or place, so sorting never compares beyond them.)"""
        best: dict[str, Ranked] = {}
        for number, rule in enumerate(self.fired, 1):
            advised = rule.advise
            if not advised:
                continue
            priority = -rule.priority
            for position, advice_id in enumerate(advised):
                key = (rank[advice_id], priority, number, position)
                found = best.get(advice_id)
                if found is None or key < found[0]:
                    best[advice_id] = (key, advice_id, number, rule)
        return sorted(best.values())

    def result(self) -> ConsultationResult:
        tables = _tables(self.kb)
        ranked = self._ranked(tables.rank)
        replacer: dict[str, str] = {}
        if tables.replaces:
            for _, advice_id, _number, _rule in reversed(ranked):
                for replaced in tables.replaces.get(advice_id, ()):
                    replacer[replaced] = advice_id
        shown, replaced_by, violations = self._sorted_out(ranked, replacer, tables)
        made = _new(ConsultationResult)
        fields = made.__dict__
        fields["given"] = self.given
        fields["facts"] = MappingProxyType(self._ordered_facts(tables.order))
        fields["derived_by"] = MappingProxyType(dict(self.derived_by))
        fields["violations"] = violations
        fields["_answer"] = _Answer(tuple(self.fired), self.provenance, shown, replaced_by, tables.nothing)
        return made

    def _sorted_out(
        self, ranked: list[Ranked], replacer: Mapping[str, str], tables: _Tables
    ) -> tuple[list[Given], list[tuple[Given, str]], tuple[Violation, ...]]:
        """The advice shown (without replaced items and those whose contract fails), the replaced
        items with what replaces each, and the violations (see :mod:`.contracts`)."""
        catalogue, deadlines, contracts, facts = tables.catalogue, tables.deadlines, tables.contracts, self.facts
        failing = contracts.failing
        shown: list[Given] = []
        shown_ids: list[str] = []
        replaced_by: list[tuple[Given, str]] = []
        violations: list[Violation] = []
        for _, advice_id, number, rule in ranked:
            item = catalogue[advice_id]
            given = (item, rule, number, self._deadline(item) if advice_id in deadlines else None)
            if advice_id in replacer:
                replaced_by.append((given, replacer[advice_id]))
            elif (failing.get(advice_id) or contracts.verdict(advice_id))(facts):
                violations.append(Violation("contract", advice_id, rule.id))
            else:
                shown.append(given)
                shown_ids.append(advice_id)
        if shown and contracts.may_clash(shown_ids):
            violations += contracts.clashes([(item.id, rule.id, days) for item, rule, _, days in shown])
        return shown, replaced_by, tuple(violations)

    def _ordered_facts(self, order: Mapping[str, int]) -> dict[str, Value]:
        """Every fact known, in the knowledge base's declaration order."""
        facts = self.facts
        try:
            names = sorted(facts, key=order.__getitem__)
        except KeyError:  # a fact the knowledge base does not declare (an unchecked consultation)
            return {name: facts[name] for name in self.kb.facts if name in facts}
        return {name: facts[name] for name in names}
