"""The rule graph: facts → rules → derived facts and advice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import MINIMAL_KB
from orderdoctor.engine import load_knowledge_base
from orderdoctor.engine.graph import RuleGraph, advice_node, fact_node, rule_node
from orderdoctor.engine.loader import default_kb_path
from orderdoctor.engine.model import AdviceKind
from orderdoctor.engine.snapshot import SnapshotError, from_snapshot, to_snapshot

SHIPPED = Path(default_kb_path())


def test_nodes_and_edges(minimal_kb):
    graph = minimal_kb.graph
    g = graph.digraph
    assert g.nodes[fact_node("days_left")]["kind"] == "fact"
    assert g.nodes[rule_node("urgent_dispute")]["kind"] == "rule"
    assert g.nodes[advice_node("open_dispute")]["advice_kind"] == AdviceKind.ACTION.value
    assert g.edges[fact_node("problem"), rule_node("problem_and_short_time")]["role"] == "condition"
    assert g.edges[rule_node("problem_and_short_time"), fact_node("urgency")]["role"] == "derives"
    assert g.edges[rule_node("urgent_dispute"), advice_node("deadline_near")]["role"] == "advises"


def test_neighbour_queries(minimal_kb):
    graph = minimal_kb.graph
    assert set(graph.rules_reading("days_left")) == {
        "shipped_with_problem", "problem_and_short_time", "calm_contact",
    }
    assert graph.rules_deriving("urgency") == ("problem_and_short_time",)
    assert graph.rules_giving("open_dispute") == ("urgent_dispute",)
    assert set(graph.facts_read_by("calm_contact")) == {"order_status", "days_left", "seller_suspicious"}
    assert graph.rules_reading("no_such_fact") == ()


def test_upstream_and_downstream(minimal_kb):
    graph = minimal_kb.graph
    assert fact_node("seller_suspicious") in graph.upstream(advice_node("open_dispute"))
    assert fact_node("coupon_used") not in graph.upstream(advice_node("open_dispute"))
    assert advice_node("deadline_near") in graph.downstream(fact_node("problem"))


def test_no_cycles_in_a_valid_kb(minimal_kb, shipped_kb):
    assert minimal_kb.graph.cycles() == []
    assert shipped_kb.graph.cycles() == []


def test_cycle_path_is_reported_from_its_first_rule(minimal_kb):
    from dataclasses import replace

    a = replace(minimal_kb.rule("problem_and_short_time"))  # problem → urgency
    b = replace(minimal_kb.rule("shipped_with_problem"), id="urgency_means_problem",
                when=minimal_kb.rule("urgent_dispute").when)  # urgency → problem
    graph = RuleGraph(minimal_kb.facts, [a, b], minimal_kb.advice)
    assert graph.cycles() == [[
        "rule:problem_and_short_time", "fact:urgency", "rule:urgency_means_problem",
        "fact:problem", "rule:problem_and_short_time",
    ]]


def test_self_loop_is_a_cycle(minimal_kb):
    from dataclasses import replace

    rule = replace(minimal_kb.rule("problem_and_short_time"), derive=(("problem", True),))
    graph = RuleGraph(minimal_kb.facts, [rule], minimal_kb.advice)
    assert graph.cycles() == [["rule:problem_and_short_time", "fact:problem", "rule:problem_and_short_time"]]


# ------------------------------------------------- networkx, and the index in the load cache
def test_strongly_connected_components():
    from orderdoctor.engine.graph import strongly_connected_components

    edges = {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": [], "e": ["e"]}
    found = sorted(sorted(component) for component in strongly_connected_components(edges))
    assert found == [["a", "b"], ["c"], ["d"], ["e"]]


def test_shortest_cycle_first_met_breadth_first(minimal_kb):
    """Of two shortest ways back to the first rule, the one met first in written edge order."""
    from dataclasses import replace

    start = replace(minimal_kb.rule("problem_and_short_time"), id="a_start")  # problem → urgency
    back_1 = replace(minimal_kb.rule("shipped_with_problem"), id="m_back", when=minimal_kb.rule("urgent_dispute").when)
    back_2 = replace(back_1, id="b_back")  # urgency → problem, written second
    graph = RuleGraph(minimal_kb.facts, [start, back_1, back_2], minimal_kb.advice)
    assert graph.cycles() == [["rule:a_start", "fact:urgency", "rule:m_back", "fact:problem", "rule:a_start"]]


def test_around_counts_steps_either_way(minimal_kb):
    graph = minimal_kb.graph
    assert graph.around(fact_node("urgency"), 0) == {fact_node("urgency")}
    assert graph.around(fact_node("urgency"), 1) == {
        fact_node("urgency"), rule_node("problem_and_short_time"), rule_node("urgent_dispute"),
    }
    alone = {node for node in graph.digraph.nodes if graph.digraph.degree(node) == 0}
    assert graph.around(fact_node("urgency"), 99) == set(graph.digraph.nodes) - alone


def test_the_index_answers_as_networkx_does(shipped_kb):
    import networkx as nx

    graph, g = shipped_kb.graph, shipped_kb.graph.digraph
    for name, fact in shipped_kb.facts.items():
        node = fact_node(name)
        assert graph.rules_reading(name) == tuple(n[5:] for n in g.successors(node))
        assert graph.rules_deriving(name) == tuple(n[5:] for n in g.predecessors(node))
        assert graph.upstream(node) == nx.ancestors(g, node)
        assert graph.downstream(node) == nx.descendants(g, node)
    for advice_id in shipped_kb.advice:
        assert graph.rules_giving(advice_id) == tuple(n[5:] for n in g.predecessors(advice_node(advice_id)))
    assert all(node in graph for node in g.nodes) and "fact:no_such_fact" not in graph


@pytest.mark.parametrize("root", [SHIPPED, MINIMAL_KB], ids=["shipped", "minimal"])
def test_a_snapshot_brings_the_same_index(root):
    fresh = load_knowledge_base(root, cache=False)
    data = json.loads(json.dumps(to_snapshot(fresh)))
    assert from_snapshot(data, root).graph.index == fresh.graph.index


@pytest.mark.parametrize(
    "damage",
    ["missing", "reader not a rule", "unknown node", "upstream not a list", "a node too few"],
)
def test_a_damaged_graph_index_is_refused(minimal_kb, damage):
    data = json.loads(json.dumps(to_snapshot(minimal_kb)))
    index = data["graph"]
    if damage == "missing":  # a snapshot written before the index was stored
        del data["graph"]
    elif damage == "reader not a rule":
        index["readers"]["days_left"].append("no_such_rule")
    elif damage == "unknown node":
        index["givers"]["no_such_advice"] = ["urgent_dispute"]
    elif damage == "upstream not a list":
        index["upstream"]["urgency"] = "fact:problem"
    else:
        index["nodes"].remove("advice:reorder")
    with pytest.raises(SnapshotError):
        from_snapshot(data, MINIMAL_KB)


def test_a_cached_load_never_imports_networkx(tmp_path):
    """advise, the interview's planning and the explanations answer from the cached index."""
    script = textwrap.dedent(
        """
        import sys
        from orderdoctor.engine import consult, load_knowledge_base
        from orderdoctor.engine.explanation import explain_why_not
        from orderdoctor.engine.planner import plan

        kb = load_knowledge_base()
        facts = {"order_status": "shipped", "tracking_note": "shipment_cancelled"}
        result = consult(kb, facts)
        for advice_id in kb.advice:
            explain_why_not(kb, result, advice_id)
        plan(kb, facts)
        print("networkx" in sys.modules)
        """
    )
    env = dict(os.environ, ORDERDOCTOR_CACHE_DIR=str(tmp_path / "cache"))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True) for _ in "12"]
    assert [(run.returncode, run.stdout, run.stderr) for run in runs] == [(0, "True\n", ""), (0, "False\n", "")]
