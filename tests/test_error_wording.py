"""Error wording (issue 15, item 9): the likely cause of an error is named where it is clear —
mis-indentation says "check the indentation", a tab says "tab", a quoted number "remove the
quotes" — unknown ids are located at the id, and an error that only follows from another one is
not reported (the policy of docs/kb-format.md "Errors"). One broken fixture per error class
(tests/fixtures/kb/broken/), laid over the minimal knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import MINIMAL_KB, make_broken_kb
from orderdoctor.engine import errors, load_cases, load_knowledge_base
from orderdoctor.engine.yamlfile import parse_yaml


def load_errors(name: str, tmp_path: Path) -> list[errors.KnowledgeBaseError]:
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_knowledge_base(make_broken_kb(name, tmp_path), cache=False)
    return list(caught.value.errors)


@pytest.mark.parametrize(
    "name, file, line, column, text",
    [
        ("indent_then_under_when", "rules/main.yaml", 5, 5,
         "rule has no 'then' field: this 'then' is inside 'when'; check the indentation"),
        ("indent_dedented_condition", "rules/main.yaml", 5, 3,
         "unknown field 'days_left' in a rule (fields: id, description, when, then, source, priority): "
         "'days_left' is a fact, and conditions go under 'when'; check the indentation"),
        ("indent_mapping_values", "rules/main.yaml", 3, 8,
         "YAML syntax: mapping values are not allowed in this context; check the indentation"),
        ("tab_indent", "rules/main.yaml", 4, 1,
         "a tab character; YAML allows only spaces here, replace it with spaces"),
        ("quoted_number", "rules/main.yaml", 5, 22,
         "fact 'days_left' is a whole number, not '10': remove the quotes (write 10)"),
        ("unknown_incompatible", "advice.yaml", 12, 32,
         "advice 'open_dispute' is incompatible with unknown advice id 'deadline_nearr'"),
    ],
)
def test_each_error_names_its_likely_cause_at_its_place(tmp_path, name, file, line, column, text):
    [error] = load_errors(name, tmp_path)
    assert error.location.file.endswith(file)
    assert (error.location.line, error.location.column) == (line, column)
    assert text in error.message


def test_a_tab_in_a_case_file_says_tab(tmp_path):
    kb = make_broken_kb("tab_in_case", tmp_path)
    with pytest.raises(errors.KnowledgeBaseErrors) as caught:
        load_cases(load_knowledge_base(kb, cache=False))
    [error] = caught.value.errors
    assert (error.location.line, error.location.column) == (4, 1)
    assert "tab character" in error.message


def test_an_unknown_incompatible_id_keeps_its_suggestion(tmp_path):
    [error] = load_errors("unknown_incompatible", tmp_path)
    assert error.suggestion == "deadline_near"


@pytest.mark.parametrize(
    "name, file, text",
    [
        # the advice item is refused for its source: the rule giving it is not "unknown advice id"
        ("advice_unknown_source", "advice.yaml", "unknown source 'test-artcle'"),
        # the choice value is refused: the rule testing it is not "value 'unknown' is not allowed"
        ("refused_choice_value", "facts.yaml", "choice value 'unknown' is reserved"),
    ],
)
def test_an_error_that_follows_from_another_is_not_reported(tmp_path, name, file, text):
    [error] = load_errors(name, tmp_path)
    assert error.location.file.endswith(file)
    assert text in error.message


def test_a_typo_in_a_field_name_is_not_called_indentation(tmp_path):
    found = load_errors("schema_unknown_field", tmp_path)  # and "rule has no 'description' field"
    [error] = [e for e in found if "unknown field" in e.message]
    assert "indentation" not in error.message and error.suggestion == "description"


def test_a_field_dedented_out_of_a_mapping_may_belong_inside_it():
    """A generic reader (a case) without knowledge of where a key goes: the field before it."""
    from orderdoctor.engine.reader import YamlReader

    node = parse_yaml("id: a\nfacts:\n  order_status: shipped\ndays_left: 3\n", "case.yaml")
    reader = YamlReader()
    assert reader.fields(node, "case", ("id", "facts"), ()) is None
    [error] = reader.errors
    assert error.message.endswith("it may belong inside 'facts' above it; check the indentation")


def test_a_colon_in_unquoted_text_says_quote_it():
    with pytest.raises(errors.YamlSyntaxError) as caught:
        parse_yaml("- id: a\n  description: Note: the seller\n    says so\n", "rules.yaml")
    assert "text that contains ': ' must be in quotes" in caught.value.message


def test_every_tab_that_breaks_a_file_says_tab():
    """A tab put (or swapped for a space) at each place of the first columns of every line of the
    minimal knowledge base's files: every YAML error it causes names the tab."""
    files = [MINIMAL_KB / "rules" / "main.yaml", MINIMAL_KB / "facts.yaml", MINIMAL_KB / "cases" / "main.yaml"]
    broken = 0
    for file in files:
        lines = file.read_text().split("\n")
        for i, line in enumerate(lines):
            for col in range(min(len(line), 24) + 1):
                variants = [line[:col] + "\t" + line[col:]]
                if line[col:col + 1] == " ":
                    variants.append(line[:col] + "\t" + line[col + 1:])
                for variant in variants:
                    try:
                        parse_yaml("\n".join(lines[:i] + [variant] + lines[i + 1:]), file.name)
                    except errors.YamlSyntaxError as error:
                        broken += 1
                        assert "tab" in error.message, (file.name, i + 1, repr(variant), error.message)
    assert broken > 100  # the test did break files
