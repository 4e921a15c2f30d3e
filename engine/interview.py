"""An interview: the answers of one interactive consultation, and what to ask next.

The answers are kept in the order given; the advice, the derived facts and
the next question are always recomputed from them (nothing derived is
stored, so nothing stale survives a changed answer). The interview turns
into plain JSON data and back for session files; reading and writing the
files is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import FactInputError, FactInputErrors
from .facts import ValueProblem, check_value
from .location import Location
from .model import Fact, KnowledgeBase
from .planner import UNKNOWN, Answer, Plan, Question, plan

__all__ = ["Interview", "SESSION_FORMAT", "SESSION_VERSION"]

SESSION_FORMAT = "orderdoctor-session"
SESSION_VERSION = 1


class Interview:
    """The answers given so far (fact → value or :data:`UNKNOWN`), in order."""

    def __init__(self, kb: KnowledgeBase, answers: Iterable[tuple[str, Answer]] = ()) -> None:
        self.kb = kb
        self._answers: dict[str, Answer] = {}
        self._revising: str | None = None
        self._plan: Plan | None = None
        for name, value in answers:
            self.answer(name, value)

    # ----------------------------------------------------------------- state
    @property
    def answers(self) -> tuple[tuple[str, Answer], ...]:
        return tuple(self._answers.items())

    @property
    def known(self) -> dict[str, Any]:
        """The answers that are not "unknown"."""
        return {name: value for name, value in self._answers.items() if value is not UNKNOWN}

    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = plan(self.kb, self._answers)
        return self._plan

    def next_question(self) -> Question | None:
        """The fact being revised, else the planner's best question; None when done."""
        if self._revising is not None:
            fact = self.kb.facts[self._revising]
            for question in self.plan().questions:
                if question.fact.name == fact.name:
                    return question
            return Question(fact, (), 0.0)
        return self.plan().next

    @property
    def finished(self) -> bool:
        return self.next_question() is None

    # --------------------------------------------------------------- changes
    def fact(self, name: str) -> Fact:
        fact = self.kb.facts.get(name)
        if fact is None or not fact.askable:
            raise KeyError(name)
        return fact

    def answer(self, name: str, value: Answer) -> None:
        """Record an answer (a checked value, or UNKNOWN); a new answer to a fact replaces the old."""
        fact = self.fact(name)
        if value is not UNKNOWN:
            checked = check_value(fact, value)
            if isinstance(checked, ValueProblem):
                raise ValueError(checked.message)
        self._answers.pop(name, None)
        self._answers[name] = value
        if self._revising == name:
            self._revising = None
        self._plan = None

    def back(self) -> tuple[str, Answer] | None:
        """Undo the last answer; returns it (None when there was none)."""
        if self._revising is not None:
            self._revising = None
        if not self._answers:
            return None
        name = next(reversed(self._answers))
        value = self._answers.pop(name)
        self._plan = None
        return name, value

    def revise(self, name: str) -> Answer | None:
        """Forget the answer to ``name`` and make it the next question; returns the old answer."""
        self.fact(name)
        old = self._answers.pop(name, None)
        self._revising = name
        self._plan = None
        return old

    def restart(self) -> None:
        self._answers.clear()
        self._revising = None
        self._plan = None

    # ------------------------------------------------------------ session data
    def to_data(self) -> dict[str, Any]:
        """Plain JSON data for a session file."""
        data: dict[str, Any] = {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "answers": [
                {"fact": name, "unknown": True} if value is UNKNOWN else {"fact": name, "value": value}
                for name, value in self._answers.items()
            ],
            "finished": self.finished,
        }
        if self.finished:
            data["advice"] = list(self.plan().result.advice_ids)
        return data

    @classmethod
    def from_data(cls, kb: KnowledgeBase, data: Mapping[str, Any], label: str) -> Interview:
        """Rebuild an interview from :meth:`to_data` output; every problem is reported."""
        where = Location(label)
        if not isinstance(data, Mapping) or data.get("format") != SESSION_FORMAT:
            raise FactInputErrors([FactInputError(where, "not an orderdoctor session file")])
        if data.get("version") != SESSION_VERSION:
            raise FactInputErrors(
                [FactInputError(where, f"session file version {data.get('version')!r} is not {SESSION_VERSION}")]
            )
        answers = data.get("answers")
        if not isinstance(answers, list):
            raise FactInputErrors([FactInputError(where, "'answers' must be a list")])
        interview = cls(kb)
        errors: list[FactInputError] = []
        for number, item in enumerate(answers, 1):
            here = Location(f"{label}: answer {number}")
            if not isinstance(item, Mapping) or not isinstance(item.get("fact"), str):
                errors.append(FactInputError(here, "each answer needs a 'fact'"))
                continue
            name = item["fact"]
            value = UNKNOWN if item.get("unknown") else item.get("value")
            try:
                interview.answer(name, value)  # type: ignore[arg-type]  # checked inside
            except KeyError:
                errors.append(FactInputError(here, f"unknown or not askable fact '{name}'", name=name))
            except ValueError as exc:
                errors.append(FactInputError(here, str(exc), name=str(value)))
        if errors:
            raise FactInputErrors(errors)
        return interview
