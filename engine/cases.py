"""Scenario cases: a story, the facts, and the advice that must (not) come out.

A case file (``kb/cases/*.yaml``) is a list of cases; the loader reads them
(:func:`orderdoctor.engine.loader.load_cases`), this module checks a case
against a consultation's result. The project's test suite runs every case
of the shipped knowledge base.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .consultation import ConsultationResult
from .location import Location
from .model import Value

__all__ = ["Case", "CaseOutcome", "check_case"]


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
    """Compare ``result`` with what ``case`` expects."""
    given = result.advice_ids
    problems = [f"expected advice '{a}' is missing" for a in case.must if a not in given]
    problems += [f"advice '{a}' must not appear but does" for a in case.must_not if a in given]
    if case.first is not None:
        first = result.first_action.id if result.first_action else None
        if first != case.first:
            problems.append(f"first action is '{first}', expected '{case.first}'")
    return CaseOutcome(case, result, tuple(problems))
