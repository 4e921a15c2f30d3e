"""The durable-rules backend: the only module that imports ``durable``.

How a knowledge base runs on durable-rules (see docs/architecture.md and
the measurements in shared/notes/durable-rules.md):

* **durable's matching engine, driven directly.** durable-rules is a C Rete
  engine (``durable_rules_engine``) behind a Python wrapper (``durable.engine``)
  that, for every fired rule, builds a closure, dumps and re-parses the
  session state as JSON and goes through a promise chain. The backend calls
  the C engine itself — ``create_ruleset``, ``assert_fact``,
  ``start_action_for_state``/``complete_and_start_action``,
  ``retract_fact``, ``delete_ruleset`` — so each fired rule costs one call
  into C, and no timer threads or hosts exist at all.
* **One case fact.** A consultation is one durable fact holding every known
  fact as a property (``{"sid": "1", "order_status": "shipped", ...}``).
  Each rule is one pattern over it, compiled from data to durable's JSON:
  equality, ``$neq``/``$lt``/``$lte``/``$gt``/``$gte``, ``$or`` of equalities for
  ``in`` (durable has no ``$in``), ``$and``/``$or`` for ``all``/``any``, and ``not``
  pushed inwards (De Morgan) so that a test on an unknown fact never holds —
  the same three-valued logic as :mod:`.conditions`.
* **Forward chaining.** durable finds which rules are ready; the backend
  fires them, one at a time. To match a shard (a durable ruleset, below),
  the backend asserts the case, takes every activation
  (``start_action_for_state``, then ``complete_and_start_action``) without
  firing anything, and retracts the case, leaving the session empty. The
  case carries a marker ``_fN`` for every rule already found ready, and rule
  N's pattern ends with ``$nex _fN``, so durable never reports a rule twice
  (markers come last in the pattern, or durable's 64-entry match stack
  overflows, error 303); durable activates a rule once for *each* ``$or``
  branch that holds, so repeats within one match are dropped.
* **Conflict resolution.** Of the rules found ready, the one first in the
  knowledge base's order (priority, then position; rule N is ``rN``) fires
  next — but only once no shard can hold an earlier one. Facts are only
  ever added, so a rule can become ready only when a fact it reads is
  derived: then each shard reading that fact is matched again before the
  next firing if its first rule reading the fact whose outright
  *requirements* hold (the facts its condition tests at the top, which must
  be known and pass those tests) comes earlier; otherwise later, lazily, so
  that one match often takes in several derived facts. The order is thus
  the documented one at every size, and a rule's action runs outside
  durable: an error in it leaves nothing behind. A case no rule matches is
  simply not stored (result code 1), so no catch-all rule is needed.
* **Isolation.** One fixed session per ruleset (durable allows 1,024), and
  every match ends by retracting its case fact, leaving the session empty;
  a match that fails completes its started action and empties the session
  too, or leaves it behind for a fresh one. A lock serialises
  consultations; use processes, not threads, for parallel work.
* **Shards.** durable-rules lets one fact match at most 64 sibling tests
  (error 303) and a ruleset hold at most 4,096 rules, so a knowledge base of
  more than :data:`SHARD_SIZE` rules is split into several rulesets, ordered
  by derivation depth, then entry key. A shard is not asserted to when none
  of its rules can fire: every rule has an *entry key* (a fact it requires
  to have one of some values, a derived one if it can), and a shard none of
  whose keys hold on the given facts is not matched until a fact it reads
  is derived.
* **Errors never vanish.** An exception raised while a rule fires ends the
  run and is re-raised naming the rule (:class:`RuleActionError`);
  durable's bare error codes become :class:`BackendError`.
"""

from __future__ import annotations

import itertools
import json
import operator
from functools import partial
from heapq import heapify, heappop, heappush
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ._durable import load_engine
from .errors import BackendError, OrderdoctorError, RuleActionError
from .model import (
    AllOf,
    Comparison,
    Condition,
    KnowledgeBase,
    Not,
    Operator,
    Rule,
    Value,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

#: durable's C engine (``durable_rules_engine``), loaded by :mod:`._durable`: on Python 3.13+ it
#: needs our shim first; where it cannot load, a stand-in that raises a one-line error on use.
_engine = load_engine()

__all__ = [
    "MAX_CASE_PROPERTIES",
    "CompiledRuleset",
    "DurableBackend",
    "FiringListener",
    "compile_condition",
    "compile_ruleset",
    "get_backend",
]

#: Fires for each rule: given the rule and the fact values it matched,
#: returns the facts it adds (empty when it derives nothing new).
FiringListener = Callable[[Rule, Mapping[str, Value]], Mapping[str, Value]]

#: durable-rules silently drops properties past about 252 on one fact.
MAX_CASE_PROPERTIES = 240

#: ``assert_fact`` result codes of durable's matching engine.
_HANDLED, _NOT_HANDLED, _OBSERVED = 0, 1, 2

#: A position past every rule's (knowledge bases hold far fewer rules).
_NONE = 1 << 62

#: Case facts to durable's JSON, compact (durable's own wrapper writes the same, with spaces).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

_DURABLE_OPS = {
    Operator.NE: "$neq",
    Operator.LT: "$lt",
    Operator.LTE: "$lte",
    Operator.GT: "$gt",
    Operator.GTE: "$gte",
}


def _test(fact: str, op: Operator, value: Value) -> dict[str, Any]:
    if op is Operator.EQ:
        return {fact: value}
    return {_DURABLE_OPS[op]: {fact: value}}


def compile_condition(condition: Condition, *, holds: bool = True) -> dict[str, Any]:
    """durable's expression that matches when ``condition`` holds (or, with
    ``holds=False``, when it is known to fail). A test on a missing property
    never matches in durable, which gives unknown facts their meaning."""
    if isinstance(condition, Comparison):
        op, value = condition.operator, condition.value
        if op is Operator.IN:
            values: tuple[Value, ...] = value  # type: ignore[assignment]
            if holds:
                return {"$or": [_test(condition.fact, Operator.EQ, v) for v in values]}
            return {"$and": [_test(condition.fact, Operator.NE, v) for v in values]}
        if not holds:
            op = op.negated
        return _test(condition.fact, op, value)  # type: ignore[arg-type]
    if isinstance(condition, Not):
        return compile_condition(condition.condition, holds=not holds)
    parts = [compile_condition(part, holds=holds) for part in condition.conditions]
    conjunction = isinstance(condition, AllOf) == holds
    return {"$and" if conjunction else "$or": parts}


@dataclass(frozen=True)
class CompiledRuleset:
    """A knowledge base turned into one durable ruleset definition (pure data)."""

    name: str
    definition: Mapping[str, Any]
    rules: Mapping[str, Rule]
    markers: Mapping[str, str]
    #: Fact → values: every rule of the shard requires one of these facts to be known and have
    #: one of its values (its *entry key*; None values: any value); None when some rule has no
    #: such requirement.
    entry: Mapping[str, frozenset[Value] | None] | None = None
    #: The facts the shard's rules read.
    reads: frozenset[str] = frozenset()
    #: Fact → the kb positions of the shard's rules that read it, lowest first.
    readers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    #: The lowest kb position of the shard's rules.
    lowest: int = _NONE
    #: Position → what the rule there requires of the facts to be able to fire.
    requires: Mapping[int, Requirements] = field(default_factory=dict)

    def may_match(self, known: Mapping[str, Value]) -> bool:
        """False when no rule of the shard can fire on ``known``: each requires a fact to have a
        value it has not (or does not have yet — a test on an unknown fact never holds)."""
        if self.entry is None:
            return True
        for fact, values in self.entry.items():
            if fact in known and (values is None or known[fact] in values):
                return True
        return False


#: Rules per durable ruleset. One fact may match at most 64 sibling tests in durable-rules
#: (error 303) and a ruleset holds at most 4,096 rules: larger knowledge bases are split into
#: shards of this many rules.
SHARD_SIZE = 64


@dataclass(frozen=True)
class CompiledKnowledgeBase:
    """A knowledge base compiled to one or more durable rulesets (shards)."""

    shards: tuple[CompiledRuleset, ...]
    #: Fact → the positions (in ``shards``) of the shards whose rules read it.
    shards_reading: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.shards[0].name

    @property
    def rules(self) -> Mapping[str, Rule]:
        return {key: rule for shard in self.shards for key, rule in shard.rules.items()}

    @property
    def definition(self) -> Mapping[str, Any]:
        return {key: rule for shard in self.shards for key, rule in shard.definition.items()}

    @property
    def markers(self) -> Mapping[str, str]:
        return {key: marker for shard in self.shards for key, marker in shard.markers.items()}


def _marker(index: int) -> str:
    """The property that marks rule ``index`` as found ready in a case (rule N is ``rN``)."""
    return f"_f{index}"


def compile_ruleset(
    kb: KnowledgeBase, name: str, indices: range | None = None
) -> CompiledRuleset:
    """Compile the rules of ``kb`` (or those at ``indices`` in ``kb.rules``) to one durable
    ruleset definition; rule N of the kb is ``rN``, with priority N+1."""
    definition: dict[str, Any] = {}
    rules: dict[str, Rule] = {}
    markers: dict[str, str] = {}
    indices = indices if indices is not None else range(len(kb.rules))
    for index in indices:
        rule = kb.rules[index]
        key = f"r{index}"
        marker = _marker(index)
        pattern = {"$and": [compile_condition(rule.when), {"$nex": {marker: 1}}]}
        definition[key] = {"all": [{"m": pattern}], "pri": index + 1}
        rules[key] = rule
        markers[key] = marker
    return CompiledRuleset(name, definition, rules, markers)


#: What a rule requires of the facts to be able to fire: (fact, a test its value must pass —
#: None: it must merely be known), one entry per comparison its condition makes outright.
Requirements = tuple[tuple[str, "Callable[[Value], bool] | None"], ...]

#: ``value OP x`` as a test of ``value`` alone: ``partial(REVERSED, x)``, since ``x REVERSED value``.
_REVERSED = {
    Operator.NE: operator.ne,
    Operator.LT: operator.gt,
    Operator.LTE: operator.ge,
    Operator.GT: operator.lt,
    Operator.GTE: operator.le,
}


def _requirement(comparison: Comparison, holds: bool) -> tuple[str, Callable[[Value], bool] | None]:
    """The test a fact's value must pass for ``comparison`` to hold (or, with ``holds=False``,
    to fail), with the comparisons of :func:`.conditions.compare`."""
    op, value = comparison.operator, comparison.value
    if op is Operator.IN:
        return comparison.fact, frozenset(value).__contains__ if holds else None  # type: ignore[arg-type]
    if not holds:
        op = op.negated
    if op is Operator.EQ:
        return comparison.fact, frozenset((value,)).__contains__
    if op is Operator.NE or isinstance(value, int):
        return comparison.fact, partial(_REVERSED[op], value)
    return comparison.fact, None


def _requirements(rule: Rule) -> Requirements:
    """What ``rule``'s condition requires of the facts outright (a comparison, or the ``not`` of
    one, at the top of an ``all``). A test on an unknown fact never holds, so the rule cannot
    fire until every requirement holds; since facts are only ever added, once they hold they go
    on holding. Only a necessary condition: durable does the matching."""
    parts = rule.when.conditions if isinstance(rule.when, AllOf) else (rule.when,)
    required = []
    for part in parts:
        if isinstance(part, Not) and isinstance(part.condition, Comparison):
            required.append(_requirement(part.condition, holds=False))
        elif isinstance(part, Comparison):
            required.append(_requirement(part, holds=True))
    return tuple(required)


def _required_values(rule: Rule, fact: str) -> frozenset[Value] | None:
    """The values ``fact`` must have for ``rule`` to fire, when its condition says so outright."""
    parts = rule.when.conditions if isinstance(rule.when, AllOf) else (rule.when,)
    for part in parts:
        if isinstance(part, Comparison) and part.fact == fact:
            if part.operator is Operator.EQ:
                return frozenset((part.value,))  # type: ignore[arg-type]
            if part.operator is Operator.IN:
                return frozenset(part.value)  # type: ignore[arg-type]
    return None


def _entry_key(kb: KnowledgeBase, rule: Rule) -> tuple[str, frozenset[Value] | None] | None:
    """A fact ``rule`` cannot fire without, and the values it must have (None: any value, as
    for ``days_left < 3`` — a test on an unknown fact never holds); None when the condition
    requires no single fact (an ``any`` at the top). Chosen to rule the rule out most often:
    the largest share of the fact's possible values excluded (a choice of six values required
    to be one: five sixths), then a derived fact (unknown until some rule concludes it)."""
    parts = rule.when.conditions if isinstance(rule.when, AllOf) else (rule.when,)
    best: tuple[tuple[float, int], str, frozenset[Value] | None] | None = None
    for part in parts:
        if not isinstance(part, Comparison):
            continue
        fact = kb.facts[part.fact]
        values = _required_values(rule, part.fact)
        domain = len(fact.values) if fact.values else 2
        excluded = 0.0 if values is None else (domain - len(values)) / domain
        score = (excluded, int(fact.derived))
        if best is None or score > best[0]:
            best = (score, part.fact, values)
    return None if best is None else (best[1], best[2])


def _entry(kb: KnowledgeBase, indices: list[int]) -> Mapping[str, frozenset[Value] | None] | None:
    """The entry keys of the rules at ``indices``, merged by fact; None if one rule has none."""
    entry: dict[str, frozenset[Value] | None] = {}
    for index in indices:
        key = _entry_key(kb, kb.rules[index])
        if key is None:
            return None
        fact, values = key
        if fact in entry:
            known = entry[fact]
            entry[fact] = None if known is None or values is None else known | values
        else:
            entry[fact] = values
    return MappingProxyType(entry)


def _shard_order(kb: KnowledgeBase) -> list[int]:
    """Rule indices ordered by derivation depth, then by entry key, then the kb's order: the
    rules of a shard share their entry keys (more shards skipped) and read facts derived at
    about the same time (fewer matches)."""
    depth: dict[str, int] = {}
    deriving: dict[str, list[int]] = {}
    for index, rule in enumerate(kb.rules):
        for name, _ in rule.derive:
            deriving.setdefault(name, []).append(index)

    def rule_depth(index: int, seen: frozenset[int] = frozenset()) -> int:
        key = kb.rules[index].id
        if key not in depth:
            inputs = [d for name in kb.rules[index].reads for d in deriving.get(name, []) if d not in seen]
            depth[key] = 1 + max((rule_depth(d, seen | {index}) for d in inputs), default=-1)
        return depth[key]

    def entry_key(index: int) -> tuple[str, str]:
        key = _entry_key(kb, kb.rules[index])
        if key is None:
            return ("~", "")
        fact, values = key
        return (fact, "*" if values is None else ",".join(sorted(map(str, values))))

    return sorted(range(len(kb.rules)), key=lambda i: (rule_depth(i), entry_key(i), i))


def _action_key(message: str) -> str:
    """The rule key of an action message: durable writes ``{"KEY":{"m":{...}}}``."""
    if message.startswith('{"'):
        return message[2:message.index('"', 2)]
    return next(iter(json.loads(message)))  # pragma: no cover - durable's own format never varies


@dataclass(eq=False)
class _ShardRun:
    """One shard's part of a consultation.

    ``marked`` are the positions of the shard's rules that durable found ready (fired or waiting
    their turn): their markers go into every case asserted to the shard, so durable does not
    activate them again. ``matched_at`` is the number of derivations made when durable last
    matched the shard (-1: not yet).
    """

    compiled: CompiledRuleset
    marked: set[int] = field(default_factory=set)
    matched_at: int = -1

    def first_reader(self, fact: str, known: Mapping[str, Value]) -> int:
        """The lowest position of an unmarked rule of the shard that reads ``fact`` and whose
        requirements (:func:`_requirements`) hold on ``known``; :data:`_NONE` if there is none."""
        requires = self.compiled.requires
        marked = self.marked
        for position in self.compiled.readers[fact]:
            if position in marked:
                continue
            for name, test in requires[position]:
                if name not in known or (test is not None and not test(known[name])):
                    break
            else:
                return position
        return _NONE


class DurableBackend:
    """Registers compiled knowledge bases with durable-rules and runs consultations on them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._names = itertools.count(1)
        self._sessions = itertools.count(2)
        self._handles: dict[str, int] = {}
        self._sid: dict[str, str] = {}
        self._opened: set[str] = set()  # rulesets whose current session was ever asserted to
        self._running = False

    # ------------------------------------------------------------ registration
    def register(self, kb: KnowledgeBase) -> CompiledKnowledgeBase:
        """Compile ``kb`` into shards of at most :data:`SHARD_SIZE` rules and register them."""
        with self._lock:
            sharded = len(kb.rules) > SHARD_SIZE
            order = _shard_order(kb) if sharded else list(range(len(kb.rules)))
            shards = []
            try:
                for start in range(0, max(len(order), 1), SHARD_SIZE):
                    indices = sorted(order[start:start + SHARD_SIZE])
                    compiled = compile_ruleset(kb, f"orderdoctor{next(self._names)}", indices)  # type: ignore[arg-type]
                    readers: dict[str, list[int]] = {}
                    for index in indices:  # ascending
                        for name in kb.rules[index].reads:
                            readers.setdefault(name, []).append(index)
                    compiled = replace(
                        compiled,
                        entry=_entry(kb, indices) if sharded else None,
                        reads=frozenset(readers),
                        readers=MappingProxyType({name: tuple(at) for name, at in readers.items()}),
                        lowest=indices[0] if indices else _NONE,
                        requires={index: _requirements(kb.rules[index]) for index in indices},
                    )
                    try:
                        handle = _engine.create_ruleset(compiled.name, json.dumps(compiled.definition))
                    except _engine.error as exc:  # durable's bare error codes
                        raise BackendError(f"durable-rules refused the knowledge base: {exc}") from exc
                    self._handles[compiled.name] = handle
                    self._sid[compiled.name] = "1"
                    shards.append(compiled)
            except BaseException:
                for shard in shards:
                    self._unregister_shard(shard)
                raise
            reading: dict[str, list[int]] = {}
            for position, shard in enumerate(shards):
                for name in shard.reads:
                    reading.setdefault(name, []).append(position)
            return CompiledKnowledgeBase(
                tuple(shards), MappingProxyType({name: tuple(at) for name, at in reading.items()})
            )

    def unregister(self, compiled: CompiledKnowledgeBase) -> None:
        """Free the registered rulesets so the names and their memory can go (no reload API)."""
        with self._lock:
            for shard in compiled.shards:
                self._unregister_shard(shard)

    def _unregister_shard(self, compiled: CompiledRuleset) -> None:
        with self._lock:
            handle = self._handles.pop(compiled.name, None)
            if handle is None:
                return
            self._sid.pop(compiled.name, None)
            self._opened.discard(compiled.name)
            _engine.delete_ruleset(handle)

    def is_registered(self, compiled: CompiledKnowledgeBase) -> bool:
        return all(shard.name in self._handles for shard in compiled.shards)

    def facts_left(self) -> int:
        """How many facts the sessions in use still hold (0 between consultations)."""
        with self._lock:
            # durable has no session for a ruleset never asserted to (get_facts: error 309)
            return sum(
                len(json.loads(_engine.get_facts(self._handles[name], sid)))
                for name, sid in self._sid.items()
                if name in self._opened
            )

    # -------------------------------------------------------------------- runs
    def run(self, compiled: CompiledKnowledgeBase, facts: Mapping[str, Value], listener: FiringListener) -> list[str]:
        """Run one consultation; returns the keys of the rules that fired, in order.

        ``listener`` is called as each rule fires; an exception it raises
        ends the run and is re-raised (as :class:`RuleActionError` naming the
        rule unless it is one of orderdoctor's own). Of the rules ready at
        once, the one first in the knowledge base's order (priority, then
        position) fires, however many shards the rules are split into.
        """
        with self._lock:
            if not self.is_registered(compiled):
                raise BackendError(f"ruleset {compiled.name} is not registered (closed engine?)")
            if self._running:
                raise BackendError("a consultation is already running on this backend (re-entrant call)")
            self._running = True
            try:
                return self._chain(compiled, dict(facts), listener)
            finally:
                self._running = False

    def _chain(self, compiled: CompiledKnowledgeBase, known: dict[str, Value], listener: FiringListener) -> list[str]:
        """Forward chaining over the shards, one firing at a time.

        ``ready`` holds the rules durable found ready and that have not fired,
        first position first; the first of them fires next, but only once no
        shard can hold an earlier one. Facts are only ever added, so a rule
        can become ready only when a fact it reads is derived: each derived
        fact puts, for each shard reading it, the first rule that reads it
        and may now fire (its requirements hold) on ``behind``; when that rule
        comes before the first ready one, the shard is matched again (see
        :meth:`_match`) — unless it was matched since the fact was derived.
        So shards are matched lazily, and one match often takes in several
        derived facts.
        """
        shards = [_ShardRun(shard) for shard in compiled.shards]
        ready: list[tuple[int, str, _ShardRun]] = []
        behind: list[tuple[int, int, int]] = []  # (position, shard number, derivations made then)
        for number, run in enumerate(shards):
            if run.compiled.may_match(known):
                behind.append((run.compiled.lowest, number, 0))
            else:
                run.matched_at = 0  # as good as matched: no rule of it can fire on these facts
        heapify(behind)
        derivations = 0
        fired: list[str] = []
        while True:
            while behind and (not ready or behind[0][0] < ready[0][0]):
                _, number, made = heappop(behind)
                run = shards[number]
                if run.matched_at < made:  # not matched since
                    run.matched_at = derivations
                    self._match(run, known, ready)
            if not ready:
                return fired
            _, key, run = heappop(ready)
            rule = run.compiled.rules[key]
            try:
                added = listener(rule, known)
            except (OrderdoctorError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - reported naming the rule
                raise RuleActionError(rule.id, f"{type(exc).__name__}: {exc}") from exc
            fired.append(key)
            if added:
                known.update(added)
                derivations += 1
                for name in added:
                    for number in compiled.shards_reading.get(name, ()):
                        reader = shards[number]
                        if reader.matched_at < 0:
                            continue  # not matched yet: it will be, on everything known by then
                        position = reader.first_reader(name, known)
                        if position != _NONE:
                            heappush(behind, (position, number, derivations))

    def _match(self, run: _ShardRun, known: Mapping[str, Value], ready: list[tuple[int, str, _ShardRun]]) -> None:
        """Match one shard against the facts known so far: put its newly ready rules on ``ready``.

        Drives durable's matching engine directly: assert the case (with the
        markers of the shard's rules already found ready), take the
        activations one at a time (``start_action_for_state``, then
        ``complete_and_start_action``) without firing anything, and retract
        the case, leaving the session empty. Rules fire later, outside
        durable, so an error in one leaves nothing behind in durable.
        """
        compiled = run.compiled
        if not compiled.may_match(known):
            return
        name = compiled.name
        handle = self._handles[name]
        sid = self._sid[name]
        case: dict[str, Any] = {"sid": sid, **known}
        for position in run.marked:
            case[_marker(position)] = 1
        if len(case) > MAX_CASE_PROPERTIES:
            raise BackendError(
                f"a consultation may hold at most {MAX_CASE_PROPERTIES} facts and fired rules "
                "(durable-rules limit)"
            )
        text = _encode(case)
        state = None
        pending = False
        clean = False
        try:
            self._opened.add(name)
            code, state = _engine.assert_fact(handle, text)
            if code == _OBSERVED:
                raise BackendError("durable-rules rejected the case: the session was not empty")
            if code != _HANDLED:
                clean = True  # no rule matched: durable stored nothing
                return
            started = _engine.start_action_for_state(handle, state)
            message = started[1] if started else None
            while message:
                pending = True
                key = _action_key(message)
                position = int(key[1:])
                if position not in run.marked:  # durable activates a rule once per `$or` branch that holds
                    run.marked.add(position)
                    heappush(ready, (position, key, run))
                message = _engine.complete_and_start_action(handle, state)
                pending = False
            _engine.retract_fact(handle, text)
            clean = True
        except _engine.error as exc:
            raise BackendError(f"durable-rules failed: {exc}") from exc
        finally:
            if not clean:
                self._clean_up(compiled, handle, sid, state if pending else None, text)

    def _clean_up(self, compiled: CompiledRuleset, handle: int, sid: str, pending: int | None, text: str) -> None:
        """After a failed match: finish the started action, empty the session, or leave it behind.

        The pending activations are completed (``abandon_action`` would be
        shorter, but durable 2.0.28 corrupts the session with it: the next run
        segfaults), then the case is retracted.
        """
        try:
            if pending is not None:
                while _engine.complete_and_start_action(handle, pending):
                    pass
            _engine.retract_fact(handle, text)
            if json.loads(_engine.get_facts(handle, sid)) == []:
                return
        except Exception:  # noqa: BLE001 - the session is given up below
            pass
        # The session could not be emptied: leave it behind; the next run starts a fresh one.
        self._sid[compiled.name] = str(next(self._sessions))
        self._opened.discard(compiled.name)


_backend: DurableBackend | None = None
_backend_lock = threading.Lock()


def get_backend() -> DurableBackend:
    """The process's one backend (durable-rules' C engine keeps process-wide state)."""
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = DurableBackend()
        return _backend


def describe_definition(compiled: CompiledRuleset) -> str:
    """The compiled ruleset as JSON text, for debugging and tests."""
    return json.dumps(compiled.definition, indent=2, sort_keys=True)
