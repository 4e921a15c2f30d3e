"""What differs between two knowledge bases, and which answers that can touch (for ``kb diff``).

This module owns the *edit* between an old and a new knowledge base: the rules, advice and facts
added, removed or changed (:class:`KbChanges`), and the rules whose edit can change an answer
(:func:`touched_rules`). A rule is touched when it is added or removed, when its condition,
conclusions or priority change, when advice it gives changes what an answer shows (kind, deadline,
urgency, ``replaces``, ``incompatible_with``, ``requires``), or when it moves among the other rules
(the firing order breaks ties in the advice order). Advice whose title or text alone changes is
*reworded*: every answer shows the same items.

**Why this prunes soundly.** A rule fires exactly when its condition holds over the facts known,
and facts are only ever added, so the rules that fire in a situation are those whose condition
holds once nothing more can be derived. When no touched rule fires in a situation, in either
knowledge base, both consultations fire the same unchanged rules in the same order and give the
same answer. Whether a touched rule fires depends only on the *inputs* of the touched rules: the
questions upstream of them (:func:`rule_inputs`). So a situation needs running only when its
values of those inputs make a touched rule fire (or fail) in either knowledge base. This module
reads no file, runs no consultation and prints nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Advice, KnowledgeBase, Rule

__all__ = ["KbChanges", "kb_changes", "rule_inputs", "touched_rules"]


@dataclass(frozen=True)
class KbChanges:
    """The edit from an old knowledge base to a new one, by id (each tuple sorted)."""

    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()
    rules_changed: tuple[str, ...] = ()
    rules_moved: tuple[str, ...] = ()
    advice_added: tuple[str, ...] = ()
    advice_removed: tuple[str, ...] = ()
    advice_changed: tuple[str, ...] = ()
    advice_reworded: tuple[str, ...] = ()
    facts_added: tuple[str, ...] = ()
    facts_removed: tuple[str, ...] = ()
    facts_changed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def to_json(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in self.__dataclass_fields__}


def _rule_key(rule: Rule) -> tuple[object, ...]:
    return (rule.when, rule.derive, rule.advise, rule.priority)


def _advice_key(advice: Advice) -> tuple[object, ...]:
    """What of an advice item an answer shows besides its words."""
    return (advice.kind, advice.replaces, advice.deadline, advice.incompatible_with, advice.requires,
            advice.urgent_within)


def _fact_key(kb: KnowledgeBase, name: str) -> tuple[object, ...]:
    fact = kb.facts[name]
    return (fact.type, fact.values, fact.minimum, fact.maximum, fact.derived, fact.askable)


def _split(old: Iterable[str], new: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    before, after = set(old), set(new)
    return tuple(sorted(after - before)), tuple(sorted(before - after)), sorted(before & after)


def _moved(old: KnowledgeBase, new: KnowledgeBase, same: set[str]) -> tuple[str, ...]:
    """Unchanged rules whose place among the other unchanged rules differs (firing order)."""
    import difflib

    before = [rule.id for rule in old.rules if rule.id in same]
    after = [rule.id for rule in new.rules if rule.id in same]
    if before == after:
        return ()
    kept: set[str] = set()
    for block in difflib.SequenceMatcher(None, before, after, autojunk=False).get_matching_blocks():
        kept.update(before[block.a:block.a + block.size])
    return tuple(sorted(same - kept))


def kb_changes(old: KnowledgeBase, new: KnowledgeBase) -> KbChanges:
    """What was added, removed and changed from ``old`` to ``new``."""
    advice_added, advice_removed, advice_common = _split(old.advice, new.advice)
    advice_changed = tuple(a for a in advice_common if _advice_key(old.advice[a]) != _advice_key(new.advice[a]))
    reworded = tuple(
        a for a in advice_common
        if a not in advice_changed and (old.advice[a].title, old.advice[a].text) != (new.advice[a].title,
                                                                                   new.advice[a].text)
    )
    rules_added, rules_removed, rules_common = _split((r.id for r in old.rules), (r.id for r in new.rules))
    rules_changed = tuple(r for r in rules_common if _rule_key(old.rule(r)) != _rule_key(new.rule(r)))
    facts_added, facts_removed, facts_common = _split(old.facts, new.facts)
    return KbChanges(
        rules_added=rules_added,
        rules_removed=rules_removed,
        rules_changed=rules_changed,
        rules_moved=_moved(old, new, set(rules_common) - set(rules_changed)),
        advice_added=advice_added,
        advice_removed=advice_removed,
        advice_changed=advice_changed,
        advice_reworded=reworded,
        facts_added=facts_added,
        facts_removed=facts_removed,
        facts_changed=tuple(f for f in facts_common if _fact_key(old, f) != _fact_key(new, f)),
    )


def touched_rules(old: KnowledgeBase, new: KnowledgeBase, changes: KbChanges) -> tuple[frozenset[str],
                                                                                       frozenset[str]]:
    """The rules of ``old`` and of ``new`` whose edit can change an answer (see the module)."""
    direct = {*changes.rules_added, *changes.rules_removed, *changes.rules_changed, *changes.rules_moved}
    advice = {*changes.advice_added, *changes.advice_removed, *changes.advice_changed}

    def of(kb: KnowledgeBase) -> frozenset[str]:
        return frozenset(rule.id for rule in kb.rules if rule.id in direct or advice.intersection(rule.advise))

    return of(old), of(new)


def rule_inputs(kb: KnowledgeBase, rule_ids: Iterable[str]) -> set[str]:
    """The facts that are not derived upstream of the rules ``rule_ids``: read by them, or by the
    rules deriving what they read, and so on."""
    derivers: dict[str, list[Rule]] = {}
    for rule in kb.rules:
        for name, _ in rule.derive:
            derivers.setdefault(name, []).append(rule)
    inputs: set[str] = set()
    stack = [kb.rule(rule_id) for rule_id in rule_ids]
    seen = {rule.id for rule in stack}
    while stack:
        rule = stack.pop()
        for name in rule.reads:
            fact = kb.facts.get(name)
            if fact is None or not fact.derived:
                inputs.add(name)
                continue
            for deriver in derivers.get(name, ()):
                if deriver.id not in seen:
                    seen.add(deriver.id)
                    stack.append(deriver)
    return inputs
