"""Static consistency of derived facts, for ``kb check``: overlaps and range gaps.

For each derived fact, the rules that derive it (its *family*) are checked two ways:

* ``overlap`` (an error) — two rules of the family derive *different* values of the fact and
  some complete situation (every askable fact known) makes both fire. A consultation in that
  situation stops with a :class:`~.errors.ConflictingDerivationError`. Whether both can fire is
  decided by the :class:`~.proofs.Prover`: tests on other derived facts are expanded into the
  rules that derive them (the derivation fixpoint), so only situations that really occur count.
  The error is located at the later rule, names both with file and line, and gives an example
  situation that a pure consultation confirms when it can.
* ``range-gap`` (a warning) — a *hole* between the ranges of an integer fact the family compares.
  Precisely: for an askable integer fact N compared in the condition of a rule of the family, and
  a complete situation s of the other askable facts, let C(s) be the values of N for which some
  rule of the family fires (in s, with N set to that value). A hole is a run of values of N that
  lies between two values of C(s) but is not in C(s) itself: the fact is derived just below and
  just above it, and not inside it, with everything else held the same. A fact derived only in
  some situations (a flag derived when ``days_left < 0``, say) has no hole: C(s) is one range or
  empty. Values no rule compares on both sides of are never a hole, and nothing here asks that a
  family cover N's whole domain.

  The hole is reported at the rule whose range starts just above it, naming the rules on both
  sides and the situation (``days_left 8–10 derive no protection_window when
  order_status=shipped``). Its subject is ``FACT:N=LOW..HIGH``; an ``explained`` entry may write
  ``FACT:N=*`` for every hole of that fact over N.

How a hole is found: the values of N are cut into *elementary ranges* at every threshold the
family's conditions (expanded into askable facts) compare N with; within one, every rule behaves
alike. An elementary range is a hole when the prover finds a situation in which a rule with a
value of N below it fires, a rule with a value above it fires, and every rule that allows N in it
fails on another fact. The reported run is that range widened over its neighbours that are holes
in the same example situation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .domains import Integers, Interval, allowed
from .errors import ConflictingDerivationError
from .lint import Finding, _cannot_prove, _show_value, _situation, _stopped
from .model import FactType, KnowledgeBase, Rule, Value, comparisons_in
from .proofs import Effort, Literal, Prover, TooHard, consult_pure

__all__ = ["overlaps", "range_gaps"]


def _family(prover: Prover, fact: str) -> list[tuple[Value, Rule]]:
    """The rules deriving ``fact``, with the value each derives, in file order."""
    return sorted(prover.expander.derivers.get(fact, []), key=lambda found: found[1].position)


def _where(rule: Rule) -> str:
    return f"'{rule.id}' ({rule.location.short()})"


# ------------------------------------------------------------------ overlap
def overlaps(kb: KnowledgeBase, prover: Prover, effort: Effort | None = None) -> Iterable[Finding]:
    """An error for each two rules that can derive different values of one fact in one situation
    (within ``effort``: a check that takes it stops with a warning that says so)."""
    effort = effort or Effort(prover)
    pairs = [
        (fact, first, second) for fact in kb.facts
        for first, second in itertools.combinations(_family(prover, fact), 2) if first[0] != second[0]
    ]
    for done, (fact, (first_value, first), (second_value, second)) in enumerate(pairs):
        if effort.spent():
            yield _stopped(second.location, "overlap", len(pairs) - done, effort)
            return
        subject = f"{fact}:{first.id}+{second.id}"
        try:
            found = prover.situations([(first.when, True), (second.when, True)])
        except TooHard:
            what = f"rules '{first.id}' and '{second.id}' never derive different values of '{fact}' together"
            yield _cannot_prove(second.location, what, "overlap", subject)
            continue
        if not found:
            continue
        example = _confirmed(kb, fact, [prover.example(literals) for literals in found], effort)
        message = (
            f"rules {_where(first)} and {_where(second)} can both fire and derive different values of "
            f"'{fact}' ('{_show_value(first_value)}' and '{_show_value(second_value)}'), for example "
            f"{_situation(example)}"
        )
        yield Finding(second.location, "error", message, "overlap", subject)


def _confirmed(kb: KnowledgeBase, fact: str, examples: Sequence[dict[str, Value]], effort: Effort) -> dict[str, Value]:
    """The first example in which a pure consultation stops on a conflict over ``fact`` (else the
    first; consultations only while ``effort`` allows them)."""
    for example in examples:
        if not effort.consult():
            break
        try:
            consult_pure(kb, example)
        except ConflictingDerivationError as conflict:
            if conflict.fact == fact:
                return example
        except Exception:  # noqa: BLE001 - another kb error on the way: try the next example
            continue
    return examples[0]


# ---------------------------------------------------------------- range gaps
@dataclass(frozen=True)
class _Piece:
    """One way a rule of the family can fire: the values of N it allows, and its other tests."""

    rule: Rule
    numbers: Integers
    context: tuple[Literal, ...]

    def fails_on(self, example: Mapping[str, Value]) -> bool:
        """Whether some test of its context fails on ``example`` (whatever the facts it leaves out)."""
        return any(
            c.fact in example and c.operator.test(example[c.fact], c.value) != want for c, want in self.context
        )

    def holds_on(self, example: Mapping[str, Value]) -> bool:
        return all(c.fact in example and c.operator.test(example[c.fact], c.value) == want for c, want in self.context)


#: Search steps the range-gap proofs of one derived fact may take, besides ``Effort.per_rule`` per
#: rule deriving it: one family whose conditions expand into thousands of ways cannot starve the rest.
FAMILY_STEPS = 2_000


def range_gaps(kb: KnowledgeBase, prover: Prover, effort: Effort | None = None) -> Iterable[Finding]:
    """A warning for each hole between the ranges of an integer fact a family of rules compares
    (within ``effort``: a check that takes it stops with a warning that says so; each family
    within its own share, else "could not prove")."""
    effort = effort or Effort(prover)
    for fact in kb.facts:
        family = _family(prover, fact)
        rules = list(dict.fromkeys(rule for _, rule in family))
        numbers = [
            name for name in dict.fromkeys(c.fact for rule in rules for c in comparisons_in(rule.when))
            if kb.facts[name].type is FactType.INTEGER and not kb.facts[name].derived
        ]
        if not numbers:
            continue
        try:
            ways = [(rule, literals) for rule in rules for literals in prover.alternatives(rule.when, True)]
        except TooHard:
            what = f"the rules deriving '{fact}' leave no hole in the ranges of {', '.join(numbers)}"
            yield _cannot_prove(rules[-1].location, what, "range-gap", f"{fact}:{numbers[0]}=*")
            continue
        share = _Share(prover, effort.per_rule * len(rules) + FAMILY_STEPS)
        for number in numbers:
            for finding in _holes(prover, fact, number, ways, effort, share):
                yield finding
                if finding.subject == "budget":
                    return


class _Share:
    """The search steps left to the range-gap proofs of one family (:data:`FAMILY_STEPS`)."""

    def __init__(self, prover: Prover, steps: int) -> None:
        self.prover = prover
        self.end = prover.steps + steps
        self.steps = steps

    def left(self) -> int:
        """Steps left (at least 1: the search that finds them spent says so with TooHard)."""
        return max(self.end - self.prover.steps, 1)


def _pieces(prover: Prover, number: str, ways: Sequence[tuple[Rule, list[Literal]]]) -> list[_Piece]:
    domain = prover.domains[number]
    assert isinstance(domain, Interval)
    pieces = []
    everything = allowed(domain, ())
    for rule, literals in ways:
        tests = [literal for literal in literals if literal[0].fact == number]
        allowed_numbers = allowed(domain, tests) if tests else everything  # type: ignore[arg-type]
        assert isinstance(allowed_numbers, Integers)
        if allowed_numbers:
            context = tuple(literal for literal in literals if literal[0].fact != number)
            pieces.append(_Piece(rule, allowed_numbers, context))
    return pieces


def _elementary(domain: Interval, pieces: Sequence[_Piece]) -> list[tuple[float, float]]:
    """N's domain cut at every end of every piece's ranges: within one part, each piece allows
    every value or none."""
    cuts = {domain.low, domain.high + 1}
    for piece in pieces:
        for low, high in piece.numbers.ranges:
            cuts.update(edge for edge in (low, high + 1) if domain.low < edge <= domain.high)
    ordered = sorted(cuts)
    return [(low, high - 1) for low, high in itertools.pairwise(ordered)]


def _holes(
    prover: Prover, fact: str, number: str, ways: Sequence[tuple[Rule, list[Literal]]], effort: Effort, share: _Share
) -> Iterable[Finding]:
    domain = prover.domains[number]
    assert isinstance(domain, Interval)
    pieces = _pieces(prover, number, ways)
    parts = _elementary(domain, pieces)
    blocks: dict[int, list[list[Literal]]] = {}  # piece index → the ways it fails (worked out when needed)
    reported: list[tuple[float, float]] = []
    for index, (low, high) in enumerate(parts):
        if math.isinf(low) or math.isinf(high) or any(start <= low and high <= end for start, end in reported):
            continue  # an unbounded part has no rule on one side of it
        if effort.spent():
            left = f"the ranges of {number} from {int(low)} on for '{fact}' (and the facts after it)"
            yield _stopped(pieces[-1].rule.location, "range-gap", 0, effort, left)
            return
        try:
            example = _hole_example(prover, pieces, blocks, (low, high), share.left())
        except TooHard as hard:
            what = f"the rules deriving '{fact}' leave no hole in the ranges of {number}"
            steps = share.steps if hard.steps and share.left() <= 1 else hard.steps
            yield _cannot_prove(pieces[-1].rule.location, what, "range-gap", f"{fact}:{number}=*", steps)
            return
        if example is None:
            continue
        first, last = index, index
        while first > 0 and _uncovered(pieces, parts[first - 1], example):
            first -= 1
        while last + 1 < len(parts) and _uncovered(pieces, parts[last + 1], example):
            last += 1
        start, end = parts[first][0], parts[last][1]
        reported.append((start, end))
        yield _hole_finding(fact, number, (start, end), pieces, example)


def _hole_example(
    prover: Prover, pieces: Sequence[_Piece], blocks: dict[int, list[list[Literal]]], part: tuple[float, float],
    budget: int,
) -> dict[str, Value] | None:
    """A situation (askable facts other than N) in which values of N below and above the ``part``
    derive the fact and none inside it does; None when there is none (:class:`TooHard` when that
    cannot be decided). ``blocks[i]``: the ways ``pieces[i]`` fails (filled in here). A piece's context is already a
    conjunction of askable literals: the alternatives of "some piece below fires" are the contexts."""
    low, high = part
    below = [list(p.context) for p in pieces if _first(p.numbers) <= low - 1]
    above = [list(p.context) for p in pieces if _last(p.numbers) >= high + 1]
    if not below or not above:
        return None
    inside = Integers.span(low, high)
    blocked = []
    for index, piece in enumerate(pieces):
        if piece.numbers & inside:
            if index not in blocks:
                blocks[index] = [[(c, not want)] for c, want in piece.context]
            blocked.append(blocks[index])
    found = prover.search([below, above], limit=1, extra=blocked, budget=budget)
    return prover.example(found[0]) if found else None


def _uncovered(pieces: Sequence[_Piece], part: tuple[float, float], example: Mapping[str, Value]) -> bool:
    """Whether no piece allowing the values of ``part`` can fire in ``example``."""
    return all(piece.fails_on(example) for piece in pieces if piece.numbers & Integers.span(*part))


def _last(numbers: Integers) -> float:
    return numbers.ranges[-1][1] if numbers else -math.inf


def _first(numbers: Integers) -> float:
    return numbers.ranges[0][0] if numbers else math.inf


def _hole_finding(
    fact: str, number: str, hole: tuple[float, float], pieces: Sequence[_Piece], example: Mapping[str, Value]
) -> Finding:
    low, high = int(hole[0]), int(hole[1])
    firing = [piece for piece in pieces if piece.holds_on(example)]
    below = max(firing, key=lambda p: _last(p.numbers & Integers.span(-math.inf, low - 1)))
    above = min(firing, key=lambda p: _first(p.numbers & Integers.span(high + 1, math.inf)))
    values = f"{number} {low}" + (f"–{high} derive" if high > low else " derives")
    shown = ", ".join(f"{name}={_show_value(value)}" for name, value in example.items())
    when = f"when {shown}" if shown else "whatever the other facts"
    message = (
        f"{values} no {fact} {when}: rule {_where(below.rule)} derives it up to {low - 1}, "
        f"rule {_where(above.rule)} from {high + 1}"
    )
    return Finding(above.rule.location, "warning", message, "range-gap", f"{fact}:{number}={low}..{high}")

