"""``orderdoctor kb review``: the enumeration, the problem classes, grouping, explained problems,
the review.yaml loader, and the command line (formats, --check, --accept)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orderdoctor.cli.main import main
from orderdoctor.engine import KnowledgeBaseErrors, load_knowledge_base
from orderdoctor.engine.reviewconfig import load_review_config
from orderdoctor.engine.review import NOT_GIVEN, ReviewConfig, fact_values, pairwise_cover, review

FACTS = """\
- name: status
  type: choice
  description: The order's status.
  question: What status?
  values:
    a: Status a.
    b: Status b.
- name: n
  type: integer
  min: 0
  max: 10
  description: A countdown.
  question: How many days?
- name: flag
  type: boolean
  description: Something is flagged.
  question: Flagged?
- name: color
  type: choice
  description: A colour.
  question: Which colour?
  values: [red, green, blue]
"""

ADVICE = """\
- id: act
  kind: action
  title: Do it
  text: Do the thing.
  source: test
- id: other
  kind: action
  title: Do the other thing
  text: The other thing.
  source: test
- id: warn
  kind: warning
  title: Careful
  text: Be careful.
  source: test
"""

RULES = """\
- id: a_any
  description: a
  when: {status: a}
  then: {advise: [other]}
  source: test
- id: a_late
  description: a with time
  when: {status: a, n: {gt: 5}}
  then: {advise: [act]}
  source: test
- id: b_any
  description: b
  when: {status: b}
  then: {advise: [other]}
  source: test
"""

REVIEW = """\
deciding: [status, n]
out_of_scope:
  - not_given: [status]
    reason: nothing without a status
"""


def make_kb(where: Path, *, advice: str = ADVICE, rules: str = RULES, review_yaml: str | None = REVIEW) -> Path:
    root = where / "kb"
    (root / "rules").mkdir(parents=True)
    (root / "cases").mkdir()
    (root / "facts.yaml").write_text(FACTS)
    (root / "advice.yaml").write_text(advice)
    (root / "rules" / "main.yaml").write_text(rules)
    (root / "cases" / "main.yaml").write_text(
        "- id: a_case\n  story: status a, late\n  facts: {status: a, n: 6}\n  must: [act]\n"
    )
    if review_yaml is not None:
        (root / "review.yaml").write_text(review_yaml)
    return root


def run_review(root: Path):
    kb = load_knowledge_base(root, cache=False)
    return kb, review(kb, load_review_config(kb))


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def kinds(found):
    return {kind for kind, count in found.situations_by_class.items() if count}


# ------------------------------------------------------------- enumeration
def test_counts_on_a_tiny_kb_match_a_hand_count(tmp_path):
    kb, found = run_review(make_kb(tmp_path))
    assert fact_values(kb, "n") == (4, 5, 6)  # gt 5: the threshold ±1
    assert found.values["flag"] == (True, False)
    # (2+1) status × (3+1) n × (2+1) flag × (3+1) colour
    assert found.space_size == 3 * 4 * 3 * 4
    assert found.base_size == 12
    assert found.out_of_scope == {0: 4}  # status not given, with each of 4 n values
    # pairs: flag (2 values) and colour (3) with every value of status (3) and n (4), and with each other
    assert found.pairs_required == 2 * 7 + 3 * 7 + 2 * 3
    assert found.pairs_out_of_scope == 5  # flag/colour values with status not given
    assert found.pairs_covered == found.pairs_required - 5
    assert found.enumerated == 12 + found.pairwise_situations
    assert found.in_scope == 8 + found.pairwise_situations
    assert sum(row.count for row in found.rows) == found.in_scope


def test_integer_values_include_deadline_and_urgency_thresholds(tmp_path):
    advice = ADVICE.replace("  title: Do it\n", "  title: Do it\n  deadline: {days_from: n, plus: -2}\n")
    advice = advice.replace("  title: Careful\n", "  title: Careful\n  urgent_within: 1\n")
    kb, _ = run_review(make_kb(tmp_path, advice=advice))
    # gt 5 → 4,5,6; the deadline falls due at n=2 → 1,2,3; it passes urgent_within 1 at n=3 → 2,3,4
    assert fact_values(kb, "n") == (1, 2, 3, 4, 5, 6)


def test_no_review_file_makes_every_fact_deciding(tmp_path):
    kb, found = run_review(make_kb(tmp_path, review_yaml=None))
    assert found.deciding == ("status", "n", "flag", "color")
    assert found.enumerated == found.space_size == found.in_scope
    assert found.pairwise_situations == 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
)
def test_pairwise_cover_holds_every_pair(deciding_sizes, remaining_sizes):
    deciding = [f"d{i}" for i in range(len(deciding_sizes))]
    remaining = [f"r{i}" for i in range(len(remaining_sizes))]
    axes = {name: [*range(size), NOT_GIVEN] for name, size in zip(deciding, deciding_sizes)}
    axes.update({name: list(range(size)) for name, size in zip(remaining, remaining_sizes)})
    tests, required, impossible = pairwise_cover(axes, deciding, remaining)
    assert impossible == 0
    seen = {frozenset([(a, t[a]), (b, t[b])]) for t in tests for a, b in itertools.combinations(t, 2)}
    count = 0
    for i, r in enumerate(remaining):
        for v in axes[r]:
            for other in [*deciding, *remaining[i + 1:]]:
                for w in axes[other]:
                    count += 1
                    assert frozenset([(r, v), (other, w)]) in seen
    assert count == required


# --------------------------------------------------------- problem classes
def test_no_advice(tmp_path):
    rules = RULES.split("- id: b_any")[0]
    _, found = run_review(make_kb(tmp_path, rules=rules))
    assert "no-advice" in kinds(found)
    row = found.problem_rows[0]
    assert row.advice_ids == ("nothing_applies",)
    assert row.representative.facts == (("status", "b"),)  # fewest facts, then first


def test_contract(tmp_path):
    advice = ADVICE.replace("  title: Do it\n", "  title: Do it\n  requires: {flag: true}\n")
    # the three-way combination status=a, n=6, flag=false needs flag among the deciding facts
    _, found = run_review(make_kb(tmp_path, advice=advice, review_yaml=REVIEW.replace("[status, n]", "[status, n, flag]")))
    assert "contract" in kinds(found)
    row = next(r for r in found.problem_rows if r.problems[0].kind == "contract")
    assert ("flag", False) in row.representative.facts


def test_incompatible(tmp_path):
    advice = ADVICE.replace("  title: Do it\n", "  title: Do it\n  incompatible_with: [other]\n")
    _, found = run_review(make_kb(tmp_path, advice=advice))
    assert kinds(found) == {"incompatible"}


def test_urgency(tmp_path):
    advice = ADVICE.replace("  title: Do it\n", "  title: Do it\n  deadline: {days_from: n}\n")
    advice = advice.replace("  title: Careful\n", "  title: Careful\n  urgent_within: 2\n")
    rules = RULES.replace("then: {advise: [act]}", "then: {advise: [warn, act]}")
    _, found = run_review(make_kb(tmp_path, advice=advice, rules=rules))
    assert "urgency" in kinds(found)
    assert "deadline" not in kinds(found)  # the later deadline is the urgency violation's to report


def test_warning_only(tmp_path):
    rules = RULES.replace("then: {advise: [other]}", "then: {advise: [warn]}")
    _, found = run_review(make_kb(tmp_path, rules=rules))
    assert kinds(found) == {"warning-only"}


def test_deadline_urgent_item_without_its_date(tmp_path):
    # warn says act within 2 days of its own deadline, but is given when n (its countdown) is unknown
    advice = ADVICE.replace("  title: Careful\n", "  title: Careful\n  urgent_within: 2\n  deadline: {days_from: n}\n")
    rules = RULES.replace("then: {advise: [other]}", "then: {advise: [warn, other]}")
    _, found = run_review(make_kb(tmp_path, advice=advice, rules=rules))
    assert "deadline" in kinds(found)  # (and urgency: its own date can be more than 2 days away)
    details = [p.detail for row in found.problem_rows for p in row.problems]
    assert "warn says act now, but its deadline is not shown" in details


def test_urgent_item_with_no_deadline_of_its_own_is_fine(tmp_path):
    advice = ADVICE.replace("  title: Careful\n", "  title: Careful\n  urgent_within: 2\n")
    rules = RULES.replace("then: {advise: [other]}", "then: {advise: [warn, other]}")
    _, found = run_review(make_kb(tmp_path, advice=advice, rules=rules))
    assert kinds(found) == set()


def test_deadline_close_without_anything_urgent(tmp_path):
    # warn watches the deadline n-5 (act within 2 days of it); act shows that deadline alone
    advice = ADVICE.replace("  title: Do it\n", "  title: Do it\n  deadline: {days_from: n, plus: -5}\n")
    advice = advice.replace(
        "  title: Careful\n", "  title: Careful\n  urgent_within: 2\n  deadline: {days_from: n, plus: -5}\n")
    _, found = run_review(make_kb(tmp_path, advice=advice))
    assert kinds(found) == {"deadline"}
    assert "act's deadline is within 2 days, but nothing says act now" in found.problem_rows[0].problems[0].detail


def test_a_close_deadline_no_urgent_item_watches_is_fine(tmp_path):
    # act's deadline (n-5) is close, but warn watches another deadline (n)
    advice = ADVICE.replace("  title: Do it\n", "  title: Do it\n  deadline: {days_from: n, plus: -5}\n")
    advice = advice.replace("  title: Careful\n", "  title: Careful\n  urgent_within: 2\n  deadline: {days_from: n}\n")
    _, found = run_review(make_kb(tmp_path, advice=advice))
    assert kinds(found) == set()


def test_out_of_scope_situations_are_not_run(tmp_path):
    review_yaml = REVIEW + "  - when: {status: b, n: {lt: 5}}\n    reason: cannot happen\n"
    _, found = run_review(make_kb(tmp_path, review_yaml=review_yaml))
    assert found.out_of_scope == {0: 4, 1: 1}  # status=b with n=4
    assert found.in_scope == 7 + found.pairwise_situations
    for row in found.rows:
        for situation in (row.representative, *row.examples):
            facts = situation.as_dict()
            assert "status" in facts
            assert not (facts["status"] == "b" and facts.get("n", 99) < 5)


def test_explained_problems_are_not_problems(tmp_path):
    rules = RULES.split("- id: b_any")[0]
    review_yaml = REVIEW + "explained:\n  - problem: no-advice\n    when: {status: b, n: {gt: 5}}\n    reason: late b is fine\n"
    _, found = run_review(make_kb(tmp_path, rules=rules, review_yaml=review_yaml))
    assert found.explained_by_class["no-advice"] > 0
    # status=b with n ≤ 5 or not given still gets no advice: the same row, partly explained
    row = found.problem_rows[0]
    assert row.explained[row.problems[0]] > 0 and row.unexplained[row.problems[0]] > 0
    # explaining the row by its id explains all of it
    root = tmp_path / "kb"
    (root / "review.yaml").write_text(REVIEW + f"explained:\n  - problem: no-advice\n    row: {row.id}\n    reason: fine\n")
    _, found = run_review(root)
    assert found.problem_rows == ()
    assert found.situations_by_class["no-advice"] == 0


def test_rows_are_stable_and_grouped(tmp_path):
    _, first = run_review(make_kb(tmp_path))
    _, again = run_review(tmp_path / "kb")
    assert [r.id for r in first.rows] == [r.id for r in again.rows]
    assert len({r.id for r in first.rows}) == len(first.rows)
    assert all(r.id.startswith("R-") and len(r.id) == 10 for r in first.rows)


# ------------------------------------------------------------------ loader
def test_loader_reports_located_errors_with_suggestions(tmp_path):
    review_yaml = """\
deciding: [statsu, n]
out_of_scope:
  - when: {status: c}
    reason: x
explained:
  - problem: no-advise
    when: {status: a}
    reason: y
"""
    root = make_kb(tmp_path, review_yaml=review_yaml)
    kb = load_knowledge_base(root, cache=False)
    with pytest.raises(KnowledgeBaseErrors) as caught:
        load_review_config(kb)
    messages = [e.format() for e in caught.value.errors]
    assert any("review.yaml:1:" in m and "statsu" in m and "status" in m for m in messages)
    assert any("review.yaml:3:" in m and "'c'" in m for m in messages)
    assert any("no-advise" in m and "no-advice" in m for m in messages)


def test_loader_reads_the_shipped_review_file():
    kb = load_knowledge_base()
    config = load_review_config(kb)
    assert config.deciding[0] == "order_status"
    assert all(entry.reason for entry in config.out_of_scope)


def test_default_config_without_file(tmp_path):
    kb = load_knowledge_base(make_kb(tmp_path, review_yaml=None), cache=False)
    assert load_review_config(kb) == ReviewConfig()


# --------------------------------------------------------------------- cli
def test_cli_summary(tmp_path):
    root = make_kb(tmp_path)
    status, out, err = run(["kb", "review", "--kb", str(root)])
    assert status == 0, err
    assert "the space has 144 situations" in out
    assert "no-advice" in out


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json"])
def test_cli_formats(tmp_path, fmt):
    root = make_kb(tmp_path, rules=RULES.split("- id: b_any")[0])
    target = tmp_path / f"sheet.{ {'markdown': 'md'}.get(fmt, fmt) }"
    status, out, err = run(["kb", "review", "--kb", str(root), "--output", str(target), "--today", "2026-11-23"])
    assert status == 0, err
    text = target.read_text()
    if fmt == "markdown":
        assert text.startswith("# Situation-space review")
        assert "## Rows with problems (1)" in text and "### status = a: Status a." in text
        assert "- `status` = b: Status b." in text
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and rows[0]["row"].startswith("R-") and "no-advice" in rows[0]["problems"]
    else:
        data = json.loads(text)
        assert data["space_size"] == 144 and data["today"] == "2026-11-23"
        assert data["rows"][0]["has_problems"]


def test_cli_deadlines_are_dates(tmp_path):
    advice = ADVICE.replace("  title: Do it\n", "  title: Do it\n  deadline: {days_from: n}\n")
    root = make_kb(tmp_path, advice=advice)
    status, out, _ = run(["kb", "review", "--kb", str(root), "--format", "markdown", "--today", "2026-11-23"])
    assert status == 0
    assert "Do it (by 2026-11-29, 6 days left)" in out


def test_cli_check_exit_codes(tmp_path):
    root = make_kb(tmp_path, rules=RULES.split("- id: b_any")[0])
    status, out, _ = run(["kb", "review", "--kb", str(root), "--check"])
    assert status == 1
    assert out.splitlines()[0].startswith("R-") and "no-advice" in out.splitlines()[0]
    (root / "rules" / "main.yaml").write_text(RULES)
    status, out, _ = run(["kb", "review", "--kb", str(root), "--check"])
    assert status == 0, out
    assert "no unexplained problems" in out


def test_cli_bad_input(tmp_path):
    root = make_kb(tmp_path)
    assert run(["kb", "review", "--kb", str(root), "--today", "23.11.2026"])[0] == 2
    assert run(["kb", "review", "--kb", str(root), "--output", str(tmp_path / "x.txt")])[0] == 2
    (root / "review.yaml").write_text("deciding: [colour]\n")
    status, _, err = run(["kb", "review", "--kb", str(root)])
    assert status == 2 and "did you mean 'color'" in err


def test_cli_accept_appends_a_passing_case_and_refuses_duplicates(tmp_path):
    root = make_kb(tmp_path)
    _, found = run_review(root)
    row = next(r for r in found.rows if r.advice_ids == ("other",))
    status, out, err = run(["kb", "review", "--kb", str(root), "--accept", row.id, "--story", "B: do the other thing"])
    assert status == 0, err
    target = root / "cases" / "reviewed.yaml"
    text = target.read_text()
    assert text.startswith("# Scenario cases accepted")
    assert "reviewed_a" in out and "must: [other]" in text and "first: other" in text
    status, out, err = run(["kb", "test", "--kb", str(root)])
    assert status == 0, out + err
    assert "2 cases: 2 passed" in out
    status, _, err = run(["kb", "review", "--kb", str(root), "--accept", row.id])
    assert status == 2 and "exists already" in err
    assert target.read_text() == text
    status, _, err = run(["kb", "review", "--kb", str(root), "--accept", row.id[:-1] + "x"])
    assert status == 2 and f"did you mean '{row.id}'" in err


def test_cli_accept_to_another_file_with_a_generated_story(tmp_path):
    root = make_kb(tmp_path)
    _, found = run_review(root)
    row = next(r for r in found.rows if "act" in r.advice_ids)
    other = tmp_path / "accepted.yaml"
    status, _, err = run(["kb", "review", "--kb", str(root), "--accept", row.id, "--cases", str(other)])
    assert status == 0, err
    assert "Accepted from review row" in other.read_text()
    status, out, err = run(["kb", "test", "--kb", str(root), str(other)])
    assert status == 0, out + err


def test_cli_accept_refuses_rows_with_problems(tmp_path):
    root = make_kb(tmp_path, rules=RULES.split("- id: b_any")[0])
    _, found = run_review(root)
    status, _, err = run(["kb", "review", "--kb", str(root), "--accept", found.problem_rows[0].id])
    assert status == 2 and "no advice" in err
