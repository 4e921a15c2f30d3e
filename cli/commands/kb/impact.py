"""``orderdoctor kb impact``: what an edit to one fact, rule or advice can touch."""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus, KnowledgeBase, load_cases, split_node

from .. import Environment
from .graph import resolve_node

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "List what an edit to one fact, rule or advice can touch: the questions, facts and "
    "rules upstream and downstream of it, the advice it can change, and the cases that exercise it."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="a fact, rule or advice id (or fact:NAME, rule:ID, advice:ID)")


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    out = env.stdout
    node = resolve_node(kb, args.name)
    graph = kb.graph
    upstream, downstream = graph.upstream(node), graph.downstream(node)

    def names(nodes: set[str], kind: str, askable: bool | None = None) -> list[str]:
        found = []
        for n in sorted(nodes):
            k, name = split_node(n)
            if k != kind:
                continue
            if askable is not None and kind == "fact" and kb.facts[name].askable != askable:
                continue
            found.append(name)
        return found

    kind, name = split_node(node)
    out.write(f"{kind} {name}\n")
    questions = names(upstream, "fact", askable=True)
    out.write(f"  questions that feed it: {', '.join(questions) or 'none'}\n")
    out.write(f"  derived facts upstream: {', '.join(names(upstream, 'fact', askable=False)) or 'none'}\n")
    out.write(f"  rules upstream: {', '.join(names(upstream, 'rule')) or 'none'}\n")
    out.write(f"  rules downstream: {', '.join(names(downstream, 'rule')) or 'none'}\n")
    out.write(f"  derived facts downstream: {', '.join(names(downstream, 'fact')) or 'none'}\n")
    out.write(f"  advice it can change: {', '.join(names(downstream, 'advice')) or 'none'}\n")
    rules_involved = set(names(upstream | downstream | {node}, "rule"))
    from orderdoctor.engine import run_cases

    report = run_cases(kb, load_cases(kb))
    exercising = []
    for outcome in report.outcomes:
        fired = set(outcome.result.fired_rules)
        touches = (
            (kind == "rule" and name in fired)
            or (kind == "fact" and name in outcome.result.facts)
            or (kind == "advice" and name in outcome.result.advice_ids)
            or (kind != "rule" and bool(fired & rules_involved))
        )
        if touches:
            exercising.append(outcome.case.id)
    out.write(f"  cases that exercise it ({len(exercising)}): {', '.join(exercising) or 'none'}\n")
    return ExitStatus.OK


