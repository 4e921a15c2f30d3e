"""``orderdoctor kb impact``: what an edit to one fact, rule or advice can touch.

The structure comes from the rule graph: the questions, derived facts and rules upstream, the
rules, derived facts and advice downstream, each rule with the file and line it is written at,
and for an advice item what it replaces, what replaces it and what it is incompatible with. The
cases are exactly those that concern the name, each with why: for a fact the cases that give it
(a derived fact: the cases whose consultation derives it), for an advice item the cases that
expect it (``must``, ``first``), forbid it (``must_not``) or whose answer shows it, for a rule
the cases that fire it.
"""

from __future__ import annotations

import argparse
import json

from orderdoctor.engine import Case, ExitStatus, KnowledgeBase, load_cases, split_node

from .. import Environment
from .graph import resolve_node

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DESCRIPTION", "add_arguments", "assess_impact", "run"]

DESCRIPTION = (
    "List what an edit to one fact, rule or advice can touch: the questions, facts and rules "
    "upstream and downstream of it (rules with file:line), an advice item's replaces/replaced "
    "by/incompatible neighbours, and exactly the cases that give the fact, expect, forbid or show "
    "the advice, or fire the rule, each with the reason."
)

#: What the case list of each kind of name holds (the heading in text, ``cases_are`` in JSON).
CASES_ARE = {
    "fact": "cases that give it",
    "derived": "cases whose consultation derives it",
    "advice": "cases that expect, forbid or show it",
    "rule": "cases that fire it",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="a fact, rule or advice id (or fact:NAME, rule:ID, advice:ID)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default), or json: the same as data"
    )


def _located(kb: KnowledgeBase, kind: str, names: list[str]) -> list[dict[str, str]]:
    table: Any = {"rule": {rule.id: rule for rule in kb.rules}, "advice": kb.advice, "fact": kb.facts}[kind]
    return [{"id": name, "location": table[name].location.short() if name in table else "?"} for name in names]


def _case_reasons(kb: KnowledgeBase, node: str, cases: list[Case]) -> list[tuple[Case, list[str]]]:
    """Each case that concerns ``node``, with the reasons (see the module docstring)."""
    kind, name = split_node(node)
    if kind == "fact" and not kb.facts[name].derived:
        return [(case, [f"gives {name}={_word(case.facts[name])}"]) for case in cases if name in case.facts]
    from orderdoctor.engine import run_cases

    found = []
    for outcome in run_cases(kb, cases).outcomes:
        case, result = outcome.case, outcome.result
        reasons = []
        if kind == "fact" and name in result.facts:
            reasons.append(f"derives {name}={_word(result.facts[name])}")
        elif kind == "rule" and name in result.fired_rules:
            reasons.append("fires")
        elif kind == "advice":
            reasons += [tag for tag, listed in (("must", case.must), ("must_not", case.must_not)) if name in listed]
            reasons += ["first"] if case.first == name else []
            reasons += ["shown"] if name in result.advice_ids else []
        if reasons:
            found.append((case, reasons))
    return found


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assess_impact(kb: KnowledgeBase, node: str) -> dict[str, Any]:
    """What ``kb impact`` reports about ``node``, as JSON data."""
    graph = kb.graph
    upstream, downstream = graph.upstream(node), graph.downstream(node)

    def names(nodes: set[str], kind: str, askable: bool | None = None) -> list[str]:
        found = []
        for n in sorted(nodes):
            k, name = split_node(n)
            if k == kind and (askable is None or name not in kb.facts or kb.facts[name].askable == askable):
                found.append(name)
        return found

    kind, name = split_node(node)
    table: Any = {"fact": kb.facts, "advice": kb.advice, "rule": {rule.id: rule for rule in kb.rules}}[kind]
    relations = graph.relations_of(name) if kind == "advice" else {}
    selection = "derived" if kind == "fact" and kb.facts[name].derived else kind
    return {
        "kind": kind,
        "name": name,
        "location": table[name].location.short(),
        "questions": names(upstream, "fact", askable=True),
        "derived_facts_upstream": names(upstream, "fact", askable=False),
        "rules_upstream": _located(kb, "rule", names(upstream, "rule")),
        "rules_downstream": _located(kb, "rule", names(downstream, "rule")),
        "derived_facts_downstream": names(downstream, "fact"),
        "advice_downstream": names(downstream, "advice"),
        "replaces": _located(kb, "advice", list(relations.get("replaces", ()))),
        "replaced_by": _located(kb, "advice", list(relations.get("replaced_by", ()))),
        "incompatible_with": _located(kb, "advice", list(relations.get("incompatible_with", ()))),
        "cases_are": CASES_ARE[selection],
        "cases": [
            {"id": case.id, "location": case.location.short(), "reasons": reasons}
            for case, reasons in _case_reasons(kb, node, list(load_cases(kb)))
        ],
    }


def _write_text(data: dict[str, Any], out: Any) -> None:
    out.write(f"{data['kind']} {data['name']}  {data['location']}\n")

    def listed(label: str, names: list[str]) -> None:
        out.write(f"  {label}: {', '.join(names) or 'none'}\n")

    def table(label: str, rows: list[tuple[str, str, str]]) -> None:
        if not rows:
            out.write(f"  {label}: none\n")
            return
        out.write(f"  {label} ({len(rows)}):\n")
        width = max(len(row[0]) for row in rows)
        for first, location, rest in rows:
            out.write(f"    {first.ljust(width)}  {location}" + (f"  {rest}" if rest else "") + "\n")

    def located(label: str, items: list[dict[str, str]]) -> None:
        table(label, [(item["id"], item["location"], "") for item in items])

    listed("questions that feed it", data["questions"])
    listed("derived facts upstream", data["derived_facts_upstream"])
    located("rules upstream", data["rules_upstream"])
    located("rules downstream", data["rules_downstream"])
    listed("derived facts downstream", data["derived_facts_downstream"])
    listed("advice it can change", data["advice_downstream"])
    if data["kind"] == "advice":
        located("replaces", data["replaces"])
        located("replaced by", data["replaced_by"])
        located("incompatible with", data["incompatible_with"])
    table(data["cases_are"], [(c["id"], c["location"], "[" + ", ".join(c["reasons"]) + "]") for c in data["cases"]])


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    data = assess_impact(kb, resolve_node(kb, args.name))
    if args.format == "json":
        env.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        _write_text(data, env.stdout)
    return ExitStatus.OK
