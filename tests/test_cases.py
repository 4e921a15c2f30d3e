"""Scenario cases: reading case files and checking results against them."""

from __future__ import annotations

import pytest
from helpers import make_broken_kb
from orderdoctor.engine import check_case, consult, load_cases, load_knowledge_base
from orderdoctor.engine.errors import KnowledgeBaseErrors


def test_cases_load_and_pass(minimal_kb):
    cases = load_cases(minimal_kb)
    assert [c.id for c in cases] == ["urgent", "calm"]
    urgent = cases[0]
    assert urgent.facts == {"order_status": "shipped", "days_left": 3, "seller_suspicious": True}
    assert urgent.first == "open_dispute" and urgent.location.line == 1
    for case in cases:
        assert check_case(case, consult(minimal_kb, case.facts)).passed


def test_failed_case_lists_every_problem(minimal_kb):
    [urgent, calm] = load_cases(minimal_kb)
    outcome = check_case(urgent, consult(minimal_kb, calm.facts))
    assert outcome.problems == (
        "expected advice 'deadline_near' is missing",
        "expected advice 'open_dispute' is missing",
        "advice 'contact_seller' must not appear but does",
        "first action is 'contact_seller', expected 'open_dispute'",
    )


def test_bad_case_file_reports_every_error(tmp_path):
    kb = load_knowledge_base(make_broken_kb("bad_cases", tmp_path))
    with pytest.raises(KnowledgeBaseErrors) as caught:
        load_cases(kb)
    assert all(e.location.file.endswith("cases/main.yaml") for e in caught.value.errors)
    messages = [e.format().split("cases/main.yaml:", 1)[1] for e in caught.value.errors]
    assert messages == [
        "1:3: error: advice 'deadline_near' is both in 'must' and in 'must_not'",
        "3:11: error: unknown fact 'order_stat' (did you mean 'order_status'?)",
        "3:43: error: fact 'days_left' is a whole number, not 'soon'",
        "3:49: error: fact 'problem' is derived and cannot be given",
        "4:25: error: unknown advice id 'open_dispte' (did you mean 'open_dispute'?)",
        "6:10: error: 'first' names an action, and 'deadline_near' is not one",
        "7:3: error: duplicate case id 'urgent' (first defined at "
        + str(caught.value.errors[0].location) + ")",
    ]
