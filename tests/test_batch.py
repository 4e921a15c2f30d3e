"""``orderdoctor batch``: one output line per record, in order, whatever goes wrong with a record."""

from __future__ import annotations

import io
import json

from orderdoctor.cli import batch as batch_module
from orderdoctor.cli.main import main
from orderdoctor.engine import consult, load_cases, load_knowledge_base

KB = load_knowledge_base()
CASES = load_cases(KB)


class BytesStdin(io.StringIO):
    def __init__(self, data: bytes):
        super().__init__("")
        self.buffer = io.BytesIO(data)


def run(argv, data: bytes = b""):
    out, err = io.StringIO(), io.StringIO()
    status = main(["batch", *argv], stdout=out, stderr=err, stdin=BytesStdin(data))
    return status, out.getvalue(), err.getvalue()


def lines(text):
    return [json.loads(line) for line in text.splitlines()]


def jsonl(records):
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def test_every_case_in_order_with_ids():
    records = [{"id": case.id, **case.facts} for case in CASES]
    status, out, err = run([], jsonl(records))
    assert status == 0
    results = lines(out)
    assert [r["id"] for r in results] == [c.id for c in CASES]
    for case, result in zip(CASES, results):
        expected = consult(KB, case.facts)
        assert result["advice"] == list(expected.advice_ids)
        assert result["first_action"] == (expected.first_action.id if expected.first_action else None)
    assert err.startswith(f"batch: {len(CASES)} records, {len(CASES)} advised, 0 failed in ")
    assert err.rstrip().endswith("records/s)")


def test_bad_records_get_an_error_line_and_the_run_goes_on():
    data = b"\n".join([
        b'{"id": 1, "order_status": "closed", "closure_reason": "unpaid"}',
        b"[1, 2]",
        b'{"id": 3, "order_stat": "shipped"}',
        b'{"id": 4, "days_left": "soon"}',
        b"{not json",
        b'{"id": 6, "order_status": "caf\xe9"}',
        b'{"id": 7, "order_status": "shipped"}',
    ]) + b"\n"
    status, out, err = run([], data)
    assert status == 1
    results = lines(out)
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5, 6, 7]
    assert results[0]["advice"] == ["pay_or_let_lapse"]
    assert results[1]["error"] == "a record must be a JSON object, not list"
    assert results[2] == {"id": 3, "line": 3, "error": "unknown fact 'order_stat' (did you mean 'order_status'?)"}
    assert results[3]["error"] == "fact 'days_left' is a whole number, not 'soon'"
    assert results[4]["error"].startswith("not valid JSON")
    assert results[5]["error"] == "not UTF-8 text (byte 31)"
    assert results[6]["advice"] == ["nothing_applies"]
    assert "7 records, 2 advised, 5 failed" in err


def test_huge_line_is_one_error():
    huge = b'{"id": "big", "note": "' + b"x" * (10 * 1024 * 1024) + b'"}\n'
    status, out, _ = run([], huge + b'{"id": "ok", "order_status": "awaiting_payment"}\n')
    results = lines(out)
    assert results[0]["error"].startswith("record is larger than 1024 KiB")
    assert results[1]["advice"] == ["pay_or_let_lapse"]


def test_csv_input(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "id,order_status,closure_reason,days_left\n"
        "a,closed,unpaid,\n"
        "b,closed,unpaid,3,extra\n"
        "c,awaiting_payment,,\n"
    )
    status, out, err = run([str(path)])
    assert status == 1
    results = lines(out)
    assert results[0] == {"id": "a", "line": 2, "advice": ["pay_or_let_lapse"], "first_action": "pay_or_let_lapse"}
    assert results[1] == {"id": "b", "line": 3, "error": "row has 5 fields, the header has 4"}
    assert results[2]["advice"] == ["pay_or_let_lapse"]


def test_empty_input_and_bad_files(tmp_path):
    status, out, err = run([], b"")
    assert status == 0 and out == ""
    assert "no records in the input" in err and "0 records" in err
    status, out, err = run([str(tmp_path / "missing.jsonl")])
    assert status == 2 and err == f"orderdoctor: error: {tmp_path / 'missing.jsonl'}: no such file\n"
    (tmp_path / "orders.txt").write_text("{}\n")
    status, _, err = run([str(tmp_path / "orders.txt")])
    assert status == 2 and "use --format jsonl or csv" in err

def test_one_non_utf8_csv_row_is_one_error_line(tmp_path):
    """Not a refusal of the whole file (it was: 'the CSV input is not UTF-8 text', exit 2)."""
    (tmp_path / "bad.csv").write_bytes(b"id,order_status\na,\xff\xfe\nb,awaiting_payment\n")
    status, out, err = run([str(tmp_path / "bad.csv")])
    assert status == 1
    assert lines(out) == [
        {"id": "a", "line": 2, "error": "not UTF-8 text (in order_status)"},
        {"id": "b", "line": 3, "advice": ["pay_or_let_lapse"], "first_action": "pay_or_let_lapse"},
    ]


def test_jobs_give_identical_output(tmp_path):
    records = [{"id": f"{case.id}-{i}", **case.facts} for i in range(3) for case in CASES]
    records.insert(5, {"id": "bad", "days_left": "x"})
    data = jsonl(records)
    one = run(["--jobs", "1"], data)
    two = run(["--jobs", "2"], data)
    assert one[0] == two[0] == 1
    assert one[1] == two[1]
    assert len(one[1].splitlines()) == len(records)


def test_trace_option():
    status, out, _ = run(["--trace"], jsonl([{"id": 1, "order_status": "closed", "closure_reason": "unpaid"}]))
    [result] = lines(out)
    assert result["trace"][0]["rule"] == "unpaid_order_closed"


def test_output_file_is_written_atomically(tmp_path):
    target = tmp_path / "out" / "results.jsonl"
    target.parent.mkdir()
    status, out, err = run(["--output", str(target)], jsonl([{"id": 1, "order_status": "awaiting_payment"}]))
    assert status == 0 and out == ""
    assert lines(target.read_text())[0]["advice"] == ["pay_or_let_lapse"]
    assert [p.name for p in target.parent.iterdir()] == ["results.jsonl"]


def test_interrupted_run_leaves_no_output_file_and_reports_what_was_done(tmp_path, monkeypatch):
    target = tmp_path / "results.jsonl"
    real = batch_module.advise_record
    calls = {"n": 0}

    def interrupting(record, with_trace=False):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(record, with_trace)

    monkeypatch.setattr(batch_module, "advise_record", interrupting)
    records = [{"id": i, "order_status": "awaiting_payment"} for i in range(10)]
    status, out, err = run(["--output", str(target)], jsonl(records))
    assert status == 130
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert err.startswith("batch (interrupted): 3 records, 3 advised, 0 failed")


def test_control_characters_are_not_echoed_raw():
    status, out, _ = run([], jsonl([{"id": "\x1b[31mred", "order_status": "\x1b[2Jshipped"}]))
    assert "\x1b" not in out  # JSON escapes them
