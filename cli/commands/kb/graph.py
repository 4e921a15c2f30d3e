"""``orderdoctor kb graph``: the rule graph (or the part around one node) as Graphviz DOT or
Mermaid text, or a picture drawn by Graphviz; and :func:`resolve_node`, which ``kb impact`` shares.

The engine's :class:`RuleGraph` is the model (nodes, edges and their conditions, the advice
relations, neighbourhoods); this module chooses what to show (:func:`select`), gathers it into
a :class:`Drawing` and writes that in either notation: each edge labelled with its condition or
derived value, ``replaces`` dashed and ``incompatible`` dotted red, the rules grouped by their
file, and a legend."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from orderdoctor.engine import (
    DIRECTIONS,
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

__all__ = [
    "DESCRIPTION",
    "Drawing",
    "add_arguments",
    "draw",
    "render_dot",
    "render_mermaid",
    "resolve_node",
    "run",
    "select",
]

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


def select(kb: KnowledgeBase, center: str | None, depth: int, direction: str = "both") -> tuple[set[str], list[str]]:
    """The nodes to draw, and the ones left out because nothing connects them.

    The whole graph leaves out what no edge or advice relation touches (``nothing_applies``,
    which the consultation gives when no rule advises anything, rather than a rule). Around a
    node, the nodes ``depth`` steps away in ``direction``; around an advice item, also the
    items it replaces, is replaced by or is incompatible with.
    """
    graph = kb.graph
    if center is None:
        related = {node for source, target, _ in graph.relations() for node in (source, target)}
        alone = sorted(n for n in graph.digraph.nodes if graph.digraph.degree(n) == 0 and n not in related)
        return set(graph.digraph.nodes) - set(alone), alone
    nodes = graph.around(center, depth, direction)
    if depth > 0 and split_node(center)[0] == "advice":
        for source, target, _ in graph.relations():
            if center in (source, target):
                nodes |= {source, target}
    return nodes, []


@dataclass(frozen=True)
class Drawing:
    """What a picture shows, in whichever notation: the nodes, the edges with their labels
    (``(source, target, role, label lines)``; role ``condition``, ``derives``, ``advises``,
    ``replaces`` or ``incompatible``), the rules grouped by the file they are written in, and
    what was left out."""

    kb: KnowledgeBase
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    clusters: tuple[tuple[str, tuple[str, ...]], ...]
    left_out: tuple[str, ...] = ()
    legend: bool = True


def draw(
    kb: KnowledgeBase, nodes: set[str], left_out: list[str], *, clusters: bool = True, legend: bool = True
) -> Drawing:
    """The :class:`Drawing` of ``nodes``: every edge between two of them, labelled."""
    graph = kb.graph.digraph
    edges = []
    for source, target, data in sorted(graph.edges(data=True)):
        if source in nodes and target in nodes:
            role = data["role"]
            label: tuple[str, ...] = tuple(data.get("condition", ())) if role == "condition" else ()
            if role == "derives":
                label = (f"= {data['value']}",)
            edges.append((source, target, role, label))
    edges += [(s, t, role, ()) for s, t, role in kb.graph.relations() if s in nodes and t in nodes]
    groups: dict[str, list[str]] = {}  # by the file's path, named by its name
    for node in sorted(nodes):
        file = graph.nodes[node].get("file") if clusters else None
        if split_node(node)[0] == "rule" and file and file != "<memory>":
            groups.setdefault(file, []).append(node)
    grouped = tuple((os.path.basename(file), tuple(members)) for file, members in sorted(groups.items()))
    return Drawing(kb, tuple(sorted(nodes)), tuple(edges), grouped, tuple(left_out), legend)


_DOT_STYLE = {
    "fact": 'shape=ellipse, style=filled, fillcolor="#dde8ff"',
    "derived": 'shape=ellipse, style="filled,dashed", fillcolor="#fff4c2"',
    "rule": 'shape=box, style="filled,rounded", fillcolor="#dff5df"',
    "action": 'shape=hexagon, style=filled, fillcolor="#c9f0c9"',
    "warning": 'shape=hexagon, style=filled, fillcolor="#ffc9c9"',
    "info": 'shape=hexagon, style=filled, fillcolor="#e6e6e6"',
}
_DOT_EDGE = {
    "condition": "",
    "derives": "",
    "advises": "",
    "replaces": 'style=dashed, color="#555555", fontcolor="#555555"',
    "incompatible": 'dir=none, style=dotted, penwidth=1.6, color="#cc0000", fontcolor="#cc0000", constraint=false',
}
#: The legend: one node of each kind, one edge of each style (with the words that explain it).
_LEGEND_NODES = (
    ("fact", "question (a fact asked)"), ("derived", "derived fact"), ("rule", "rule"),
    ("warning", "warning"), ("action", "action"), ("info", "info"),
)
_LEGEND_EDGES = (
    ("fact", "rule", "condition", "the condition on the fact"),
    ("rule", "derived", "derives", "= the value derived"),
    ("rule", "warning", "advises", "gives the advice"),
    ("rule", "action", "advises", ""),
    ("action", "info", "replaces", "replaces (hides it)"),
    ("warning", "info", "incompatible", "incompatible (never shown together)"),
)
_WRAP = 34


def _wrapped(lines: tuple[str, ...]) -> list[str]:
    """Label lines cut at about :data:`_WRAP` characters, between words."""
    import textwrap

    return [part for line in lines for part in textwrap.wrap(line, _WRAP, break_on_hyphens=False) or [""]]


def _style_key(kb: KnowledgeBase, node: str) -> str:
    kind, name = split_node(node)
    if kind == "fact":
        return "derived" if name in kb.facts and kb.facts[name].derived else "fact"
    if kind == "advice" and name in kb.advice:
        return kb.advice[name].kind.value
    return "rule" if kind == "rule" else "info"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_edge(source: str, target: str, role: str, label: tuple[str, ...]) -> str:
    attributes = [_DOT_EDGE[role]] if _DOT_EDGE[role] else []
    if label:
        attributes.insert(0, 'label="' + "\\n".join(_dot_text(line) for line in _wrapped(label)) + '"')
    return f'  "{source}" -> "{target}"' + (f" [{', '.join(attributes)}]" if attributes else "") + ";"


def _dot_legend() -> list[str]:
    lines = ["  subgraph cluster_legend {", '    label="legend"; fontsize=10; style="rounded"; color="#999999";']
    for key, words in _LEGEND_NODES:
        lines.append(f'    "legend:{key}" [label="{words}", {_DOT_STYLE[key]}];')
    for source, target, role, words in _LEGEND_EDGES:  # laid out left to right, relations too
        edge = _dot_edge(f"legend:{source}", f"legend:{target}", role, (words,) if words else ())
        lines.append("  " + edge.replace(", constraint=false", ""))
    return [*lines, "  }"]


def render_dot(picture: Drawing) -> str:
    kb = picture.kb
    lines = ["digraph orderdoctor {", "  rankdir=LR;", '  graph [fontname="Helvetica"];',
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=8];']
    if picture.left_out:
        lines.append(f"  // connected to nothing, left out: {', '.join(picture.left_out)}")
    if picture.legend:
        lines += _dot_legend()

    def declare(node: str, indent: str = "  ") -> str:
        return f'{indent}"{node}" [label="{_dot_text(split_node(node)[1])}", {_DOT_STYLE[_style_key(kb, node)]}];'

    clustered: set[str] = set()
    for number, (file, members) in enumerate(picture.clusters):
        lines += [f"  subgraph cluster_{number} {{",
                  f'    label="{_dot_text(file)}"; fontsize=10; style="rounded,dashed"; color="#7a8fb0";']
        lines += [declare(node, "    ") for node in members]
        lines.append("  }")
        clustered.update(members)
    lines += [declare(node) for node in picture.nodes if node not in clustered]
    lines += [_dot_edge(*edge) for edge in picture.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


_MERMAID_SHAPES = {"fact": ('(["', '"])'), "derived": ('(["', '"])'), "rule": ('["', '"]')}
_MERMAID_LINKS = {"condition": "-->", "derives": "-->", "advises": "-->", "replaces": "-.->", "incompatible": "-.-"}
_MERMAID_LINK_STYLE = {"replaces": "stroke:#555555,stroke-dasharray:6 4",
                       "incompatible": "stroke:#cc0000,stroke-dasharray:2 3"}
_COLOURS = {"fact": "#dde8ff", "derived": "#fff4c2", "rule": "#dff5df", "action": "#c9f0c9",
            "warning": "#ffc9c9", "info": "#e6e6e6"}


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _mermaid_node(node_id: str, key: str, text: str) -> str:
    opening, closing = _MERMAID_SHAPES.get(key, ('{{"', '"}}'))
    return f"{node_id}{opening}{_mermaid_text(text)}{closing}"


def render_mermaid(picture: Drawing) -> str:
    kb = picture.kb
    ids = {node: f"n{i}" for i, node in enumerate(picture.nodes)}
    keys = {ids[node]: _style_key(kb, node) for node in picture.nodes}
    lines = ["flowchart LR"]
    if picture.left_out:
        lines.append(f"  %% connected to nothing, left out: {', '.join(picture.left_out)}")
    links: list[tuple[str, str, str, tuple[str, ...]]] = []
    if picture.legend:
        lines.append('  subgraph legend ["legend"]')
        for key, words in _LEGEND_NODES:
            lines.append("    " + _mermaid_node(f"legend_{key}", key, words))
            keys[f"legend_{key}"] = key
        lines.append("  end")
        links += [(f"legend_{s}", f"legend_{t}", role, (words,) if words else ()) for s, t, role, words
                  in _LEGEND_EDGES]
    clustered: set[str] = set()
    for number, (file, members) in enumerate(picture.clusters):
        lines.append(f'  subgraph file{number} ["{_mermaid_text(file)}"]')
        lines += ["    " + _mermaid_node(ids[node], "rule", split_node(node)[1]) for node in members]
        lines.append("  end")
        clustered.update(members)
    lines += ["  " + _mermaid_node(ids[n], keys[ids[n]], split_node(n)[1]) for n in picture.nodes if n not in clustered]
    links += [(ids[source], ids[target], role, label) for source, target, role, label in picture.edges]
    return "\n".join([*lines, *_mermaid_links(links, keys)]) + "\n"


def _mermaid_links(links: list[tuple[str, str, str, tuple[str, ...]]], keys: dict[str, str]) -> list[str]:
    """The links, then the classes that colour the nodes (``keys``: id → style key) and the
    styles of the relation links (``linkStyle`` counts links in the order they are written)."""
    lines = []
    styled: dict[str, list[str]] = {}
    for number, (source, target, role, label) in enumerate(links):
        text = "<br/>".join(_mermaid_text(line) for line in _wrapped(label))
        lines.append(f"  {source} {_MERMAID_LINKS[role]}" + (f'|"{text}"|' if text else "") + f" {target}")
        if role in _MERMAID_LINK_STYLE:
            styled.setdefault(role, []).append(str(number))
    for key, colour in _COLOURS.items():
        members = [node_id for node_id, known in keys.items() if known == key]
        if members:
            lines += [f"  classDef {key} fill:{colour}", f"  class {','.join(members)} {key}"]
    lines += [f"  linkStyle {','.join(numbers)} {_MERMAID_LINK_STYLE[role]}" for role, numbers in styled.items()]
    return lines


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
    nodes, left_out = select(kb, center, args.depth, args.direction)
    picture = draw(kb, nodes, left_out, clusters=args.clusters, legend=args.legend)
    output = args.output
    fmt = _graph_format(args.format, output)
    to_stdout = output is None or output == "-"
    if fmt in PICTURES and to_stdout and is_terminal(out):
        raise UsageError(f"a {fmt.upper()} picture is not for a terminal: use --output graph.{fmt}, or redirect")
    data: str | bytes
    if fmt == "mermaid":
        data = render_mermaid(picture)
    elif fmt == "markdown":
        data = "```mermaid\n" + render_mermaid(picture) + "```\n"
    else:
        data = render_dot(picture)
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
        "--direction",
        choices=DIRECTIONS,
        default="both",
        help="which way --around walks: down (facts → rules → derived facts and advice), up (the reverse), "
        "or both at every step (default)",
    )
    parser.add_argument(
        "--no-clusters", dest="clusters", action="store_false", help="do not group the rules by the file they are in"
    )
    parser.add_argument("--no-legend", dest="legend", action="store_false", help="leave the legend out")
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE (atomically; '-' is standard output): .dot/.gv DOT, .mmd Mermaid, .md Mermaid "
        "in Markdown, .svg/.png/.pdf a picture drawn by Graphviz's dot",
    )
