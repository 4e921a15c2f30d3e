"""The interview stays short over the scenario cases, and docs/interview.md states its numbers as
they are: the question table and the numbers in its prose are generated regions, written by
``orderdoctor kb docs`` from the same computation (``count_questions``), never typed in."""

from __future__ import annotations

from pathlib import Path

from orderdoctor.cli.generated import DocData, fill_regions, find_regions
from orderdoctor.engine import count_questions, load_cases, load_knowledge_base

DOC = Path(__file__).resolve().parent.parent / "docs" / "interview.md"


def test_the_interview_asks_fewer_than_half_the_questions_on_average():
    kb = load_knowledge_base()
    cases = load_cases(kb)
    counts = count_questions(kb, cases)
    askable = sum(1 for fact in kb.facts.values() if fact.askable)
    assert counts.cases == len(cases) and counts.askable_facts == askable
    assert counts.average < askable / 2
    assert counts.worst <= askable and counts.worst_cases
    data = DocData(kb, cases)
    data.questions = counts  # the same numbers, not worked out twice
    text = DOC.read_text()
    names = {region.name for region in find_regions(text, str(DOC))}
    assert {"askable-facts", "question-table", "worst-cases"} <= names, "the numbers are generated, not typed"
    _, stale = fill_regions(text, str(DOC), data)
    assert [region.name for region in stale] == [], "run 'orderdoctor kb docs'"
