"""The same logical rules run by other engines, for comparison (benchmarks only, never the product).

Each peer is written as an expert in that engine would write it, and each returns the same answer
as ``advise --json`` — at least its ordered advice, every fact and the rules fired in order — so
that :mod:`.agreement` can check it against orderdoctor before anything is timed:

* :class:`~benchmarks.floor.Floor` (in floor.py) — the rules compiled to Python source with an
  indexed agenda: what the same semantics costs with no engine at all (the floor).
* :class:`Clips` — CLIPS through clipspy's API: one ``deftemplate`` with a slot per askable fact,
  one single-slot template per derived fact, one ``defrule`` per kb rule (CLIPS ``or``/``and``
  CEs for ``any``/``all``, slot constraints ``a|b``, ``~a&~nil``, ``?v&~nil&:(< ?v 3)``), salience
  giving the kb's order; a consultation is ``reset``, one ``assert_fact`` of the template, ``run``
  and one call of a deffunction returning the firing order. No string is ``eval``-ed.
* :class:`Experta` — experta written idiomatically: field constraints (``L``, ``~L``, ``P``) on one
  ``Case`` fact, each derived fact a fact of its own class, ``OR``/``AND`` CEs, salience.
* :class:`NaiveDurable` — an *ablation*, not what a durable-rules user would write: orderdoctor's
  compiled rules through durable's Python wrapper (a ``Host``, an action per rule, a catch-all, a
  fresh session per case deleted with ``delete_state``). It measures what driving durable's C engine
  directly saves.

The CLIPS and experta peers validate the given facts and build the answer (ranking, replacements,
contracts, trace) with the floor's lean Python (:class:`~benchmarks.floor.LeanResult`): the engines
do the matching and chaining, and the answer is the same.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from durable.engine import Host
from orderdoctor.engine import KnowledgeBase
from orderdoctor.engine.backend import SHARD_SIZE, compile_ruleset
from orderdoctor.engine.consultation import Consultation
from orderdoctor.engine.facts import validate_facts
from orderdoctor.engine.model import AllOf, Comparison, Condition, FactType, Not

from .floor import Floor, LeanResult
import contextlib

#: A literal of a rule condition in disjunctive normal form: fact, operator keyword (``not_between``
#: for the failure of ``between``, which has no negation operator), value.
_Literal = tuple[str, str, Any]


def dnf(condition: Condition, holds: bool = True) -> list[list[_Literal]]:
    """``condition`` (or, with ``holds=False``, its known failure) as a disjunction of conjunctions
    of positive literals: ``not`` pushed inwards, as the engine's three-valued logic does."""
    if isinstance(condition, Comparison):
        op = condition.operator
        if holds:
            return [[(condition.fact, op.name, condition.value)]]
        negation = op.negation
        return [[(condition.fact, negation.name if negation else f"not_{op.name}", condition.value)]]
    if isinstance(condition, Not):
        return dnf(condition.condition, not holds)
    parts = [dnf(part, holds) for part in condition.conditions]  # type: ignore[union-attr]
    if isinstance(condition, AllOf) == holds:  # a conjunction: every combination of the parts
        conjunctions: list[list[_Literal]] = [[]]
        for part in parts:
            conjunctions = [left + right for left in conjunctions for right in part]
        return conjunctions
    return [conjunction for part in parts for conjunction in part]


def test_literal(op: str, value: Any, expected: Any) -> bool:
    """Whether a known value passes a literal (for the peers that need a Python predicate)."""
    if op == "eq":
        return bool(value == expected)
    if op == "ne":
        return bool(value != expected)
    if op == "in":
        return value in expected
    if op == "not_in":
        return value not in expected
    if op == "lt":
        return bool(value < expected)
    if op == "lte":
        return bool(value <= expected)
    if op == "gt":
        return bool(value > expected)
    if op == "gte":
        return bool(value >= expected)
    if op == "between":
        return bool(expected[0] <= value <= expected[1])
    if op == "not_between":
        return not expected[0] <= value <= expected[1]
    raise ValueError(op)


class Clips:
    """CLIPS through clipspy's API, as a CLIPS expert drives it (see the module docstring)."""

    name = "CLIPS"
    trace = True

    def __init__(self, kb: KnowledgeBase) -> None:
        import clips
        from clips._clips import lib

        self.kb = kb
        self.lean = LeanResult(kb)
        self._release = lib.ReleaseFact
        env = self.env = clips.Environment()
        self.derived = {name for name, fact in kb.facts.items() if fact.derived}
        askable = [name for name, fact in kb.facts.items() if not fact.derived]
        env.build("(deftemplate order " + " ".join(f"(slot {n} (default nil))" for n in askable) + ")")
        for name in sorted(self.derived):
            env.build(f"(deftemplate d-{name} (slot v))")
        env.build("(deftemplate fired (slot rule))")
        env.build("(defglobal ?*trace* = (create$))")
        env.build("(deffunction firing-order () ?*trace*)")
        for index, rule in enumerate(kb.rules):
            env.build(self._defrule(index, rule))
        self.order = env.find_template("order")
        self.firing_order = env.find_function("firing-order")
        # choice values and booleans are CLIPS symbols: made once, not per consultation
        self.symbols: dict[str, dict[Any, Any]] = {}
        for name, fact in kb.facts.items():
            if fact.type is FactType.CHOICE:
                self.symbols[name] = {v: clips.Symbol(v) for v in fact.values}
            elif fact.type is FactType.BOOLEAN:
                self.symbols[name] = {True: clips.Symbol("TRUE"), False: clips.Symbol("FALSE")}

    @staticmethod
    def _atom(value: Any) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return str(value)

    def _predicate(self, var: str, op: str, value: Any) -> str:
        atom = self._atom
        if op in ("eq", "ne"):
            return f"({'eq' if op == 'eq' else 'neq'} {var} {atom(value)})"
        if op in ("in", "not_in"):
            test = "(or " + " ".join(f"(eq {var} {atom(v)})" for v in value) + ")"
            return test if op == "in" else f"(not {test})"
        if op in ("between", "not_between"):
            test = f"(<= {value[0]} {var} {value[1]})"
            return test if op == "between" else f"(not {test})"
        symbol = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        return f"({symbol} {var} {atom(value)})"

    def _constraint(self, var: str, literals: list[_Literal]) -> str:
        """One slot's constraint: the plain CLIPS connectives for one literal, a predicate else."""
        if len(literals) == 1:
            _, op, value = literals[0]
            atom = self._atom
            if op == "eq":
                return atom(value)
            if op == "ne":
                return f"~{atom(value)}&~nil"
            if op == "in":
                return "|".join(atom(v) for v in value)
            if op == "not_in":
                return "&".join(f"~{atom(v)}" for v in value) + "&~nil"
        tests = [self._predicate(var, op, value) for _, op, value in literals]
        joined = tests[0] if len(tests) == 1 else "(and " + " ".join(tests) + ")"
        return f"{var}&~nil&:{joined}"

    def _patterns(self, conjunction: list[_Literal]) -> str:
        by_fact: dict[str, list[_Literal]] = {}
        for literal in conjunction:
            by_fact.setdefault(literal[0], []).append(literal)
        given = [(f, lits) for f, lits in by_fact.items() if f not in self.derived]
        patterns = []
        if given:
            slots = " ".join(f"({f} {self._constraint(f'?v{n}', lits)})" for n, (f, lits) in enumerate(given))
            patterns.append(f"(order {slots})")
        for n, (f, lits) in enumerate(by_fact.items()):
            if f in self.derived:
                patterns.append(f"(d-{f} (v {self._constraint(f'?d{n}', lits)}))")
        return " ".join(patterns)

    def _defrule(self, index: int, rule: Any) -> str:
        conjunctions = dnf(rule.when)
        if len(conjunctions) == 1:
            lhs, guard = self._patterns(conjunctions[0]), ""
        else:  # CLIPS makes one rule per branch of an `or`: fire the kb rule once
            lhs = "(or " + " ".join(f"(and {self._patterns(c)})" for c in conjunctions) + ")"
            guard = f" (not (fired (rule {index})))"
        derive = " ".join(f"(assert (d-{name} (v {self._atom(value)})))" for name, value in rule.derive)
        mark = f"(assert (fired (rule {index}))) " if guard else ""
        salience = 10000 - index
        return (f"(defrule r{index} (declare (salience {salience})) {lhs}{guard} => "
                f"{mark}(bind ?*trace* (create$ ?*trace* {index})) {derive})")

    def advise(self, given: Mapping[str, Any]) -> dict[str, Any]:
        lean = self.lean
        facts = lean.validate(given)
        symbols = self.symbols
        slots = {name: symbols[name][value] if name in symbols else value for name, value in facts.items()}
        self.env.reset()
        fact = self.order.assert_fact(**slots)
        self._release(fact._fact)  # clipspy 1.0.6's Fact.__del__ never releases it (wrong arity)
        self.env.run()
        fired = list(self.firing_order())
        known, steps = lean.derive(fired, facts)
        return lean.answer(fired, known, steps)


class Experta:
    """experta written idiomatically (see the module docstring); up to ``--experta-max`` rules."""

    name = "experta"
    trace = True

    def __init__(self, kb: KnowledgeBase) -> None:
        import collections
        import collections.abc

        if not hasattr(collections, "Mapping"):  # experta's frozendict still imports it from there
            collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
        import experta.fieldconstraint
        from experta import AND, NOT, OR, Fact, KnowledgeEngine, L, P, Rule

        experta.fieldconstraint.chain = itertools.chain  # experta 1.9.4 forgot this import

        self.kb = kb
        self.lean = LeanResult(kb)
        derived = {name for name, fact in kb.facts.items() if fact.derived}
        self.Case = type("Case", (Fact,), {})
        self.Fired = type("Fired", (Fact,), {})
        self.classes = {name: type(f"D_{name}", (Fact,), {}) for name in sorted(derived)}
        fired: list[int] = []
        self.fired = fired

        def constraint(literals: list[_Literal]) -> Any:
            if len(literals) == 1:
                _, op, value = literals[0]
                if op == "eq":
                    return L(value)
                if op == "ne":
                    return ~L(value)
                if op == "in":
                    ors = L(value[0])
                    for v in value[1:]:
                        ors = ors | L(v)
                    return ors
            tests = [(op, value) for _, op, value in literals]
            return P(lambda v: all(test_literal(op, v, value) for op, value in tests))

        def patterns(conjunction: list[_Literal]) -> list[Any]:
            by_fact: dict[str, list[_Literal]] = {}
            for literal in conjunction:
                by_fact.setdefault(literal[0], []).append(literal)
            given = {f: constraint(lits) for f, lits in by_fact.items() if f not in derived}
            found = [self.Case(**given)] if given else []
            found += [self.classes[f](value=constraint(lits)) for f, lits in by_fact.items() if f in derived]
            return found

        def make(index: int, rule: Any) -> Any:
            conjunctions = dnf(rule.when)
            lhs = (patterns(conjunctions[0]) if len(conjunctions) == 1
                   else [OR(*(AND(*patterns(c)) for c in conjunctions))])
            derive = [(self.classes[name], value) for name, value in rule.derive]
            Fired = self.Fired

            guarded = len(conjunctions) > 1

            def action(engine: Any) -> None:
                fired.append(index)
                if guarded:
                    engine.declare(Fired(rule=index))
                for cls, value in derive:
                    engine.declare(cls(value=value))

            # refraction fires a rule once per match; a rule with an `or` needs the guard (as in CLIPS)
            guard = [NOT(Fired(rule=index))] if guarded else []
            return Rule(*lhs, *guard, salience=len(kb.rules) - index)(action)

        attributes = {f"r{index}": make(index, rule) for index, rule in enumerate(kb.rules)}
        self.engine = type("SameRules", (KnowledgeEngine,), attributes)()

    def advise(self, given: Mapping[str, Any]) -> dict[str, Any]:
        lean = self.lean
        facts = lean.validate(given)
        self.fired.clear()
        self.engine.reset()
        self.engine.declare(self.Case(**facts))
        self.engine.run()
        fired = list(self.fired)
        known, steps = lean.derive(fired, facts)
        return lean.answer(fired, known, steps)


class _Host(Host):
    def __init__(self, resolve: Any) -> None:
        self._resolve = resolve
        super().__init__()

    def _run(self) -> None:
        pass

    def get_action(self, action_name: str) -> Any:
        return self._resolve(action_name)


class NaiveDurable:
    """durable-rules through its Python wrapper, the obvious way: a fresh session per case (and per
    shard), deleted afterwards with ``delete_state``; every fired rule that derives facts retracts
    the case and asserts it again. Past :data:`SHARD_SIZE` rules the knowledge base is cut into
    shards in its own order (durable cannot hold it in one ruleset), run round after round until
    none derives anything new."""

    name = "durable-rules, naive (ablation)"
    trace = False  # durable's own order, shard by shard: its firing order is not compared
    _names = itertools.count(1)

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.host = _Host(self._action)
        self.shards = []
        for start in range(0, len(kb.rules), SHARD_SIZE):
            compiled = compile_ruleset(kb, f"naive{next(self._names)}", range(start, min(start + SHARD_SIZE, len(kb.rules))))
            # Through durable's Python wrapper every rule needs an action, and a fact no rule handles
            # raises: add the actions and a lowest-priority catch-all rule, as a durable user would.
            definition = copy.deepcopy(dict(compiled.definition))
            for key, rule in definition.items():
                rule["run"] = f"{compiled.name}/{key}"
            definition["done"] = {"all": [{"m": {"_case": 1}}], "pri": len(kb.rules) + 1, "run": "done"}
            self.host.set_rulesets({compiled.name: definition})
            self.shards.append(compiled)
        self.sids = itertools.count(1)
        self.consultation: Consultation | None = None
        self.shard = self.shards[0]
        self.current: dict[str, Any] = {}
        self.fired: dict[str, list[str]] = {}

    def _action(self, action_name: str) -> Any:
        name, _, key = action_name.partition("/")

        def act(c: Any) -> None:
            fired = self.fired.get(name)
            if key == "done" or fired is None or key in fired or self.consultation is None:
                return
            shard = self.shard
            rule = shard.rules[key]
            seen = {k: v for k, v in c.m._d.items() if k not in ("sid", "id", "_case") and not k.startswith("_f")}
            added = self.consultation.fire(rule, seen)
            fired.append(key)
            if added:
                self.derived = True
                new = dict(self.current)
                new.update(added)
                for done in fired:
                    new[shard.markers[done]] = 1
                c.retract_fact(dict(self.current))
                c.assert_fact(dict(new))
                self.current = new

        return act

    def advise(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        consultation = self.consultation = Consultation(self.kb, validate_facts(self.kb, facts))
        self.fired = {shard.name: [] for shard in self.shards}
        changed = True
        while changed:
            changed = False
            for shard in self.shards:
                sid = str(next(self.sids))
                self.shard, self.derived = shard, False
                markers = {shard.markers[key]: 1 for key in self.fired[shard.name]}
                self.current = {"_case": 1, "sid": sid, **consultation.facts, **markers}
                self.host.assert_fact(shard.name, dict(self.current))
                self.host.delete_state(shard.name, sid)
                changed = changed or (self.derived and len(self.shards) > 1)
        self.consultation = None
        return consultation.result().to_json()


def available_peers(kb: KnowledgeBase, experta: bool = True) -> list[Any]:
    """The peers that can run here (CLIPS and experta need the optional ``[bench]`` extra)."""
    peers: list[Any] = [Floor(kb), NaiveDurable(kb)]
    for peer in (Clips, Experta) if experta else (Clips,):
        with contextlib.suppress(ImportError):
            peers.append(peer(kb))
    return peers
