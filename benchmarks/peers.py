"""The same logical rules run by other engines, for comparison (benchmarks only, never the product).

* :class:`PlainChainer` — a plain-Python forward chainer: every condition compiled once to a Python
  closure (three-valued, like the engine), then loop over the rules in the knowledge base's order,
  firing every rule whose condition holds, until nothing new fires. The practical limit of a
  pure-Python engine with no matching network.
* :class:`NaiveDurable` — durable-rules used the obvious way: the same compiled ruleset, but a fresh
  session per case, deleted afterwards (``delete_state``), and every fired rule re-asserting the case.

Each returns the advice ids in the engine's reading order, so a check can assert that every engine
gives the same advice on every case before any time is reported.
"""

from __future__ import annotations

import copy
import itertools
import operator
from collections.abc import Callable, Mapping
from typing import Any

from durable.engine import Host
from orderdoctor.engine import KnowledgeBase
from orderdoctor.engine.backend import SHARD_SIZE, compile_ruleset
from orderdoctor.engine.consultation import Consultation
from orderdoctor.engine.model import AllOf, Comparison, Condition, Not, Operator


def _compile_python(condition: Condition, holds: bool = True) -> Callable[[Mapping[str, Any]], bool]:
    """A Python closure that is true when ``condition`` holds (or, with ``holds=False``, is known to
    fail) over partly known facts: the three-valued logic of the engine, ``not`` pushed inwards."""
    if isinstance(condition, Comparison):
        fact, expected = condition.fact, condition.value
        test = _PYTHON_OPS[condition.operator]
        if holds:
            return lambda facts: fact in facts and test(facts[fact], expected)
        return lambda facts: fact in facts and not test(facts[fact], expected)
    if isinstance(condition, Not):
        return _compile_python(condition.condition, not holds)
    parts = tuple(_compile_python(part, holds) for part in condition.conditions)  # type: ignore[attr-defined]
    if isinstance(condition, AllOf) == holds:
        return lambda facts: all(part(facts) for part in parts)
    return lambda facts: any(part(facts) for part in parts)


_PYTHON_OPS: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.EQ: operator.eq,
    Operator.NE: operator.ne,
    Operator.LT: operator.lt,
    Operator.LTE: operator.le,
    Operator.GT: operator.gt,
    Operator.GTE: operator.ge,
    Operator.IN: lambda value, values: value in values,
}


class PlainChainer:
    """Each rule's condition compiled once to a Python closure; pass over the rules in order, firing
    every rule that holds, until a pass fires nothing new."""

    name = "plain Python"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.rules = [(rule, _compile_python(rule.when)) for rule in kb.rules]

    def advise(self, facts: Mapping[str, Any]) -> tuple[str, ...]:
        consultation = Consultation(self.kb, facts)
        known = consultation.facts
        fired: set[str] = set()
        changed = True
        while changed:
            changed = False
            for rule, holds in self.rules:
                if rule.id not in fired and holds(known):
                    fired.add(rule.id)
                    if consultation.fire(rule, known):
                        changed = True  # derived facts may enable earlier rules: another pass
        return consultation.result().advice_ids


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

    name = "durable-rules, naive"
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

    def advise(self, facts: Mapping[str, Any]) -> tuple[str, ...]:
        consultation = self.consultation = Consultation(self.kb, facts)
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
        return consultation.result().advice_ids


#: A literal of a rule condition in disjunctive normal form: fact, operator ("notin" for the
#: negation of IN), value.
_Literal = tuple[str, str, Any]


def _dnf(condition: Condition, holds: bool = True) -> list[list[_Literal]]:
    """``condition`` (or, with ``holds=False``, its known failure) as a disjunction of conjunctions
    of positive literals: ``not`` pushed inwards, as the engine's three-valued logic does."""
    if isinstance(condition, Comparison):
        op = condition.operator
        if op is Operator.IN:
            return [[(condition.fact, "in" if holds else "notin", condition.value)]]
        return [[(condition.fact, (op if holds else op.negated).value, condition.value)]]
    if isinstance(condition, Not):
        return _dnf(condition.condition, not holds)
    parts = [_dnf(part, holds) for part in condition.conditions]  # type: ignore[attr-defined]
    if isinstance(condition, AllOf) == holds:  # a conjunction: every combination of the parts
        conjunctions: list[list[_Literal]] = [[]]
        for part in parts:
            conjunctions = [left + right for left in conjunctions for right in part]
        return conjunctions
    return [conjunction for part in parts for conjunction in part]


class Clips:
    """CLIPS (through clipspy, the optional ``[bench]`` extra) running the same rules, translated
    so that CLIPS's Rete network can index and share them.

    Every known fact is one CLIPS fact ``(f NAME VALUE)``; each rule becomes one defrule per
    conjunction of its condition in disjunctive normal form, each literal a pattern with a slot
    constraint (``(f order_status shipped)``, ``(f days_left ?v&:(< ?v 3))``, ``~v``, ``a|b``):
    a fact that is not known matches no pattern, which is the three-valued logic of the engine.
    ``(not (fired rN))`` keeps each rule to one firing; firing asserts the derived facts and one
    ``advised`` fact per advice id. Salience follows the knowledge base's order. A consultation is
    one call into CLIPS: a ``deffunction`` that resets, asserts the facts, runs and returns the
    advice ids (as ``shared/notes/durable-rules.md`` measured CLIPS).
    """

    name = "CLIPS (clipspy)"

    def __init__(self, kb: KnowledgeBase) -> None:
        import clips

        self.kb = kb
        self.env = clips.Environment()
        self.env.build("(deftemplate advised (slot rule) (slot advice))")
        for index, rule in enumerate(kb.rules):
            for part, conjunction in enumerate(_dnf(rule.when)):
                self.env.build(self._defrule(index, part, rule, conjunction))
        self.env.build(
            "(deffunction consult ($?pairs) (reset)"
            " (loop-for-count (?i 1 (div (length$ ?pairs) 2))"
            "  (assert (f (nth$ (- (* 2 ?i) 1) ?pairs) (nth$ (* 2 ?i) ?pairs))))"
            " (run) (bind ?out (create$))"
            " (do-for-all-facts ((?a advised)) TRUE (bind ?out (create$ ?out ?a:advice))) ?out)"
        )

    @staticmethod
    def _atom(value: Any) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return str(value)

    def _pattern(self, number: int, literal: _Literal) -> str:
        fact, op, value = literal
        if op == "eq":
            constraint = self._atom(value)
        elif op == "ne":
            constraint = "~" + self._atom(value)
        elif op == "in":
            constraint = "|".join(self._atom(v) for v in value)
        elif op == "notin":
            constraint = "&".join("~" + self._atom(v) for v in value)
        else:
            symbol = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
            constraint = f"?v{number}&:({symbol} ?v{number} {self._atom(value)})"
        return f"(f {fact} {constraint})"

    def _defrule(self, index: int, part: int, rule: Any, conjunction: list[_Literal]) -> str:
        key = f"r{index}"
        patterns = " ".join(self._pattern(n, literal) for n, literal in enumerate(conjunction))
        derive = " ".join(f"(assert (f {name} {self._atom(value)}))" for name, value in rule.derive)
        asserts = " ".join(f"(assert (advised (rule {key}) (advice {a})))" for a in rule.advise)
        salience = 10000 - index
        return (
            f"(defrule {key}-{part} (declare (salience {salience})) {patterns} (not (fired {key})) "
            f"=> (assert (fired {key})) {derive} {asserts})"
        )

    def advise(self, facts: Mapping[str, Any]) -> tuple[str, ...]:
        pairs = " ".join(f"{name} {self._atom(value)}" for name, value in facts.items())
        given = list(dict.fromkeys(str(advice) for advice in self.env.eval(f"(consult {pairs})")))
        moot = {other for advice_id in given for other in self.kb.advice[advice_id].replaces}
        return tuple(a for a in given if a not in moot) or ("nothing_applies",)


def available_peers(kb: KnowledgeBase) -> list[Any]:
    """The peers that can run here (CLIPS needs the optional ``[bench]`` extra)."""
    peers: list[Any] = [PlainChainer(kb), NaiveDurable(kb)]
    for peer in (Clips, Experta):
        try:
            peers.append(peer(kb))
        except ImportError:
            pass
    return peers


class Experta:
    """experta (a CLIPS-like engine in pure Python; the optional ``[bench]`` extra) running the same
    rules: one ``Case`` fact, one rule per kb rule with a ``TEST`` of its three-valued condition,
    ``modify`` for derived facts, and the fired rules kept so each fires once."""

    name = "experta"

    def __init__(self, kb: KnowledgeBase) -> None:
        import collections
        import collections.abc

        if not hasattr(collections, "Mapping"):  # experta's frozendict still imports it from there
            collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
        from experta import AS, TEST, Fact, KnowledgeEngine, Rule

        class Case(Fact):  # type: ignore[misc]
            pass

        self.Case = Case
        self.kb = kb
        fired: set[str] = set()
        advised: list[str] = []
        self.fired, self.advised = fired, advised
        attributes: dict[str, Any] = {}
        def make(rule: Any, key: str) -> tuple[Any, Any]:
            holds = _compile_python(rule.when)

            # experta passes a TEST function the bound variables named in its signature: only `case`
            def condition(case: Any) -> bool:
                if key in fired:
                    return False
                facts = {k: v for k, v in case.as_dict().items() if isinstance(k, str)}
                return holds(facts)

            def action(engine: Any, case: Any) -> None:
                if key in fired:
                    return
                fired.add(key)
                advised.extend(rule.advise)
                new = {name: value for name, value in rule.derive if case.get(name) != value}
                if new:
                    engine.modify(case, **new)

            return condition, action

        for index, rule in enumerate(kb.rules):
            condition, action = make(rule, f"r{index}")
            attributes[f"r{index}"] = Rule(AS.case << Case(), TEST(condition), salience=len(kb.rules) - index)(action)
        self.engine = type("SameRules", (KnowledgeEngine,), attributes)()

    def advise(self, facts: Mapping[str, Any]) -> tuple[str, ...]:
        self.fired.clear()
        self.advised.clear()
        self.engine.reset()
        self.engine.declare(self.Case(**facts))
        self.engine.run()
        given = list(dict.fromkeys(self.advised))
        moot = {other for advice_id in given for other in self.kb.advice[advice_id].replaces}
        return tuple(a for a in given if a not in moot) or ("nothing_applies",)
