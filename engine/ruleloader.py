"""Reading what refers to a knowledge base's names: fact values, conditions, advice ids, rules.

:class:`RuleReader` knows the facts, advice items and sources a knowledge base defines (or the
loader has read so far) and checks every reference to them: an unknown fact, advice id or source
id is reported with a did-you-mean, unless the item is written but had errors of its own
(:attr:`RuleReader.unbuilt`: no cascade). On that it reads values of facts, conditions
(``all``/``any``/``not`` and fact tests with operators), rules and their conclusions. The
knowledge-base loader (:mod:`.loader`) uses it for rules and for the conditions of advice items;
cases (:mod:`.cases`) and the review settings (:mod:`.reviewconfig`) use it for theirs. The
generic field checks are :class:`~.reader.YamlReader`'s, whose error list this shares.
"""

from __future__ import annotations

import re

from .errors import (
    SchemaError,
    UndeclaredDerivationError,
    UnknownAdviceError,
    UnknownFactError,
    UnknownSourceError,
    ValueNotAllowedError,
    WrongTypeError,
    suggest,
)
from .facts import ValueProblem, check_value, is_integer
from .model import AllOf, AnyOf, Comparison, FactType, Not, Operator, Rule
from .operators import Shape
from .reader import kind

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .location import Location
    from .model import Advice, Condition, Fact, KnowledgeBase, Source, Value
    from .reader import YamlReader
    from .yamlfile import Node

__all__ = ["CONNECTIVES", "RULE_FIELDS", "THEN_FIELDS", "RuleReader"]

#: The keys that combine conditions.
CONNECTIVES = ("all", "any", "not")
_OPERATORS = {op.value: op for op in Operator}
#: The fields of a rule and of its ``then`` (required, optional); also in the JSON Schemas (:mod:`.schema`).
RULE_FIELDS = (("id", "description", "when", "then", "source"), ("priority",))
THEN_FIELDS = ((), ("derive", "advise"))


def _quoted(fact: Fact, value: object) -> str:
    """What to add when ``value`` is a number or boolean written in quotes ("10", "true")."""
    if not isinstance(value, str):
        return ""
    if fact.type is FactType.INTEGER and re.fullmatch(r"[+-]?(?:0|[1-9][0-9]{0,15})", value.strip(), re.ASCII):
        return f": remove the quotes (write {value.strip()})"
    if fact.type is FactType.BOOLEAN and value.strip() in ("true", "false"):
        return f": remove the quotes (write {value.strip()})"
    return ""


class RuleReader:
    """Checks references against the names a knowledge base defines; reads conditions and rules.

    ``facts``, ``advice`` and ``sources`` are None while unknown (a file missing or broken):
    references to them are then not checked. Errors go to ``reader.errors``.
    """

    def __init__(
        self,
        reader: YamlReader,
        *,
        facts: dict[str, Fact] | None = None,
        advice: dict[str, Advice] | None = None,
        sources: dict[str, Source] | None = None,
    ) -> None:
        self.reader = reader
        self.errors = reader.errors
        self.facts = facts
        self.advice = advice
        self.sources = sources
        #: ids of sources, facts and advice items that are written but had errors of their
        #: own: references to them are not reported again as unknown (no cascade)
        self.unbuilt: dict[str, set[str]] = {"sources.yaml": set(), "facts.yaml": set(), "advice.yaml": set()}
        #: choice values facts.yaml lists but refused (reserved, not snake_case), by fact: not
        #: reported again where a rule or case uses them
        self.unbuilt_values: dict[str, set[str]] = {}

    @classmethod
    def of(cls, kb: KnowledgeBase, reader: YamlReader, *, advice: bool = True) -> RuleReader:
        """A reader of references to ``kb``'s facts (and advice items), its sources unchecked."""
        return cls(reader, facts=dict(kb.facts), advice=dict(kb.advice) if advice else None)

    def note_refused_values(self, fact: str | None, values: Node | None, kept: set[str]) -> None:
        """Remember the values facts.yaml lists for ``fact`` but refused (:attr:`unbuilt_values`)."""
        if fact is not None and values is not None and (values.is_list or values.is_mapping):
            written = [str(v.value) for v in values.value] if values.is_list else list(values.value)
            refused = set(written) - kept
            if refused:
                self.unbuilt_values[fact] = refused

    # ------------------------------------------------------------ misplaced fields
    def misplaced(self, what: str) -> Callable[[str], str | None]:
        """For :meth:`~.reader.YamlReader.fields`: where an unknown key of a ``what`` (``rule``,
        ``then``, ``advice item``, ``deadline``) belongs, when it is a name that goes elsewhere."""
        from .loader import ADVICE_FIELDS, DEADLINE_FIELDS

        def fields_of(spec: tuple[tuple[str, ...], tuple[str, ...]]) -> tuple[str, ...]:
            return spec[0] + spec[1]

        conditions = {"rule": "when", "advice item": "requires"}
        inner = {"rule": ("then", fields_of(THEN_FIELDS)), "advice item": ("deadline", fields_of(DEADLINE_FIELDS))}
        outer = {"then": ("rule", fields_of(RULE_FIELDS)), "deadline": ("advice item", fields_of(ADVICE_FIELDS))}

        def where(key: str) -> str | None:
            if what in conditions and (key in CONNECTIVES or (self.facts is not None and key in self.facts)):
                word = "a condition" if key in CONNECTIVES else "a fact"
                return f"'{key}' is {word}, and conditions go under '{conditions[what]}'"
            if what in inner and key in inner[what][1]:
                return f"'{key}' goes under '{inner[what][0]}'"
            if what in outer and key in outer[what][1]:
                return f"'{key}' is a field of the {outer[what][0]}, not of its '{what}'"
            return None

        return where

    # ------------------------------------------------------------ references
    def lookup_fact(self, name: str, location: Location) -> Fact | None:
        """The fact ``name``; None (and an error, unless facts.yaml is broken) when unknown."""
        if self.facts is None:
            return None  # facts.yaml is broken; it has its own errors
        fact = self.facts.get(name)
        if fact is None and name not in self.unbuilt["facts.yaml"]:
            self.errors.append(
                UnknownFactError(
                    location,
                    f"unknown fact '{name}'",
                    name=name,
                    suggestion=suggest(name, list(self.facts) + list(CONNECTIVES)),
                )
            )
        return fact

    def source_ref(self, node: Node | None) -> str | None:
        """A rule's or advice item's ``source``: a source id when sources.yaml lists them."""
        if node is None:
            return None
        name = self.reader.text(node, "source")
        if name is None or self.sources is None:
            return name
        message = f"unknown source '{name}' (sources.yaml lists: {', '.join(self.sources)})"
        return name if self.known_source(name, node.location, message) else None

    def known_source(self, name: str, location: Location, message: str) -> bool:
        """Whether ``name`` is a source id; if it is not (and not one with errors of its own),
        report ``message`` with a did-you-mean."""
        if self.sources is None or name in self.sources:
            return True
        if name not in self.unbuilt["sources.yaml"]:
            self.errors.append(
                UnknownSourceError(location, message, name=name, suggestion=suggest(name, self.sources))
            )
        return False

    def advice_refs(self, node: Node) -> list[str] | None:
        """One advice id or a non-empty list of them, each known, without repeats."""
        items = node.value if node.is_list else [node]
        if node.is_list and not items:
            self.errors.append(SchemaError(node.location, "'advise' takes a non-empty list of advice ids"))
            return None
        result: list[str] = []
        ok = True
        for item in items:
            if not isinstance(item.value, str):
                self.errors.append(SchemaError(item.location, f"advice id must be text, not {kind(item)}"))
                ok = False
            elif not self._known_advice(item):
                ok = False
            elif item.value not in result:
                result.append(item.value)
        return result if ok else None

    def _known_advice(self, item: Node) -> bool:
        if self.advice is None or item.value in self.advice:
            return True
        if item.value in self.unbuilt["advice.yaml"]:  # the item has errors of its own
            return False
        self.errors.append(
            UnknownAdviceError(
                item.location,
                f"unknown advice id '{item.value}'",
                name=item.value,
                suggestion=suggest(item.value, self.advice),
            )
        )
        return False

    def check_advice_references(
        self, advice: dict[str, Advice], listed: Mapping[tuple[str, str, str], Location]
    ) -> None:
        """Every id an item replaces or is incompatible with exists (reported where ``listed`` says
        it is written), no item replaces itself, no circle of replacements."""
        unbuilt = self.unbuilt["advice.yaml"]
        for item in advice.values():
            for other in item.incompatible_with:
                if other not in advice and other not in unbuilt:
                    self.errors.append(
                        UnknownAdviceError(
                            listed.get((item.id, "incompatible_with", other), item.location),
                            f"advice '{item.id}' is incompatible with unknown advice id '{other}'",
                            name=other,
                            suggestion=suggest(other, advice),
                        )
                    )
            for other in item.replaces:
                if other in unbuilt:
                    continue
                if other not in advice:
                    self.errors.append(
                        UnknownAdviceError(
                            listed.get((item.id, "replaces", other), item.location),
                            f"advice '{item.id}' replaces unknown advice id '{other}'",
                            name=other,
                            suggestion=suggest(other, advice),
                        )
                    )
                elif other == item.id:
                    self.errors.append(SchemaError(item.location, f"advice '{item.id}' replaces itself"))
        self._check_replacement_circles(advice)

    def _check_replacement_circles(self, advice: dict[str, Advice]) -> None:
        from .graph import strongly_connected_components

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

    def value(self, fact: Fact, node: Node, *, exact: bool) -> Value | None:
        """Check ``node`` is a value ``fact`` can take (bounds only for exact tests)."""
        checked = check_value(fact, node.value)
        if not isinstance(checked, ValueProblem):
            return checked
        if checked.out_of_range and not exact:
            return node.value  # `gt: 1000` may lie outside the bounds; it simply never holds
        if checked.out_of_range and str(node.value) in self.unbuilt_values.get(fact.name, ()):
            return None  # a value facts.yaml lists but refused (its own error says why): no cascade
        cls = ValueNotAllowedError if checked.out_of_range else WrongTypeError
        message = checked.message + _quoted(fact, node.value)
        self.errors.append(cls(node.location, message, name=str(node.value), suggestion=checked.suggestion))
        return None

    # ------------------------------------------------------------ conditions
    def condition(self, node: Node) -> Condition | None:
        """A condition: ``all``/``any``/``not`` of conditions, or tests of facts."""
        if not node.is_mapping or not node.value:
            self.errors.append(
                SchemaError(
                    node.location,
                    "a condition must be a mapping such as 'order_status: shipped' "
                    "or 'all: [...]', not " + kind(node),
                )
            )
            return None
        keys = list(node.value)
        connectives = [k for k in keys if k in CONNECTIVES]
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
            return self._connective(node, connectives[0])
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

    def _connective(self, node: Node, key: str) -> Condition | None:
        inner = node.value[key]
        if key == "not":
            condition = self.condition(inner)
            return None if condition is None else Not(condition, node.key_locations[key])
        if not inner.is_list or not inner.value:
            self.errors.append(
                SchemaError(inner.location, f"'{key}' takes a non-empty list of conditions")
            )
            return None
        parts = [self.condition(item) for item in inner.value]
        present = [part for part in parts if part is not None]
        if len(present) < len(parts):
            return None
        cls = AllOf if key == "all" else AnyOf
        return cls(tuple(present), node.key_locations[key])

    def _fact_test(self, name: str, location: Location, node: Node) -> list[Comparison] | None:
        fact = self.lookup_fact(name, location)
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
        checked = [self.value(fact, item, exact=op.exact) for item in items]
        values = [v for v in checked if v is not None]
        if len(values) < len(checked):
            return None
        built = op.build(fact.name, values[0] if op.shape is Shape.SCALAR else tuple(values), location)
        if isinstance(built, str):
            self.errors.append(SchemaError(node.location, built))
            return None
        return built

    # ------------------------------------------------------------------ rules
    def rule(self, node: Node, order: int) -> Rule | None:
        """One rule of a rules file; ``order`` is its place among all rules."""
        fields = self.reader.fields(node, "rule", *RULE_FIELDS, misplaced=self.misplaced("rule"))
        if fields is None:
            return None
        rule_id = self.reader.identifier(fields["id"], "rule id")
        description = self.reader.text(fields["description"], "description")
        when = self.condition(fields["when"])
        derive, advise = self._conclusions(fields["then"])
        source = self.source_ref(fields["source"])
        priority = self._priority(fields["priority"]) if "priority" in fields else 0
        if rule_id is None or description is None or when is None or source is None:
            return None
        if derive is None or advise is None:
            return None
        return Rule(
            id=rule_id,
            description=description,
            when=when,
            derive=derive,
            advise=advise,
            source=source,
            location=node.location,
            priority=priority,
            position=order,
        )

    def _priority(self, node: Node) -> int:
        value = node.value
        if not is_integer(value) or abs(value) > 1000:
            self.errors.append(
                WrongTypeError(
                    node.location,
                    f"priority must be a whole number from -1000 to 1000, not {value!r}",
                )
            )
            return 0
        return int(value)

    def _conclusions(self, node: Node) -> tuple[tuple[tuple[str, Value], ...] | None, tuple[str, ...] | None]:
        fields = self.reader.fields(node, "rule's 'then'", *THEN_FIELDS, misplaced=self.misplaced("then"))
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
            advise = self.advice_refs(fields["advise"])
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
            fact = self.lookup_fact(name, location)
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
            value = self.value(fact, value_node, exact=True)
            if value is None:
                ok = False
                continue
            result.append((name, value))
        return result if ok else None
