"""Reading ``review.yaml``, the settings of ``orderdoctor kb review``, into a :class:`~.review.ReviewConfig`.

The file is optional. It names the *deciding* facts the review varies (facts the buyer gives),
the situations *out of scope* (a condition on given facts, facts not given, or both, with a
reason) and the *explained* problems (a problem class and a condition or a row id, with a reason).
Every problem is reported located, with a did-you-mean for unknown facts, values and classes
(:class:`~.reader.YamlReader`, :class:`~.ruleloader.RuleReader`). The review itself is
:mod:`.review`'s.
"""

from __future__ import annotations

import os
import re

from .errors import DuplicateIdError, SchemaError, suggest
from .location import Location, display_path
from .reader import kind

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from .model import Condition, KnowledgeBase
    from .reader import YamlReader
    from .review import Explanation, OutOfScope, ReviewConfig
    from .ruleloader import RuleReader
    from .yamlfile import Node

__all__ = ["load_review_config"]

#: A row id as ``kb review`` prints it.
_ROW_ID = re.compile(r"^R-[0-9a-f]{8}$")


def load_review_config(kb: KnowledgeBase) -> ReviewConfig:
    """Read ``review.yaml`` of ``kb`` (optional): the deciding facts of ``orderdoctor kb review``,
    the situations out of scope, and the reviewed exceptions (:mod:`.review`).

    Without the file every fact is deciding. Raises :class:`~.errors.KnowledgeBaseErrors` with every
    problem found, each located, with a did-you-mean for unknown facts, values and classes.
    """
    from .reader import YamlReader
    from .review import ReviewConfig
    from .ruleloader import RuleReader

    file = kb.root / "review.yaml"
    if not os.path.lexists(file):
        return ReviewConfig()
    reader = YamlReader()
    refs = RuleReader.of(kb, reader)
    document = reader.parse(file)
    where = Location(display_path(file))
    config = ReviewConfig(location=where)
    if document is not None:
        fields = reader.fields(document, "review file", ("deciding",), ("out_of_scope", "explained"))
        if fields is not None:
            config = _ReviewReader(reader, refs).config(fields, where)
    reader.raise_errors()
    return config


class _ReviewReader:
    """The sections of a review file."""

    def __init__(self, reader: YamlReader, refs: RuleReader) -> None:
        self.reader = reader
        self.refs = refs
        self.errors = reader.errors

    def config(self, fields: dict[str, Node], where: Location) -> ReviewConfig:
        from .review import ReviewConfig

        deciding = self._given_facts(fields["deciding"], "deciding") or []
        out_of_scope = [
            entry
            for item in self._entries(fields.get("out_of_scope"), "out_of_scope")
            if (entry := self._out_of_scope(item)) is not None
        ]
        explained = [
            explanation
            for item in self._entries(fields.get("explained"), "explained")
            if (explanation := self._explained(item)) is not None
        ]
        return ReviewConfig(tuple(deciding), tuple(out_of_scope), tuple(explained), where)

    def _entries(self, node: Node | None, name: str) -> list[Node]:
        if node is None or node.value is None:
            return []
        if not node.is_list:
            self.errors.append(SchemaError(node.location, f"'{name}' takes a list of entries, each starting with '- '"))
            return []
        return list(node.value)

    # ---------------------------------------------------------- out of scope
    def _out_of_scope(self, item: Node) -> OutOfScope | None:
        from .review import OutOfScope

        entry = self.reader.fields(item, "out_of_scope entry", ("reason",), ("when", "not_given"))
        if entry is None:
            return None
        if "when" not in entry and "not_given" not in entry:
            message = "an out_of_scope entry needs 'when' (a condition), 'not_given' (facts), or both"
            self.errors.append(SchemaError(item.location, message))
            return None
        reason = self.reader.text(entry["reason"], "reason")
        when = self._given_condition(entry["when"]) if "when" in entry else None
        not_given = self._given_facts(entry["not_given"], "not_given") if "not_given" in entry else []
        if reason is None or ("when" in entry and when is None) or not_given is None:
            return None
        return OutOfScope(reason, item.location, when, tuple(not_given))

    def _given_condition(self, node: Node) -> Condition | None:
        """A condition that reads only facts the buyer gives (none derived)."""
        when = self.refs.condition(node)
        if when is None:
            return None
        from .model import comparisons_in

        for comparison in comparisons_in(when):
            fact = self.refs.facts.get(comparison.fact) if self.refs.facts else None
            if fact is not None and fact.derived:
                self.errors.append(
                    SchemaError(
                        comparison.location,
                        f"out_of_scope conditions read facts the buyer gives; '{fact.name}' is derived "
                        "(use 'explained' for situations judged on derived facts)",
                        name=fact.name,
                    )
                )
                return None
        return when

    def _given_facts(self, node: Node, field: str) -> list[str] | None:
        """A list of facts the buyer can give (not derived), each known, without repeats."""
        items = node.value if node.is_list else [node]
        result: list[str] = []
        ok = True
        for item in items:
            name = self._given_fact(item, field, result)
            if name is None:
                ok = False
            else:
                result.append(name)
        return result if ok else None

    def _given_fact(self, item: Node, field: str, listed: list[str]) -> str | None:
        if not isinstance(item.value, str):
            self.errors.append(SchemaError(item.location, f"'{field}' lists fact names, not {kind(item)}"))
            return None
        fact = self.refs.lookup_fact(item.value, item.location)
        if fact is None:
            return None
        if fact.derived:
            message = f"fact '{fact.name}' is derived: the review varies only facts the buyer gives"
            self.errors.append(SchemaError(item.location, message, name=fact.name))
            return None
        if fact.name in listed:
            message = f"fact '{fact.name}' is listed twice in '{field}'"
            self.errors.append(DuplicateIdError(item.location, message, name=fact.name))
            return None
        return fact.name

    # ------------------------------------------------------------- explained
    def _explained(self, item: Node) -> Explanation | None:
        from .review import Explanation

        entry = self.reader.fields(item, "explained problem", ("problem", "reason"), ("when", "row"))
        if entry is None:
            return None
        if ("when" in entry) == ("row" in entry):
            message = "an explained problem names either 'when' (a condition) or 'row' (a row id), not both"
            self.errors.append(SchemaError(item.location, message))
            return None
        problem = self._problem_class(entry["problem"])
        reason = self.reader.text(entry["reason"], "reason")
        when = self.refs.condition(entry["when"]) if "when" in entry else None
        row = self._row(entry["row"]) if "row" in entry else None
        if problem is None or reason is None or (when is None and row is None):
            return None
        return Explanation(problem, reason, item.location, when, row)

    def _problem_class(self, node: Node) -> str | None:
        from .review import PROBLEM_CLASSES

        problem = self.reader.text(node, "problem")
        if problem is not None and problem not in PROBLEM_CLASSES:
            self.errors.append(
                SchemaError(
                    node.location,
                    f"unknown problem class '{problem}' (classes: {', '.join(PROBLEM_CLASSES)})",
                    name=problem,
                    suggestion=suggest(problem, PROBLEM_CLASSES),
                )
            )
            return None
        return problem

    def _row(self, node: Node) -> str | None:
        row = self.reader.text(node, "row")
        if row is not None and not _ROW_ID.match(row):
            message = f"row id {row!r} must be 'R-' and 8 hex digits, as kb review prints it"
            self.errors.append(SchemaError(node.location, message, name=row))
            return None
        return row
