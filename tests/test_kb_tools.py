"""``orderdoctor kb check | test | graph | impact | docs``: each check triggered by a small
broken knowledge base and quiet on one without the problem."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from helpers import MINIMAL_KB, EditingInput, kb_with_rules
from orderdoctor.cli.main import main
from orderdoctor.engine import load_knowledge_base
from orderdoctor.engine.lint import LintConfig, check_knowledge_base

ROOT = Path(__file__).resolve().parent.parent


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def findings(path, check, config=None):
    return [f for f in check_knowledge_base(load_knowledge_base(path), config) if f.check == check]


RULE = """- id: {id}
  description: A rule.
  when: {when}
  then: {then}
  source: test-article
"""


def rules(*items):
    return "".join(RULE.format(id=i, when=w, then=t) for i, w, t in items)


# ------------------------------------------------------------------ checks
@pytest.mark.parametrize(
    "when, message",
    [
        ("{all: [{order_status: shipped}, {order_status: closed}]}",
         "no value of order_status passes order_status = shipped and order_status = closed"),
        ("{days_left: {gt: 10, lt: 5}}", "no value of days_left passes days_left > 10 and days_left < 5"),
        ("{days_left: {gt: 100}}", "no value of days_left passes days_left > 100"),
        ("{urgency: low}", "no value of urgency passes urgency = low"),
    ],
)
def test_unreachable_rule(tmp_path, when, message):
    kb = kb_with_rules(tmp_path, rules(("never", when, "{advise: [reorder]}"),
                                       ("derives", "{order_status: shipped}", "{derive: {urgency: high}}")))
    [finding] = findings(kb, "unreachable")
    assert finding.subject == "never" and message in finding.message
    assert finding.format().endswith("[unreachable]")


def test_reachable_rules_are_quiet(tmp_path):
    kb = kb_with_rules(tmp_path, rules(("fine", "{days_left: {gt: 5, lt: 10}}", "{advise: [reorder]}")))
    assert findings(kb, "unreachable") == []
    assert findings(MINIMAL_KB, "unreachable") == []


def test_redundant_rule(tmp_path):
    kb = kb_with_rules(tmp_path, rules(
        ("broad", "{order_status: [shipped, closed]}", "{advise: [reorder]}"),
        ("narrow", "{order_status: shipped, days_left: {lt: 3}}", "{advise: [reorder]}"),
    ))
    [finding] = findings(kb, "redundant")
    assert finding.subject == "narrow"
    assert "rule 'broad' gives the same conclusions whenever it fires" in finding.message


def test_different_conclusions_are_not_redundant(tmp_path):
    kb = kb_with_rules(tmp_path, rules(
        ("broad", "{order_status: [shipped, closed]}", "{advise: [reorder]}"),
        ("narrow", "{order_status: shipped, days_left: {lt: 3}}", "{advise: [open_dispute]}"),
    ))
    assert findings(kb, "redundant") == []


def _incompatible(tmp_path, rule_text):
    kb = kb_with_rules(tmp_path, rule_text)
    advice = (kb / "advice.yaml").read_text().replace(
        "  title: Reorder\n", "  title: Reorder\n  incompatible_with: [contact_seller]\n")
    (kb / "advice.yaml").write_text(advice)
    return kb


def test_conflicting_rules(tmp_path):
    kb = _incompatible(tmp_path, rules(
        ("a", "{order_status: shipped}", "{advise: [reorder]}"),
        ("b", "{days_left: {lt: 3}}", "{advise: [contact_seller]}"),
    ))
    [finding] = findings(kb, "incompatible")
    assert finding.subject == "b+a" and finding.severity == "error"  # the giver of the first id comes first
    assert finding.message == (
        "rules 'b' and 'a' can fire together and give incompatible advice 'contact_seller' and 'reorder', "
        "for example order_status=shipped days_left=0"
    )
    status, out, _ = run(["kb", "check", "--kb", str(kb)])
    assert status == 2 and ": error: rules 'b' and 'a'" in out and "[incompatible]" in out


def test_rules_that_cannot_fire_together_do_not_conflict(tmp_path):
    kb = _incompatible(tmp_path, rules(
        ("a", "{order_status: shipped}", "{derive: {urgency: high}}"),
        ("b", "{urgency: high}", "{advise: [reorder]}"),
        ("c", "{order_status: closed}", "{advise: [contact_seller]}"),
    ))
    assert findings(kb, "incompatible") == []  # b needs shipped (through urgency), c needs closed


def test_dead_ends(tmp_path):
    extra = """
- name: unused_flag
  type: boolean
  description: Read by no rule.
- name: never_derived
  type: boolean
  derived: true
  description: Derived by no rule.
"""
    kb = kb_with_rules(tmp_path, rules(("only", "{order_status: shipped}", "{derive: {urgency: high}}")), extra)
    subjects = {f.subject: f.message for f in findings(kb, "dead-end")}
    assert subjects["read:unused_flag"] == "fact 'unused_flag' is read by no rule"
    assert subjects["derive:never_derived"] == "derived fact 'never_derived' is derived by no rule"
    assert subjects["read:urgency"] == "derived fact 'urgency' is read by no rule"
    assert subjects["advice:open_dispute"] == "advice 'open_dispute' is given by no rule"
    assert "order_status=closed" in subjects  # a choice value no rule mentions


def test_gaps_are_listed_and_can_be_explained(tmp_path):
    kb_path = kb_with_rules(tmp_path, rules(("shipped_only", "{order_status: shipped}", "{advise: [reorder]}")))
    config = LintConfig(gap_facts=("order_status", "seller_suspicious"))
    gaps = [f.subject for f in findings(kb_path, "gap", config)]
    assert gaps == ["order_status≠shipped, seller_suspicious=*"]  # aggregated
    (kb_path / "checks.yaml").write_text(
        "gaps:\n  facts: [order_status, seller_suspicious]\n"
        "explained:\n  - check: gap\n    subject: order_status=closed, seller_suspicious=*\n"
        "    reason: closed orders are out of scope here\n"
    )
    status, out, _ = run(["kb", "check", "--kb", str(kb_path), "--strict"])
    assert status == 1  # delivered is still an unexplained gap
    assert "explained: no advice can be given when order_status=closed, seller_suspicious=* [gap] — closed orders are out of scope here" in out
    assert "warning: no advice can be given when order_status=delivered, seller_suspicious=*" in out


def test_no_gap_when_every_combination_has_advice(tmp_path):
    kb_path = kb_with_rules(tmp_path, rules(("always", "{order_status: [shipped, closed, delivered]}", "{advise: [reorder]}")))
    assert findings(kb_path, "gap", LintConfig(gap_facts=("order_status",))) == []


def test_cycles_are_load_errors_in_kb_check(tmp_path):
    kb_path = kb_with_rules(tmp_path, rules(
        ("a", "{problem: true}", "{derive: {urgency: high}}"),
        ("b", "{urgency: high}", "{derive: {problem: true}}"),
    ))
    status, out, err = run(["kb", "check", "--kb", str(kb_path)])
    assert status == 2 and "rules derive facts in a cycle: a → urgency → b → problem → a" in out


def test_bad_checks_file(tmp_path):
    kb_path = kb_with_rules(tmp_path, rules(("r", "{order_status: shipped}", "{advise: [reorder]}")))
    (kb_path / "checks.yaml").write_text("gaps:\n  facts: [order_stat]\nexplained:\n  - check: gapz\n    subject: x\n    reason: y\n")
    status, out, _ = run(["kb", "check", "--kb", str(kb_path)])
    assert status == 2
    assert "unknown fact 'order_stat' (did you mean 'order_status'?)" in out
    assert "unknown check 'gapz'" in out


def test_check_json_and_strict_exit_codes():
    status, out, _ = run(["kb", "check", "--kb", str(MINIMAL_KB), "--format", "json"])
    data = json.loads(out)
    assert status == 0 and data["warnings"] == 3 and data["errors"] == 0
    assert {f["check"] for f in data["findings"]} == {"dead-end"}
    assert run(["kb", "check", "--kb", str(MINIMAL_KB), "--strict"])[0] == 1


def test_shipped_kb_is_clean_under_strict():
    status, out, err = run(["kb", "check", "--strict"])
    assert status == 0, out
    assert out.splitlines()[-1].startswith("kb check: 0 error(s), 0 warning(s)")
    assert all(": explained: " in line for line in out.splitlines()[:-1])  # reviewed findings, with reasons


# -------------------------------------------------------------------- test
def test_kb_test_reports_failures_coverage_and_junit(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- id: wrong\n  story: Expects the wrong thing.\n  facts: {order_status: closed, coupon_used: welcome}\n"
        "  must: [open_dispute]\n"
        "- id: right\n  story: Closed with a coupon.\n  facts: {order_status: closed, coupon_used: welcome}\n"
        "  must: [reorder]\n"
    )
    junit = tmp_path / "junit.xml"
    status, out, _ = run(["kb", "test", "--kb", str(MINIMAL_KB), str(cases), "--junit", str(junit)])
    assert status == 1
    assert "FAIL wrong (" in out and "expected advice 'open_dispute' is missing" in out
    assert "2 cases: 1 passed, 1 failed" in out
    assert "rules fired: 1/5 (20.0%); never fired:" in out
    xml = junit.read_text()
    assert '<testsuite name="orderdoctor kb test" tests="2" failures="1"' in xml
    assert '<testcase classname="kb.cases.cases" name="wrong" file=' in xml


def test_kb_test_min_coverage():
    status, out, _ = run(["kb", "test", "--kb", str(MINIMAL_KB), "--min-coverage", "100"])
    assert status == 1 and "below --min-coverage 100" in out
    status, out, _ = run(["kb", "test", "--min-coverage", "100"])
    rules = len(load_knowledge_base().rules)
    assert status == 0 and f"rules fired: {rules}/{rules} (100.0%)" in out


# ------------------------------------------------------------- graph/impact
def test_graph_dot_and_mermaid_around_a_node():
    kb = ["--kb", str(MINIMAL_KB)]
    status, out, _ = run(["kb", "graph", "--around", "seller_suspicious", "--depth", "1", *kb])
    assert status == 0 and out.startswith("digraph orderdoctor {")
    assert '"fact:seller_suspicious" -> "rule:calm_contact" [label="is not true"];' in out
    assert '"advice:' not in out  # depth 1 stops at the rules
    status, out, _ = run(["kb", "graph", "--format", "mermaid", *kb])
    assert out.startswith("flowchart LR") and "classDef warning" in out


def test_graph_picture(tmp_path, monkeypatch):
    if shutil.which("dot"):
        status, out, _ = run(["kb", "graph", "--around", "open_dispute", "--output", str(tmp_path / "g.svg")])
        assert status == 0 and (tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    status, out, err = run(["kb", "graph", "--output", str(tmp_path / "g.png")])
    assert status == 2
    assert "Graphviz's 'dot' is not installed (Debian: apt-get install graphviz)" in err


def test_impact_of_a_rule_and_unknown_names():
    status, out, _ = run(["kb", "impact", "shipped_with_problem", "--kb", str(MINIMAL_KB)])
    assert status == 0
    assert "questions that feed it: days_left, order_status, seller_suspicious" in out
    assert "advice it can change: deadline_near, open_dispute" in out
    assert "cases that fire it (1):" in out and "urgent" in out
    status, _, err = run(["kb", "impact", "shipped_with_prblem", "--kb", str(MINIMAL_KB)])
    assert status == 2 and "did you mean 'shipped_with_problem'" in err


def test_generated_docs_are_current(monkeypatch):
    """docs/rules.md and every generated region of README.md and docs/*.md (counts, tables,
    lists) are as ``orderdoctor kb docs`` writes them: a kb edit needs ``kb docs``, no test edit."""
    monkeypatch.chdir(ROOT)
    status, out, _ = run(["kb", "docs", "--check"])
    assert status == 0, out
    assert all(line.endswith(" current") for line in out.splitlines()), out
    assert {"docs/rules.md", "README.md", "docs/knowledge.md", "docs/interview.md"} <= {
        line.removesuffix(" is current") for line in out.splitlines()}



def test_ask_watch_reloads_good_rules_and_keeps_old_ones_on_errors(tmp_path):
    import os
    import time

    kb_path = tmp_path / "kb"
    shutil.copytree(MINIMAL_KB, kb_path)
    rules_file = kb_path / "rules" / "main.yaml"
    original = rules_file.read_text()

    def touch(text):
        rules_file.write_text(text)
        stamp = time.time() + 5
        os.utime(rules_file, (stamp, stamp))

    def break_it():
        touch(original + "\n- id: broken\n  description: Bad.\n  when: {order_stat: shipped}\n"
              "  then: {advise: [reorder]}\n  source: test-article\n")

    def improve_it():
        touch(original.replace("advise: [contact_seller]", "advise: [contact_seller, reorder]"))

    stdin = EditingInput(["shipped", "30", "no", "how", "quit"], {2: break_it, 4: improve_it})
    out, err = io.StringIO(), io.StringIO()
    status = main(["ask", "--watch", "--kb", str(kb_path), "--save", str(tmp_path / "s.json")],
                  stdout=out, stderr=err, stdin=stdin)
    text = out.getvalue()
    assert status == 0, err.getvalue()
    assert "The knowledge base changed but has errors; still using the previous rules:" in text
    assert "unknown fact 'order_stat' (did you mean 'order_status'?)" in text
    assert "Knowledge base reloaded (5 rules); your answers were worked out again." in text
    before, after = text.split("Knowledge base reloaded", 1)
    assert "Order it again" not in before and "Order it again" in after
