"""docs/interview.md states the question counts over kb/cases; keep them true."""

from __future__ import annotations

import statistics
from pathlib import Path

from orderdoctor.engine import load_cases, load_knowledge_base
from orderdoctor.engine.planner import UNKNOWN, plan

DOC = Path(__file__).resolve().parent.parent / "docs" / "interview.md"


def test_documented_question_counts_are_current():
    kb = load_knowledge_base()
    cases = load_cases(kb)
    counts = []
    for case in cases:
        answers = {}
        while (question := plan(kb, answers).next) is not None:
            answers[question.fact.name] = case.facts.get(question.fact.name, UNKNOWN)
        counts.append(len(answers))
    askable = sum(1 for fact in kb.facts.values() if fact.askable)
    text = DOC.read_text()
    assert f"| cases | {len(cases)} |" in text
    assert f"| average | {statistics.mean(counts):.2f} |" in text
    assert f"| worst | {max(counts)} |" in text
    assert f"| askable facts | {askable} |" in text
    assert statistics.mean(counts) < askable / 2
