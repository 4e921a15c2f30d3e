"""YAML text to a tree of :class:`Node` that remembers where every value was written.

Only plain data is accepted: mappings with string keys, lists, strings,
integers, floats, booleans and null. Any other tag (``!!python/object``,
``!!binary``...) is refused, nothing is ever constructed or executed, and
aliases that would blow up or loop are stopped. Parsing text is all this
module does: reading files is the loader's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import YamlSyntaxError
from .location import Location

__all__ = ["MAX_NODES", "Node", "parse_yaml"]

#: libyaml's parser when PyYAML was built with it (much faster), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The most nodes one document may expand to (aliases included).
MAX_NODES = 200_000

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


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


def _location(filename: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(filename)
    return Location(filename, mark.line + 1, mark.column + 1)


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

    def _scalar(self, node: ScalarNode, location: Location) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value  # a date written bare stays the text it is
        if node.tag not in _PLAIN_TAGS:
            raise YamlSyntaxError(
                location,
                f"YAML tag '{_short_tag(node.tag)}' is not allowed in knowledge-base files",
                name=node.tag,
            )
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise YamlSyntaxError(location, f"bad scalar {node.value!r}: {exc}") from None

    def _mapping(self, node: MappingNode, location: Location) -> Node:
        values: dict[str, Node] = {}
        keys: dict[str, Location] = {}
        for key_node, value_node in node.value:
            key_location = _location(self.filename, key_node.start_mark)
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSyntaxError(key_location, "merge keys ('<<') are not allowed")
            if not isinstance(key_node, ScalarNode):
                raise YamlSyntaxError(key_location, "a mapping key must be a plain word")
            key = self._scalar(key_node, key_location)
            if not isinstance(key, str):
                # `yes:` or `1:` as a key: keep the text as written.
                key = str(key_node.value)
            if key in values:
                raise YamlSyntaxError(
                    key_location,
                    f"duplicate key '{key}' (first at line {keys[key].line})",
                    name=key,
                )
            keys[key] = key_location
            values[key] = self.convert(value_node)
        return Node(values, location, keys)


def parse_yaml(text: str, filename: str) -> Node | None:
    """Parse one YAML document; None when the document is empty.

    Raises :class:`YamlSyntaxError` with the position of the problem.
    """
    try:
        documents = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(_location(filename, mark), f"YAML syntax: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(Location(filename), f"YAML syntax: {exc}") from None
    except RecursionError:
        raise YamlSyntaxError(Location(filename), "YAML nested too deeply") from None
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
