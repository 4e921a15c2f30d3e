"""The durable-rules backend: the only module that imports ``durable``.

How a knowledge base runs on durable-rules (see docs/architecture.md and
the measurements in shared/notes/durable-rules.md):

* **One case fact.** A consultation is one durable fact holding every known
  fact as a property (``{"_case": 1, "order_status": "shipped", ...}``).
  Each rule is one pattern over it, compiled from data to durable's JSON:
  equality, ``$neq``/``$lt``/``$lte``/``$gt``/``$gte``, ``$or`` of equalities for
  ``in`` (durable has no ``$in``), ``$and``/``$or`` for ``all``/``any``, and ``not``
  pushed inwards (De Morgan) so that a test on an unknown fact never holds —
  the same three-valued logic as :mod:`.conditions`.
* **Forward chaining.** When a rule that derives facts fires, its action
  retracts the case fact and asserts a new version with the derived facts
  added, so durable re-matches every rule against it. Each version also
  carries a marker ``_fN`` for every rule that already fired, and rule N's
  pattern ends with ``$nex _fN``: no rule fires twice (markers come last in
  the pattern, or durable's 64-entry match stack overflows, error 303).
  durable also activates a rule once for *each* ``$or`` branch that holds,
  so the action ignores a rule that already fired in the run.
* **Conflict resolution.** durable fires lower ``pri`` first; rule N gets
  ``pri`` N+1 in the knowledge base's order (priority, then position), so
  the firing order is fully determined. A lowest-priority catch-all rule
  matches every case fact (durable raises on facts no rule handles).
* **Isolation.** One long-lived host per process whose background timer
  threads are never started (they segfault under load), one fixed session
  per ruleset (durable allows 1,024), and every consultation ends by
  retracting its case fact, leaving the session empty. A lock serialises
  consultations; use processes, not threads, for parallel work.
* **Shards.** durable-rules lets one fact match at most 64 sibling tests
  (error 303) and a ruleset hold at most 4,096 rules, so a knowledge base of
  more than :data:`SHARD_SIZE` rules is split into several rulesets, ordered
  by derivation depth; a consultation runs each on the facts known so far,
  round after round, until no shard derives anything new.
* **Errors never vanish.** durable swallows exceptions raised in actions, so
  the action catches everything itself and the run re-raises it afterwards,
  naming the rule; durable's bare error codes become :class:`BackendError`.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException, MessageObservedException

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

_CASE = "_case"
_INTERNAL = frozenset({_CASE, "sid", "id", "$s"})
_DONE = "done"

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
    guard: tuple[str, frozenset[Value]] | None = None

    def may_match(self, known: Mapping[str, Value]) -> bool:
        """False when every rule of the shard needs ``guard``'s fact to have a value it has not."""
        if self.guard is None:
            return True
        fact, values = self.guard
        return fact not in known or known[fact] in values


#: Rules per durable ruleset. One fact may match at most 64 sibling tests in durable-rules
#: (error 303) and a ruleset holds at most 4,096 rules: larger knowledge bases are split into
#: shards of this many rules, run one after the other until no shard derives anything new.
SHARD_SIZE = 64


@dataclass(frozen=True)
class CompiledKnowledgeBase:
    """A knowledge base compiled to one or more durable rulesets (shards)."""

    shards: tuple[CompiledRuleset, ...]

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


def compile_ruleset(
    kb: KnowledgeBase, name: str, indices: range | None = None
) -> CompiledRuleset:
    """Compile the rules of ``kb`` (or those at ``indices`` in ``kb.rules``); actions are
    named ``NAME/rN`` for the host to resolve, N being the rule's index in the kb."""
    definition: dict[str, Any] = {}
    rules: dict[str, Rule] = {}
    markers: dict[str, str] = {}
    indices = indices if indices is not None else range(len(kb.rules))
    for index in indices:
        rule = kb.rules[index]
        key = f"r{index}"
        marker = f"_f{index}"
        pattern = {"$and": [compile_condition(rule.when), {"$nex": {marker: 1}}]}
        definition[key] = {"all": [{"m": pattern}], "pri": index + 1, "run": f"{name}/{key}"}
        rules[key] = rule
        markers[key] = marker
    definition[_DONE] = {
        "all": [{"m": {_CASE: 1}}],
        "pri": len(kb.rules) + 1,
        "run": f"{name}/{_DONE}",
    }
    return CompiledRuleset(name, definition, rules, markers)


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


def _guard_fact(kb: KnowledgeBase) -> str | None:
    """The askable fact most rules require a value of: shards are grouped by it and skipped
    when the case's value rules all their rules out."""
    counts: dict[str, int] = {}
    for rule in kb.rules:
        for name in rule.reads:
            fact = kb.facts[name]
            if not fact.derived and _required_values(rule, name) is not None:
                counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda name: (counts[name], name)) if counts else None


def _shard_order(kb: KnowledgeBase, guard: str | None = None) -> list[int]:
    """Rule indices ordered by derivation depth, then by the value they require of the guard
    fact, then the kb's order: deriving shards run before reading ones (fewer rounds), and each
    shard's rules share guard values (more shards skipped)."""
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

    def guard_key(index: int) -> str:
        if guard is None:
            return ""
        values = _required_values(kb.rules[index], guard)
        return "~" if values is None else ",".join(sorted(map(str, values)))

    return sorted(range(len(kb.rules)), key=lambda i: (rule_depth(i), guard_key(i), i))


class _QuietHost(Host):
    """A durable Host that starts no timer threads and resolves actions by name."""

    def __init__(self, resolve: Callable[[str], Callable[[Any], None]]) -> None:
        self._resolve = resolve
        super().__init__()

    def _run(self) -> None:
        """Everything runs synchronously in the caller's thread: no dispatcher threads."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._resolve(action_name)


@dataclass
class _Run:
    """The state of the consultation being run (only one at a time)."""

    compiled: CompiledRuleset
    listener: FiringListener
    current: dict[str, Any]
    fired: list[str] = field(default_factory=list)
    fired_set: set[str] = field(default_factory=set)
    error: BaseException | None = None
    added: dict[str, Any] = field(default_factory=dict)


class DurableBackend:
    """Registers compiled knowledge bases on one host and runs consultations on them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._host = _QuietHost(self._action)
        self._names = itertools.count(1)
        self._sessions = itertools.count(2)
        self._sid: dict[str, str] = {}
        self._run: _Run | None = None

    # ------------------------------------------------------------ registration
    def register(self, kb: KnowledgeBase) -> CompiledKnowledgeBase:
        """Compile ``kb`` into shards of at most :data:`SHARD_SIZE` rules and register them."""
        with self._lock:
            sharded = len(kb.rules) > SHARD_SIZE
            guard = _guard_fact(kb) if sharded else None
            order = _shard_order(kb, guard) if sharded else list(range(len(kb.rules)))
            shards = []
            try:
                for start in range(0, max(len(order), 1), SHARD_SIZE):
                    indices = sorted(order[start:start + SHARD_SIZE])
                    compiled = compile_ruleset(kb, f"orderdoctor{next(self._names)}", indices)  # type: ignore[arg-type]
                    if guard is not None:
                        required = [_required_values(kb.rules[i], guard) for i in indices]
                        if all(values is not None for values in required):
                            allowed = frozenset().union(*required)  # type: ignore[arg-type]
                            compiled = replace(compiled, guard=(guard, allowed))
                    # durable deletes "run" from the dicts it is given: hand it a copy.
                    definition = copy.deepcopy(dict(compiled.definition))
                    try:
                        self._host.set_rulesets({compiled.name: definition})
                    except Exception as exc:  # durable raises bare Exceptions with codes
                        raise BackendError(f"durable-rules refused the knowledge base: {exc}") from exc
                    self._sid[compiled.name] = "1"
                    shards.append(compiled)
            except BaseException:
                for shard in shards:
                    self._unregister_shard(shard)
                raise
            return CompiledKnowledgeBase(tuple(shards))

    def unregister(self, compiled: CompiledKnowledgeBase) -> None:
        """Free the registered rulesets so the names and their memory can go (no reload API)."""
        with self._lock:
            for shard in compiled.shards:
                self._unregister_shard(shard)

    def _unregister_shard(self, compiled: CompiledRuleset) -> None:
        with self._lock:
            ruleset = self._host._ruleset_directory.pop(compiled.name, None)
            if ruleset is None:
                return
            self._host._ruleset_list.remove(ruleset)
            self._sid.pop(compiled.name, None)
            durable_rules_engine.delete_ruleset(ruleset._handle)

    def is_registered(self, compiled: CompiledKnowledgeBase) -> bool:
        return all(shard.name in self._host._ruleset_directory for shard in compiled.shards)

    # -------------------------------------------------------------------- runs
    def run(self, compiled: CompiledKnowledgeBase, facts: Mapping[str, Value], listener: FiringListener) -> list[str]:
        """Run one consultation; returns the keys of the rules that fired, in order.

        ``listener`` is called as each rule fires; an exception it raises
        is re-raised here once durable has finished. With several shards,
        every shard runs on the facts known so far, round after round, until
        no shard derives a new fact.
        """
        with self._lock:
            if not self.is_registered(compiled):
                raise BackendError(f"ruleset {compiled.name} is not registered (closed engine?)")
            if self._run is not None:
                raise BackendError("a consultation is already running on this backend (re-entrant call)")
            known = dict(facts)
            fired: dict[str, list[str]] = {shard.name: [] for shard in compiled.shards}
            order: list[str] = []
            changed = True
            while changed:
                changed = False
                for shard in compiled.shards:
                    if not shard.may_match(known):
                        continue
                    markers = {shard.markers[key]: 1 for key in fired[shard.name]}
                    keys, added = self._run_shard(shard, known, markers, fired[shard.name], listener)
                    fired[shard.name] += keys
                    order += keys
                    if added:
                        known.update(added)
                        changed = len(compiled.shards) > 1
            return order

    def _run_shard(
        self,
        compiled: CompiledRuleset,
        facts: Mapping[str, Value],
        markers: Mapping[str, int],
        already: list[str],
        listener: FiringListener,
    ) -> tuple[list[str], dict[str, Any]]:
        """One shard on the facts known so far; returns the rules that fired and the facts they added."""
        with self._lock:
            sid = self._sid[compiled.name]
            case = {_CASE: 1, "sid": sid, **facts, **markers}
            run = _Run(compiled, listener, case, fired_set=set(already))
            self._run = run
            clean = False
            try:
                self._host.assert_fact(compiled.name, dict(case))
                try:
                    self._host.retract_fact(compiled.name, dict(run.current))
                except Exception:
                    if run.error is None:
                        raise
                state = self._host.get_state(compiled.name, sid)
                if "exception" in state and run.error is None:
                    run.error = BackendError(f"durable-rules reported: {state['exception']}")
                clean = run.error is None
            except (MessageNotHandledException, MessageObservedException) as exc:
                raise BackendError(f"durable-rules rejected the case: {exc.message}") from None
            except OrderdoctorError:
                raise
            except Exception as exc:
                raise BackendError(f"durable-rules failed: {exc}") from exc
            finally:
                self._run = None
                if not clean:
                    # Leave the dirty session behind; the next run starts a fresh one.
                    self._sid[compiled.name] = str(next(self._sessions))
            if run.error is not None:
                raise run.error
            return run.fired, run.added

    def _action(self, action_name: str) -> Callable[[Any], None]:
        ruleset_name, _, key = action_name.partition("/")

        def act(c: Any) -> None:
            self._fire(ruleset_name, key, c)

        return act

    def _fire(self, ruleset_name: str, key: str, c: Any) -> None:
        run = self._run
        if run is None or run.error is not None or run.compiled.name != ruleset_name:
            return
        if key == _DONE:
            return
        if key in run.fired_set:
            # durable activates a rule once per `$or` branch that holds: fire it once.
            return
        rule = run.compiled.rules[key]
        try:
            seen = {k: v for k, v in c.m._d.items() if k not in _INTERNAL and not k.startswith("_f")}
            added = run.listener(rule, seen)
            run.fired.append(key)
            run.fired_set.add(key)
            if added:
                run.added.update(added)
                new = dict(run.current)
                new.update(added)
                for fired in run.fired:
                    new[run.compiled.markers[fired]] = 1
                if len(new) > MAX_CASE_PROPERTIES:
                    raise BackendError(
                        f"a consultation may hold at most {MAX_CASE_PROPERTIES} facts and fired rules "
                        "(durable-rules limit)"
                    )
                c.retract_fact(dict(run.current))
                c.assert_fact(dict(new))
                run.current = new
        except (OrderdoctorError, KeyboardInterrupt, SystemExit) as exc:
            run.error = exc
        except BaseException as exc:  # noqa: BLE001 - durable would swallow it silently
            run.error = RuleActionError(rule.id, f"{type(exc).__name__}: {exc}")


_backend: DurableBackend | None = None
_backend_lock = threading.Lock()


def get_backend() -> DurableBackend:
    """The process's one backend (one durable host per process)."""
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = DurableBackend()
        return _backend


def describe_definition(compiled: CompiledRuleset) -> str:
    """The compiled ruleset as JSON text, for debugging and tests."""
    return json.dumps(compiled.definition, indent=2, sort_keys=True)
