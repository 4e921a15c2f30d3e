"""YAML text to a tree of :class:`Node` that remembers where every value was written.

Only plain data is accepted: mappings with string keys, lists, strings,
integers, floats, booleans and null. Any other tag (``!!python/object``,
``!!binary``...) is refused, nothing is ever constructed or executed, and
aliases that would blow up or loop are stopped. Parsing text is all this
module does: reading files is the loader's job.

Integers are read as a person writes them: an optional sign and the digits 0-9, without a
leading zero, within ±2**53 (:data:`~orderdoctor.engine.facts.MAX_INTEGER`). The other forms
YAML 1.1 turns into numbers — ``010`` (octal 8), ``1:30`` (base 60: 90), ``0x1F``, ``0b101``,
``1_0`` — are refused with their line and column and what to write instead, never converted
silently. Every error has a line and column, control characters included.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from .errors import YamlSyntaxError
from .facts import MAX_INTEGER
from .location import Location, location_of

__all__ = ["MAX_DEPTH", "MAX_NODES", "Node", "parse_yaml"]

#: libyaml's parser when PyYAML was built with it (much faster), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The most nodes one document may expand to (aliases included).
MAX_NODES = 200_000
#: The deepest a document may nest lists and mappings (libyaml's composer recurses in C: about
#: 40,000 levels crash the process, so depth is measured on the event stream first).
MAX_DEPTH = 256

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
#: An integer as a person writes it: optional sign, ASCII digits, no leading zero.
_DECIMAL = re.compile(r"[+-]?(?:0|[1-9][0-9]*)", re.ASCII)


@dataclass(frozen=True, eq=False)
class Node:
    """One YAML value and where it starts.

    ``value`` is a plain scalar, a ``list`` of Nodes, or a ``dict`` from key
    to Node; for mappings ``key_locations`` tells where each key was written.
    """

    value: Any
    location: Location
    key_locations: dict[str, Location] = field(default_factory=dict)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, (dict, list))

    def plain(self) -> Any:
        """The value with all Nodes unwrapped into plain dicts and lists."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _location(filename: str, mark: yaml.Mark | yaml._yaml.Mark | None) -> Location:
    if mark is None:
        return Location(filename)
    return Location(filename, mark.line + 1, mark.column + 1)


def _shorten(text: str) -> str:
    """``text`` as shown in a message: long text cut, with its length."""
    return text if len(text) <= 30 else f"{text[:20]}… ({len(text)} characters)"


def _short_tag(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


class _Anchored:
    """What an anchor (``&name``) names: a scalar's tag, text and mark, or a list or mapping —
    open while its events are still coming, then its Node and how many values it expands to."""

    __slots__ = ("mark", "scalar", "node", "size", "open")

    def __init__(self, mark: Any, scalar: tuple[str, str, Any, Any] | None = None) -> None:
        self.mark = mark
        self.scalar = scalar  # (tag, text, start mark, event) of a scalar
        self.node: Node | None = None
        self.size = 0
        self.open = scalar is None


@functools.lru_cache(maxsize=4096)
def _plain_tag(text: str) -> str:
    """The tag YAML 1.1 resolves a plain (unquoted) scalar to: ``true`` → bool, ``12`` → int…"""
    return _RESOLVER.resolve(ScalarNode, text, (True, False))


_RESOLVER = Resolver()
_STR = "tag:yaml.org,2002:str"


class _Composer:
    """YAML events (libyaml's parser) to Nodes in one pass, without PyYAML's node graph.

    The errors are those of composing the document with PyYAML and then converting it, in the
    same order: nesting past :data:`MAX_DEPTH` (checked, as before, only when the text has more
    nesting marks than that), then syntax errors and undefined or duplicate anchors in the order
    they occur (a composing error waits for the rest of the text when depth is checked, as the
    depth check read all of it first), then a second document, then the first conversion error
    (a tag, a key, a number, more than :data:`MAX_NODES` values) in document order.
    """

    def __init__(self, filename: str, check_depth: bool) -> None:
        self.filename = filename
        self.check_depth = check_depth
        self.count = 0
        self.depth = 0
        self.documents = 0
        self.constructor = SafeConstructor()
        self.anchors: dict[str, _Anchored] = {}
        self.stack: list[list[Any]] = []  # [value, location, anchored, count at start, keys, key]
        self.root: Node | None = None
        self.failure: Exception | None = None  # the first conversion error
        self.composing: yaml.MarkedYAMLError | None = None  # a composing error, when depth is checked
        self.second: Location | None = None  # where a second document starts

    @property
    def building(self) -> bool:
        return self.failure is None and self.composing is None and self.documents == 1

    def compose(self, text: str) -> Node | None:
        loader = _LOADER(text)
        try:
            event = loader.get_event()
            while event is not None and event.__class__ is not yaml.StreamEndEvent:
                self.event(event)
                event = loader.get_event()
        finally:
            loader.dispose()
        if self.composing is not None:
            raise self.composing
        if self.second is not None:
            raise YamlSyntaxError(self.second, "only one YAML document per file ('---' starts a second one)")
        if self.failure is not None:
            raise self.failure
        return self.root

    def event(self, event: Any) -> None:
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            self.node_event(event)
            if self.building:
                self.catch(self.scalar_event, event)
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            self.depth += 1
            if self.check_depth and self.depth > MAX_DEPTH:
                raise YamlSyntaxError(self.location(event.start_mark), f"YAML nested more than {MAX_DEPTH} levels deep")
            self.node_event(event)
            if self.building:
                self.catch(self.start_event, event)
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            self.depth -= 1
            if self.building:
                self.catch(self.end_event, event)
        elif kind is yaml.AliasEvent:
            self.node_event(event)
            anchored = self.anchors.get(event.anchor)
            if anchored is None:
                self.fail_composing(ComposerError(None, None, "found undefined alias", event.start_mark))
            elif self.building:
                self.catch(self.alias_event, anchored)
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            self.anchors = {}

    def node_event(self, event: Any) -> None:
        """Bookkeeping every node's event needs: where a second document starts, its anchor."""
        if self.documents > 1 and self.second is None:
            self.second = self.location(event.start_mark)
        anchor = getattr(event, "anchor", None) if event.__class__ is not yaml.AliasEvent else None
        if anchor is None:
            return
        if anchor in self.anchors:
            first = self.anchors[anchor].mark
            self.fail_composing(
                ComposerError("found duplicate anchor; first occurrence", first, "second occurrence", event.start_mark)
            )
        scalar = None
        if event.__class__ is yaml.ScalarEvent:
            scalar = (self.tag(event), event.value, event.start_mark, event)
        self.anchors[anchor] = _Anchored(event.start_mark, scalar)

    def fail_composing(self, error: yaml.MarkedYAMLError) -> None:
        if not self.check_depth:
            raise error
        if self.composing is None:
            self.composing = error

    def catch(self, handle: Callable[[Any], None], argument: Any) -> None:
        try:
            handle(argument)
        except Exception as error:  # noqa: BLE001 - raised once the whole text has been read
            self.failure = error

    def location(self, mark: Any) -> Location:
        return Location(self.filename, mark.line + 1, mark.column + 1)

    @staticmethod
    def tag(event: Any) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            return _plain_tag(event.value) if event.implicit[0] else _STR
        return tag

    def wants_key(self) -> bool:
        return bool(self.stack) and self.stack[-1][4] is not None and self.stack[-1][5] is None

    def counted(self, location: Location, size: int = 1) -> None:
        self.count += size
        if self.count > MAX_NODES:
            raise YamlSyntaxError(location, f"document expands to more than {MAX_NODES} values (aliases?)")

    def scalar_event(self, event: Any) -> None:
        tag = self.tag(event)
        if self.wants_key():
            self.key(tag, event.value, event.start_mark)
            return
        location = self.location(event.start_mark)
        self.counted(location)
        self.attach(Node(self.scalar(tag, event, location), location))

    def start_event(self, event: Any) -> None:
        location = self.location(event.start_mark)
        if self.wants_key():
            raise YamlSyntaxError(location, "a mapping key must be a plain word")
        self.counted(location)
        mapping = event.__class__ is yaml.MappingStartEvent
        tag = event.tag
        if tag is None or tag == "!":
            tag = "tag:yaml.org,2002:map" if mapping else "tag:yaml.org,2002:seq"
        self.check_tag(tag, "tag:yaml.org,2002:map" if mapping else "tag:yaml.org,2002:seq", location)
        anchored = self.anchors[event.anchor] if event.anchor is not None else None
        self.stack.append([{} if mapping else [], location, anchored, self.count, {} if mapping else None, None])

    def end_event(self, event: Any) -> None:
        value, location, anchored, start, keys, _ = self.stack.pop()
        node = Node(value, location, keys) if keys is not None else Node(value, location)
        if anchored is not None:
            anchored.node, anchored.size, anchored.open = node, self.count - start + 1, False
        self.attach(node)

    def alias_event(self, anchored: _Anchored) -> None:
        location = self.location(anchored.mark)
        if anchored.scalar is not None:
            tag, text, mark, event = anchored.scalar
            if self.wants_key():
                self.key(tag, text, mark)
                return
            self.counted(location)
            self.attach(Node(self.scalar(tag, event, location), location))
            return
        if self.wants_key():
            raise YamlSyntaxError(location, "a mapping key must be a plain word")
        if anchored.open:
            self.counted(location)
            raise YamlSyntaxError(location, "an alias refers to a value that contains it")
        self.counted(location, anchored.size)
        self.attach(anchored.node)  # type: ignore[arg-type]

    def attach(self, node: Node) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        if frame[4] is None:
            frame[0].append(node)
        else:
            frame[0][frame[5]] = node
            frame[5] = None

    def key(self, tag: str, text: str, mark: Any) -> None:
        location = self.location(mark)
        if tag == "tag:yaml.org,2002:merge":
            raise YamlSyntaxError(location, "merge keys ('<<') are not allowed")
        self.check_scalar_tag(tag, location)
        key = str(text)  # `yes:`, `1:` or `010:` as a key: the text as written
        keys = self.stack[-1][4]
        if key in keys:
            raise YamlSyntaxError(location, f"duplicate key '{key}' (first at line {keys[key].line})", name=key)
        keys[key] = location
        self.stack[-1][5] = key

    def check_tag(self, tag: str, expected: str, location: Location) -> None:
        if tag != expected:
            raise YamlSyntaxError(
                location, f"YAML tag '{_short_tag(tag)}' is not allowed in knowledge-base files", name=tag
            )

    def check_scalar_tag(self, tag: str, location: Location) -> None:
        if tag not in _PLAIN_TAGS and tag != _TIMESTAMP:
            raise YamlSyntaxError(
                location, f"YAML tag '{_short_tag(tag)}' is not allowed in knowledge-base files", name=tag
            )

    def scalar(self, tag: str, event: Any, location: Location) -> Any:
        self.check_scalar_tag(tag, location)
        text = event.value
        if tag in (_STR, _TIMESTAMP):
            return text  # a date written bare stays the text it is
        node = ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        if tag == _INT:
            return self.integer(node, location)
        if tag == _FLOAT and ("_" in text or ":" in text):
            raise YamlSyntaxError(
                location,
                f"'{text}' is not a plain number (YAML 1.1 reads '_' and ':' in numbers); "
                f"write digits only, or quote it ('{text}') if it is text",
                name=text,
            )
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise YamlSyntaxError(location, f"bad scalar {text!r}: {exc}") from None

    def integer(self, node: ScalarNode, location: Location) -> int:
        """A plain decimal integer within ±MAX_INTEGER; any other integer form is an error."""
        text = node.value
        if _DECIMAL.fullmatch(text):
            if len(text) <= 20 and abs(int(text)) <= MAX_INTEGER:
                return int(text)
            raise YamlSyntaxError(
                location, f"number {_shorten(text)} is too large (at most {MAX_INTEGER:,} either way)", name=text[:30]
            )
        digits = text.replace("_", "")
        suggestion: str | None = None
        if len(digits) <= 20 and re.fullmatch(r"[+-]?[0-9]+", digits, re.ASCII):
            suggestion = str(int(digits))  # 010 → 10, 1_000 → 1000: the digits as written
        elif len(digits) <= 20 and re.fullmatch(r"[+-]?0[xXbB][0-9a-fA-F]+", digits, re.ASCII):
            suggestion = str(int(digits, 0))
        meaning = ""
        if len(text) <= 30:
            with contextlib.suppress(yaml.YAMLError, ValueError, OverflowError):
                meaning = f"YAML 1.1 reads it as {self.constructor.construct_object(node)}; "
        shown = _shorten(text)
        raise YamlSyntaxError(
            location,
            f"'{shown}' is not a plain whole number ({meaning}write it with the digits 0-9 and no "
            f"leading zero, or quote it ('{shown}') if it is text)",
            name=text[:30],
            suggestion=suggestion,
        )


def _nesting_marks(text: str) -> int:
    """How many marks could open a level of nesting. Only text with more than :data:`MAX_DEPTH`
    of them has its depth checked: without ``[``, ``{``, ``- `` or ``? `` each level needs its
    own indentation, so a file within the read limit cannot nest deeply enough to matter."""
    return text.count("[") + text.count("{") + text.count("- ") + text.count("? ")


#: YAML syntax errors that mis-indented lines cause (PyYAML's and libyaml's words).
_INDENTATION_PROBLEMS = (
    "mapping values are not allowed",
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block end>",
    "could not find expected ':'",
    "block sequence entries are not allowed",
)


def _syntax_error(text: str, filename: str, mark: Any, problem: str) -> tuple[Location, str]:
    """Where a YAML syntax error is and what it says, with the likely cause when one is clear: a tab
    (YAML indents with spaces only), a colon in unquoted text, or a line indented wrongly."""
    location = _location(filename, mark)
    if mark is None:
        return location, f"YAML syntax: {problem}"
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    # a tab on the line, or at the start of the line before (libyaml reports some on the next one)
    before = lines[mark.line - 1] if 0 < mark.line <= len(lines) else ""
    tab_column = line.find("\t") if "\t" in line[: mark.column + 2] else -1  # at, before or just after the mark
    if tab_column < 0 and "\t" in before[: len(before) - len(before.lstrip(" \t"))]:
        tab_column, location = before.find("\t"), Location(filename, mark.line, 1)
    elif tab_column >= 0:
        location = Location(filename, mark.line + 1, tab_column + 1)
    if tab_column >= 0 or "tab" in problem:
        return location, (
            f"YAML syntax: {problem}: a tab character; YAML allows only spaces here, replace it with spaces"
        )
    if not any(words in problem for words in _INDENTATION_PROBLEMS):
        return location, f"YAML syntax: {problem}"
    colon = line.find(": ")
    if "mapping values" in problem and 0 <= colon < mark.column - 1 and not line.lstrip().startswith("- "):
        return location, (
            f"YAML syntax: {problem}: text that contains ': ' must be in quotes (or check the indentation)"
        )
    return location, f"YAML syntax: {problem}; check the indentation of this line and the one before"


def parse_yaml(text: str, filename: str) -> Node | None:
    """Parse one YAML document; None when the document is empty.

    Raises :class:`YamlSyntaxError` with the position of the problem.
    """
    composer = _Composer(filename, _nesting_marks(text) > MAX_DEPTH)
    try:
        return composer.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        location, message = _syntax_error(text, filename, mark, problem)
        raise YamlSyntaxError(location, message) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: no mark, a position
        character = exc.character if isinstance(exc.character, int) else ord(exc.character or "?")
        raise YamlSyntaxError(
            location_of(text, exc.position, filename),
            f"character U+{character:04X} is not allowed in a YAML file ({exc.reason}); remove it",
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(Location(filename), f"YAML syntax: {exc}") from None
    except UnicodeError:  # a lone surrogate (text decoded with 'surrogateescape')
        bad = next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), 0)
        raise YamlSyntaxError(location_of(text, bad, filename), "not UTF-8 text") from None
