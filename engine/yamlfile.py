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
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

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


class _Converter:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.count = 0
        self.constructor = SafeConstructor()
        self.open: set[int] = set()

    def convert(self, node: yaml.Node) -> Node:
        self.count += 1
        location = _location(self.filename, node.start_mark)
        if self.count > MAX_NODES:
            raise YamlSyntaxError(
                location, f"document expands to more than {MAX_NODES} values (aliases?)"
            )
        if id(node) in self.open:
            raise YamlSyntaxError(location, "an alias refers to a value that contains it")
        if isinstance(node, ScalarNode):
            return Node(self._scalar(node, location), location)
        self.open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._check_tag(node, "tag:yaml.org,2002:seq", location)
                return Node([self.convert(item) for item in node.value], location)
            if isinstance(node, MappingNode):
                self._check_tag(node, "tag:yaml.org,2002:map", location)
                return self._mapping(node, location)
        finally:
            self.open.discard(id(node))
        raise YamlSyntaxError(location, "unsupported YAML node")  # pragma: no cover

    def _check_tag(self, node: yaml.Node, expected: str, location: Location) -> None:
        if node.tag != expected:
            raise YamlSyntaxError(
                location,
                f"YAML tag '{_short_tag(node.tag)}' is not allowed in knowledge-base files",
                name=node.tag,
            )

    def _check_scalar_tag(self, node: ScalarNode, location: Location) -> None:
        if node.tag not in _PLAIN_TAGS and node.tag != _TIMESTAMP:
            raise YamlSyntaxError(
                location,
                f"YAML tag '{_short_tag(node.tag)}' is not allowed in knowledge-base files",
                name=node.tag,
            )

    def _scalar(self, node: ScalarNode, location: Location) -> Any:
        self._check_scalar_tag(node, location)
        if node.tag == _TIMESTAMP:
            return node.value  # a date written bare stays the text it is
        if node.tag == _INT:
            return self._integer(node, location)
        if node.tag == _FLOAT and ("_" in node.value or ":" in node.value):
            raise YamlSyntaxError(
                location,
                f"'{node.value}' is not a plain number (YAML 1.1 reads '_' and ':' in numbers); "
                f"write digits only, or quote it ('{node.value}') if it is text",
                name=node.value,
            )
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise YamlSyntaxError(location, f"bad scalar {node.value!r}: {exc}") from None

    def _integer(self, node: ScalarNode, location: Location) -> int:
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

    def _mapping(self, node: MappingNode, location: Location) -> Node:
        values: dict[str, Node] = {}
        keys: dict[str, Location] = {}
        for key_node, value_node in node.value:
            key_location = _location(self.filename, key_node.start_mark)
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSyntaxError(key_location, "merge keys ('<<') are not allowed")
            if not isinstance(key_node, ScalarNode):
                raise YamlSyntaxError(key_location, "a mapping key must be a plain word")
            self._check_scalar_tag(key_node, key_location)
            key = str(key_node.value)  # `yes:`, `1:` or `010:` as a key: the text as written
            if key in values:
                raise YamlSyntaxError(
                    key_location,
                    f"duplicate key '{key}' (first at line {keys[key].line})",
                    name=key,
                )
            keys[key] = key_location
            values[key] = self.convert(value_node)
        return Node(values, location, keys)


def _check_depth(text: str, filename: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH` before it is composed.

    Only text with many nesting marks is scanned (ordinary files pay one count): without
    ``[``, ``{``, ``- `` or ``? `` each level needs its own indentation, so a file within the
    read limit cannot nest deeply enough to matter.
    """
    marks = text.count("[") + text.count("{") + text.count("- ") + text.count("? ")
    if marks <= MAX_DEPTH:
        return
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlSyntaxError(
                    _location(filename, event.start_mark), f"YAML nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


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
    try:
        _check_depth(text, filename)
        documents = list(yaml.compose_all(text, Loader=_LOADER))
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
    except RecursionError:
        raise YamlSyntaxError(Location(filename), "YAML nested too deeply") from None
    except UnicodeError:  # a lone surrogate (text decoded with 'surrogateescape')
        bad = next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), 0)
        raise YamlSyntaxError(location_of(text, bad, filename), "not UTF-8 text") from None
    documents = [d for d in documents if d is not None]
    if not documents:
        return None
    if len(documents) > 1:
        raise YamlSyntaxError(
            _location(filename, documents[1].start_mark),
            "only one YAML document per file ('---' starts a second one)",
        )
    try:
        return _Converter(filename).convert(documents[0])
    except RecursionError:
        raise YamlSyntaxError(
            _location(filename, documents[0].start_mark), "YAML nested too deeply"
        ) from None
