"""Reading ``orderdoctor batch``'s CSV input: the header checked once (a header that cannot be
right refuses the run), then the records, a share at a time. A record may span lines (a quoted
field can hold line breaks); the limit is on the record, and one over it is read past to where
it ends by the CSV rules (see :class:`_CsvLines`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

from orderdoctor.engine import KnowledgeBase, did_you_mean, suggest

from .batchinput import BLOCK, BOM, MAX_RECORD_BYTES, BatchInputError, Input, Record, Share, split_id, too_large

__all__ = ["csv_shares"]

_CSV_SHARE = 256


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
        if char == 0x22 and state in (_QUOTE_IN_QUOTES, _FIELD_START):  # '""' in quotes: a quote character
            state, at = _IN_QUOTES, at + 1  # (or a field's opening quote)
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

    def __init__(self, stream: Input) -> None:
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
            if line.startswith(BOM):
                line = line[len(BOM):]
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
            data = self.stream.readline(BLOCK)
            self.size += len(data)
            if data.endswith(b"\n"):
                self.line += 1
            if not ended:
                state, ended = _csv_scan(state, data)
        return too_large(self.size - 1 if data.endswith(b"\n") else self.size)


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _csv_header(reader: Any, lines: _CsvLines, shown: str, kb: KnowledgeBase) -> list[str]:
    """The column names; a header that cannot be right refuses the run (BatchInputError)."""
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
            problems.append(f"unknown column '{name}'" + did_you_mean(suggest(name, [*kb.facts, "id"])))
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
        if any(cell.strip() for cell in row):
            yield _row_record(line, row, names)


def _row_record(line: int, row: list[str], names: list[str]) -> Record:
    """The record of a CSV row (not empty) under the header ``names``."""
    row_id = None
    if "id" in names and names.index("id") < len(row):
        row_id = row[names.index("id")].strip() or None
    if len(row) > len(names):
        return Record(line, None, row_id, error=f"row has {len(row)} fields, the header has {len(names)}")
    cells = list(zip(names, row, strict=False))  # a short row leaves the last facts out
    bad = [name or f"column {i}" for i, (name, cell) in enumerate(cells, 1) if _not_utf8(cell)]
    if bad:
        return Record(line, None, row_id if not _not_utf8(row_id or "") else None,
                      error=f"not UTF-8 text (in {', '.join(bad)})")
    nameless = [i for i, (name, cell) in enumerate(cells, 1) if not name and cell.strip()]
    if nameless:
        return Record(line, None, row_id, error=f"a value in column {nameless[0]}, which has no name in the header")
    record_id, facts = split_id({name: cell.strip() for name, cell in cells if name})
    return Record(line, facts, record_id)


def csv_shares(stream: Input, shown: str, kb: KnowledgeBase, trace: bool) -> Iterator[Share]:
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
            if len(items) == _CSV_SHARE or stream.consumed - start >= BLOCK:
                yield Share(items, items[0].line, trace)
                items = []
                start = stream.consumed
        if items:
            yield Share(items, items[0].line, trace)

    return shares()
