"""Reading a knowledge-base folder into a validated :class:`KnowledgeBase`.

The loader is the only part of the engine that reads files. It checks every
field of every file, collects *all* problems (each with file, line, column
and a suggestion where one is close) and raises them together as
:class:`KnowledgeBaseErrors`. The folder layout::

    facts.yaml      the facts rules may use
    advice.yaml     the advice catalogue
    sources.yaml    the articles rules cite (optional; when present, citations are checked)
    rules/*.yaml    the rules, grouped by topic, read in file-name order
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from .errors import (
    DuplicateIdError,
    KnowledgeBaseError,
    KnowledgeBaseErrors,
    RuleCycleError,
    SchemaError,
    UndeclaredDerivationError,
    UnknownAdviceError,
    UnknownFactError,
    UnknownSourceError,
    UnreadableFileError,
    UnreadableKnowledgeBaseFileError,
    ValueNotAllowedError,
    WrongTypeError,
    suggest,
)
from .facts import ValueProblem, check_value, is_integer
from .graph import RuleGraph, split_node, strongly_connected_components
from .location import Location, display_path
from .model import (
    Advice,
    AdviceKind,
    SourceAuthority,
    AllOf,
    AnyOf,
    Choice,
    Comparison,
    Condition,
    Deadline,
    Fact,
    FactType,
    KnowledgeBase,
    Not,
    Operator,
    Rule,
    Source,
    Value,
)
from .operators import Shape

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # imported where used: `orderdoctor advise` loads neither cases nor lint settings,
    # and a knowledge base read from the load cache needs no YAML parser at all
    from typing import Any, TypeVar

    from .cases import Case
    from .lint import LintConfig
    from .yamlfile import Node

    _Word = TypeVar("_Word", FactType, AdviceKind, SourceAuthority)

__all__ = [
    "IDENTIFIER",
    "MAX_FILE_BYTES",
    "RESERVED_CHOICE_VALUES",
    "RESERVED_FACT_NAMES",
    "decode_text",
    "default_kb_path",
    "load_knowledge_base",
    "read_file_bytes",
    "read_text_file",
]

#: ids and fact names: snake_case, starting with a letter.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
#: Names durable-rules gives a meaning of its own; a fact may not use them.
RESERVED_FACT_NAMES = frozenset({"id", "sid"})
#: Choice values `orderdoctor ask` reads as something else when typed, with what to do instead.
RESERVED_CHOICE_VALUES = {
    "unknown": "in 'ask' it means \"I don't know\"; name the choice for what it says (e.g. 'no_reason_given')",
    "idk": "in 'ask' it means \"I don't know\"; name the choice for what it says",
}

_CONNECTIVES = ("all", "any", "not")
_OPERATORS = {op.value: op for op in Operator}


def default_kb_path() -> Path:
    """The knowledge base shipped with orderdoctor (``kb/`` beside the engine package)."""
    return Path(__file__).resolve().parent.parent / "kb"


def load_knowledge_base(path: Path | str | None = None, *, cache: bool | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base in folder ``path`` (default: the shipped one).

    Raises :class:`KnowledgeBaseErrors` holding every problem found. Every file is read through
    :func:`read_file_bytes`: at most :data:`MAX_FILE_BYTES`, and a link, folder, device or FIFO
    inside the knowledge base is refused before anything reads it.

    A knowledge base that loaded without errors is kept in the load cache (a JSON snapshot, see
    :mod:`.snapshot`) and rebuilt from it while none of its files changed: the same SHA-256 of
    every file the loader reads, the same list of rule files, and the same engine sources. The
    snapshot is signed with a secret only this user can read, so a cache file written by anyone
    else is never believed (see :func:`_read_cache`). ``cache=False`` (or
    ``ORDERDOCTOR_CACHE=off`` in the environment) always reads the files;
    ``ORDERDOCTOR_CACHE_DIR`` moves the cache (default ``$XDG_CACHE_HOME/orderdoctor``).
    """
    root = Path(path) if path is not None else default_kb_path()
    if cache is None:
        cache = os.environ.get("ORDERDOCTOR_CACHE", "").lower() not in {"0", "off", "no", "false"}
    contents: dict[Path, bytes] = {}
    key = _cache_key(root, contents) if cache else None
    if key is not None:
        kb = _read_cache(root, key)
        if kb is not None:
            return kb
    loader = _Loader(root, contents)
    kb = loader.load()
    if key is not None and not loader.contents and not loader.read_unkeyed:
        # only when the loader read exactly the files the key hashed: a file that vanished or
        # appeared in between (an editor's save, a checkout) must not be cached under this key
        _write_cache(kb, key)
    return kb


# ------------------------------------------------------------------ reading files
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
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(handle, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(handle)
    if size > limit:
        raise refuse(_too_large(limit))
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


def _rule_files(root: Path) -> list[Path] | None:
    """The rule files of ``root`` in reading order; None when there is no ``rules`` folder.

    A ``rules`` that is a link or not a folder is refused (nothing in it is listed).
    """
    rule_dir = root / "rules"
    try:
        info = os.lstat(rule_dir)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _kb_error(rule_dir, f"cannot read the folder 'rules': {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise _kb_error(rule_dir, "the folder 'rules' is a symbolic link; links inside a knowledge base are not followed")
    if not stat.S_ISDIR(info.st_mode):
        raise _kb_error(rule_dir, "'rules' must be a folder of rule files")
    try:
        return sorted(rule_dir.glob("*.yaml"))
    except OSError as exc:
        raise _kb_error(rule_dir, f"cannot read the folder 'rules': {exc.strerror}") from None


def _kb_error(path: Path, message: str) -> UnreadableKnowledgeBaseFileError:
    return UnreadableKnowledgeBaseFileError(Location(display_path(path)), message, name=str(path))


def _kb_files(root: Path) -> list[Path]:
    """Every file :class:`_Loader` reads for the knowledge base itself (those that exist)."""
    files = [root / name for name in _KB_FILES if os.path.lexists(root / name)]
    return files + (_rule_files(root) or [])


_KB_FILES = ("sources.yaml", "facts.yaml", "advice.yaml")


# ------------------------------------------------------------------ load cache
def cache_dir() -> Path:
    """Where the load cache lives."""
    configured = os.environ.get("ORDERDOCTOR_CACHE_DIR")
    if configured:
        return Path(configured)
    from ._dirs import user_cache_dir  # the platform's convention (XDG on Linux)

    return user_cache_dir()


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _cache_key(root: Path, contents: dict[Path, bytes]) -> dict[str, Any] | None:
    """What a cached snapshot of ``root`` is valid for: the SHA-256 of every file the loader
    reads (their bytes are kept in ``contents``, so the loader does not read them twice), the
    list of rule files, and the engine's sources (size and time); None when a file cannot be
    read — the loader then reports it, and nothing is cached."""
    from .snapshot import FORMAT

    sha256 = _sha256()

    try:
        resolved = root.resolve()
        if not resolved.is_dir():
            return None
        entries = []
        for file in _kb_files(root):
            data = read_file_bytes(file, follow_links=False)
            contents[file] = data
            entries.append([file.relative_to(root).as_posix(), len(data), sha256(data).hexdigest()])
        engine = Path(__file__).parent
        return {
            "format": FORMAT,
            "root": str(resolved),
            "files": entries,
            "engine": [[f.name, *_stamp(f)] for f in sorted(engine.glob("*.py"))],
        }
    except (OSError, RuntimeError, ValueError, UnreadableFileError):
        return None


def _cache_file(key: Mapping[str, Any]) -> Path:
    """One file per knowledge-base folder, named after its path (the key inside decides)."""
    return cache_dir() / f"kb{re.sub(r'[^A-Za-z0-9]+', '-', key['root'])[-120:]}.json"


#: The most bytes of one cache file that are read (a snapshot of a kb at the file limit fits).
MAX_CACHE_BYTES = 16 * MAX_FILE_BYTES
_SECRET_NAME = "secret.key"
_SECRET_BYTES = 32


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


def _sha256() -> Any:
    """SHA-256 from CPython's built-in module when there is one: importing :mod:`hashlib` loads
    OpenSSL, about 5 ms of every start (a tenth of what the cache saves); same digests."""
    try:
        from _sha2 import sha256  # Python 3.12 and later
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.10, 3.11
        except ImportError:  # an interpreter built without them
            from hashlib import sha256
    return sha256


def _signature(secret: bytes, body: bytes) -> bytes:
    """HMAC-SHA256 of ``body`` under ``secret`` in hex (RFC 2104, as :func:`hmac.new` computes
    it; written out to use :func:`_sha256`)."""
    sha256 = _sha256()
    key = secret.ljust(64, b"\0")  # the secret (32 bytes) is shorter than SHA-256's block
    inner = sha256(bytes(k ^ 0x36 for k in key) + body).digest()
    return sha256(bytes(k ^ 0x5C for k in key) + inner).hexdigest().encode("ascii")


def _read_cache(root: Path, key: Mapping[str, Any]) -> KnowledgeBase | None:
    """The knowledge base rebuilt from its snapshot, or None: missing, stale, damaged, forged.

    Threat model: the cache folder may be damaged by anything (a full disk, a crash, a copy from
    another machine or version) or written by someone who is not this user (a shared or badly
    permissioned ``ORDERDOCTOR_CACHE_DIR``). A cache file is ``HMAC-SHA256(secret, body)`` in
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


def _same_bytes(a: bytes, b: bytes) -> bool:
    """``a == b`` in time that does not depend on where they differ (like hmac.compare_digest)."""
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a, b):
        difference |= x ^ y
    return difference == 0


def _write_cache(kb: KnowledgeBase, key: Mapping[str, Any]) -> None:
    """Store ``kb``'s signed snapshot atomically; a cache that cannot be written is not kept."""
    import json
    import tempfile

    from .snapshot import SnapshotError, to_snapshot

    file = _cache_file(key)
    try:
        secret = _cache_secret(file.parent, create=True)
        if secret is None:
            return
        body = json.dumps({"key": key, "snapshot": to_snapshot(kb)}, ensure_ascii=False).encode("utf-8")
        handle, temporary = tempfile.mkstemp(prefix=file.name + ".", suffix=".tmp", dir=file.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(_signature(secret, body) + b"\n" + body)
            os.replace(temporary, file)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, SnapshotError):
        pass


def load_cases(kb: KnowledgeBase, files: Iterable[Path | str] | None = None) -> tuple[Case, ...]:
    """Read scenario cases (default: ``cases/*.yaml`` of ``kb``), checked against ``kb``.

    Raises :class:`KnowledgeBaseErrors` holding every problem found.
    """
    loader = _Loader(kb.root)
    loader.facts = dict(kb.facts)
    loader.advice = dict(kb.advice)
    paths = sorted((kb.root / "cases").glob("*.yaml")) if files is None else [Path(f) for f in files]
    cases: list[Case] = []
    seen: dict[str, Location] = {}
    for file in paths:
        # files named on the command line may live anywhere; the folder's own may not link out
        for node in loader._entries(loader._parse(file, inside_only=files is None), file, "case"):
            raw_id = node.value.get("id") if node.is_mapping else None
            if raw_id is not None and isinstance(raw_id.value, str):
                if not loader._first_definition(seen, "case id", raw_id.value, node.location):
                    continue
            case = loader._case(node)
            if case is not None:
                cases.append(case)
    if loader.errors:
        raise KnowledgeBaseErrors(sorted(loader.errors, key=lambda e: e.location))
    return tuple(cases)


def load_lint_config(kb: KnowledgeBase) -> LintConfig:
    """Read ``checks.yaml`` of ``kb`` (optional): the gap facts and the explained warnings."""
    from .lint import LintConfig

    file = kb.root / "checks.yaml"
    if not os.path.lexists(file):
        return LintConfig()
    loader = _Loader(kb.root)
    loader.facts = dict(kb.facts)
    document = loader._parse(file)
    config = LintConfig(location=Location(display_path(file)))
    if document is not None:
        fields = loader._fields(document, "checks file", (), ("gaps", "explained"))
        if fields is not None:
            config = loader._lint_config(fields, config.location)
    if loader.errors:
        raise KnowledgeBaseErrors(sorted(loader.errors, key=lambda e: e.location))
    return config


class _Loader:
    def __init__(self, root: Path, contents: Mapping[Path, bytes] | None = None) -> None:
        self.root = root
        #: bytes of files already read (by the cache key), so that none is read twice
        self.contents = dict(contents or {})
        #: whether a file was read that was not among ``contents`` (then nothing is cached)
        self.read_unkeyed = False
        self.errors: list[KnowledgeBaseError] = []
        self.sources: dict[str, Source] | None = None
        self.facts: dict[str, Fact] | None = None
        self.advice: dict[str, Advice] | None = None
        #: ids of sources, facts and advice items that are written but had errors of their
        #: own: references to them are not reported again as unknown (no cascade)
        self.unbuilt: dict[str, set[str]] = {"sources.yaml": set(), "facts.yaml": set(), "advice.yaml": set()}

    # ------------------------------------------------------------------ files
    def load(self) -> KnowledgeBase:
        where = Location(display_path(self.root))
        if not self.root.is_dir():
            if os.path.lexists(self.root):
                problem = "is a file, not a knowledge-base folder (give the folder that holds facts.yaml)"
            else:
                problem = f"knowledge base folder not found: {self.root}"
            raise KnowledgeBaseErrors([SchemaError(where, problem, name=str(self.root))])
        self.sources = self._load_list("sources.yaml", self._source, required=False)
        self.facts = self._load_list("facts.yaml", self._fact, required=True)
        self.advice = self._load_list("advice.yaml", self._advice, required=True)
        if self.advice:
            self._check_replacements(self.advice)
        rules: list[Rule] = []
        seen: dict[str, Location] = {}
        try:
            rule_files = _rule_files(self.root)
        except UnreadableKnowledgeBaseFileError as exc:
            self.errors.append(exc)
            rule_files = []
        if rule_files is None:
            self.errors.append(SchemaError(where, "missing folder 'rules/' with the rule files"))
        else:
            for file in rule_files:
                document = self._parse(file)
                for node in self._entries(document, file, "rule"):
                    rule = self._rule(node, len(rules))
                    if rule is not None and self._first_definition(seen, "rule id", rule.id, rule.location):
                        rules.append(rule)
        kb = KnowledgeBase.assemble(self.root, self.facts or {}, self.advice or {}, rules, self.sources)
        if not self.errors:
            self._check_cycles(kb.graph, rules)
        if self.errors:
            raise KnowledgeBaseErrors(sorted(self.errors, key=lambda e: e.location))
        return kb

    def _parse(self, file: Path, *, inside_only: bool = True) -> Node | None:
        """Parse one YAML file. A file of the folder (``inside_only``) that is a link, a folder,
        a device or a FIFO is refused before it is opened; files named on the command line may
        be links. Every read is bounded (:func:`read_file_bytes`)."""
        shown = display_path(file)
        error = UnreadableKnowledgeBaseFileError
        try:
            data = self.contents.pop(file, None)
            if data is None:
                self.read_unkeyed = True
                data = read_file_bytes(file, shown, follow_links=not inside_only, error=error)
            text = decode_text(data, shown, error=error)
        except UnreadableKnowledgeBaseFileError as exc:
            self.errors.append(exc)
            return None
        from .yamlfile import parse_yaml

        try:
            return parse_yaml(text, shown)
        except KnowledgeBaseError as exc:
            self.errors.append(exc)
            return None

    def _entries(self, document: Node | None, file: Path, what: str) -> list[Node]:
        if document is None:
            return []
        if not document.is_list:
            self.errors.append(
                SchemaError(
                    document.location,
                    f"{file.name} must be a list of {what}s, each starting with '- '",
                )
            )
            return []
        return document.value

    def _load_list(
        self, name: str, build: Callable[[Node], Any], *, required: bool
    ) -> dict[str, Any] | None:
        file = self.root / name
        if not os.path.lexists(file):
            if required:
                self.errors.append(
                    SchemaError(Location(display_path(self.root)), f"missing file '{name}'")
                )
            return None
        before = len(self.errors)
        document = self._parse(file)
        if len(self.errors) > before and document is None:
            return None  # unreadable: checks against it would only add noise
        what = name.removesuffix(".yaml").rstrip("s") if name != "advice.yaml" else "advice item"
        items: dict[str, Any] = {}
        for node in self._entries(document, file, what):
            item = build(node)
            if item is None:
                written = node.value.get("name" if name == "facts.yaml" else "id") if node.is_mapping else None
                if written is not None and isinstance(written.value, str):
                    self.unbuilt[name].add(written.value)
                continue
            key = getattr(item, "name", None) or item.id
            if key in items:
                self.errors.append(
                    DuplicateIdError(
                        item.location,
                        f"duplicate {what} '{key}' (first defined at {items[key].location})",
                        name=key,
                    )
                )
                continue
            items[key] = item
        return items

    # ---------------------------------------------------------------- helpers
    def _first_definition(self, seen: dict[str, Location], what: str, key: str, location: Location) -> bool:
        """Record ``key``; False (and a DuplicateIdError) when it was defined before."""
        if key in seen:
            self.errors.append(
                DuplicateIdError(location, f"duplicate {what} '{key}' (first defined at {seen[key]})", name=key)
            )
            return False
        seen[key] = location
        return True

    def _fields(
        self, node: Node, what: str, required: Iterable[str], optional: Iterable[str]
    ) -> dict[str, Node] | None:
        """Check ``node`` is a mapping with the required keys and no unknown ones."""
        if not node.is_mapping:
            self.errors.append(
                SchemaError(node.location, f"a {what} must be a mapping of fields, not {_kind(node)}")
            )
            return None
        required = tuple(required)
        allowed = required + tuple(optional)
        ok = True
        for key, location in node.key_locations.items():
            if key not in allowed:
                ok = False
                self.errors.append(
                    SchemaError(
                        location,
                        f"unknown field '{key}' in a {what} (fields: {', '.join(allowed)})",
                        name=key,
                        suggestion=suggest(key, allowed),
                    )
                )
        for key in required:
            if key not in node.value:
                ok = False
                self.errors.append(SchemaError(node.location, f"{what} has no '{key}' field"))
        return node.value if ok else None

    def _text(self, node: Node | None, what: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node.value, str) or not node.value.strip():
            self.errors.append(SchemaError(node.location, f"{what} must be non-empty text"))
            return None
        if any(not ch.isprintable() and ch not in "\n\t" for ch in node.value):
            self.errors.append(SchemaError(node.location, f"{what} contains control characters"))
            return None
        return " ".join(node.value.split()) if "\n" not in node.value.strip() else node.value.strip()

    def _word(self, node: Node, words: type[_Word], what: str) -> _Word | None:
        """One of the values of the enum ``words``, or an error with the allowed ones."""
        try:
            return words(node.value)
        except ValueError:
            allowed = [w.value for w in words]
            self.errors.append(
                SchemaError(
                    node.location,
                    f"unknown {what} {node.value!r} (one of: {', '.join(allowed)})",
                    name=str(node.value),
                    suggestion=suggest(str(node.value), allowed),
                )
            )
            return None

    def _word_list(self, node: Node, field: str, what: str) -> list[str] | None:
        """A non-empty list of snake_case ids (or one id), without repeats."""
        items = node.value if node.is_list else [node]
        if not items:
            self.errors.append(SchemaError(node.location, f"'{field}' takes a non-empty list of {what}s"))
            return None
        result: list[str] = []
        for item in items:
            word = self._identifier(item, what)
            if word is None:
                return None
            if word not in result:
                result.append(word)
        return result

    def _identifier(self, node: Node, what: str) -> str | None:
        value = node.value
        if not isinstance(value, str) or not IDENTIFIER.match(value):
            self.errors.append(
                SchemaError(
                    node.location,
                    f"{what} {value!r} must be snake_case: a lower-case letter, then letters, digits or '_'",
                    name=str(value),
                )
            )
            return None
        return value

    def _source_ref(self, node: Node | None) -> str | None:
        if node is None:
            return None
        name = self._text(node, "source")
        if name is None or self.sources is None:
            return name
        message = f"unknown source '{name}' (sources.yaml lists: {', '.join(self.sources)})"
        return name if self._known_source(name, node.location, message) else None

    def _known_source(self, name: str, location: Location, message: str) -> bool:
        """Whether ``name`` is a source id; if it is not (and not one with errors of its own),
        report ``message`` with a did-you-mean."""
        if self.sources is None or name in self.sources:
            return True
        if name not in self.unbuilt["sources.yaml"]:
            self.errors.append(
                UnknownSourceError(location, message, name=name, suggestion=suggest(name, self.sources))
            )
        return False

    # ---------------------------------------------------------------- sources
    def _source(self, node: Node) -> Source | None:
        fields = self._fields(node, "source", ("id", "title"), ("file", "url", "authority"))
        if fields is None:
            return None
        source_id = self._identifier_like(fields["id"], "source id")
        title = self._text(fields["title"], "title")
        file = self._text(fields.get("file"), "file") if "file" in fields else None
        url = self._text(fields.get("url"), "url") if "url" in fields else None
        if url is not None and not re.match(r"^https?://[^\s]+$", url):
            self.errors.append(
                SchemaError(fields["url"].location, f"url {url!r} must be a web address starting with https:// or http://")
            )
            return None
        authority = None
        if "authority" in fields:
            authority = self._word(fields["authority"], SourceAuthority, "source authority")
            if authority is None:
                return None
        if source_id is None or title is None:
            return None
        return Source(source_id, title, node.location, file, url, authority)

    def _identifier_like(self, node: Node, what: str) -> str | None:
        value = node.value
        if not isinstance(value, str) or not re.match(r"^[a-z0-9][a-z0-9_-]*$", value):
            self.errors.append(
                SchemaError(node.location, f"{what} {value!r} must be lower-case words joined by '-'")
            )
            return None
        return value

    # ------------------------------------------------------------------ facts
    def _fact(self, node: Node) -> Fact | None:
        fields = self._fields(
            node,
            "fact",
            ("name", "type", "description"),
            ("values", "min", "max", "derived", "question", "help"),
        )
        if fields is None:
            return None
        name = self._identifier(fields["name"], "fact name")
        if name in RESERVED_FACT_NAMES:
            self.errors.append(
                SchemaError(
                    fields["name"].location,
                    f"fact name '{name}' is reserved by the rule engine; choose another",
                    name=name,
                )
            )
            name = None
        fact_type = self._word(fields["type"], FactType, "fact type")
        if fact_type is None:
            return None
        description = self._text(fields["description"], "description")
        derived = self._boolean_field(fields.get("derived"), "derived")
        question = self._text(fields.get("question"), "question")
        help_text = self._text(fields.get("help"), "help")
        if derived and question is not None:
            self.errors.append(
                SchemaError(
                    fields["question"].location,
                    f"derived fact '{name}' is concluded by rules and cannot have a question",
                )
            )
        choices: tuple[Choice, ...] = ()
        minimum = maximum = None
        if fact_type is FactType.CHOICE:
            choices = self._choices(fields.get("values"), node)
        elif "values" in fields:
            self.errors.append(
                SchemaError(fields["values"].location, f"only choice facts have 'values'; this is {fact_type.value}")
            )
        if fact_type is FactType.INTEGER:
            minimum = self._bound(fields.get("min"), "min")
            maximum = self._bound(fields.get("max"), "max")
            if minimum is not None and maximum is not None and minimum > maximum:
                self.errors.append(
                    ValueNotAllowedError(fields["min"].location, f"min {minimum} is larger than max {maximum}")
                )
        else:
            for key in ("min", "max"):
                if key in fields:
                    self.errors.append(
                        SchemaError(fields[key].location, f"only integer facts have '{key}'; this is {fact_type.value}")
                    )
        if name is None or description is None:
            return None
        return Fact(
            name=name,
            type=fact_type,
            description=description,
            location=node.location,
            choices=choices,
            minimum=minimum,
            maximum=maximum,
            derived=bool(derived),
            question=question,
            help=help_text,
        )

    def _boolean_field(self, node: Node | None, what: str) -> bool | None:
        if node is None:
            return None
        if not isinstance(node.value, bool):
            self.errors.append(WrongTypeError(node.location, f"'{what}' must be true or false, not {node.value!r}"))
            return None
        return node.value

    def _bound(self, node: Node | None, what: str) -> int | None:
        if node is None:
            return None
        if not is_integer(node.value):
            self.errors.append(WrongTypeError(node.location, f"'{what}' must be a whole number, not {node.value!r}"))
            return None
        return node.value

    def _choices(self, node: Node | None, fact: Node) -> tuple[Choice, ...]:
        if node is None:
            self.errors.append(SchemaError(fact.location, "a choice fact needs 'values'"))
            return ()
        result: list[Choice] = []
        if node.is_list:
            pairs = [(item, None) for item in node.value]
        elif node.is_mapping:
            from .yamlfile import Node

            pairs = [(Node(key, node.key_locations[key]), value) for key, value in node.value.items()]
        else:
            self.errors.append(
                SchemaError(node.location, "'values' must be a list of values, or a mapping of value: help text")
            )
            return ()
        seen: set[str] = set()
        for value_node, help_node in pairs:
            value = self._identifier(value_node, "choice value")
            help_text = self._text(help_node, "help text") if help_node is not None else ""
            if value is None:
                continue
            if value in RESERVED_CHOICE_VALUES:
                self.errors.append(
                    SchemaError(value_node.location, f"choice value '{value}' is reserved: {RESERVED_CHOICE_VALUES[value]}", name=value)
                )
                continue
            if value in seen:
                self.errors.append(DuplicateIdError(value_node.location, f"duplicate choice value '{value}'", name=value))
                continue
            seen.add(value)
            result.append(Choice(value, help_text or ""))
        if not result and not [e for e in self.errors if e.location.file == node.location.file]:
            self.errors.append(SchemaError(node.location, "a choice fact needs at least one value"))
        return tuple(result)

    # ----------------------------------------------------------------- advice
    def _advice(self, node: Node) -> Advice | None:
        fields = self._fields(
            node,
            "advice item",
            ("id", "kind", "title", "text", "source"),
            ("replaces", "deadline", "incompatible_with", "requires", "urgent_within"),
        )
        if fields is None:
            return None
        advice_id = self._identifier(fields["id"], "advice id")
        kind = self._word(fields["kind"], AdviceKind, "advice kind")
        title = self._text(fields["title"], "title")
        text = self._text(fields["text"], "text")
        source = self._source_ref(fields["source"])
        replaces: list[str] | None = []
        if "replaces" in fields:
            replaces = self._word_list(fields["replaces"], "replaces", "advice id")
        deadline = self._deadline(fields["deadline"]) if "deadline" in fields else None
        incompatible: list[str] | None = []
        if "incompatible_with" in fields:
            incompatible = self._word_list(fields["incompatible_with"], "incompatible_with", "advice id")
        requires = self._condition(fields["requires"]) if "requires" in fields else None
        urgent_within: int | None = None
        if "urgent_within" in fields:
            value = fields["urgent_within"].value
            if not is_integer(value) or not 0 <= value <= 365:
                self.errors.append(
                    WrongTypeError(
                        fields["urgent_within"].location,
                        f"'urgent_within' must be a whole number of days from 0 to 365, not {value!r}",
                    )
                )
                return None
            urgent_within = value
        if None in (advice_id, kind, title, text, source, replaces, incompatible) or (
            "deadline" in fields and deadline is None
        ) or ("requires" in fields and requires is None):
            return None
        return Advice(
            advice_id,  # type: ignore[arg-type]
            kind,  # type: ignore[arg-type]
            title,  # type: ignore[arg-type]
            text,  # type: ignore[arg-type]
            source,  # type: ignore[arg-type]
            node.location,
            tuple(replaces),  # type: ignore[arg-type]
            deadline,
            tuple(incompatible),  # type: ignore[arg-type]
            requires,
            urgent_within,
        )

    def _deadline(self, node: Node) -> Deadline | None:
        """``deadline: {days_from: FACT, plus: N}`` with FACT an integer fact (a countdown)."""
        fields = self._fields(node, "deadline", ("days_from",), ("plus",))
        if fields is None:
            return None
        name_node = fields["days_from"]
        fact = self._lookup_fact(str(name_node.value), name_node.location)
        if fact is None:
            return None
        if fact.type is not FactType.INTEGER:
            self.errors.append(
                WrongTypeError(
                    name_node.location,
                    f"a deadline counts days from an integer fact; '{fact.name}' is {fact.type.value}",
                )
            )
            return None
        offset = 0
        if "plus" in fields:
            if not is_integer(fields["plus"].value):
                self.errors.append(WrongTypeError(fields["plus"].location, "'plus' must be a whole number of days"))
                return None
            offset = fields["plus"].value
        return Deadline(fact.name, offset)

    # ------------------------------------------------------------------ rules
    def _rule(self, node: Node, order: int) -> Rule | None:
        fields = self._fields(
            node, "rule", ("id", "description", "when", "then", "source"), ("priority",)
        )
        if fields is None:
            return None
        rule_id = self._identifier(fields["id"], "rule id")
        description = self._text(fields["description"], "description")
        when = self._condition(fields["when"])
        derive, advise = self._conclusions(fields["then"])
        source = self._source_ref(fields["source"])
        priority = 0
        if "priority" in fields:
            value = fields["priority"].value
            if not is_integer(value) or abs(value) > 1000:
                self.errors.append(
                    WrongTypeError(
                        fields["priority"].location,
                        f"priority must be a whole number from -1000 to 1000, not {value!r}",
                    )
                )
            else:
                priority = value
        if None in (rule_id, description, when, derive, advise, source):
            return None
        return Rule(
            id=rule_id,  # type: ignore[arg-type]
            description=description,  # type: ignore[arg-type]
            when=when,  # type: ignore[arg-type]
            derive=derive,  # type: ignore[arg-type]
            advise=advise,  # type: ignore[arg-type]
            source=source,  # type: ignore[arg-type]
            location=node.location,
            priority=priority,
            order=order,
        )

    def _lookup_fact(self, name: str, location: Location) -> Fact | None:
        if self.facts is None:
            return None  # facts.yaml is broken; it has its own errors
        fact = self.facts.get(name)
        if fact is None and name not in self.unbuilt["facts.yaml"]:
            self.errors.append(
                UnknownFactError(
                    location,
                    f"unknown fact '{name}'",
                    name=name,
                    suggestion=suggest(name, list(self.facts) + list(_CONNECTIVES)),
                )
            )
        return fact

    def _condition(self, node: Node) -> Condition | None:
        if not node.is_mapping or not node.value:
            self.errors.append(
                SchemaError(
                    node.location,
                    "a condition must be a mapping such as 'order_status: shipped' "
                    "or 'all: [...]', not " + _kind(node),
                )
            )
            return None
        keys = list(node.value)
        connectives = [k for k in keys if k in _CONNECTIVES]
        if connectives:
            if len(keys) > 1:
                self.errors.append(
                    SchemaError(
                        node.key_locations[connectives[0]],
                        f"'{connectives[0]}' must stand alone in its mapping; "
                        "put the other conditions inside it",
                        name=connectives[0],
                    )
                )
                return None
            key = connectives[0]
            inner = node.value[key]
            if key == "not":
                condition = self._condition(inner)
                return None if condition is None else Not(condition, node.key_locations[key])
            if not inner.is_list or not inner.value:
                self.errors.append(
                    SchemaError(inner.location, f"'{key}' takes a non-empty list of conditions")
                )
                return None
            parts = [self._condition(item) for item in inner.value]
            if any(part is None for part in parts):
                return None
            cls = AllOf if key == "all" else AnyOf
            return cls(tuple(parts), node.key_locations[key])  # type: ignore[arg-type]
        comparisons: list[Comparison] = []
        ok = True
        for name, value_node in node.value.items():
            found = self._fact_test(name, node.key_locations[name], value_node)
            if found is None:
                ok = False
            else:
                comparisons.extend(found)
        if not ok:
            return None
        if len(comparisons) == 1:
            return comparisons[0]
        return AllOf(tuple(comparisons), node.location)

    def _fact_test(self, name: str, location: Location, node: Node) -> list[Comparison] | None:
        fact = self._lookup_fact(name, location)
        if fact is None:
            return None
        if node.is_mapping:
            if not node.value:
                self.errors.append(SchemaError(node.location, f"empty test for fact '{name}'"))
                return None
            result = []
            for op_name, value_node in node.value.items():
                op = _OPERATORS.get(op_name)
                if op is None:
                    self.errors.append(
                        SchemaError(
                            node.key_locations[op_name],
                            f"unknown operator '{op_name}' (operators: {', '.join(_OPERATORS)})",
                            name=op_name,
                            suggestion=suggest(op_name, _OPERATORS),
                        )
                    )
                    return None
                comparison = self._comparison(fact, op, value_node, node.key_locations[op_name])
                if comparison is None:
                    return None
                result.append(comparison)
            return result
        if node.is_list:
            comparison = self._comparison(fact, Operator.IN, node, location)
        else:
            comparison = self._comparison(fact, Operator.EQ, node, location)
        return None if comparison is None else [comparison]

    def _comparison(self, fact: Fact, op: Operator, node: Node, location: Location) -> Comparison | None:
        """What ``op`` accepts is the operator's to say (engine/operators/)."""
        if fact.type not in op.fact_types:
            self.errors.append(WrongTypeError(location, op.wrong_type(fact), name=op.value))
            return None
        problem = op.list_problem(node.value if node.is_list else None)
        if problem is not None:
            self.errors.append(SchemaError(node.location, problem))
            return None
        items = node.value if node.is_list and op.shape is not Shape.SCALAR else [node]
        checked = [self._value(fact, item, exact=op.exact) for item in items]
        values = [v for v in checked if v is not None]
        if len(values) < len(checked):
            return None
        built = op.build(fact.name, values[0] if op.shape is Shape.SCALAR else tuple(values), location)
        if isinstance(built, str):
            self.errors.append(SchemaError(node.location, built))
            return None
        return built

    def _value(self, fact: Fact, node: Node, *, exact: bool) -> Value | None:
        """Check ``node`` is a value ``fact`` can take (bounds only for exact tests)."""
        checked = check_value(fact, node.value)
        if not isinstance(checked, ValueProblem):
            return checked
        if checked.out_of_range and not exact:
            return node.value  # `gt: 1000` may lie outside the bounds; it simply never holds
        cls = ValueNotAllowedError if checked.out_of_range else WrongTypeError
        self.errors.append(
            cls(node.location, checked.message, name=str(node.value), suggestion=checked.suggestion)
        )
        return None

    def _conclusions(self, node: Node) -> tuple[tuple[tuple[str, Value], ...] | None, tuple[str, ...] | None]:
        fields = self._fields(node, "rule's 'then'", (), ("derive", "advise"))
        if fields is None:
            return None, None
        if not fields:
            self.errors.append(SchemaError(node.location, "'then' needs 'derive', 'advise' or both"))
            return None, None
        derive: list[tuple[str, Value]] | None = []
        if "derive" in fields:
            derive = self._derivations(fields["derive"])
        advise: list[str] | None = []
        if "advise" in fields:
            advise = self._advice_refs(fields["advise"])
        if derive is None or advise is None:
            return None, None
        return tuple(derive), tuple(advise)

    def _derivations(self, node: Node) -> list[tuple[str, Value]] | None:
        if not node.is_mapping or not node.value:
            self.errors.append(SchemaError(node.location, "'derive' takes a mapping of fact: value"))
            return None
        result = []
        ok = True
        for name, value_node in node.value.items():
            location = node.key_locations[name]
            fact = self._lookup_fact(name, location)
            if fact is None:
                ok = False
                continue
            if not fact.derived:
                ok = False
                self.errors.append(
                    UndeclaredDerivationError(
                        location,
                        f"rule derives fact '{name}', which is not declared 'derived: true' in facts.yaml",
                        name=name,
                    )
                )
                continue
            value = self._value(fact, value_node, exact=True)
            if value is None:
                ok = False
                continue
            result.append((name, value))
        return result if ok else None

    def _advice_refs(self, node: Node) -> list[str] | None:
        items = node.value if node.is_list else [node]
        if node.is_list and not items:
            self.errors.append(SchemaError(node.location, "'advise' takes a non-empty list of advice ids"))
            return None
        result = []
        ok = True
        for item in items:
            if not isinstance(item.value, str):
                self.errors.append(SchemaError(item.location, f"advice id must be text, not {_kind(item)}"))
                ok = False
                continue
            if self.advice is not None and item.value not in self.advice:
                if item.value in self.unbuilt["advice.yaml"]:  # the item has errors of its own
                    ok = False
                    continue
                self.errors.append(
                    UnknownAdviceError(
                        item.location,
                        f"unknown advice id '{item.value}'",
                        name=item.value,
                        suggestion=suggest(item.value, self.advice),
                    )
                )
                ok = False
                continue
            if item.value not in result:
                result.append(item.value)
        return result if ok else None

    def _check_replacements(self, advice: dict[str, Advice]) -> None:
        """Every replaced id exists, no item replaces itself, no circle of replacements."""
        for item in advice.values():
            for other in item.incompatible_with:
                if other not in advice and other not in self.unbuilt["advice.yaml"]:
                    self.errors.append(
                        UnknownAdviceError(
                            item.location,
                            f"advice '{item.id}' is incompatible with unknown advice id '{other}'",
                            name=other,
                            suggestion=suggest(other, advice),
                        )
                    )
            for other in item.replaces:
                if other in self.unbuilt["advice.yaml"]:
                    continue
                if other not in advice:
                    self.errors.append(
                        UnknownAdviceError(
                            item.location,
                            f"advice '{item.id}' replaces unknown advice id '{other}'",
                            name=other,
                            suggestion=suggest(other, advice),
                        )
                    )
                elif other == item.id:
                    self.errors.append(SchemaError(item.location, f"advice '{item.id}' replaces itself"))
        edges = {item.id: [other for other in item.replaces if other in advice] for item in advice.values()}
        for component in strongly_connected_components(edges):
            if len(component) > 1:
                circle = sorted(component)
                first = advice[circle[0]]
                self.errors.append(
                    SchemaError(
                        first.location,
                        "advice items replace each other in a circle, so all would vanish: "
                        + ", ".join(circle),
                    )
                )

    # ----------------------------------------------------------- checks.yaml
    def _lint_config(self, fields: dict[str, Node], location: Location) -> LintConfig:
        from .lint import CHECKS, Explained, LintConfig

        gap_facts: list[str] = []
        if "gaps" in fields:
            gaps = self._fields(fields["gaps"], "gaps section", ("facts",), ())
            if gaps is not None:
                names = self._word_list(gaps["facts"], "facts", "fact name") or []
                for name in names:
                    fact = self._lookup_fact(name, gaps["facts"].location)
                    if fact is not None and fact.type is FactType.INTEGER:
                        self.errors.append(
                            WrongTypeError(gaps["facts"].location, f"gap checks combine choice and boolean facts; '{name}' is an integer")
                        )
                    elif fact is not None:
                        gap_facts.append(name)
        explained: list[Explained] = []
        if "explained" in fields:
            node = fields["explained"]
            for item in node.value if node.is_list else []:
                entry = self._fields(item, "explained warning", ("check", "subject", "reason"), ())
                if entry is None:
                    continue
                check = self._text(entry["check"], "check")
                if check is not None and check not in CHECKS:
                    self.errors.append(
                        SchemaError(
                            entry["check"].location,
                            f"unknown check '{check}' (checks: {', '.join(CHECKS)})",
                            name=check,
                            suggestion=suggest(check, CHECKS),
                        )
                    )
                    continue
                subject = self._text(entry["subject"], "subject")
                reason = self._text(entry["reason"], "reason")
                if None not in (check, subject, reason):
                    explained.append(Explained(check, subject, reason, item.location))  # type: ignore[arg-type]
        return LintConfig(tuple(gap_facts), tuple(explained), location)

    # ------------------------------------------------------------------ cases
    def _case(self, node: Node) -> Case | None:
        from .cases import Case

        fields = self._fields(node, "case", ("id", "story", "facts"), ("must", "must_not", "first", "source"))
        if fields is None:
            return None
        case_id = self._identifier(fields["id"], "case id")
        story = self._text(fields["story"], "story")
        facts = self._case_facts(fields["facts"])
        must = self._advice_refs(fields["must"]) if "must" in fields else []
        must_not = self._advice_refs(fields["must_not"]) if "must_not" in fields else []
        first = None
        if "first" in fields:
            refs = self._advice_refs(fields["first"])
            first = refs[0] if refs else None
            if refs and self.advice and self.advice[refs[0]].kind is not AdviceKind.ACTION:
                self.errors.append(
                    SchemaError(fields["first"].location, f"'first' names an action, and '{refs[0]}' is not one")
                )
                first = None
        def written(key: str) -> list[str]:
            value = fields[key].value if key in fields else []
            items = value if isinstance(value, list) else [fields[key]]
            return [item.value for item in items if isinstance(item.value, str)]

        for both in sorted(set(written("must")) & set(written("must_not"))):
            self.errors.append(SchemaError(node.location, f"advice '{both}' is both in 'must' and in 'must_not'"))
        source = self._case_source(fields["source"]) if "source" in fields else None
        if None in (case_id, story, facts, must, must_not) or ("first" in fields and first is None) or (
            "source" in fields and source is None
        ):
            return None
        return Case(
            id=case_id,  # type: ignore[arg-type]
            story=story,  # type: ignore[arg-type]
            facts=MappingProxyType(facts),  # type: ignore[arg-type]
            must=tuple(must),  # type: ignore[arg-type]
            must_not=tuple(must_not),  # type: ignore[arg-type]
            location=node.location,
            first=first,
            source=source,
        )

    def _case_source(self, node: Node) -> str | None:
        """``source: SOURCE-ID [where, e.g. L108 or "editor's reply to comment 13"]``."""
        text = self._text(node, "source")
        if text is None:
            return None
        first, _, _ = text.partition(" ")
        message = f"a case's source starts with a source id; unknown source '{first}'"
        return text if self._known_source(first, node.location, message) else None

    def _case_facts(self, node: Node) -> dict[str, Value] | None:
        if not node.is_mapping:
            self.errors.append(SchemaError(node.location, "'facts' takes a mapping of fact: value"))
            return None
        facts: dict[str, Value] = {}
        ok = True
        for name, value_node in node.value.items():
            fact = self._lookup_fact(name, node.key_locations[name])
            if fact is None:
                ok = False
                continue
            if fact.derived:
                self.errors.append(
                    SchemaError(node.key_locations[name], f"fact '{name}' is derived and cannot be given", name=name)
                )
                ok = False
                continue
            value = self._value(fact, value_node, exact=True)
            if value is None:
                ok = False
                continue
            facts[name] = value
        return facts if ok else None

    # ----------------------------------------------------------------- cycles
    def _check_cycles(self, graph: RuleGraph, rules: list[Rule]) -> None:
        by_id = {rule.id: rule for rule in rules}
        for path in graph.cycles():
            words = " → ".join(split_node(n)[1] for n in path)
            first = by_id[split_node(path[0])[1]]
            self.errors.append(
                RuleCycleError(first.location, f"rules derive facts in a cycle: {words}", name=first.id)
            )


def _kind(node: Node) -> str:
    if node.is_mapping:
        return "a mapping"
    if node.is_list:
        return "a list"
    if node.value is None:
        return "nothing"
    return f"{node.value!r}"




# ------------------------------------------------------------ review.yaml
if TYPE_CHECKING:
    from .review import ReviewConfig


def load_review_config(kb: KnowledgeBase) -> ReviewConfig:
    """Read ``review.yaml`` of ``kb`` (optional): the deciding facts of ``orderdoctor kb review``,
    the situations out of scope, and the reviewed exceptions (:mod:`.review`).

    Without the file every fact is deciding. Raises :class:`KnowledgeBaseErrors` with every
    problem found, each located, with a did-you-mean for unknown facts, values and classes.
    """
    from .review import ReviewConfig

    file = kb.root / "review.yaml"
    if not os.path.lexists(file):
        return ReviewConfig()
    loader = _Loader(kb.root)
    loader.facts = dict(kb.facts)
    loader.advice = dict(kb.advice)
    document = loader._parse(file)
    where = Location(display_path(file))
    config = ReviewConfig(location=where)
    if document is not None:
        fields = loader._fields(document, "review file", ("deciding",), ("out_of_scope", "explained"))
        if fields is not None:
            config = _review_config(loader, fields, where)
    if loader.errors:
        raise KnowledgeBaseErrors(sorted(loader.errors, key=lambda e: e.location))
    return config


def _review_config(loader: _Loader, fields: dict[str, Node], where: Location) -> ReviewConfig:
    from .review import PROBLEM_CLASSES, Explanation, OutOfScope, ReviewConfig

    deciding = _given_facts(loader, fields["deciding"], "deciding") or []
    out_of_scope: list[OutOfScope] = []
    for item in _review_list(loader, fields.get("out_of_scope"), "out_of_scope"):
        entry = loader._fields(item, "out_of_scope entry", ("reason",), ("when", "not_given"))
        if entry is None:
            continue
        if "when" not in entry and "not_given" not in entry:
            loader.errors.append(
                SchemaError(item.location, "an out_of_scope entry needs 'when' (a condition), 'not_given' (facts), or both")
            )
            continue
        reason = loader._text(entry["reason"], "reason")
        when = None
        if "when" in entry:
            when = loader._condition(entry["when"])
            if when is not None:
                from .model import comparisons_in

                for comparison in comparisons_in(when):
                    fact = loader.facts.get(comparison.fact) if loader.facts else None
                    if fact is not None and fact.derived:
                        loader.errors.append(
                            SchemaError(
                                comparison.location,
                                f"out_of_scope conditions read facts the buyer gives; '{fact.name}' is derived "
                                "(use 'explained' for situations judged on derived facts)",
                                name=fact.name,
                            )
                        )
                        when = None
                        break
        not_given: list[str] | None = []
        if "not_given" in entry:
            not_given = _given_facts(loader, entry["not_given"], "not_given")
        if reason is None or ("when" in entry and when is None) or not_given is None:
            continue
        out_of_scope.append(OutOfScope(reason, item.location, when, tuple(not_given)))
    explained: list[Explanation] = []
    for item in _review_list(loader, fields.get("explained"), "explained"):
        entry = loader._fields(item, "explained problem", ("problem", "reason"), ("when", "row"))
        if entry is None:
            continue
        if ("when" in entry) == ("row" in entry):
            loader.errors.append(
                SchemaError(item.location, "an explained problem names either 'when' (a condition) or 'row' (a row id), not both")
            )
            continue
        problem = loader._text(entry["problem"], "problem")
        if problem is not None and problem not in PROBLEM_CLASSES:
            loader.errors.append(
                SchemaError(
                    entry["problem"].location,
                    f"unknown problem class '{problem}' (classes: {', '.join(PROBLEM_CLASSES)})",
                    name=problem,
                    suggestion=suggest(problem, PROBLEM_CLASSES),
                )
            )
            problem = None
        reason = loader._text(entry["reason"], "reason")
        when = loader._condition(entry["when"]) if "when" in entry else None
        row = None
        if "row" in entry:
            row = loader._text(entry["row"], "row")
            if row is not None and not re.match(r"^R-[0-9a-f]{8}$", row):
                loader.errors.append(
                    SchemaError(entry["row"].location, f"row id {row!r} must be 'R-' and 8 hex digits, as kb review prints it", name=row)
                )
                row = None
        if problem is None or reason is None or (when is None and row is None):
            continue
        explained.append(Explanation(problem, reason, item.location, when, row))
    return ReviewConfig(tuple(deciding), tuple(out_of_scope), tuple(explained), where)


def _review_list(loader: _Loader, node: Node | None, name: str) -> list[Node]:
    if node is None or node.value is None:
        return []
    if not node.is_list:
        loader.errors.append(SchemaError(node.location, f"'{name}' takes a list of entries, each starting with '- '"))
        return []
    return list(node.value)


def _given_facts(loader: _Loader, node: Node, field: str) -> list[str] | None:
    """A list of facts the buyer can give (not derived), each known, without repeats."""
    items = node.value if node.is_list else [node]
    result: list[str] = []
    ok = True
    for item in items:
        if not isinstance(item.value, str):
            loader.errors.append(SchemaError(item.location, f"'{field}' lists fact names, not {_kind(item)}"))
            ok = False
            continue
        fact = loader._lookup_fact(item.value, item.location)
        if fact is None:
            ok = False
            continue
        if fact.derived:
            loader.errors.append(
                SchemaError(item.location, f"fact '{fact.name}' is derived: the review varies only facts the buyer gives", name=fact.name)
            )
            ok = False
            continue
        if fact.name in result:
            loader.errors.append(DuplicateIdError(item.location, f"fact '{fact.name}' is listed twice in '{field}'", name=fact.name))
            ok = False
            continue
        result.append(fact.name)
    return result if ok else None
