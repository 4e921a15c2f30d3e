"""Advice contracts, checked on every answer.

Each advice item may state, in advice.yaml, when it makes sense
(``requires``: a condition over given and derived facts), which items it
can never stand beside (``incompatible_with``, either direction counts),
and that it tells the buyer to act now (``urgent_within``: no deadline shown
beside it may be further away than that many days). ``orderdoctor kb check``
proves these statically (:mod:`.lint`); this module checks them again on
each consultation's answer, so that a rule the proof could not see through
shows up as a :class:`Violation` in the result (and a failing ``kb test`` /
``kb review --check``), never as silent bad advice.

A ``requires`` condition is violated only when it is known to *fail*: a fact
it reads that nobody gave leaves it undecided, which is not a violation.
Advice that breaks its ``requires`` is withheld from the answer; advice that
is incompatible or too urgent is kept and reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .conditions import Truth, evaluate
from .model import Advice, Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Violation", "VIOLATION_KINDS", "contract_holds", "check_answer"]

#: What a violation can be about.
VIOLATION_KINDS = ("contract", "incompatible", "urgency")


@dataclass(frozen=True)
class Violation:
    """An answer that breaks the advice catalogue's own rules.

    ``kind`` is ``contract`` (``advice`` was given where its ``requires`` fails;
    it was withheld), ``incompatible`` (``advice`` and ``other`` were shown
    together) or ``urgency`` (``advice`` says act now while ``other`` shows a
    deadline ``days`` away, beyond ``advice``'s ``urgent_within``). ``rule`` is
    the rule that gave ``advice``.
    """

    kind: str
    advice: str
    rule: str | None
    other: str | None = None
    days: int | None = None

    @property
    def message(self) -> str:
        giver = f" (given by rule '{self.rule}')" if self.rule else ""
        if self.kind == "contract":
            return f"advice '{self.advice}'{giver} was given where its contract ('requires') fails; it was withheld"
        if self.kind == "incompatible":
            return f"advice '{self.advice}'{giver} was shown beside incompatible advice '{self.other}'"
        return (
            f"advice '{self.advice}'{giver} says to act now, but '{self.other}' shows a deadline "
            f"{self.days} days away"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "advice": self.advice,
            "rule": self.rule,
            "other": self.other,
            "days": self.days,
            "message": self.message,
        }


def contract_holds(advice: Advice, facts: Mapping[str, Value]) -> bool:
    """False only when ``advice.requires`` is known to fail on ``facts``."""
    if advice.requires is None:
        return True
    return evaluate(advice.requires, facts).truth is not Truth.FAILS


def incompatible(first: Advice, second: Advice) -> bool:
    """Whether the catalogue declares the two items incompatible (either direction)."""
    return second.id in first.incompatible_with or first.id in second.incompatible_with


def check_answer(
    shown: Sequence[tuple[Advice, str | None, int | None]],
) -> tuple[Violation, ...]:
    """The incompatible pairs and urgency clashes among ``shown`` advice
    (each ``(advice, rule id, deadline days)``, in reading order)."""
    found: list[Violation] = []
    for i, (first, rule, _days) in enumerate(shown):
        for second, _rule, _ in shown[i + 1 :]:
            if incompatible(first, second):
                found.append(Violation("incompatible", first.id, rule, second.id))
    for advice, rule, _days in shown:
        if advice.urgent_within is None:
            continue
        for other, _rule, days in shown:
            if days is not None and days > advice.urgent_within:
                found.append(Violation("urgency", advice.id, rule, other.id, days))
    return tuple(found)
