"""Verifying a knowledge base: the checks of ``orderdoctor kb check``.

Every check returns :class:`Finding` data (location, severity, message,
check id, subject); nothing here prints. The checks:

* ``unreachable`` — a rule whose condition can never hold: contradictory
  tests on one fact, an empty integer range, or a derived fact no rule can
  give that value;
* ``redundant`` — another rule with the same (or more) conclusions fires
  whenever this one does;
* ``contract`` (error) — a rule gives advice in a situation where the
  advice's ``requires`` fails and no advice that replaces it is given there
  (by the same rule or by any other: a replacing rule must be proven to fire
  in every such situation, facts left unknown included);
* ``incompatible`` (error) — two rules can fire together and give advice the
  knowledge base declares incompatible (``incompatible_with`` in
  advice.yaml, either direction), and neither is replaced by what they give;
* ``urgency`` (error) — a rule gives advice with ``urgent_within: N`` while a
  rule that can fire with it gives advice whose deadline can be more than N
  days away;
* ``dead-end`` — a derived fact no rule reads or no rule derives, advice no
  rule gives, a fact no rule reads, a choice value no rule mentions;
* ``gap`` — a combination of the facts ``checks.yaml`` names under
  ``gaps`` for which no advice at all can be given;
* ``overlap`` (error) — two rules can derive different values of one fact
  in one situation; ``range-gap`` — the rules deriving a fact leave a hole
  between the ranges of an integer fact they compare (both in
  :mod:`.derivations`).

The three contract checks are proofs over every *complete* situation (each
askable fact known): a contract known to fail on partial facts fails in
every completion of them (the three-valued logic is monotone), so a
situation the consultation would flag is always found here. Each error
names an example situation in askable facts, confirmed when possible by a
pure-Python consultation (:func:`consult_pure`: lint never runs durable).
When a condition expands to more than :data:`MAX_ALTERNATIVES` alternatives
the proof is not attempted and a "could not prove" warning says so.
Errors cannot be explained away in checks.yaml; fix the rule or the contract.

Cycles are load errors (see the loader). Satisfiability is decided exactly
for one rule (or a pair) by expanding the condition into alternatives of
conjunctions and intersecting, per fact, the values each conjunction allows;
derived facts range over the values rules can actually derive (the proofs
live in :mod:`.proofs`, the domain reasoning in :mod:`.domains`). Warnings a
maintainer has looked at are recorded, with the reason, under ``explained``
in ``checks.yaml``; they are then reported as explained, not as warnings.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .consultation import NOTHING_APPLIES, ConsultationResult
from .domains import Domain, Known, can, derive, open_domain
from .location import Location
from .model import AllOf, Comparison, Condition, FactType, KnowledgeBase, Not, Rule, Value, comparisons_in
from .operators import OPERATORS
from .proofs import (
    MAX_ALTERNATIVES, Effort, Expander, Prover, TooHard, consult_pure, lint_domains, satisfiable,
)

__all__ = [
    "Finding",
    "LintConfig",
    "Explained",
    "check_knowledge_base",
    "CHECKS",
    "consult_pure",
    "gaps",
    "satisfiable",
]

CHECKS = (
    "unreachable", "redundant", "contract", "incompatible", "urgency", "dead-end", "gap", "overlap", "range-gap",
    "shadowed", "stale",
)

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
    #: ``fact=value`` → where facts.yaml declares the value (gap findings are located there)
    value_locations: Mapping[str, Location] = field(default_factory=dict)


# ------------------------------------------------------------------ checks
def _unreachable(kb: KnowledgeBase, domains: Mapping[str, Domain]) -> Iterable[Finding]:
    for rule in kb.rules:
        ok, reason = satisfiable(rule.when, domains, limit=MAX_ALTERNATIVES)
        if not ok:
            message = f"rule '{rule.id}' can never fire: {reason}"
            yield Finding(rule.location, "warning", message, "unreachable", rule.id)


def _redundant(kb: KnowledgeBase, domains: Mapping[str, Domain]) -> Iterable[Finding]:
    """A warning for each rule that another rule makes redundant, naming the first such rule in
    the knowledge base's order (one finding per redundant rule, however many rules cover it).
    Only rules with every conclusion of it and reading none of the facts it does not read can
    cover it: they are found through an index by conclusion, and the search stops at the first."""
    expander = Expander(kb, MAX_ALTERNATIVES)
    possible_alone: dict[str, bool] = {}

    def possible(condition: Condition) -> bool:
        return satisfiable(condition, domains, expander, MAX_ALTERNATIVES)[0]

    for rule in kb.rules:
        for other in _covering_candidates(kb, rule):
            if not possible(AllOf((rule.when, Not(other.when)))):
                if rule.id not in possible_alone:
                    possible_alone[rule.id] = possible(rule.when)
                if not possible_alone[rule.id]:
                    break  # an unreachable rule is covered by every rule: reported as unreachable
                twins = set(rule.advise) == set(other.advise) and set(rule.derive) == set(other.derive)
                if twins and other.position > rule.position and not possible(AllOf((other.when, Not(rule.when)))):
                    continue  # identical twins: report only the later one
                yield Finding(
                    rule.location,
                    "warning",
                    f"rule '{rule.id}' is redundant: rule '{other.id}' gives the same conclusions whenever it fires",
                    "redundant",
                    rule.id,
                )
                break


def _conclusions(rule: Rule) -> set[tuple[str, object]]:
    return {("advise", advice_id) for advice_id in rule.advise} | {("derive", item) for item in rule.derive}


def _covering_candidates(kb: KnowledgeBase, rule: Rule) -> Iterable[Rule]:
    """The other rules, in the knowledge base's order, that give every conclusion ``rule`` gives
    and read only facts it reads: those that could make it redundant."""
    index = _conclusion_index(kb)
    mine = _conclusions(rule)
    held = [index.get(conclusion, ()) for conclusion in mine]
    pool = min(held, key=len) if held else range(len(kb.rules))
    reads = set(rule.reads)
    for position in pool:
        other = kb.rules[position]
        if other is not rule and mine <= _conclusions(other) and set(other.reads) <= reads:
            yield other


#: The last knowledge base :func:`_conclusion_index` indexed, and its index.
_INDEXED: list[tuple[KnowledgeBase, dict[tuple[str, object], tuple[int, ...]]]] = []


def _conclusion_index(kb: KnowledgeBase) -> dict[tuple[str, object], tuple[int, ...]]:
    """Conclusion (``("advise", id)`` or ``("derive", (fact, value))``) → the positions in
    ``kb.rules`` of the rules that give it, lowest first."""
    if _INDEXED and _INDEXED[0][0] is kb:
        return _INDEXED[0][1]
    found: dict[tuple[str, object], list[int]] = {}
    for position, rule in enumerate(kb.rules):
        for conclusion in _conclusions(rule):
            found.setdefault(conclusion, []).append(position)
    index = {conclusion: tuple(at) for conclusion, at in found.items()}
    _INDEXED[:] = [(kb, index)]
    return index


# ------------------------------------------------------- contract proofs
def _situation(example: Mapping[str, Value]) -> str:
    return " ".join(f"{name}={_show_value(value)}" for name, value in example.items()) or "(any situation)"


def _show_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _prove(
    kb: KnowledgeBase,
    prover: Prover,
    parts: Sequence[tuple[Condition, bool]],
    confirm: Callable[[ConsultationResult], bool],
    silent: Sequence[Rule] = (),
    effort: Effort | None = None,
) -> tuple[str, dict[str, Value]]:
    """``("holds", {})`` when no situation makes ``parts`` come out as wanted (with none of
    the ``silent`` rules firing); ``("broken", example)`` when one does — the first whose pure
    consultation ``confirm`` accepts (while ``effort`` allows consultations), else the first
    found; ``("unknown", {})`` when it could not be decided."""
    try:
        extra = [clause for rule in silent for clause in prover.not_firing(rule)]
        found = prover.situations(parts, extra=extra)
    except TooHard:
        return "unknown", {}
    if not found:
        return "holds", {}
    examples = [prover.example(literals) for literals in found]
    for example in examples:
        if effort is not None and not effort.consult():
            break
        try:
            if confirm(consult_pure(kb, example)):
                return "broken", example
        except Exception:  # noqa: BLE001 - a conflicting derivation: try the next situation
            continue
    return "broken", examples[0]


def _replaced_by(kb: KnowledgeBase, *rules: Rule) -> set[str]:
    """Advice that advice given by ``rules`` replaces: never shown when they all fire."""
    return {replaced for rule in rules for advice_id in rule.advise for replaced in kb.advice[advice_id].replaces}


def _cannot_prove(location: Location, what: str, check: str, subject: str, steps: int = 0) -> Finding:
    why = f"the search took more than {steps:,} steps" if steps else (
        f"the conditions expand to more than {MAX_ALTERNATIVES} alternatives")
    return Finding(
        location,
        "warning",
        f"could not prove that {what}: {why} (split the rule, or simplify its condition)",
        check,
        subject,
    )


def _stopped(location: Location, check: str, left: int, effort: Effort, what: str = "") -> Finding:
    """The warning of a check that took its :class:`~.proofs.Effort` and stopped, ``left`` proofs
    (or ``what``) short."""
    message = (
        f"the {check} check stopped here with {what or f'{left:,} proof(s)'} left unchecked: it took its budget of "
        f"{effort.limit:,} search steps ({effort.per_rule:,} a rule; kb check --effort N allows N times as many)"
    )
    return Finding(location, "warning", message, check, "budget")


def _verdict(status: str, location: Location, check: str, subject: str, broken: str, what: str) -> Iterable[Finding]:
    """The finding of one proof: an error saying ``broken`` (with its example), a "could not
    prove ``what``" warning, or nothing when it holds."""
    if status == "broken":
        yield Finding(location, "error", broken, check, subject)
    elif status == "unknown":
        yield _cannot_prove(location, what, check, subject)


def _contracts(kb: KnowledgeBase, prover: Prover, effort: Effort | None = None) -> Iterable[Finding]:
    effort = effort or Effort(prover)
    replacers: dict[str, dict[str, Rule]] = {}  # advice id → the rules giving advice that replaces it, by id
    for replacer in kb.advice.values():
        for target in replacer.replaces:
            for rule_id in kb.graph.rules_giving(replacer.id):
                replacers.setdefault(target, {}).setdefault(rule_id, kb.rule(rule_id))
    proofs = [
        (rule, advice_id) for rule in kb.rules for advice_id in rule.advise
        if kb.advice[advice_id].requires is not None and advice_id not in _replaced_by(kb, rule)
    ]
    for done, (rule, advice_id) in enumerate(proofs):
        if effort.spent():
            yield _stopped(rule.location, "contract", len(proofs) - done, effort)
            return
        requires = kb.advice[advice_id].requires
        assert requires is not None
        parts = [(rule.when, True), (requires, False)]

        def confirm(result: ConsultationResult, a: str = advice_id) -> bool:
            return any(v.kind == "contract" and v.advice == a for v in result.violations)

        status, example = _prove(kb, prover, parts, confirm, (), effort)
        if status != "holds" and replacers.get(advice_id):
            # Shown only where no rule gives advice that replaces it: prove that one always does.
            status, example = _prove(kb, prover, parts, confirm, list(replacers[advice_id].values()), effort)
        yield from _verdict(
            status, rule.location, "contract", f"{rule.id}:{advice_id}",
            f"rule '{rule.id}' can give '{advice_id}' where its contract fails, for example {_situation(example)}",
            f"rule '{rule.id}' never gives '{advice_id}' where its contract fails",
        )


def _incompatible_pairs(kb: KnowledgeBase) -> tuple[list[tuple[str, str, list[Rule], list[Rule]]], int]:
    """Each two incompatible advice items neither of which replaces the other, with the rules
    giving each; and how many pairs of rules that makes."""
    pairs = set()
    for item in kb.advice.values():
        for partner in item.incompatible_with:
            pairs.add(tuple(sorted((item.id, partner))))
    found = []
    for first, second in sorted(pairs):
        if second in kb.advice[first].replaces or first in kb.advice[second].replaces:
            continue
        givers = [kb.rule(r) for r in kb.graph.rules_giving(first)]
        others = [kb.rule(r) for r in kb.graph.rules_giving(second)]
        found.append((first, second, givers, others))
    return found, sum(len(givers) * len(others) for _, _, givers, others in found)


def _incompatibles(kb: KnowledgeBase, prover: Prover, effort: Effort | None = None) -> Iterable[Finding]:
    effort = effort or Effort(prover)
    pairs, total = _incompatible_pairs(kb)
    done = 0
    for first, second, givers, others in pairs:
        for giver, other in itertools.product(givers, others):
            done += 1
            if _replaced_by(kb, giver, other) & {first, second}:
                continue
            if effort.spent():
                yield _stopped(giver.location, "incompatible", total - done + 1, effort)
                return
            together = "gives" if giver is other else f"and '{other.id}' can fire together and give"

            def confirm(result: ConsultationResult, a: str = first, b: str = second) -> bool:
                return any(v.kind == "incompatible" and {v.advice, v.other} == {a, b} for v in result.violations)

            status, example = _prove(kb, prover, [(giver.when, True), (other.when, True)], confirm, (), effort)
            yield from _verdict(
                status, giver.location, "incompatible", f"{giver.id}+{other.id}",
                f"rule{'s' if giver is not other else ''} '{giver.id}' {together} incompatible advice "
                f"'{first}' and '{second}', for example {_situation(example)}",
                f"rules '{giver.id}' and '{other.id}' never give incompatible advice '{first}' and '{second}' "
                "together",
            )


def _urgencies(kb: KnowledgeBase, prover: Prover, effort: Effort | None = None) -> Iterable[Finding]:
    effort = effort or Effort(prover)
    with_deadline = [
        (kb.advice[advice_id], rule) for rule in kb.rules for advice_id in rule.advise
        if kb.advice[advice_id].deadline is not None
    ]
    urgent_givers = [
        (urgent, kb.rule(r)) for urgent in kb.advice.values() if urgent.urgent_within is not None
        for r in kb.graph.rules_giving(urgent.id)
    ]
    total, done = len(urgent_givers) * len(with_deadline), 0
    for (urgent, giver), (item, other) in itertools.product(urgent_givers, with_deadline):
        done += 1
        if _replaced_by(kb, giver, other) & {urgent.id, item.id}:
            continue
        if effort.spent():
            yield _stopped(giver.location, "urgency", total - done + 1, effort)
            return
        limit, deadline = urgent.urgent_within, item.deadline
        assert deadline is not None and limit is not None
        far = Comparison(deadline.fact, OPERATORS["gt"], limit - deadline.offset)
        subject = f"{giver.id}:{urgent.id}+{other.id}:{item.id}"

        def confirm(result: ConsultationResult, a: str = urgent.id, b: str = item.id) -> bool:
            return any(v.kind == "urgency" and v.advice == a and v.other == b for v in result.violations)

        parts = [(giver.when, True), (other.when, True), (far, True)]
        status, example = _prove(kb, prover, parts, confirm, (), effort)
        by = f"rule '{other.id}'" if other is not giver else "the same rule"
        yield from _verdict(
            status, giver.location, "urgency", subject,
            f"rule '{giver.id}' gives '{urgent.id}' (act within {limit} days) while {by} can give "
            f"'{item.id}' with a deadline more than {limit} days away, for example {_situation(example)}",
            f"'{urgent.id}' from rule '{giver.id}' never stands beside a deadline of '{item.id}' more than "
            f"{limit} days away",
        )


def _dead_ends(kb: KnowledgeBase) -> Iterable[Finding]:
    read = {name for rule in kb.rules for name in rule.reads}
    derived = {name for rule in kb.rules for name, _ in rule.derive}
    given = {a for rule in kb.rules for a in rule.advise}
    mentioned: dict[str, set[Value]] = {}
    for rule in kb.rules:
        for comparison in comparisons_in(rule.when):
            mentioned.setdefault(comparison.fact, set()).update(comparison.operator.mentioned(comparison.value))
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
        if item.id not in given and item.id != NOTHING_APPLIES:
            yield Finding(
                item.location, "warning", f"advice '{item.id}' is given by no rule", "dead-end", f"advice:{item.id}"
            )


def gaps(kb: KnowledgeBase, facts: Sequence[str]) -> list[dict[str, Value]]:
    """Combinations of ``facts`` for which no rule that gives advice can fire."""
    base: dict[str, Domain] = {name: open_domain(fact) for name, fact in kb.facts.items() if not fact.derived}
    advisers = [rule for rule in kb.rules if rule.advise]
    choices: list[Sequence[Value]] = [
        kb.facts[name].values if kb.facts[name].type is FactType.CHOICE else (True, False) for name in facts
    ]
    found = []
    for combination in itertools.product(*choices):
        known = {name: Known(value) for name, value in zip(facts, combination, strict=True)}
        domains = derive(kb.rules, {**base, **known})
        if not any(can(rule.when, domains) for rule in advisers):
            found.append(dict(zip(facts, combination, strict=True)))
    return found


def _gap_findings(kb: KnowledgeBase, config: LintConfig, used: set[Explained]) -> Iterable[Finding]:
    """The gaps, explained per combination, then aggregated (:mod:`.gapreport`)."""
    from .gapreport import aggregate, gap_location, show_pattern

    if not config.gap_facts:
        return
    facts = config.gap_facts
    by_reason: dict[str | None, list[dict[str, Value]]] = {}
    for combination in gaps(kb, facts):
        subject = ", ".join(f"{k}={_show_value(v)}" for k, v in combination.items())
        entry = _explaining(config, "gap", subject)
        if entry is not None:
            used.add(entry)
        by_reason.setdefault(entry.reason if entry else None, []).append(combination)
    for reason, combinations in by_reason.items():
        for pattern in aggregate(kb, facts, combinations):
            subject = show_pattern(kb, facts, pattern)
            location = gap_location(kb, facts, pattern, config.value_locations, config.location)
            yield Finding(location, "warning", f"no advice can be given when {subject}", "gap", subject, reason)


def check_knowledge_base(kb: KnowledgeBase, config: LintConfig | None = None, effort: float = 1.0) -> list[Finding]:
    """Run every check; findings a maintainer explained in checks.yaml carry the reason. Each
    proving check may take ``effort`` times its budget (:class:`~.proofs.Effort`)."""
    from .derivations import overlaps, range_gaps  # it builds on this module's findings
    from .shadowing import shadowed_rules, unreachable_through_derived  # it builds on Finding

    config = config or LintConfig()
    domains = lint_domains(kb, MAX_ALTERNATIVES)  # read here: a test lowers the limit
    prover = Prover(kb, domains, MAX_ALTERNATIVES)
    findings = [
        *_unreachable(kb, domains),
        *unreachable_through_derived(kb, domains),
        *_redundant(kb, domains),
        *shadowed_rules(kb, prover, Effort(prover, effort)),
        *_contracts(kb, prover, Effort(prover, effort)),
        *_incompatibles(kb, prover, Effort(prover, effort)),
        *_urgencies(kb, prover, Effort(prover, effort)),
        *_dead_ends(kb),
        *overlaps(kb, prover, Effort(prover, effort)),
        *range_gaps(kb, prover, Effort(prover, effort)),
    ]
    used: set[Explained] = set()
    explained = [
        Finding(f.location, f.severity, f.message, f.check, f.subject, _explanation(config, f, used))
        for f in findings
    ]
    explained += _gap_findings(kb, config, used)
    explained += _stale(config, used, explained)
    return sorted(explained, key=lambda f: (f.location, f.check, f.subject))


def _explaining(config: LintConfig, check: str, subject: str) -> Explained | None:
    return next((e for e in config.explained if e.check == check and _matches(e.subject, subject)), None)


def _explanation(config: LintConfig, finding: Finding, used: set[Explained]) -> str | None:
    if finding.severity == "error":  # errors are fixed, never explained away
        return None
    entry = _explaining(config, finding.check, finding.subject)
    if entry is None:
        return None
    used.add(entry)
    return entry.reason


def _stale(config: LintConfig, used: set[Explained], findings: Sequence[Finding]) -> Iterable[Finding]:
    """``stale`` warnings: explained entries that match no finding (the rule was fixed or renamed)."""
    from .errors import did_you_mean, suggest

    for entry in config.explained:
        if entry in used:
            continue
        same = sorted({f.subject for f in findings if f.check == entry.check})
        hint = suggest(entry.subject, same) or suggest(entry.subject, sorted({f.subject for f in findings}))
        message = (
            f"explained {entry.check} warning '{entry.subject}' matches no finding (remove the entry if the "
            f"warning is gone){did_you_mean(hint)}"
        )
        yield Finding(entry.location, "warning", message, "stale", f"{entry.check}:{entry.subject}")


def _matches(pattern: str, subject: str) -> bool:
    """``pattern`` is the subject, or for gaps a comma list of name=value where value may be ``*``."""
    if pattern == subject:
        return True
    wanted = dict(part.strip().split("=", 1) for part in pattern.split(",") if "=" in part)
    have = dict(part.strip().split("=", 1) for part in subject.split(",") if "=" in part)
    if not wanted or set(wanted) - set(have):
        return False
    return all(value == "*" or have[name] == value for name, value in wanted.items())
