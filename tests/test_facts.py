"""Given facts: text conversion, type checks, fact documents."""

from __future__ import annotations

import pytest
from orderdoctor.engine.errors import FactInputError, FactInputErrors
from orderdoctor.engine.facts import (
    ValueProblem,
    check_value,
    convert_text,
    parse_assignment,
    parse_facts_document,
    validate_facts,
)


@pytest.mark.parametrize(
    "fact, text, expected",
    [
        ("days_left", "3", 3),
        ("days_left", " -7 ", -7),
        ("seller_suspicious", "yes", True),
        ("seller_suspicious", "False", False),
        ("seller_suspicious", "0", False),
        ("order_status", "Shipped", "shipped"),
        ("coupon_used", "welcome", "welcome"),
    ],
)
def test_convert_text(minimal_kb, fact, text, expected):
    value = convert_text(minimal_kb.facts[fact], text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "fact, text, message",
    [
        ("days_left", "3.5", "is a whole number, not '3.5'"),
        ("days_left", "101", "101 is outside the range of fact 'days_left' (a whole number >= -100 and <= 100)"),
        ("seller_suspicious", "maybe", "is true or false (or yes/no), not 'maybe'"),
        ("order_status", "shiped", "value 'shiped' is not allowed for fact 'order_status' (one of shipped, closed, delivered)"),
    ],
)
def test_convert_text_problems(minimal_kb, fact, text, message):
    problem = convert_text(minimal_kb.facts[fact], text)
    assert isinstance(problem, ValueProblem)
    assert message in problem.message


def test_loose_types_are_refused(minimal_kb):
    assert isinstance(check_value(minimal_kb.facts["days_left"], True), ValueProblem)
    assert isinstance(check_value(minimal_kb.facts["seller_suspicious"], 1), ValueProblem)
    assert isinstance(check_value(minimal_kb.facts["order_status"], 3), ValueProblem)
    assert "outside the range" in check_value(minimal_kb.facts["days_left"], 2**60).message


def test_choice_suggestion(minimal_kb):
    assert check_value(minimal_kb.facts["order_status"], "shiped").suggestion == "shipped"


def test_parse_assignment():
    assert parse_assignment("days_left=3") == ("days_left", "3")
    assert parse_assignment("note=a=b") == ("note", "a=b")
    with pytest.raises(FactInputError) as caught:
        parse_assignment("days_left")
    assert str(caught.value) == "--set days_left: error: expected NAME=VALUE, e.g. --set order_status=shipped"


def test_parse_facts_document_yaml_and_json():
    facts = parse_facts_document("order_status: shipped\ndays_left: 3\ncoupon_used: null\n", "f.yaml")
    assert {k: v for k, (v, _) in facts.items()} == {"order_status": "shipped", "days_left": 3}
    assert str(facts["days_left"][1]) == "f.yaml:2:1"
    facts = parse_facts_document('{"order_status": "shipped", "seller_suspicious": true}', "f.json")
    assert {k: v for k, (v, _) in facts.items()} == {"order_status": "shipped", "seller_suspicious": True}
    assert parse_facts_document("", "empty.yaml") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("- a\n- b\n", "f.yaml:1:1: error: a facts file must be a mapping of fact: value"),
        ("days_left: [1, 2]\n", "f.yaml:1:12: error: the value of fact 'days_left' must be a single value"),
        ("days_left: {\n", "f.yaml:2:1: error: YAML syntax"),
    ],
)
def test_parse_facts_document_errors(text, message):
    with pytest.raises(FactInputErrors) as caught:
        parse_facts_document(text, "f.yaml")
    assert caught.value.errors[0].format().startswith(message)


def test_validate_facts_orders_and_drops_unknowns(minimal_kb):
    values = validate_facts(minimal_kb, {"days_left": "3", "order_status": "shipped", "coupon_used": None})
    assert list(values.items()) == [("order_status", "shipped"), ("days_left", 3)]


# ------------------------------------------------ numbers as a person writes them (F15)
@pytest.mark.parametrize("text", ["٣", "３", "²", "1٣", "-٣"])
def test_only_ascii_digits_are_whole_numbers(minimal_kb, text):
    problem = convert_text(minimal_kb.facts["days_left"], text)
    assert isinstance(problem, ValueProblem)
    assert problem.message == f"fact 'days_left' is a whole number written with the digits 0-9, not '{text}'"


def test_json_text_with_unicode_digits_is_refused(minimal_kb):
    given = parse_facts_document('{"days_left": "٣"}', "f.json")
    with pytest.raises(FactInputErrors) as caught:
        validate_facts(minimal_kb, {k: v for k, (v, _) in given.items()}, {k: w for k, (_, w) in given.items()})
    assert caught.value.errors[0].format() == (
        "f.json:1:2: error: fact 'days_left' is a whole number written with the digits 0-9, not '٣'"
    )


@pytest.mark.parametrize(
    "written, read_as, suggestion",
    [("010", 8, "10"), ("1:30", 90, None), ("0x1F", 31, "31"), ("1_0", 10, "10"), ("0b101", 5, "5"), ("-010", -8, "-10")],
)
def test_yaml_1_1_integer_forms_are_errors_not_conversions(written, read_as, suggestion):
    with pytest.raises(FactInputErrors) as caught:
        parse_facts_document(f"order_status: shipped\ndays_left: {written}\n", "f.yaml")
    [error] = caught.value.errors
    assert (error.location.line, error.location.column) == (2, 12)
    assert error.message.startswith(f"'{written}' is not a plain whole number (YAML 1.1 reads it as {read_as}; ")
    assert error.suggestion == suggestion


def test_other_number_like_words_stay_text_and_fail_validation(minimal_kb):
    given = parse_facts_document("days_left: 0o7\n", "f.yaml")
    assert given["days_left"][0] == "0o7"
    with pytest.raises(FactInputErrors) as caught:
        validate_facts(minimal_kb, {"days_left": "0o7"}, {"days_left": given["days_left"][1]})
    assert caught.value.errors[0].format() == "f.yaml:1:1: error: fact 'days_left' is a whole number, not '0o7'"


def test_plain_integers_still_read(minimal_kb):
    given = parse_facts_document("a: 0\nb: -7\nc: +5\nd: 9007199254740992\n", "f.yaml")
    assert {k: v for k, (v, _) in given.items()} == {"a": 0, "b": -7, "c": 5, "d": 2**53}


def test_huge_integers_are_located_errors_not_crashes():
    for text in ("9" * 5000, "9007199254740993"):
        with pytest.raises(FactInputErrors) as caught:
            parse_facts_document(f"days_left: {text}\n", "f.yaml")
        assert "is too large (at most 9,007,199,254,740,992 either way)" in str(caught.value)
        assert len(str(caught.value)) < 200
    with pytest.raises(FactInputErrors) as caught:
        parse_facts_document('{"days_left": ' + "9" * 5000 + "}", "f.json")
    assert caught.value.errors[0].format() == "f.json:1:15: error: number too large (more than 30 digits)"


# ------------------------------------------------ JSON read as JSON
def test_json_is_read_with_the_json_parser_with_locations():
    text = '{\n  "order_status": "shipped",\n  "days_left": 3,\n  "coupon_used": null,\n  "note": "1:30"\n}\n'
    given = parse_facts_document(text, "f.json")
    assert {k: v for k, (v, _) in given.items()} == {"order_status": "shipped", "days_left": 3, "note": "1:30"}
    assert [str(w) for _, w in given.values()] == ["f.json:2:3", "f.json:3:3", "f.json:5:3"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"days_left": 010}', "f.json:1:15: error: JSON: a number has no leading zero: write 10, not 010"),
        ("{'days_left': 3}", "f.json:1:2: error: JSON: expected a fact name in double quotes"),
        ('{"a": 1, "a": 2}', "f.json:1:10: error: fact 'a' is given twice (first at f.json:1:2)"),
        ('{"a": [1]}', "f.json:1:7: error: the value of fact 'a' must be a single value"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "f.json:1:7: error: JSON nested too deeply"),
        ('{"a": NaN}', "f.json:1:7: error: JSON: NaN is not a JSON number"),
        ('{"a": 1}\n{"b": 2}', "f.json:2:1: error: JSON: extra text after the facts object"),
        ("[1]", "f.json:1:1: error: a facts file must be a JSON object of fact: value"),
        ('{"a": 1,\n "b" 2}', "f.json:2:6: error: JSON: expected ':' after the fact name"),
        ('{"a": "x\x01"}', "f.json:1:9: error: JSON: Invalid control character"),
        ("days_left: 3\n", "f.json:1:1: error: JSON: Expecting value"),
    ],
)
def test_json_errors_are_located(text, message):
    with pytest.raises(FactInputErrors) as caught:
        parse_facts_document(text, "f.json")
    assert caught.value.errors[0].format().startswith(message)


def test_standard_input_starting_with_a_brace_is_json_and_says_so():
    assert parse_facts_document('{"days_left": 3}', "<stdin>")["days_left"][0] == 3
    with pytest.raises(FactInputErrors) as caught:
        parse_facts_document("{days_left: 010}", "<stdin>")
    assert caught.value.errors[0].format() == (
        "<stdin>:1:2: error: JSON: expected a fact name in double quotes (read as JSON because it starts with '{')"
    )
    assert parse_facts_document("{days_left: 3}", "f.yaml")["days_left"][0] == 3  # a YAML file stays YAML


# ------------------------------------------------ through the command line: bounded reads (F16)
def run_cli(argv, stdin=None):
    import io

    from orderdoctor.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=stdin if stdin is not None else io.StringIO(""))
    return status, out.getvalue(), err.getvalue()


def test_facts_from_a_fifo_are_refused_without_blocking(tmp_path):
    import os
    import threading

    fifo = tmp_path / "facts.yaml"
    os.mkfifo(fifo)

    def unblock() -> None:  # the old code blocked on open(); give it EOF so that the test fails, not hangs
        with open(fifo, "w"):
            pass

    timer = threading.Timer(10, unblock)
    timer.daemon = True
    timer.start()
    status, out, err = run_cli(["advise", "--facts", str(fifo)])
    timer.cancel()
    assert status == 2 and out == ""
    assert err == f"orderdoctor: error: --facts {fifo}: is a named pipe (FIFO), not a regular file\n"


def test_facts_from_a_device_are_refused_before_reading():
    status, out, err = run_cli(["advise", "--facts", "/dev/zero"])  # only read, never written
    assert status == 2 and err == "orderdoctor: error: --facts /dev/zero: is a device, not a regular file\n"


def test_a_facts_file_over_the_limit_is_one_line(tmp_path):
    from orderdoctor.engine.loader import MAX_FILE_BYTES

    big = tmp_path / "big.yaml"
    big.write_text("order_status: shipped\n" + "#" * MAX_FILE_BYTES)
    status, out, err = run_cli(["advise", "--facts", str(big)])
    assert status == 2 and out == ""
    assert err.startswith(f"orderdoctor: error: --facts {big}: is larger than the 4 MiB orderdoctor reads")
    assert err.count("\n") == 1


def test_standard_input_over_the_limit_is_one_line():
    import io

    from orderdoctor.engine.loader import MAX_FILE_BYTES

    for stdin in (io.StringIO("a" * (MAX_FILE_BYTES + 10)), io.TextIOWrapper(io.BytesIO(b"\0" * (MAX_FILE_BYTES + 10)))):
        status, out, err = run_cli(["advise", "--facts", "-"], stdin=stdin)
        assert status == 2
        assert err == "orderdoctor: error: --facts -: standard input holds more than the 4 MiB read\n"


def test_bad_bytes_in_a_facts_file_name_line_and_column(tmp_path):
    import io

    facts = tmp_path / "facts.yaml"
    facts.write_bytes(b"order_status: shipped\ndays_left: 3\ncoupon_used: w\xe9lcome\n")
    status, out, err = run_cli(["advise", "--facts", str(facts)])
    assert status == 2 and out == ""
    assert err == f"{facts}:3:15: error: not UTF-8 text: byte 0xe9 (invalid continuation byte); save the file as UTF-8\n"
    stdin = io.TextIOWrapper(io.BytesIO(b"order_status: shipped\n\xff\n"))
    status, out, err = run_cli(["advise", "--facts", "-"], stdin=stdin)
    assert (status, err) == (2, "<stdin>:2:1: error: not UTF-8 text: byte 0xff (invalid start byte); save the file as UTF-8\n")


def test_control_characters_in_a_facts_file_are_located_and_never_printed_raw(tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text("order_status: shipped\ndays_left: \x1b]0;pwned\x07\n")
    status, out, err = run_cli(["advise", "--facts", str(facts)])
    assert status == 2
    assert err == f"{facts}:2:12: error: character U+001B is not allowed in a YAML file (control characters are not allowed); remove it\n"
    facts = tmp_path / "facts.json"
    facts.write_text('{"order_status": "\\u001b[2Jshipped"}')
    status, out, err = run_cli(["advise", "--facts", str(facts)])
    assert status == 2 and "\x1b" not in err and "\\x1b[2Jshipped" in err


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("octal.yaml", "order_status: shipped\ndays_left: 010\n", ":2:12: error: '010' is not a plain whole number"),
        ("sexagesimal.yaml", "order_status: shipped\ndays_left: 1:30\n", ":2:12: error: '1:30' is not a plain whole number"),
        ("octal.json", '{"order_status": "shipped", "days_left": 010}\n', ":1:42: error: JSON: a number has no leading zero"),
    ],
)
def test_facts_files_keep_the_numbers_as_written(tmp_path, name, text, expected):
    facts = tmp_path / name
    facts.write_text(text)
    status, out, err = run_cli(["advise", "--json", "--facts", str(facts)])
    assert status == 2 and out == ""
    assert err.startswith(f"{facts}{expected}")


def test_set_with_unicode_digits_is_refused():
    status, out, err = run_cli(["advise", "--set", "order_status=shipped", "--set", "days_left=٣"])
    assert status == 2
    assert err == "--set days_left=٣: error: fact 'days_left' is a whole number written with the digits 0-9, not '٣'\n"


@pytest.mark.parametrize("text", ["", " \n\n"])
def test_an_empty_json_facts_file_is_an_error_not_no_facts(tmp_path, text):
    """It was read as no facts at all (and advised on)."""
    path = tmp_path / "f.json"
    path.write_text(text)
    status, out, err = run_cli(["advise", "--facts", str(path)])
    assert (status, out) == (2, "")
    assert err == f"{path}:1:1: error: JSON: empty file (write {{}} for no facts)\n"
    assert parse_facts_document("{}", "f.json") == {}


def test_set_with_a_leading_zero_is_refused_as_in_files():
    from orderdoctor.cli.main import main
    import io

    err = io.StringIO()
    assert main(["advise", "--set", "days_left=010"], stdout=io.StringIO(), stderr=err) == 2
    assert "write 10, not 010" in err.getvalue()
    assert main(["advise", "--set", "days_left=0"], stdout=io.StringIO(), stderr=io.StringIO()) == 0
