"""``kb check``'s proofs of the advice contracts (engine/lint.py): one broken knowledge base per
error class (contract, incompatible, urgency), each error with an example situation that a
consultation confirms; "could not prove" when the proof is too large; and soundness: every
violation a consultation reports is found statically."""

from __future__ import annotations

import dataclasses
import io

import pytest
from contract_kb import RULES, contract_kb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from orderdoctor.cli.main import main
from orderdoctor.engine import consult, load_knowledge_base
from orderdoctor.engine import lint
from orderdoctor.engine.lint import LintConfig, check_knowledge_base, consult_pure
from orderdoctor.engine.model import AllOf, AnyOf, KnowledgeBase, Not, comparisons_in
from strategies import kb_fact_sets


def errors(kb, check=None):
    return [f for f in check_knowledge_base(kb) if f.severity == "error" and check in (None, f.check)]


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_contract_errors_name_the_rule_the_advice_and_an_example(tmp_path):
    kb = load_knowledge_base(contract_kb(tmp_path, "contract"))
    found = errors(kb)
    assert [(f.check, f.subject) for f in found] == [
        ("contract", "r_contact:contact_seller"), ("contract", "r_reorder:reorder")]
    assert found[0].message == (
        "rule 'r_contact' can give 'contact_seller' where its contract fails, for example "
        "order_status=shipped days_left=0")
    assert found[1].message.endswith("for example coupon_used=welcome seller_suspicious=true")
    assert str(found[0].location).endswith("rules/main.yaml:1:3")
    # the example is a real situation: a consultation shows the violation there
    result = consult(kb, {"order_status": "shipped", "days_left": 0})
    assert ("contract", "contact_seller") in [(v.kind, v.advice) for v in result.violations]


def test_incompatible_errors(tmp_path):
    kb = load_knowledge_base(contract_kb(tmp_path, "incompatible"))
    [found] = errors(kb)
    assert (found.check, found.subject) == ("incompatible", "r_hurry+r_reorder")
    assert found.message == (
        "rules 'r_hurry' and 'r_reorder' can fire together and give incompatible advice 'open_dispute' and "
        "'reorder', for example order_status=shipped coupon_used=welcome days_left=0")


def test_urgency_errors(tmp_path):
    kb = load_knowledge_base(contract_kb(tmp_path, "urgency"))
    [found] = errors(kb)
    assert (found.check, found.subject) == ("urgency", "r_hurry:deadline_near+r_hurry:open_dispute")
    assert found.message == (
        "rule 'r_hurry' gives 'deadline_near' (act within 5 days) while the same rule can give 'open_dispute' "
        "with a deadline more than 5 days away, for example order_status=shipped days_left=0")


def test_urgency_is_quiet_when_no_deadline_can_be_that_far(tmp_path):
    rules = RULES.replace("days_left: {lte: 7}", "days_left: {lte: -11}")  # at most 4 days with +15
    assert errors(load_knowledge_base(contract_kb(tmp_path, "urgency", rules=rules))) == []


def test_replaced_advice_needs_no_contract(tmp_path):
    # r_hurry gives open_dispute, which replaces contact_seller: from r_hurry it is never shown
    rules = RULES.replace("[deadline_near, open_dispute]", "[deadline_near, open_dispute, contact_seller]")
    path = contract_kb(tmp_path, "contract", rules=rules)
    advice = (path / "advice.yaml").read_text().replace(
        "  title: Open a dispute\n", "  title: Open a dispute\n  replaces: [contact_seller]\n")
    (path / "advice.yaml").write_text(advice)
    subjects = [f.subject for f in errors(load_knowledge_base(path))]
    assert "r_hurry:contact_seller" not in subjects and "r_contact:contact_seller" in subjects


def _replacing_kb(tmp_path, hurry):
    """The contract kb where r_hurry (``when: hurry``) gives open_dispute, which replaces contact_seller."""
    rules = RULES.replace("when: {order_status: shipped, days_left: {lte: 7}}", f"when: {hurry}")
    path = contract_kb(tmp_path, "contract", rules=rules)
    advice = (path / "advice.yaml").read_text().replace(
        "  title: Open a dispute\n", "  title: Open a dispute\n  replaces: [contact_seller]\n")
    (path / "advice.yaml").write_text(advice)
    return load_knowledge_base(path)


def test_replacement_by_another_rule_is_proven(tmp_path):
    # contact_seller needs more than 10 days; r_hurry fires at 10 or fewer and replaces it
    kb = _replacing_kb(tmp_path, "{order_status: shipped, days_left: {lte: 10}}")
    assert [f.subject for f in errors(kb)] == ["r_reorder:reorder"]


def test_replacement_by_another_rule_must_cover_every_situation(tmp_path):
    # r_hurry stops at 7 days: at 8 to 10 contact_seller is shown against its contract
    kb = _replacing_kb(tmp_path, "{order_status: shipped, days_left: {lte: 7}}")
    [found] = [f for f in errors(kb) if f.subject == "r_contact:contact_seller"]
    assert found.message.endswith("for example order_status=shipped days_left=8")
    assert ("contract", "contact_seller") in [
        (v.kind, v.advice) for v in consult(kb, {"order_status": "shipped", "days_left": 8}).violations]


def test_replacement_fails_when_a_fact_it_needs_is_unknown(tmp_path):
    # r_hurry also needs seller_suspicious known (either value): a buyer who does not say it gets
    # contact_seller unreplaced, so the example leaves it out
    hurry = ("{all: [{order_status: shipped}, {days_left: {lte: 10}}, "
             "{any: [{seller_suspicious: true}, {seller_suspicious: false}]}]}")
    kb = _replacing_kb(tmp_path, hurry)
    [found] = [f for f in errors(kb) if f.subject == "r_contact:contact_seller"]
    assert found.message.endswith("for example order_status=shipped days_left=0")
    assert ("contract", "contact_seller") in [
        (v.kind, v.advice) for v in consult(kb, {"order_status": "shipped", "days_left": 0}).violations]


def test_errors_fail_kb_check_and_cannot_be_explained(tmp_path):
    path = contract_kb(tmp_path, "contract")
    (path / "checks.yaml").write_text(
        "explained:\n  - check: contract\n    subject: r_contact:contact_seller\n    reason: it is fine\n")
    status, out, _ = run(["kb", "check", "--kb", str(path)])
    assert status == 2
    assert ": error: rule 'r_contact' can give 'contact_seller' where its contract fails" in out
    assert "kb check: 2 error(s)" in out
    assert run(["kb", "check", "--kb", str(path), "--strict"])[0] == 2


def test_the_old_conflict_check_id_is_gone(tmp_path):
    path = contract_kb(tmp_path)
    (path / "checks.yaml").write_text("explained:\n  - check: conflict\n    subject: a+b\n    reason: r\n")
    status, out, _ = run(["kb", "check", "--kb", str(path)])
    assert status == 2 and "unknown check 'conflict'" in out and "incompatible" in out


def test_could_not_prove_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(lint, "MAX_ALTERNATIVES", 0)
    kb = load_knowledge_base(contract_kb(tmp_path))
    found = [f for f in check_knowledge_base(kb, LintConfig()) if f.message.startswith("could not prove")]
    assert {f.check for f in found} == {"incompatible", "urgency"}  # r_hurry's condition is an `all`
    assert all(f.severity == "warning" for f in found)
    [incompatible] = [f for f in found if f.check == "incompatible"]
    assert incompatible.message.startswith(
        "could not prove that rules 'r_hurry' and 'r_reorder' never give incompatible advice 'open_dispute' "
        "and 'reorder' together: the conditions expand to more than 0 alternatives")
    status, out, _ = run(["kb", "check", "--kb", str(kb.root)])
    assert status == 2 and ": warning: could not prove that rules 'r_hurry' and 'r_reorder'" in out


def test_shipped_kb_has_no_contract_errors():
    from orderdoctor.engine import load_knowledge_base as load

    assert errors(load()) == []


def test_pure_consultation_matches_the_engine(tmp_path):
    kb = load_knowledge_base(contract_kb(tmp_path))
    for facts in ({"order_status": "shipped", "days_left": 3, "coupon_used": "welcome"},
                  {"order_status": "closed"}, {}):
        pure, real = consult_pure(kb, facts), consult(kb, facts)
        assert pure.advice_ids == real.advice_ids and pure.violations == real.violations


# --------------------------------------------------------------- soundness
def _with_generated_contracts() -> KnowledgeBase:
    """The shipped kb with a contract on every advice item, made from the rules that give it: odd
    ids require the opposite of their first giver's first two tests (so rules break them), even ids
    any giver's first two tests; warnings are urgent within 5 days."""
    kb = load_knowledge_base()
    advice = {}
    for item in kb.advice.values():
        tests = [AllOf(tuple(list(comparisons_in(kb.rule(r).when))[:2])) for r in kb.graph.rules_giving(item.id)]
        requires = None
        if tests:
            requires = Not(tests[0]) if len(item.id) % 2 else AnyOf(tuple(tests))
        advice[item.id] = dataclasses.replace(
            item, requires=requires, urgent_within=5 if item.kind.value == "warning" else None)
    rules = sorted(kb.rules, key=lambda rule: rule.position)
    return KnowledgeBase.assemble(kb.root, kb.facts, advice, rules, kb.sources)


GENERATED = _with_generated_contracts()
STATIC = {(f.check, f.subject) for f in check_knowledge_base(GENERATED) if f.severity == "error"}


def test_the_generated_kb_breaks_every_kind_of_contract():
    assert {check for check, _ in STATIC} == {"contract", "urgency"}


def _expected(result, violation):
    rule_of = {entry.id: entry.rule.id for entry in result.advice if entry.rule}
    if violation.kind == "contract":
        return ("contract", f"{violation.rule}:{violation.advice}")
    if violation.kind == "incompatible":
        first, second = sorted((violation.advice, violation.other))
        return ("incompatible", f"{rule_of[first]}+{rule_of[second]}")
    return ("urgency", f"{violation.rule}:{violation.advice}+{rule_of[violation.other]}:{violation.other}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_violation_at_run_time_is_found_statically(data):
    facts = data.draw(kb_fact_sets(GENERATED))
    result = consult(GENERATED, facts)
    for violation in result.violations:
        assert _expected(result, violation) in STATIC, (facts, violation.message)


def _small_kb() -> KnowledgeBase:
    import tempfile
    from pathlib import Path

    return load_knowledge_base(contract_kb(Path(tempfile.mkdtemp(prefix="contract-kb-"))))


SMALL = _small_kb()
SMALL_STATIC = {(f.check, f.subject) for f in check_knowledge_base(SMALL) if f.severity == "error"}


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_every_violation_of_the_small_kb_is_found_statically(data):
    facts = data.draw(kb_fact_sets(SMALL))
    result = consult(SMALL, facts)
    for violation in result.violations:
        assert _expected(result, violation) in SMALL_STATIC, (facts, violation.message)
