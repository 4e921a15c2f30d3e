"""Static consistency of derived facts (engine/derivations.py): ``overlap`` errors and
``range-gap`` warnings of ``kb check``, the same conflict at run time as a knowledge-base error
(exit 2) and as a failed case of ``kb test``; docs/maintaining.md's worked example and the review's
overlapping ranges applied to a copy of the shipped kb; and, on random small kbs, both checks
agree exactly with consultations of every complete situation."""

from __future__ import annotations

import io
import itertools
import re
import shutil
from pathlib import Path

import pytest
from helpers import MINIMAL_KB, lint_kb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from orderdoctor.cli.main import main
from orderdoctor.engine import load_knowledge_base
from orderdoctor.engine.conditions import evaluate
from orderdoctor.engine.derivations import overlaps, range_gaps
from orderdoctor.engine.errors import ConflictingDerivationError
from orderdoctor.engine.lint import Explained, LintConfig, check_knowledge_base, consult_pure
from orderdoctor.engine.model import AllOf, Comparison, FactType, KnowledgeBase, Operator, Rule
from orderdoctor.engine.proofs import MAX_ALTERNATIVES, Prover, lint_domains
from strategies import ADVICE, BASE_FACTS, DERIVED_FACTS, HERE, conditions



def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()



def derivation_findings(kb: KnowledgeBase, check: str | None = None, config: LintConfig | None = None):
    return [f for f in check_knowledge_base(kb, config) if f.check in ((check,) if check else ("overlap", "range-gap"))]


def at(kb: KnowledgeBase, rule_id: str) -> str:
    return kb.rule(rule_id).location.short()


# ------------------------------------------------------------------ overlap
def test_overlap_is_an_error_at_the_later_rule_naming_both_with_an_example(tmp_path):
    kb = load_knowledge_base(lint_kb("overlap", tmp_path))
    [found] = derivation_findings(kb)
    assert (found.check, found.severity) == ("overlap", "error")
    assert found.subject == "urgency:problem_and_short_time+calm_with_five_days"
    assert found.location == kb.rule("calm_with_five_days").location
    assert found.message == (
        f"rules 'problem_and_short_time' ({at(kb, 'problem_and_short_time')}) and 'calm_with_five_days' "
        f"({at(kb, 'calm_with_five_days')}) can both fire and derive different values of 'urgency' ('high' and "
        "'low'), for example order_status=shipped days_left=5 seller_suspicious=true")
    # the example is real: a consultation there stops on the conflict
    with pytest.raises(ConflictingDerivationError) as caught:
        consult_pure(kb, {"order_status": "shipped", "days_left": 5, "seller_suspicious": True})
    assert caught.value.fact == "urgency"
    # an error: cannot be explained away, and kb check exits 2
    config = LintConfig(explained=(Explained("overlap", found.subject, "fine", HERE),))
    assert derivation_findings(kb, "overlap", config)[0].explained is None
    status, out, _ = run(["kb", "check", "--kb", str(kb.root)])
    assert status == 2 and "[overlap]" in out


def test_the_same_value_from_two_rules_is_no_overlap(tmp_path):
    kb = load_knowledge_base(MINIMAL_KB)
    twin = Rule("twin", "Same value.", Comparison("days_left", Operator.LTE, 3), (("urgency", "high"),), (),
                "test-article", HERE, 0, 99)
    kb = KnowledgeBase.assemble(kb.root, kb.facts, kb.advice, [*kb.rules, twin], kb.sources)
    assert derivation_findings(kb, "overlap") == []


def test_rules_that_never_fire_together_do_not_overlap_even_through_derived_facts(tmp_path):
    """'problem' needs shipped; a rule deriving 'low' on closed orders can never meet it."""
    kb = load_knowledge_base(MINIMAL_KB)
    other = Rule("closed_is_calm", "Closed.", AllOf((Comparison("order_status", Operator.EQ, "closed"),
                                                    Comparison("days_left", Operator.LTE, 3))),
                 (("urgency", "low"),), (), "test-article", HERE, 0, 99)
    kb = KnowledgeBase.assemble(kb.root, kb.facts, kb.advice, [*kb.rules, other], kb.sources)
    assert derivation_findings(kb, "overlap") == []


def test_at_run_time_a_conflict_is_a_kb_error_not_an_internal_error(tmp_path):
    kb = load_knowledge_base(lint_kb("overlap", tmp_path))
    situation = ["--set", "order_status=shipped", "--set", "days_left=6", "--set", "seller_suspicious=true"]
    for command in ("advise", "explain"):
        status, out, err = run([command, "--kb", str(kb.root), *situation])
        assert status == 2 and out == ""
        [line] = err.splitlines()
        assert line.startswith(f"{kb.rule('calm_with_five_days').location}: error: rules 'problem_and_short_time' "
                               f"({at(kb, 'problem_and_short_time')}) and 'calm_with_five_days' "
                               f"({at(kb, 'calm_with_five_days')}) derive different values for fact 'urgency' "
                               "('high' and 'low') from the facts order_status=shipped, days_left=6, "
                               "seller_suspicious=true")
        assert "run `orderdoctor kb check`" in line and "internal error" not in line


def test_kb_test_fails_the_conflicting_case_and_runs_the_others(tmp_path):
    root = lint_kb("overlap", tmp_path)
    status, out, _ = run(["kb", "test", "--kb", str(root)])
    assert status == 1
    kb = load_knowledge_base(root)
    assert re.search(r"^FAIL suspicious_with_six_days \(.*cases/overlap\.yaml:1:3\)", out, re.M)
    assert (f"  - knowledge base error: rules 'problem_and_short_time' ({at(kb, 'problem_and_short_time')}) and "
            f"'calm_with_five_days' ({at(kb, 'calm_with_five_days')}) derive different values") in out
    assert "    2. problem_and_short_time (problem=True, days_left=6) → {'urgency': 'high'}" in out  # the trace so far
    assert re.search(r"^3 cases: 2 passed, 1 failed$", out, re.M)


# ---------------------------------------------------------------- range gaps
def test_a_hole_between_ranges_is_a_warning_at_the_rule_above_it(tmp_path):
    kb = load_knowledge_base(lint_kb("range_gap", tmp_path))
    [found] = derivation_findings(kb)
    assert (found.check, found.severity, found.subject) == ("range-gap", "warning", "time_left:days_left=8..10")
    assert found.location == kb.rule("plenty_of_time").location
    assert found.message == (
        f"days_left 8–10 derive no time_left when order_status=shipped: rule 'a_week_or_less' "
        f"({at(kb, 'a_week_or_less')}) derives it up to 7, rule 'plenty_of_time' ({at(kb, 'plenty_of_time')}) "
        "from 11")
    # it is real: 7 and 11 derive time_left, 8 to 10 do not
    derived = {days: "time_left" in consult_pure(kb, {"order_status": "shipped", "days_left": days}).facts
               for days in range(7, 12)}
    assert derived == {7: True, 8: False, 9: False, 10: False, 11: True}
    for subject in ("time_left:days_left=8..10", "time_left:days_left=*"):
        config = LintConfig(explained=(Explained("range-gap", subject, "the seller's week", HERE),))
        assert derivation_findings(kb, "range-gap", config)[0].explained == "the seller's week"


RULES_OVER_DAYS = """- id: first
  description: First.
  when: {order_status: shipped, days_left: {lte: 7}}
  then: {derive: {urgency: high}}
  source: test-article
- id: second
  description: Second.
  when: {SECOND}
  then: {derive: {urgency: high}}
  source: test-article
"""


@pytest.mark.parametrize(("second", "hole"), [
    ("{order_status: closed, days_left: {gt: 10}}", None),  # other situations: no hole between them
    ("{order_status: shipped, days_left: {gt: 7}}", None),  # the ranges meet
    ("{order_status: shipped, days_left: {gte: 5}}", None),  # they overlap (same value: fine)
    ("{days_left: {gt: 10}}", "days_left 8–10 derive no urgency when order_status=shipped"),
    ("{order_status: shipped, days_left: {eq: 9}}", "days_left 8 derives no urgency when order_status=shipped"),
])
def test_holes_are_only_between_ranges_in_one_situation(tmp_path, second, hole):
    from helpers import kb_with_rules

    kb = load_knowledge_base(kb_with_rules(tmp_path, RULES_OVER_DAYS.replace("{SECOND}", second)))
    found = derivation_findings(kb, "range-gap")
    assert [f.message.split(":")[0] for f in found] == ([hole] if hole else [])


def test_a_fact_derived_only_sometimes_has_no_hole(minimal_kb):
    """'problem' is derived for days_left < 0 (or a suspicious seller) only: one range, not a hole."""
    assert derivation_findings(minimal_kb) == []


# ------------------------------------------- the shipped kb, and edits of a copy of it
def test_the_shipped_kb_has_no_overlap_and_no_unexplained_hole(shipped_kb):
    from orderdoctor.engine import load_lint_config

    config = load_lint_config(shipped_kb)
    found = derivation_findings(shipped_kb, config=config)
    assert [f for f in found if f.severity == "error" or not f.explained] == []


def edited_shipped_kb(shipped_kb, where: Path, rule_id: str, old: str, new: str) -> Path:
    """A copy of the shipped kb with ``old`` replaced by ``new`` in the rule ``rule_id``."""
    target = where / "kb"
    shutil.copytree(shipped_kb.root, target)
    [path] = [p for p in (target / "rules").glob("*.yaml") if f"- id: {rule_id}\n" in p.read_text()]
    lines = path.read_text().splitlines(keepends=True)
    start = lines.index(f"- id: {rule_id}\n")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("- id:")), len(lines))
    block = "".join(lines[start:end])
    assert block.count(old) == 1, block
    path.write_text("".join(lines[:start]) + block.replace(old, new) + "".join(lines[end:]))
    return target


def test_the_worked_example_of_maintaining_md_is_caught(shipped_kb, tmp_path):
    """docs/maintaining.md step 2: `gt: 10` with the other rules left at `lte: 7`."""
    root = edited_shipped_kb(shipped_kb, tmp_path, "protection_more_than_a_week", "{gt: 7}", "{gt: 10}")
    kb = load_knowledge_base(root)
    status, out, _ = run(["kb", "check", "--kb", str(root), "--strict"])
    assert status == 1
    [line] = [line for line in out.splitlines() if "[range-gap]" in line]
    assert line == (
        f"{kb.rule('protection_more_than_a_week').location}: warning: days_left 8–10 derive no protection_window "
        f"when order_status=shipped: rule 'protection_a_week_or_less' ({at(kb, 'protection_a_week_or_less')}) "
        f"derives it up to 7, rule 'protection_more_than_a_week' ({at(kb, 'protection_more_than_a_week')}) "
        "from 11 [range-gap]")


def test_the_reviews_overlapping_ranges_are_caught_statically_and_at_run_time(shipped_kb, tmp_path):
    """Review 16b: `protection_a_week_or_less` widened to `lte: 10`."""
    root = edited_shipped_kb(shipped_kb, tmp_path, "protection_a_week_or_less", "lte: 7}", "lte: 10}")
    kb = load_knowledge_base(root)
    status, out, _ = run(["kb", "check", "--kb", str(root)])
    assert status == 2
    [line] = [line for line in out.splitlines() if "[overlap]" in line]
    assert line.startswith(f"{kb.rule('protection_a_week_or_less').location}: error: rules "
                           f"'protection_more_than_a_week' ({at(kb, 'protection_more_than_a_week')}) and "
                           f"'protection_a_week_or_less' ({at(kb, 'protection_a_week_or_less')}) can both fire and "
                           "derive different values of 'protection_window' ('open' and 'ending_soon'), for example ")
    status, out, err = run(["advise", "--kb", str(root), "--set", "order_status=shipped", "--set", "days_left=9"])
    assert status == 2 and "internal error" not in err
    assert "derive different values for fact 'protection_window' ('open' and 'ending_soon') from the facts " \
           "order_status=shipped, days_left=9" in err
    status, out, _ = run(["kb", "test", "--kb", str(root)])
    assert status == 1 and "knowledge base error: rules 'protection_more_than_a_week'" in out
    from orderdoctor.engine import load_cases

    total = len(load_cases(kb))
    summary = re.search(r"^(\d+) cases: (\d+) passed, (\d+) failed$", out, re.M)
    assert summary and int(summary[1]) == total and int(summary[3]) >= 1  # every case ran


# ------------------------------------------------ random kbs: exact both ways
LEVEL2 = DERIVED_FACTS["level2"]


@st.composite
def deriving_kbs(draw):
    """2–6 rules deriving level1 (true) or level2 (hot or cold) from the base facts, level2's
    rules sometimes reading level1: conflicts can only be over level2."""
    rules = []
    for number in range(draw(st.integers(2, 6))):
        when = draw(conditions(BASE_FACTS, 4))
        if draw(st.booleans()):
            derive = (("level1", True),)
        else:
            derive = (("level2", draw(st.sampled_from(LEVEL2.values))),)
            if draw(st.booleans()):
                when = AllOf((Comparison("level1", Operator.EQ, True), when))
        rules.append(Rule(f"rule_{number}", "A generated rule.", when, derive, (), "test", HERE, 0, number))
    return KnowledgeBase.assemble(HERE.file, {**BASE_FACTS, **DERIVED_FACTS}, ADVICE, rules)


def complete_situations():
    values = [list(f.values) if f.type is FactType.CHOICE else [True, False] if f.type is FactType.BOOLEAN
              else list(range(f.minimum, f.maximum + 1)) for f in BASE_FACTS.values()]
    for combination in itertools.product(*values):
        yield dict(zip(BASE_FACTS, combination, strict=True))


def derived_facts(kb: KnowledgeBase, situation) -> set[str]:
    """The facts some rule derives in ``situation`` (the fixpoint, first value kept)."""
    facts = dict(situation)
    changed = True
    while changed:
        changed = False
        for rule in kb.rules:
            if evaluate(rule.when, facts).holds:
                for name, value in rule.derive:
                    if name not in facts:
                        facts[name], changed = value, True
    return set(facts) - set(situation)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deriving_kbs())
def test_overlaps_and_holes_agree_with_every_complete_situation(kb):
    prover = Prover(kb, lint_domains(kb, MAX_ALTERNATIVES), MAX_ALTERNATIVES)
    found_overlap = list(overlaps(kb, prover))
    holes = list(range_gaps(kb, prover))
    assert all(f.severity == "error" for f in found_overlap) and all("could not" not in f.message for f in holes)
    conflict = False
    covered: dict[tuple, dict[str, set[int]]] = {}
    for situation in complete_situations():
        try:
            consult_pure(kb, situation)
        except ConflictingDerivationError:
            conflict = True
        others = tuple(value for name, value in situation.items() if name != "count")
        for fact in derived_facts(kb, situation):
            covered.setdefault(others, {}).setdefault(fact, set()).add(situation["count"])
    assert bool(found_overlap) == conflict  # "no overlap" means no consultation stops on a conflict
    compared = {fact for fact in DERIVED_FACTS
                if any(c.fact == "count" for rule in kb.rules if fact in dict(rule.derive)
                       for c in _comparisons(rule.when))}
    real = {(fact, low, high) for by_fact in covered.values() for fact, counts in by_fact.items()
            if fact in compared for low, high in _gaps(counts)}
    reported = {(f.subject.split(":")[0], *map(int, f.subject.split("=")[1].split(".."))) for f in holes}
    assert {fact for fact, *_ in reported} == {fact for fact, *_ in real}
    assert all(any(f == g and lo <= a and b <= hi for g, lo, hi in real) for f, a, b in reported)


def _comparisons(condition):
    from orderdoctor.engine.model import comparisons_in

    return comparisons_in(condition)


def _gaps(counts: set[int]) -> list[tuple[int, int]]:
    """The runs of missing numbers between the lowest and the highest of ``counts``."""
    ordered = sorted(counts)
    return [(low + 1, high - 1) for low, high in itertools.pairwise(ordered) if high > low + 1]


@pytest.mark.parametrize(("rule_id", "old", "new", "check"), [
    ("protection_more_than_a_week", "{gt: 7}", "{gt: 10}", "range-gap"),
    ("protection_a_week_or_less", "lte: 7}", "lte: 10}", "overlap"),
])
def test_maintaining_md_shows_the_real_findings_of_its_worked_example(shipped_kb, tmp_path, monkeypatch,
                                                                     rule_id, old, new, check):
    """docs/maintaining.md step 2 shows what `kb check` says of the two ways to get the edit wrong."""
    edited_shipped_kb(shipped_kb, tmp_path, rule_id, old, new)
    monkeypatch.chdir(tmp_path)  # the locations read kb/rules/...
    out, err = io.StringIO(), io.StringIO()
    main(["kb", "check", "--kb", "kb"], stdout=out, stderr=err)
    real = [line for line in out.getvalue().splitlines() if line.endswith(f"[{check}]")]
    docs = Path(__file__).resolve().parent.parent / "docs" / "maintaining.md"
    shown = re.findall(rf"^\s*(kb/rules/\S+ (?:warning|error): .*\[{check}\])$", docs.read_text(), re.M)
    assert shown and shown == real
