"""The loader: a valid knowledge base loads; each error class has a broken fixture."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from helpers import BROKEN_KB, MINIMAL_KB, kb_with_rules, make_broken_kb
from orderdoctor.engine import errors, load_knowledge_base
from orderdoctor.engine import loader as loader_module
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
        "not_utf8", "control_character", "yaml11_integer", "huge_integer",
        # the error wording's (tests/test_error_wording.py)
        "indent_then_under_when", "indent_dedented_condition", "indent_mapping_values", "tab_indent",
        "tab_in_case", "quoted_number", "unknown_incompatible", "refused_choice_value", "advice_unknown_source",
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
        ("control_character", errors.YamlSyntaxError, 2, 28, "character U+001B is not allowed in a YAML file", None),
        ("yaml11_integer", errors.YamlSyntaxError, 18, 26, "'07' is not a plain whole number", "7"),
        ("huge_integer", errors.YamlSyntaxError, 18, 26, "is too large (at most 9,007,199,254,740,992 either way)", None),
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


LINK = "is a symbolic link; links inside a knowledge base are not followed"


def _special(kind: str, target: Path, outside: Path) -> tuple[str, str]:
    """Make ``kind`` of odd entry in the kb ``target``; (the path that is refused, the message)."""
    rules = target / "rules"
    if kind == "link outside":
        (rules / "sneaky.yaml").symlink_to(outside)
        return "rules/sneaky.yaml", LINK
    if kind == "link inside":
        (rules / "again.yaml").symlink_to(rules / "main.yaml")
        return "rules/again.yaml", LINK
    if kind == "link to a device":
        (rules / "zero.yaml").symlink_to("/dev/zero")
        return "rules/zero.yaml", LINK
    if kind == "link loop":
        (rules / "loop.yaml").symlink_to("loop.yaml")
        return "rules/loop.yaml", LINK
    if kind == "two links in a circle":
        (rules / "a.yaml").symlink_to("b.yaml")
        (rules / "b.yaml").symlink_to("a.yaml")
        return "rules/a.yaml", LINK
    if kind == "dangling link":
        (rules / "gone.yaml").symlink_to(outside.parent / "gone.yaml")
        return "rules/gone.yaml", LINK
    if kind == "fifo":
        os.mkfifo(rules / "pipe.yaml")
        return "rules/pipe.yaml", "is a named pipe (FIFO), not a regular file"
    if kind == "folder":
        (rules / "folder.yaml").mkdir()
        return "rules/folder.yaml", "is a folder, not a file"
    if kind == "facts.yaml a link":
        facts = target / "facts.yaml"
        facts.rename(outside)
        facts.symlink_to(outside)
        return "facts.yaml", LINK
    if kind == "sources.yaml a fifo":
        (target / "sources.yaml").unlink()
        os.mkfifo(target / "sources.yaml")
        return "sources.yaml", "is a named pipe (FIFO), not a regular file"
    if kind == "rules folder a link":
        rules.rename(outside)
        rules.symlink_to(outside)
        return "rules", "the folder 'rules' is a symbolic link; links inside a knowledge base are not followed"
    if kind == "too large":
        (rules / "big.yaml").write_bytes(b"#" * (loader_module.MAX_FILE_BYTES + 1))
        return "rules/big.yaml", "is larger than the 4 MiB orderdoctor reads from one file (4,194,305 bytes)"
    raise AssertionError(kind)


SPECIAL = [
    "link outside", "link inside", "link to a device", "link loop", "two links in a circle", "dangling link",
    "fifo", "folder", "facts.yaml a link", "sources.yaml a fifo", "rules folder a link", "too large",
]


@pytest.mark.parametrize("cache", [False, True], ids=["cache off", "cache on"])
@pytest.mark.parametrize("kind", SPECIAL)
def test_links_and_special_files_in_a_kb_are_refused_before_they_are_read(
    tmp_path, monkeypatch, kind, cache
):
    monkeypatch.setenv("ORDERDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "kb"
    shutil.copytree(MINIMAL_KB, target)
    outside = tmp_path / "outside"
    (tmp_path / "outside.yaml").write_text("- id: sneaky\n")
    if kind in ("link outside",):
        outside = tmp_path / "outside.yaml"
    opened: list[str] = []
    real_open, real_io_open = os.open, io.open

    def spy_open(path, *args, **kwargs):
        opened.append(os.path.realpath(path) if not isinstance(path, int) else "")
        return real_open(path, *args, **kwargs)

    def spy_io_open(path, *args, **kwargs):
        if not isinstance(path, int):
            opened.append(os.path.realpath(path))
        return real_io_open(path, *args, **kwargs)

    refused, message = _special(kind, target, outside)
    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_io_open)
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(target, cache=cache)
    monkeypatch.undo()
    error = caught.value.errors[0]
    assert len(caught.value.errors) == (2 if kind == "two links in a circle" else 1)
    assert isinstance(error, errors.UnreadableKnowledgeBaseFileError)
    assert error.location.file.endswith(refused) and error.message == message
    assert str(outside.resolve()) not in opened and "/dev/zero" not in opened
    if kind in ("fifo", "sources.yaml a fifo"):
        assert str((target / refused).resolve()) not in opened  # never opened: a FIFO would block


def test_cascade_a_bad_byte_in_facts_yaml_is_the_only_error(tmp_path):
    [error] = load_errors("not_utf8", tmp_path)  # advice with a deadline are not then 'unknown'
    assert isinstance(error, errors.UnreadableKnowledgeBaseFileError)
    assert error.location.file.endswith("facts.yaml")
    assert (error.location.line, error.location.column) == (18, 38)
    assert error.message == "not UTF-8 text: byte 0xe9 (invalid continuation byte); save the file as UTF-8"


def test_cascade_a_broken_item_is_not_reported_again_where_it_is_used(tmp_path):
    target = kb_with_rules(tmp_path, RULE.format(when="{days_left: 3}", then="{advise: [reorder]}"))
    advice = (target / "advice.yaml").read_text().replace("  title: Reorder\n", "  title: Reorder\n  kind2: x\n")
    (target / "advice.yaml").write_text(advice)
    facts = (target / "facts.yaml").read_text().replace("  max: 100\n", "  max: lots\n")
    (target / "facts.yaml").write_text(facts)
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(target)
    assert [e.message.split(" (")[0] for e in caught.value.errors] == [
        "unknown field 'kind2' in a advice item", "'max' must be a whole number, not 'lots'",
    ]


def test_a_file_given_as_the_kb_folder_says_so(tmp_path):
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(MINIMAL_KB / "facts.yaml")
    [error] = caught.value.errors
    assert error.message == "is a file, not a knowledge-base folder (give the folder that holds facts.yaml)"
    assert error.location.file.endswith("facts.yaml")


def test_control_characters_in_kb_text_are_refused(tmp_path):
    rules = RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}").replace(
        "description: A rule.", 'description: "A rule \\e[2J."')
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(kb_with_rules(tmp_path, rules))
    assert caught.value.errors[0].message == "description contains control characters"


# ------------------------------------------------ through the command line
def run_cli(argv):
    from orderdoctor.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""))
    return status, out.getvalue(), err.getvalue()


def test_an_empty_kb_option_is_not_the_shipped_kb():
    status, out, err = run_cli(["advise", "--kb", "", "--set", "order_status=shipped"])
    assert (status, out) == (2, "")
    assert err == "orderdoctor: error: --kb: the folder name is empty (leave --kb out to use the shipped knowledge base)\n"


def test_a_kb_option_naming_a_file_says_it_is_a_file():
    status, out, err = run_cli(["kb", "check", "--kb", str(MINIMAL_KB / "facts.yaml")])
    assert status == 2
    assert out.splitlines()[0].endswith(
        "facts.yaml: error: is a file, not a knowledge-base folder (give the folder that holds facts.yaml)"
    )


@pytest.mark.parametrize("command", [["kb", "check"], ["advise", "--set", "order_status=shipped"]])
def test_a_huge_rule_bound_is_a_located_error_not_an_internal_one(tmp_path, command):
    """F21: `lt: 10**309` made `kb check` exit 70 (OverflowError in lint)."""
    kb = make_broken_kb("huge_integer", tmp_path)
    status, out, err = run_cli([*command, "--kb", str(kb)])
    assert status == 2
    shown = out if command[0] == "kb" else err  # kb check reports every error on standard output
    assert shown.splitlines()[0].endswith(
        "rules/main.yaml:18:26: error: number 10000000000000000000… (310 characters) is too large "
        "(at most 9,007,199,254,740,992 either way)"
    )


@pytest.mark.parametrize("cache", ["on", "off"])
def test_a_symlink_loop_in_a_kb_is_exit_2_not_70(tmp_path, monkeypatch, cache):
    """F11: `ln -s loop.yaml rules/loop.yaml` was `internal error: RuntimeError`, exit 70."""
    monkeypatch.setenv("ORDERDOCTOR_CACHE", cache)
    target = tmp_path / "kb"
    shutil.copytree(MINIMAL_KB, target)
    (target / "rules" / "loop.yaml").symlink_to("loop.yaml")
    status, out, err = run_cli(["advise", "--set", "order_status=shipped", "--kb", str(target)])
    assert status == 2
    assert err.splitlines() == [
        f"{target}/rules/loop.yaml: error: {LINK}",
        "orderdoctor: the knowledge base has 1 error(s); nothing was advised",
    ]
    status, out, err = run_cli(["kb", "check", "--kb", str(target)])  # its report, on standard output
    assert status == 2 and err == ""
    assert out.splitlines() == [
        f"{target}/rules/loop.yaml: error: {LINK}",
        "kb check: the knowledge base has 1 error(s); its rules were not checked",
    ]


def test_a_file_name_with_control_characters_is_shown_escaped(tmp_path):
    target = tmp_path / "kb"
    shutil.copytree(MINIMAL_KB, target)
    (target / "rules" / "evil\x1b[2J.yaml").symlink_to("main.yaml")
    status, out, err = run_cli(["kb", "check", "--kb", str(target)])
    assert status == 2 and "\x1b" not in out and "evil\\x1b[2J.yaml" in out
