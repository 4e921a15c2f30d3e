"""Bounded reading and atomic writing of files: the one place orderdoctor opens a file by name.

Reading: :func:`read_file_bytes` reads a *regular* file of at most :data:`MAX_FILE_BYTES` and
refuses anything else (a folder, a device, a FIFO, a socket, optionally a link) before it is
opened; :func:`decode_text` turns its bytes into UTF-8 text, naming the line and column of a bad
byte; :func:`read_text_file` does both. Every refusal is an :class:`UnreadableFileError` (or the
subclass the caller names) with a located, one-line reason.

Writing: :class:`AtomicFile` writes a file whole or not at all. The content goes to a temporary
file ``.NAME.orderdoctor-PID.tmp`` in the same folder, which is renamed over NAME once complete;
an interrupted or failed write leaves NAME exactly as it was. An existing file keeps its
permission bits (and its owner, when run as root); a new file gets 0666 less the umask (0600 for
private files). Every writer holds a lock on its temporary file, so a temporary left behind by a
process that was killed outright is recognised and removed by the next write to the same target
(:func:`remove_stale_temporaries`). :func:`write_atomically` writes bytes that way in one call
(the load cache); ``cli/output.py`` adds what a command's output path may also be (standard
output, a FIFO, a sink device, a symbolic link) on top of :class:`AtomicFile`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from .errors import UnreadableFileError
from .location import Location, display_path

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "MAX_FILE_BYTES",
    "AtomicFile",
    "decode_text",
    "read_file_bytes",
    "read_text_file",
    "remove_stale_temporaries",
    "write_atomically",
]

#: The most bytes orderdoctor reads from any one file it is given: facts files, knowledge-base
#: files, session files (4 MiB; the shipped knowledge base's largest file is 20 KB).
MAX_FILE_BYTES = 4 * 1024 * 1024

_KINDS = {
    stat.S_IFDIR: "is a folder, not a file",
    stat.S_IFIFO: "is a named pipe (FIFO), not a regular file",
    stat.S_IFCHR: "is a device, not a regular file",
    stat.S_IFBLK: "is a device, not a regular file",
    stat.S_IFSOCK: "is a socket, not a regular file",
    stat.S_IFLNK: "is a symbolic link; links inside a knowledge base are not followed",
}


# ------------------------------------------------------------------ reading
def read_file_bytes(
    path: Path | str,
    shown: str | None = None,
    *,
    follow_links: bool = True,
    limit: int = MAX_FILE_BYTES,
    error: type[UnreadableFileError] = UnreadableFileError,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Anything else is refused with ``error`` (located at ``shown``, default the path as
    :func:`display_path` shows it) before the file is opened: a missing path, a folder, a
    device, a FIFO (which would block), a socket, a file larger than ``limit``, and — with
    ``follow_links=False`` — a symbolic link, loops included. The file is opened non-blocking
    and checked again once open, so swapping it for a FIFO in between cannot hang the reader.
    """

    def refuse(reason: str) -> UnreadableFileError:  # the path is shown only when there is an error
        where = Location(shown if shown is not None else display_path(path))
        return error(where, reason, name=str(path))

    try:
        info = os.stat(path) if follow_links else os.lstat(path)
    except FileNotFoundError:
        raise refuse("no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refuse("is a symbolic link that loops") from None
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    _check_regular(info, limit, refuse)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refuse(_KINDS[stat.S_IFLNK] if not follow_links else "is a symbolic link that loops") from None
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    try:
        _check_regular(os.fstat(handle), limit, refuse)
        data = _read_at_most(handle, limit)
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(handle)
    if len(data) > limit:
        raise refuse(_too_large(limit))
    return data


def _read_at_most(handle: int, limit: int) -> bytes:
    """The bytes of the open file ``handle``, up to one more than ``limit`` (to tell it is over)."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(handle, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _check_regular(info: os.stat_result, limit: int, refuse: Callable[[str], Exception]) -> None:
    kind = stat.S_IFMT(info.st_mode)
    if kind != stat.S_IFREG:
        raise refuse(_KINDS.get(kind, "is not a regular file"))
    if info.st_size > limit:
        raise refuse(f"{_too_large(limit)} ({info.st_size:,} bytes)")


def _too_large(limit: int) -> str:
    return f"is larger than the {limit // (1024 * 1024)} MiB orderdoctor reads from one file"


def decode_text(
    data: bytes, shown: str, *, error: type[UnreadableFileError] = UnreadableFileError
) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped); a byte that is not UTF-8 is
    refused with ``error`` at its line and column."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        raise error(
            Location(shown, line, column),
            f"not UTF-8 text: byte 0x{data[start]:02x} ({exc.reason}); save the file as UTF-8",
        ) from None


def read_text_file(
    path: Path | str,
    shown: str | None = None,
    *,
    follow_links: bool = True,
    limit: int = MAX_FILE_BYTES,
    error: type[UnreadableFileError] = UnreadableFileError,
) -> str:
    """The UTF-8 text of the regular file ``path``: :func:`read_file_bytes`, then
    :func:`decode_text`. The one bounded way orderdoctor reads a file it is given (facts files,
    session files); raises ``error`` (an :class:`UnreadableFileError`) with a located line."""
    label = shown if shown is not None else display_path(path)
    data = read_file_bytes(path, label, follow_links=follow_links, limit=limit, error=error)
    return decode_text(data, label, error=error)


# ------------------------------------------------------------------ writing
_TAG = ".orderdoctor-"
_SUFFIX = ".tmp"
#: Characters of the target's name kept in the temporary file's name (names have at most 255).
_NAME_KEPT = 200


class AtomicFile:
    """One file written whole or not at all (see the module's docstring).

    :meth:`create` opens the temporary file and returns its descriptor; the caller writes it and
    closes it, then calls :meth:`commit` (rename into place) or, on any failure,
    :meth:`discard`. ``target`` is replaced as it is: a caller that follows symbolic links
    resolves the path first. Errors are the system's own ``OSError``\\ s.
    """

    def __init__(self, target: str, *, private: bool = False) -> None:
        self.target = target
        self.private = private
        #: the temporary file while there is one
        self.temporary: str | None = None

    def create(self) -> int:
        """Open a new temporary file beside the target (stale ones of dead writers removed first),
        with the target's permission bits when it exists; its descriptor, locked."""
        remove_stale_temporaries(self.target)
        folder, prefix = _temporary_name(self.target)
        temporary = os.path.join(folder, f"{prefix}{os.getpid()}{_SUFFIX}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            existing: os.stat_result | None = os.stat(self.target)
        except OSError:
            existing = None
        fd = os.open(temporary, flags, 0o600 if self.private else 0o666)
        _lock(fd)  # held until the file is closed: the mark of a live writer
        self.temporary = temporary
        if existing is not None:
            _copy_owner_and_mode(fd, existing)
        return fd

    def commit(self, *, sync: bool = True) -> None:
        """Rename the (closed) temporary file over the target; with ``sync``, make the rename
        durable too (the caller has fsync'ed the content)."""
        if self.temporary is None:
            raise ValueError("nothing to commit: create() was not called")
        os.replace(self.temporary, self.target)
        self.temporary = None
        if sync:
            _sync_folder(os.path.dirname(self.target))

    def discard(self) -> None:
        """Remove the temporary file, if there is one (best effort; never raises)."""
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)
            self.temporary = None


def write_atomically(path: str | os.PathLike[str], data: bytes, *, private: bool = False, sync: bool = True) -> None:
    """Write all of ``data`` to ``path`` through an :class:`AtomicFile`; ``sync`` flushes the
    content and the rename to disk (a cache that a crash may lose skips it). Raises ``OSError``;
    ``path`` is then unchanged and no temporary file is left."""
    atomic = AtomicFile(os.fspath(path), private=private)
    fd = atomic.create()
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            if sync:
                stream.flush()
                os.fsync(stream.fileno())
        atomic.commit(sync=sync)
    except BaseException:
        atomic.discard()
        raise


def _copy_owner_and_mode(fd: int, existing: os.stat_result) -> None:
    """Give the new file the permission bits (and, as root, the owner) of the one it replaces."""
    try:
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            os.fchown(fd, existing.st_uid, existing.st_gid)
    except OSError:
        pass  # the content matters; the mode is kept where the system lets us


def _temporary_name(real: str) -> tuple[str, str]:
    folder, base = os.path.split(real)
    prefix = f".{base[:_NAME_KEPT]}{_TAG}"
    return folder, prefix


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours: a leftover of an earlier process that had our PID
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # someone else's, alive — or a number no process can have: leave it alone
    return True


def _lock(fd: int) -> bool:
    """Take the writer's lock on an open temporary file; False when another process holds it.

    Every writer holds this lock (``flock``) on its temporary file until it is done, so a
    temporary whose lock can be taken has no writer — whatever PID namespace or container the
    writer ran in, where its PID means nothing here. Without ``fcntl`` (Windows) there is no
    lock and the PID alone decides.
    """
    try:
        import fcntl
    except ImportError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale_temporaries(real: str) -> list[str]:
    """Remove the temporary files of writes to ``real`` that no process is writing; their names.

    A temporary is stale when its name carries a PID (ASCII digits) of no live process here
    *and* no process holds its writer's lock. Any other name is left alone: nothing this does
    can fail the write it runs for.
    """
    folder, prefix = _temporary_name(real)
    removed: list[str] = []
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return removed
    for entry in names:
        if not (entry.startswith(prefix) and entry.endswith(_SUFFIX)):
            continue
        pid_text = entry[len(prefix):-len(_SUFFIX)]
        if not (pid_text.isascii() and pid_text.isdigit() and len(pid_text) <= 10) or _pid_alive(int(pid_text)):
            continue
        path = os.path.join(folder, entry)
        if _remove_if_unlocked(path):
            removed.append(path)
    return removed


def _remove_if_unlocked(path: str) -> bool:
    """Remove the regular file ``path`` when no writer holds its lock; whether it was removed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode) and _lock(fd):
            os.unlink(path)
            return True
    except OSError:
        pass
    finally:
        os.close(fd)
    return False


def _sync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
