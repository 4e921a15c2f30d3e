"""``orderdoctor batch``: advice for many orders at once, for support desks.

Input is JSON Lines or CSV (one order per line/row, facts as fields, an optional ``id``); output
is JSON Lines, exactly one line per input record and in input order, whatever ``--jobs`` is. A
record that cannot be read or advised — bad JSON, a 5,000-digit number, brackets nested 200,000
deep, a line over :data:`MAX_RECORD_BYTES`, bytes that are not UTF-8, bad facts, a knowledge base
that fails on it — gets an ``error`` line and the run goes on; the exit status says whether any
failed. Only a CSV header that cannot be right (unknown or repeated columns, another separator)
refuses the run, before any record, since every row would fail the same way.

A CSV record may span lines (a quoted field can hold line breaks); the limit is on the record,
and one over it is read past to where it ends by the CSV rules (see :class:`_CsvLines`).

The run streams: the input is read a block at a time (a record longer than the limit is counted,
never held), at most ``3 × --jobs`` shares of the input are in flight, and results are written
as they come back, in input order. Memory is bounded whatever the input's size.

Output goes through :mod:`orderdoctor.cli.output` (a file is replaced atomically at the end, so an
interrupted run leaves the old file untouched and no temporary file). Ctrl-C (SIGINT) and SIGTERM
end the run cleanly at any ``--jobs``: the workers ignore both and are killed by the parent, the
summary of what was done is printed, and the exit status is 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

from orderdoctor.engine import (
    FactInputErrors,
    KnowledgeBase,
    OrderdoctorError,
    consult,
    did_you_mean,
    load_knowledge_base,
)

from .batchcsv import csv_shares
from .batchinput import (
    BLOCK,
    MAX_RECORD_BYTES,
    BatchInputError,
    Input,
    Record,
    Share,
    format_of,
    jsonl_shares,
    open_input,
)
from .batchpool import Chunk, in_workers
from .batchprogress import Summary, Terminated, progress, sigterm_stops_the_run
from .output import STDOUT, open_output
from .render import deadline_date

__all__ = ["BatchInputError", "BatchOptions", "run_batch", "MAX_RECORD_BYTES", "Terminated"]

#: Shares in flight per worker: enough to keep it busy while the parent writes.
_IN_FLIGHT = 3
#: Records advised between two writes with one job (a reader of the output sees them soon).
_SMALL_CHUNK = 64
#: Bytes read at a time (a share of JSON lines is one block): with :data:`_IN_FLIGHT`, what bounds
#: the input held in memory.
_BLOCK = BLOCK


@dataclass(frozen=True)
class BatchOptions:
    input: str
    format: str | None
    output: str | None
    jobs: int
    trace: bool
    kb_path: str | None
    today: datetime.date | None = None  # the date deadlines count from (None: no dates)



# --------------------------------------------------------------- advising
_KB: KnowledgeBase | None = None
_TODAY: datetime.date | None = None


def advise_record(record: Record, with_trace: bool = False) -> dict[str, Any]:
    """The output line of one record (uses the process's knowledge base); never raises for a
    record, whatever it holds."""
    assert _KB is not None
    out: dict[str, Any] = {"id": record.record_id, "line": record.line}
    if record.error is not None:
        out["error"] = record.error
        return out
    try:
        result = consult(_KB, record.facts or {})
    except FactInputErrors as exc:
        out["error"] = "; ".join(
            error.message + did_you_mean(error.suggestion)
            for error in exc.errors
        )
        return out
    except OrderdoctorError as exc:  # the knowledge base cannot handle these facts
        out["error"] = f"the knowledge base failed on this record: {exc}"
        return out
    except Exception as exc:  # noqa: BLE001 - one record must not end the run
        out["error"] = f"internal error on this record (please report it): {type(exc).__name__}: {exc}"
        return out
    out["advice"] = list(result.advice_ids)
    out["first_action"] = result.first_action.id if result.first_action else None
    deadlines = [
        {"advice": entry.id, "days": entry.deadline_days, "date": deadline_date(entry.deadline_days, _TODAY)}
        for entry in result.advice
        if entry.deadline_days is not None
    ]
    if deadlines:
        out["deadlines"] = deadlines
    if result.violations:
        out["violations"] = [violation.to_json() for violation in result.violations]
    if with_trace:
        out["trace"] = [step.to_json() for step in result.trace]
    return out



def _line(result: dict[str, Any]) -> tuple[str, bool]:
    """The JSON line of a result, and whether it is an error line."""
    try:
        return json.dumps(result, ensure_ascii=True, allow_nan=False) + "\n", "error" in result
    except (ValueError, TypeError, RecursionError):  # an id of NaN, or nested too deeply
        error = "the record's id cannot be written as JSON (NaN, Infinity, or nested too deeply)"
        return json.dumps({"id": None, "line": result["line"], "error": error}) + "\n", True


def _chunk_of(results: list[dict[str, Any]]) -> Chunk:
    lines = [_line(result) for result in results]
    return Chunk("".join(text for text, _ in lines), len(lines), sum(failed for _, failed in lines))


def advise_chunk(share: Share) -> Chunk:
    """Parse (JSON lines), advise and format a share of the records — in a worker with
    ``--jobs``, so that the parent only splits blocks into lines and writes text."""
    return _chunk_of([advise_record(record, share.trace) for record in share.records()])


# ----------------------------------------------------------------- workers
def _in_process(shares: Iterable[Share]) -> Iterator[Chunk]:
    done: list[dict[str, Any]] = []
    try:
        for share in shares:
            for record in share.records():
                done.append(advise_record(record, share.trace))
                if len(done) == _SMALL_CHUNK:
                    yield _chunk_of(done)
                    done = []
    except KeyboardInterrupt:
        if done:
            yield _chunk_of(done)  # what was advised before the interrupt is reported
        raise
    if done:
        yield _chunk_of(done)



def _chunks(options: BatchOptions, shares: Iterable[Share]) -> Iterator[Chunk]:
    """The output, chunk by chunk, in input order: in this process with one job, else in forked
    workers that inherit the knowledge base already loaded here."""
    if options.jobs <= 1 or not hasattr(os, "fork"):
        return _in_process(shares)
    return in_workers(shares, options.jobs, advise_chunk, _IN_FLIGHT)



def run_batch(
    options: BatchOptions, stdin: Any, stdout: TextIO, stderr: TextIO, kb: KnowledgeBase | None = None
) -> int:
    """Run a batch; returns the exit status (0 all advised, 1 some failed, 130 interrupted, 143
    terminated). Raises BatchInputError for an input that cannot be read at all, OutputError
    for an output that cannot be written.

    ``kb`` is the knowledge base at ``options.kb_path`` when the caller loaded it already.
    """
    global _KB, _TODAY
    _KB = kb if kb is not None else load_knowledge_base(options.kb_path)  # forked workers inherit it
    _TODAY = options.today
    fmt = format_of(options.input, options.format)
    shown = "<stdin>" if options.input == STDOUT else options.input
    summary = Summary()
    if options.output is not None and not options.output.strip():
        raise BatchInputError("--output: the file name is empty (leave --output out to write to standard output)")
    with sigterm_stops_the_run():
        try:
            stream = open_input(options.input, stdin)  # (opening a FIFO waits for a writer)
        except KeyboardInterrupt as exc:
            return _stopped_before_reading(exc, summary, stderr)
        try:
            _refuse_output_on_input(stream, options.output)
            started = time.perf_counter()
            try:
                source = Input(stream, shown)
                if fmt == "jsonl":
                    shares: Iterator[Share] = jsonl_shares(source, options.trace)
                else:
                    shares = csv_shares(source, shown, _KB, options.trace)
                with open_output(options.output or STDOUT, stdout) as sink:
                    _write_chunks(options, shares, sink, summary, progress(stderr, source))
            except KeyboardInterrupt as exc:
                summary.stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
            summary.seconds = time.perf_counter() - started
        finally:
            if stream is not getattr(stdin, "buffer", None):
                stream.close()
        if summary.records == 0 and not summary.stopped:
            stderr.write(f"batch: {shown}: no records in the input\n")
        stderr.write(summary.line() + "\n")
    if summary.stopped == "terminated":
        return 143
    if summary.stopped:
        return 130
    return 1 if summary.failed else 0


def _stopped_before_reading(exc: KeyboardInterrupt, summary: Summary, stderr: TextIO) -> int:
    summary.stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
    stderr.write(summary.line() + "\n")
    return 143 if isinstance(exc, Terminated) else 130


def _refuse_output_on_input(stream: BinaryIO, output: str | None) -> None:
    """``--output`` naming the input file (even through a link) would replace the orders with
    the results: refused (BatchInputError)."""
    if output is None or output == STDOUT:
        return
    try:
        read = os.fstat(stream.fileno())
        written = os.stat(output)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return  # no output file yet, or an input that is not a file
    if stat.S_ISREG(read.st_mode) and (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino):
        raise BatchInputError(f"--output {output}: is the input file; write the results to another file")


def _write_chunks(options: BatchOptions, shares: Iterator[Share], sink: Any, summary: Summary, progress: Any) -> None:
    chunks = _chunks(options, shares)
    try:
        for chunk in chunks:
            sink.write(chunk.text)
            summary.records += chunk.records
            summary.failed += chunk.failed
            summary.advised += chunk.records - chunk.failed
            progress(summary.records)
    finally:
        progress(None)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # stops the workers now, not when the generator is collected
