"""The rule graph: facts → rules → derived facts and advice (networkx on demand).

Nodes are strings ``fact:NAME``, ``rule:ID`` and ``advice:ID`` with a ``kind``
attribute; edges are ``fact → rule`` (the rule's condition reads the fact),
``rule → fact`` (the rule derives it) and ``rule → advice`` (the rule gives
it), with a ``role`` attribute. The loader uses it to find cycles; question
planning, impact analysis and pictures build on the same small API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .model import Advice, Fact, Rule

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

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
    """A read-only view of how facts, rules and advice connect.

    Kept as plain adjacency maps (so loading a knowledge base does not import
    networkx); :attr:`digraph` builds the networkx graph on first use.
    """

    def __init__(
        self,
        facts: Mapping[str, Fact],
        rules: Iterable[Rule],
        advice: Mapping[str, Advice],
    ) -> None:
        self._nodes: dict[str, dict[str, object]] = {}
        self._succ: dict[str, dict[str, str]] = {}
        self._pred: dict[str, dict[str, str]] = {}
        for name, fact in facts.items():
            self._add_node(fact_node(name), kind="fact", derived=fact.derived)
        for advice_id, item in advice.items():
            self._add_node(advice_node(advice_id), kind="advice", advice_kind=item.kind.value)
        for rule in rules:
            node = rule_node(rule.id)
            self._add_node(node, kind="rule", priority=rule.priority)
            for name in rule.reads:
                self._add_edge(fact_node(name), node, "condition")
            for name, _ in rule.derive:
                self._add_edge(node, fact_node(name), "derives")
            for advice_id in rule.advise:
                self._add_edge(node, advice_node(advice_id), "advises")
        self._digraph: Any = None

    def _add_node(self, node: str, **attributes: object) -> None:
        self._nodes.setdefault(node, {}).update(attributes)
        self._succ.setdefault(node, {})
        self._pred.setdefault(node, {})

    def _add_edge(self, source: str, target: str, role: str) -> None:
        for node in (source, target):
            if node not in self._nodes:
                kind = split_node(node)[0]
                self._add_node(node, kind=kind)
        self._succ[source][target] = role
        self._pred[target][source] = role

    @property
    def digraph(self) -> Any:
        """The graph as a frozen networkx DiGraph (nodes with ``kind``, edges with ``role``)."""
        if self._digraph is None:
            import networkx as nx

            graph = nx.DiGraph()
            for node, attributes in self._nodes.items():
                graph.add_node(node, **attributes)
            for source, targets in self._succ.items():
                for target, role in targets.items():
                    graph.add_edge(source, target, role=role)
            self._digraph = nx.freeze(graph)
        return self._digraph

    def __contains__(self, node: object) -> bool:
        return node in self._nodes

    def kind(self, node: str) -> str:
        return str(self._nodes[node]["kind"])

    def _neighbours(self, node: str, kind: str, *, forward: bool) -> tuple[str, ...]:
        if node not in self._nodes:
            return ()
        step = self._succ if forward else self._pred
        return tuple(split_node(n)[1] for n in step[node] if self._nodes[n]["kind"] == kind)

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

    def _reach(self, node: str, step: dict[str, dict[str, str]]) -> set[str]:
        if node not in self._nodes:
            return set()
        seen: set[str] = set()
        stack = [node]
        while stack:
            for neighbour in step[stack.pop()]:
                if neighbour not in seen:
                    seen.add(neighbour)
                    stack.append(neighbour)
        seen.discard(node)
        return seen

    def upstream(self, node: str) -> set[str]:
        """Every node from which ``node`` can be reached."""
        return self._reach(node, self._pred)

    def downstream(self, node: str) -> set[str]:
        """Every node reachable from ``node``."""
        return self._reach(node, self._succ)

    def cycles(self) -> list[list[str]]:
        """One cycle per tangle of rules and derived facts, as a node path.

        The path starts at the alphabetically first rule of the cycle and
        repeats it at the end: ``[rule:a, fact:x, rule:b, fact:y, rule:a]``.
        """
        edges = {node: list(targets) for node, targets in self._succ.items()}
        found: list[list[str]] = []
        for component in strongly_connected_components(edges):
            start = min((n for n in component if n.startswith("rule:")), default=None)
            if start is None:
                continue
            if len(component) == 1 and start not in self._succ[start]:
                continue
            found.append(_cycle_through(start, component, edges))
        return sorted(found)


def _cycle_through(start: str, component: set[str], edges: Mapping[str, list[str]]) -> list[str]:
    """The shortest path from ``start`` back to itself inside ``component``."""
    parents: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for neighbour in edges.get(node, ()):
            if neighbour == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return list(reversed(path)) + [start]
            if neighbour in component and neighbour not in parents:
                parents[neighbour] = node
                queue.append(neighbour)
    raise AssertionError("a strongly connected component always has a cycle")  # pragma: no cover


def strongly_connected_components(edges: Mapping[str, Iterable[str]]) -> list[set[str]]:
    """Tarjan's algorithm, without recursion: the strongly connected sets of nodes."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[set[str]] = []
    nodes = list(dict.fromkeys([*edges, *(t for targets in edges.values() for t in targets)]))
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(list(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(list(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                result.append(component)
    return result
