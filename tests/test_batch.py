"""``orderdoctor batch``: one output line per record, in order, whatever goes wrong with a record."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import kb_with_rules

from orderdoctor.cli import batch as batch_module
from orderdoctor.cli.main import main
from orderdoctor.engine import consult, load_cases, load_knowledge_base

KB = load_knowledge_base()
CASES = load_cases(KB)
MAX = batch_module.MAX_RECORD_BYTES
ONE = b'{"id": 1, "order_status": "awaiting_payment"}\n'


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
        b'{"id": 7, "coupon_used": "none"}',
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
    assert results[6]["advice"] == ["nothing_applies"]  # no order status: no rule applies
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


# ------------------------------------------------ no record can end the run
CONFLICT_RULES = """- id: shipped_is_urgent
  description: Shipped means urgent.
  when: {order_status: shipped}
  then: {derive: {urgency: high}}
  source: test-article
- id: suspicious_is_calm
  description: A suspicious seller means calm.
  when: {seller_suspicious: true}
  then: {derive: {urgency: low}}
  source: test-article
- id: urgent
  description: Urgent.
  when: {urgency: high}
  then: {advise: [open_dispute]}
  source: test-article
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_no_record_can_end_the_run(jobs):
    poison = [
        b'{"id": "digits", "days_left": ' + b"9" * 5000 + b"}",  # was: ValueError, exit 70
        b"[" * 200_000 + b"]" * 200_000,  # was: RecursionError, exit 70
        b'{"id": NaN, "order_status": "awaiting_payment"}',
        b'{"id": ' + b"[" * 950 + b"]" * 950 + b', "order_status": "awaiting_payment"}',
        b'{"id": "big", "x": "' + b"y" * (MAX + 10) + b'"}',
    ]
    good = b'{"id": "ok", "order_status": "awaiting_payment"}'
    data = b"\n".join([good] * 100 + poison + [good] * 100) + b"\n"
    status, out, err = run(["--jobs", jobs], data)
    assert status == 1
    results = lines(out)
    assert [r["line"] for r in results] == list(range(1, 206))
    bad = {r["line"]: r["error"] for r in results if "error" in r}
    assert bad[101] == "not valid JSON: a number has too many digits"
    assert bad[102] == "not valid JSON: nested too deeply"
    assert bad[103].startswith("the record's id cannot be written as JSON")
    # a 950-deep id: refused on Pythons whose json recursion limit is lower, echoed back on 3.13
    deep_id_failed = 104 in bad
    if deep_id_failed:
        assert bad[104].startswith(("not valid JSON: nested too deeply", "the record's id cannot be written"))
    else:
        assert results[103]["advice"] == ["pay_or_let_lapse"]
    assert bad[105].startswith("record is larger than 1024 KiB")
    failed = 4 + deep_id_failed
    assert err.startswith(f"batch: 205 records, {205 - failed} advised, {failed} failed")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_record_the_knowledge_base_fails_on_is_one_error_line(tmp_path, jobs):
    kb = kb_with_rules(tmp_path, CONFLICT_RULES)
    data = jsonl([
        {"id": 1, "order_status": "shipped"},
        {"id": 2, "order_status": "shipped", "seller_suspicious": True},  # two values for urgency
        {"id": 3, "order_status": "shipped"},
    ])
    status, out, err = run(["--kb", str(kb), "--jobs", jobs], data)
    assert status == 1  # was: exit 70, and nothing written
    results = lines(out)
    assert results[0]["advice"] == results[2]["advice"] == ["open_dispute"]
    assert results[1]["error"].startswith("the knowledge base failed on this record: ")  # then file:line:col
    assert "run `orderdoctor kb check`" in results[1]["error"]
    assert "derive different values for fact 'urgency'" in results[1]["error"]


def test_with_output_the_good_results_are_kept_around_a_bad_record(tmp_path):
    target = tmp_path / "res.jsonl"
    good = b'{"order_status": "awaiting_payment"}\n'
    data = good * 9000 + b"[" * 200_000 + b"\n" + good * 1000
    status, _, err = run(["--output", str(target), "--jobs", "2"], data)
    assert status == 1  # was: exit 70, no file at all, 8,999 results lost
    assert len(target.read_text().splitlines()) == 10_001
    assert err.startswith("batch: 10001 records, 10000 advised, 1 failed")


# ------------------------------------------------------------------- BOM
def test_a_utf8_bom_is_accepted_in_jsonl_and_csv(tmp_path):
    status, out, _ = run([], b"\xef\xbb\xbf" + ONE)  # was: "Unexpected UTF-8 BOM"
    assert status == 0 and lines(out)[0]["advice"] == ["pay_or_let_lapse"]
    (tmp_path / "o.csv").write_bytes(b"\xef\xbb\xbfid,order_status\na,awaiting_payment\n")
    status, out, _ = run([str(tmp_path / "o.csv")])
    assert status == 0 and lines(out) == [
        {"id": "a", "line": 2, "advice": ["pay_or_let_lapse"], "first_action": "pay_or_let_lapse"}
    ]


# ------------------------------------------------------------- CSV header
@pytest.mark.parametrize(
    "header, message",
    [
        ("id;order_status;closure_reason", "o.csv:1: the CSV header is separated by semicolons, not commas: "
                                           "save the file as comma-separated CSV (UTF-8)"),
        ("id,order_stat,days_left", "o.csv:1: unknown column 'order_stat' (did you mean 'order_status'?) "
                                    "(the columns are facts, and 'id')"),
        ("id,days_left,order_status,days_left", "o.csv:1: column 'days_left' appears twice (columns 2 and 4) "
                                                "(the columns are facts, and 'id')"),
    ],
)
def test_a_bad_csv_header_is_one_error_before_any_record(tmp_path, monkeypatch, header, message):
    monkeypatch.chdir(tmp_path)
    Path("o.csv").write_text(header + "\n" + "a,b,c,d\n" * 20_000)
    status, out, err = run(["o.csv"])
    assert (status, out, err) == (2, "", f"orderdoctor: error: {message}\n")  # was: 20,000 identical errors


def test_csv_rows_over_the_limit_and_nameless_columns(tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(
        b"id,order_status,\n"
        b'a,"' + b"x" * (MAX + 5) + b'",\n'
        b"b,awaiting_payment,\n"
        b"c,awaiting_payment,surprise\n"
    )
    status, out, _ = run([str(path)])
    results = lines(out)
    assert [r["line"] for r in results] == [2, 3, 4]
    assert results[0]["error"].startswith("record is larger than 1024 KiB")
    assert results[1]["advice"] == ["pay_or_let_lapse"]
    assert results[2]["error"] == "a value in column 3, which has no name in the header"


def test_one_record_is_one_record():
    status, _, err = run([], ONE)
    assert err.startswith("batch: 1 record, 1 advised, 0 failed")  # was: "1 records"


# --------------------------------------------------------------- streaming
class CountingStdin(BytesStdin):
    """Standard input that records how much had been read each time output was written."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.read_at_writes: list[int] = []


class WatchingOutput(io.StringIO):
    def __init__(self, stdin: CountingStdin):
        super().__init__()
        self.stdin = stdin

    def write(self, text):
        self.stdin.read_at_writes.append(self.stdin.buffer.tell())
        return super().write(text)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_input_is_read_as_the_output_is_written(jobs):
    """Streaming: the first results are written when a small part of the input was read (the whole
    input was read first before: 1,000,000 lines took 305 MB)."""
    data = ONE * 40_000  # 1.8 MB
    stdin = CountingStdin(data)
    out, err = WatchingOutput(stdin), io.StringIO()
    status = main(["batch", "--jobs", jobs], stdout=out, stderr=err, stdin=stdin)
    assert status == 0 and len(out.getvalue().splitlines()) == 40_000
    bound = int(jobs) * batch_module._IN_FLIGHT * batch_module._BLOCK + batch_module._BLOCK
    assert stdin.read_at_writes[0] <= bound < len(data) // 4
    assert all(later - earlier < len(data) // 4 for earlier, later in zip(stdin.read_at_writes, stdin.read_at_writes[1:]))


# ----------------------------------------------------------------- signals
@pytest.fixture(scope="module")
def big_input(tmp_path_factory):
    """A long run (300,000 records) and an environment with a warm load cache."""
    folder = tmp_path_factory.mktemp("signals")
    path = folder / "in.jsonl"
    path.write_bytes(b'{"id": "r", "order_status": "shipped", "tracking_note": "in_transit", "days_left": 9}\n' * 300_000)
    env = {**os.environ, "ORDERDOCTOR_CACHE_DIR": str(folder / "cache"), "XDG_STATE_HOME": str(folder / "state")}
    subprocess.run([sys.executable, "-m", "orderdoctor.cli", "kb", "check"], env=env, capture_output=True, timeout=120)
    return path, env


def start_batch(big_input, target: Path, jobs: str):
    path, env = big_input
    return subprocess.Popen(
        [sys.executable, "-m", "orderdoctor.cli", "batch", str(path), "--jobs", jobs, "--output", str(target)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def wait_for_output(process, folder: Path) -> None:
    """Until the run has written some results (to its temporary file); a run that never does
    fails the test rather than wedging it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended before it was signalled: {process.communicate()}")
        if any(p.stat().st_size > 0 for p in folder.glob(".o.jsonl.orderdoctor-*.tmp")):
            return
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("no output within 120 s")


def finish(process) -> tuple[int, str]:
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the run hung after the signal")
    return process.returncode, err.decode()


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    "signum, status, word",
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["SIGINT", "SIGTERM"],
)
def test_ctrl_c_and_sigterm_end_the_run_cleanly(tmp_path, big_input, jobs, signum, status, word):
    """Sent to the whole process group, as a terminal's Ctrl-C is. Was, with --jobs 2: 10 of 34
    runs hung, 10 printed worker tracebacks; SIGTERM left a partial temporary file every time."""
    target = tmp_path / "o.jsonl"
    for attempt in range(3):
        target.write_text("OLD CONTENT\n")
        process = start_batch(big_input, target, jobs)
        wait_for_output(process, tmp_path)
        os.killpg(process.pid, signum)
        got, err = finish(process)
        assert got == status, err
        assert "Traceback" not in err and err.count("\n") == 1, err
        assert err.startswith(f"batch ({word}): ")
        assert target.read_text() == "OLD CONTENT\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl"]  # no temporary left


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_temporary_left_by_sigkill_is_removed_by_the_next_run(tmp_path, big_input, jobs):
    target = tmp_path / "o.jsonl"
    process = start_batch(big_input, target, jobs)
    wait_for_output(process, tmp_path)
    os.killpg(process.pid, signal.SIGKILL)
    finish(process)
    assert [p.name for p in tmp_path.iterdir()] == [f".o.jsonl.orderdoctor-{process.pid}.tmp"]
    assert run(["--output", str(target)], ONE)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl"]


# ------------------------------------------------------------ worker faults
def _worker_dies(share):
    os._exit(3)


def _worker_raises(share):
    raise MemoryError("no memory left")


@pytest.mark.parametrize("fault, message", [
    (_worker_dies, "batch worker 1 stopped unexpectedly (exit status 3)"),
    (_worker_raises, "batch worker 1 failed: MemoryError: no memory left"),
])
def test_a_worker_that_dies_is_an_internal_error_not_a_hang(tmp_path, monkeypatch, fault, message):
    """The forked workers inherit the patched function (was: a worker dying mid-send could hang
    the parent in multiprocessing's result handler)."""
    monkeypatch.setattr(batch_module, "advise_chunk", fault)
    target = tmp_path / "o.jsonl"
    status, _, err = run(["--jobs", "2", "--output", str(target)], ONE * 10)
    assert status == 70
    assert err.startswith(f"orderdoctor: internal error: WorkerFailed: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_too_many_jobs_for_the_system_is_one_line(monkeypatch):
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (200, hard))
    try:
        status, _, err = run(["--jobs", "400"], ONE)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert status == 2
    assert err == "orderdoctor: error: --jobs 400: cannot start that many worker processes: Too many open files\n"


def test_csv_jobs_give_identical_output(tmp_path):
    path = tmp_path / "o.csv"
    rows = ["id,order_status,closure_reason,days_left"]
    rows += [f"r{i},{['closed', 'shipped', 'bogus'][i % 3]},unpaid,{i % 40 - 20}" for i in range(700)]
    path.write_text("\n".join(rows) + "\n")
    one = run([str(path), "--jobs", "1"])
    two = run([str(path), "--jobs", "3"])
    assert one[0] == two[0] == 1 and one[1] == two[1]
    assert [r["line"] for r in lines(one[1])] == list(range(2, 702))


# ------------------------------------------------------- CSV records over the limit
def _overlong_csv(path: Path) -> None:
    """Two records over the limit made of lines under it: a quoted field with line breaks
    (holding a line that looks like a record), and a long line that opens a quoted field."""
    piece = "x" * 100_000
    path.write_text(
        "id,order_status\n"
        + "r1,\"" + "\n".join([piece] * 15) + "\nr9,awaiting_payment\n\",closed\n"
        + "r2,awaiting_payment\n"
        + "r3,\"" + "y" * (MAX + 10) + "\nr8,awaiting_payment\n\"\"quoted\"\"\n\"\n"
        + "r4,awaiting_payment\n"
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_csv_record_over_the_limit_is_one_error_line_and_the_run_goes_on(tmp_path, jobs):
    path = tmp_path / "o.csv"
    _overlong_csv(path)
    status, out, err = run([str(path), "--jobs", jobs])
    results = lines(out)
    assert status == 1 and len(out.splitlines()) == 4
    assert [(r["id"], r["line"]) for r in results] == [(None, 2), ("r2", 19), (None, 20), ("r4", 24)]
    assert results[0]["error"].startswith("record is larger than 1024 KiB (")
    assert results[2]["error"].startswith("record is larger than 1024 KiB (")
    assert results[1]["advice"] == results[3]["advice"] == ["pay_or_let_lapse"]
    assert err.startswith("batch: 4 records, 2 advised, 2 failed")
    assert out == run([str(path), "--jobs", "1" if jobs == "2" else "2"])[1]


def test_a_csv_header_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text('id,"' + "order_status\n" * (MAX // 10) + '"\nr1,shipped\n')
    status, out, err = run([str(path)])
    assert (status, out) == (2, "")
    assert err == f"orderdoctor: error: {path}:1: the CSV header is larger than 1024 KiB\n"


_PEAK_RSS = """
import io, resource, sys
from orderdoctor.cli.main import main
status = main(["batch", sys.argv[1], "--jobs", sys.argv[2]], stdout=io.StringIO(), stderr=io.StringIO())
# This process's peak (VmHWM: ru_maxrss would keep the pytest process's, from before exec) and
# its workers' (forked once the header is read).
mine = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(status, max(mine, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
"""


def _peak_rss_kib(path: Path, jobs: str) -> int:
    done = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(path), jobs], capture_output=True, text=True, check=True)
    status, peak = done.stdout.split()
    assert status == "1"
    return int(peak)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_csv_memory_is_bounded_whatever_a_quoted_record_holds(tmp_path, jobs):
    """60 MB in one quoted record, every line under the limit (it took 311 MB of memory for a
    300 MB one): memory as for a small file."""
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_text("id,order_status\nr1,bogus\nr2,shipped\n")
    field = '"' + "x" * 100_000 + '\n"'
    big.write_text("id,order_status\nr1," + ",".join([field] * 600) + "\nr2,shipped\n")
    assert _peak_rss_kib(big, jobs) - _peak_rss_kib(small, jobs) < 30_000


# ------------------------------------------------------------------ --output
def test_output_on_the_input_file_is_refused(tmp_path):
    """It silently replaced the orders with the results; also through a link."""
    path = tmp_path / "o.jsonl"
    path.write_bytes(ONE)
    (tmp_path / "link.jsonl").symlink_to(path)
    for target in (path, tmp_path / "link.jsonl"):
        status, out, err = run([str(path), "--output", str(target)])
        assert (status, out) == (2, "")
        assert err == f"orderdoctor: error: --output {target}: is the input file; write the results to another file\n"
    assert path.read_bytes() == ONE


def test_an_empty_output_name_is_a_usage_error():
    status, out, err = run(["--output", ""], ONE)
    assert (status, out) == (2, "")
    assert err == "orderdoctor: error: --output: the file name is empty (leave --output out to write to standard output)\n"


@pytest.mark.skipif(not os.path.exists("/proc/self/wchan"), reason="needs Linux's /proc/PID/wchan")
def test_sigterm_while_waiting_for_a_fifo_writer_is_143(tmp_path, big_input):
    """It was 130 and 'interrupted'."""
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "orderdoctor.cli", "batch", str(fifo)], env=big_input[1],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while Path(f"/proc/{process.pid}/wchan").read_text() != "wait_for_partner":  # blocked opening the FIFO
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the run did not wait for a writer: {process.communicate()}")
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    status, err = finish(process)
    assert status == 143 and err.startswith("batch (terminated): 0 records") and err.count("\n") == 1, err
