"""The rule graph: facts → rules → derived facts and advice, a networkx DiGraph.

Nodes are strings ``fact:NAME``, ``rule:ID`` and ``advice:ID`` with a ``kind``
attribute; edges are ``fact → rule`` (the rule's condition reads the fact),
``rule → fact`` (the rule derives it) and ``rule → advice`` (the rule gives
it), with a ``role`` attribute. A rule node carries the ``file`` and ``line`` it was
written at; a condition edge carries the ``condition`` on the fact, in the operators' own
words (``is none``, ``≥ 10``, ``not (is between 0 and 7)``, ``is true (or days_left)`` for
one alternative of an ``any`` group), a derivation edge the ``value`` derived. The advice
catalogue's ``replaces`` and ``incompatible_with`` are not edges of that graph (they do not
carry facts forward): :meth:`RuleGraph.relations` lists them. networkx does the graph work:
strongly connected components (the loader's cycle check), ancestors and descendants
(``kb impact``, the questions that could decide a fact), neighbourhoods, in either direction
or both (``kb graph --around``).

This module owns the graph and the :class:`GraphIndex`, the part of it a
consultation, an interview and an explanation ask for (who reads, derives or
gives what; what is upstream of a fact nobody is asked). The index is worked
out once with networkx when a knowledge base is loaded from its files and is
stored in the load cache (:mod:`.snapshot`), so that a cached load — every
``orderdoctor advise`` but the first — never imports networkx.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .model import Advice, AllOf, AnyOf, Comparison, Condition, Fact, Not, Rule, Value, facts_in, never

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DIRECTIONS",
    "GraphIndex",
    "RuleGraph",
    "advice_node",
    "describe_conditions",
    "fact_node",
    "rule_node",
    "split_node",
    "strongly_connected_components",
]


#: The ways ``kb graph --around`` may walk: along the edges, against them, or either way.
DIRECTIONS = ("both", "down", "up")


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


class GraphIndex:
    """The graph facts the runtime asks for, worked out by networkx and kept in the load cache.

    ``readers``/``derivers`` map a fact to the rules whose condition reads it / that derive it,
    ``givers`` an advice id to the rules that give it (in the order the rules were written;
    names without any are left out). ``upstream`` maps every fact that is not askable to the
    nodes it can be reached from: what an explanation traces back to the questions.

    Read-only by convention, and a plain class rather than a frozen dataclass: every cached
    ``advise`` builds one, and a frozen dataclass costs a millisecond to define at import.
    """

    __slots__ = ("derivers", "givers", "nodes", "readers", "upstream")

    def __init__(
        self,
        nodes: frozenset[str],
        readers: Mapping[str, tuple[str, ...]],
        derivers: Mapping[str, tuple[str, ...]],
        givers: Mapping[str, tuple[str, ...]],
        upstream: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.nodes = nodes
        self.readers = readers
        self.derivers = derivers
        self.givers = givers
        self.upstream = upstream

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GraphIndex):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def of(cls, graph: Any, facts: Mapping[str, Fact]) -> GraphIndex:
        """The index of a networkx rule graph (see :attr:`RuleGraph.digraph`)."""
        import networkx as nx

        def around(node: str, step: Any) -> tuple[str, ...]:
            return tuple(split_node(n)[1] for n in step(node) if graph.nodes[n]["kind"] == "rule")

        readers: dict[str, tuple[str, ...]] = {}
        derivers: dict[str, tuple[str, ...]] = {}
        givers: dict[str, tuple[str, ...]] = {}
        for node, kind in graph.nodes(data="kind"):
            name = split_node(node)[1]
            if kind == "fact":
                readers[name] = around(node, graph.successors)
                derivers[name] = around(node, graph.predecessors)
            elif kind == "advice":
                givers[name] = around(node, graph.predecessors)
        unasked = [name for name, fact in facts.items() if not fact.askable and fact_node(name) in graph]
        return cls(
            nodes=frozenset(graph.nodes),
            readers={name: rules for name, rules in readers.items() if rules},
            derivers={name: rules for name, rules in derivers.items() if rules},
            givers={name: rules for name, rules in givers.items() if rules},
            upstream={name: tuple(sorted(nx.ancestors(graph, fact_node(name)))) for name in unasked},
        )

    def to_json(self) -> dict[str, Any]:
        """The index as JSON data (lists and objects of strings)."""
        return {
            "nodes": sorted(self.nodes),
            "readers": {name: list(rules) for name, rules in self.readers.items()},
            "derivers": {name: list(rules) for name, rules in self.derivers.items()},
            "givers": {name: list(rules) for name, rules in self.givers.items()},
            "upstream": {name: list(nodes) for name, nodes in self.upstream.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> GraphIndex:
        """The index from :meth:`to_json` data; ValueError when it does not hold together."""
        if not isinstance(data, dict) or not _strings(data["nodes"]):
            raise ValueError("damaged graph index")
        nodes = frozenset(data["nodes"])
        maps = []
        for field, kind, member in (
            ("readers", "fact", "rule"),
            ("derivers", "fact", "rule"),
            ("givers", "advice", "rule"),
            ("upstream", "fact", None),
        ):
            entries = data[field]
            if not isinstance(entries, dict):
                raise ValueError(f"damaged graph index: {field}")
            found: dict[str, tuple[str, ...]] = {}
            for name, names in entries.items():
                targets = names if member is None else [f"{member}:{n}" for n in names if isinstance(n, str)]
                if f"{kind}:{name}" not in nodes or not _strings(names) or not nodes.issuperset(targets):
                    raise ValueError(f"damaged graph index: {field} of '{name}'")
                found[name] = tuple(names)
            maps.append(found)
        readers, derivers, givers, upstream = maps
        return cls(nodes, readers, derivers, givers, upstream)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


class RuleGraph:
    """A read-only view of how facts, rules and advice connect.

    :attr:`digraph` (networkx) is built on first use; the queries a consultation, an interview
    and an explanation make are answered from :attr:`index`, which a cached load brings along
    (``index=``) so that networkx is never imported for them.
    """

    def __init__(
        self,
        facts: Mapping[str, Fact],
        rules: Iterable[Rule],
        advice: Mapping[str, Advice],
        *,
        index: GraphIndex | None = None,
    ) -> None:
        self._facts = facts
        self._rules = tuple(rules)
        self._advice = advice
        self._index = index
        self._digraph: Any = None

    @property
    def digraph(self) -> Any:
        """The graph as a frozen networkx DiGraph (nodes with ``kind``, edges with ``role``)."""
        if self._digraph is None:
            self._digraph = _build(self._facts, self._rules, self._advice)
        return self._digraph

    @property
    def index(self) -> GraphIndex:
        """What the runtime asks of the graph (from the load cache, or worked out by networkx)."""
        if self._index is None:
            self._index = GraphIndex.of(self.digraph, self._facts)
        return self._index

    def __contains__(self, node: object) -> bool:
        return node in self.index.nodes

    def kind(self, node: str) -> str:
        if node not in self:
            raise KeyError(node)
        return split_node(node)[0]

    def rules_reading(self, fact: str) -> tuple[str, ...]:
        """Rules whose condition reads ``fact``."""
        return self.index.readers.get(fact, ())

    def rules_deriving(self, fact: str) -> tuple[str, ...]:
        """Rules that derive ``fact``."""
        return self.index.derivers.get(fact, ())

    def rules_giving(self, advice_id: str) -> tuple[str, ...]:
        """Rules that give the advice ``advice_id``."""
        return self.index.givers.get(advice_id, ())

    def facts_read_by(self, rule_id: str) -> tuple[str, ...]:
        node = rule_node(rule_id)
        if node not in self.digraph:
            return ()
        return tuple(split_node(n)[1] for n in self.digraph.predecessors(node) if split_node(n)[0] == "fact")

    def upstream(self, node: str) -> set[str]:
        """Every node from which ``node`` can be reached."""
        kind, name = split_node(node)
        if kind == "fact" and name in self.index.upstream:
            return set(self.index.upstream[name])
        import networkx as nx

        return set(nx.ancestors(self.digraph, node)) if node in self.digraph else set()

    def downstream(self, node: str) -> set[str]:
        """Every node reachable from ``node``."""
        import networkx as nx

        return set(nx.descendants(self.digraph, node)) if node in self.digraph else set()

    def around(self, center: str, depth: int, direction: str = "both") -> set[str]:
        """The nodes at most ``depth`` edges from ``center``: following the edges (``down``:
        facts → rules → derived facts and advice), against them (``up``), or either way at
        each step (``both``, which from a fact read by many rules reaches all of them)."""
        import networkx as nx

        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r}: say one of {', '.join(DIRECTIONS)}")
        graph = self.digraph.reverse(copy=False) if direction == "up" else self.digraph
        return set(nx.ego_graph(graph, center, radius=depth, undirected=direction == "both"))

    def relations(self) -> tuple[tuple[str, str, str], ...]:
        """The advice catalogue's relations as ``(source, target, role)`` node triples: role
        ``replaces`` (source replaces target), or ``incompatible`` (either way: listed once, in
        the order the first item of the pair names the other). Only ids the catalogue declares."""
        found: dict[tuple[str, str, str], None] = {}
        for advice_id, item in self._advice.items():
            for other in item.replaces:
                if other in self._advice:
                    found[(advice_node(advice_id), advice_node(other), "replaces")] = None
            for other in item.incompatible_with:
                if other in self._advice and (advice_node(other), advice_node(advice_id), "incompatible") not in found:
                    found[(advice_node(advice_id), advice_node(other), "incompatible")] = None
        return tuple(found)

    def relations_of(self, advice_id: str) -> dict[str, tuple[str, ...]]:
        """What ``advice_id`` replaces, what replaces it and what it is incompatible with (either
        side declared it), as advice ids in catalogue order."""
        related: dict[str, list[str]] = {"replaces": [], "replaced_by": [], "incompatible_with": []}
        for source, target, role in self.relations():
            one, other = split_node(source)[1], split_node(target)[1]
            if role == "replaces" and advice_id in (one, other):
                related["replaces" if one == advice_id else "replaced_by"].append(other if one == advice_id else one)
            elif role == "incompatible" and advice_id in (one, other):
                related["incompatible_with"].append(other if one == advice_id else one)
        return {role: tuple(dict.fromkeys(ids)) for role, ids in related.items()}

    def cycles(self) -> list[list[str]]:
        """One cycle per tangle of rules and derived facts, as a node path.

        The path starts at the alphabetically first rule of the cycle and
        repeats it at the end: ``[rule:a, fact:x, rule:b, fact:y, rule:a]``.
        """
        import networkx as nx

        graph = self.digraph
        found: list[list[str]] = []
        for component in nx.strongly_connected_components(graph):
            start = min((n for n in component if n.startswith("rule:")), default=None)
            if start is None or (len(component) == 1 and not graph.has_edge(start, start)):
                continue
            found.append(_cycle_through(graph.subgraph(component), start))
        return sorted(found)


def _build(facts: Mapping[str, Fact], rules: Iterable[Rule], advice: Mapping[str, Advice]) -> Any:
    """The frozen networkx DiGraph of ``facts``, ``rules`` (as written) and ``advice``."""
    import networkx as nx

    graph: Any = nx.DiGraph()
    for name, fact in facts.items():
        graph.add_node(fact_node(name), kind="fact", derived=fact.derived)
    for advice_id, item in advice.items():
        graph.add_node(advice_node(advice_id), kind="advice", advice_kind=item.kind.value)

    def edge(source: str, target: str, role: str, **data: Any) -> None:
        for node in (source, target):
            if node not in graph:  # a name the knowledge base does not declare (the loader reports it)
                graph.add_node(node, kind=split_node(node)[0])
        graph.add_edge(source, target, role=role, **data)

    for rule in rules:
        node = rule_node(rule.id)
        graph.add_node(node, kind="rule", priority=rule.priority, file=rule.location.file, line=rule.location.line)
        labels = describe_conditions(rule.when)
        for name in rule.reads:
            edge(fact_node(name), node, "condition", condition=labels.get(name, ()))
        for name, value in rule.derive:
            edge(node, fact_node(name), "derives", value=_word(value))
        for advice_id in rule.advise:
            edge(node, advice_node(advice_id), "advises")
    return nx.freeze(graph)


def describe_conditions(condition: Condition) -> dict[str, tuple[str, ...]]:
    """What ``condition`` asks of each fact it reads, in the operators' own words (their
    ``describe`` without the fact's name), one line per comparison, first mention first.

    A ``not`` is pushed inwards (De Morgan, which holds in the three-valued logic too) until it
    meets a comparison, which becomes its operator's negation (``is not x``, ``≥ 3``), or
    ``not (…)`` when the operator has none. A comparison that is one alternative of an ``any``
    group names the facts of the other alternatives: ``is true (or days_left)``.
    """
    labels: dict[str, dict[str, None]] = {}
    for fact, text in _phrases(condition, negated=False, others=()):
        labels.setdefault(fact, {})[text] = None
    return {fact: tuple(texts) for fact, texts in labels.items()}


def _phrases(condition: Condition, negated: bool, others: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    """``(fact, text)`` for each comparison in ``condition`` (see :func:`describe_conditions`);
    ``others`` are the facts of the other alternatives of the nearest enclosing ``any``."""
    match condition:
        case Comparison():
            operator = condition.operator
            if negated and operator.negation is not None:
                text = _said(operator.negation, condition.value)
            elif negated:
                text = f"not ({_said(operator, condition.value)})"
            else:
                text = _said(operator, condition.value)
            yield condition.fact, text + _alternatives(others)
        case Not():
            yield from _phrases(condition.condition, not negated, others)
        case AllOf() | AnyOf():
            alternatives = isinstance(condition, AnyOf) != negated  # not(all) is any of the nots
            for part in condition.conditions:
                if alternatives and len(condition.conditions) > 1:
                    rest = [c for c in condition.conditions if c is not part]
                    outside = tuple(dict.fromkeys(f for c in rest for f in facts_in(c)))
                else:
                    outside = others
                yield from _phrases(part, negated, outside)
        case _:  # pragma: no cover
            never(condition)


def _said(operator: Any, expected: Any) -> str:
    return str(operator.describe("", expected, _word)).strip()


def _alternatives(others: tuple[str, ...]) -> str:
    if not others:
        return ""
    return f" (or {', '.join(others[:2])}{', …' if len(others) > 2 else ''})"


def _word(value: Value) -> str:
    """A value as the kb writes it (``true``, ``none``, ``10``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cycle_through(component: Any, start: str) -> list[str]:
    """The shortest path from ``start`` back to itself inside ``component`` (a subgraph): of
    the shortest, the one breadth-first search in edge order meets first."""
    import networkx as nx

    paths = nx.single_source_shortest_path(component, start)  # breadth first, in discovery order
    last = next(node for node in paths if component.has_edge(node, start))
    return [*paths[last], start]


def strongly_connected_components(edges: Mapping[str, Iterable[str]]) -> list[set[str]]:
    """The strongly connected sets of nodes of the graph ``edges`` (node → its successors)."""
    import networkx as nx

    graph: Any = nx.DiGraph()
    for node, targets in edges.items():
        graph.add_node(node)
        graph.add_edges_from((node, target) for target in targets)
    return [set(component) for component in nx.strongly_connected_components(graph)]
