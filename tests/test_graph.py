"""The rule graph: facts → rules → derived facts and advice."""

from __future__ import annotations

from orderdoctor.engine.graph import RuleGraph, advice_node, fact_node, rule_node
from orderdoctor.engine.model import AdviceKind


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
