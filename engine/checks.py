"""Reading ``checks.yaml``, the settings of ``orderdoctor kb check``, into a :class:`~.lint.LintConfig`.

The file is optional. It names the facts whose combinations the gap check walks (``gaps:
facts:``, choice and boolean facts) and the warnings an author looked at and explained
(``explained:``, each a check, a subject and a reason). Every problem is reported located, with a
did-you-mean for unknown checks and facts (:class:`~.reader.YamlReader`,
:class:`~.ruleloader.RuleReader`). The checks themselves are :mod:`.lint`'s, imported only when a
file is read, so that importing this module stays cheap.
"""

from __future__ import annotations

import os
from dataclasses import replace

from .errors import SchemaError, WrongTypeError, suggest
from .location import Location, display_path
from .model import FactType

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from .lint import Explained, LintConfig
    from .model import KnowledgeBase
    from .reader import YamlReader
    from .ruleloader import RuleReader
    from .yamlfile import Node

__all__ = ["load_lint_config"]


def load_lint_config(kb: KnowledgeBase) -> LintConfig:
    """Read ``checks.yaml`` of ``kb`` (optional): the gap facts and the explained warnings."""
    from .lint import LintConfig
    from .reader import YamlReader
    from .ruleloader import RuleReader

    file = kb.root / "checks.yaml"
    if not os.path.lexists(file):
        return LintConfig()
    reader = YamlReader()
    refs = RuleReader.of(kb, reader, advice=False)
    document = reader.parse(file)
    config = LintConfig(location=Location(display_path(file)))
    if document is not None:
        fields = reader.fields(document, "checks file", (), ("gaps", "explained"))
        if fields is not None:
            config = _ChecksReader(reader, refs).config(fields, config.location)
    reader.raise_errors()
    if config.gap_facts:
        config = replace(config, value_locations=_value_locations(reader, kb, config.gap_facts))
    return config


def _value_locations(reader: YamlReader, kb: KnowledgeBase, names: tuple[str, ...]) -> dict[str, Location]:
    """``fact=value`` → where facts.yaml declares the value, for the gap facts' choice values (the
    model keeps one location per fact)."""
    document = reader.parse(kb.root / "facts.yaml")
    found: dict[str, Location] = {}
    for item in document.value if document is not None and document.is_list else []:
        name = item.value.get("name") if item.is_mapping else None
        values = item.value.get("values") if item.is_mapping else None
        if name is None or name.value not in names or values is None:
            continue
        if values.is_mapping:  # value: help text
            for value, location in values.key_locations.items():
                found[f"{name.value}={value}"] = location
        elif values.is_list:  # [a, b, c]
            for node in values.value:
                found[f"{name.value}={node.value}"] = node.location
    reader.errors.clear()
    return found


class _ChecksReader:
    """The sections of a checks file."""

    def __init__(self, reader: YamlReader, refs: RuleReader) -> None:
        self.reader = reader
        self.refs = refs

    def config(self, fields: dict[str, Node], location: Location) -> LintConfig:
        from .lint import LintConfig

        gap_facts = self._gap_facts(fields["gaps"]) if "gaps" in fields else []
        explained = self._explained(fields["explained"]) if "explained" in fields else []
        where = fields["gaps"].location if "gaps" in fields else location  # gaps no value explains
        return LintConfig(tuple(gap_facts), tuple(explained), where)

    def _gap_facts(self, node: Node) -> list[str]:
        gaps = self.reader.fields(node, "gaps section", ("facts",), ())
        if gaps is None:
            return []
        gap_facts: list[str] = []
        names = self.reader.word_list(gaps["facts"], "facts", "fact name") or []
        for name in names:
            fact = self.refs.lookup_fact(name, gaps["facts"].location)
            if fact is not None and fact.type is FactType.INTEGER:
                message = f"gap checks combine choice and boolean facts; '{name}' is an integer"
                self.reader.errors.append(WrongTypeError(gaps["facts"].location, message))
            elif fact is not None:
                gap_facts.append(name)
        return gap_facts

    def _explained(self, node: Node) -> list[Explained]:
        result: list[Explained] = []
        for item in node.value if node.is_list else []:
            explained = self._explained_warning(item)
            if explained is not None:
                result.append(explained)
        return result

    def _explained_warning(self, item: Node) -> Explained | None:
        from .lint import CHECKS, Explained

        entry = self.reader.fields(item, "explained warning", ("check", "subject", "reason"), ())
        if entry is None:
            return None
        check = self.reader.text(entry["check"], "check")
        if check is not None and check not in CHECKS:
            self.reader.errors.append(
                SchemaError(
                    entry["check"].location,
                    f"unknown check '{check}' (checks: {', '.join(CHECKS)})",
                    name=check,
                    suggestion=suggest(check, CHECKS),
                )
            )
            return None
        subject = self.reader.text(entry["subject"], "subject")
        reason = self.reader.text(entry["reason"], "reason")
        if check is None or subject is None or reason is None:
            return None
        return Explained(check, subject, reason, item.location)
