"""``orderdoctor kb graph``: the rule graph (or the part around one node) as Graphviz DOT or
Mermaid text, or a picture drawn by Graphviz; and :func:`resolve_node`, which ``kb impact`` shares."""

from __future__ import annotations

import argparse
import os

from orderdoctor.engine import (
    ExitStatus,
    KnowledgeBase,
    UsageError,
    advice_node,
    display_path,
    fact_node,
    rule_node,
    split_node,
)

from .. import Environment, is_terminal

__all__ = ["DESCRIPTION", "add_arguments", "render_dot", "render_mermaid", "resolve_node", "run"]

DESCRIPTION = (
    "Print the rule graph (facts, rules, advice and how they connect) as Graphviz DOT or "
    "Mermaid text, or render it to a picture with --output."
)


def resolve_node(kb: KnowledgeBase, name: str) -> str:
    """``fact:x``/``rule:x``/``advice:x``, or a bare name that is exactly one of them."""
    if ":" in name and name in kb.graph:
        return name
    found = [node for node in (fact_node(name), rule_node(name), advice_node(name)) if node in kb.graph]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UsageError(f"'{name}' is ambiguous: say {' or '.join(found)}")
    from orderdoctor.engine import did_you_mean, suggest

    names = [split_node(n)[1] for n in kb.graph.digraph.nodes]
    raise UsageError(f"no fact, rule or advice called '{name}'{did_you_mean(suggest(name, names))}")


def _nodes_around(kb: KnowledgeBase, center: str | None, depth: int) -> set[str]:
    if center is None:
        return set(kb.graph.digraph.nodes)
    return kb.graph.around(center, depth)


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
            raise UsageError(
                f"kb graph --output {output}: cannot tell what to write from the extension "
                f"'{suffix or '(none)'}': use one of {known}, or say --format"
            )
        return implied
    if implied is not None and implied != given:
        raise UsageError(
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
        raise UsageError(
            f"cannot render {fmt.upper()}: Graphviz's 'dot' is not installed "
            "(Debian: apt-get install graphviz); write .dot or .mmd text instead"
        )
    done = subprocess.run([dot, f"-T{fmt}"], input=text.encode(), capture_output=True)
    if done.returncode != 0:
        raise UsageError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from ...output import write_output

    out = env.stdout
    center = resolve_node(kb, args.around) if args.around else None
    nodes = _nodes_around(kb, center, args.depth)
    output = args.output
    fmt = _graph_format(args.format, output)
    to_stdout = output is None or output == "-"
    if fmt in PICTURES and to_stdout and is_terminal(out):
        raise UsageError(f"a {fmt.upper()} picture is not for a terminal: use --output graph.{fmt}, or redirect")
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
    return ExitStatus.OK


def _steps(text: str) -> int:
    """A ``--depth`` value: a whole number of steps, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} steps: give 0 or more")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=GRAPH_FORMATS,
        default=None,
        help="dot or mermaid text, markdown (Mermaid in a Markdown file), or a svg/png/pdf picture "
        "(Graphviz); default: from --output's extension, else dot",
    )
    parser.add_argument("--around", metavar="NODE", help="only the part around this fact, rule or advice id")
    parser.add_argument("--depth", type=_steps, default=2, help="how many steps around --around (default 2)")
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE (atomically; '-' is standard output): .dot/.gv DOT, .mmd Mermaid, .md Mermaid "
        "in Markdown, .svg/.png/.pdf a picture drawn by Graphviz's dot",
    )
