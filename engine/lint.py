"""Verifying a knowledge base: the checks of ``orderdoctor kb check``.

Every check returns :class:`Finding` data (location, severity, message,
check id, subject); nothing here prints. The checks:

* ``unreachable`` — a rule whose condition can never hold: contradictory
  tests on one fact, an empty integer range, or a derived fact no rule can
  give that value;
* ``redundant`` — another rule with the same (or more) conclusions fires
  whenever this one does;
* ``conflict`` — two rules can fire together and give advice the knowledge
  base declares incompatible (``incompatible_with`` in advice.yaml), and
  neither piece of advice replaces the other;
* ``dead-end`` — a derived fact no rule reads or no rule derives, advice no
  rule gives, a fact no rule reads, a choice value no rule mentions;
* ``gap`` — a combination of the facts ``checks.yaml`` names under
  ``gaps`` for which no advice at all can be given.

Cycles are load errors (see the loader). Satisfiability is decided exactly
for one rule (or a pair) by expanding the condition into alternatives of
conjunctions and intersecting, per fact, the values each conjunction allows;
derived facts range over the values rules can actually derive. Warnings a
maintainer has looked at are recorded, with the reason, under ``explained``
in ``checks.yaml``; they are then reported as explained, not as warnings.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .conditions import compare
from .location import Location
from .model import (
    AllOf,
    Comparison,
    Condition,
    FactType,
    KnowledgeBase,
    Not,
    Operator,
    Rule,
    Value,
    comparisons_in,
)
from .planner import Interval, _can

__all__ = ["Finding", "LintConfig", "Explained", "check_knowledge_base", "CHECKS", "satisfiable"]

CHECKS = ("unreachable", "redundant", "conflict", "dead-end", "gap")

#: Beyond this many alternatives a condition is assumed satisfiable (no finding).
MAX_ALTERNATIVES = 2_000


@dataclass(frozen=True)
class Finding:
    """One result of a check. ``subject`` names what it is about (a rule id, ``fact=value``, …),
    which is also what an ``explained`` entry in checks.yaml matches."""

    location: Location
    severity: str
    message: str
    check: str
    subject: str
    explained: str | None = None

    def format(self) -> str:
        severity = "explained" if self.explained else self.severity
        text = f"{self.location}: {severity}: {self.message} [{self.check}]"
        if self.explained:
            text += f" — {self.explained}"
        return text


@dataclass(frozen=True)
class Explained:
    """A warning a maintainer has looked at: check id, subject, and why it is fine."""

    check: str
    subject: str
    reason: str
    location: Location


@dataclass(frozen=True)
class LintConfig:
    """``checks.yaml``: which facts the gap check combines, and the explained warnings."""

    gap_facts: tuple[str, ...] = ()
    explained: tuple[Explained, ...] = field(default=())
    location: Location = Location("checks.yaml")


# ------------------------------------------------------------ satisfiability
Literal = tuple[Comparison, bool]  # (comparison, must hold?)


class _Expander:
    """Replaces a test on a derived fact by the conditions of the rules that derive a
    value passing (or, negated, failing) it — so conditions speak of askable facts only."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.derivers: dict[str, list[tuple[Value, Rule]]] = {}
        for rule in kb.rules:
            for name, value in rule.derive:
                self.derivers.setdefault(name, []).append((value, rule))

    def expand(self, comparison: Comparison, holds: bool) -> list[list[Literal]] | None:
        found: list[list[Literal]] = []
        for value, rule in self.derivers.get(comparison.fact, []):
            if compare(comparison, value) == holds:
                alternatives = _alternatives(rule.when, True, self)
                if alternatives is None:
                    return None
                found += alternatives
                if len(found) > MAX_ALTERNATIVES:
                    return None
        return found


def _alternatives(
    condition: Condition, holds: bool = True, expander: _Expander | None = None
) -> list[list[Literal]] | None:
    """The condition (or its negation) as alternatives of conjunctions; None if too many.

    With an ``expander``, tests on derived facts are replaced by how they can be derived.
    """
    if isinstance(condition, Comparison):
        if expander is not None and expander.kb.facts[condition.fact].derived:
            return expander.expand(condition, holds)
        return [[(condition, holds)]]
    if isinstance(condition, Not):
        return _alternatives(condition.condition, not holds, expander)
    parts = [_alternatives(part, holds, expander) for part in condition.conditions]
    if any(p is None for p in parts):
        return None
    conjunction = isinstance(condition, AllOf) == holds
    if not conjunction:
        return [alt for part in parts for alt in part]  # type: ignore[union-attr]
    result: list[list[Literal]] = [[]]
    for part in parts:
        result = [left + right for left in result for right in part]  # type: ignore[union-attr]
        if len(result) > MAX_ALTERNATIVES:
            return None
    return result


def _allowed(domain: object, literals: Sequence[Literal]) -> object:
    """The values of ``domain`` every literal allows (a set, or an Interval with holes)."""
    if isinstance(domain, frozenset):
        return frozenset(v for v in domain if all(compare(c, v) == want for c, want in literals))
    assert isinstance(domain, Interval)
    low, high = domain.low, domain.high
    excluded: set[Any] = set()
    allowed_points: set[Any] | None = None
    for comparison, want in literals:
        op, value = comparison.operator, comparison.value
        if op is Operator.IN:
            values = set(value)  # type: ignore[arg-type]
            if want:
                allowed_points = values if allowed_points is None else allowed_points & values
            else:
                excluded |= values
            continue
        if not want:
            op = op.negated
        number: int = value  # type: ignore[assignment]
        if op is Operator.EQ:
            allowed_points = {number} if allowed_points is None else allowed_points & {number}
        elif op is Operator.NE:
            excluded.add(number)
        elif op is Operator.LT:
            high = min(high, number - 1)
        elif op is Operator.LTE:
            high = min(high, number)
        elif op is Operator.GT:
            low = max(low, number + 1)
        else:
            low = max(low, number)
    if allowed_points is not None:
        return frozenset(p for p in allowed_points if low <= p <= high and p not in excluded)
    if low > high:
        return frozenset()
    if high - low < len(excluded) + 1 and not math.isinf(low) and not math.isinf(high):
        return frozenset(p for p in range(int(low), int(high) + 1) if p not in excluded)
    return Interval(low, high)


def _conjunction_conflict(literals: Sequence[Literal], domains: Mapping[str, object]) -> str | None:
    """Why this conjunction can never hold (the fact whose values run out), or None."""
    by_fact: dict[str, list[Literal]] = {}
    for literal in literals:
        by_fact.setdefault(literal[0].fact, []).append(literal)
    for name, group in by_fact.items():
        domain = domains.get(name)
        if domain is None:
            return f"no rule can conclude {name}"
        allowed = _allowed(domain, group)
        if isinstance(allowed, frozenset) and not allowed:
            tests = " and ".join(str(c) if want else f"not {c}" for c, want in group)
            return f"no value of {name} passes {tests}"
    return None


def satisfiable(
    condition: Condition, domains: Mapping[str, object], expander: _Expander | None = None
) -> tuple[bool, str]:
    """Whether ``condition`` can hold for some values in ``domains``; if not, why."""
    alternatives = _alternatives(condition, True, expander)
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


def _base_domains(kb: KnowledgeBase) -> dict[str, object]:
    domains: dict[str, object] = {}
    for name, fact in kb.facts.items():
        if fact.derived:
            continue
        if fact.type is FactType.CHOICE:
            domains[name] = frozenset(fact.values)
        elif fact.type is FactType.BOOLEAN:
            domains[name] = frozenset((True, False))
        else:
            domains[name] = Interval(
                -math.inf if fact.minimum is None else fact.minimum,
                math.inf if fact.maximum is None else fact.maximum,
            )
    return domains


def derivable_domains(kb: KnowledgeBase, base: Mapping[str, object] | None = None) -> dict[str, object]:
    """``base`` (default: every askable value) plus, for each derived fact, the values some
    satisfiable rule derives — iterated until nothing new can be derived."""
    domains = dict(base if base is not None else _base_domains(kb))
    changed = True
    while changed:
        changed = False
        for rule in kb.rules:
            if not rule.derive:
                continue
            if not satisfiable(rule.when, domains)[0]:
                continue
            for name, value in rule.derive:
                current = domains.get(name)
                values = set(current) if isinstance(current, frozenset) else set()
                if value not in values:
                    values.add(value)
                    domains[name] = frozenset(values)
                    changed = True
    return domains


# ------------------------------------------------------------------ checks
def _unreachable(kb: KnowledgeBase, domains: Mapping[str, object]) -> Iterable[Finding]:
    for rule in kb.rules:
        ok, reason = satisfiable(rule.when, domains)
        if not ok:
            yield Finding(rule.location, "warning", f"rule '{rule.id}' can never fire: {reason}", "unreachable", rule.id)


def _redundant(kb: KnowledgeBase, domains: Mapping[str, object]) -> Iterable[Finding]:
    expander = _Expander(kb)
    for rule, other in itertools.permutations(kb.rules, 2):
        if not (set(rule.advise) <= set(other.advise) and set(rule.derive) <= set(other.derive)):
            continue
        if not set(other.reads) <= set(rule.reads):
            continue
        implies = AllOf((rule.when, Not(other.when)))
        if not satisfiable(implies, domains, expander)[0] and satisfiable(rule.when, domains, expander)[0]:
            if set(rule.advise) == set(other.advise) and set(rule.derive) == set(other.derive) and other.order > rule.order:
                # identical twins: report only the later one
                if satisfiable(AllOf((other.when, Not(rule.when))), domains, expander)[0] is False:
                    continue
            yield Finding(
                rule.location,
                "warning",
                f"rule '{rule.id}' is redundant: rule '{other.id}' gives the same conclusions whenever it fires",
                "redundant",
                rule.id,
            )


def _conflicts(kb: KnowledgeBase, domains: Mapping[str, object]) -> Iterable[Finding]:
    expander = _Expander(kb)
    pairs = set()
    for item in kb.advice.values():
        for partner in item.incompatible_with:
            pairs.add(tuple(sorted((item.id, partner))))
    for first, second in sorted(pairs):
        if second in kb.advice[first].replaces or first in kb.advice[second].replaces:
            continue
        for giver in (kb.rule(r) for r in kb.graph.rules_giving(first)):
            for other in (kb.rule(r) for r in kb.graph.rules_giving(second)):
                if satisfiable(AllOf((giver.when, other.when)), domains, expander)[0]:
                    yield Finding(
                        giver.location,
                        "warning",
                        f"rules '{giver.id}' and '{other.id}' can fire together and give incompatible advice "
                        f"'{first}' and '{second}'",
                        "conflict",
                        f"{giver.id}+{other.id}",
                    )


def _dead_ends(kb: KnowledgeBase) -> Iterable[Finding]:
    read = {name for rule in kb.rules for name in rule.reads}
    derived = {name for rule in kb.rules for name, _ in rule.derive}
    given = {a for rule in kb.rules for a in rule.advise}
    mentioned: dict[str, set[Value]] = {}
    for rule in kb.rules:
        for comparison in comparisons_in(rule.when):
            values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
            mentioned.setdefault(comparison.fact, set()).update(values)
    for fact in kb.facts.values():
        if fact.derived and fact.name not in derived:
            yield Finding(
                fact.location, "warning", f"derived fact '{fact.name}' is derived by no rule", "dead-end",
                f"derive:{fact.name}",
            )
        if fact.name not in read:
            what = "derived fact" if fact.derived else "fact"
            yield Finding(
                fact.location, "warning", f"{what} '{fact.name}' is read by no rule", "dead-end", f"read:{fact.name}"
            )
        elif fact.type is FactType.CHOICE:
            for value in fact.values:
                if value not in mentioned.get(fact.name, set()):
                    yield Finding(
                        fact.location,
                        "warning",
                        f"value '{value}' of fact '{fact.name}' is mentioned by no rule",
                        "dead-end",
                        f"{fact.name}={value}",
                    )
    for item in kb.advice.values():
        if item.id not in given and item.id != "nothing_applies":
            yield Finding(
                item.location, "warning", f"advice '{item.id}' is given by no rule", "dead-end", f"advice:{item.id}"
            )


def gaps(kb: KnowledgeBase, facts: Sequence[str]) -> list[dict[str, Value]]:
    """Combinations of ``facts`` for which no rule that gives advice can fire."""
    base: dict[str, Any] = _base_domains(kb)
    advisers = [rule for rule in kb.rules if rule.advise]
    choices: list[Sequence[Value]] = [
        kb.facts[name].values if kb.facts[name].type is FactType.CHOICE else (True, False) for name in facts
    ]
    found = []
    for combination in itertools.product(*choices):
        domains = dict(base)
        domains.update({name: ("known", value) for name, value in zip(facts, combination)})
        domains = _derive_for_planner(kb, domains)
        if not any(_can(rule.when, domains, True) for rule in advisers):
            found.append(dict(zip(facts, combination)))
    return found


def _derive_for_planner(kb: KnowledgeBase, domains: dict[str, Any]) -> dict[str, Any]:
    possible: dict[str, set[Value]] = {}
    changed = True
    while changed:
        changed = False
        for rule in kb.rules:
            if rule.derive and _can(rule.when, domains, True):  # type: ignore[arg-type]
                for name, value in rule.derive:
                    values = possible.setdefault(name, set())
                    if value not in values:
                        values.add(value)
                        domains[name] = frozenset(values)
                        changed = True
    return domains


def _gap_findings(kb: KnowledgeBase, config: LintConfig) -> Iterable[Finding]:
    if not config.gap_facts:
        return
    for combination in gaps(kb, config.gap_facts):
        subject = ", ".join(f"{k}={v}" for k, v in combination.items())
        yield Finding(config.location, "warning", f"no advice can be given when {subject}", "gap", subject)


def check_knowledge_base(kb: KnowledgeBase, config: LintConfig | None = None) -> list[Finding]:
    """Run every check; findings a maintainer explained in checks.yaml carry the reason."""
    config = config or LintConfig()
    domains = derivable_domains(kb)
    findings = [
        *_unreachable(kb, domains),
        *_redundant(kb, domains),
        *_conflicts(kb, domains),
        *_dead_ends(kb),
        *_gap_findings(kb, config),
    ]
    explained = [
        Finding(f.location, f.severity, f.message, f.check, f.subject, _explanation(config, f))
        for f in findings
    ]
    return sorted(explained, key=lambda f: (f.location, f.check, f.subject))


def _explanation(config: LintConfig, finding: Finding) -> str | None:
    for item in config.explained:
        if item.check == finding.check and _matches(item.subject, finding.subject):
            return item.reason
    return None


def _matches(pattern: str, subject: str) -> bool:
    """``pattern`` is the subject, or for gaps a comma list of name=value where value may be ``*``."""
    if pattern == subject:
        return True
    wanted = dict(part.strip().split("=", 1) for part in pattern.split(",") if "=" in part)
    have = dict(part.strip().split("=", 1) for part in subject.split(",") if "=" in part)
    if not wanted or set(wanted) - set(have):
        return False
    return all(value == "*" or have[name] == value for name, value in wanted.items())
