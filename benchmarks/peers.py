"""The same logical rules run by other engines, for comparison (benchmarks only, never the product).

* :class:`PlainChainer` — a plain-Python forward chainer: loop over the rules (in the knowledge base's
  order), fire every rule whose condition holds (three-valued, the engine's own evaluator), until
  nothing new fires. The practical limit of a pure-Python engine with no matching network.
* :class:`NaiveDurable` — durable-rules used the obvious way: the same compiled ruleset, but a fresh
  session per case, deleted afterwards (``delete_state``), and every fired rule re-asserting the case.

Each returns the advice ids in the engine's reading order, so a check can assert that every engine
gives the same advice on every case before any time is reported.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from durable.engine import Host

from orderdoctor.engine import KnowledgeBase, evaluate
from orderdoctor.engine.backend import compile_ruleset
from orderdoctor.engine.consultation import Consultation


class PlainChainer:
    name = "plain Python"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def advise(self, facts: Mapping[str, Any]) -> tuple[str, ...]:
        consultation = Consultation(self.kb, facts)
        fired: set[str] = set()
        changed = True
        while changed:
            changed = False
            for rule in self.kb.rules:
                if rule.id in fired:
                    continue
                if evaluate(rule.when, consultation.facts).holds:
                    fired.add(rule.id)
                    seen = {name: consultation.facts[name] for name in rule.reads if name in consultation.facts}
                    if consultation.fire(rule, seen):
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
        self.host.set_rulesets({self.compiled.name: copy.deepcopy(dict(self.compiled.definition))})
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
