"""An interview: the answers of one interactive consultation, and what to ask next.

The answers are kept in the order given; the advice, the derived facts and
the next question are always recomputed from them (nothing derived is
stored, so nothing stale survives a changed answer). The interview turns
into plain JSON data and back for session files; reading and writing the
files is the caller's business.

Each answer carries the date it was given on. Some facts are relative to the day they are
given (:func:`clock_of`): a countdown a deadline counts from (``days_left``) goes down by one
each calendar day, ``working_days_since_*`` goes up by one each working day and
``days_since_*`` each calendar day. When a session is read back on a later day those answers
are brought up to that day (:class:`Aging` says what changed). Nothing here reads the clock:
"today" is always passed in.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FactInputError, FactInputErrors, suggest
from .facts import ValueProblem, check_value
from .location import Location
from .model import Fact, FactType, KnowledgeBase
from .planner import UNKNOWN, Answer, Question, QuestionPlan, plan

__all__ = ["Aging", "Interview", "SESSION_FORMAT", "SESSION_VERSION", "clock_of", "working_days_between"]

SESSION_FORMAT = "orderdoctor-session"
SESSION_VERSION = 1


#: How a time-relative fact moves as days pass: (sign, working days only?).
Clock = tuple[int, bool]


def clock_of(kb: KnowledgeBase, fact: Fact) -> Clock | None:
    """How ``fact``'s value changes as days pass, or None when it does not.

    An integer fact an advice deadline counts from is a countdown (-1 a calendar day);
    ``working_days_since_*`` counts up by working days (Monday to Friday), ``days_since_*``
    by calendar days.
    """
    if fact.type is not FactType.INTEGER:
        return None
    if any(a.deadline is not None and a.deadline.fact == fact.name for a in kb.advice.values()):
        return (-1, False)
    if fact.name.startswith("working_days_since"):
        return (1, True)
    if fact.name.startswith("days_since"):
        return (1, False)
    return None


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days (Monday to Friday) after ``start`` up to and including ``end``."""
    days = (end - start).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    extra = sum(1 for offset in range(1, rest + 1) if (start + datetime.timedelta(days=offset)).weekday() < 5)
    return weeks * 5 + extra


@dataclass(frozen=True)
class Aging:
    """What reading a session on ``today`` did to its answers.

    ``answered_on`` is the earliest date of an answer; None when the file had no dates (its
    answers were taken as given today).
    ``changes`` lists (fact, value saved, value today) for each time-relative answer.
    """

    today: datetime.date
    answered_on: datetime.date | None
    changes: tuple[tuple[str, int, int], ...] = ()

    @property
    def days(self) -> int:
        """Calendar days from the first answer to today (0 for an undated file)."""
        return 0 if self.answered_on is None else max(0, (self.today - self.answered_on).days)


def _date(text: object) -> datetime.date | None:
    """A date written strictly as ``YYYY-MM-DD`` (``date.fromisoformat`` alone also takes
    ``20261122`` and ``2026-W47-1`` on Python 3.11)."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


class Interview:
    """The answers given so far (fact → value or :data:`UNKNOWN`), in order, each with the
    date it was given on (``today`` unless told otherwise)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        answers: Iterable[tuple[str, Answer]] = (),
        today: datetime.date | None = None,
    ) -> None:
        self.kb = kb
        self.today = today
        self._answers: dict[str, Answer] = {}
        self._dates: dict[str, datetime.date] = {}
        self._revising: str | None = None
        self._plan: QuestionPlan | None = None
        self.aging: Aging | None = None
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

    def plan(self) -> QuestionPlan:
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
        """The question ``name`` asks; FactInputError (with a did-you-mean) when no question does."""
        fact = self.kb.facts.get(name)
        if fact is None or not fact.askable:
            askable = [f.name for f in self.kb.facts.values() if f.askable]
            raise FactInputError(
                Location(f"fact '{name}'"),
                f"unknown or not askable fact '{name}'",
                name=name,
                suggestion=suggest(name, askable),
            )
        return fact

    def answer(self, name: str, value: Answer) -> None:
        """Record an answer (a checked value, or UNKNOWN); a new answer to a fact replaces the old.
        FactInputError for a fact no question asks or a value it does not take."""
        fact = self.fact(name)
        if value is not UNKNOWN:
            checked = check_value(fact, value)
            if isinstance(checked, ValueProblem):
                raise FactInputError(
                    Location(f"fact '{name}'"), checked.message, name=str(value), suggestion=checked.suggestion
                )
        self._answers.pop(name, None)
        self._answers[name] = value
        if self.today is not None:
            self._dates[name] = self.today
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
        self._dates.clear()
        self._revising = None
        self._plan = None

    # ------------------------------------------------------------ session data
    def to_data(self) -> dict[str, Any]:
        """Plain JSON data for a session file."""
        data: dict[str, Any] = {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "answers": [self._answer_data(name, value) for name, value in self._answers.items()],
            "finished": self.finished,
        }
        if self.finished:
            data["advice"] = list(self.plan().result.advice_ids)
        return data

    def _answer_data(self, name: str, value: Answer) -> dict[str, Any]:
        item: dict[str, Any] = {"fact": name, "unknown": True} if value is UNKNOWN else {"fact": name, "value": value}
        day = self._dates.get(name)
        if day is not None:
            item["date"] = day.isoformat()
        return item

    @classmethod
    def from_data(
        cls, kb: KnowledgeBase, data: Mapping[str, Any], label: str, today: datetime.date | None = None
    ) -> Interview:
        """Rebuild an interview from :meth:`to_data` output; every problem is reported.

        With ``today``, answers given on an earlier day to a time-relative fact (:func:`clock_of`)
        are brought up to ``today``, and :attr:`aging` says what changed; answers without a date
        are taken as given ``today``.
        """
        interview = cls(kb, today=today)
        errors: list[FactInputError] = []
        days: list[datetime.date | None] = []
        changes: list[tuple[str, int, int]] = []
        for number, item in enumerate(_answer_list(data, label), 1):
            here = Location(f"{label}: answer {number}")
            read = _answer_item(item, here, today)
            if isinstance(read, FactInputError):
                errors.append(read)
                continue
            name, value, day = read
            try:
                fact = interview.fact(name)
                days.append(day)
                aged = _aged_answer(kb, fact, value, day, today)
                if aged != value:
                    changes.append((name, value, aged))  # type: ignore[arg-type]  # an aged answer is an int
                interview.answer(name, aged)
            except FactInputError as exc:  # located at the answer in the file (its text says what to fix)
                errors.append(FactInputError(here, exc.message, name=exc.name))
        if errors:
            raise FactInputErrors(errors)
        if today is not None and days:
            dated = [day for day in days if day is not None]
            interview.aging = Aging(today, min(dated) if dated else None, tuple(changes))
        return interview


def _answer_list(data: Mapping[str, Any], label: str) -> list[Any]:
    """The ``answers`` of session data, after checking its format and version."""
    where = Location(label)
    if not isinstance(data, Mapping) or data.get("format") != SESSION_FORMAT:
        raise FactInputErrors([FactInputError(where, "not an orderdoctor session file")])
    version = data.get("version")
    if type(version) is not int or version != SESSION_VERSION:
        raise FactInputErrors(
            [FactInputError(where, f"session file version {data.get('version')!r} is not {SESSION_VERSION}")]
        )
    answers = data.get("answers")
    if not isinstance(answers, list):
        raise FactInputErrors([FactInputError(where, "'answers' must be a list")])
    return answers


def _answer_item(
    item: object, here: Location, today: datetime.date | None
) -> tuple[str, Answer, datetime.date | None] | FactInputError:
    """The fact, answer and date of one saved answer, or what is wrong with its form."""
    if not isinstance(item, Mapping) or not isinstance(item.get("fact"), str):
        return FactInputError(here, "each answer needs a 'fact'")
    unknown = item.get("unknown", False)
    if type(unknown) is not bool:
        return FactInputError(here, f"'unknown' must be true or false, not {unknown!r}")
    if unknown and "value" in item:
        return FactInputError(here, "an answer has either a 'value' or 'unknown': true, not both")
    if not unknown and "value" not in item:
        return FactInputError(here, "each answer needs a 'value' or 'unknown': true")
    day = _date(item["date"]) if "date" in item else None
    if "date" in item and day is None:
        return FactInputError(here, f"'date' must be a date like 2026-11-22, not {item['date']!r}")
    if day is not None and today is not None and day > today:
        return FactInputError(
            here, f"answered on {day.isoformat()}, which is after today ({today.isoformat()}): "
            "correct the date in the file, or the computer's clock")
    return item["fact"], UNKNOWN if unknown else item["value"], day


def _aged_answer(
    kb: KnowledgeBase, fact: Fact, value: Answer, day: datetime.date | None, today: datetime.date | None
) -> Answer:
    """``value``, given on ``day``, as it stands on ``today`` (a time-relative fact's value moves;
    any other answer, an undated one, or one that is not a valid value stays as it is)."""
    clock = clock_of(kb, fact)
    if value is UNKNOWN or today is None or day is None or clock is None or day >= today:
        return value
    checked = check_value(fact, value)
    if isinstance(checked, ValueProblem):
        return value
    return _aged(fact, checked, clock, day, today)  # type: ignore[arg-type]  # a clock's fact is an integer


def _aged(fact: Fact, value: int, clock: Clock, day: datetime.date, today: datetime.date) -> int:
    """``value`` given on ``day`` as it stands on ``today`` (kept within the fact's range)."""
    sign, working = clock
    passed = working_days_between(day, today) if working else (today - day).days
    moved = value + sign * passed
    if fact.minimum is not None:
        moved = max(fact.minimum, moved)
    if fact.maximum is not None:
        moved = min(fact.maximum, moved)
    return moved
