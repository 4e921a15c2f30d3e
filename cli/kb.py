"""``orderdoctor kb …``: tools for the people who maintain the knowledge base.

``check`` (the linter), ``test`` (scenario cases with coverage, JUnit XML),
``graph`` (DOT / Mermaid, rendered by Graphviz when installed), ``impact``
(what an edit can touch) and ``docs`` (docs/rules.md from the rules). The
checks and the case runs are engine data; this module formats them.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import deque
from pathlib import Path

from orderdoctor.engine import KnowledgeBase, KnowledgeBaseErrors, load_cases
from orderdoctor.engine.graph import advice_node, fact_node, rule_node, split_node
from orderdoctor.engine.loader import load_lint_config
from orderdoctor.engine.location import display_path

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, TextIO

__all__ = ["add_kb_commands", "render_dot", "render_mermaid", "resolve_node", "render_rules_doc"]


class KbUsageError(Exception):
    """Bad use of a kb subcommand (unknown node, missing Graphviz…): one line, exit 2."""


# ------------------------------------------------------------------- check
def kb_check(args: argparse.Namespace, kb: KnowledgeBase, out: TextIO) -> int:
    from orderdoctor.engine.lint import check_knowledge_base

    config = load_lint_config(kb)
    findings = check_knowledge_base(kb, config)
    try:
        load_cases(kb)
        case_errors: list[Any] = []
    except KnowledgeBaseErrors as exc:
        case_errors = list(exc.errors)
    errors = len(case_errors) + sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity != "error" and not f.explained)
    explained = sum(1 for f in findings if f.explained)
    if args.format == "json":
        data = {
            "findings": [
                {
                    "file": f.location.file,
                    "line": f.location.line,
                    "column": f.location.column,
                    "severity": "explained" if f.explained else f.severity,
                    "message": f.message,
                    "check": f.check,
                    "subject": f.subject,
                    "explanation": f.explained,
                }
                for f in findings
            ]
            + [
                {"file": e.location.file, "line": e.location.line, "column": e.location.column,
                 "severity": "error", "message": e.message, "check": "load", "subject": e.name,
                 "explanation": None}
                for e in case_errors
            ],
            "errors": errors,
            "warnings": warnings,
            "explained": explained,
        }
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        for error in case_errors:
            out.write(f"{error.format()} [load]\n")
        for finding in findings:
            out.write(finding.format() + "\n")
        out.write(
            f"kb check: {errors} error(s), {warnings} warning(s), {explained} explained "
            f"({len(kb.rules)} rules, {len(kb.advice)} advice items, {len(kb.facts)} facts)\n"
        )
    if errors:
        return 2
    return 1 if warnings and args.strict else 0


# -------------------------------------------------------------------- test
def kb_test(args: argparse.Namespace, kb: KnowledgeBase, out: TextIO) -> int:
    from orderdoctor.engine.cases import run_cases

    cases = load_cases(kb, args.files or None)
    report = run_cases(kb, cases)
    for outcome in report.failed:
        case = outcome.case
        out.write(f"FAIL {case.id} ({case.location}): {case.story}\n")
        for problem in outcome.problems:
            out.write(f"  - {problem}\n")
        out.write(f"  expected: must {list(case.must)}, must not {list(case.must_not)}")
        out.write(f", first {case.first}\n" if case.first else "\n")
        out.write(f"  got: {list(outcome.result.advice_ids)}\n  trace:\n")
        for step in outcome.result.trace:
            matched = ", ".join(f"{m.name}={m.value}" for m in step.matched)
            out.write(f"    {step.step}. {step.rule.id} ({matched}) → {list(step.advised) or dict(step.derived)}\n")
    coverage = report.coverage
    passed = len(report.outcomes) - len(report.failed)
    out.write(f"{len(report.outcomes)} cases: {passed} passed, {len(report.failed)} failed\n")
    never = coverage.rules_never_fired
    out.write(
        f"rules fired: {len(coverage.rules_fired)}/{len(coverage.rules)} ({coverage.rule_percent:.1f}%)"
        + (f"; never fired: {', '.join(never)}" if never else "")
        + "\n"
    )
    unreached = coverage.advice_never_reached
    out.write(
        f"advice reached: {len(coverage.advice_reached)}/{len(coverage.advice)} ({coverage.advice_percent:.1f}%)"
        + (f"; never: {', '.join(unreached)}" if unreached else "")
        + "\n"
    )
    missing = [f"{name}={v}" for name, values in coverage.values.items() for v in values
               if v not in coverage.values_given[name]]
    total = sum(len(v) for v in coverage.values.values())
    out.write(
        f"fact values given: {total - len(missing)}/{total} ({coverage.value_percent:.1f}%)"
        + (f"; never: {', '.join(missing)}" if missing else "")
        + "\n"
    )
    if args.junit:
        _write_junit(args.junit, report)
    if report.failed:
        return 1
    if args.min_coverage is not None and coverage.rule_percent + 1e-9 < args.min_coverage:
        out.write(f"rule coverage {coverage.rule_percent:.1f}% is below --min-coverage {args.min_coverage:g}\n")
        return 1
    return 0


def _write_junit(path: str, report: Any) -> None:
    from xml.sax.saxutils import escape, quoteattr

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name="orderdoctor kb test" tests="{len(report.outcomes)}" failures="{len(report.failed)}" errors="0">',
    ]
    for outcome in report.outcomes:
        case = outcome.case
        classname = quoteattr("kb.cases." + Path(case.location.file).stem)
        lines.append(f"  <testcase classname={classname} name={quoteattr(case.id)}>")
        if not outcome.passed:
            message = "; ".join(outcome.problems)
            detail = f"{case.story}\nadvice: {list(outcome.result.advice_ids)}"
            lines.append(f"    <failure message={quoteattr(message)}>{escape(detail)}</failure>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    from .output import write_output

    write_output(path, "\n".join(lines) + "\n")  # '-' refused: the report is on standard output


# ------------------------------------------------------------------- graph
def resolve_node(kb: KnowledgeBase, name: str) -> str:
    """``fact:x``/``rule:x``/``advice:x``, or a bare name that is exactly one of them."""
    if ":" in name and name in kb.graph:
        return name
    found = [node for node in (fact_node(name), rule_node(name), advice_node(name)) if node in kb.graph]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise KbUsageError(f"'{name}' is ambiguous: say {' or '.join(found)}")
    from orderdoctor.engine.errors import suggest

    names = [split_node(n)[1] for n in kb.graph.digraph.nodes]
    hint = suggest(name, names)
    more = f" (did you mean '{hint}'?)" if hint else ""
    raise KbUsageError(f"no fact, rule or advice called '{name}'{more}")


def _nodes_around(kb: KnowledgeBase, center: str | None, depth: int) -> set[str]:
    graph = kb.graph.digraph
    if center is None:
        return set(graph.nodes)
    seen = {center}
    queue = deque([(center, 0)])
    while queue:
        node, distance = queue.popleft()
        if distance == depth:
            continue
        for neighbour in list(graph.successors(node)) + list(graph.predecessors(node)):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append((neighbour, distance + 1))
    return seen


_DOT_STYLE = {
    "fact": 'shape=ellipse, style=filled, fillcolor="#dde8ff"',
    "derived": 'shape=ellipse, style="filled,dashed", fillcolor="#fff4c2"',
    "rule": 'shape=box, style="filled,rounded", fillcolor="#dff5df"',
    "action": 'shape=hexagon, style=filled, fillcolor="#c9f0c9"',
    "warning": 'shape=hexagon, style=filled, fillcolor="#ffc9c9"',
    "info": 'shape=hexagon, style=filled, fillcolor="#e6e6e6"',
}


def _style_key(kb: KnowledgeBase, node: str) -> str:
    kind, name = split_node(node)
    if kind == "fact":
        return "derived" if kb.facts[name].derived else "fact"
    if kind == "advice":
        return kb.advice[name].kind.value
    return "rule"


def render_dot(kb: KnowledgeBase, nodes: set[str]) -> str:
    graph = kb.graph.digraph
    lines = ["digraph orderdoctor {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for node in sorted(nodes):
        label = split_node(node)[1]
        lines.append(f'  "{node}" [label="{label}", {_DOT_STYLE[_style_key(kb, node)]}];')
    for source, target in sorted(graph.edges):
        if source in nodes and target in nodes:
            lines.append(f'  "{source}" -> "{target}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_mermaid(kb: KnowledgeBase, nodes: set[str]) -> str:
    graph = kb.graph.digraph
    ids = {node: f"n{i}" for i, node in enumerate(sorted(nodes))}
    shapes = {"fact": ('(["', '"])'), "derived": ('(["', '"])'), "rule": ('["', '"]')}
    lines = ["flowchart LR"]
    for node, node_id in ids.items():
        key = _style_key(kb, node)
        opening, closing = shapes.get(key, ('{{"', '"}}'))
        lines.append(f"  {node_id}{opening}{split_node(node)[1]}{closing}")
    for source, target in sorted(graph.edges):
        if source in ids and target in ids:
            lines.append(f"  {ids[source]} --> {ids[target]}")
    colours = {"fact": "#dde8ff", "derived": "#fff4c2", "rule": "#dff5df", "action": "#c9f0c9",
               "warning": "#ffc9c9", "info": "#e6e6e6"}
    for key, colour in colours.items():
        members = [ids[n] for n in ids if _style_key(kb, n) == key]
        if members:
            lines.append(f"  classDef {key} fill:{colour}")
            lines.append(f"  class {','.join(members)} {key}")
    return "\n".join(lines) + "\n"


#: What ``kb graph`` writes for each file extension: DOT or Mermaid text, or a picture.
GRAPH_EXTENSIONS = {
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".md": "markdown",
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
}
#: The formats Graphviz's ``dot`` renders (``dot -Tsvg`` …).
PICTURES = ("svg", "png", "pdf")
GRAPH_FORMATS = ("dot", "mermaid", "markdown", *PICTURES)


def _graph_format(given: str | None, output: str | None) -> str:
    """The format to write: --format, else the output file's extension (they must agree)."""
    if output is None or output == "-":
        return given or "dot"
    suffix = os.path.splitext(output)[1].lower()
    implied = GRAPH_EXTENSIONS.get(suffix)
    if given is None:
        if implied is None:
            known = ", ".join(f"{ext} ({fmt})" for ext, fmt in GRAPH_EXTENSIONS.items())
            raise KbUsageError(
                f"kb graph --output {output}: cannot tell what to write from the extension "
                f"'{suffix or '(none)'}': use one of {known}, or say --format"
            )
        return implied
    if implied is not None and implied != given:
        raise KbUsageError(
            f"kb graph --output {output}: the extension says {implied} but --format says {given}: "
            f"change the extension (e.g. {os.path.splitext(output)[0]}{_extension_of(given)}) or --format"
        )
    return given


def _extension_of(fmt: str) -> str:
    return next(ext for ext, known in GRAPH_EXTENSIONS.items() if known == fmt)


def _render_picture(text: str, fmt: str) -> bytes:
    import shutil
    import subprocess

    dot = shutil.which("dot")
    if dot is None:
        raise KbUsageError(
            f"cannot render {fmt.upper()}: Graphviz's 'dot' is not installed "
            "(Debian: apt-get install graphviz); write .dot or .mmd text instead"
        )
    done = subprocess.run([dot, f"-T{fmt}"], input=text.encode(), capture_output=True)
    if done.returncode != 0:
        raise KbUsageError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def kb_graph(args: argparse.Namespace, kb: KnowledgeBase, out: TextIO) -> int:
    from .output import write_output

    center = resolve_node(kb, args.around) if args.around else None
    nodes = _nodes_around(kb, center, args.depth)
    output = args.output
    fmt = _graph_format(args.format, output)
    to_stdout = output is None or output == "-"
    if fmt in PICTURES and to_stdout and _is_terminal(out):
        raise KbUsageError(f"a {fmt.upper()} picture is not for a terminal: use --output graph.{fmt}, or redirect")
    data: str | bytes
    if fmt == "mermaid":
        data = render_mermaid(kb, nodes)
    elif fmt == "markdown":
        data = "```mermaid\n" + render_mermaid(kb, nodes) + "```\n"
    else:
        data = render_dot(kb, nodes)
        if fmt in PICTURES:
            data = _render_picture(data, fmt)
    write_output(output or "-", data, out)
    if not to_stdout:
        out.write(f"wrote {display_path(output)} ({len(nodes)} nodes, {fmt})\n")
    return 0


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# ------------------------------------------------------------------ impact
def kb_impact(args: argparse.Namespace, kb: KnowledgeBase, out: TextIO) -> int:
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
    from orderdoctor.engine.cases import run_cases

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
    return 0


# -------------------------------------------------------------------- docs
def render_rules_doc(kb: KnowledgeBase) -> str:
    """docs/rules.md: every rule in words, grouped by file, with its source and covering cases."""
    from orderdoctor.engine.cases import run_cases

    report = run_cases(kb, load_cases(kb))
    covering: dict[str, list[str]] = {}
    for outcome in report.outcomes:
        for rule_id in outcome.result.fired_rules:
            covering.setdefault(rule_id, []).append(outcome.case.id)
    lines = [
        "# The rules",
        "",
        "Generated by `orderdoctor kb docs` from the knowledge base; do not edit by hand (a test fails",
        "when this file is stale). For the situations they cover, see [knowledge.md](knowledge.md).",
    ]
    by_file: dict[str, list[Any]] = {}
    for rule in sorted(kb.rules, key=lambda r: r.order):
        by_file.setdefault(Path(rule.location.file).name, []).append(rule)
    for file, rules in by_file.items():
        lines += ["", f"## {file}", ""]
        for rule in rules:
            lines.append(f"### `{rule.id}`")
            lines.append("")
            lines.append(rule.description)
            lines.append("")
            lines.append(f"- when: {_condition_words(rule.when)}")
            if rule.derive:
                lines.append("- concludes: " + ", ".join(f"{k} = {_word(v)}" for k, v in rule.derive))
            if rule.advise:
                lines.append("- advises: " + ", ".join(f"{kb.advice[a].title} (`{a}`)" for a in rule.advise))
            if rule.priority:
                lines.append(f"- priority: {rule.priority}")
            lines.append(f"- source: {kb.sources[rule.source].title if rule.source in kb.sources else rule.source} (`{rule.source}`)")
            cases = covering.get(rule.id, [])
            shown = ", ".join(f"`{c}`" for c in cases[:8]) + (f" and {len(cases) - 8} more" if len(cases) > 8 else "")
            lines.append(f"- cases: {shown or 'none'}")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _condition_words(condition: Any) -> str:
    from orderdoctor.engine.model import AllOf, AnyOf, Comparison, Not

    if isinstance(condition, Comparison):  # each operator has its words
        return condition.operator.describe(condition.fact, condition.value, _word)
    if isinstance(condition, Not):
        return f"not ({_condition_words(condition.condition)})"
    joiner = " and " if isinstance(condition, AllOf) else " or "
    parts = [_condition_words(c) for c in condition.conditions]
    text = joiner.join(parts)
    return f"({text})" if isinstance(condition, AnyOf) and len(parts) > 1 else text


def _docs_target(args: argparse.Namespace, kb: KnowledgeBase) -> str:
    """Where ``kb docs`` writes: --output, else docs/rules.md of the project the knowledge base
    is part of (its folder's parent holds a docs/ folder) — never relative to the current folder."""
    if args.output:
        return args.output
    project_docs = Path(kb.root).resolve().parent / "docs"
    if project_docs.is_dir():
        return str(project_docs / "rules.md")
    raise KbUsageError(
        f"kb docs: the knowledge base {display_path(kb.root)} has no docs/ folder beside it: "
        "say where to write with --output FILE ('-' for standard output)"
    )


def kb_docs(args: argparse.Namespace, kb: KnowledgeBase, out: TextIO) -> int:
    from .output import write_output

    target = _docs_target(args, kb)
    if args.check:
        if target == "-":
            raise KbUsageError("kb docs --check compares with a file: give --output FILE, not '-'")
        path = Path(target)
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        text = render_rules_doc(kb)
        if current != text:
            out.write(f"{display_path(path)} is stale: run 'orderdoctor kb docs'\n")
            return 1
        out.write(f"{display_path(path)} is current\n")
        return 0
    write_output(target, render_rules_doc(kb), out)
    if target != "-":
        out.write(f"wrote {display_path(target)} ({len(kb.rules)} rules)\n")
    return 0


# ----------------------------------------------------------------- parsers
def _percent(text: str) -> float:
    """A ``--min-coverage`` value: a number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 <= value <= 100:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} is not a percentage from 0 to 100")
    return value


def _steps(text: str) -> int:
    """A ``--depth`` value: a whole number of steps, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} steps: give 0 or more")
    return value


def add_kb_commands(commands: Any, common: argparse.ArgumentParser, *, tools: bool = True) -> None:
    """The ``kb`` command; its tools' parsers only with ``tools`` (start-up time)."""
    kb = commands.add_parser(
        "kb",
        parents=[common],
        help="tools for maintaining the knowledge base: check, test, review, graph, impact, docs",
        description="Tools for the people who maintain the knowledge base (see docs/maintaining.md).",
    )
    sub = kb.add_subparsers(dest="kb_command", metavar="TOOL")
    sub.required = True
    if not tools:
        return

    check = sub.add_parser(
        "check",
        parents=[common],
        help="lint the rules: unreachable, redundant, contracts, incompatible, urgency, dead ends, gaps",
        description="Load the knowledge base and lint its rules: unreachable or redundant rules; advice given "
        "where its contract fails, incompatible advice together, urgent advice beside a far deadline (errors, "
        "each with an example situation); dead ends and gaps in fact ranges. Exit 2 on errors; with --strict, "
        "1 on unexplained warnings.",
    )
    check.add_argument("--strict", action="store_true", help="exit 1 when there are unexplained warnings")
    check.add_argument(
        "--format", choices=("text", "json"), default="text", help="text, one line per finding (default), or json"
    )
    check.set_defaults(handler="check")

    test = sub.add_parser(
        "test",
        parents=[common],
        help="run the scenario cases and report coverage",
        description="Run the scenario cases (facts in, expected advice out) and report which fail and "
        "how many rules they fire. Exit 1 when a case fails or coverage is below --min-coverage.",
    )
    test.add_argument("files", nargs="*", metavar="FILE", help="case files (default: the knowledge base's cases/*.yaml)")
    test.add_argument("--min-coverage", type=_percent, metavar="PERCENT", help="fail when fewer rules fire (0-100)")
    test.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML")
    test.set_defaults(handler="test")

    graph = sub.add_parser(
        "graph",
        parents=[common],
        help="the rule graph as DOT or Mermaid, or a picture",
        description="Print the rule graph (facts, rules, advice and how they connect) as Graphviz DOT or "
        "Mermaid text, or render it to a picture with --output.",
    )
    graph.add_argument(
        "--format",
        choices=GRAPH_FORMATS,
        default=None,
        help="dot or mermaid text, markdown (Mermaid in a Markdown file), or a svg/png/pdf picture "
        "(Graphviz); default: from --output's extension, else dot",
    )
    graph.add_argument("--around", metavar="NODE", help="only the part around this fact, rule or advice id")
    graph.add_argument("--depth", type=_steps, default=2, help="how many steps around --around (default 2)")
    graph.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE (atomically; '-' is standard output): .dot/.gv DOT, .mmd Mermaid, .md Mermaid "
        "in Markdown, .svg/.png/.pdf a picture drawn by Graphviz's dot",
    )
    graph.set_defaults(handler="graph")

    impact = sub.add_parser(
        "impact",
        parents=[common],
        help="what an edit to a fact, rule or advice can touch",
        description="List what an edit to one fact, rule or advice can touch: the questions, facts and "
        "rules upstream and downstream of it, the advice it can change, and the cases that exercise it.",
    )
    impact.add_argument("name", metavar="NAME", help="a fact, rule or advice id (or fact:NAME, rule:ID, advice:ID)")
    impact.set_defaults(handler="impact")

    docs = sub.add_parser(
        "docs",
        parents=[common],
        help="write docs/rules.md from the rules",
        description="Write every rule in words (docs/rules.md) from the knowledge base; with --check, "
        "only say whether the file is current.",
    )
    docs.add_argument(
        "--output",
        default=None,
        metavar="FILE",
        help="where to write ('-': standard output; default: docs/rules.md beside the knowledge base's "
        "folder, when there is a docs/ folder there)",
    )
    docs.add_argument("--check", action="store_true", help="only check that the file is current (exit 1 if stale)")
    docs.set_defaults(handler="docs")
    __import__("orderdoctor.cli.review", fromlist=["_"]).add_review_parser(sub, common, HANDLERS)  # kb review


HANDLERS = {"check": kb_check, "test": kb_test, "graph": kb_graph, "impact": kb_impact, "docs": kb_docs}
