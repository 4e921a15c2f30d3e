"""YAML with locations: plain data only, positions kept, nothing constructed or executed."""

from __future__ import annotations

import pytest
from orderdoctor.engine.errors import YamlSyntaxError
from orderdoctor.engine.yamlfile import parse_yaml


def test_locations_are_one_based_for_values_and_keys():
    node = parse_yaml("a: 1\nb:\n  - x\n  - {c: true}\n", "f.yaml")
    assert node.key_locations["b"].line == 2 and node.key_locations["b"].column == 1
    item = node.value["b"].value[1]
    assert (item.location.line, item.location.column) == (4, 5)
    assert node.plain() == {"a": 1, "b": ["x", {"c": True}]}
    assert str(item.location) == "f.yaml:4:5"


def test_empty_document_is_none():
    assert parse_yaml("# nothing\n", "f.yaml") is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: !!python/object/apply:os.system [ls]\n", "tag '!!python/object/apply:os.system' is not allowed"),
        ("a: !!binary aGVsbG8=\n", "tag '!!binary' is not allowed"),
        ("a: !custom x\n", "tag '!custom' is not allowed"),
        ("a: 1\n---\nb: 2\n", "only one YAML document per file"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "merge keys ('<<') are not allowed"),
        ("a: [1, 2\n", "YAML syntax"),
        ("a: 1\na: 2\n", "duplicate key 'a' (first at line 1)"),
        ("? [a, b]\n: 1\n", "a mapping key must be a plain word"),
    ],
)
def test_refused_documents(text, message):
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml(text, "f.yaml")
    assert message in caught.value.message
    assert caught.value.location.file == "f.yaml"


def test_alias_bomb_is_stopped():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i-1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert "expands to more than" in caught.value.message


def test_recursive_alias_is_refused():
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("a: &x [1, *x]\n", "f.yaml")
    assert "alias refers to a value that contains it" in caught.value.message


def test_deep_nesting_is_an_error_not_a_crash():
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(YamlSyntaxError):
        parse_yaml(text, "deep.yaml")


def test_dates_stay_text_and_numeric_keys_stay_words():
    node = parse_yaml("when: 2024-01-02\n1: one\nyes: y\n", "f.yaml")
    assert node.plain() == {"when": "2024-01-02", "1": "one", "yes": "y"}


@pytest.mark.parametrize(
    "text, line, column, character",
    [("a: 1\nb: x\x1bx\n", 2, 5, "U+001B"), ("a: \x00\n", 1, 4, "U+0000"), ("a: 1\n\n  # \x07\n", 3, 5, "U+0007")],
)
def test_control_characters_have_line_and_column(text, line, column, character):
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml(text, "f.yaml")
    error = caught.value
    assert (error.location.line, error.location.column) == (line, column)
    assert error.message == f"character {character} is not allowed in a YAML file (control characters are not allowed); remove it"
    assert "\n" not in error.format() and "<unicode string>" not in error.format()


@pytest.mark.parametrize("written", ["010", "1:30", "0x1F", "1_0", "0b101", "1_0.5", "1:30.5", "+010"])
def test_yaml_1_1_number_forms_are_refused(written):
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml(f"x: {written}\n", "f.yaml")
    assert (caught.value.location.line, caught.value.location.column) == (1, 4)
    assert f"'{written}' is not a plain" in caught.value.message


def test_numbers_as_a_person_writes_them():
    node = parse_yaml("a: 0\nb: -12\nc: '010'\nd: 0o7\ne: 1.5\n010: k\n", "f.yaml")
    assert node.plain() == {"a": 0, "b": -12, "c": "010", "d": "0o7", "e": 1.5, "010": "k"}


@pytest.mark.parametrize(
    "text", ["a: " + "[" * 100_000 + "]" * 100_000, "a: " + "{x: " * 50_000 + "1" + "}" * 50_000, "- " * 1_000_000 + "x"]
)
def test_very_deep_nesting_is_a_located_error_not_a_segfault(text):
    """libyaml's composer recursed in C: 100,000 brackets in a facts or kb file crashed the process."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom orderdoctor.engine.yamlfile import parse_yaml\n"
        "try:\n    parse_yaml(sys.stdin.read(), 'deep.yaml')\nexcept Exception as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith("deep.yaml:1:") and done.stdout.endswith("error: YAML nested more than 256 levels deep\n")
