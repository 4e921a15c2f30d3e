"""Question planning: which fact to ask next, and when to stop asking.

Given the answers so far (a value, or :data:`UNKNOWN` for "I don't know"),
the planner consults the knowledge base on what is known, then works out
which rules could still fire for *some* answers to the open questions:

* a fact is **known** (given, or derived by a rule that fired), **open**
  (askable and not asked yet; or derived and still derivable, with the
  values the rules that may still fire can give it), or **closed**
  (answered "unknown", or derived by no rule that may still fire);
* ``can_hold`` / ``can_fail`` say whether a condition may still come out
  holding / failing for some values of the open facts (sound: it never
  says "impossible" for something possible; it may say "possible" for a
  combination that cannot occur, which costs at most one extra question);
* a rule is **relevant** when it may still fire and would change the
  answer (give advice not given yet, or give it with a higher priority),
  or may derive a fact a relevant rule reads.

A countdown that the deadline of advice already given counts from is
asked last, so that each step can say by when.

Only askable, unanswered facts read by a relevant rule are worth asking;
when there are none the advice cannot change any more and the interview
stops. Questions are ranked by how many relevant rules an answer rules out on
average over its possible values, then by how many relevant rules read
the fact, then by the order of ``facts.yaml``.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .consultation import ConsultationResult
from .domains import CLOSED, Domain, Interval, Known, OneOf, can, derive, open_domain
from .graph import advice_node
from .model import AllOf, Condition, Fact, FactType, KnowledgeBase, Rule, Value, comparisons_in, facts_in, never

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from typing import Final

__all__ = ["UNKNOWN", "Unknown", "Answer", "Interval", "Question", "QuestionPlan", "plan", "sample_values"]

#: The planner's name for :func:`.domains.can` (kept for the tests that check the scoring).
_can = can


class Unknown:
    """The answer "I don't know": the fact was asked and stays unknown."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()
Answer = Value | Unknown


@dataclass(frozen=True)
class Reason:
    """A rule that needs the asked fact, and the advice it could lead to."""

    rule: Rule
    could_give: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """A fact worth asking, with the relevant rules that read it (and the advice
    whose deadline counts from it, when that is why it is asked)."""

    fact: Fact
    reasons: tuple[Reason, ...]
    score: float
    for_deadline: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionPlan:
    """The advice from what is known, and the questions still worth asking (best first)."""

    result: ConsultationResult
    questions: tuple[Question, ...]
    unknown: tuple[str, ...]

    @property
    def next(self) -> Question | None:
        return self.questions[0] if self.questions else None

    @property
    def settled(self) -> bool:
        """True when no answer to any open question can change the advice."""
        return not self.questions


class _Analysis:
    """Possibility analysis for one state of the interview: the domains of the facts (known,
    open, or closed), and those of the derived facts the rules that may still fire can give."""

    def __init__(self, kb: KnowledgeBase, result: ConsultationResult, answers: Mapping[str, Answer]) -> None:
        self.kb = kb
        self.fired = set(result.fired_rules)
        self.unfired = [rule for rule in kb.rules if rule.id not in self.fired]
        self.base: dict[str, Domain] = {}
        for name, fact in kb.facts.items():
            if name in result.facts:
                self.base[name] = Known(result.facts[name])
            elif fact.derived or answers.get(name) is UNKNOWN:
                self.base[name] = CLOSED
            else:
                self.base[name] = open_domain(fact)
        self.derivers = [rule for rule in self.unfired if rule.derive]
        self.deriver_reads = {name for rule in self.derivers for name in rule.reads}
        self._settled: dict[str, Domain] | None = None
        # overridden facts → (the derived facts downstream, the rules deriving them, those of
        # these rules that read an overridden or downstream fact)
        self._downstream: dict[frozenset[str], tuple[frozenset[str], list[Rule], dict[str, tuple[Condition, ...]]]] = {}
        self._settled_possible: dict[str, bool] = {}

    def domains(self, overrides: Mapping[str, Domain] | None = None) -> dict[str, Domain]:
        """The domains, with ``overrides`` (an answer tried) and the derived facts that may still
        be derived opened up (:func:`.domains.derive`)."""
        if not overrides:
            if self._settled is None:
                self._settled = derive(self.derivers, self.base)
            return self._settled
        if not (set(overrides) & self.deriver_reads):
            # no rule that derives anything reads these facts: the derived domains stay as they are
            return {**self.domains(), **overrides}
        return self._rederive(overrides)

    def _rederive(self, overrides: Mapping[str, Domain]) -> dict[str, Domain]:
        """What ``derive(self.derivers, {**self.base, **overrides})`` gives, worked out again only
        for the derived facts downstream of the overridden ones (:func:`_downstream`).

        A derived fact no rule reading an overridden or downstream fact derives keeps its settled
        domain; the downstream ones start again from their base domain and grow to the least
        fixpoint of the rules that may derive them. (:func:`.domains.can` only grows with the
        domains, so the fixpoint does not depend on the order it is reached in.)

        The overrides are answers tried: they narrow open domains (a value the fact may take), so
        every domain is now within its settled one, and a rule that may not fire on the settled
        domains may not fire now either (``can`` is sound, and exact on a known value): it is
        left out."""
        key = frozenset(overrides)
        entry = self._downstream.get(key)
        if entry is None:
            affected = _downstream(self.kb, key)
            derivers = [
                rule for rule in self.derivers
                if any(n in affected for n, _ in rule.derive) and self._settled_can(rule)
            ]
            changing = affected | key
            reread = self._rereading(derivers, tuple(changing))
            entry = self._downstream[key] = (affected, derivers, reread)
        affected, derivers, reread = entry
        result = {**self.domains(), **overrides}
        for name in affected:
            result[name] = self.base[name]
        found: dict[str, set[Value]] = {}
        fired: set[str] = set()
        waiting = derivers
        while waiting:
            grew: set[str] = set()
            for rule in waiting:
                if rule.id in fired:
                    continue
                parts = reread.get(rule.id)  # (the others may fire as they may on the settled domains)
                if parts is not None and not all(can(part, result) for part in parts):
                    continue
                fired.add(rule.id)  # (it stays possible: the domains only grow)
                for name, value in rule.derive:
                    if name not in affected or isinstance(result[name], Known):
                        continue
                    values = found.setdefault(name, set())
                    if value not in values:
                        values.add(value)
                        result[name] = OneOf(frozenset(values))
                        grew.add(name)
            # again: the rules not possible yet that read a fact whose domain grew
            waiting = [rule for rule in derivers if rule.id not in fired and not grew.isdisjoint(rule.reads)]
        return result

    def _rereading(self, derivers: list[Rule], changing: tuple[str, ...]) -> dict[str, tuple[Condition, ...]]:
        """The rules of ``derivers`` (each may fire on the settled domains) that read a
        ``changing`` fact → the parts of them to evaluate again (:meth:`_Tables.parts_to_check`)."""
        tables = _tables(self.kb)
        names = set(changing)
        return {rule.id: tables.parts_to_check(rule, changing) for rule in derivers if not names.isdisjoint(rule.reads)}

    def _settled_can(self, rule: Rule) -> bool:
        """``can(rule.when, self.domains())``, worked out once per rule."""
        possible = self._settled_possible.get(rule.id)
        if possible is None:
            possible = self._settled_possible[rule.id] = can(rule.when, self.domains())
        return possible

    def possible_rules(self, domains: Mapping[str, Domain]) -> list[Rule]:
        return [rule for rule in self.unfired if can(rule.when, domains)]


class _Tables:
    """What planning needs of one knowledge base that answers do not change, worked out once."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.samples: dict[str, tuple[Value, ...]] = {}
        self.downstream: dict[frozenset[str], frozenset[str]] = {}
        self.order = {name: i for i, name in enumerate(kb.facts)}
        self.deriving: dict[str, list[Rule]] = {}  # fact → the deriving rules that read it
        self.conjuncts: dict[str, dict[str, tuple[Condition, ...]]] = {}  # rule → fact → its parts reading it
        for rule in kb.rules:
            if rule.derive:
                for name in rule.reads:
                    self.deriving.setdefault(name, []).append(rule)


    def parts_to_check(self, rule: Rule, changed: tuple[str, ...]) -> tuple[Condition, ...]:
        """What decides ``can(rule.when, domains)`` for a rule that may fire on domains that
        differ from ``domains`` only in the ``changed`` facts: its top-level conditions (the parts
        of an ``all``, or the whole) that read one of them — the others hold as they did."""
        by_fact = self.conjuncts.get(rule.id)
        if by_fact is None:
            by_fact = self.conjuncts[rule.id] = _conjuncts_by_fact(rule.when)
        if len(changed) == 1:
            return by_fact.get(changed[0], ())
        return tuple(dict.fromkeys(part for name in changed for part in by_fact.get(name, ())))


def _conjuncts_by_fact(condition: Condition) -> dict[str, tuple[Condition, ...]]:
    """Each fact ``condition`` reads → the top-level parts of it (of an ``all``; else the whole)
    that read it, in order."""
    parts = condition.conditions if isinstance(condition, AllOf) else (condition,)
    found: dict[str, list[Condition]] = {}
    for part in parts:
        for name in facts_in(part):
            found.setdefault(name, []).append(part)
    return {name: tuple(listed) for name, listed in found.items()}


_TABLES: dict[int, _Tables] = {}


def _tables(kb: KnowledgeBase) -> _Tables:
    """The planning tables of ``kb`` (kept while ``kb`` lives)."""
    tables = _TABLES.get(id(kb))
    if tables is None:
        tables = _TABLES[id(kb)] = _Tables(kb)
        weakref.finalize(kb, _TABLES.pop, id(kb), None).atexit = False
    return tables


def _downstream(kb: KnowledgeBase, names: frozenset[str]) -> frozenset[str]:
    """The derived facts a rule reading one of ``names`` derives, and so on down the chains."""
    tables = _tables(kb)
    found = tables.downstream.get(names)
    if found is None:
        seen: set[str] = set()
        queue = list(names)
        while queue:
            for rule in tables.deriving.get(queue.pop(), ()):
                for name, _ in rule.derive:
                    if name not in seen:
                        seen.add(name)
                        queue.append(name)
        found = tables.downstream[names] = frozenset(seen)
    return found


def _samples(kb: KnowledgeBase, fact: Fact) -> tuple[Value, ...]:
    """:func:`sample_values`, worked out once per kb and fact."""
    tables = _tables(kb)
    found = tables.samples.get(fact.name)
    if found is None:
        found = tables.samples[fact.name] = tuple(sample_values(kb, fact))
    return found


def sample_values(kb: KnowledgeBase, fact: Fact) -> list[Value]:
    """Representative answers for ``fact``: every choice, both booleans, or the numbers
    around each threshold the rules compare it with."""
    match fact.type:
        case FactType.CHOICE:
            return list(fact.values)
        case FactType.BOOLEAN:
            return [True, False]
        case FactType.INTEGER:
            domain = open_domain(fact)
            assert isinstance(domain, Interval)
        case _:  # pragma: no cover
            never(fact.type)
    points: set[int] = set()
    for rule in kb.rules:
        for comparison in comparisons_in(rule.when):
            if comparison.fact == fact.name:
                for v in comparison.operator.mentioned(comparison.value):
                    if isinstance(v, int):
                        # a comparison with v changes truth only between v-1|v and v|v+1
                        points.update({v - 1, v, v + 1})
    inside = sorted(p for p in points if domain.low <= p <= domain.high)
    if not inside:
        low, high = domain.low, domain.high
        inside = [int(low) if low != -math.inf else (int(high) if high != math.inf else 0)]
    return inside  # type: ignore[return-value]


def plan(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> QuestionPlan:
    """What to ask next, given ``answers`` (fact → value or :data:`UNKNOWN`)."""
    from .inference import engine_for  # the consultation runs on durable; the analysis does not

    known = {name: value for name, value in answers.items() if value is not UNKNOWN}
    result = engine_for(kb).consult(known)
    analysis = _Analysis(kb, result, answers)
    possible = analysis.possible_rules(analysis.domains())
    relevant = _relevant_rules(kb, result, possible)
    questions = _score_questions(kb, analysis, answers, possible, relevant)
    asked = {question.fact.name for question in questions}
    questions += _deadline_questions(kb, result, answers, asked)
    unknown = tuple(name for name, value in answers.items() if value is UNKNOWN)
    return QuestionPlan(result, tuple(questions), unknown)


def _relevant_rules(kb: KnowledgeBase, result: ConsultationResult, possible: list[Rule]) -> dict[str, Rule]:
    """The rules that may still fire and would change the answer (advice not given yet, or given
    with a higher priority), and the rules that may derive a fact such a rule reads."""
    # Advice only grows as answers come in, so what current advice replaces stays replaced.
    giver_priority: dict[str, int] = {}
    for step in result.trace:
        for advice_id in step.advised:
            giver_priority[advice_id] = max(giver_priority.get(advice_id, -(10**6)), step.rule.priority)
    moot = {other for advice_id in giver_priority for other in kb.advice[advice_id].replaces}

    def adds_something(rule: Rule) -> bool:
        return any(
            a not in moot and rule.priority > giver_priority.get(a, -(10**6) - 1) for a in rule.advise
        )

    relevant = {rule.id: rule for rule in possible if adds_something(rule)}
    derivers = [rule for rule in possible if rule.derive and rule.id not in relevant]
    grew = True
    while grew:
        grew = False
        needed = {name for rule in relevant.values() for name in rule.reads}
        for rule in derivers:
            if rule.id not in relevant and any(name in needed for name, _ in rule.derive):
                relevant[rule.id] = rule
                grew = True
    return relevant


def _score_questions(
    kb: KnowledgeBase,
    analysis: _Analysis,
    answers: Mapping[str, Answer],
    possible: list[Rule],
    relevant: Mapping[str, Rule],
) -> list[Question]:
    """The askable, unanswered facts a relevant rule reads, best first: by how many relevant rules
    an answer rules out on average, then how many relevant rules read the fact, then the order of
    ``facts.yaml``."""
    readers = _readers(relevant.values())
    order = _tables(kb).order
    possible_ids = frozenset(rule.id for rule in possible)
    reached: dict[str, tuple[str, ...]] = {}  # a rule reading several facts is a reason for each

    def reach(rule: Rule) -> tuple[str, ...]:
        found = reached.get(rule.id)
        if found is None:
            found = reached[rule.id] = _reachable_advice(kb, rule, possible_ids)
        return found

    scored: list[tuple[float, int, int, Question]] = []
    for fact in kb.facts.values():
        if not fact.askable or fact.name in answers or fact.name not in readers:
            continue
        score = _settling_score(analysis, fact, _samples(kb, fact), list(relevant.values()), readers)
        reasons = tuple(Reason(rule, reach(rule)) for rule in readers[fact.name])
        scored.append((-score, -len(readers[fact.name]), order[fact.name], Question(fact, reasons, score)))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored]


def _deadline_questions(
    kb: KnowledgeBase, result: ConsultationResult, answers: Mapping[str, Answer], asked: set[str]
) -> list[Question]:
    """Last, the countdowns the deadlines of the advice already given count from (in the order
    of that advice)."""
    waiting: dict[str, list[str]] = {}
    for entry in result.advice:
        deadline = entry.advice.deadline
        if deadline is None or deadline.fact in answers or deadline.fact in asked:
            continue
        if kb.facts[deadline.fact].askable:
            waiting.setdefault(deadline.fact, []).append(entry.id)
    return [Question(kb.facts[name], (), 0.0, tuple(advice_ids)) for name, advice_ids in waiting.items()]


def _settling_score(
    analysis: _Analysis,
    fact: Fact,
    values: Iterable[Value],
    relevant: list[Rule],
    readers: Mapping[str, list[Rule]] | None = None,
) -> float:
    """On average over ``values``, how many relevant rules an answer rules out.

    Every relevant rule may still fire on the current domains, and whether it may depends only
    on the domains of the facts it reads: so only the rules reading the answered fact, or a
    derived fact whose possible values the answer changed, are evaluated again (``readers``: the
    relevant rules reading each fact)."""
    values = list(values)
    if not values or not relevant:
        return 0.0
    if readers is None:
        readers = _readers(relevant)
    current = analysis.domains()
    tables = _tables(analysis.kb)
    names = (fact.name, *_downstream(analysis.kb, frozenset((fact.name,))))
    checks: dict[tuple[str, ...], list[tuple[Condition, ...]]] = {}  # changed facts → the parts to check
    total = 0
    for value in values:
        domains = analysis.domains({fact.name: Known(value)})
        # (most domains are the very objects of ``current``: compared by identity first)
        changed = tuple(name for name in names if (old := current[name]) is not (new := domains[name]) and old != new)
        check = checks.get(changed)
        if check is None:
            rules = readers.get(changed[0], []) if len(changed) == 1 else _union(readers, changed)
            check = checks[changed] = [tables.parts_to_check(rule, changed) for rule in rules]
        for parts in check:
            for part in parts:
                if not can(part, domains):
                    total += 1
                    break
    return total / len(values)


def _readers(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """The rules reading each fact (in the order of ``rules``)."""
    readers: dict[str, list[Rule]] = {}
    for rule in rules:
        for name in rule.reads:
            readers.setdefault(name, []).append(rule)
    return readers


def _union(readers: Mapping[str, list[Rule]], names: Iterable[str]) -> list[Rule]:
    """The rules reading any of ``names``, each once."""
    rules: dict[str, Rule] = {}
    for name in names:
        for rule in readers.get(name, ()):
            rules.setdefault(rule.id, rule)
    return list(rules.values())


def _reachable_advice(kb: KnowledgeBase, rule: Rule, possible: frozenset[str]) -> tuple[str, ...]:
    """Advice ids ``rule`` gives or can lead to through the facts it derives, following only
    rules that may still fire (``possible``): advice the known facts rule out is left out."""
    found: list[str] = []
    seen = {rule.id}
    queue = [rule]
    while queue:
        current = queue.pop(0)
        for name, _ in current.derive:
            for reader in kb.graph.rules_reading(name):
                if reader not in seen and reader in possible:
                    seen.add(reader)
                    other = kb.rule(reader)
                    queue.append(other)
                    found += [a for a in other.advise if a not in found]
    direct = list(rule.advise)
    ordered = direct + sorted(a for a in found if a not in direct)
    return tuple(a for a in ordered if advice_node(a) in kb.graph)
