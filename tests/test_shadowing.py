"""kb check's shadowed / unreachable-through-derived / stale / aggregated gap findings, and kb test's
coverage of advice shown and integer boundaries — each on a fixture kb (tests/fixtures/kb/lint/)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import FIXTURES, MINIMAL_KB, kb_with_rules, lint_kb
from orderdoctor.cli.main import main
from orderdoctor.engine import load_knowledge_base
from orderdoctor.engine.cases import boundaries, load_cases, run_cases
from orderdoctor.engine.checks import load_lint_config
from orderdoctor.engine.lint import check_knowledge_base

LINT = FIXTURES / "kb" / "lint"


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()



def findings(path: Path, check: str):
    kb = load_knowledge_base(path)
    return [f for f in check_knowledge_base(kb, load_lint_config(kb)) if f.check == check]


def test_every_lint_fixture_is_tested():
    """Each fixture folder under lint/ is used by a test here or in test_derivations.py."""
    assert {p.name for p in LINT.iterdir() if p.is_dir()} == {
        "shadowed_rule", "unreachable_derived", "stale_explanation", "gap_new_value",  # this file
        "overlap", "range_gap",  # tests/test_derivations.py
    }


def test_a_rule_whose_advice_is_always_replaced_is_shadowed(tmp_path):
    path = lint_kb("shadowed_rule", tmp_path)
    [finding] = findings(path, "shadowed")
    assert finding.subject == "contact_when_suspicious" and finding.severity == "warning"
    assert finding.location.line == 52
    assert "'contact_seller' by 'open_dispute' (rule 'urgent_dispute')" in finding.message
    status, out, _ = run(["kb", "check", "--kb", str(path), "--strict"])
    assert status == 1 and "never changes what the buyer is shown" in out and "[shadowed]" in out


def test_a_rule_replaced_only_sometimes_is_not_shadowed(tmp_path):
    # contact_seller from calm_contact is shown (nothing replaces it there): no finding anywhere
    assert findings(MINIMAL_KB, "shadowed") == []
    # with an unknown days_left the replacing rule cannot fire: not always replaced
    path = kb_with_rules(tmp_path, (LINT / "shadowed_rule" / "rules" / "main.yaml").read_text().replace(
        "    days_left: {lte: 7}\n  then:\n    advise: [contact_seller]", "  then:\n    advise: [contact_seller]"))
    assert findings(path, "shadowed") == []


def test_unreachable_through_a_derived_fact(tmp_path):
    path = lint_kb("unreachable_derived", tmp_path)
    [finding] = [f for f in findings(path, "unreachable") if f.subject == "urgent_but_relaxed"]
    assert "urgency = high holds only where rule 'problem_and_short_time' derives it" in finding.message
    assert "no value of days_left passes days_left ≤ 7 and days_left > 7" in finding.message
    assert finding.location.line == 52


def test_stale_explanations_are_located_with_a_suggestion(tmp_path):
    path = lint_kb("stale_explanation", tmp_path)
    stale = findings(path, "stale")
    assert [(f.location.line, f.subject) for f in stale] == [
        (5, "dead-end:coupon_used=nnone"), (8, "redundant:no_such_rule"),
    ]
    assert all(f.location.file.endswith("checks.yaml") for f in stale)
    assert "(did you mean 'coupon_used=none'?)" in stale[0].message
    assert "did you mean" not in stale[1].message
    assert [f.explained for f in findings(path, "dead-end") if f.subject == "coupon_used=none"] == [
        "no rule needs it yet"
    ]


def test_gaps_are_aggregated_and_located_at_the_value(tmp_path):
    path = lint_kb("gap_new_value", tmp_path)
    gaps = {f.subject: f.location for f in findings(path, "gap")}
    assert set(gaps) == {"order_status in [delivered, on_hold], coupon_used=*", "order_status=closed, coupon_used=none"}
    facts = (path / "facts.yaml").read_text().splitlines()
    assert "delivered" in facts[gaps["order_status in [delivered, on_hold], coupon_used=*"].line - 1]
    assert facts[gaps["order_status=closed, coupon_used=none"].line - 1].strip().startswith("values: [none")


def test_a_gap_naming_no_value_is_located_at_checks_yaml(tmp_path):
    path = kb_with_rules(tmp_path, "- id: r\n  description: d\n  when: {days_left: {gt: 1000}}\n"
                         "  then: {advise: [reorder]}\n  source: test-article\n")
    (path / "checks.yaml").write_text("# gaps\ngaps:\n  facts: [seller_suspicious]\n")
    [gap] = findings(path, "gap")
    assert gap.subject == "seller_suspicious=*"
    assert gap.location.file.endswith("checks.yaml") and gap.location.line == 3


# ------------------------------------------------------------------ coverage
def test_coverage_counts_advice_shown_and_rules_never_shown(tmp_path):
    path = lint_kb("shadowed_rule", tmp_path)
    kb = load_knowledge_base(path)
    coverage = run_cases(kb, load_cases(kb)).coverage
    assert "contact_when_suspicious" in coverage.rules_fired
    assert coverage.rules_never_shown == ("contact_when_suspicious",)
    shown = {"deadline_near", "open_dispute", "contact_seller"}  # the two cases' answers
    assert set(coverage.advice_reached) == shown and coverage.advice_never_reached == ("reorder",)
    status, out, _ = run(["kb", "test", "--kb", str(path)])
    assert status == 0
    assert "advice shown: 3/4 (75.0%); never: reorder; rules fired but never shown: contact_when_suspicious" in out


def test_integer_boundaries(tmp_path):
    kb = load_knowledge_base(MINIMAL_KB)
    # lt: 0 → -1, 0; lte: 7 → 7, 8; gt: 7 → 7, 8
    assert boundaries(kb) == {"days_left": (-1, 0, 7, 8)}
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- id: a\n  story: s\n  facts: {order_status: shipped, days_left: 7}\n  must_not: [reorder]\n"
        "- id: b\n  story: s\n  facts: {order_status: shipped, days_left: -1, seller_suspicious: false}\n  must_not: [reorder]\n"
    )
    status, out, _ = run(["kb", "test", "--kb", str(MINIMAL_KB), str(cases)])
    assert "integer boundaries given: 2/4 (50.0%); missing: days_left=0, days_left=8" in out


@pytest.mark.parametrize(("test", "expected"), [
    ("{gte: 10}", (9, 10)), ("{between: [3, 5]}", (2, 3, 5, 6)), ("{eq: 0}", (-1, 0, 1)),
    ("{lt: -100}", (-100,)), ("{gt: 99}", (99, 100)),
])
def test_boundaries_of_each_operator_within_min_and_max(tmp_path, test, expected):
    path = kb_with_rules(tmp_path, f"- id: r\n  description: d\n  when: {{days_left: {test}}}\n"
                         "  then: {advise: [reorder]}\n  source: test-article\n")
    assert boundaries(load_knowledge_base(path)) == {"days_left": expected}


def test_min_coverage_gates_advice_shown(tmp_path):
    path = kb_with_rules(tmp_path, "- id: a\n  description: d\n  when: {order_status: shipped}\n"
                         "  then: {advise: [contact_seller]}\n  source: test-article\n"
                         "- id: b\n  description: d\n  when: {order_status: shipped}\n"
                         "  then: {advise: [open_dispute]}\n  source: test-article\n")
    cases = tmp_path / "cases.yaml"
    cases.write_text("- id: c\n  story: s\n  facts: {order_status: shipped}\n  must: [open_dispute]\n")
    status, out, _ = run(["kb", "test", "--kb", str(path), str(cases), "--min-coverage", "100"])
    assert "rules fired: 2/2 (100.0%)" in out
    assert status == 1 and "advice shown coverage 25.0% is below --min-coverage 100" in out
    assert run(["kb", "test", "--kb", str(path), str(cases), "--min-coverage", "25"])[0] == 0


def test_shipped_kb_coverage_reaches_what_ci_gates():
    kb = load_knowledge_base()
    coverage = run_cases(kb, load_cases(kb)).coverage
    assert coverage.rule_percent == 100.0 and coverage.advice_percent == 100.0
    assert coverage.rules_never_shown == () and coverage.bounds_missing == ()
