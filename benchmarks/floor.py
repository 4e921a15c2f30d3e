"""The compiled-Python floor: the same semantics as orderdoctor with no engine at all.

What a consultation minimally costs in Python with the same output as ``advise --json``
(``ConsultationResult.to_json()``): the same validation of the given facts, every rule's condition
compiled to Python *source* once (three-valued: a test on an unknown fact never holds, ``not``
pushed inwards), an indexed agenda, and a lean builder of the same ordered advice, replacements,
contract checks, facts and trace.

The agenda is the documented one: every rule is tested once on the given facts (indexed: only
the rules whose entry fact — one fact they need known — was given); a derived fact
re-tests only the not-yet-activated rules that read it (a rule reading no derived fact is thus
tested exactly once); the next rule to fire is the first activated one in the knowledge base's
order (priority, then position). Facts are only ever added, so an activated rule stays activated.

:class:`Floor` is a benchmark peer (``advise`` returns the same dict as ``to_json()``);
:class:`LeanResult` (validation and result building) is shared with the CLIPS and experta peers,
so that they return the same complete answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from heapq import heapify, heappop, heappush
from typing import Any

from orderdoctor.engine import KnowledgeBase
from orderdoctor.engine.consultation import _BUILT_IN_NOTHING_APPLIES, NOTHING_APPLIES
from orderdoctor.engine.contracts import Violation
from orderdoctor.engine.facts import MAX_INTEGER, convert_text
from orderdoctor.engine.model import AllOf, Comparison, Condition, FactType, Not

FactsError = ValueError


class PeerConflict(Exception):
    """A rule derived a value for a fact that already has another (orderdoctor raises too)."""


def _test_source(op: str, value_expr: str, const: str) -> str:
    """Python source testing a known value against a constant, for an operator by kb keyword."""
    simple = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "in", "not_in": "not in"}
    if op in simple:
        return f"{value_expr} {simple[op]} {const}"
    raise ValueError(f"the floor does not know operator {op!r}")


class _SourceWriter:
    """Conditions as Python expressions over ``f`` (the known facts), constants hoisted."""

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {}

    def constant(self, value: Any) -> str:
        if isinstance(value, tuple):
            value = frozenset(value) if all(not isinstance(v, (list, tuple)) for v in value) else value
        if isinstance(value, (str, int, bool)):
            return repr(value)
        name = f"K{len(self.constants)}"
        self.constants[name] = value
        return name

    def expression(self, condition: Condition, holds: bool = True) -> str:
        if isinstance(condition, Comparison):
            op = condition.operator.name
            expected = condition.value
            if op in ("between", "not_between"):
                low, high = expected
                test = f"{low!r} <= f[{condition.fact!r}] <= {high!r}"
                return f"({condition.fact!r} in f and {'' if holds else 'not '}({test}))"
            const = self.constant(expected)
            if op == "eq" and holds:  # values are never None: one lookup
                return f"f.get({condition.fact!r}) == {const}"
            if op == "in" and holds:
                return f"f.get({condition.fact!r}) in {const}"
            test = _test_source(op, f"f[{condition.fact!r}]", const)
            return f"({condition.fact!r} in f and {'' if holds else 'not '}({test}))"
        if isinstance(condition, Not):
            return self.expression(condition.condition, not holds)
        parts = [self.expression(part, holds) for part in condition.conditions]  # type: ignore[union-attr]
        joiner = " and " if isinstance(condition, AllOf) == holds else " or "
        return "(" + joiner.join(parts) + ")"


def required(condition: Condition, holds: bool = True) -> frozenset[str]:
    """Facts that must be known for ``condition`` to hold (or, ``holds=False``, to fail)."""
    if isinstance(condition, Comparison):
        return frozenset((condition.fact,))
    if isinstance(condition, Not):
        return required(condition.condition, not holds)
    parts = [required(part, holds) for part in condition.conditions]  # type: ignore[union-attr]
    if not parts:
        return frozenset()
    if isinstance(condition, AllOf) == holds:
        return frozenset().union(*parts)
    return frozenset.intersection(*parts)


def compile_conditions(conditions: Sequence[tuple[Condition, bool]]) -> list[Callable[[Mapping[str, Any]], bool]]:
    """Each ``(condition, holds)`` as one Python function of the known facts, from generated source."""
    writer = _SourceWriter()
    lines = [f"def c{i}(f):\n    return {writer.expression(c, h)}\n" for i, (c, h) in enumerate(conditions)]
    namespace: dict[str, Any] = dict(writer.constants)
    exec(compile("".join(lines), "<orderdoctor floor>", "exec"), namespace)  # noqa: S102 - our own source
    return [namespace[f"c{i}"] for i in range(len(conditions))]


class LeanResult:
    """Validation and the ``to_json()`` answer, built as leanly as Python allows."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.order = {name: i for i, name in enumerate(kb.facts)}
        self.validators = {name: self._validator(fact) for name, fact in kb.facts.items() if not fact.derived}
        self.derived = frozenset(name for name, fact in kb.facts.items() if fact.derived)
        self.rules = kb.rules
        self.reads = [rule.reads for rule in kb.rules]
        catalogue = kb.advice
        self.static = {
            a.id: {"id": a.id, "kind": a.kind.value, "title": a.title, "text": a.text, "source": a.source}
            for a in catalogue.values()
        }
        self.advice = catalogue
        self.replaces = {a.id: a.replaces for a in catalogue.values() if a.replaces}
        # (key prefix for ranking) per rule and advice position
        self.keys = [
            [(catalogue[a].kind.rank, -rule.priority) for a in rule.advise] for rule in kb.rules
        ]
        requires = [(a.id, a.requires) for a in catalogue.values() if a.requires is not None]
        fails = compile_conditions([(condition, False) for _, condition in requires])
        self.contract_fails = {advice_id: test for (advice_id, _), test in zip(requires, fails, strict=True)}
        self.incompatible = {
            (a.id, b) for a in catalogue.values() for b in a.incompatible_with
        } | {(b, a.id) for a in catalogue.values() for b in a.incompatible_with}
        self.urgent = {a.id: a.urgent_within for a in catalogue.values() if a.urgent_within is not None}
        self.deadlines = {a.id: a.deadline for a in catalogue.values() if a.deadline is not None}
        nothing = catalogue.get(NOTHING_APPLIES, _BUILT_IN_NOTHING_APPLIES)
        self.nothing = {"id": nothing.id, "kind": nothing.kind.value, "title": nothing.title, "text": nothing.text,
                        "rule": None, "source": nothing.source, "deadline_days": None}

    @staticmethod
    def _validator(fact: Any) -> Callable[[Any], Any]:
        """The value itself when ``fact`` can take it; raises :data:`FactsError` otherwise."""
        if fact.type is FactType.CHOICE:
            allowed = frozenset(fact.values)

            def choice(value: Any) -> Any:
                if value.__class__ is str and value in allowed:
                    return value
                return _slow(fact, value)

            return choice
        if fact.type is FactType.BOOLEAN:
            return lambda value: value if value.__class__ is bool else _slow(fact, value)
        low = -MAX_INTEGER if fact.minimum is None else max(fact.minimum, -MAX_INTEGER)
        high = MAX_INTEGER if fact.maximum is None else min(fact.maximum, MAX_INTEGER)

        def integer(value: Any) -> Any:
            if value.__class__ is int and low <= value <= high:
                return value
            return _slow(fact, value)

        return integer

    def validate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The given facts checked (unknown or derived names, types, ranges, choices); None dropped."""
        validators = self.validators
        known = {}
        for name, value in given.items():
            check = validators.get(name)
            if check is None:
                raise FactsError(f"unknown or derived fact {name!r}")
            if value is not None:
                known[name] = check(value)
        return known

    def derive(self, fired: Sequence[int], given: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
        """The facts known after ``fired`` (rule indices, in firing order), and each derived fact's step."""
        facts = dict(given)
        steps: dict[str, int] = {}
        for step, index in enumerate(fired, 1):
            for name, value in self.rules[index].derive:
                if name in facts:
                    if facts[name] != value:
                        raise PeerConflict(name)
                    continue
                facts[name] = value
                steps[name] = step
        return facts, steps

    def answer(self, fired: Sequence[int], facts: Mapping[str, Any], steps: Mapping[str, int]) -> dict[str, Any]:
        """The same dict as ``ConsultationResult.to_json()``."""
        rules, reads = self.rules, self.reads
        trace = []
        best: dict[str, tuple[tuple[int, int, int, int], int]] = {}
        keys = self.keys
        for step, index in enumerate(fired, 1):
            rule = rules[index]
            matched, derived_by = {}, {}
            for name in reads[index]:
                if name in facts:
                    at = steps.get(name, 0)
                    if at < step:
                        matched[name] = facts[name]
                        if at:
                            derived_by[name] = rules[fired[at - 1]].id
            trace.append({"step": step, "rule": rule.id, "matched": matched, "derived_by": derived_by,
                          "derived": dict(rule.derive), "advised": list(rule.advise)})
            for position, advice_id in enumerate(rule.advise):
                key = (*keys[index][position], step, position)
                if advice_id not in best or key < best[advice_id][0]:
                    best[advice_id] = (key, step)
        ranked = sorted(best.items(), key=lambda item: item[1][0])
        replacer: dict[str, str] = {}
        for advice_id, _ in reversed(ranked):
            for replaced in self.replaces.get(advice_id, ()):
                replacer[replaced] = advice_id
        advice, replaced, violations, withheld = [], [], [], []
        for advice_id, (_, step) in ranked:
            giver = rules[fired[step - 1]].id
            if advice_id in replacer:
                replaced.append({"id": advice_id, "by": replacer[advice_id], "rule": giver})
                continue
            fails = self.contract_fails.get(advice_id)
            if fails is not None and fails(facts):
                withheld.append(Violation("contract", advice_id, giver).to_json())
                continue
            entry = dict(self.static[advice_id])
            entry["rule"] = giver
            entry["deadline_days"] = self._deadline(advice_id, facts)
            advice.append(entry)
        violations = withheld + self._clashes(advice) if (self.incompatible or self.urgent) else withheld
        order = self.order
        return {
            "advice": advice or [dict(self.nothing)],
            "facts": dict(sorted(facts.items(), key=lambda item: order[item[0]])),
            "trace": trace,
            "replaced": replaced,
            "violations": violations,
        }

    def _deadline(self, advice_id: str, facts: Mapping[str, Any]) -> int | None:
        deadline = self.deadlines.get(advice_id)
        if deadline is None:
            return None
        base = facts.get(deadline.fact)
        if base.__class__ is not int:
            return None
        days = base + deadline.offset
        return days if days >= 0 else None

    def _clashes(self, shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = []
        for i, first in enumerate(shown):
            for second in shown[i + 1:]:
                if (first["id"], second["id"]) in self.incompatible:
                    found.append(Violation("incompatible", first["id"], first["rule"], second["id"]).to_json())
        for entry in shown:
            within = self.urgent.get(entry["id"])
            if within is None:
                continue
            for other in shown:
                days = other["deadline_days"]
                if days is not None and days > within:
                    found.append(Violation("urgency", entry["id"], entry["rule"], other["id"], days).to_json())
        return found


def _slow(fact: Any, value: Any) -> Any:
    """Text converted as the command line's is (``"3"`` for a number), or the error."""
    if isinstance(value, str):
        converted = convert_text(fact, value)
        if converted.__class__ in (str, int, bool):
            return converted
    raise FactsError(f"bad value {value!r} for fact {fact.name!r}")


class Floor:
    """The floor peer: validation, compiled conditions, the indexed agenda, the lean answer."""

    name = "compiled Python (floor)"
    trace = True
    whole = True  # compared with the whole to_json()

    def __init__(self, kb: KnowledgeBase) -> None:
        self.lean = LeanResult(kb)
        self.tests = compile_conditions([(rule.when, True) for rule in kb.rules])
        derived = self.lean.derived
        readers: dict[str, list[int]] = {}
        for index, rule in enumerate(kb.rules):
            for name in rule.reads:
                if name in derived:
                    readers.setdefault(name, []).append(index)
        self.readers = {name: tuple(indices) for name, indices in readers.items()}
        self.derive = [rule.derive for rule in kb.rules]
        # The entry index: a rule that needs a derived fact cannot hold on the given facts alone
        # (its derived fact will re-test it); one that needs a given fact is tested only when that
        # fact is given; the rest are tested on every consultation.
        self.always: list[tuple[int, Any]] = []
        self.entry: dict[str, list[tuple[int, Any]]] = {}
        for index, rule in enumerate(kb.rules):
            needs = required(rule.when)
            if needs & derived:
                continue
            if needs:
                self.entry.setdefault(min(needs), []).append((index, self.tests[index]))
            else:
                self.always.append((index, self.tests[index]))

    def run(self, given: Mapping[str, Any]) -> tuple[list[int], dict[str, Any], dict[str, int]]:
        """The rules fired (indices, in order), the facts known after and each derived fact's step."""
        facts = self.lean.validate(given)
        tests, readers, derive = self.tests, self.readers, self.derive
        agenda = [index for index, test in self.always if test(facts)]
        entry = self.entry
        for name in facts:
            agenda += [index for index, test in entry.get(name, ()) if test(facts)]
        heapify(agenda)
        activated = set(agenda)
        fired: list[int] = []
        steps: dict[str, int] = {}
        while agenda:
            index = heappop(agenda)
            fired.append(index)
            new = []
            for name, value in derive[index]:
                if name in facts:
                    if facts[name] != value:
                        raise PeerConflict(name)
                    continue
                facts[name] = value
                steps[name] = len(fired)
                new.append(name)
            for name in new:
                for reader in readers.get(name, ()):
                    if reader not in activated and tests[reader](facts):
                        activated.add(reader)
                        heappush(agenda, reader)
        return fired, facts, steps

    def advise(self, given: Mapping[str, Any]) -> dict[str, Any]:
        fired, facts, steps = self.run(given)
        return self.lean.answer(fired, facts, steps)
