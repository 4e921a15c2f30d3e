"""Issue 14: explanations are engine data, errors are located, one value formatter and one
did-you-mean; the command line composes section renderers from one registry of formats."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from orderdoctor.cli import render
from orderdoctor.cli.explain import RENDERERS, render_explanation, render_sections, text_how
from orderdoctor.cli.main import main
from orderdoctor.engine import FactInputError, consult, load_knowledge_base
from orderdoctor.engine.errors import did_you_mean
from orderdoctor.engine.explanation import (
    Explanation,
    UnknownAdviceIdError,
    explain,
    explain_how,
    explain_what_if,
    explain_why_not,
)
from orderdoctor.engine.facts import parse_assignment
from orderdoctor.engine.interview import Interview
from orderdoctor.engine.values import format_value

KB = load_knowledge_base()
EXAMPLE = {"order_status": "shipped", "tracking_note": "shipment_cancelled", "seller_response": "no_reply",
           "days_left": -12}


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""))
    return status, out.getvalue(), err.getvalue()


# ------------------------------------------------------------- the bundle
def test_explain_bundles_how_why_not_and_what_if():
    result = consult(KB, EXAMPLE)
    why = explain_why_not(KB, result, "contact_seller")
    what = explain_what_if(KB, result.given, {"days_left": -20})
    explanation = explain(KB, result, [why], what, today=datetime.date(2026, 11, 22))
    assert isinstance(explanation, Explanation)
    assert explanation.how == explain_how(result)
    assert explanation.why_not == (why,) and explanation.what_if is what and explanation.asked
    assert not explain(KB, result).asked


def test_to_json_is_the_consultation_json_plus_the_explanations():
    result = consult(KB, EXAMPLE)
    data = explain(KB, result).to_json()
    assert {k: v for k, v in data.items() if k != "how"} == result.to_json()
    assert [item["advice"] for item in data["how"]][:2] == ["deadline_near", "open_dispute"]
    asked = explain(KB, result, [explain_why_not(KB, result, "contact_seller")]).to_json()
    assert asked["why_not"][0]["advice"] == "contact_seller" and "what_if" not in asked
    json.dumps(asked)  # plain JSON data


def test_the_json_format_is_to_json():
    explanation = explain(KB, consult(KB, EXAMPLE))
    assert json.loads(render_explanation(explanation, "json")) == explanation.to_json()


# ---------------------------------------------------------- the renderers
def test_the_formats_are_the_registry_keys():
    assert render.FORMATS == tuple(RENDERERS)
    assert render.FORMATS[:4] == ("text", "json", "markdown", "mermaid")  # the documented ones, text first


def test_the_text_is_composed_of_its_sections():
    explanation = explain(KB, consult(KB, EXAMPLE))
    text = render_explanation(explanation, "text")
    assert "\n".join(text_how(explanation)) in text
    assert text.endswith(render_sections(explanation))
    assert text.startswith("Facts given: order_status = shipped, ")


def test_advise_why_not_shows_the_sections_after_the_plan():
    status, out, _ = run(["advise", "--today", "2026-11-22", "--set", "order_status=shipped",
                          "--why-not", "open_dispute"])
    assert status == 0
    plan, _, sections = out.partition("\n\nWhy not open_dispute")
    assert sections.startswith(' ("') and "Facts given" not in out


# ------------------------------------------------------------ the errors
def test_an_unknown_advice_id_is_a_located_error_with_a_did_you_mean():
    result = consult(KB, EXAMPLE)
    with pytest.raises(FactInputError) as caught:
        explain_why_not(KB, result, "open_disput", where="--why-not open_disput")
    assert str(caught.value) == ("--why-not open_disput: error: unknown advice id 'open_disput' "
                                 "(did you mean 'open_dispute'?)")
    assert isinstance(caught.value, (UnknownAdviceIdError, KeyError))


def test_why_not_on_the_command_line():
    status, _, err = run(["advise", "--set", "order_status=shipped", "--why-not", "open_disput"])
    assert status == 2
    assert err == "--why-not open_disput: error: unknown advice id 'open_disput' (did you mean 'open_dispute'?)\n"


def test_what_if_without_equals_names_its_own_option():
    status, _, err = run(["advise", "--set", "order_status=shipped", "--what-if", "foo"])
    assert status == 2
    assert err == "--what-if foo: error: expected NAME=VALUE, e.g. --what-if order_status=shipped\n"
    with pytest.raises(FactInputError) as caught:
        parse_assignment("foo", "what if")
    assert str(caught.value) == "what if foo: error: expected NAME=VALUE, e.g. what if order_status=shipped"


def test_an_interview_refuses_unknown_questions_and_bad_values_with_located_errors():
    interview = Interview(KB)
    with pytest.raises(FactInputError) as caught:
        interview.fact("order_stat")
    assert str(caught.value) == ("fact 'order_stat': error: unknown or not askable fact 'order_stat' "
                                 "(did you mean 'order_status'?)")
    with pytest.raises(FactInputError) as caught:
        interview.answer("order_status", "shiped")
    assert caught.value.suggestion == "shipped"
    with pytest.raises(FactInputError):
        interview.revise("no_such_fact")


# ------------------------------------------------------- words for values
@pytest.mark.parametrize("value, plain, quoted, words", [
    (True, "true", "true", "yes"),
    (False, "false", "false", "no"),
    ("shipped", "shipped", "'shipped'", "shipped"),
    (3, "3", "3", "3"),
    ([1, 2], "[1, 2]", "[1, 2]", "[1, 2]"),
    (None, "None", "None", "None"),
])
def test_one_value_formatter(value, plain, quoted, words):
    assert format_value(value) == plain
    assert format_value(value, quote=True) == quoted
    assert format_value(value, yes_no=True) == words


@pytest.mark.parametrize("names, text", [
    ((), ""),
    ((None,), ""),
    (("a",), " (did you mean 'a'?)"),
    (("a", "b"), " (did you mean 'a' or 'b'?)"),
    (("a", "b", "c"), " (did you mean 'a', 'b' or 'c'?)"),
])
def test_one_did_you_mean(names, text):
    assert did_you_mean(*names) == text
