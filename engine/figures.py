"""The figures the documentation states about a knowledge base: its size (rules, advice, facts,
sources, scenario cases) and how many questions the interview asks over its scenario cases.

``orderdoctor kb docs`` writes them into the generated regions of the docs, and the tests read
them from here too, so that the docs, the tests and the kb never disagree and no test pins a
number that grows with the kb. Pure: the knowledge base and the cases come in loaded.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .cases import Case
from .model import KnowledgeBase

__all__ = ["KnowledgeBaseSize", "QuestionCounts", "count_questions", "measure_knowledge_base"]


@dataclass(frozen=True)
class KnowledgeBaseSize:
    """How many of each thing a knowledge base (and its scenario cases) holds."""

    rules: int
    advice: int
    facts: int
    askable_facts: int
    derived_facts: int
    sources: int
    cases: int


@dataclass(frozen=True)
class QuestionCounts:
    """How many questions the interview asks for each scenario case (answered from the case's
    facts, "unknown" for a fact the case does not give), in the cases' order."""

    per_case: tuple[tuple[str, int], ...]
    askable_facts: int

    @property
    def cases(self) -> int:
        return len(self.per_case)

    @property
    def average(self) -> float:
        return statistics.mean(count for _, count in self.per_case) if self.per_case else 0.0

    @property
    def worst(self) -> int:
        return max((count for _, count in self.per_case), default=0)

    @property
    def worst_cases(self) -> tuple[str, ...]:
        """The ids of the cases that take :attr:`worst` questions, in the cases' order."""
        return tuple(case_id for case_id, count in self.per_case if count == self.worst)


def measure_knowledge_base(kb: KnowledgeBase, cases: Sequence[Case]) -> KnowledgeBaseSize:
    """The sizes of ``kb`` and of its scenario ``cases``."""
    facts = kb.facts.values()
    return KnowledgeBaseSize(
        rules=len(kb.rules),
        advice=len(kb.advice),
        facts=len(kb.facts),
        askable_facts=sum(1 for fact in facts if fact.askable),
        derived_facts=sum(1 for fact in facts if fact.derived),
        sources=len(kb.sources),
        cases=len(cases),
    )


def count_questions(kb: KnowledgeBase, cases: Sequence[Case]) -> QuestionCounts:
    """Run the interview's planner on every case until it has nothing left to ask, answering
    each question from the case's facts (``UNKNOWN`` when the case does not give the fact)."""
    from .planner import UNKNOWN, Answer, plan

    per_case = []
    for case in cases:
        answers: dict[str, Answer] = {}
        while (question := plan(kb, answers).next) is not None:
            answers[question.fact.name] = case.facts.get(question.fact.name, UNKNOWN)
        per_case.append((case.id, len(answers)))
    askable = sum(1 for fact in kb.facts.values() if fact.askable)
    return QuestionCounts(tuple(per_case), askable)
