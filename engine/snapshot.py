"""A loaded knowledge base as plain JSON data, and back: the format of the load cache.

Loading the shipped knowledge base means importing PyYAML, parsing every file and checking every
rule — most of ``orderdoctor advise``'s start-up. The loader keeps a snapshot of each
knowledge base it loaded without errors (see :func:`orderdoctor.engine.loader.load_knowledge_base`)
and rebuilds the model from it while the files are unchanged.

A snapshot is data, never code: every value is a JSON scalar, list or object; model objects are
``{"$": class name, "f": [field values]}`` restricted to the model's own classes, enums
``{"$e": enum name, "v": value}``, mappings ``{"$m": {...}}`` and tuples lists. Anything else in
a snapshot is refused (:class:`SnapshotError`) and the loader reads the YAML files instead.
Locations inside the knowledge base folder are stored relative to it and shown relative to the
working directory of the process that reads the snapshot, as a fresh load would. The rule graph's
:class:`~orderdoctor.engine.graph.GraphIndex` (worked out by networkx) is stored beside the model
(``"graph"``), so that a cached load rebuilds it without importing networkx; a snapshot without
it (written before it was stored) is refused like a damaged one, and rewritten.

What keeps a snapshot honest is the loader's signature over the cache file (only this user's
secret can make one, see :func:`orderdoctor.engine.kbcache.read_cache`); this module adds that a
decoded snapshot is consistent — every advice id, fact and derived fact a rule names exists, every
class and field is the model's own — so that even a snapshot damaged before it was signed is
refused here instead of failing in the middle of a consultation.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from .graph import GraphIndex, RuleGraph, advice_node, fact_node, rule_node
from .location import Location, display_paths
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
    Rule,
    Source,
    comparisons_in,
)
from .operators import Operator, operator_named

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["FORMAT", "SnapshotError", "from_snapshot", "to_snapshot"]

#: Bumped whenever the model's classes or this format change.
FORMAT = 1

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (Advice, AllOf, AnyOf, Choice, Comparison, Deadline, Fact, Location, Not, Rule, Source)
}
#: Enums, and the operators (stored like an enum member: ``{"$e": "Operator", "v": "lt"}``).
_ENUMS: dict[str, Callable[[str], object]] = {
    **{cls.__name__: cls for cls in (AdviceKind, FactType, SourceAuthority)},
    "Operator": operator_named,
}
#: The types of the JSON values a snapshot stores as they are.
_PLAIN = frozenset((str, int, bool, type(None)))
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls) if f.init) for name, cls in _CLASSES.items()}


class SnapshotError(ValueError):
    """A snapshot that is not one this version wrote (the loader then reads the files)."""


def to_snapshot(kb: KnowledgeBase) -> dict[str, Any]:
    """``kb`` as JSON-ready data (rules in the order they were written)."""
    root = os.path.abspath(kb.root)
    files: dict[str, int] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, enum.Enum):  # before str: the model's enums are str enums
            return {"$e": type(value).__name__, "v": value.value}
        if isinstance(value, Operator):
            return {"$e": "Operator", "v": value.name}
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, Location):
            return {"$l": [place(value.file), value.line, value.column]}
        if isinstance(value, tuple):
            return [encode(item) for item in value]
        if isinstance(value, Mapping):
            return {"$m": {key: encode(item) for key, item in value.items()}}
        name = type(value).__name__
        if _CLASSES.get(name) is type(value):
            return {"$": name, "f": [encode(getattr(value, field)) for field in _FIELDS[name]]}
        raise SnapshotError(f"cannot store a {name} in a snapshot")

    def place(file: str) -> Any:
        """A location's file: kept relative to the kb folder when it lies inside it."""
        if file not in files:
            absolute = os.path.abspath(file)
            inside = os.path.isfile(absolute) and os.path.commonpath([absolute, root]) == root
            files[file] = len(files)
            table.append({"kb": os.path.relpath(absolute, root)} if inside else {"text": file})
        return files[file]

    table: list[dict[str, str]] = []
    written = sorted(kb.rules, key=lambda rule: rule.position)
    body = {
        "facts": encode(kb.facts),
        "advice": encode(kb.advice),
        "sources": encode(kb.sources),
        "rules": [encode(rule) for rule in written],
        "graph": kb.graph.index.to_json(),
    }
    return {"format": FORMAT, "files": table, **body}


def from_snapshot(data: Any, root: Path) -> KnowledgeBase:
    """The knowledge base in folder ``root`` from its snapshot; raises :class:`SnapshotError`."""
    try:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SnapshotError("not a snapshot of this format")
        shown = _file_labels(data["files"], root)

        def decode(value: Any) -> Any:
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:  # the most common first
                return value
            if kind is list:
                return tuple([item if type(item) in _PLAIN else decode(item) for item in value])
            if kind is not dict:
                raise SnapshotError(f"unexpected {kind.__name__} in a snapshot")
            if "$" in value:
                name, fields = value["$"], value["f"]
                if type(fields) is not list or len(fields) != len(_FIELDS[name]):
                    raise SnapshotError(f"a {name} with the wrong fields")
                # positional, in field order; a plain field is taken as it is without a call (most are)
                return _CLASSES[name](*[item if type(item) in _PLAIN else decode(item) for item in fields])
            if "$l" in value:
                file, line, column = value["$l"]
                return Location(shown[file], line, column)
            if "$e" in value:
                return _ENUMS[value["$e"]](value["v"])
            if "$m" in value:
                return {key: decode(item) for key, item in value["$m"].items()}
            raise SnapshotError("unexpected object in a snapshot")

        facts, advice = decode(data["facts"]), decode(data["advice"])
        rules = [decode(rule) for rule in data["rules"]]
        _check_references(facts, advice, rules)
        index = GraphIndex.from_json(data["graph"])
        nodes = [*map(fact_node, facts), *map(advice_node, advice), *(rule_node(rule.id) for rule in rules)]
        if index.nodes != frozenset(nodes):
            raise SnapshotError("the graph index is not the knowledge base's")
        kb = KnowledgeBase.assemble(root, facts, advice, rules, decode(data["sources"]))
        return dataclasses.replace(kb, graph=RuleGraph(facts, rules, advice, index=index))
    except SnapshotError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, RecursionError) as exc:
        raise SnapshotError(f"damaged snapshot: {type(exc).__name__}: {exc}") from None


def _check_references(facts: Any, advice: Any, rules: list[Any]) -> None:
    """Every name the rules and advice use is defined, with the model's classes throughout."""
    if not (isinstance(facts, dict) and isinstance(advice, dict)):
        raise SnapshotError("facts and advice must be mappings")
    if not all(isinstance(f, Fact) for f in facts.values()) or not all(isinstance(a, Advice) for a in advice.values()):
        raise SnapshotError("facts and advice of the wrong class")
    for item in advice.values():
        if not set(item.replaces) | set(item.incompatible_with) <= advice.keys():
            raise SnapshotError(f"advice '{item.id}' names unknown advice")
        if item.deadline is not None and item.deadline.fact not in facts:
            raise SnapshotError(f"advice '{item.id}' counts from an unknown fact")
    for rule in rules:
        if not isinstance(rule, Rule) or not isinstance(rule.when, Condition):
            raise SnapshotError("a rule of the wrong class")
        names = [c.fact for c in comparisons_in(rule.when)] + [name for name, _ in rule.derive]
        if not set(rule.advise) <= advice.keys() or not set(names) <= facts.keys():
            raise SnapshotError(f"rule '{rule.id}' names unknown advice or facts")


def _file_labels(entries: Any, root: Path) -> list[str]:
    """How each file of the snapshot's table is shown (kb files relative to the working directory)."""
    labels: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("kb"), str):
            labels.append(root / entry["kb"])
        elif isinstance(entry, dict) and isinstance(entry.get("text"), str):
            labels.append(None)
        else:
            raise SnapshotError("damaged file table")
    shown = iter(display_paths([label for label in labels if label is not None]))
    return [next(shown) if label is not None else entry["text"] for label, entry in zip(labels, entries, strict=True)]
