"""Satisfiability and proofs over a knowledge base's conditions, for ``kb check`` (:mod:`.lint`).

* :func:`satisfiable` decides exactly whether one condition can hold: the condition (or its
  negation) is expanded into *alternatives* — conjunctions of literals, a literal being a
  comparison that must hold, fail, or (``None``) whose fact must not be known — and, per fact,
  the values each conjunction allows are intersected (:func:`.domains.allowed`); derived facts
  range over the values rules can actually derive (:func:`lint_domains`).
* :class:`Prover` finds complete situations (askable facts) in which some conditions hold or
  fail together, or proves that none exists, expanding tests on derived facts into the rules
  that derive them (:class:`Expander`), within :data:`MAX_ALTERNATIVES` alternatives and
  :data:`SEARCH_BUDGET` steps (else :class:`TooHard`).
* :func:`consult_pure` runs a consultation in pure Python, to confirm an example: lint never
  runs durable.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from .consultation import Consultation, ConsultationResult
from .domains import CLOSED, Closed, Domain, Interval, OneOf, allowed, derive, open_domain
from .model import AllOf, AnyOf, Comparison, Condition, Fact, FactType, KnowledgeBase, Not, Rule, Value, never
from .operators import OPERATORS

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CONFIRMATIONS",
    "EXAMPLES_TRIED",
    "MAX_ALTERNATIVES",
    "SEARCH_BUDGET",
    "STEPS_PER_RULE",
    "Effort",
    "Expander",
    "Literal",
    "Prover",
    "TooHard",
    "consult_pure",
    "lint_domains",
    "satisfiable",
]

#: Beyond this many alternatives a condition is assumed satisfiable (no finding; the
#: contract checks report "could not prove" instead).
MAX_ALTERNATIVES = 2_000

#: Steps the search for a situation may take before a contract check gives up ("could not prove").
SEARCH_BUDGET = 200_000

#: Situations tried, per finding, for one a pure-Python consultation confirms.
EXAMPLES_TRIED = 8

#: Search steps one check of ``kb check`` may take in all, per rule of the knowledge base (with
#: :data:`SEARCH_BUDGET` more): a check that runs out stops and says so (:class:`Effort`).
STEPS_PER_RULE = 100

#: Steps a search is charged for being set up (sorting the alternatives, the first state): many
#: searches of two or three steps each cost what their number says, not what their steps say.
SEARCH_SETUP = 5

#: Pure consultations one check may run to confirm examples: each costs time linear in the
#: rules, so a fixed number keeps the check linear; later findings give the prover's example.
CONFIRMATIONS = 200


Literal = tuple[Comparison, "bool | None"]  # (comparison, must hold?); None: the fact is not known


class Expander:
    """Replaces a test on a derived fact by the conditions of the rules that derive a
    value passing (or, negated, failing) it — so conditions speak of askable facts only."""

    def __init__(self, kb: KnowledgeBase, limit: int = MAX_ALTERNATIVES) -> None:
        self.kb = kb
        self.limit = limit
        self.derivers: dict[str, list[tuple[Value, Rule]]] = {}
        self._expanded: dict[tuple[Comparison, bool], list[list[Literal]] | None] = {}
        for rule in kb.rules:
            for name, value in rule.derive:
                self.derivers.setdefault(name, []).append((value, rule))

    def expand(self, comparison: Comparison, holds: bool) -> list[list[Literal]] | None:
        """The alternatives (None: more than ``limit``) of the rules deriving a value that passes
        (or fails) ``comparison``; worked out once per test (callers never change the lists)."""
        key = (comparison, holds)
        if key not in self._expanded:
            self._expanded[key] = self._expand(comparison, holds)
        return self._expanded[key]

    def _expand(self, comparison: Comparison, holds: bool) -> list[list[Literal]] | None:
        found: list[list[Literal]] = []
        for value, rule in self.derivers.get(comparison.fact, []):
            if comparison.operator.test(value, comparison.value) == holds:
                alternatives = _alternatives(rule.when, True, self, self.limit)
                if alternatives is None:
                    return None
                found += alternatives
                if len(found) > self.limit:
                    return None
        return found


def _alternatives(
    condition: Condition, holds: bool = True, expander: Expander | None = None, limit: int = MAX_ALTERNATIVES
) -> list[list[Literal]] | None:
    """The condition (or its negation) as alternatives of conjunctions; None if more than ``limit``.

    With an ``expander``, tests on derived facts are replaced by how they can be derived.
    """
    match condition:
        case Comparison():
            if expander is not None and expander.kb.facts[condition.fact].derived:
                return expander.expand(condition, holds)
            return [[(condition, holds)]]
        case Not():
            return _alternatives(condition.condition, not holds, expander, limit)
        case AllOf() | AnyOf():
            parts = [_alternatives(part, holds, expander, limit) for part in condition.conditions]
            if any(p is None for p in parts):
                return None
            if isinstance(condition, AllOf) != holds:  # any must hold / all must fail: one of them
                return [alt for part in parts for alt in part]  # type: ignore[union-attr]
            result: list[list[Literal]] = [[]]
            for part in parts:
                result = [left + right for left in result for right in part]  # type: ignore[union-attr]
                if len(result) > limit:
                    return None
            return result
        case _:  # pragma: no cover
            never(condition)


def _conjunction_conflict(literals: Sequence[Literal], domains: Mapping[str, Domain]) -> str | None:
    """Why this conjunction can never hold (the fact whose values run out), or None."""
    by_fact: dict[str, list[Literal]] = {}
    for literal in literals:
        by_fact.setdefault(literal[0].fact, []).append(literal)
    for name, group in by_fact.items():
        unknown = [literal for literal in group if literal[1] is None]
        if unknown:
            if len(unknown) < len(group):
                return f"{name} cannot be both unknown and tested"
            continue
        domain = domains.get(name, CLOSED)
        if isinstance(domain, Closed):
            return f"no rule can conclude {name}"
        if not allowed(domain, group):  # type: ignore[arg-type]
            tests = " and ".join(str(c) if want else f"not {c}" for c, want in group)
            return f"no value of {name} passes {tests}"
    return None


def _entailed(literal: Literal, literals: Sequence[Literal], domains: Mapping[str, Domain]) -> bool:
    """Whether ``literal`` holds in every situation ``literals`` allow."""
    comparison, want = literal
    group = [other for other in literals if other[0].fact == comparison.fact]
    if want is None:
        return any(other[1] is None for other in group)
    if not group or any(other[1] is None for other in group):
        return False
    return not allowed(domains.get(comparison.fact, CLOSED), [*group, (comparison, not want)])  # type: ignore[list-item]


def satisfiable(
    condition: Condition,
    domains: Mapping[str, Domain],
    expander: Expander | None = None,
    limit: int = MAX_ALTERNATIVES,
) -> tuple[bool, str]:
    """Whether ``condition`` can hold for some values in ``domains``; if not, why. A condition
    that expands to more than ``limit`` alternatives is assumed satisfiable."""
    alternatives = _alternatives(condition, True, expander, limit)
    if alternatives is None:
        return True, ""
    if not alternatives:
        return False, "no rule derives the facts it needs with the values it tests"
    reasons = []
    for literals in alternatives:
        reason = _conjunction_conflict(literals, domains)
        if reason is None:
            return True, ""
        reasons.append(reason)
    return False, reasons[0]


def lint_domains(kb: KnowledgeBase, limit: int = MAX_ALTERNATIVES) -> dict[str, Domain]:
    """Every value of the askable facts and, for each derived fact, the values some rule whose
    condition is :func:`satisfiable` derives (:func:`.domains.derive`)."""
    base = {name: open_domain(fact) for name, fact in kb.facts.items() if not fact.derived}
    return derive(kb.rules, base, lambda condition, domains: satisfiable(condition, domains, limit=limit)[0])


def consult_pure(kb: KnowledgeBase, given: Mapping[str, Value]) -> ConsultationResult:
    """A consultation in pure Python (no durable, no fact validation): the rule first in the
    knowledge base's order (priority, then position) whose condition holds fires next, until
    none is left — the backend's documented order. For lint examples and tests.

    Facts are only ever added and the logic is monotone, so a condition that holds goes on
    holding and one that fails goes on failing: each rule is evaluated when it may first decide
    (it reads a given fact) and again only when a fact it reads is derived — linear in the
    rules that read the facts involved, not rules times firings."""
    consultation = Consultation(kb, given)
    facts = consultation.facts
    readers = _readers(kb)
    ready: list[int] = []  # positions in kb.rules of rules that hold and have not fired
    decided: set[int] = set()

    def reconsider(names: Iterable[str]) -> None:
        for position in sorted({p for name in names for p in readers.get(name, ())} - decided):
            truth = _truth(kb.rules[position].when, facts)
            if truth is not None:
                decided.add(position)
                if truth:
                    heapq.heappush(ready, position)

    reconsider([*facts, ""])
    while ready:
        rule = kb.rules[heapq.heappop(ready)]
        reconsider(consultation.fire(rule, facts))
    return consultation.result()


def _truth(condition: Condition, facts: Mapping[str, Value]) -> bool | None:
    """Whether ``condition`` holds (True), fails (False) or is undecided (None) on ``facts``:
    the truth of :func:`.conditions.evaluate`, without building the evaluation's tree."""
    if isinstance(condition, Comparison):
        if condition.fact not in facts:
            return None
        return bool(condition.operator.test(facts[condition.fact], condition.value))
    if isinstance(condition, Not):
        inner = _truth(condition.condition, facts)
        return None if inner is None else not inner
    if not isinstance(condition, (AllOf, AnyOf)):  # pragma: no cover
        never(condition)
    deciding = isinstance(condition, AnyOf)  # the value of a part that decides the whole
    undecided = not condition.conditions  # no parts: undecided, as in evaluate
    for part in condition.conditions:
        truth = _truth(part, facts)
        if truth is deciding:
            return deciding
        undecided = undecided or truth is None
    return None if undecided else not deciding


#: The last knowledge base :func:`_readers` indexed, and its index (lint asks about one kb).
_INDEX: list[tuple[KnowledgeBase, dict[str, tuple[int, ...]]]] = []


def _readers(kb: KnowledgeBase) -> dict[str, tuple[int, ...]]:
    """Fact → the positions (in ``kb.rules``) of the rules that read it; ``""``: rules that
    read no fact (their condition is decided from the start)."""
    if _INDEX and _INDEX[0][0] is kb:
        return _INDEX[0][1]
    found: dict[str, list[int]] = {}
    for position, rule in enumerate(kb.rules):
        for name in rule.reads or ("",):
            found.setdefault(name, []).append(position)
    index = {name: tuple(at) for name, at in found.items()}
    _INDEX[:] = [(kb, index)]
    return index


class Effort:
    """The work one check may do: :data:`STEPS_PER_RULE` search steps per rule (times ``scale``,
    plus :data:`SEARCH_BUDGET`) and :data:`CONFIRMATIONS` confirming consultations (times
    ``scale``) — linear in the knowledge base whatever the number of proofs. A check asks
    :meth:`spent` before each proof and stops, saying so, when it is."""

    def __init__(self, prover: Prover, scale: float = 1.0) -> None:
        self.prover = prover
        self.start = prover.steps
        self.per_rule = int(scale * STEPS_PER_RULE)
        self.limit = self.per_rule * len(prover.kb.rules) + SEARCH_BUDGET
        self.consultations = int(scale * CONFIRMATIONS)

    def spent(self) -> bool:
        """Whether the check has taken its search steps."""
        return self.prover.steps - self.start > self.limit

    def consult(self) -> bool:
        """Whether one more confirming consultation may run (counting it)."""
        self.consultations -= 1
        return self.consultations >= 0


class TooHard(Exception):
    """A condition expands past MAX_ALTERNATIVES (``steps`` 0), or the search ran out of its
    ``steps``."""

    def __init__(self, steps: int = 0) -> None:
        super().__init__(steps)
        self.steps = steps


class Prover:
    """Finds complete situations (askable facts) in which some conditions hold (or fail) together,
    or proves that none exists. Derived facts are expanded into the rules that derive them."""

    def __init__(self, kb: KnowledgeBase, domains: Mapping[str, Domain], limit: int = MAX_ALTERNATIVES) -> None:
        self.kb = kb
        self.domains = domains
        self.expander = Expander(kb, limit)
        self._cache: dict[tuple[Condition, bool], list[list[Literal]] | None] = {}
        self._silent: dict[str, list[list[list[Literal]]]] = {}
        #: Search steps taken so far, over every search (what :class:`Effort` budgets).
        self.steps = 0

    def alternatives(self, condition: Condition, holds: bool) -> list[list[Literal]]:
        key = (condition, holds)
        if key not in self._cache:
            self._cache[key] = _alternatives(condition, holds, self.expander, self.expander.limit)
        found = self._cache[key]
        if found is None:
            raise TooHard
        return found

    def not_firing(self, rule: Rule) -> list[list[list[Literal]]]:
        """Choices (one literal to pick from each) under which ``rule`` does not fire: for each
        way its condition can hold, one askable fact of it fails that test or is not known
        (worked out once per rule: a contract proof asks it of every rule that replaces)."""
        if rule.id in self._silent:
            return self._silent[rule.id]
        clauses: list[list[list[Literal]]] = []
        for conjunction in self.alternatives(rule.when, True):
            clause: list[list[Literal]] = [[(comparison, not want)] for comparison, want in conjunction]
            for fact in dict.fromkeys(comparison.fact for comparison, _ in conjunction):
                clause.append([(Comparison(fact, OPERATORS["eq"], None), None)])  # type: ignore[arg-type]
            clauses.append(clause)
        self._silent[rule.id] = clauses
        return clauses

    def situations(
        self,
        parts: Sequence[tuple[Condition, bool]],
        limit: int = EXAMPLES_TRIED,
        extra: Sequence[list[list[Literal]]] = (),
        budget: int = 0,
    ) -> list[list[Literal]]:
        """Up to ``limit`` consistent conjunctions of literals making every part come out as
        wanted (``(condition, True)`` holds, ``(condition, False)`` fails) and picking one
        alternative of each ``extra`` choice; [] when there is none. Raises
        :class:`TooHard` when that cannot be decided within the limits (``budget`` steps, when
        given, else :data:`SEARCH_BUDGET`)."""
        return self.search([self.alternatives(c, holds) for c, holds in parts], limit, extra, budget)

    def search(
        self,
        alternatives: Sequence[list[list[Literal]]],
        limit: int = EXAMPLES_TRIED,
        extra: Sequence[list[list[Literal]]] = (),
        budget: int = 0,
    ) -> list[list[Literal]]:
        """:meth:`situations`, given each part's alternatives (of askable facts only)."""
        choices = sorted(alternatives, key=len)
        if any(not alternatives for alternatives in choices) or any(not clause for clause in extra):
            return []
        search = _Search(self.domains, choices, list(extra), limit, budget or SEARCH_BUDGET)
        try:
            search.choose(0, [])
        except TooHard:
            if not search.found:
                raise
        finally:
            self.steps += search.steps + SEARCH_SETUP
        return search.found

    def example(self, literals: Sequence[Literal]) -> dict[str, Value]:
        """Askable fact values passing every literal (only the facts the literals test)."""
        by_fact: dict[str, list[Literal]] = {}
        for literal in literals:
            by_fact.setdefault(literal[0].fact, []).append(literal)
        chosen: dict[str, Value] = {}
        for name in self.kb.facts:
            group = by_fact.get(name)
            if group is None or any(want is None for _, want in group):
                continue
            value = _pick(self.kb.facts[name], self.domains[name], group)
            if value is not None:
                chosen[name] = value
        return chosen


def _pick(fact: Fact, domain: Domain, literals: Sequence[Literal]) -> Value | None:
    """A value of ``fact`` that passes ``literals``: the first in declaration order for a choice,
    true before false, and for a number the one closest to 0 (a threshold's neighbour)."""
    def passes(value: Value) -> bool:
        return all(c.operator.test(value, c.value) == want for c, want in literals)

    if fact.type is FactType.CHOICE:
        return next((v for v in fact.values if passes(v)), None)
    if fact.type is FactType.BOOLEAN:
        return next((v for v in (True, False) if passes(v)), None)
    if isinstance(domain, OneOf):  # a derived number: the values rules derive
        return min((v for v in domain.values if passes(v)), default=None)
    assert isinstance(domain, Interval)
    return _pick_number(domain, literals, passes)


def _pick_number(domain: Interval, literals: Sequence[Literal], passes: Callable[[Value], bool]) -> int | None:
    """The number of ``domain`` closest to 0 that ``passes``, among the bounds and each threshold's
    neighbours (an integer set changes only there)."""
    candidates: set[int] = {0}
    for bound in (domain.low, domain.high):
        if not math.isinf(bound):
            candidates.add(int(bound))
    for comparison, _ in literals:
        for value in comparison.operator.mentioned(comparison.value):
            if isinstance(value, int) and not isinstance(value, bool):
                candidates.update((value - 1, value, value + 1))
    inside = [v for v in candidates if domain.low <= v <= domain.high and passes(v)]
    return min(inside, key=lambda v: (abs(v), v < 0)) if inside else None


#: A fact no literal of the search has mentioned yet.
_ABSENT = object()


def _extended(
    state: dict[str, Any], literals: Sequence[Literal], domains: Mapping[str, Domain]
) -> dict[str, Any] | None:
    """``state`` (fact → what the literals so far leave of it, None: not known) with
    ``literals`` added; None when they conflict. The same verdict as
    :func:`_conjunction_conflict` on all the literals, given that those of ``state`` agree,
    worked out only for the facts ``literals`` test."""
    new: dict[str, Any] | None = None
    for comparison, want in literals:
        name = comparison.fact
        current = (state if new is None else new).get(name, _ABSENT)
        if want is None:
            if current is None:
                continue
            if current is not _ABSENT:
                return None  # both unknown and tested
            values: Any = None
        else:
            if current is None:
                return None
            if current is _ABSENT:
                domain = domains.get(name, CLOSED)
                if isinstance(domain, Closed):
                    return None  # no rule can conclude it
                current = allowed(domain, ())
            values = comparison.operator.restrict(current, comparison.value, want)
            if not values:
                return None
        if new is None:
            new = dict(state)
        new[name] = values
    return state if new is None else new


def _follows(literal: Literal, state: Mapping[str, Any]) -> bool:
    """Whether ``literal`` holds in every situation ``state`` allows (:func:`_entailed`)."""
    comparison, want = literal
    current = state.get(comparison.fact, _ABSENT)
    if want is None:
        return current is None
    if current is _ABSENT or current is None:
        return False
    return not comparison.operator.restrict(current, comparison.value, not want)


class _Search:
    """One search of :meth:`Prover.situations`: an alternative of each choice in turn (each
    consistent with those before), then one option of every extra clause; stops after ``limit``
    situations, raises :class:`TooHard` after ``budget`` steps. What the literals
    chosen so far leave of each fact is carried along (:func:`_extended`), so a step costs the
    facts it adds, not every literal chosen before it."""

    def __init__(
        self,
        domains: Mapping[str, Domain],
        choices: list[list[list[Literal]]],
        extra: list[list[list[Literal]]],
        limit: int,
        budget: int = SEARCH_BUDGET,
    ) -> None:
        self.domains = domains
        self.budget = budget
        self.choices = choices
        self.extra = extra
        self.limit = limit
        self.found: list[list[Literal]] = []
        self.steps = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.budget:
            raise TooHard(self.budget)

    def choose(self, index: int, literals: list[Literal], state: dict[str, Any] | None = None) -> None:
        state = {} if state is None else state
        if index == len(self.choices):
            self.satisfy(literals, list(self.extra), state)
            return
        for alternative in self.choices[index]:
            self.tick()
            combined = _extended(state, alternative, self.domains)
            if combined is not None:
                self.choose(index + 1, literals + alternative, combined)
                if len(self.found) >= self.limit:
                    return

    def satisfy(self, literals: list[Literal], clauses: list[list[list[Literal]]], state: dict[str, Any]) -> None:
        """One option of every clause, most constrained clause first; a clause an option of
        which already follows from ``literals`` is satisfied and dropped."""
        best: list[tuple[list[Literal], dict[str, Any]]] | None = None
        rest: list[list[list[Literal]]] = []
        for clause in clauses:
            self.tick()
            options = self._options(state, clause)
            if options is None:
                continue
            if not options:
                return
            if best is None or len(options) < len(best):
                if best is not None:
                    rest.append([option for option, _ in best])
                best = options
            else:
                rest.append([option for option, _ in options])
        if best is None:
            self.found.append(literals)
            return
        for option, extended in best:
            self.satisfy(literals + option, rest, extended)
            if len(self.found) >= self.limit:
                return

    def _options(
        self, state: dict[str, Any], clause: list[list[Literal]]
    ) -> list[tuple[list[Literal], dict[str, Any]]] | None:
        """The options of ``clause`` consistent with ``state`` (each with the state it leads
        to); None when one already follows."""
        options = []
        for option in clause:
            if all(_follows(literal, state) for literal in option):
                return None
            extended = _extended(state, option, self.domains)
            if extended is not None:
                options.append((option, extended))
        return options
