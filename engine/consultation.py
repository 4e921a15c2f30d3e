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

from .contracts import Violation, check_answer, contract_holds
from .errors import ConflictingDerivationError
from .location import Location
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
        # Not through ``self.matched`` the first time: on Python 3.11 ``cached_property`` takes a
        # lock on every first access, a measurable share of ``advise --json`` (docs/performance.md).
        matched = self.__dict__.get("matched") or self.provenance.matched(self.rule, self.step)
        return {
            "step": self.step,
            "rule": self.rule.id,
            "matched": {m.name: m.value for m in matched},
            "derived_by": {m.name: m.derived_by for m in matched if m.derived_by},
            "derived": dict(self.derived),
            "advised": list(self.advised),
        }


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
        return {
            "id": self.advice.id,
            "kind": self.advice.kind.value,
            "title": self.advice.title,
            "text": self.advice.text,
            "rule": self.rule.id if self.rule else None,
            "source": self.advice.source,
            "deadline_days": self.deadline_days,
        }


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
        return {
            "advice": [entry.to_json() for entry in self.advice],
            "facts": dict(self.facts),
            "trace": [step.to_json() for step in self.trace],
            "replaced": [replacement.to_json() for replacement in self.replaced],
            "violations": [violation.to_json() for violation in self.violations],
        }


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
        added: dict[str, Value] = {}
        for name, value in rule.derive:
            if name in self.facts:
                if self.facts[name] != value:
                    raise self._conflict(rule, name, value)
                continue
            added[name] = value
        step = len(self.steps) + 1
        self.facts.update(added)
        for name in added:
            self.derived_by[name] = rule.id
            self.derived_step[name] = step
        self.steps.append(TraceStep(step, rule, rule.derive, rule.advise, self.provenance))
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

    def _ranked(self) -> list[AdviceEntry]:
        """Every advice item given, once (where it ranks best), in reading order: kind, then the
        giving rule's priority, then firing order, then its place in the rule."""
        best: dict[str, tuple[tuple[int, int, int, int], Advice, TraceStep]] = {}
        catalogue = self.kb.advice
        for step in self.steps:
            for position, advice_id in enumerate(step.advised):
                item = catalogue[advice_id]
                key = (item.kind.rank, -step.rule.priority, step.step, position)
                if advice_id not in best or key < best[advice_id][0]:
                    best[advice_id] = (key, item, step)
        return [
            AdviceEntry(item, step.rule, step.step, self._deadline(item))
            for _, item, step in sorted(best.values(), key=lambda found: found[0])
        ]

    def _checked(self, shown: list[AdviceEntry]) -> tuple[tuple[AdviceEntry, ...], list[Violation]]:
        """``shown`` without the items whose contract fails, and the answer's violations."""
        violations = [
            Violation("contract", entry.id, _giver(entry))
            for entry in shown
            if not contract_holds(entry.advice, self.facts)
        ]
        withheld = {violation.advice for violation in violations}
        advice = tuple(entry for entry in shown if entry.id not in withheld)
        violations += check_answer([(entry.advice, _giver(entry), entry.deadline_days) for entry in advice])
        return advice, violations

    def result(self) -> ConsultationResult:
        ranked = self._ranked()
        replacer = {
            replaced: entry.id for entry in reversed(ranked) for replaced in entry.advice.replaces
        }
        advice, violations = self._checked([entry for entry in ranked if entry.id not in replacer])
        replaced = tuple(Replacement(entry, replacer[entry.id]) for entry in ranked if entry.id in replacer)
        if not advice:
            advice = (AdviceEntry(self.kb.advice.get(NOTHING_APPLIES, _BUILT_IN_NOTHING_APPLIES)),)
        ordered = {name: self.facts[name] for name in self.kb.facts if name in self.facts}
        return ConsultationResult(
            given=self.given,
            facts=MappingProxyType(ordered),
            derived_by=MappingProxyType(dict(self.derived_by)),
            trace=tuple(self.steps),
            advice=advice,
            replaced=replaced,
            violations=tuple(violations),
        )


def _giver(entry: AdviceEntry) -> str | None:
    return entry.rule.id if entry.rule else None
