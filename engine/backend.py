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
* **One state fact of atom flags.** A consultation is, for each shard, one
  durable fact holding a flag for every *atom* of the shard that holds
  (``{"sid": "1", "a3": 1, "a7": 1, ...}``): :mod:`.atoms` splits each rule's
  condition at its top-level ``all`` into comparisons (or their negations)
  and ``any`` groups, worked out here in Python as facts become known, and
  :mod:`.compiler` gives durable each rule as an ``all`` of its atoms' flags.
  durable never sees a fact name, a fact value or a ``$or``: names it could
  confuse (it knows a property only by a 32-bit hash of its name), values it
  compares wrongly (strings past 65,535 characters) and its limits on tests
  and connectives (a hang at 512 tests under a node, error 113 past 15
  ``$and``/``$or``, error 303 past 64 matching sibling tests) cannot arise.
* **Forward chaining.** durable finds which rules are ready; the backend
  fires them, one at a time. To match a shard (a durable ruleset, below),
  the backend asserts the state fact, takes every activation
  (``start_action_for_state``, then ``complete_and_start_action``) without
  firing anything, and retracts the state fact, leaving the session empty. The
  state fact carries a marker ``_fN`` for every rule already found ready, and rule
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
  durable: an error in it leaves nothing behind. A state fact no rule matches is
  simply not stored (result code 1), so no catch-all rule is needed.
* **Isolation.** One fixed session per ruleset (durable allows 1,024), and
  every match ends by retracting its state fact, leaving the session empty;
  a new session first runs the shard's greeting rule, so that
  ``delete_state`` can free it when the ruleset goes (durable keeps a
  session's memory otherwise, and corrupts its heap deleting a session in
  which no action ran);
  a match that fails completes its started action and empties the session
  too, or leaves it behind for a fresh one. A lock serialises
  consultations; use processes, not threads, for parallel work.
* **Shards.** durable-rules lets one fact match at most 64 sibling tests
  (error 303) and hold about 252 properties (302), so a knowledge base of
  more than :data:`SHARD_SIZE` rules, or of more atoms and rules than fit in
  :data:`.atoms.PROPERTY_BUDGET` properties, is split into several rulesets,
  ordered by derivation depth, then entry key. A shard is not asserted to when none
  of its rules can fire: every rule has an *entry key* (a fact it requires
  to have one of some values, a derived one if it can), and a shard none of
  whose keys hold on the given facts is not matched until a fact it reads
  is derived.
* **Errors never vanish.** An exception raised while a rule fires ends the
  run and is re-raised naming the rule (:class:`RuleActionError`);
  durable's bare error codes become :class:`BackendError`.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from heapq import heapify, heappop, heappush

from ._durable import load_engine
from .atoms import PROPERTY_BUDGET
from .compiler import (
    NONE,
    SHARD_SIZE,
    AtomTable,
    CompiledKnowledgeBase,
    CompiledRuleset,
    compile_condition,
    compile_ruleset,
    flag,
    join_shards,
    plan_atoms,
    plan_shards,
)
from .errors import BackendError, OrderdoctorError, RuleActionError
from .model import KnowledgeBase, Rule, Value

#: durable's C engine (``durable_rules_engine``), loaded by :mod:`._durable`: on Python 3.13+ it
#: needs our shim first; where it cannot load, a stand-in that raises a one-line error on use.
_engine = load_engine()

__all__ = [
    "MAX_STATE_PROPERTIES",
    "SHARD_SIZE",
    "CompiledKnowledgeBase",
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

#: durable-rules silently drops properties past about 252 on one fact; a state fact holds at most
#: this many (the compiler cuts shards so: atoms that hold, markers and ``sid``).
MAX_STATE_PROPERTIES = PROPERTY_BUDGET

#: Rules from which compiling pauses the garbage collector (:meth:`DurableBackend.register`).
PAUSE_COLLECTOR_FROM = 2_000

#: ``assert_fact`` result codes of durable's matching engine.
_HANDLED, _NOT_HANDLED, _OBSERVED = 0, 1, 2

#: Case facts to durable's JSON, compact (durable's own wrapper writes the same, with spaces).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _action_key(message: str) -> str:
    """The rule key of an action message: durable writes ``{"KEY":{"m":{...}}}``."""
    if message[:2] == '{"':
        return message[2:message.index('"', 2)]
    return next(iter(json.loads(message)))  # pragma: no cover - durable's own format never varies


class _ShardRun:
    """One shard's part of a consultation.

    ``marked`` are the positions of the shard's rules that durable found ready (fired or waiting
    their turn): their markers go into every state fact asserted to the shard, so durable does not
    activate them again. ``matched_at`` is the number of derivations made when durable last
    matched the shard (-1: not yet, but it will be; a shard none of whose rules can fire on the
    given facts counts as matched at 0). ``parts`` is the state fact's JSON text after its
    ``sid``: the properties set (the atoms that hold on the facts known, and the markers: each
    :func:`.compiler.flag`, set once — facts are only ever added), ``size`` of them.
    """

    __slots__ = ("compiled", "marked", "matched_at", "parts", "size")

    def __init__(self, compiled: CompiledRuleset) -> None:
        self.compiled = compiled
        self.marked: set[int] = set()
        self.matched_at = 0
        self.parts: list[str] = []
        self.size = 0

    def first_reader(self, fact: str, known: Mapping[str, Value]) -> int:
        """The lowest position of an unmarked rule of the shard that reads ``fact`` and whose
        requirements (:func:`.compiler.plan_shards`) hold on ``known``; :data:`NONE` if there is none."""
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
        return NONE


class DurableBackend:
    """Registers compiled knowledge bases with durable-rules and runs consultations on them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._names = itertools.count(1)
        self._sessions = itertools.count(2)
        self._handles: dict[str, int] = {}
        self._sid: dict[str, str] = {}
        self._opened: set[str] = set()  # rulesets whose current session was ever asserted to
        #: Ruleset → every session in which an action ever ran (durable frees a session's memory
        #: only when asked to, ``delete_ruleset`` alone leaks ~80 KiB and more per session; and
        #: ``delete_state`` corrupts the heap on a session in which no action ran).
        self._used: dict[str, set[str]] = {}
        self._running = False

    # ------------------------------------------------------------ registration
    def register(self, kb: KnowledgeBase) -> CompiledKnowledgeBase:
        """Compile ``kb`` into shards of at most :data:`SHARD_SIZE` rules and register them.

        For a big kb (:data:`PAUSE_COLLECTOR_FROM` rules) the cyclic garbage collector is paused
        meanwhile, as while a kb loads (:mod:`.loader`): compiling allocates many objects and frees
        almost none, and each full collection walks the whole kb (a realistic 50,000-rule kb
        compiled in 14–17 s, half of it collecting; 8 s paused). Not for a small one: the
        collections it puts off then land in the first consultations (``ask``'s p90 answer time
        rose by 3 ms with the shipped kb's compile paused)."""
        if len(kb.rules) < PAUSE_COLLECTOR_FROM:
            return self._register(kb)
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._register(kb)
        finally:
            if collecting:
                gc.enable()

    def _register(self, kb: KnowledgeBase) -> CompiledKnowledgeBase:
        with self._lock:
            shards: list[CompiledRuleset] = []
            table = plan_atoms(kb)
            try:
                for compiled in plan_shards(kb, (f"orderdoctor{n}" for n in self._names), table):
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
            return join_shards(tuple(shards), table)

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
            for sid in sorted(self._used.pop(compiled.name, ())):
                with contextlib.suppress(_engine.error):  # no such session: nothing to free
                    _engine.delete_state(handle, sid)
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
            shards = compiled.shards  # registered and unregistered all at once: the ends tell
            if shards and (shards[0].name not in self._handles or shards[-1].name not in self._handles):
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
        and may now fire (its requirements hold) on ``behind`` (worked out
        when the shard's first rule reading the fact comes first there); when
        that rule comes before the first ready one, the shard is matched again
        (:meth:`_match`) unless it was matched since: lazily, so that one match
        often takes in several derived facts."""
        shards = [_ShardRun(shard) for shard in compiled.shards]
        note = _atom_noter(compiled, shards, known)
        note(known)
        ready: list[tuple[int, str, _ShardRun]] = []
        # (position, shard, derivations made then, fact): with a fact, a lower bound (the first reader)
        behind: list[tuple[int, int, int, str]] = []
        for number, position in compiled.candidates(known).items():
            shards[number].matched_at = -1  # every other shard: as good as matched, none of its rules can fire
            behind.append((position, number, 0, ""))
        heapify(behind)
        derivations = 0
        fired: list[str] = []
        readers = compiled.first_readers
        while True:
            while behind and (not ready or behind[0][0] < ready[0][0]):
                position, number, made, fact = heappop(behind)
                run = shards[number]
                if run.matched_at >= made:
                    continue  # matched since
                if fact:
                    first = run.first_reader(fact, known)
                    if first == NONE:
                        continue
                    if first > position:
                        heappush(behind, (first, number, made, ""))
                        continue
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
                note(added)
                derivations += 1
                for name in added:
                    for lowest, number in readers.get(name, ()):
                        heappush(behind, (lowest, number, derivations, name))

    def _match(self, run: _ShardRun, known: Mapping[str, Value], ready: list[tuple[int, str, _ShardRun]]) -> None:
        """Match one shard against the facts known so far: put its newly ready rules on ``ready``.

        Drives durable's matching engine directly: assert the state fact (with the
        markers of the shard's rules already found ready), take the
        activations one at a time (``start_action_for_state``, then
        ``complete_and_start_action``) without firing anything, and retract
        the state fact, leaving the session empty. Rules fire later, outside
        durable, so an error in one leaves nothing behind in durable.
        """
        compiled = run.compiled
        name = compiled.name
        handle = self._handles[name]
        sid = self._sid[name]
        if run.size >= MAX_STATE_PROPERTIES:  # pragma: no cover - the compiler cuts shards so
            raise BackendError(f"a state fact of {run.size + 1} properties (durable-rules limit)")
        if sid not in self._used.get(name, ()):
            self._greet(name, handle, sid, compiled.greeting)
        parts = run.parts
        text = f'{{"sid":"{sid}"{"".join(parts)}}}'
        state = None
        pending = False
        clean = False
        try:
            code, state = _engine.assert_fact(handle, text)
            if code == _OBSERVED:
                raise BackendError("durable-rules rejected the state fact: the session was not empty")
            if code != _HANDLED:
                clean = True  # no rule matched: durable stored nothing
                return
            started = _engine.start_action_for_state(handle, state)
            message = started[1] if started else None
            marked, flags = run.marked, compiled.flags
            while message:
                pending = True
                key = _action_key(message)
                position, marker = flags[key]
                if position not in marked:  # durable activates a rule once per `$or` branch that holds
                    marked.add(position)
                    parts.append(marker)
                    run.size += 1
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

    def _greet(self, name: str, handle: int, sid: str, greeting: str) -> None:
        """Run the greeting rule (:data:`.compiler.GREETING`) in a new session, so that it can
        be deleted when the ruleset goes (:meth:`unregister`)."""
        text = _encode({"sid": sid, greeting: 1})
        try:
            self._opened.add(name)
            _, state = _engine.assert_fact(handle, text)
            if _engine.start_action_for_state(handle, state):
                while _engine.complete_and_start_action(handle, state):
                    pass
                self._used.setdefault(name, set()).add(sid)
            _engine.retract_fact(handle, text)
        except _engine.error as exc:  # pragma: no cover - durable never refuses this fact
            raise BackendError(f"durable-rules failed: {exc}") from exc

    def _clean_up(self, compiled: CompiledRuleset, handle: int, sid: str, pending: int | None, text: str) -> None:
        """After a failed match: finish the started action, empty the session, or leave it behind.

        The pending activations are completed (``abandon_action`` would be
        shorter, but durable 2.0.28 corrupts the session with it: the next run
        segfaults), then the state fact is retracted.
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


def _atom_noter(
    compiled: CompiledKnowledgeBase, shards: list[_ShardRun], known: Mapping[str, Value]
) -> Callable[[Mapping[str, Value]], None]:
    """A function that, given facts just made known, adds the property of each atom they make
    hold to the state fact (``parts``) of each shard testing it (facts are only ever added, so an
    atom that holds goes on holding)."""
    table: AtomTable | None = compiled.table
    if table is None:  # pragma: no cover - register() always plans atoms
        raise BackendError(f"ruleset {compiled.name} was compiled without atoms")
    atoms, names, testing = table.atoms, table.names, compiled.atom_shards
    holding, seen = compiled.holding, compiled.seen
    held: set[int] = set()

    def note(facts: Mapping[str, Value]) -> None:
        for fact, value in facts.items():
            values = seen.get(fact)
            found = values.get(value) if values is not None else None
            targets, later = found if found is not None else holding(fact, value)
            for position, text, count in targets:
                run = shards[position]
                run.parts.append(text)
                run.size += count
            for number, rest in later:  # a group that holds if ``rest`` does (empty: test it whole)
                if number in held:
                    continue
                if rest:
                    for other, passes, must in rest:
                        if other not in known or passes(known[other]) != must:
                            break
                    else:
                        mark(number)
                elif atoms[number].test(known):
                    mark(number)

    def mark(number: int) -> None:
        held.add(number)
        name = names[number]
        text = flag(name)
        for position in testing[number]:
            run = shards[position]
            run.parts.append(text)
            run.size += 1

    return note


_backend: DurableBackend | None = None
_backend_lock = threading.Lock()


def get_backend() -> DurableBackend:
    """The process's one backend (durable-rules' C engine keeps process-wide state)."""
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = DurableBackend()
        return _backend

