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
from orderdoctor.engine.backend import compile_ruleset
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
    name = "durable-rules, naive"
    _names = itertools.count(1)

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.compiled = compile_ruleset(kb, f"naive{next(self._names)}")
        self.host = _Host(self._action)
        # Through durable's Python wrapper every rule needs an action, and a fact no rule handles
        # raises: add the actions and a lowest-priority catch-all rule, as a durable user would.
        definition = copy.deepcopy(dict(self.compiled.definition))
        for key, rule in definition.items():
            rule["run"] = f"{self.compiled.name}/{key}"
        definition["done"] = {"all": [{"m": {"_case": 1}}], "pri": len(kb.rules) + 1, "run": "done"}
        self.host.set_rulesets({self.compiled.name: definition})
        self.sids = itertools.count(1)
        self.consultation: Consultation | None = None
        self.current: dict[str, Any] = {}
        self.fired: list[str] = []

    def _action(self, action_name: str) -> Any:
        key = action_name.partition("/")[2]

        def act(c: Any) -> None:
            if key == "done" or key in self.fired or self.consultation is None:
                return
            rule = self.compiled.rules[key]
            seen = {k: v for k, v in c.m._d.items() if k not in ("sid", "id", "_case") and not k.startswith("_f")}
            added = self.consultation.fire(rule, seen)
            self.fired.append(key)
            if added:
                new = dict(self.current)
                new.update(added)
                for fired in self.fired:
                    new[self.compiled.markers[fired]] = 1
                c.retract_fact(dict(self.current))
                c.assert_fact(dict(new))
                self.current = new

        return act

    def advise(self, facts: Mapping[str, Any]) -> tuple[str, ...]:
        sid = str(next(self.sids))
        self.consultation = Consultation(self.kb, facts)
        self.fired = []
        self.current = {"_case": 1, "sid": sid, **facts}
        self.host.assert_fact(self.compiled.name, dict(self.current))
        self.host.delete_state(self.compiled.name, sid)
        result = self.consultation.result().advice_ids
        self.consultation = None
        return result


class Clips:
    """CLIPS (through clipspy, the optional ``[bench]`` extra) running the same rules.

    One ``case`` fact holds every fact (askable and derived) as a slot, ``nil`` when unknown; each
    rule is a defrule over it whose ``test`` is the rule's condition in three-valued form (a test on
    ``nil`` never holds, ``not`` pushed inwards); firing adds the rule to the case's ``fired`` slot
    (so it fires once) and its derived values, and asserts one ``advised`` fact per advice id.
    Salience follows the knowledge base's order.
    """

    name = "CLIPS (clipspy)"

    def __init__(self, kb: KnowledgeBase) -> None:
        import clips

        self.kb = kb
        self.env = clips.Environment()
        slots = " ".join(f"(slot {name} (default nil))" for name in kb.facts)
        self.env.build(f"(deftemplate case {slots} (multislot fired))")
        self.env.build("(deftemplate advised (slot rule) (slot advice))")
        for index, rule in enumerate(kb.rules):
            self.env.build(self._defrule(index, rule))

    @staticmethod
    def _atom(value: Any) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return str(value)

    def _test(self, condition: Any, holds: bool = True) -> str:
        from orderdoctor.engine.model import AllOf, Comparison, Not, Operator

        if isinstance(condition, Comparison):
            var, op, value = f"?{condition.fact}", condition.operator, condition.value
            if op is Operator.IN:
                tests = [f"(eq {var} {self._atom(v)})" for v in value]
                body = f"(or {' '.join(tests)})" if holds else f"(and {' '.join('(not ' + t + ')' for t in tests)})"
                return f"(and (neq {var} nil) {body})"
            if not holds:
                op = op.negated
            symbol = {"eq": "eq", "ne": "neq", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op.value]
            return f"(and (neq {var} nil) ({symbol} {var} {self._atom(value)}))"
        if isinstance(condition, Not):
            return self._test(condition.condition, not holds)
        joiner = "and" if isinstance(condition, AllOf) == holds else "or"
        return f"({joiner} {' '.join(self._test(c, holds) for c in condition.conditions)})"

    def _defrule(self, index: int, rule: Any) -> str:
        bindings = " ".join(f"({name} ?{name})" for name in rule.reads)
        key = f"r{index}"
        derive = " ".join(f"({name} {self._atom(value)})" for name, value in rule.derive)
        asserts = " ".join(f"(assert (advised (rule {key}) (advice {a})))" for a in rule.advise)
        salience = len(self.kb.rules) - index
        return (
            f"(defrule {key} (declare (salience {salience})) "
            f"?c <- (case {bindings} (fired $?fired)) "
            f"(test (and (not (member$ {key} $?fired)) {self._test(rule.when)})) "
            f"=> (modify ?c (fired $?fired {key}) {derive}) {asserts})"
        )

    def advise(self, facts: Mapping[str, Any]) -> tuple[str, ...]:
        self.env.reset()
        slots = " ".join(f"({name} {self._atom(value)})" for name, value in facts.items())
        self.env.assert_string(f"(case {slots})")
        self.env.run()
        given = list(dict.fromkeys(str(f["advice"]) for f in self.env.facts() if f.template.name == "advised"))
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
