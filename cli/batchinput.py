"""Reading ``orderdoctor batch``'s input: the input file (or standard input), its format, and
its JSON Lines records, a block at a time (a line over :data:`MAX_RECORD_BYTES` is counted,
never held). CSV is read by :mod:`.batchcsv`.
"""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from orderdoctor.engine import UsageError

__all__ = [
    "BLOCK",
    "BOM",
    "MAX_RECORD_BYTES",
    "BatchInputError",
    "Input",
    "Record",
    "Share",
    "format_of",
    "jsonl_shares",
    "open_input",
    "split_id",
    "too_large",
]

MAX_RECORD_BYTES = 1 << 20
#: Bytes read at a time; a share of JSON lines sent to a worker is one such block.
BLOCK = 1 << 16
#: CSV records per share.
BOM = b"\xef\xbb\xbf"


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


# ------------------------------------------------------------------ reading
def format_of(name: str, given: str | None) -> str:
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


def open_input(name: str, stdin: Any) -> BinaryIO:
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


def too_large(size: int) -> str:
    return f"record is larger than {MAX_RECORD_BYTES // 1024} KiB ({size} bytes)"


class Input:
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
            data = self._read(BLOCK)
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
                yield jsonl_record(self.first + offset, item)


def jsonl_shares(stream: Input, trace: bool) -> Iterator[Share]:
    """The input's lines, a block at a time; a line over the limit is counted, never held."""
    number = 1  # the number of the line ``pending`` starts
    pending = b""  # the start of a line whose end has not been read yet
    skipped = 0  # > 0: the size so far of an over-long line being skipped
    start = True
    while True:
        block = stream.read_some()
        if start and block:
            start = False
            if block.startswith(BOM):
                block = block[len(BOM):]
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
                items.append(Record(number, None, error=too_large(skipped or len(part))))
                skipped = 0
            else:
                items.append(part)
            number += 1
        if items:
            yield Share(items, first, trace)
    if skipped:
        yield Share([Record(number, None, error=too_large(skipped))], number, trace)
    elif pending.strip():
        yield Share([pending], number, trace)


def jsonl_record(number: int, raw: bytes) -> Record:
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
    record_id, facts = split_id(value)
    return Record(number, facts, record_id)


def split_id(data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    record_id = data.pop("id", None)
    return record_id, {k: v for k, v in data.items() if v is not None and v != ""}
