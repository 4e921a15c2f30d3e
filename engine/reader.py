"""Reading checked fields out of a YAML file: the generic half of every file loader.

:class:`YamlReader` parses one file of a knowledge base (bounded, through :mod:`.files`, then
:func:`~.yamlfile.parse_yaml`) and checks the shapes every file shares: a list of entries, a
mapping of known fields, non-empty text, a snake_case identifier, true or false, a whole number,
one word of an enum, a list of identifiers, an id defined once. It knows nothing of facts, advice
or rules: the loaders of :mod:`.loader`, :mod:`.ruleloader`, :mod:`.cases`, :mod:`.checks` and
:mod:`.reviewconfig` compose it. Every problem is appended to :attr:`YamlReader.errors` (each
located, with a did-you-mean where one is close) and reading goes on, so one run reports them
all; :meth:`YamlReader.raise_errors` raises them together, in file order.
"""

from __future__ import annotations

import re

from .errors import (
    DuplicateIdError,
    KnowledgeBaseError,
    KnowledgeBaseErrors,
    SchemaError,
    UnreadableKnowledgeBaseFileError,
    WrongTypeError,
    suggest,
)
from .facts import is_integer
from .files import decode_text, read_file_bytes
from .location import display_path

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from enum import Enum
    from pathlib import Path
    from typing import TypeVar

    from .location import Location
    from .yamlfile import Node

    _Word = TypeVar("_Word", bound=Enum)

__all__ = ["IDENTIFIER", "YamlReader", "kind"]

#: ids and fact names: snake_case, starting with a letter.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def kind(node: Node) -> str:
    """What ``node`` holds, for a message: "a mapping", "a list", "nothing" or the value."""
    if node.is_mapping:
        return "a mapping"
    if node.is_list:
        return "a list"
    if node.value is None:
        return "nothing"
    return f"{node.value!r}"


def _missing_field(node: Node, key: str, what: str) -> SchemaError:
    """``what`` has no ``key``: located at a ``key`` written inside another field, if there is one."""
    for field, value in node.value.items():
        found = _nested_key(value, key, depth=3)
        if found is not None:
            return SchemaError(
                found,
                f"{what} has no '{key}' field: this '{key}' is inside '{field}'; check the indentation",
                name=key,
            )
    return SchemaError(node.location, f"{what} has no '{key}' field")


def _nested_key(node: Node, key: str, depth: int) -> Location | None:
    """Where ``key`` is written as a key inside ``node`` (at most ``depth`` levels down)."""
    if depth == 0:
        return None
    if node.is_mapping and key in node.key_locations:
        location: Location = node.key_locations[key]
        return location
    children = node.value.values() if node.is_mapping else node.value if node.is_list else ()
    for child in children:
        found = _nested_key(child, key, depth - 1)
        if found is not None:
            return found
    return None


class YamlReader:
    """Parses files and checks generic fields, collecting every problem in :attr:`errors`."""

    def __init__(self, contents: Mapping[Path, bytes] | None = None) -> None:
        self.errors: list[KnowledgeBaseError] = []
        #: bytes of files already read (by the cache key), so that none is read twice
        self.contents = dict(contents or {})
        #: whether a file was read that was not among ``contents`` (then nothing is cached)
        self.read_unkeyed = False

    def raise_errors(self) -> None:
        """Raise every problem found so far, in file order, as :class:`KnowledgeBaseErrors`."""
        if self.errors:
            raise KnowledgeBaseErrors(sorted(self.errors, key=lambda e: e.location))

    # ------------------------------------------------------------------ files
    def parse(self, file: Path, *, inside_only: bool = True) -> Node | None:
        """Parse one YAML file. A file of the folder (``inside_only``) that is a link, a folder,
        a device or a FIFO is refused before it is opened; files named on the command line may
        be links. Every read is bounded (:func:`~.files.read_file_bytes`)."""
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

    def entries(self, document: Node | None, file: Path, what: str) -> list[Node]:
        """The entries of a file that is a list of ``what``\\ s (none, and an error, otherwise)."""
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
        return list(document.value)

    # ---------------------------------------------------------------- fields
    def first_definition(self, seen: dict[str, Location], what: str, key: str, location: Location) -> bool:
        """Record ``key``; False (and a DuplicateIdError) when it was defined before."""
        if key in seen:
            self.errors.append(
                DuplicateIdError(location, f"duplicate {what} '{key}' (first defined at {seen[key]})", name=key)
            )
            return False
        seen[key] = location
        return True

    def fields(
        self,
        node: Node,
        what: str,
        required: Iterable[str],
        optional: Iterable[str],
        *,
        misplaced: Callable[[str], str | None] | None = None,
    ) -> dict[str, Node] | None:
        """Check ``node`` is a mapping with the required keys and no unknown ones.

        Mis-indentation is named where it is the likely cause: an unknown key that ``misplaced``
        places elsewhere (it says where: "'tracking_note' is a fact, and conditions go under
        'when'"), or one written right after a field holding a mapping (or nothing) and close to
        no field name; a missing key written inside another field.
        """
        if not node.is_mapping:
            self.errors.append(
                SchemaError(node.location, f"a {what} must be a mapping of fields, not {kind(node)}")
            )
            return None
        required = tuple(required)
        allowed = required + tuple(optional)
        ok = True
        previous: str | None = None
        for key in node.key_locations:
            if key not in allowed:
                ok = False
                self.errors.append(self._unknown_field(node, key, what, allowed, previous, misplaced))
            previous = key
        for key in required:
            if key not in node.value:
                ok = False
                self.errors.append(_missing_field(node, key, what))
        return node.value if ok else None

    @staticmethod
    def _unknown_field(
        node: Node,
        key: str,
        what: str,
        allowed: tuple[str, ...],
        previous: str | None,
        misplaced: Callable[[str], str | None] | None,
    ) -> SchemaError:
        message = f"unknown field '{key}' in a {what} (fields: {', '.join(allowed)})"
        suggestion = suggest(key, allowed)
        why = misplaced(key) if misplaced is not None else None
        if why is None and suggestion is None and previous is not None:
            before = node.value[previous]
            if before.is_mapping or before.value is None:
                why = f"it may belong inside '{previous}' above it"
        if why is not None:
            return SchemaError(node.key_locations[key], f"{message}: {why}; check the indentation", name=key)
        return SchemaError(node.key_locations[key], message, name=key, suggestion=suggestion)

    def text(self, node: Node | None, what: str) -> str | None:
        """Non-empty text without control characters; runs of spaces folded on one line."""
        if node is None:
            return None
        if not isinstance(node.value, str) or not node.value.strip():
            self.errors.append(SchemaError(node.location, f"{what} must be non-empty text"))
            return None
        if any(not ch.isprintable() and ch not in "\n\t" for ch in node.value):
            self.errors.append(SchemaError(node.location, f"{what} contains control characters"))
            return None
        return " ".join(node.value.split()) if "\n" not in node.value.strip() else node.value.strip()

    def boolean(self, node: Node | None, what: str) -> bool | None:
        """``true`` or ``false`` (None when the field is absent)."""
        if node is None:
            return None
        if not isinstance(node.value, bool):
            self.errors.append(WrongTypeError(node.location, f"'{what}' must be true or false, not {node.value!r}"))
            return None
        return node.value

    def whole_number(self, node: Node | None, what: str) -> int | None:
        """An integer, not a boolean (None when the field is absent)."""
        if node is None:
            return None
        if not is_integer(node.value):
            self.errors.append(WrongTypeError(node.location, f"'{what}' must be a whole number, not {node.value!r}"))
            return None
        return int(node.value)

    def word(self, node: Node, words: type[_Word], what: str) -> _Word | None:
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

    def word_list(self, node: Node, field: str, what: str) -> list[str] | None:
        """A non-empty list of snake_case ids (or one id), without repeats."""
        items = node.value if node.is_list else [node]
        if not items:
            self.errors.append(SchemaError(node.location, f"'{field}' takes a non-empty list of {what}s"))
            return None
        result: list[str] = []
        for item in items:
            word = self.identifier(item, what)
            if word is None:
                return None
            if word not in result:
                result.append(word)
        return result

    def identifier(self, node: Node, what: str) -> str | None:
        """A snake_case id (:data:`IDENTIFIER`)."""
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
