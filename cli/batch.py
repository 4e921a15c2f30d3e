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

import csv
import datetime
import gc
import io
import json
import os
import re
import signal
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

from orderdoctor.engine import (
    FactInputErrors,
    KnowledgeBase,
    OrderdoctorError,
    UsageError,
    consult,
    load_knowledge_base,
)

from .output import STDOUT, open_output
from .render import deadline_date

__all__ = ["BatchOptions", "run_batch", "MAX_RECORD_BYTES", "Terminated"]

#: A record (line or row) larger than this gets an error instead of being parsed.
MAX_RECORD_BYTES = 1 << 20
#: Bytes read at a time; a share of JSON lines sent to a worker is one such block.
_BLOCK = 1 << 16
#: CSV records per share.
_CSV_SHARE = 256
#: Shares in flight per worker: enough to keep it busy while the parent writes.
_IN_FLIGHT = 3
#: Records advised between two writes with one job (a reader of the output sees them soon).
_SMALL_CHUNK = 64
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class BatchOptions:
    input: str
    format: str | None
    output: str | None
    jobs: int
    trace: bool
    kb_path: str | None
    today: datetime.date | None = None  # the date deadlines count from (None: no dates)


@dataclass(frozen=True)
class Record:
    """One input record: its line number, and its facts or the reason it could not be read."""

    line: int
    facts: dict[str, Any] | None
    record_id: Any = None
    error: str | None = None


class BatchInputError(UsageError):
    """The input as a whole cannot be read (missing file, unknown format, bad CSV header): one
    line, exit 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the run stops as for Ctrl-C, with exit status 143."""


# ------------------------------------------------------------------ reading
def _format_of(name: str, given: str | None) -> str:
    if given:
        return given
    suffix = os.path.splitext(name)[1].lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if name == "-":
        return "jsonl"
    raise BatchInputError(f"cannot tell the format of '{name}' from its extension: use --format jsonl or csv")


def _open_input(name: str, stdin: Any) -> BinaryIO:
    if name == "-":
        if stdin is None:
            raise BatchInputError("standard input is closed: give an input file")
        buffer = getattr(stdin, "buffer", None)
        if buffer is not None:
            return buffer
        data = stdin.read()
        return io.BytesIO(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)
    try:
        return open(name, "rb")  # noqa: SIM115 - closed by run_batch
    except FileNotFoundError:
        raise BatchInputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise BatchInputError(f"{name}: is a folder, not a file") from None
    except OSError as exc:
        raise BatchInputError(f"{name}: {exc.strerror}") from None


def _too_large(size: int) -> str:
    return f"record is larger than {MAX_RECORD_BYTES // 1024} KiB ({size} bytes)"


class _Input:
    """The input stream, whose read errors (a disk failing mid-run) are BatchInputErrors."""

    def __init__(self, stream: BinaryIO, shown: str) -> None:
        self.stream = stream
        self.shown = shown
        self.consumed = 0  # bytes read so far (for the progress bar)
        read1 = getattr(stream, "read1", None)  # whatever has arrived: a slow pipe is not waited on
        self._read = read1 if read1 is not None else stream.read

    def size(self) -> int | None:
        """The input's size when it is a regular file."""
        try:
            info = os.fstat(self.stream.fileno())
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) and info.st_size > 0 else None

    def read_some(self) -> bytes:
        try:
            data = self._read(_BLOCK)
        except OSError as exc:
            raise BatchInputError(f"{self.shown}: cannot be read: {exc.strerror or exc}") from None
        self.consumed += len(data)
        return data

    def readline(self, limit: int) -> bytes:
        try:
            line = self.stream.readline(limit)
        except OSError as exc:
            raise BatchInputError(f"{self.shown}: cannot be read: {exc.strerror or exc}") from None
        self.consumed += len(line)
        return line


@dataclass(frozen=True)
class Share:
    """A share of the input for one worker: raw JSON lines (line ``first + i`` is ``items[i]``;
    an over-long line is already an error Record), or records the parent parsed (CSV)."""

    items: list[Any]
    first: int
    trace: bool

    def records(self) -> Iterator[Record]:
        for offset, item in enumerate(self.items):
            if isinstance(item, Record):
                yield item
            elif item.strip():
                yield _jsonl_record(self.first + offset, item)


def _jsonl_shares(stream: _Input, trace: bool) -> Iterator[Share]:
    """The input's lines, a block at a time; a line over the limit is counted, never held."""
    number = 1  # the number of the line ``pending`` starts
    pending = b""  # the start of a line whose end has not been read yet
    skipped = 0  # > 0: the size so far of an over-long line being skipped
    start = True
    while True:
        block = stream.read_some()
        if start and block:
            start = False
            if block.startswith(_BOM):
                block = block[len(_BOM):]
        if not block:
            break
        parts = block.split(b"\n")
        first = number
        items: list[Any] = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if skipped:
                skipped += len(part)
            elif index == 0 and pending:
                part = pending + part
                pending = b""
            if last:  # the line goes on in the next block
                if not skipped:
                    if len(part) > MAX_RECORD_BYTES:
                        skipped = len(part)
                    else:
                        pending = part
                break
            if skipped or len(part) > MAX_RECORD_BYTES:
                items.append(Record(number, None, error=_too_large(skipped or len(part))))
                skipped = 0
            else:
                items.append(part)
            number += 1
        if items:
            yield Share(items, first, trace)
    if skipped:
        yield Share([Record(number, None, error=_too_large(skipped))], number, trace)
    elif pending.strip():
        yield Share([pending], number, trace)


def _jsonl_record(number: int, raw: bytes) -> Record:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Record(number, None, error=f"not UTF-8 text (byte {exc.start + 1})")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Record(number, None, error=f"not valid JSON: {exc.msg} (column {exc.colno})")
    except ValueError as exc:  # Python's limit on the digits of an integer
        detail = "a number has too many digits" if "digits" in str(exc) else str(exc)
        return Record(number, None, error=f"not valid JSON: {detail}")
    except RecursionError:
        return Record(number, None, error="not valid JSON: nested too deeply")
    if not isinstance(value, dict):
        return Record(number, None, error=f"a record must be a JSON object, not {type(value).__name__}")
    record_id, facts = _split_id(value)
    return Record(number, facts, record_id)


def read_jsonl(data: bytes) -> Iterator[Record]:
    """The records of JSON Lines ``data`` (for callers that hold it in memory)."""
    for share in _jsonl_shares(_Input(io.BytesIO(data), "<data>"), False):
        yield from share.records()


def _split_id(data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    record_id = data.pop("id", None)
    return record_id, {k: v for k, v in data.items() if v is not None and v != ""}


# --------------------------------------------------------------------- CSV
class _RecordTooLarge(Exception):
    """Raised by :class:`_CsvLines` inside ``csv.reader`` when a record passes the limit: the
    reader drops what it holds of the record (it starts afresh at its next call)."""

    def __init__(self, line: bytes, quoted: bool) -> None:
        super().__init__()
        self.line = line  # the line (or the first part of it) that passed the limit
        self.quoted = quoted  # True: the line goes on a quoted field begun on an earlier line


# The states of the default CSV dialect (quote '"', doubled to escape, no escape character)
# needed to find where a record ends.
_FIELD_START, _IN_FIELD, _IN_QUOTES, _QUOTE_IN_QUOTES = range(4)
_FIELD_END = re.compile(rb"[,\r\n]")


def _csv_scan(state: int, data: bytes) -> tuple[int, bool]:
    """Follow the CSV dialect through ``data`` from ``state``: the state after it, and True when
    the record ended in it (a line break outside quotes; the rest of that line is not looked at,
    as ``csv.reader`` drops it too). Fast on long quoted fields: it jumps from quote to quote."""
    at, size = 0, len(data)
    while at < size:
        if state == _IN_QUOTES:
            quote = data.find(b'"', at)
            if quote < 0:
                return _IN_QUOTES, False
            state, at = _QUOTE_IN_QUOTES, quote + 1
            continue
        char = data[at]
        if state == _QUOTE_IN_QUOTES and char == 0x22:  # '""' in quotes: a quote character
            state, at = _IN_QUOTES, at + 1
        elif state == _FIELD_START and char == 0x22:
            state, at = _IN_QUOTES, at + 1
        else:  # in an unquoted field (also text after a closing quote, which csv.reader keeps)
            end = _FIELD_END.search(data, at)
            if end is None:
                return _IN_FIELD, False
            if data[end.start()] != 0x2C:  # a line break: the record ends here
                return _FIELD_START, True
            state, at = _FIELD_START, end.end()
    return state, False


class _CsvLines:
    """The physical lines of CSV input as text for ``csv.reader`` (bytes that are not UTF-8 kept
    as surrogates, for a per-row error), counting the bytes of the record being read.

    A record (which may span lines: a quoted field can hold line breaks) over
    :data:`MAX_RECORD_BYTES` stops the reader (:class:`_RecordTooLarge`); :meth:`skip` then
    reads on to where that record really ends by the CSV rules, holding a block at a time, so the
    next record is read from its start (resynchronising at the next physical line instead would
    read the inside of a quoted field as records). A quote that is never closed makes the rest
    of the input one record, as for any CSV reader."""

    def __init__(self, stream: _Input) -> None:
        self.stream = stream
        self.size = 0  # bytes of the current record so far
        self.line = 1  # the number of the next physical line
        self._start = True

    def begin(self) -> int:
        """A new record starts with the next line, whose number is returned."""
        self.size = 0
        return self.line

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            raise StopIteration
        if self._start:
            self._start = False
            if line.startswith(_BOM):
                line = line[len(_BOM):]
        quoted = self.size > 0  # csv.reader asks for more of a record only inside quotes
        self.size += len(line)
        if line.endswith(b"\n"):
            self.line += 1
        if self.size > MAX_RECORD_BYTES:
            raise _RecordTooLarge(line, quoted)
        return line.decode("utf-8", "surrogateescape")

    def skip(self, stop: _RecordTooLarge) -> str:
        """Read past the rest of the record ``stop`` was raised in (to the end of the line it
        ends on), a block at a time; its error message."""
        state, ended = _csv_scan(_IN_QUOTES if stop.quoted else _FIELD_START, stop.line)
        data = stop.line
        while data and not (ended and data.endswith(b"\n")):
            data = self.stream.readline(_BLOCK)
            self.size += len(data)
            if data.endswith(b"\n"):
                self.line += 1
            if not ended:
                state, ended = _csv_scan(state, data)
        return _too_large(self.size - 1 if data.endswith(b"\n") else self.size)


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _csv_header(reader: Any, lines: _CsvLines, shown: str, kb: KnowledgeBase) -> list[str]:
    """The column names; a header that cannot be right refuses the run (BatchInputError)."""
    from orderdoctor.engine import suggest

    while True:
        first = lines.begin()
        where = f"{shown}:{first}"
        try:
            header = next(reader)
        except StopIteration:
            return []
        except _RecordTooLarge:
            raise BatchInputError(f"{where}: the CSV header is larger than {MAX_RECORD_BYTES // 1024} KiB") from None
        except csv.Error as exc:
            raise BatchInputError(f"{where}: the CSV header cannot be read: {exc}") from None
        if any(cell.strip() for cell in header):
            break
    names = [name.strip() for name in header]
    if any(_not_utf8(name) for name in names):
        raise BatchInputError(f"{where}: the CSV header is not UTF-8 text")
    if len(names) == 1:
        for separator, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in names[0]:
                raise BatchInputError(
                    f"{where}: the CSV header is separated by {word}, not commas: "
                    "save the file as comma-separated CSV (UTF-8)"
                )
    problems = []
    seen: dict[str, int] = {}
    for column, name in enumerate(names, 1):
        if not name:
            continue
        if name in seen:
            problems.append(f"column '{name}' appears twice (columns {seen[name]} and {column})")
            continue
        seen[name] = column
        if name != "id" and name not in kb.facts:
            hint = suggest(name, [*kb.facts, "id"])
            problems.append(f"unknown column '{name}'" + (f" (did you mean '{hint}'?)" if hint else ""))
    if problems:
        raise BatchInputError(f"{where}: " + "; ".join(problems) + " (the columns are facts, and 'id')")
    return names


def _csv_records(reader: Any, lines: _CsvLines, names: list[str]) -> Iterator[Record]:
    while True:
        line = lines.begin()
        try:
            row = next(reader)
        except StopIteration:
            return
        except _RecordTooLarge as stop:
            yield Record(line, None, error=lines.skip(stop))
            continue
        except csv.Error as exc:
            yield Record(line, None, error=f"bad CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        row_id = None
        if "id" in names and names.index("id") < len(row):
            row_id = row[names.index("id")].strip() or None
        if len(row) > len(names):
            yield Record(line, None, row_id, error=f"row has {len(row)} fields, the header has {len(names)}")
            continue
        bad = [name or f"column {i}" for i, (name, cell) in enumerate(zip(names, row), 1) if _not_utf8(cell)]
        if bad:
            yield Record(line, None, row_id if not _not_utf8(row_id or "") else None,
                         error=f"not UTF-8 text (in {', '.join(bad)})")
            continue
        nameless = [i for i, (name, cell) in enumerate(zip(names, row), 1) if not name and cell.strip()]
        if nameless:
            yield Record(line, None, row_id, error=f"a value in column {nameless[0]}, which has no name in the header")
            continue
        record_id, facts = _split_id({name: cell.strip() for name, cell in zip(names, row) if name})
        yield Record(line, facts, record_id)


def _csv_shares(stream: _Input, shown: str, kb: KnowledgeBase, trace: bool) -> Iterator[Share]:
    """Reads (and checks) the header at once; then the records, a share at a time (at most
    ``_CSV_SHARE`` records, and about a block of the input)."""
    if csv.field_size_limit() < MAX_RECORD_BYTES:  # a field is bounded by its record's limit
        csv.field_size_limit(MAX_RECORD_BYTES)
    lines = _CsvLines(stream)
    reader = csv.reader(lines)
    names = _csv_header(reader, lines, shown, kb)

    def shares() -> Iterator[Share]:
        items: list[Any] = []
        start = stream.consumed
        for record in _csv_records(reader, lines, names) if names else ():
            items.append(record)
            if len(items) == _CSV_SHARE or stream.consumed - start >= _BLOCK:
                yield Share(items, items[0].line, trace)
                items = []
                start = stream.consumed
        if items:
            yield Share(items, items[0].line, trace)

    return shares()


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
            error.message + (f" (did you mean '{error.suggestion}'?)" if error.suggestion else "")
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


@dataclass(frozen=True)
class Chunk:
    """Output lines for some consecutive records, and how many of them failed."""

    text: str
    records: int
    failed: int


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


def _work(tasks: Any, results: Any, others: list[Any]) -> None:
    """A worker process: advise each share sent, in order, until told to stop or the parent is
    gone. Ctrl-C and SIGTERM are the parent's to handle (it kills the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    for connection in others:  # the parent's ends and the other workers' pipes
        connection.close()
    import queue

    waiting: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def receive() -> None:  # keeps the task pipe drained, so the parent never blocks sending
        while True:
            try:
                share = tasks.recv()
            except (EOFError, OSError):
                share = None
            waiting.put(share)
            if share is None:
                return

    threading.Thread(target=receive, daemon=True).start()
    try:
        while (share := waiting.get()) is not None:
            chunk = advise_chunk(share)
            results.send((chunk.text, chunk.records, chunk.failed))
    except (BrokenPipeError, EOFError):
        pass  # the parent is gone
    except BaseException as exc:  # noqa: BLE001 - reported by the parent, not as a traceback here
        try:
            results.send(("failed", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
    finally:
        os._exit(0)


class WorkerFailed(RuntimeError):
    """A worker process ended unexpectedly (orderdoctor's bug, or the system killed it)."""


def _in_workers(shares: Iterable[Share], jobs: int) -> Iterator[Chunk]:
    """Chunks in input order from ``jobs`` forked workers, each with at most ``_IN_FLIGHT``
    shares: share i goes to worker i mod jobs, and results are taken back in the same order."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pipes: list[Any] = []
    ends: list[Any] = []
    try:
        for _ in range(jobs):
            pipes.append((context.Pipe(duplex=False), context.Pipe(duplex=False)))
            ends.extend(end for pair in pipes[-1] for end in pair)
    except OSError as exc:  # too many open files
        for end in ends:
            end.close()
        raise BatchInputError(f"--jobs {jobs}: cannot start that many worker processes: {exc.strerror}") from None
    workers: list[Any] = []
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice by a child
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    # The forked workers share the parent's objects (the knowledge base) page by page until
    # written to; keep the garbage collector from touching (and so copying) them.
    gc.freeze()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        try:
            for (task_r, _), (_, result_w) in pipes:
                others = [end for end in ends if end is not task_r and end is not result_w]
                worker = context.Process(target=_work, args=(task_r, result_w, others), daemon=True)
                try:
                    worker.start()
                except OSError as exc:  # the system's limit on processes
                    raise BatchInputError(
                        f"--jobs {jobs}: cannot start that many worker processes: {exc.strerror}"
                    ) from None
                workers.append(worker)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for (task_r, _), (_, result_w) in pipes:
            task_r.close()
            result_w.close()
        senders = [task_w for (_, task_w), _ in pipes]
        receivers = [result_r for _, (result_r, _) in pipes]
        in_flight: deque[int] = deque()
        turn = 0
        for share in shares:
            if len(in_flight) == jobs * _IN_FLIGHT:
                yield _receive(receivers, in_flight.popleft(), workers)
            senders[turn].send(share)
            in_flight.append(turn)
            turn = (turn + 1) % jobs
        while in_flight:
            yield _receive(receivers, in_flight.popleft(), workers)
        for sender in senders:
            sender.send(None)
        for worker in workers:
            worker.join()
    finally:
        gc.unfreeze()
        for worker in workers:  # interrupted or failed: nothing they hold is wanted any more
            if worker.exitcode is None:
                worker.kill()
        for worker in workers:
            worker.join()
        for end in ends:
            end.close()


def _receive(receivers: list[Any], index: int, workers: list[Any]) -> Chunk:
    try:
        message = receivers[index].recv()
    except (EOFError, OSError):
        workers[index].join(timeout=1)
        raise WorkerFailed(f"batch worker {index + 1} stopped unexpectedly (exit status {workers[index].exitcode})") from None
    if message[0] == "failed":
        raise WorkerFailed(f"batch worker {index + 1} failed: {message[1]}")
    return Chunk(*message)


def _chunks(options: BatchOptions, shares: Iterable[Share]) -> Iterator[Chunk]:
    """The output, chunk by chunk, in input order: in this process with one job, else in forked
    workers that inherit the knowledge base already loaded here."""
    if options.jobs <= 1 or not hasattr(os, "fork"):
        return _in_process(shares)
    return _in_workers(shares, options.jobs)


# ------------------------------------------------------------------ running
def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class Summary:
    records: int = 0
    advised: int = 0
    failed: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # "interrupted" (Ctrl-C) or "terminated" (SIGTERM)

    @property
    def interrupted(self) -> bool:
        return self.stopped is not None

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        state = f" ({self.stopped})" if self.stopped else ""
        return (
            f"batch{state}: {_plural(self.records, 'record')}, {self.advised} advised, {self.failed} failed "
            f"in {self.seconds:.2f} s ({rate:.0f} records/s)"
        )


@contextmanager
def _sigterm_stops_the_run() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` in the main thread while the run lasts."""

    def stop(signum: int, frame: Any) -> None:
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    fmt = _format_of(options.input, options.format)
    shown = "<stdin>" if options.input == STDOUT else options.input
    summary = Summary()
    if options.output is not None and not options.output.strip():
        raise BatchInputError("--output: the file name is empty (leave --output out to write to standard output)")
    with _sigterm_stops_the_run():
        try:
            stream = _open_input(options.input, stdin)  # (opening a FIFO waits for a writer)
        except KeyboardInterrupt as exc:
            return _stopped_before_reading(exc, summary, stderr)
        try:
            _refuse_output_on_input(stream, options.output)
            started = time.perf_counter()
            try:
                source = _Input(stream, shown)
                if fmt == "jsonl":
                    shares: Iterator[Share] = _jsonl_shares(source, options.trace)
                else:
                    shares = _csv_shares(source, shown, _KB, options.trace)
                with open_output(options.output or STDOUT, stdout) as sink:
                    _write_chunks(options, shares, sink, summary, _progress(stderr, source))
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


def _progress(stderr: TextIO, source: _Input) -> Any:
    """A progress bar on stderr when it is a terminal (otherwise nothing): the share of the input
    read, with the time left, when the input is a file; the records done in any case. The bar (a
    prompt-toolkit thread) starts with the first results, after the workers were forked."""
    try:
        interactive = stderr.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        return lambda done: None
    total = source.size()
    state: dict[str, Any] = {"last": 0, "bar": None}

    def update(done: int | None) -> None:
        bar = state["bar"]
        if done is None:
            if bar is not None:
                bar.__exit__(None, None, None)
            return
        if bar is None:
            from prompt_toolkit.output import create_output
            from prompt_toolkit.shortcuts import ProgressBar
            from prompt_toolkit.shortcuts.progress_bar import formatters

            shown: list[Any] = [formatters.Label(), formatters.Text(" ")]
            if total is not None:
                shown += [formatters.Percentage(), formatters.Text(" "), formatters.Bar(),
                          formatters.Text(" eta "), formatters.TimeLeft()]
            else:
                shown += [formatters.TimeElapsed()]
            bar = state["bar"] = ProgressBar(
                title="orderdoctor batch", formatters=shown, output=create_output(stdout=stderr)
            )
            bar.__enter__()
            state["counter"] = bar(total=total)
        counter = state["counter"]
        counter.label = f"{done} records"
        counter.items_completed = min(source.consumed, total) if total is not None else done
        if done - state["last"] >= 500:
            state["last"] = done
            bar.invalidate()

    return update
