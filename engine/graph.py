"""The rule graph: facts → rules → derived facts and advice, as a networkx DiGraph.

Nodes are strings ``fact:NAME``, ``rule:ID`` and ``advice:ID`` with a ``kind``
attribute; edges are ``fact → rule`` (the rule's condition reads the fact),
``rule → fact`` (the rule derives it) and ``rule → advice`` (the rule gives
it), with a ``role`` attribute. The loader uses it to find cycles; question
planning, impact analysis and pictures build on the same small API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx

from .model import Advice, Fact, Rule

__all__ = ["RuleGraph", "advice_node", "fact_node", "rule_node", "split_node"]


def fact_node(name: str) -> str:
    return f"fact:{name}"


def rule_node(rule_id: str) -> str:
    return f"rule:{rule_id}"


def advice_node(advice_id: str) -> str:
    return f"advice:{advice_id}"


def split_node(node: str) -> tuple[str, str]:
    """``"rule:abc"`` → ``("rule", "abc")``."""
    kind, _, name = node.partition(":")
    return kind, name


class RuleGraph:
    """A read-only view of how facts, rules and advice connect."""

    def __init__(
        self,
        facts: Mapping[str, Fact],
        rules: Iterable[Rule],
        advice: Mapping[str, Advice],
    ) -> None:
        graph = nx.DiGraph()
        for name, fact in facts.items():
            graph.add_node(fact_node(name), kind="fact", derived=fact.derived)
        for advice_id, item in advice.items():
            graph.add_node(advice_node(advice_id), kind="advice", advice_kind=item.kind.value)
        for rule in rules:
            node = rule_node(rule.id)
            graph.add_node(node, kind="rule", priority=rule.priority)
            for name in rule.reads:
                graph.add_edge(fact_node(name), node, role="condition")
            for name, _ in rule.derive:
                graph.add_edge(node, fact_node(name), role="derives")
            for advice_id in rule.advise:
                graph.add_edge(node, advice_node(advice_id), role="advises")
        self._graph = nx.freeze(graph)

    @property
    def digraph(self) -> nx.DiGraph:
        """The underlying graph (frozen: any attempt to change it raises)."""
        return self._graph

    def __contains__(self, node: object) -> bool:
        return node in self._graph

    def _neighbours(self, node: str, kind: str, *, forward: bool) -> tuple[str, ...]:
        if node not in self._graph:
            return ()
        step = self._graph.successors if forward else self._graph.predecessors
        return tuple(split_node(n)[1] for n in step(node) if self._graph.nodes[n]["kind"] == kind)

    def rules_reading(self, fact: str) -> tuple[str, ...]:
        """Rules whose condition reads ``fact``."""
        return self._neighbours(fact_node(fact), "rule", forward=True)

    def rules_deriving(self, fact: str) -> tuple[str, ...]:
        """Rules that derive ``fact``."""
        return self._neighbours(fact_node(fact), "rule", forward=False)

    def rules_giving(self, advice_id: str) -> tuple[str, ...]:
        """Rules that give the advice ``advice_id``."""
        return self._neighbours(advice_node(advice_id), "rule", forward=False)

    def facts_read_by(self, rule_id: str) -> tuple[str, ...]:
        return self._neighbours(rule_node(rule_id), "fact", forward=False)

    def upstream(self, node: str) -> set[str]:
        """Every node from which ``node`` can be reached."""
        return set(nx.ancestors(self._graph, node)) if node in self._graph else set()

    def downstream(self, node: str) -> set[str]:
        """Every node reachable from ``node``."""
        return set(nx.descendants(self._graph, node)) if node in self._graph else set()

    def cycles(self) -> list[list[str]]:
        """One cycle per tangle of rules and derived facts, as a node path.

        The path starts at the alphabetically first rule of the cycle and
        repeats it at the end: ``[rule:a, fact:x, rule:b, fact:y, rule:a]``.
        """
        found: list[list[str]] = []
        for component in nx.strongly_connected_components(self._graph):
            start = min((n for n in component if n.startswith("rule:")), default=None)
            if start is None:
                continue
            if len(component) == 1 and not self._graph.has_edge(start, start):
                continue
            sub = self._graph.subgraph(component)
            edges = nx.find_cycle(sub, source=start)
            path = [edges[0][0]] + [v for _, v in edges]
            # rotate so that the path starts (and ends) at `start`
            if start in path[:-1]:
                i = path.index(start)
                path = path[i:-1] + path[:i] + [start]
            found.append(path)
        return sorted(found)
