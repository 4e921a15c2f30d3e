"""Scenario cases: a story, the facts, and the advice that must (not) come out.

A case file (``kb/cases/*.yaml``) is a list of cases. :func:`load_cases` reads them, checked
against the knowledge base (every fact, value and advice id known; the generic field checks are
:class:`~.reader.YamlReader`'s, the references :class:`~.ruleloader.RuleReader`'s);
:func:`check_case` checks a case against a consultation's result and :func:`run_cases` runs them
all with coverage. The project's test suite runs every case of the shipped knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .consultation import ConsultationResult
from .errors import ConflictingDerivationError, SchemaError
from .location import Location
from .model import AdviceKind, FactType, Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from .model import Fact, KnowledgeBase
    from .reader import YamlReader
    from .ruleloader import RuleReader
    from .yamlfile import Node

__all__ = [
    "Case", "CaseOutcome", "CaseReport", "Coverage", "boundaries", "check_case", "load_cases", "measure_coverage",
    "run_cases",
]


@dataclass(frozen=True)
class Case:
    """One scenario: ``must`` advice ids appear, ``must_not`` ones do not, ``first``
    (when set) is the first action of the answer."""

    id: str
    story: str
    facts: Mapping[str, Value]
    must: tuple[str, ...]
    must_not: tuple[str, ...]
    location: Location
    first: str | None = None
    source: str | None = None  # "SOURCE-ID where": the source line the expectation rests on


@dataclass(frozen=True)
class CaseOutcome:
    """How a case came out: ``problems`` is empty when it passed."""

    case: Case
    result: ConsultationResult
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def check_case(case: Case, result: ConsultationResult) -> CaseOutcome:
    """Compare ``result`` with what ``case`` expects; a contract violation in the answer (see
    :mod:`.contracts`) fails the case too, whatever it expects."""
    given = result.advice_ids
    problems = [f"expected advice '{a}' is missing" for a in case.must if a not in given]
    problems += [f"advice '{a}' must not appear but does" for a in case.must_not if a in given]
    if case.first is not None:
        first = result.first_action.id if result.first_action else None
        if first != case.first:
            problems.append(f"first action is '{first}', expected '{case.first}'")
    problems += [f"knowledge base error: {violation.message}" for violation in result.violations]
    return CaseOutcome(case, result, tuple(problems))


@dataclass(frozen=True)
class Coverage:
    """What a set of cases exercised: rules fired, advice *shown* (given and neither replaced nor
    withheld), fact values given, and the integer boundaries given (:func:`boundaries`)."""

    rules: tuple[str, ...]
    rules_fired: tuple[str, ...]
    advice: tuple[str, ...]
    advice_reached: tuple[str, ...]  # shown in some case
    values: Mapping[str, tuple[str, ...]]
    values_given: Mapping[str, tuple[str, ...]]
    #: rules that fired and give advice, none of which was shown in any case that fired them
    rules_never_shown: tuple[str, ...] = ()
    bounds: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    bounds_given: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def rules_never_fired(self) -> tuple[str, ...]:
        return tuple(r for r in self.rules if r not in self.rules_fired)

    @property
    def advice_never_reached(self) -> tuple[str, ...]:
        return tuple(a for a in self.advice if a not in self.advice_reached)

    @property
    def rule_percent(self) -> float:
        return 100.0 * len(self.rules_fired) / len(self.rules) if self.rules else 100.0

    @property
    def advice_percent(self) -> float:
        return 100.0 * len(self.advice_reached) / len(self.advice) if self.advice else 100.0

    @property
    def value_percent(self) -> float:
        total = sum(len(v) for v in self.values.values())
        given = sum(len(v) for v in self.values_given.values())
        return 100.0 * given / total if total else 100.0

    @property
    def bounds_missing(self) -> tuple[str, ...]:
        """``fact=value`` for each integer boundary no case gives."""
        return tuple(
            f"{name}={value}" for name, values in self.bounds.items() for value in values
            if value not in self.bounds_given.get(name, ())
        )

    @property
    def bound_percent(self) -> float:
        total = sum(len(v) for v in self.bounds.values())
        return 100.0 * (total - len(self.bounds_missing)) / total if total else 100.0


def boundaries(kb: KnowledgeBase) -> dict[str, tuple[int, ...]]:
    """For each askable integer fact, the values where a rule's test on it changes outcome, and
    their neighbours: ``gte: 10`` gives 9 and 10, ``between: [3, 5]`` 2, 3, 5 and 6 — within the
    fact's ``min``/``max``."""
    from .model import comparisons_in

    found: dict[str, set[int]] = {}
    for rule in kb.rules:
        for comparison in comparisons_in(rule.when):
            fact = kb.facts[comparison.fact]
            if fact.type is not FactType.INTEGER or fact.derived:
                continue
            values = found.setdefault(fact.name, set())
            for low, high in comparison.operator.integers(comparison.value).ranges:
                values.update(int(v) for v in (low - 1, low, high, high + 1) if abs(v) != float("inf"))
    return {
        name: tuple(sorted(v for v in values if _within(kb.facts[name], v)))
        for name, values in sorted(found.items(), key=lambda item: list(kb.facts).index(item[0]))
    }


def _within(fact: Fact, value: int) -> bool:
    return (fact.minimum is None or value >= fact.minimum) and (fact.maximum is None or value <= fact.maximum)


def measure_coverage(kb: KnowledgeBase, outcomes: Iterable[CaseOutcome]) -> Coverage:
    """The coverage of the cases' outcomes: what fired, what was shown, which values were given."""
    fired: set[str] = set()
    shown: set[str] = set()
    rules_shown: set[str] = set()
    given: dict[str, set[Value]] = {}
    for outcome in outcomes:
        result = outcome.result
        ids = set(result.advice_ids)
        fired.update(result.fired_rules)
        shown.update(ids)
        rules_shown.update(step.rule.id for step in result.trace if ids.intersection(step.rule.advise))
        for name, value in outcome.case.facts.items():
            given.setdefault(name, set()).add(str(value) if kb.facts[name].type is FactType.CHOICE else value)
    choice_facts = [f for f in kb.facts.values() if f.type is FactType.CHOICE and not f.derived]
    bounds = boundaries(kb)
    return Coverage(
        rules=tuple(sorted(rule.id for rule in kb.rules)),
        rules_fired=tuple(sorted(fired)),
        advice=tuple(sorted(kb.advice)),
        advice_reached=tuple(sorted(shown)),
        values={f.name: f.values for f in choice_facts},
        values_given={f.name: _given(f.values, given, f.name) for f in choice_facts},
        rules_never_shown=tuple(sorted(r.id for r in kb.rules if r.advise and r.id in fired - rules_shown)),
        bounds=bounds,
        bounds_given={name: _given(values, given, name) for name, values in bounds.items()},
    )


def _given(values: tuple[Value, ...], given: Mapping[str, set[Value]], name: str) -> tuple[Any, ...]:
    return tuple(v for v in values if v in given.get(name, set()))


@dataclass(frozen=True)
class CaseReport:
    """The outcome of every case, and the coverage they reach together."""

    outcomes: tuple[CaseOutcome, ...]
    coverage: Coverage

    @property
    def failed(self) -> tuple[CaseOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.passed)


def run_cases(kb: KnowledgeBase, cases: Iterable[Case]) -> CaseReport:
    """Consult ``kb`` on every case, check each, and measure coverage."""
    from .inference import engine_for  # kept out of `import cases`: it loads the rule engine

    engine = engine_for(kb)
    outcomes = []
    for case in cases:
        try:
            result = engine.consult(case.facts)
            outcomes.append(check_case(case, result))
        except ConflictingDerivationError as conflict:  # a kb error: this case fails, the others run
            assert conflict.partial is not None  # what fired before the conflict: set by the consultation
            outcomes.append(CaseOutcome(case, conflict.partial, (f"knowledge base error: {conflict.message}",)))
    return CaseReport(tuple(outcomes), measure_coverage(kb, outcomes))


def load_cases(kb: KnowledgeBase, files: Iterable[Path | str] | None = None) -> tuple[Case, ...]:
    """Read scenario cases (default: ``cases/*.yaml`` of ``kb``), checked against ``kb``.

    Raises :class:`~.errors.KnowledgeBaseErrors` holding every problem found.
    """
    from .reader import YamlReader
    from .ruleloader import RuleReader

    reader = YamlReader()
    cases = _CaseReader(reader, RuleReader.of(kb, reader))
    paths = sorted((kb.root / "cases").glob("*.yaml")) if files is None else [Path(f) for f in files]
    result: list[Case] = []
    seen: dict[str, Location] = {}
    for file in paths:
        # files named on the command line may live anywhere; the folder's own may not link out
        for node in reader.entries(reader.parse(file, inside_only=files is None), file, "case"):
            raw_id = node.value.get("id") if node.is_mapping else None
            written_id = raw_id.value if raw_id is not None and isinstance(raw_id.value, str) else None
            if written_id is not None and not reader.first_definition(seen, "case id", written_id, node.location):
                continue
            case = cases.case(node)
            if case is not None:
                result.append(case)
    reader.raise_errors()
    return tuple(result)


class _CaseReader:
    """The fields of one case: its id, story, facts, expected advice and source."""

    def __init__(self, reader: YamlReader, refs: RuleReader) -> None:
        self.reader = reader
        self.refs = refs

    def case(self, node: Node) -> Case | None:
        fields = self.reader.fields(node, "case", ("id", "story", "facts"), ("must", "must_not", "first", "source"))
        if fields is None:
            return None
        case_id = self.reader.identifier(fields["id"], "case id")
        story = self.reader.text(fields["story"], "story")
        facts = self._facts(fields["facts"])
        must = self.refs.advice_refs(fields["must"]) if "must" in fields else []
        must_not = self.refs.advice_refs(fields["must_not"]) if "must_not" in fields else []
        first = self._first(fields["first"]) if "first" in fields else None
        self._check_not_both(fields, node)
        source = self._source(fields["source"]) if "source" in fields else None
        if case_id is None or story is None or facts is None or must is None or must_not is None:
            return None
        if ("first" in fields and first is None) or ("source" in fields and source is None):
            return None
        return Case(
            id=case_id,
            story=story,
            facts=MappingProxyType(facts),
            must=tuple(must),
            must_not=tuple(must_not),
            location=node.location,
            first=first,
            source=source,
        )

    def _first(self, node: Node) -> str | None:
        """``first``: the advice id of an action, the first the answer must give."""
        refs = self.refs.advice_refs(node)
        if not refs:
            return None
        if self.refs.advice and self.refs.advice[refs[0]].kind is not AdviceKind.ACTION:
            message = f"'first' names an action, and '{refs[0]}' is not one"
            self.reader.errors.append(SchemaError(node.location, message))
            return None
        return refs[0]

    def _check_not_both(self, fields: dict[str, Node], node: Node) -> None:
        """No advice id is both in ``must`` and in ``must_not``."""

        def written(key: str) -> list[str]:
            value = fields[key].value if key in fields else []
            items = value if isinstance(value, list) else [fields[key]]
            return [item.value for item in items if isinstance(item.value, str)]

        for both in sorted(set(written("must")) & set(written("must_not"))):
            message = f"advice '{both}' is both in 'must' and in 'must_not'"
            self.reader.errors.append(SchemaError(node.location, message))

    def _source(self, node: Node) -> str | None:
        """``source: SOURCE-ID [where, e.g. L108 or "editor's reply to comment 13"]``."""
        text = self.reader.text(node, "source")
        if text is None:
            return None
        first, _, _ = text.partition(" ")
        message = f"a case's source starts with a source id; unknown source '{first}'"
        return text if self.refs.known_source(first, node.location, message) else None

    def _facts(self, node: Node) -> dict[str, Value] | None:
        if not node.is_mapping:
            self.reader.errors.append(SchemaError(node.location, "'facts' takes a mapping of fact: value"))
            return None
        facts: dict[str, Value] = {}
        ok = True
        for name, value_node in node.value.items():
            fact = self.refs.lookup_fact(name, node.key_locations[name])
            if fact is None:
                ok = False
                continue
            if fact.derived:
                self.reader.errors.append(
                    SchemaError(node.key_locations[name], f"fact '{name}' is derived and cannot be given", name=name)
                )
                ok = False
                continue
            value = self.refs.value(fact, value_node, exact=True)
            if value is None:
                ok = False
                continue
            facts[name] = value
        return facts if ok else None
