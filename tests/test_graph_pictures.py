"""``kb graph`` pictures a maintainer reads and ``kb impact``'s exact case lists, on the
rule-graph fixture (tests/fixtures/kb/graph): a chain n → mid → level, a hub fact read by many
rules, every operator, a ``replaces`` and an ``incompatible_with``, rules in two files."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import pytest
from helpers import FIXTURES
from orderdoctor.cli.main import main
from orderdoctor.engine import load_knowledge_base
from orderdoctor.engine.graph import advice_node, describe_conditions, fact_node, rule_node
from orderdoctor.engine.operators import OPERATORS

GRAPH_KB = FIXTURES / "kb" / "graph"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base(GRAPH_KB)


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main([*argv, "--kb", str(GRAPH_KB)], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ edge labels (engine)
def label(kb, fact, rule):
    return kb.graph.digraph.edges[fact_node(fact), rule_node(rule)]["condition"]


def test_every_operator_labels_its_edge_in_its_own_words(kb):
    assert label(kb, "hub", "r_eq") == ("is b",)  # eq
    assert label(kb, "hub", "r_ne_in") == ("is not c",)  # ne
    assert label(kb, "tag", "r_ne_in") == ("is one of x, y",)  # in
    assert label(kb, "tag", "r_not_in_lt") == ("is none of y, z",)  # not_in
    assert label(kb, "n", "r_not_in_lt") == ("< 3",)  # lt
    assert label(kb, "n", "r_start") == ("≥ 10",)  # gte
    assert label(kb, "n", "r_lte_gt") == ("≤ 5 (or hub, n)", "> 50 (or hub, n)")  # lte, gt: alternatives of any
    assert label(kb, "n", "r_between_not")[0] == "is between 20 and 30"  # between
    used = {c.operator.name for rule in kb.rules for c in _comparisons(rule.when)}
    assert used == set(OPERATORS)  # the fixture really uses every operator


def _comparisons(condition):
    from orderdoctor.engine.model import comparisons_in

    return comparisons_in(condition)


def test_a_not_becomes_the_negation_or_says_not(kb):
    assert label(kb, "flag", "r_between_not") == ("is not true",)  # not eq → ne
    assert label(kb, "n", "r_between_not")[1] == "not (is between 1 and 2)"  # between has no negation


def test_an_alternative_of_any_names_the_other_alternatives(kb):
    assert label(kb, "flag", "r_any") == ("is true (or n)",)
    assert label(kb, "n", "r_any") == ("< 0 (or flag)",)
    assert label(kb, "hub", "r_any") == ("is b",)  # beside the any group, not in it


def test_labels_come_from_the_operators_describe():
    from orderdoctor.engine.model import AllOf, AnyOf, Comparison, Not

    lt, gte = OPERATORS["lt"], OPERATORS["gte"]
    condition = AllOf((Not(AnyOf((Comparison("a", lt, 3), Comparison("b", lt, 5)))),))  # not(any) = all of the nots
    assert describe_conditions(condition) == {"a": (gte.describe("", 3, str).strip(),), "b": ("≥ 5",)}
    condition = Not(AllOf((Comparison("a", lt, 3), Comparison("b", lt, 5))))  # not(all) = any of the nots
    assert describe_conditions(condition) == {"a": ("≥ 3 (or b)",), "b": ("≥ 5 (or a)",)}


def test_derivations_carry_the_value_and_rules_their_file(kb):
    graph = kb.graph.digraph
    assert graph.edges[rule_node("r_start"), fact_node("mid")]["value"] == "true"
    assert graph.edges[rule_node("r_mid"), fact_node("level")]["value"] == "high"
    assert graph.nodes[rule_node("r_eq")]["file"].endswith("hub.yaml")
    assert graph.nodes[rule_node("r_eq")]["line"] == 1


def test_relations_of_the_advice(kb):
    graph = kb.graph
    assert set(graph.relations()) == {
        (advice_node("act_a"), advice_node("act_b"), "replaces"),
        (advice_node("warn"), advice_node("act_b"), "incompatible"),
    }
    assert graph.relations_of("act_b") == {"replaces": (), "replaced_by": ("act_a",), "incompatible_with": ("warn",)}
    assert graph.relations_of("warn")["incompatible_with"] == ("act_b",)
    assert graph.relations_of("act_a")["replaces"] == ("act_b",)


# ------------------------------------------------------------------ direction and depth
def test_down_and_up_stay_on_the_chain_where_both_explodes_through_the_hub(kb):
    graph = kb.graph
    mid = fact_node("mid")
    assert graph.around(mid, 2, "down") == {mid, rule_node("r_mid"), fact_node("level"), advice_node("act_b")}
    assert graph.around(mid, 2, "up") == {mid, rule_node("r_start"), fact_node("n"), fact_node("hub")}
    both = graph.around(mid, 3, "both")
    hub_readers = {rule_node(r) for r in graph.rules_reading("hub")}
    assert hub_readers <= both  # one step up to the hub, then down to every rule reading it
    assert not hub_readers - {rule_node("r_start")} & (graph.around(mid, 3, "down") | graph.around(mid, 3, "up"))
    assert graph.around(mid, 2) == graph.around(mid, 2, "both")  # the default: either way at each step
    assert graph.around(fact_node("n"), 0, "down") == {fact_node("n")}
    with pytest.raises(ValueError):
        graph.around(mid, 1, "sideways")


def test_direction_on_the_command_line(capsys):
    _, down, _ = run("kb", "graph", "--around", "mid", "--depth", "3", "--direction", "down", "--no-legend")
    _, both, _ = run("kb", "graph", "--around", "mid", "--depth", "3", "--no-legend")
    assert '"rule:r_end"' in down and '"rule:r_eq"' not in down
    assert '"rule:r_eq"' in both
    status, _, _ = run("kb", "graph", "--around", "mid", "--direction", "sideways")
    assert status == 2 and "invalid choice: 'sideways'" in capsys.readouterr().err  # argparse: sys.stderr


# ------------------------------------------------------------------ DOT
def test_dot_labels_relations_clusters_and_legend():
    status, out, _ = run("kb", "graph")
    assert status == 0
    assert '"fact:n" -> "rule:r_start" [label="≥ 10"];' in out
    assert '"rule:r_start" -> "fact:mid" [label="= true"];' in out
    assert '"rule:r_end" -> "advice:act_a";' in out
    assert re.search(r'"advice:act_a" -> "advice:act_b" \[style=dashed[^\]]*\];', out)
    incompatible = re.search(r'"advice:warn" -> "advice:act_b" \[([^\]]*)\];', out)
    assert incompatible and "dir=none" in incompatible[1] and "dotted" in incompatible[1]
    assert 'label="chain.yaml"' in out and 'label="hub.yaml"' in out
    clusters = re.findall(r"subgraph (cluster_\w+) \{", out)
    assert "cluster_legend" in clusters and len(clusters) == 3
    chain = out[out.index('label="chain.yaml"'):]
    chain = chain[: chain.index("}")]
    assert sorted(re.findall(r'"(rule:\w+)" \[', chain)) == ["rule:r_end", "rule:r_mid", "rule:r_start"]
    assert out.count(" -> ") == len(_edges_of_the_kb()) + 6  # every edge and relation, and the legend's six


def _edges_of_the_kb():
    kb = load_knowledge_base(GRAPH_KB)
    return [*kb.graph.digraph.edges, *kb.graph.relations()]


def test_no_legend_and_no_clusters():
    _, out, _ = run("kb", "graph", "--no-legend", "--no-clusters")
    assert "subgraph" not in out and "legend" not in out
    assert out.count(" -> ") == len(_edges_of_the_kb())


def test_an_unconnected_item_is_left_out_and_said_so():
    _, out, _ = run("kb", "graph")
    assert '"advice:nothing_applies" [' not in out
    assert "// connected to nothing, left out: advice:nothing_applies" in out
    _, out, _ = run("kb", "graph", "--format", "mermaid")
    assert "%% connected to nothing, left out: advice:nothing_applies" in out and '"nothing_applies"' not in out


def test_around_an_advice_item_draws_its_relations():
    _, out, _ = run("kb", "graph", "--around", "act_b", "--depth", "1", "--no-legend")
    assert '"advice:act_a" [' in out and '"advice:warn" [' in out
    assert '"advice:act_a" -> "advice:act_b"' in out and '"advice:warn" -> "advice:act_b"' in out


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_reads_the_dot_and_draws_labels_and_legend(tmp_path):
    _, text, _ = run("kb", "graph")
    done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    svg = done.stdout
    assert "≥ 10" in svg and "legend" in svg and "chain.yaml" in svg and "is none of y, z" in svg


# ------------------------------------------------------------------ Mermaid
NODE = re.compile(r'(\w+)(\(\["|\["|\{\{")([^"]*)("\]\)|"\]|"\}\})')
LINK = re.compile(r'(\w+) (-->|-\.->|-\.-)(\|"([^"]*)"\|)? (\w+)')


def mermaid_problems(text: str) -> list[str]:
    """What a Mermaid flowchart parser would refuse in ``text`` (the forms ``kb graph`` writes)."""
    lines = text.splitlines()
    problems = [] if lines[0] == "flowchart LR" else ["first line"]
    declared, links, depth = set(), 0, 0
    for line in (line.strip() for line in lines[1:]):
        if line.startswith("%%"):
            continue
        if match := re.fullmatch(r'subgraph (\w+) \["([^"]*)"\]', line):
            depth += 1
        elif line == "end":
            depth -= 1
        elif match := NODE.fullmatch(line):
            declared.add(match[1])
        elif match := LINK.fullmatch(line):
            links += 1
            problems += [f"undeclared {node}" for node in (match[1], match[5]) if node not in declared]
        elif match := re.fullmatch(r"classDef (\w+) fill:#[0-9a-f]{6}", line):
            pass
        elif match := re.fullmatch(r"class ([\w,]+) (\w+)", line):
            problems += [f"class of undeclared {node}" for node in match[1].split(",") if node not in declared]
        elif match := re.fullmatch(r"linkStyle ([\d,]+) stroke:#[0-9a-f]{6},stroke-dasharray:\d+ \d+", line):
            problems += [f"no link {n}" for n in match[1].split(",") if int(n) >= links]
        else:
            problems.append(f"cannot read: {line}")
        if depth < 0:
            problems.append("end without subgraph")
    return problems + (["subgraph not ended"] if depth else [])


def test_mermaid_is_well_formed_with_labels_relations_clusters_and_legend():
    for argv in ([], ["--around", "mid", "--depth", "1"], ["--no-legend", "--no-clusters"]):
        status, out, _ = run("kb", "graph", "--format", "mermaid", *argv)
        assert status == 0 and mermaid_problems(out) == [], argv
    _, out, _ = run("kb", "graph", "--format", "mermaid")
    assert re.search(r'\w+ -->\|"≥ 10"\| \w+', out) and re.search(r'\w+ -->\|"= true"\| \w+', out)
    assert re.search(r"\w+ -\.-> \w+", out) and re.search(r"\w+ -\.- \w+", out)
    assert 'subgraph legend ["legend"]' in out
    assert 'subgraph file0 ["chain.yaml"]' in out and 'subgraph file1 ["hub.yaml"]' in out
    styled = [line for line in out.splitlines() if line.strip().startswith("linkStyle")]
    assert len(styled) == 2  # replaces and incompatible, each in its own style


def test_mermaid_problems_are_found():
    assert mermaid_problems('flowchart LR\n  a["x"]\n  a --> b\n') == ["undeclared b"]
    assert mermaid_problems('flowchart LR\n  subgraph s ["t"]\n') == ["subgraph not ended"]
    assert mermaid_problems('flowchart LR\n  a["x"]\n  linkStyle 0 stroke:#000000,stroke-dasharray:1 1\n') == [
        "no link 0"
    ]


# ------------------------------------------------------------------ kb impact
def impact(name):
    status, out, err = run("kb", "impact", name, "--format", "json")
    assert status == 0, err
    return json.loads(out)


def cases(data):
    return [(case["id"], case["reasons"]) for case in data["cases"]]


def test_impact_of_a_given_fact_lists_the_cases_that_give_it():
    data = impact("n")
    assert data["cases_are"] == "cases that give it"
    assert cases(data) == [("chain_to_the_end", ["gives n=12"])]
    assert len(cases(impact("hub"))) == 4  # every case gives the hub


def test_impact_of_a_derived_fact_lists_the_cases_that_derive_it():
    assert cases(impact("mid")) == [("chain_to_the_end", ["derives mid=true"])]


def test_impact_of_advice_lists_the_cases_that_expect_forbid_or_show_it():
    assert cases(impact("act_a")) == [
        ("chain_to_the_end", ["must", "first", "shown"]),
        ("hub_b_warns", ["shown"]),
        ("nothing_given", ["must_not"]),
    ]
    assert cases(impact("act_b")) == [("chain_to_the_end", ["must_not"])]  # given there, but replaced
    assert cases(impact("warn")) == [("hub_b_warns", ["must", "shown"]), ("tag_x_informs", ["must_not"])]


def test_impact_of_a_rule_lists_the_cases_that_fire_it():
    assert cases(impact("r_eq")) == [("hub_b_warns", ["fires"])]
    assert cases(impact("r_between_not")) == []


def test_impact_of_advice_names_its_relations():
    data = impact("act_b")
    assert [item["id"] for item in data["replaced_by"]] == ["act_a"]
    assert [item["id"] for item in data["incompatible_with"]] == ["warn"]
    assert data["replaces"] == []
    assert data["replaced_by"][0]["location"].endswith("advice.yaml:1")


def test_impact_json_shape_and_locations():
    data = impact("mid")
    assert set(data) == {
        "kind", "name", "location", "questions", "derived_facts_upstream", "rules_upstream", "rules_downstream",
        "derived_facts_downstream", "advice_downstream", "replaces", "replaced_by", "incompatible_with",
        "cases_are", "cases",
    }
    assert (data["kind"], data["name"]) == ("fact", "mid")
    assert data["questions"] == ["hub", "n"]
    assert [rule["id"] for rule in data["rules_upstream"]] == ["r_start"]
    assert data["rules_upstream"][0]["location"].endswith("chain.yaml:1")
    assert [rule["id"] for rule in data["rules_downstream"]] == ["r_end", "r_mid"]
    assert data["derived_facts_downstream"] == ["level"] and data["advice_downstream"] == ["act_a", "act_b"]
    lines = (GRAPH_KB / "cases" / "main.yaml").read_text().splitlines()
    for case in data["cases"]:
        line = int(case["location"].rsplit(":", 1)[1])
        assert lines[line - 1] == f"- id: {case['id']}"


def test_impact_text_lists_rules_and_cases_with_file_and_line():
    status, out, _ = run("kb", "impact", "warn")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("advice warn  ") and lines[0].endswith("advice.yaml:12")
    assert "  rules upstream (2):" in lines
    assert any(re.fullmatch(r"    r_lte_gt  \S+hub\.yaml:28", line) for line in lines)
    assert "  incompatible with (1):" in lines and "  replaced by: none" in lines
    assert "  cases that expect, forbid or show it (2):" in lines
    assert any(re.fullmatch(r"    hub_b_warns    \S+main\.yaml:7  \[must, shown\]", line) for line in lines)


def test_impact_on_the_shipped_kb_agrees_with_its_cases():
    """Computed from the shipped cases, never pinned: a fact's cases are exactly those giving it."""
    from orderdoctor.engine import load_cases

    shipped = load_knowledge_base()
    given = sorted({name for case in load_cases(shipped) for name in case.facts})
    name = given[0]
    out, err = io.StringIO(), io.StringIO()
    assert main(["kb", "impact", name, "--format", "json"], stdout=out, stderr=err) == 0
    listed = [case["id"] for case in json.loads(out.getvalue())["cases"]]
    assert listed == [case.id for case in load_cases(shipped) if name in case.facts]
