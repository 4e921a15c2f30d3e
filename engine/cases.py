"""Scenario cases: a story, the facts, and the advice that must (not) come out.

A case file (``kb/cases/*.yaml``) is a list of cases. :func:`load_cases` reads them, checked
against the knowledge base (every fact, value and advice id known; the generic field checks are
:class:`~.reader.YamlReader`'s, the references :class:`~.ruleloader.RuleReader`'s);
:func:`check_case` checks a case against a consultation's result and :func:`run_cases` runs them
all with coverage. The project's test suite runs every case of the shipped knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .consultation import ConsultationResult
from .errors import ConflictingDerivationError, SchemaError
from .location import Location
from .model import AdviceKind, FactType, Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from .model import KnowledgeBase
    from .reader import YamlReader
    from .ruleloader import RuleReader
    from .yamlfile import Node

__all__ = ["Case", "CaseOutcome", "CaseReport", "Coverage", "check_case", "load_cases", "run_cases"]


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
    """What a set of cases exercised: rules fired, advice reached, fact values given."""

    rules: tuple[str, ...]
    rules_fired: tuple[str, ...]
    advice: tuple[str, ...]
    advice_reached: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]]
    values_given: Mapping[str, tuple[str, ...]]

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
    fired: set[str] = set()
    reached: set[str] = set()
    given: dict[str, set[str]] = {}
    for case in cases:
        try:
            result = engine.consult(case.facts)
            outcomes.append(check_case(case, result))
        except ConflictingDerivationError as conflict:  # a kb error: this case fails, the others run
            assert conflict.partial is not None  # what fired before the conflict: set by the consultation
            result = conflict.partial
            outcomes.append(CaseOutcome(case, result, (f"knowledge base error: {conflict.message}",)))
        fired.update(result.fired_rules)
        reached.update(result.advice_ids)
        reached.update(r.entry.id for r in result.replaced)
        for name, value in case.facts.items():
            if kb.facts[name].type is FactType.CHOICE:
                given.setdefault(name, set()).add(str(value))
    choice_facts = [f for f in kb.facts.values() if f.type is FactType.CHOICE and not f.derived]
    coverage = Coverage(
        rules=tuple(sorted(rule.id for rule in kb.rules)),
        rules_fired=tuple(sorted(fired)),
        advice=tuple(sorted(kb.advice)),
        advice_reached=tuple(sorted(reached)),
        values={f.name: f.values for f in choice_facts},
        values_given={f.name: tuple(v for v in f.values if v in given.get(f.name, set())) for f in choice_facts},
    )
    return CaseReport(tuple(outcomes), coverage)


# ------------------------------------------------------------------ reading case files
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
