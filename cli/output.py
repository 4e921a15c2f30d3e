"""Where commands write: the one module that opens an output path, and the guard on the standard
streams.

Every command that writes a file — ``batch --output``, ``kb graph --output``, ``kb docs``,
``kb test --junit``, the session file of ``ask`` — goes through :func:`open_output` or
:func:`write_output`. What the path given means:

- ``-``: standard output, where the command allows it (``batch``, ``kb graph``, ``kb docs``).
- An absent path or a regular file: written **atomically** (the engine's
  :class:`~orderdoctor.engine.files.AtomicFile`, which the load cache uses too). The text goes to a temporary file
  ``.NAME.orderdoctor-PID.tmp`` in the same folder, is flushed and fsync'ed, and is renamed over
  NAME only once complete; an interrupted or failed write leaves NAME exactly as it was. An
  existing file keeps its permission bits (and its owner, when run as root); a new file gets
  0666 less the umask (0600 for private files such as sessions). Hard links to the old file keep
  the old content.
- A symbolic link: the file it finally points to is written as above, and the link stays a link.
  A link to nothing creates its target (as the shell's ``>`` does); a loop of links is refused.
- A FIFO (named pipe): written in place, as a stream, when a program is reading it; refused at
  once when none is (never a hang).
- A character device that only swallows output — the null, zero and full devices (any node with
  their device numbers) — or the terminal this command runs on: written in place, as the shell's
  ``>`` would. Nothing is ever renamed over a device node.
- Anything else — a folder, a block device, any other character device, a socket — is refused.
- A missing folder (folders are never created), a "folder" that is a file, a place where files
  cannot be made (``/proc``), permission denied, a full disk: refused, one line naming the path
  and the reason.

Every refusal and every failed write raises :class:`OutputError`, an ``OSError``: ``main`` prints
it as one line and exits 2 (70 is only for orderdoctor's own bugs). A temporary file left behind
by a process that was killed outright (SIGKILL cannot be caught) is removed by the next write to
the same target, once no process with its PID is alive and none holds its writer's lock (so a
writer in another PID namespace is never robbed of its file).

:func:`guard_stream` wraps standard output and error so that a full disk or a closed stream is an
``OutputError`` too, rather than a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from orderdoctor.engine import AtomicFile, remove_stale_temporaries

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Literal

__all__ = [
    "OutputError",
    "STDOUT",
    "closed_stream",
    "guard_stream",
    "as_output_error",
    "open_output",
    "remove_stale_temporaries",
    "write_output",
]

#: The name that means standard output.
STDOUT = "-"

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.EBADF: "is closed",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "a loop of symbolic links",
    errno.EFBIG: "the file is too large",
    errno.EIO: "input/output error",
}


class OutputError(OSError):
    """Output cannot go where the user asked: one line (``PATH: reason``), exit 2."""

    def __init__(self, shown: str, reason: str, code: int | None = None) -> None:
        super().__init__(f"{shown}: {reason}")
        self.errno = code
        self.strerror = reason
        self.shown = shown
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.shown}: {self.reason}"


def as_output_error(shown: str, exc: BaseException) -> OutputError:
    """``exc``, an error writing ``shown``, as an OutputError with a short reason."""
    if isinstance(exc, OutputError):
        return exc
    code = getattr(exc, "errno", None)
    if isinstance(exc, ValueError):  # written after close
        return OutputError(shown, "is closed", errno.EBADF)
    reason = _REASONS.get(code or 0) or (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).lower()
    return OutputError(shown, reason, code)


# ------------------------------------------------------------------ streams
class _Guarded:
    """A stream whose write errors (other than a closed pipe: see ``main``) are OutputErrors."""

    def __init__(self, stream: Any, shown: str) -> None:
        self._stream = stream
        self._shown = shown

    def write(self, text: Any) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise as_output_error(self._shown, exc) from None
        except ValueError as exc:  # written after close
            raise OutputError(self._shown, "is closed", errno.EBADF) from exc

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise as_output_error(self._shown, exc) from None
        except ValueError:
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Closed:
    """Stands for a standard stream the command was started without (``>&-``)."""

    def __init__(self, shown: str, quiet: bool) -> None:
        self._shown = shown
        self._quiet = quiet

    def write(self, text: Any) -> int:
        if self._quiet:
            return len(text)
        raise OutputError(self._shown, "is closed", errno.EBADF)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "closed")


def guard_stream(stream: Any, shown: str) -> Any:
    """``stream`` with its write errors turned into :class:`OutputError` naming ``shown``
    (``standard output``); a missing stream (started with it closed) raises on the first write."""
    if stream is None:
        return _Closed(shown, quiet=False)
    if isinstance(stream, (_Guarded, _Closed)):
        return stream
    return _Guarded(stream, shown)


def closed_stream(shown: str) -> Any:
    """A stand-in for a closed standard error: what is written to it is dropped (there is nowhere
    left to say anything)."""
    return _Closed(shown, quiet=True)


# -------------------------------------------------------------- the target
def _shown(name: str) -> str:
    from .render import printable

    return printable(name)


def _device_numbers_that_are_sinks() -> set[int]:
    numbers: set[int] = set()
    for device in ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty"):
        with contextlib.suppress(OSError):
            numbers.add(os.stat(device).st_rdev)
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                numbers.add(os.fstat(fd).st_rdev)
        except OSError:
            pass
    return numbers


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISCHR(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _missing_folder(shown: str, name: str) -> OutputError:
    """The error for a path whose folder is missing, or has a file where a folder should be."""
    parent = os.path.dirname(name)
    folder = parent
    while folder and not os.path.lexists(folder):
        folder = os.path.dirname(folder)
    if folder and not os.path.isdir(folder):
        return OutputError(shown, f"{_shown(folder)} is a file, not a folder", errno.ENOTDIR)
    return OutputError(shown, f"the folder {_shown(parent or '.')} does not exist", errno.ENOENT)


def _plan(name: str) -> tuple[str, str]:
    """How to write ``name``: ("file", the real path to replace atomically) or ("stream", the
    path to open in place, "fifo" or "device"); OutputError when refused."""
    shown = _shown(name)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        real = os.path.realpath(name)
        folder = os.path.dirname(real)
        if not os.path.isdir(folder):
            raise _missing_folder(shown, real if os.path.islink(name) else name) from None
        return "file", real
    except NotADirectoryError:
        raise _missing_folder(shown, name) from None
    except OSError as exc:
        raise as_output_error(shown, exc) from None
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return "file", os.path.realpath(name)
    if stat.S_ISFIFO(mode):
        return "fifo", name
    if stat.S_ISCHR(mode) and info.st_rdev in _device_numbers_that_are_sinks():
        return "device", name
    if stat.S_ISDIR(mode):
        raise OutputError(shown, "is a folder: give a file name", errno.EISDIR)
    if stat.S_ISCHR(mode):
        raise OutputError(
            shown,
            "is a device; of devices only null, zero, full and terminals are written to: "
            "use '-' for standard output",
        )
    raise OutputError(shown, f"is {_kind(mode)}, not a regular file: use '-' for standard output")


class _Output:
    """The context manager :func:`open_output` returns."""

    def __init__(self, name: str, stdout: Any, binary: bool, private: bool) -> None:
        self.name = name
        self.shown = _shown(name)
        self.stdout = stdout
        self.binary = binary
        self.private = private
        #: the temporary file of a regular-file target, until it is committed or discarded
        self.atomic: AtomicFile | None = None
        self.raw: Any = None

    # -- opening
    def __enter__(self) -> Any:
        if self.name == STDOUT:
            if self.stdout is None:
                raise OutputError(self.shown, "standard output cannot be used here: give a file name")
            stream = self.stdout
            if self.binary:
                stream = getattr(self.stdout, "buffer", None)
                if stream is None:
                    raise OutputError("standard output", "takes no binary data here")
            self.raw = None
            return guard_stream(stream, "standard output")
        how, path = _plan(self.name)
        if how == "file":
            self.raw = self._open_temporary(path)
        else:
            self.raw = self._open_in_place(path, how)
        return _Guarded(self.raw, self.shown)

    def _open_temporary(self, real: str) -> Any:
        atomic = AtomicFile(real, private=self.private)
        try:
            fd = atomic.create()
        except OSError as exc:
            place = _shown(os.path.dirname(real) or ".")
            if exc.errno == errno.ENOENT:  # the folder is there (checked): a system folder like /proc
                raise OutputError(self.shown, f"files cannot be created in {place}", exc.errno) from None
            reason = as_output_error("", exc).reason
            raise OutputError(self.shown, f"cannot create a file in {place}: {reason}", exc.errno) from None
        self.atomic = atomic
        return self._wrap(fd)

    def _open_in_place(self, path: str, how: str) -> Any:
        flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        if how == "fifo":
            flags |= os.O_NONBLOCK
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                raise OutputError(self.shown, "is a FIFO (named pipe) that no program is reading", exc.errno) from None
            raise as_output_error(self.shown, exc) from None
        info = os.fstat(fd)
        expected = stat.S_ISFIFO(info.st_mode) if how == "fifo" else (
            stat.S_ISCHR(info.st_mode) and info.st_rdev in _device_numbers_that_are_sinks()
        )
        if not expected:  # swapped for something else between the check and the open
            os.close(fd)
            raise OutputError(self.shown, "changed while it was opened; left alone", None)
        if how == "fifo":
            os.set_blocking(fd, True)
        return self._wrap(fd)

    def _wrap(self, fd: int) -> Any:
        if self.binary:
            return os.fdopen(fd, "wb")
        return os.fdopen(fd, "w", encoding="utf-8")

    # -- closing
    def __exit__(self, kind: Any, value: Any, tb: Any) -> Literal[False]:
        if kind is None:
            self._commit()
            return False
        self._discard()  # errors of the stream itself were made OutputErrors by _Guarded
        return False

    def _commit(self) -> None:
        if self.raw is None:  # standard output
            if self.stdout is not None:
                guard_stream(self.stdout, "standard output").flush()
            return
        try:
            self.raw.flush()
            if self.atomic is not None:
                os.fsync(self.raw.fileno())
            self.raw.close()
            if self.atomic is not None:
                self._check_still_a_file(self.atomic.target)
                self.atomic.commit()
                self.atomic = None
        except BaseException as exc:
            self._discard()
            if isinstance(exc, OSError):
                raise as_output_error(self.shown, exc) from None
            raise

    def _check_still_a_file(self, real: str) -> None:
        """Nothing is renamed over a target that stopped being a regular file meanwhile."""
        try:
            now = os.lstat(real)
        except FileNotFoundError:
            return
        if not stat.S_ISREG(now.st_mode):
            raise OutputError(self.shown, f"became {_kind(now.st_mode)} while it was written; left alone")

    def _discard(self) -> None:
        if self.raw is not None:
            with contextlib.suppress(OSError, ValueError):
                self.raw.close()
        if self.atomic is not None:
            self.atomic.discard()
            self.atomic = None


def open_output(
    name: str | os.PathLike[str], stdout: Any = None, *, binary: bool = False, private: bool = False
) -> Any:
    """A context manager giving a stream to write ``name`` with (see the module's docstring).

    ``stdout`` is the stream ``-`` stands for; without it ``-`` is refused. ``binary`` gives a
    bytes stream; ``private`` makes a new file 0600. On leaving the block without an exception the
    output is committed (renamed into place); on any exception, KeyboardInterrupt included, a
    file target is left untouched and the temporary file removed.
    """
    return _Output(os.fspath(name), stdout, binary, private)


def write_output(name: str | os.PathLike[str], data: str | bytes, stdout: Any = None, *, private: bool = False) -> None:
    """Write all of ``data`` to ``name`` as :func:`open_output` does."""
    with open_output(name, stdout, binary=isinstance(data, bytes), private=private) as stream:
        stream.write(data)
