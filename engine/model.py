"""The knowledge base as immutable data: facts, advice, sources, conditions and rules.

Everything here is a frozen dataclass built by the loader; nothing here reads
files or runs rules. A fact value is a ``str`` (choice), an ``int`` (integer)
or a ``bool`` (boolean).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from .location import Location
from .records import frozen

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from typing import NoReturn

    from .graph import RuleGraph
    from .operators import Operator

__all__ = [
    "Advice",
    "AdviceKind",
    "AllOf",
    "AnyOf",
    "Choice",
    "Comparison",
    "Condition",
    "Deadline",
    "Fact",
    "FactType",
    "KnowledgeBase",
    "Not",
    "Operator",
    "Rule",
    "Source",
    "Value",
    "comparisons_in",
    "facts_in",
    "never",
]


def __getattr__(name: str) -> object:
    """``Operator`` lives in :mod:`.operators` (one object per operator, one file each); it is
    found here too, imported on first use, since the operators build on this module."""
    if name == "Operator":
        from .operators import Operator

        return Operator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

Value = str | int | bool

#: Where a condition made in memory (not read from a file) is said to be written.
_MEMORY = Location("<memory>")


class FactType(str, enum.Enum):
    """The three kinds of fact value."""

    CHOICE = "choice"
    INTEGER = "integer"
    BOOLEAN = "boolean"


@frozen()
class Choice:
    """One allowed value of a choice fact, with the help text shown to the user."""

    value: str
    help: str = ""

    def __init__(self, value: str, help: str = "") -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["value"] = value
        attributes["help"] = help


@frozen()
class Fact:
    """A declared fact: what it means, what values it takes, how it is asked.

    A fact with a ``question`` is *askable*; a ``derived`` fact is concluded by
    rules and may not be given by the user.
    """

    name: str
    type: FactType
    description: str
    location: Location
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    derived: bool = False
    question: str | None = None
    help: str | None = None

    def __init__(
        self,
        name: str,
        type: FactType,
        description: str,
        location: Location,
        choices: tuple[Choice, ...] = (),
        minimum: int | None = None,
        maximum: int | None = None,
        derived: bool = False,
        question: str | None = None,
        help: str | None = None,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["name"] = name
        attributes["type"] = type
        attributes["description"] = description
        attributes["location"] = location
        attributes["choices"] = choices
        attributes["minimum"] = minimum
        attributes["maximum"] = maximum
        attributes["derived"] = derived
        attributes["question"] = question
        attributes["help"] = help

    @cached_property
    def values(self) -> tuple[str, ...]:
        """The allowed values of a choice fact, in declaration order (worked out once)."""
        return tuple(choice.value for choice in self.choices)

    @property
    def askable(self) -> bool:
        return self.question is not None and not self.derived

    def choice(self, value: str) -> Choice | None:
        for choice in self.choices:
            if choice.value == value:
                return choice
        return None

    def describe_domain(self) -> str:
        """The allowed values in words, for error messages."""
        if self.type is FactType.CHOICE:
            return "one of " + ", ".join(self.values)
        if self.type is FactType.BOOLEAN:
            return "true or false"
        low = "" if self.minimum is None else f" >= {self.minimum}"
        high = "" if self.maximum is None else f" <= {self.maximum}"
        joined = " and".join(part for part in (low, high) if part)
        return "a whole number" + joined


class AdviceKind(str, enum.Enum):
    """What kind of advice an item is; warnings are read first, info last."""

    WARNING = "warning"
    ACTION = "action"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _KIND_RANK[self]


_KIND_RANK = {AdviceKind.WARNING: 0, AdviceKind.ACTION: 1, AdviceKind.INFO: 2}


@frozen()
class Deadline:
    """When advice must be acted on: ``offset`` days after the value of the integer fact
    ``fact`` (a countdown in days), counted from the day of the consultation."""

    fact: str
    offset: int = 0

    def __init__(self, fact: str, offset: int = 0) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["fact"] = fact
        attributes["offset"] = offset


@frozen()
class Advice:
    """One item of the advice catalogue.

    ``replaces`` lists advice this item supersedes: when both are given in
    one consultation, the replaced ones are left out of the answer.
    ``incompatible_with`` lists advice that must never be shown with it
    (either direction counts). ``requires`` is the item's *contract*: a
    condition over given and derived facts that must not be known to fail
    whenever the item is shown. ``urgent_within`` marks an item that tells
    the buyer to act now: no deadline shown beside it may be more than that
    many days away. ``orderdoctor kb check`` proves all three statically,
    and every consultation checks them again (:mod:`.contracts`).
    """

    id: str
    kind: AdviceKind
    title: str
    text: str
    source: str
    location: Location
    replaces: tuple[str, ...] = ()
    deadline: Deadline | None = None
    incompatible_with: tuple[str, ...] = ()
    requires: Condition | None = None
    urgent_within: int | None = None

    def __init__(
        self,
        id: str,
        kind: AdviceKind,
        title: str,
        text: str,
        source: str,
        location: Location,
        replaces: tuple[str, ...] = (),
        deadline: Deadline | None = None,
        incompatible_with: tuple[str, ...] = (),
        requires: Condition | None = None,
        urgent_within: int | None = None,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["id"] = id
        attributes["kind"] = kind
        attributes["title"] = title
        attributes["text"] = text
        attributes["source"] = source
        attributes["location"] = location
        attributes["replaces"] = replaces
        attributes["deadline"] = deadline
        attributes["incompatible_with"] = incompatible_with
        attributes["requires"] = requires
        attributes["urgent_within"] = urgent_within


class SourceAuthority(str, enum.Enum):
    """How far a source can be trusted: AliExpress's own pages, a well-kept guide, or a forum."""

    OFFICIAL = "official"
    GUIDE = "guide"
    FORUM = "forum"


@frozen()
class Source:
    """An article or page the knowledge base takes its facts from, cited by short name
    (``file`` when a copy is kept with the project, ``url`` where it is published)."""

    id: str
    title: str
    location: Location
    file: str | None = None
    url: str | None = None
    authority: SourceAuthority | None = None

    def __init__(
        self,
        id: str,
        title: str,
        location: Location,
        file: str | None = None,
        url: str | None = None,
        authority: SourceAuthority | None = None,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["id"] = id
        attributes["title"] = title
        attributes["location"] = location
        attributes["file"] = file
        attributes["url"] = url
        attributes["authority"] = authority


@frozen()
class Comparison:
    """A test of one fact against a value (or a tuple of values: the operator says which shape)."""

    fact: str
    operator: Operator
    value: Value | tuple[Value, ...]
    location: Location = field(default=_MEMORY, compare=False)

    def __init__(
        self,
        fact: str,
        operator: Operator,
        value: Value | tuple[Value, ...],
        location: Location = _MEMORY,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["fact"] = fact
        attributes["operator"] = operator
        attributes["value"] = value
        attributes["location"] = location

    def __str__(self) -> str:
        return self.operator.show(self.fact, self.value)


@frozen()
class AllOf:
    """Holds when every one of its conditions holds."""

    conditions: tuple[Condition, ...]
    location: Location = field(default=_MEMORY, compare=False)

    def __init__(self, conditions: tuple[Condition, ...], location: Location = _MEMORY) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["conditions"] = conditions
        attributes["location"] = location


@frozen()
class AnyOf:
    """Holds when at least one of its conditions holds."""

    conditions: tuple[Condition, ...]
    location: Location = field(default=_MEMORY, compare=False)

    def __init__(self, conditions: tuple[Condition, ...], location: Location = _MEMORY) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["conditions"] = conditions
        attributes["location"] = location


@frozen()
class Not:
    """Holds when its condition is known to fail (an unknown fact decides nothing)."""

    condition: Condition
    location: Location = field(default=_MEMORY, compare=False)

    def __init__(self, condition: Condition, location: Location = _MEMORY) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["condition"] = condition
        attributes["location"] = location


Condition = Comparison | AllOf | AnyOf | Not


def never(value: NoReturn) -> NoReturn:
    """The end of a ``match`` over a closed set (condition kinds, fact types, domains, shapes):
    mypy reports a case left out, and at run time an unexpected value fails loudly instead of
    falling through (``typing.assert_never`` needs Python 3.11)."""
    raise AssertionError(f"unhandled case: {value!r}")


def comparisons_in(condition: Condition) -> Iterator[Comparison]:
    """Every comparison inside ``condition``, depth first, in written order."""
    return iter(_comparisons(condition, []))


def _comparisons(condition: Condition, found: list[Comparison]) -> list[Comparison]:
    """:func:`comparisons_in` into a list: no generator per level, and the kinds told apart by
    their exact class (conditions are not subclassed), since every start walks every rule."""
    kind = type(condition)
    if kind is Comparison:
        found.append(condition)  # type: ignore[arg-type]
    elif kind is AllOf or kind is AnyOf:
        for inner in condition.conditions:  # type: ignore[union-attr]
            _comparisons(inner, found)
    elif kind is Not:
        _comparisons(condition.condition, found)  # type: ignore[union-attr]
    else:  # pragma: no cover
        never(condition)  # type: ignore[arg-type]
    return found


def facts_in(condition: Condition) -> tuple[str, ...]:
    """The names of the facts ``condition`` reads, first mention first."""
    return tuple(dict.fromkeys([c.fact for c in _comparisons(condition, [])]))


@frozen()
class Rule:
    """A rule: when its condition holds it derives facts and gives advice.

    ``priority``: higher fires first and puts its advice higher; ``position`` is
    the rule's place in the whole knowledge base (files sorted by name),
    which breaks ties so that every run fires rules in the same order.
    """

    id: str
    description: str
    when: Condition
    derive: tuple[tuple[str, Value], ...]
    advise: tuple[str, ...]
    source: str
    location: Location
    priority: int = 0
    position: int = 0

    def __init__(
        self,
        id: str,
        description: str,
        when: Condition,
        derive: tuple[tuple[str, Value], ...],
        advise: tuple[str, ...],
        source: str,
        location: Location,
        priority: int = 0,
        position: int = 0,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["id"] = id
        attributes["description"] = description
        attributes["when"] = when
        attributes["derive"] = derive
        attributes["advise"] = advise
        attributes["source"] = source
        attributes["location"] = location
        attributes["priority"] = priority
        attributes["position"] = position

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """The facts the condition reads (worked out once)."""
        return facts_in(self.when)

    @property
    def derived_facts(self) -> Mapping[str, Value]:
        return MappingProxyType(dict(self.derive))


@frozen()
class KnowledgeBase:
    """A loaded, validated knowledge base.

    ``rules`` are in firing-preference order (priority, then position), which
    is also the order a consultation breaks ties in.
    """

    root: Path
    facts: Mapping[str, Fact]
    advice: Mapping[str, Advice]
    sources: Mapping[str, Source]
    rules: tuple[Rule, ...]
    graph: RuleGraph = field(compare=False, repr=False)

    def __init__(
        self,
        root: Path,
        facts: Mapping[str, Fact],
        advice: Mapping[str, Advice],
        sources: Mapping[str, Source],
        rules: tuple[Rule, ...],
        graph: RuleGraph,
    ) -> None:
        attributes = self.__dict__  # past the frozen __setattr__
        attributes["root"] = root
        attributes["facts"] = facts
        attributes["advice"] = advice
        attributes["sources"] = sources
        attributes["rules"] = rules
        attributes["graph"] = graph

    @classmethod
    def assemble(
        cls,
        root: Path | str,
        facts: Mapping[str, Fact],
        advice: Mapping[str, Advice],
        rules: Iterable[Rule],
        sources: Mapping[str, Source] | None = None,
    ) -> KnowledgeBase:
        """A knowledge base from its parts: rules put in firing order, the rule graph built."""
        from .graph import RuleGraph

        written = list(rules)  # the graph keeps the order the rules were written in
        ordered = tuple(sorted(written, key=lambda r: (-r.priority, r.position)))
        return cls(
            root=root,  # type: ignore[arg-type]
            facts=MappingProxyType(dict(facts)),
            advice=MappingProxyType(dict(advice)),
            sources=MappingProxyType(dict(sources or {})),
            rules=ordered,
            graph=RuleGraph(facts, written, advice),
        )

    def rule(self, rule_id: str) -> Rule:
        return self._rules_by_id[rule_id]

    @cached_property
    def _rules_by_id(self) -> Mapping[str, Rule]:
        return MappingProxyType({rule.id: rule for rule in self.rules})

    @property
    def askable_facts(self) -> tuple[Fact, ...]:
        return tuple(fact for fact in self.facts.values() if fact.askable)
