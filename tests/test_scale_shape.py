"""The algorithmic shape of what grows with a knowledge base (issue 16): kb check, the pure
consultation it confirms examples with, and the compiler's shard order stay linear on generated
knowledge bases. Operation counts, never timings."""

from __future__ import annotations

import pytest
from orderdoctor.engine import lint, proofs
from orderdoctor.engine.compiler import _rule_depths
from orderdoctor.engine.derivations import overlaps, range_gaps
from orderdoctor.engine.errors import YamlSyntaxError
from orderdoctor.engine.location import Location
from orderdoctor.engine.model import (
    Advice,
    AdviceKind,
    AllOf,
    Choice,
    Comparison,
    Fact,
    FactType,
    KnowledgeBase,
    Operator,
    Rule,
)
from orderdoctor.engine.shadowing import shadowed_rules
from orderdoctor.engine.yamlfile import parse_yaml

HERE = Location("<generated>")


def _bulk_kb(size: int) -> KnowledgeBase:
    """``size`` rules "status is S and days_left > B: advise A" (the reliability review's
    generator, seeded): most rules are made redundant by others, many give the same advice."""
    facts = {
        "status": Fact(
            "status", FactType.CHOICE, "A status.", HERE, tuple(Choice(f"s{i}") for i in range(3)), question="?"
        ),
        "days_left": Fact("days_left", FactType.INTEGER, "Days.", HERE, minimum=-400, maximum=400, question="?"),
        "flag": Fact("flag", FactType.BOOLEAN, "Derived.", HERE, derived=True),
    }
    advice = {f"a{i}": Advice(f"a{i}", AdviceKind.ACTION, f"Advice {i}", "Text.", "generated", HERE) for i in range(3)}
    first = Comparison("days_left", Operator.LT, 0)
    rules = [Rule("first", "Derives a flag.", first, (("flag", True),), (), "generated", HERE, 0, 0)]
    for number in range(size):
        when = AllOf((
            Comparison("status", Operator.EQ, f"s{(number * 7) % 3}"),
            Comparison("days_left", Operator.GT, (number * 37) % 700 - 350),
        ))
        rules.append(Rule(f"bulk_{number}", "A generated rule.", when, (), (f"a{(number * 5) % 3}",), "generated", HERE,
                          0, number + 1))
    return KnowledgeBase.assemble(HERE.file, facts, advice, rules)


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    calls = [0]
    original = getattr(module, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_redundancy_check_grows_linearly(monkeypatch):
    """Each rule is compared with the rules that share its conclusions, until the first that covers
    it — not with every other rule (5,000 rules were 25 million comparisons and 1.4 million lines)."""
    calls = _counting(monkeypatch, lint, "satisfiable")
    counts = {}
    for size in (500, 2000):
        kb = _bulk_kb(size)
        calls[0] = 0
        findings = list(lint._redundant(kb, proofs.lint_domains(kb)))
        counts[size] = calls[0]
        assert len({f.subject for f in findings}) == len(findings)  # one finding per redundant rule
    assert counts[2000] < 6 * counts[500]  # 4x the rules: about 4x the work (16x if pairwise)


def test_pure_consultation_grows_linearly(monkeypatch):
    """A rule's condition is decided when a fact it reads arrives, not after every firing."""
    calls = _counting(monkeypatch, proofs, "_truth")
    counts = {}
    for size in (500, 2000):
        kb = _bulk_kb(size)
        calls[0] = 0
        result = proofs.consult_pure(kb, {"status": "s0", "days_left": 399})
        assert len(result.trace) > size / 10  # many rules fire
        counts[size] = calls[0]
    assert counts[2000] < 6 * counts[500]


def test_pure_consultation_fires_in_the_documented_order():
    kb = _bulk_kb(300)
    result = proofs.consult_pure(kb, {"status": "s1", "days_left": -5})
    positions = [step.rule.position for step in result.trace]
    assert positions == sorted(positions) and result.trace[0].rule.id == "first"


def test_redundant_rule_names_the_first_rule_that_covers_it():
    kb = _bulk_kb(60)
    findings = [f for f in lint.check_knowledge_base(kb) if f.check == "redundant"]
    by_rule = {f.subject: f.message for f in findings}
    rule = kb.rule(findings[0].subject)
    covering = [
        other for other in kb.rules
        if other is not rule and set(rule.advise) <= set(other.advise)
        and other.when.conditions[0] == rule.when.conditions[0]
        and other.when.conditions[1].value < rule.when.conditions[1].value
    ]
    assert by_rule[rule.id].endswith(f"rule '{covering[0].id}' gives the same conclusions whenever it fires")


def _chain(length: int) -> KnowledgeBase:
    facts = {f"d{i}": Fact(f"d{i}", FactType.BOOLEAN, "Derived.", HERE, derived=True) for i in range(length)}
    facts["start"] = Fact("start", FactType.BOOLEAN, "Asked.", HERE, question="?")
    advice = {"a": Advice("a", AdviceKind.ACTION, "A", "Text.", "generated", HERE)}
    rules = [Rule(f"r{length - 1 - i}", "Link.", Comparison(f"d{length - 2 - i}" if i < length - 1 else "start",
                                                             Operator.EQ, True),
                  ((f"d{length - 1 - i}", True),), ("a",) if i == 0 else (), "generated", HERE, 0, i)
             for i in range(length)]
    return KnowledgeBase.assemble(HERE.file, facts, advice, rules)


def test_shard_order_depths_of_a_long_chain():
    """Derivation depth in one topological pass: a 3,000-rule chain (listed last link first) needs
    neither recursion nor rules-times-derivers work."""
    kb = _chain(3000)
    depths = _rule_depths(kb)
    assert depths == [3000 - 1 - i for i in range(3000)]


@pytest.mark.parametrize(
    "text, message, where",
    [
        ("a: &x 1\nb: &x 2\n", "YAML syntax: second occurrence", (2, 4)),
        ("a: *nope\n", "YAML syntax: found undefined alias", (1, 4)),
    ],
)
def test_anchor_errors_are_located(text, message, where):
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml(text, "f.yaml")
    assert caught.value.message.startswith(message)
    assert (caught.value.location.line, caught.value.location.column) == where


def test_aliases_give_the_anchored_value_and_its_location():
    node = parse_yaml("a: &x {k: [1, 2]}\nb: *x\nc: &s word\nd: *s\n", "f.yaml")
    assert node.plain() == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}, "c": "word", "d": "word"}
    assert node.value["b"].location.line == 1 and node.value["d"].location == node.value["c"].location


# ------------------------------------------------------------ the proving checks
def _advised_kb(size: int) -> KnowledgeBase:
    """:func:`_bulk_kb` with advice that gives every proving check work: a0 replaces a1 (shadowed,
    contract), a1 has a contract, a2 is incompatible with a1 and urgent beside a0's deadline; and
    the flag derived both ways (overlap, range-gap)."""
    from orderdoctor.engine.model import Deadline, Not

    kb = _bulk_kb(size)
    advice = dict(kb.advice)
    advice["a0"] = Advice("a0", AdviceKind.ACTION, "A0", "Text.", "generated", HERE, replaces=("a1",),
                          deadline=Deadline("days_left"))
    advice["a1"] = Advice("a1", AdviceKind.ACTION, "A1", "Text.", "generated", HERE,
                          requires=Comparison("days_left", Operator.LT, 200))
    advice["a2"] = Advice("a2", AdviceKind.ACTION, "A2", "Text.", "generated", HERE, incompatible_with=("a1",),
                          urgent_within=3)
    rules = list(kb.rules)
    for number in range(size // 10):
        when = AllOf((Comparison("status", Operator.EQ, f"s{number % 3}"),
                      Not(Comparison("days_left", Operator.LT, (number * 53) % 600 - 300))))
        rules.append(Rule(f"derive_{number}", "Derives the flag.", when, (("flag", number % 2 == 0),), (),
                          "generated", HERE, 0, size + 1 + number))
    return KnowledgeBase.assemble(HERE.file, kb.facts, advice, rules)


PROVING = {
    "shadowed": lambda kb, prover, effort: shadowed_rules(kb, prover, effort),
    "contract": lambda kb, prover, effort: lint._contracts(kb, prover, effort),
    "incompatible": lambda kb, prover, effort: lint._incompatibles(kb, prover, effort),
    "urgency": lambda kb, prover, effort: lint._urgencies(kb, prover, effort),
    "overlap": lambda kb, prover, effort: overlaps(kb, prover, effort),
    "range-gap": lambda kb, prover, effort: range_gaps(kb, prover, effort),
}


def _work(monkeypatch: pytest.MonkeyPatch, check: str, size: int) -> tuple[int, int, list[lint.Finding]]:
    """Search steps plus conditions evaluated by confirming consultations, for one check; and the rules."""
    truths = _counting(monkeypatch, proofs, "_truth")
    kb = _advised_kb(size)
    domains = proofs.lint_domains(kb)
    prover = proofs.Prover(kb, domains)
    truths[0] = 0
    findings = list(PROVING[check](kb, prover, proofs.Effort(prover)))
    return prover.steps + truths[0], len(kb.rules), findings


@pytest.mark.parametrize("check", sorted(PROVING))
def test_proving_checks_grow_linearly(monkeypatch, check):
    """Each proving check does work linear in the rules: (rules giving advice) x (rules replacing
    it) proofs, or consultations each as long as the kb, are bounded by the check's budget (a
    fixed amount per rule), and a check that reaches it says so in one finding."""
    monkeypatch.setattr(proofs, "SEARCH_BUDGET", 2_000)  # the fixed part of the budget: small kbs
    monkeypatch.setattr(proofs, "CONFIRMATIONS", 20)
    monkeypatch.setattr(proofs, "STEPS_PER_RULE", 20)
    for size in (100, 800):
        work, rules, findings = _work(monkeypatch, check, size)
        # steps: STEPS_PER_RULE a rule, one search past it; consultations: 20, each ~3 evaluations a rule
        assert work <= (20 + 20 * 3) * rules + 2 * 2_000
        assert sum(f.subject == "budget" for f in findings) <= 1


@pytest.mark.parametrize("check", sorted(PROVING))
def test_a_check_out_of_budget_says_where_it_stopped(check):
    kb = _advised_kb(300)
    prover = proofs.Prover(kb, proofs.lint_domains(kb))
    effort = proofs.Effort(prover)
    effort.limit = 0
    findings = list(PROVING[check](kb, prover, effort))
    stopped = [f for f in findings if f.subject == "budget"]
    assert len(stopped) == 1 and findings[-1] is stopped[0] and stopped[0].check == check
    assert f"the {check} check stopped here with " in stopped[0].message
    assert "left unchecked" in stopped[0].message and "--effort N" in stopped[0].message


def test_more_effort_checks_further():
    kb = _advised_kb(300)
    prover = proofs.Prover(kb, proofs.lint_domains(kb))
    tight, loose = proofs.Effort(prover), proofs.Effort(prover, 1_000)
    tight.limit = 0
    assert [f.subject for f in lint._contracts(kb, prover, tight)][-1] == "budget"
    assert all(f.subject != "budget" for f in lint._contracts(kb, prover, loose))
