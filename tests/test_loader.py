"""The loader: a valid knowledge base loads; each error class has a broken fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import BROKEN_KB, MINIMAL_KB, kb_with_rules, make_broken_kb
from orderdoctor.engine import errors, load_knowledge_base
from orderdoctor.engine.model import AllOf, AnyOf, Comparison, FactType, Not, Operator


def load_errors(name: str, tmp_path: Path) -> list[errors.KnowledgeBaseError]:
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(make_broken_kb(name, tmp_path))
    return list(caught.value.errors)


def test_minimal_kb_loads_with_locations(minimal_kb):
    assert list(minimal_kb.facts) == [
        "order_status", "coupon_used", "days_left", "seller_suspicious", "problem", "urgency",
    ]
    days = minimal_kb.facts["days_left"]
    assert (days.type, days.minimum, days.maximum) == (FactType.INTEGER, -100, 100)
    assert minimal_kb.facts["order_status"].choice("shipped").help == "Marked shipped."
    assert minimal_kb.facts["urgency"].derived and not minimal_kb.facts["urgency"].askable
    rule = minimal_kb.rule("shipped_with_problem")
    assert rule.location.file.endswith("rules/main.yaml")
    assert (rule.location.line, rule.location.column) == (1, 3)
    assert rule.derive == (("problem", True),)
    assert isinstance(rule.when, AllOf)
    assert isinstance(rule.when.conditions[1], AnyOf)
    assert rule.when.conditions[1].conditions[1] == Comparison("days_left", Operator.LT, -1 + 1)


def test_rules_are_ordered_by_priority_then_position(minimal_kb):
    ids = [rule.id for rule in minimal_kb.rules]
    assert ids[0] == "urgent_dispute"  # priority 10
    assert ids[1:] == ["shipped_with_problem", "problem_and_short_time", "calm_contact", "closed_with_coupon"]


def test_not_and_in_are_parsed(minimal_kb):
    calm = minimal_kb.rule("calm_contact").when
    assert isinstance(calm.conditions[2], Not)
    coupon = minimal_kb.rule("closed_with_coupon").when
    assert coupon.conditions[1] == Comparison("coupon_used", Operator.IN, ("welcome", "seller"))


def test_every_broken_fixture_has_a_test():
    tested = {
        "yaml_syntax", "python_tag", "unknown_fact", "value_not_allowed", "wrong_type",
        "unknown_advice", "duplicate_rule_id", "undeclared_derivation", "rule_cycle",
        "schema_unknown_field", "unknown_source", "many_errors", "bad_cases",
    }
    assert {p.name for p in BROKEN_KB.iterdir()} == tested


@pytest.mark.parametrize(
    "name, cls, line, column, text, suggestion",
    [
        ("yaml_syntax", errors.YamlSyntaxError, 5, 7, "YAML syntax", None),
        ("python_tag", errors.YamlSyntaxError, 2, 16, "tag '!!python/object/apply:os.system' is not allowed", None),
        ("unknown_fact", errors.UnknownFactError, 6, 9, "unknown fact 'coupon_usd'", "coupon_used"),
        ("value_not_allowed", errors.ValueNotAllowedError, 4, 19,
         "value 'shiped' is not allowed for fact 'order_status' (one of shipped, closed, delivered)", "shipped"),
        ("wrong_type", errors.WrongTypeError, 4, 21, "fact 'days_left' is a whole number, not 'seven'", None),
        ("unknown_advice", errors.UnknownAdviceError, 6, 30, "unknown advice id 'open_dispte'", "open_dispute"),
        ("undeclared_derivation", errors.UndeclaredDerivationError, 6, 14,
         "rule derives fact 'order_status', which is not declared 'derived: true'", None),
        ("rule_cycle", errors.RuleCycleError, 1, 3,
         "rules derive facts in a cycle: problem_means_urgent → urgency → urgent_means_problem → problem → problem_means_urgent",
         None),
        ("schema_unknown_field", errors.SchemaError, 2, 3, "unknown field 'descripton' in a rule", "description"),
        ("unknown_source", errors.UnknownSourceError, 7, 11, "unknown source 'test-artcle'", "test-article"),
    ],
)
def test_each_error_class_names_file_line_column(tmp_path, name, cls, line, column, text, suggestion):
    found = load_errors(name, tmp_path)
    matching = [e for e in found if isinstance(e, cls) and text in e.message]
    assert matching, f"expected a {cls.__name__}, got {[type(e).__name__ for e in found]}"
    error = matching[0]
    assert error.location.file.endswith("rules/main.yaml")
    assert (error.location.line, error.location.column) == (line, column)
    assert text in error.message
    assert error.suggestion == suggestion
    rendered = error.format()
    assert rendered.startswith(f"{error.location.file}:{line}:{column}: error: ")
    if suggestion:
        assert rendered.endswith(f"(did you mean '{suggestion}'?)")


def test_duplicate_rule_id_points_at_the_second_definition(tmp_path):
    [error] = load_errors("duplicate_rule_id", tmp_path)
    assert isinstance(error, errors.DuplicateIdError)
    assert error.location.file.endswith("rules/other.yaml")
    assert (error.location.line, error.location.column) == (1, 3)
    assert "duplicate rule id 'shipped_order' (first defined at" in error.message
    assert "rules/main.yaml:1:3" in error.message


def test_all_errors_are_reported_not_just_the_first(tmp_path):
    found = load_errors("many_errors", tmp_path)
    assert [type(e).__name__ for e in found] == [
        "UnknownFactError", "UnknownAdviceError", "ValueNotAllowedError",
    ]
    assert [e.location.line for e in found] == [4, 6, 12]


def test_python_tag_is_never_executed(tmp_path, capfd):
    load_errors("python_tag", tmp_path)
    assert "pwned" not in capfd.readouterr().out


def test_missing_folder_and_files(tmp_path):
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(tmp_path / "nowhere")
    assert "knowledge base folder not found" in str(caught.value)
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(tmp_path)
    messages = [e.message for e in caught.value.errors]
    assert "missing file 'facts.yaml'" in messages
    assert "missing file 'advice.yaml'" in messages
    assert "missing folder 'rules/' with the rule files" in messages


RULE = """- id: r
  description: A rule.
  when: {when}
  then: {then}
  source: test-article
"""


@pytest.mark.parametrize(
    "when, then, cls, text",
    [
        ("{order_status: {gt: 3}}", "{advise: [reorder]}", errors.WrongTypeError, "'gt' compares numbers"),
        ("{seller_suspicious: yes please}", "{advise: [reorder]}", errors.WrongTypeError, "true or false"),
        ("{days_left: 500}", "{advise: [reorder]}", errors.ValueNotAllowedError, "outside the range"),
        ("{days_left: {bigger: 3}}", "{advise: [reorder]}", errors.SchemaError, "unknown operator 'bigger'"),
        ("{all: []}", "{advise: [reorder]}", errors.SchemaError, "non-empty list"),
        ("{all: [{order_status: shipped}], days_left: 3}", "{advise: [reorder]}", errors.SchemaError,
         "must stand alone"),
        ("[order_status]", "{advise: [reorder]}", errors.SchemaError, "a condition must be a mapping"),
        ("{order_status: shipped}", "{}", errors.SchemaError, "'then' needs 'derive', 'advise' or both"),
        ("{order_status: shipped}", "{derive: {urgency: medium}}", errors.ValueNotAllowedError,
         "value 'medium' is not allowed"),
        ("{order_status: shipped}", "{advise: [reorder], derve: {}}", errors.SchemaError, "unknown field 'derve'"),
        ("{order_status: {in: []}}", "{advise: [reorder]}", errors.SchemaError, "'in' takes a non-empty list"),
    ],
)
def test_condition_and_conclusion_errors(tmp_path, when, then, cls, text):
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(kb_with_rules(tmp_path, RULE.format(when=when, then=then)))
    assert any(isinstance(e, cls) and text in e.message for e in caught.value.errors), [
        e.format() for e in caught.value.errors
    ]


def test_bound_outside_range_is_allowed_in_comparisons(tmp_path):
    kb = load_knowledge_base(kb_with_rules(tmp_path, RULE.format(when="{days_left: {gt: 500}}", then="{advise: [reorder]}")))
    assert kb.rule("r").when == Comparison("days_left", Operator.GT, 500)


def test_list_is_shorthand_for_in(tmp_path):
    kb = load_knowledge_base(
        kb_with_rules(tmp_path, RULE.format(when="{order_status: [shipped, closed]}", then="{advise: [reorder]}"))
    )
    assert kb.rule("r").when == Comparison("order_status", Operator.IN, ("shipped", "closed"))


def test_reserved_and_bad_fact_names(tmp_path):
    extra = """
- name: id
  type: boolean
  description: Reserved.
- name: BadName
  type: boolean
  description: Not snake case.
- name: weird
  type: colour
  description: Unknown type.
"""
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(kb_with_rules(tmp_path, RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}"), extra))
    messages = [e.format() for e in caught.value.errors]
    assert any("fact name 'id' is reserved" in m for m in messages)
    assert any("'BadName' must be snake_case" in m for m in messages)
    assert any("unknown fact type 'colour'" in m for m in messages)


def test_duplicate_yaml_key_is_an_error(tmp_path):
    rules = """- id: r
  description: A rule.
  description: Twice.
  when: {order_status: shipped}
  then: {advise: [reorder]}
  source: test-article
"""
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(kb_with_rules(tmp_path, rules))
    [error] = caught.value.errors
    assert isinstance(error, errors.YamlSyntaxError)
    assert error.message == "duplicate key 'description' (first at line 2)"
    assert (error.location.line, error.location.column) == (3, 3)


def test_shipped_kb_loads(shipped_kb):
    assert len(shipped_kb.rules) >= 10
    assert "order_status" in shipped_kb.facts
    assert (MINIMAL_KB.parent.parent.parent.parent / "kb").resolve() == shipped_kb.root.resolve()


@pytest.mark.parametrize(
    "replaces, cls, text",
    [
        ("[open_dispte]", errors.UnknownAdviceError, "advice 'reorder' replaces unknown advice id 'open_dispte'"),
        ("[reorder]", errors.SchemaError, "advice 'reorder' replaces itself"),
        ("[deadline_near]", errors.SchemaError,
         "advice items replace each other in a circle, so all would vanish: deadline_near, reorder"),
    ],
)
def test_replacement_errors(tmp_path, replaces, cls, text):
    target = kb_with_rules(tmp_path, RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}"))
    advice = (target / "advice.yaml").read_text()
    advice = advice.replace("  title: Hurry\n", "  title: Hurry\n  replaces: [reorder]\n") if "circle" in text else advice
    advice = advice.replace("  title: Reorder\n", f"  title: Reorder\n  replaces: {replaces}\n")
    (target / "advice.yaml").write_text(advice)
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(target)
    assert any(isinstance(e, cls) and text in e.message for e in caught.value.errors), [
        e.format() for e in caught.value.errors
    ]


@pytest.mark.parametrize(
    "deadline, text",
    [
        ("{days_from: order_status}", "a deadline counts days from an integer fact; 'order_status' is choice"),
        ("{days_from: days_lft}", "unknown fact 'days_lft'"),
        ("{days_from: days_left, plus: soon}", "'plus' must be a whole number of days"),
        ("{plus: 3}", "deadline has no 'days_from' field"),
    ],
)
def test_deadline_errors(tmp_path, deadline, text):
    target = kb_with_rules(tmp_path, RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}"))
    advice = (target / "advice.yaml").read_text().replace("  title: Reorder\n", f"  title: Reorder\n  deadline: {deadline}\n")
    (target / "advice.yaml").write_text(advice)
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(target)
    assert any(text in e.message for e in caught.value.errors), [e.format() for e in caught.value.errors]


def test_links_outside_the_folder_are_not_followed(tmp_path):
    target = kb_with_rules(tmp_path, RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}"))
    outside = tmp_path / "outside.yaml"
    outside.write_text("- id: sneaky\n")
    (target / "rules" / "sneaky.yaml").symlink_to(outside)
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(target)
    [error] = caught.value.errors
    assert error.location.file.endswith("rules/sneaky.yaml")
    assert error.message == "file links outside the knowledge base folder; not followed"


def test_control_characters_in_kb_text_are_refused(tmp_path):
    rules = RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}").replace(
        "description: A rule.", 'description: "A rule \\e[2J."')
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(kb_with_rules(tmp_path, rules))
    assert caught.value.errors[0].message == "description contains control characters"
