"""Advice contracts at run time (engine/contracts.py, the consultation): advice whose ``requires``
fails is withheld and recorded, incompatible advice and urgency clashes are recorded, undecided
facts are not violations; and the same violations in the JSON, ``kb test``, ``advise``'s standard
error, ``explain`` and ``batch``."""

from __future__ import annotations

import io
import json

import pytest
from contract_kb import contract_kb
from orderdoctor.cli.main import main
from orderdoctor.engine import consult, load_knowledge_base


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return load_knowledge_base(contract_kb(tmp_path_factory.mktemp("contracts")))


def kinds(result):
    return [(v.kind, v.advice, v.rule, v.other, v.days) for v in result.violations]


def run(argv, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return status, out.getvalue(), err.getvalue()


def test_advice_whose_contract_fails_is_withheld(kb):
    result = consult(kb, {"order_status": "shipped", "days_left": 8})
    assert kinds(result) == [("contract", "contact_seller", "r_contact", None, None)]
    assert result.advice_ids == ("nothing_applies",)


def test_undecided_facts_are_not_violations(kb):
    result = consult(kb, {"order_status": "shipped"})  # days_left unknown: requires undecided
    assert result.violations == () and result.advice_ids == ("contact_seller",)
    result = consult(kb, {"coupon_used": "welcome"})  # seller_suspicious unknown
    assert result.violations == () and result.advice_ids == ("reorder",)


def test_a_contract_that_holds_is_quiet(kb):
    result = consult(kb, {"order_status": "shipped", "days_left": 20, "coupon_used": "welcome",
                          "seller_suspicious": False})
    assert result.violations == () and set(result.advice_ids) == {"contact_seller", "reorder"}


def test_incompatible_advice_is_recorded_and_shown(kb):
    result = consult(kb, {"order_status": "shipped", "days_left": 20, "coupon_used": "welcome"})
    assert result.violations == ()
    result = consult(kb, {"order_status": "shipped", "days_left": 7, "coupon_used": "welcome",
                          "seller_suspicious": False})
    assert ("incompatible", "open_dispute", "r_hurry", "reorder", None) in kinds(result)
    assert {"open_dispute", "reorder"} <= set(result.advice_ids)


def test_urgency_beside_a_far_deadline(kb):
    result = consult(kb, {"order_status": "shipped", "days_left": 3})
    assert ("urgency", "deadline_near", "r_hurry", "open_dispute", 18) in kinds(result)
    assert ("contract", "contact_seller", "r_contact", None, None) in kinds(result)
    result = consult(kb, {"order_status": "shipped", "days_left": -12})  # 3 days left: urgent is right
    assert not [v for v in result.violations if v.kind == "urgency"]


def test_violations_in_the_json(kb):
    data = consult(kb, {"order_status": "shipped", "days_left": 8}).to_json()
    [violation] = data["violations"]
    assert violation == {
        "kind": "contract", "advice": "contact_seller", "rule": "r_contact", "other": None, "days": None,
        "message": "advice 'contact_seller' (given by rule 'r_contact') was given where its contract "
                   "('requires') fails; it was withheld",
    }
    json.dumps(data)


def test_advise_prints_each_violation_on_stderr_and_exits_0(kb):
    status, out, err = run(["advise", "--kb", str(kb.root), "--today", "2026-11-23",
                            "--set", "order_status=shipped", "--set", "days_left=3"])
    assert status == 0
    assert "1. Open a dispute (by Fri 11 Dec, 18 days left)" in out and "Write to the seller" not in out
    lines = err.splitlines()
    assert lines == [
        "orderdoctor: knowledge base error: advice 'contact_seller' (given by rule 'r_contact') was given "
        "where its contract ('requires') fails; it was withheld (please report it)",
        "orderdoctor: knowledge base error: advice 'deadline_near' (given by rule 'r_hurry') says to act "
        "now, but 'open_dispute' shows a deadline 18 days away (please report it)",
    ]
    status, out, err = run(["advise", "--kb", str(kb.root), "--json", "--set", "order_status=shipped",
                            "--set", "days_left=3"])
    assert status == 0 and err == "" and len(json.loads(out)["violations"]) == 2


def test_explain_shows_a_contract_violations_section(kb):
    status, out, _ = run(["explain", "--kb", str(kb.root), "--set", "order_status=shipped", "--set", "days_left=8"])
    assert status == 0
    assert "\nContract violations (1; a knowledge-base error, please report it):\n  - advice 'contact_seller'" in out
    status, out, _ = run(["explain", "--kb", str(kb.root), "--format", "markdown",
                          "--set", "order_status=shipped", "--set", "days_left=8"])
    assert "## Contract violations" in out
    status, out, _ = run(["explain", "--kb", str(kb.root), "--set", "order_status=shipped"])
    assert "Contract violations" not in out


def test_batch_records_carry_violations_and_dated_deadlines(kb):
    lines = '{"id": 1, "order_status": "shipped", "days_left": 3}\n{"id": 2, "coupon_used": "welcome"}\n'
    status, out, _ = run(["batch", "--kb", str(kb.root), "--today", "2026-11-23", "--format", "jsonl"], lines)
    assert status == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["deadlines"] == [{"advice": "open_dispute", "days": 18, "date": "2026-12-11"}]
    assert [v["kind"] for v in first["violations"]] == ["contract", "urgency"]
    assert "violations" not in second and "deadlines" not in second


def test_kb_test_fails_a_case_whose_answer_has_violations(kb, tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text("- id: hurry\n  story: Three days left.\n  facts: {order_status: shipped, days_left: 3}\n"
                     "  must: [open_dispute]\n")
    junit = tmp_path / "junit.xml"
    status, out, _ = run(["kb", "test", "--kb", str(kb.root), str(cases), "--junit", str(junit)])
    assert status == 1
    assert "FAIL hurry (" in out
    assert "  - knowledge base error: advice 'contact_seller' (given by rule 'r_contact') was given" in out
    assert "  - knowledge base error: advice 'deadline_near' (given by rule 'r_hurry') says to act now" in out
    assert "knowledge base error: advice &apos;contact_seller&apos;" in junit.read_text() or \
        "knowledge base error: advice 'contact_seller'" in junit.read_text()
