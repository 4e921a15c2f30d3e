"""One consultation: its per-run state while rules fire, and the result it leaves.

:class:`Consultation` is the state of a single run (facts so far, where each
derived fact came from, the trace, the advice given); the backend calls
:meth:`Consultation.fire` as each rule fires. :class:`ConsultationResult` is
the frozen outcome: advice in reading order, every fact, and the trace.
"""

from __future__ import annotations

from collections.abc import Mapping
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
        return _trace_json((self,))[0]


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
        return _advice_json((self,))[0]


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
        replaced = []
        for replacement in self.replaced:
            entry = replacement.entry
            replaced.append({"id": entry.advice.id, "by": replacement.by, "rule": entry.rule.id if entry.rule else None})
        return {
            "advice": _advice_json(self.advice),
            "facts": dict(self.facts),
            "trace": _trace_json(self.trace),
            "replaced": replaced,
            "violations": [violation.to_json() for violation in self.violations] if self.violations else [],
        }


def _trace_json(trace: tuple[TraceStep, ...]) -> list[dict[str, Any]]:
    """The JSON of each step (:meth:`TraceStep.to_json`), its matched facts straight from the
    provenance (not through ``matched``: no :class:`MatchedFact` objects, and no lock, which
    ``cached_property`` takes on every first access on Python 3.11)."""
    found = []
    for step in trace:
        provenance, number, rule = step.provenance, step.step, step.rule
        facts, steps, givers = provenance.facts, provenance.derived_step, provenance.derived_by
        matched: dict[str, Value] = {}
        derived_by: dict[str, str] = {}
        for name in rule.reads:
            if name in facts:
                at = steps.get(name)
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
            "derived": dict(step.derived),
            "advised": list(step.advised),
        })  # fmt: skip
    return found


def _advice_json(entries: tuple[AdviceEntry, ...]) -> list[dict[str, Any]]:
    """The JSON of each entry (:meth:`AdviceEntry.to_json`)."""
    found = []
    for entry in entries:
        advice, rule = entry.advice, entry.rule
        found.append({
            "id": advice.id,
            "kind": advice.kind._value_,  # not ``.value``: an enum property, slow on Python 3.11
            "title": advice.title,
            "text": advice.text,
            "rule": rule.id if rule else None,
            "source": advice.source,
            "deadline_days": entry.deadline_days,
        })  # fmt: skip
    return found


#: Frozen dataclass instances are made here without their ``__init__`` (which sets each field
#: through ``object.__setattr__``, a measurable share of a consultation): ``_new(cls)``, then every
#: field written into its fresh ``__dict__``. The instance is as frozen, and compares, hashes and
#: prints the same, as one made by ``__init__`` (tests/test_consultation_fast.py).
_new = object.__new__
_NOTHING_ADDED: Mapping[str, Value] = MappingProxyType({})


class _Tables:
    """What :meth:`Consultation.result` needs of one knowledge base, worked out once (kept with
    it by :func:`.memo.remembered`)."""

    __slots__ = ("catalogue", "contracts", "deadlines", "nothing", "order", "rank", "replaces")

    def __init__(self, kb: KnowledgeBase) -> None:
        catalogue = self.catalogue = kb.advice
        #: Each advice item's kind, as the rank it is read in.
        self.rank = {advice_id: item.kind.rank for advice_id, item in catalogue.items()}
        self.replaces = {advice_id: item.replaces for advice_id, item in catalogue.items() if item.replaces}
        self.deadlines = {advice_id: item.deadline for advice_id, item in catalogue.items() if item.deadline}
        self.contracts = Contracts(catalogue)
        self.order = {name: index for index, name in enumerate(kb.facts)}
        self.nothing = (AdviceEntry(catalogue.get(NOTHING_APPLIES, _BUILT_IN_NOTHING_APPLIES)),)


def _tables(kb: KnowledgeBase) -> _Tables:
    return remembered(kb, "_consultation_tables", _Tables)


class Consultation:
    """The state of one run while rules fire; produces a :class:`ConsultationResult`."""

    def __init__(self, kb: KnowledgeBase, given: Mapping[str, Value]) -> None:
        self.kb = kb
        self.given = MappingProxyType(dict(given))
        self.facts: dict[str, Value] = dict(given)
        self.derived_by: dict[str, str] = {}
        self.derived_step: dict[str, int] = {}
        self.steps: list[TraceStep] = []
        self.provenance = Provenance(self.facts, self.derived_by, self.derived_step)

    def fire(self, rule: Rule, seen: Mapping[str, Value]) -> Mapping[str, Value]:
        """Record that ``rule`` fired on the fact values ``seen`` (the facts known so far: what
        it matched is worked out from the provenance when asked); returns the new facts."""
        steps = self.steps
        step = len(steps) + 1
        added: Mapping[str, Value] = _NOTHING_ADDED
        if rule.derive:
            added = self._derive(rule, step)
        trace_step = _new(TraceStep)
        fields = trace_step.__dict__
        fields["step"] = step
        fields["rule"] = rule
        fields["derived"] = rule.derive
        fields["advised"] = rule.advise
        fields["provenance"] = self.provenance
        steps.append(trace_step)
        return added

    def _derive(self, rule: Rule, step: int) -> dict[str, Value]:
        """Add the facts ``rule`` derives that are new (as derived at ``step``); returns them."""
        facts = self.facts
        added: dict[str, Value] = {}
        for name, value in rule.derive:
            if name in facts:
                if facts[name] != value:
                    raise self._conflict(rule, name, value)
                continue
            added[name] = value
        if added:
            facts.update(added)
            derived_by, derived_step, rule_id = self.derived_by, self.derived_step, rule.id
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

    def _ranked(self, rank: Mapping[str, int]) -> list[tuple[tuple[int, int, int, int], str, TraceStep]]:
        """Every advice item given, once (where it ranks best), in reading order: kind, then the
        giving rule's priority, then firing order, then its place in the rule. (The keys differ
        in step or place, so sorting never compares beyond them.)"""
        best: dict[str, tuple[tuple[int, int, int, int], str, TraceStep]] = {}
        for step in self.steps:
            advised = step.advised
            if not advised:
                continue
            priority, number = -step.rule.priority, step.step
            for position, advice_id in enumerate(advised):
                key = (rank[advice_id], priority, number, position)
                found = best.get(advice_id)
                if found is None or key < found[0]:
                    best[advice_id] = (key, advice_id, step)
        return sorted(best.values())

    def result(self) -> ConsultationResult:
        tables = _tables(self.kb)
        ranked = self._ranked(tables.rank)
        replacer: dict[str, str] = {}
        if tables.replaces:
            for _, advice_id, _step in reversed(ranked):
                for replaced in tables.replaces.get(advice_id, ()):
                    replacer[replaced] = advice_id
        advice, replacements, violations = self._entries(ranked, replacer, tables)
        ordered = self._ordered_facts(tables.order)
        made = _new(ConsultationResult)
        fields = made.__dict__
        fields["given"] = self.given
        fields["facts"] = MappingProxyType(ordered)
        fields["derived_by"] = MappingProxyType(dict(self.derived_by))
        fields["trace"] = tuple(self.steps)
        fields["advice"] = advice
        fields["replaced"] = replacements
        fields["violations"] = violations
        return made

    def _entries(
        self, ranked: list[tuple[tuple[int, int, int, int], str, TraceStep]], replacer: Mapping[str, str], tables: _Tables
    ) -> tuple[tuple[AdviceEntry, ...], tuple[Replacement, ...], tuple[Violation, ...]]:
        """The answer's advice (without replaced items and those whose contract fails), the
        replaced items, and the violations (see :mod:`.contracts`)."""
        catalogue, deadlines, contracts, facts = tables.catalogue, tables.deadlines, tables.contracts, self.facts
        failing = contracts.failing
        shown: list[AdviceEntry] = []
        replacements: list[Replacement] = []
        violations: list[Violation] = []
        for _, advice_id, step in ranked:
            item = catalogue[advice_id]
            entry = _new(AdviceEntry)
            fields = entry.__dict__
            fields["advice"] = item
            fields["rule"] = step.rule
            fields["step"] = step.step
            fields["deadline_days"] = self._deadline(item) if advice_id in deadlines else None
            if advice_id in replacer:
                replacement = _new(Replacement)
                fields = replacement.__dict__
                fields["entry"] = entry
                fields["by"] = replacer[advice_id]
                replacements.append(replacement)
            elif advice_id in failing and failing[advice_id](facts):
                violations.append(Violation("contract", advice_id, step.rule.id))
            else:
                shown.append(entry)
        if not shown:
            return tables.nothing, tuple(replacements), tuple(violations)
        if len(shown) > 1 or contracts.urgent:
            violations += contracts.clashes([(entry.advice.id, _giver(entry), entry.deadline_days) for entry in shown])
        return tuple(shown), tuple(replacements), tuple(violations)

    def _ordered_facts(self, order: Mapping[str, int]) -> dict[str, Value]:
        """Every fact known, in the knowledge base's declaration order."""
        facts = self.facts
        try:
            names = sorted(facts, key=order.__getitem__)
        except KeyError:  # a fact the knowledge base does not declare (an unchecked consultation)
            return {name: facts[name] for name in self.kb.facts if name in facts}
        return {name: facts[name] for name in names}


def _giver(entry: AdviceEntry) -> str | None:
    return entry.rule.id if entry.rule else None
