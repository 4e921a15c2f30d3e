"""Given facts: text conversion, type checks, fact documents."""

from __future__ import annotations

import pytest
from orderdoctor.engine.errors import FactInputError, FactInputErrors
from orderdoctor.engine.facts import (
    ValueProblem,
    check_value,
    convert_text,
    parse_assignment,
    parse_facts_document,
    validate_facts,
)


@pytest.mark.parametrize(
    "fact, text, expected",
    [
        ("days_left", "3", 3),
        ("days_left", " -7 ", -7),
        ("seller_suspicious", "yes", True),
        ("seller_suspicious", "False", False),
        ("seller_suspicious", "0", False),
        ("order_status", "Shipped", "shipped"),
        ("coupon_used", "welcome", "welcome"),
    ],
)
def test_convert_text(minimal_kb, fact, text, expected):
    value = convert_text(minimal_kb.facts[fact], text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "fact, text, message",
    [
        ("days_left", "3.5", "is a whole number, not '3.5'"),
        ("days_left", "101", "101 is outside the range of fact 'days_left' (a whole number >= -100 and <= 100)"),
        ("seller_suspicious", "maybe", "is true or false (or yes/no), not 'maybe'"),
        ("order_status", "shiped", "value 'shiped' is not allowed for fact 'order_status' (one of shipped, closed, delivered)"),
    ],
)
def test_convert_text_problems(minimal_kb, fact, text, message):
    problem = convert_text(minimal_kb.facts[fact], text)
    assert isinstance(problem, ValueProblem)
    assert message in problem.message


def test_loose_types_are_refused(minimal_kb):
    assert isinstance(check_value(minimal_kb.facts["days_left"], True), ValueProblem)
    assert isinstance(check_value(minimal_kb.facts["seller_suspicious"], 1), ValueProblem)
    assert isinstance(check_value(minimal_kb.facts["order_status"], 3), ValueProblem)
    assert "outside the range" in check_value(minimal_kb.facts["days_left"], 2**60).message


def test_choice_suggestion(minimal_kb):
    assert check_value(minimal_kb.facts["order_status"], "shiped").suggestion == "shipped"


def test_parse_assignment():
    assert parse_assignment("days_left=3") == ("days_left", "3")
    assert parse_assignment("note=a=b") == ("note", "a=b")
    with pytest.raises(FactInputError) as caught:
        parse_assignment("days_left")
    assert str(caught.value) == "--set days_left: error: expected NAME=VALUE, e.g. --set order_status=shipped"


def test_parse_facts_document_yaml_and_json():
    facts = parse_facts_document("order_status: shipped\ndays_left: 3\ncoupon_used: null\n", "f.yaml")
    assert {k: v for k, (v, _) in facts.items()} == {"order_status": "shipped", "days_left": 3}
    assert str(facts["days_left"][1]) == "f.yaml:2:1"
    facts = parse_facts_document('{"order_status": "shipped", "seller_suspicious": true}', "f.json")
    assert {k: v for k, (v, _) in facts.items()} == {"order_status": "shipped", "seller_suspicious": True}
    assert parse_facts_document("", "empty.yaml") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("- a\n- b\n", "f.yaml:1:1: error: a facts file must be a mapping of fact: value"),
        ("days_left: [1, 2]\n", "f.yaml:1:12: error: the value of fact 'days_left' must be a single value"),
        ("days_left: {\n", "f.yaml:2:1: error: YAML syntax"),
    ],
)
def test_parse_facts_document_errors(text, message):
    with pytest.raises(FactInputErrors) as caught:
        parse_facts_document(text, "f.yaml")
    assert caught.value.errors[0].format().startswith(message)


def test_validate_facts_orders_and_drops_unknowns(minimal_kb):
    values = validate_facts(minimal_kb, {"days_left": "3", "order_status": "shipped", "coupon_used": None})
    assert list(values.items()) == [("order_status", "shipped"), ("days_left", 3)]
