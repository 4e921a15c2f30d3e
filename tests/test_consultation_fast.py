"""The fast paths of a consultation (issue 16) give exactly what the straightforward computation does.

``Consultation.result()`` ranks advice on per-kb tables, checks contracts with compiled verdicts and
works out ``trace``/``advice``/``replaced`` on first read; ``to_json()`` is built from plain tuples;
``validate_facts`` takes a fast path for values that need no conversion; frozen dataclass instances
are made without ``__init__``. Each is checked here against a plain reference, written as the
documented rules say (docs/architecture.md, engine/consultation.py), on every case of the shipped kb,
on random fact sets, and on the contract fixture kb. No timing here.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
from pathlib import Path

import pytest
from contract_kb import contract_kb
from orderdoctor.engine import InferenceEngine, load_cases, load_knowledge_base
from orderdoctor.engine.conditions import Truth, evaluate
from orderdoctor.engine.consultation import (
    _BUILT_IN_NOTHING_APPLIES,
    NOTHING_APPLIES,
    AdviceEntry,
    ConsultationResult,
    Replacement,
    TraceStep,
)
from orderdoctor.engine.contracts import Contracts, check_answer, compile_verdict, contract_holds
from orderdoctor.engine.errors import FactInputErrors
from orderdoctor.engine.facts import _validate_each, validate_facts
from orderdoctor.engine.model import AllOf, AnyOf, Comparison, FactType, Not
from orderdoctor.engine.operators import operator_named

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.agreement import random_fact_sets  # noqa: E402


# ------------------------------------------------------------------ the reference
def reference_json(kb, given, fired):
    """``to_json()`` of a consultation of ``kb`` on ``given`` that fired ``fired`` (rules, in
    order), computed the plain way: the documented ranking, ``replaces``, contracts through
    :func:`contract_holds` and :func:`check_answer`, and each step's matched facts."""
    facts, derived_by, derived_step = dict(given), {}, {}
    trace = []
    for number, rule in enumerate(fired, 1):
        matched = {n: facts[n] for n in rule.reads if n in facts and derived_step.get(n, 0) < number}
        trace.append({"step": number, "rule": rule.id, "matched": matched,
                      "derived_by": {n: derived_by[n] for n in matched if n in derived_by},
                      "derived": dict(rule.derive), "advised": list(rule.advise)})
        for name, value in rule.derive:
            if name not in facts:
                facts[name], derived_by[name], derived_step[name] = value, rule.id, number
    best = {}
    for number, rule in enumerate(fired, 1):
        for position, advice_id in enumerate(rule.advise):
            item = kb.advice[advice_id]
            key = (item.kind.rank, -rule.priority, number, position)
            if advice_id not in best or key < best[advice_id][0]:
                best[advice_id] = (key, item, rule)
    ranked = [(item, rule, deadline(item, facts)) for _, item, rule in sorted(best.values(), key=lambda b: b[0])]
    replacer = {old: item.id for item, _, _ in reversed(ranked) for old in item.replaces}
    kept = [entry for entry in ranked if entry[0].id not in replacer]
    violations = [("contract", item.id, rule.id) for item, rule, _ in kept if not contract_holds(item, facts)]
    shown = [entry for entry in kept if ("contract", entry[0].id, entry[1].id) not in violations]
    clashes = check_answer([(item, rule.id, days) for item, rule, days in shown])
    if not shown:
        shown = [(kb.advice.get(NOTHING_APPLIES, _BUILT_IN_NOTHING_APPLIES), None, None)]
    return {
        "advice": [{"id": item.id, "kind": item.kind.value, "title": item.title, "text": item.text,
                    "rule": rule.id if rule else None, "source": item.source, "deadline_days": days}
                   for item, rule, days in shown],
        "facts": {name: facts[name] for name in kb.facts if name in facts},
        "trace": trace,
        "replaced": [{"id": item.id, "by": replacer[item.id], "rule": rule.id}
                     for item, rule, _ in ranked if item.id in replacer],
        "violations": [{"kind": kind, "advice": advice, "rule": rule, "other": None, "days": None,
                        "message": f"advice '{advice}' (given by rule '{rule}') was given where its contract "
                                   "('requires') fails; it was withheld"}
                       for kind, advice, rule in violations] + [v.to_json() for v in clashes],
    }


def deadline(item, facts):
    if item.deadline is None:
        return None
    base = facts.get(item.deadline.fact)
    if not isinstance(base, int) or isinstance(base, bool):
        return None
    days = base + item.deadline.offset
    return days if days >= 0 else None


def check_consultations(kb, fact_sets):
    """Every fact set: the fast JSON, the reference, and the JSON of the same result made the plain
    way (through ``__init__``, from its fields as first read after ``to_json()``) are one text."""
    engine = InferenceEngine(kb)
    try:
        for facts in fact_sets:
            result = engine.consult(facts)
            fast = json.dumps(result.to_json())  # before any field is read: the tuples' path
            fired = [kb.rule(rule_id) for rule_id in result.fired_rules]
            assert fast == json.dumps(reference_json(kb, validate_facts(kb, facts), fired)), facts
            plain = ConsultationResult(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})
            assert plain == result
            assert json.dumps(plain.to_json()) == fast, facts
            assert [json.dumps(s.to_json()) for s in result.trace] == [json.dumps(s) for s in json.loads(fast)["trace"]]
    finally:
        engine.close()


def test_the_fast_result_is_the_reference_on_every_shipped_case(shipped_kb):
    check_consultations(shipped_kb, [dict(case.facts) for case in load_cases(shipped_kb)])


def test_the_fast_result_is_the_reference_on_random_fact_sets(shipped_kb):
    check_consultations(shipped_kb, random_fact_sets(shipped_kb, 3000, seed=16))


def test_the_fast_result_is_the_reference_with_every_kind_of_violation(tmp_path):
    kb = load_knowledge_base(contract_kb(tmp_path))
    fact_sets = random_fact_sets(kb, 400, seed=3, present=0.8)
    check_consultations(kb, fact_sets)
    engine = InferenceEngine(kb)
    kinds = {v.kind for facts in fact_sets for v in engine.consult(facts).violations}
    engine.close()
    assert kinds == {"contract", "incompatible", "urgency"}  # the check above saw each kind


def test_nothing_applies_and_an_empty_trace(minimal_kb):
    result = InferenceEngine(minimal_kb).consult({})
    assert result.to_json()["trace"] == [] and result.trace == ()
    assert [entry.id for entry in result.advice] == [NOTHING_APPLIES]
    check_consultations(minimal_kb, [{}])


# ---------------------------------------------------------- objects made without __init__
def test_results_made_fast_are_frozen_and_equal_to_those_made_by_init(shipped_kb):
    engine = InferenceEngine(shipped_kb)
    results = [engine.consult(dict(case.facts)) for case in load_cases(shipped_kb)]
    result = max(results, key=lambda r: (bool(r.replaced), len(r.trace)))  # with replacements if any
    made = [result, *result.trace, *result.advice, *result.replaced]
    for thing in made:
        fields = {f.name: getattr(thing, f.name) for f in dataclasses.fields(thing)}
        again = type(thing)(**fields)
        assert again == thing and repr(again) == repr(thing)
        if not isinstance(thing, ConsultationResult):
            assert hash(again) == hash(thing)
        name = dataclasses.fields(thing)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(thing, name, None)
    assert result.trace is result.trace and result.advice is result.advice  # worked out once


def test_the_class_attributes_of_the_result_fields_are_as_declared():
    assert ConsultationResult.replaced == () and ConsultationResult.violations == ()
    with pytest.raises(AttributeError):
        ConsultationResult.trace  # noqa: B018 - no default, as before
    result = ConsultationResult({}, {}, {}, (), ())
    assert result.replaced == () and result.to_json()["replaced"] == []
    assert isinstance(AdviceEntry(_BUILT_IN_NOTHING_APPLIES).to_json(), dict)
    assert Replacement.__dataclass_params__.frozen and TraceStep.__dataclass_params__.frozen


# ---------------------------------------------------------------- compiled contracts
def truth_cases(kb, count, seed):
    """Random facts for ``kb``, derived ones included (a contract reads them too)."""
    rng = random.Random(seed)
    sets = random_fact_sets(kb, count, seed=seed)
    for facts in sets:
        for fact in kb.facts.values():
            if fact.derived and rng.random() < 0.5:
                if fact.type is FactType.CHOICE:
                    facts[fact.name] = rng.choice(fact.values)
                elif fact.type is FactType.BOOLEAN:
                    facts[fact.name] = rng.random() < 0.5
                else:
                    facts[fact.name] = rng.randint(-5, 60)
    return sets


def test_compiled_verdicts_agree_with_the_evaluator(shipped_kb):
    conditions = [rule.when for rule in shipped_kb.rules]
    conditions += [item.requires for item in shipped_kb.advice.values() if item.requires is not None]
    a, b = Comparison("days_left", operator_named("gt"), 3), Comparison("days_left", operator_named("lt"), 10)
    conditions += [AllOf(()), AnyOf(()), Not(AllOf(())), AllOf((a,)), AnyOf((a, Not(b))), Not(AnyOf((a, b)))]
    facts_sets = truth_cases(shipped_kb, 600, seed=7) + [{}, {"days_left": 5}, {"days_left": 20}]
    for condition in conditions:
        holds, fails = compile_verdict(condition), compile_verdict(condition, holds=False)
        for facts in facts_sets:
            truth = evaluate(condition, facts).truth
            assert holds(facts) == (truth is Truth.HOLDS), (condition, facts)
            assert fails(facts) == (truth is Truth.FAILS), (condition, facts)


def test_contracts_find_what_check_answer_finds(tmp_path, shipped_kb):
    rng = random.Random(5)
    for kb in (shipped_kb, load_knowledge_base(contract_kb(tmp_path))):
        contracts = Contracts(kb.advice)
        items = list(kb.advice.values())
        for _ in range(1500):
            picked = rng.sample(items, rng.randint(1, 4))
            shown = [(item, f"r{i}", rng.choice([None, 0, 3, 8, 30])) for i, item in enumerate(picked)]
            expected = list(check_answer(shown))
            ids = [item.id for item, _, _ in shown]
            assert contracts.clashes([(item.id, rule, days) for item, rule, days in shown]) == expected
            assert contracts.may_clash(ids) or not expected
        for item in items:
            assert contracts.fails(item.id, {}) is False  # nothing known: undecided, never failing
        for facts in truth_cases(kb, 200, seed=9):
            assert all(contracts.fails(item.id, facts) == (not contract_holds(item, facts)) for item in items)


# ---------------------------------------------------------------- fact validation
def test_the_fast_validation_is_the_value_by_value_one(shipped_kb):
    rng = random.Random(11)
    names = [*shipped_kb.facts, "bogus", "order_stat", 3]
    odd = [None, "yes", "no", "3", "03", " 7 ", "x", 5, -1, 0, 10**20, 2**53, 2**53 + 1, True, False, 2.5,
           "Shipped", "shipped", "٣", "", "true"]
    sets = random_fact_sets(shipped_kb, 400, seed=12)
    for facts in list(sets):
        bad = dict(facts)
        for _ in range(rng.randint(1, 3)):
            bad[rng.choice(names)] = rng.choice(odd)
        sets.append(bad)
    for facts in sets:
        try:
            expected = _validate_each(shipped_kb, facts, None)
        except FactInputErrors as exc:
            with pytest.raises(FactInputErrors) as caught:
                validate_facts(shipped_kb, facts)
            assert [(e.location, e.message, e.name, e.suggestion) for e in caught.value.errors] == [
                (e.location, e.message, e.name, e.suggestion) for e in exc.errors
            ]
            continue
        got = validate_facts(shipped_kb, facts)
        assert list(got.items()) == list(expected.items())
        assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]
