"""Scenario cases: a story, the facts, and the advice that must (not) come out.

A case file (``kb/cases/*.yaml``) is a list of cases; the loader reads them
(:func:`orderdoctor.engine.loader.load_cases`), this module checks a case
against a consultation's result. The project's test suite runs every case
of the shipped knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .consultation import ConsultationResult
from .location import Location
from .model import FactType, Value

if TYPE_CHECKING:  # pragma: no cover
    from .model import KnowledgeBase

__all__ = ["Case", "CaseOutcome", "CaseReport", "Coverage", "check_case", "run_cases"]


@dataclass(frozen=True)
class Case:
    """One scenario: ``must`` advice ids appear, ``must_not`` ones do not, ``first``
    (when set) is the first action of the answer."""

    id: str
    story: str
    facts: Mapping[str, Value]
    must: tuple[str, ...]
    must_not: tuple[str, ...]
    location: Location
    first: str | None = None
    source: str | None = None  # "SOURCE-ID where": the source line the expectation rests on


@dataclass(frozen=True)
class CaseOutcome:
    """How a case came out: ``problems`` is empty when it passed."""

    case: Case
    result: ConsultationResult
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def check_case(case: Case, result: ConsultationResult) -> CaseOutcome:
    """Compare ``result`` with what ``case`` expects; a contract violation in the answer (see
    :mod:`.contracts`) fails the case too, whatever it expects."""
    given = result.advice_ids
    problems = [f"expected advice '{a}' is missing" for a in case.must if a not in given]
    problems += [f"advice '{a}' must not appear but does" for a in case.must_not if a in given]
    if case.first is not None:
        first = result.first_action.id if result.first_action else None
        if first != case.first:
            problems.append(f"first action is '{first}', expected '{case.first}'")
    problems += [f"knowledge base error: {violation.message}" for violation in result.violations]
    return CaseOutcome(case, result, tuple(problems))


@dataclass(frozen=True)
class Coverage:
    """What a set of cases exercised: rules fired, advice reached, fact values given."""

    rules: tuple[str, ...]
    rules_fired: tuple[str, ...]
    advice: tuple[str, ...]
    advice_reached: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]]
    values_given: Mapping[str, tuple[str, ...]]

    @property
    def rules_never_fired(self) -> tuple[str, ...]:
        return tuple(r for r in self.rules if r not in self.rules_fired)

    @property
    def advice_never_reached(self) -> tuple[str, ...]:
        return tuple(a for a in self.advice if a not in self.advice_reached)

    @property
    def rule_percent(self) -> float:
        return 100.0 * len(self.rules_fired) / len(self.rules) if self.rules else 100.0

    @property
    def advice_percent(self) -> float:
        return 100.0 * len(self.advice_reached) / len(self.advice) if self.advice else 100.0

    @property
    def value_percent(self) -> float:
        total = sum(len(v) for v in self.values.values())
        given = sum(len(v) for v in self.values_given.values())
        return 100.0 * given / total if total else 100.0


@dataclass(frozen=True)
class CaseReport:
    """The outcome of every case, and the coverage they reach together."""

    outcomes: tuple[CaseOutcome, ...]
    coverage: Coverage

    @property
    def failed(self) -> tuple[CaseOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.passed)


def run_cases(kb: KnowledgeBase, cases: Iterable[Case]) -> CaseReport:
    """Consult ``kb`` on every case, check each, and measure coverage."""
    from .inference import engine_for  # the engine imports this module's Case via the loader

    engine = engine_for(kb)
    outcomes = []
    fired: set[str] = set()
    reached: set[str] = set()
    given: dict[str, set[str]] = {}
    for case in cases:
        result = engine.consult(case.facts)
        outcomes.append(check_case(case, result))
        fired.update(result.fired_rules)
        reached.update(result.advice_ids)
        reached.update(r.entry.id for r in result.replaced)
        for name, value in case.facts.items():
            if kb.facts[name].type is FactType.CHOICE:
                given.setdefault(name, set()).add(str(value))
    choice_facts = [f for f in kb.facts.values() if f.type is FactType.CHOICE and not f.derived]
    coverage = Coverage(
        rules=tuple(sorted(rule.id for rule in kb.rules)),
        rules_fired=tuple(sorted(fired)),
        advice=tuple(sorted(kb.advice)),
        advice_reached=tuple(sorted(reached)),
        values={f.name: f.values for f in choice_facts},
        values_given={f.name: tuple(v for v in f.values if v in given.get(f.name, set())) for f in choice_facts},
    )
    return CaseReport(tuple(outcomes), coverage)
