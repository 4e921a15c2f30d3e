"""The load cache: a signed snapshot of each knowledge base that loaded without errors.

:func:`~.loader.load_knowledge_base` asks :func:`cache_key` what a snapshot of a folder is valid
for (the BLAKE2b hash of every file the loader reads, the list of rule files, the engine's sources),
:func:`read_cache` for the knowledge base rebuilt from a snapshot with that key, and after a load
from the files :func:`write_cache` to store one (the snapshot itself is :mod:`.snapshot`'s).
A cache file is signed with a secret only this user can read (:func:`_cache_secret`), so a file
written by anyone else is never believed. ``ORDERDOCTOR_CACHE=off`` turns the cache off
(:func:`cache_enabled`); ``ORDERDOCTOR_CACHE_DIR`` moves it (:func:`cache_dir`).

`orderdoctor advise` runs through here at every start: nothing heavy is imported at module level.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import UnreadableFileError
from .files import MAX_FILE_BYTES, read_file_bytes, write_atomically

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from .model import KnowledgeBase

__all__ = ["MAX_CACHE_BYTES", "cache_dir", "cache_enabled", "cache_key", "read_cache", "write_cache"]

#: The most bytes of one cache file that are read (a snapshot of a kb at the file limit fits).
MAX_CACHE_BYTES = 16 * MAX_FILE_BYTES
_SECRET_NAME = "secret.key"
_SECRET_BYTES = 32


def cache_enabled() -> bool:
    """Whether the environment leaves the cache on (``ORDERDOCTOR_CACHE`` is not off)."""
    return os.environ.get("ORDERDOCTOR_CACHE", "").lower() not in {"0", "off", "no", "false"}


def cache_dir() -> Path:
    """Where the load cache lives."""
    configured = os.environ.get("ORDERDOCTOR_CACHE_DIR")
    if configured:
        return Path(configured)
    from ._dirs import user_cache_dir  # the platform's convention (XDG on Linux)

    return user_cache_dir()


def _engine_stamps() -> list[list[Any]]:
    """Name, size and time of each of the engine's sources (``*.py`` beside this module), by name."""
    stamps = []
    with os.scandir(os.path.dirname(os.path.abspath(__file__))) as entries:
        for entry in entries:
            if entry.name.endswith(".py"):
                info = entry.stat()
                stamps.append([entry.name, info.st_size, info.st_mtime_ns])
    return sorted(stamps)


def cache_key(
    root: Path, list_files: Callable[[Path], list[Path]], contents: dict[Path, bytes]
) -> dict[str, Any] | None:
    """What a cached snapshot of ``root`` is valid for: the BLAKE2b hash of every file the loader
    reads (``list_files(root)``; their bytes are kept in ``contents``, so the loader does not
    read them twice), the list of rule files, and the engine's sources (size and time); None
    when a file cannot be read — the loader then reports it, and nothing is cached."""
    from .snapshot import FORMAT

    try:
        resolved = root.resolve()
        if not resolved.is_dir():
            return None
        entries = []
        for file in list_files(root):
            data = read_file_bytes(file, follow_links=False)
            contents[file] = data
            entries.append([file.relative_to(root).as_posix(), len(data), _digest(data)])
        return {
            "format": FORMAT,
            "root": str(resolved),
            "files": entries,
            "engine": _engine_stamps(),
        }
    except (OSError, RuntimeError, ValueError, UnreadableFileError):
        return None


def _cache_file(key: Mapping[str, Any]) -> Path:
    """One file per knowledge-base folder, named after its path (the key inside decides)."""
    return cache_dir() / f"kb{_file_name_part(key['root'])[-120:]}.json"


_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def _file_name_part(text: str) -> str:
    """``text`` with each run of characters other than ASCII letters and digits made one '-'
    (``re.sub(r"[^A-Za-z0-9]+", "-", text)``, without compiling a pattern at every start)."""
    parts: list[str] = []
    for character in text:
        if character in _NAME_CHARACTERS:
            parts.append(character)
        elif not parts or parts[-1] != "-":  # a '-' in parts is always one put for such a run
            parts.append("-")
    return "".join(parts)


# ------------------------------------------------------------------ the secret
def _cache_secret(folder: Path, *, create: bool) -> bytes | None:
    """The key that signs this user's snapshots: ``secret.key`` in the cache folder.

    Trusted only when it is a regular file (not a link) of 32 bytes that this user owns and
    nobody else can read or write (mode 0600); otherwise None and the cache is not used at all.
    With ``create``, a missing key is made (random, mode 0600, published whole by a hard link
    so that two processes starting together agree on one key).
    """
    path = folder / _SECRET_NAME
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return _new_secret(folder, path) if create else None
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size != _SECRET_BYTES:
            return None
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            return None
        secret = os.read(handle, _SECRET_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(handle)
    return secret if len(secret) == _SECRET_BYTES else None


def _new_secret(folder: Path, path: Path) -> bytes | None:
    """Make the secret: written whole to a temporary file, then published by a hard link, which
    (unlike a rename) never replaces a key another process published first."""
    import tempfile

    secret = os.urandom(_SECRET_BYTES)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".secret.", dir=folder)  # mode 0600
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(secret)
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: create it in place instead
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(handle, "wb") as stream:
                    stream.write(secret)
        finally:
            os.unlink(temporary)
    except FileExistsError:  # another process made one first: use theirs
        return _cache_secret(folder, create=False)
    except OSError:
        return None
    return secret


def _blake2b() -> Any:
    """BLAKE2b from CPython's built-in module (importing :mod:`hashlib` loads OpenSSL, about 5 ms
    of every start); it hashes three times as fast as SHA-256, and ``advise`` hashes every kb file
    and the whole cache file at each start."""
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    return blake2b


def _digest(data: bytes) -> str:
    """The BLAKE2b-256 of ``data`` in hex: what a cache key says of each file."""
    return str(_blake2b()(data, digest_size=32).hexdigest())


def _signature(secret: bytes, body: bytes) -> bytes:
    """BLAKE2b-256 of ``body`` keyed with ``secret``, in hex: a MAC by design (RFC 7693 §2.9:
    keyed BLAKE2 needs no HMAC construction); as ``hashlib.blake2b(body, key=secret,
    digest_size=32)`` computes it."""
    return bytes(_blake2b()(body, key=secret, digest_size=32).hexdigest(), "ascii")


def _same_bytes(a: bytes, b: bytes) -> bool:
    """``a == b`` in time that does not depend on where they differ (like hmac.compare_digest)."""
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a, b, strict=True):
        difference |= x ^ y
    return difference == 0


# ------------------------------------------------------------ reading, writing
def read_cache(root: Path, key: Mapping[str, Any]) -> KnowledgeBase | None:
    """The knowledge base rebuilt from its snapshot, or None: missing, stale, damaged, forged.

    Threat model: the cache folder may be damaged by anything (a full disk, a crash, a copy from
    another machine or version) or written by someone who is not this user (a shared or badly
    permissioned ``ORDERDOCTOR_CACHE_DIR``). A cache file is ``BLAKE2b(body, key=secret)`` in
    hex, a newline, then the JSON body; the secret is :func:`_cache_secret`'s 0600 key file.
    The signature is checked before the body is parsed, so a file nobody with the secret wrote
    — tampered advice text, 100,000 nested brackets — is never decoded; and any failure past
    it (any exception at all) only means the files are read again. A process running as this
    user can change the knowledge base itself, so it is not defended against here.
    """
    import json

    from .snapshot import from_snapshot

    try:
        folder = cache_dir()
        secret = _cache_secret(folder, create=False)
        if secret is None:
            return None
        data = read_file_bytes(_cache_file(key), follow_links=False, limit=MAX_CACHE_BYTES)
        signature, newline, body = data.partition(b"\n")
        if not newline or not _same_bytes(signature, _signature(secret, body)):
            return None
        stored = json.loads(body)
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        return from_snapshot(stored.get("snapshot"), root)
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache, the files are the truth
        return None


def write_cache(kb: KnowledgeBase, key: Mapping[str, Any]) -> None:
    """Store ``kb``'s signed snapshot atomically (:func:`~.files.write_atomically`, private, not
    fsync'ed: a cache lost in a crash is only rebuilt); a cache that cannot be written is not kept."""
    import json

    from .snapshot import SnapshotError, to_snapshot

    file = _cache_file(key)
    try:
        secret = _cache_secret(file.parent, create=True)
        if secret is None:
            return
        body = json.dumps({"key": key, "snapshot": to_snapshot(kb)}, ensure_ascii=False).encode("utf-8")
        write_atomically(file, _signature(secret, body) + b"\n" + body, private=True, sync=False)
    except (OSError, SnapshotError):
        pass
