"""``orderdoctor kb docs``: every document derived from the knowledge base — docs/rules.md (every
rule in words), the generated regions of README.md and docs/*.md (counts, tables, lists; see
:mod:`orderdoctor.cli.generated`) and the kb's JSON Schemas (``kb schema``) — written, or checked to
be current (``--check``, run in CI)."""

from __future__ import annotations

import argparse
from pathlib import Path

from orderdoctor.engine import ExitStatus, KnowledgeBase, UsageError, display_path

from .. import Environment

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from ...generated import DocData, Region

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "Write everything the docs derive from the knowledge base: docs/rules.md (every rule in words) "
    "and the generated regions of README.md and docs/*.md (counts, tables, lists), and the kb's JSON "
    "Schemas (kb/schemas/, as 'kb schema' writes them); with --check, only say whether they are current."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        default=None,
        metavar="FILE",
        help="write only the rules' document, there ('-': standard output; default: docs/rules.md, and "
        "the generated regions of README.md and docs/*.md, of the project the knowledge base is part of, "
        "when there is a docs/ folder beside its folder)",
    )
    parser.add_argument("--check", action="store_true",
                        help="only check that everything generated is current (exit 1 if anything is stale)")


def _project(args: argparse.Namespace, kb: KnowledgeBase) -> Path | None:
    """The project whose docs ``kb docs`` writes: the knowledge base's folder's parent, when it
    holds a docs/ folder (never the current folder); None with --output."""
    if args.output:
        return None
    project = Path(kb.root).resolve().parent
    if (project / "docs").is_dir():
        return project
    raise UsageError(
        f"kb docs: the knowledge base {display_path(kb.root)} has no docs/ folder beside it: "
        "say where to write with --output FILE ('-' for standard output)"
    )


def _region_files(project: Path) -> list[Path]:
    """README.md and docs/*.md of ``project`` that hold a generated region (docs/rules.md is
    generated whole)."""
    from ...generated import find_regions

    candidates = [project / "README.md", *sorted((project / "docs").glob("*.md"))]
    return [path for path in candidates if path.name != "rules.md" and path.is_file()
            and find_regions(path.read_text(encoding="utf-8"), display_path(path))]


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from ...generated import DocData, render_rules_doc

    project = _project(args, kb)
    data = DocData(kb)
    rules_target = args.output or str(Path(kb.root).resolve().parent / "docs" / "rules.md")
    if args.check and rules_target == "-":
        raise UsageError("kb docs --check compares with a file: give --output FILE, not '-'")
    files = _region_files(project) if project is not None else []
    if args.check:
        return max(_check(env, data, Path(rules_target), files), _schemas(args, env, kb, project))
    from ...output import write_output

    out = env.stdout
    write_output(rules_target, render_rules_doc(data), out)
    if rules_target != "-":
        out.write(f"wrote {display_path(rules_target)} ({len(kb.rules)} rules)\n")
    for path in files:
        text, changed = _filled(path, data)
        if changed:
            write_output(path, text, out)
            names = ", ".join(sorted({region.name for region in changed}))
            out.write(f"wrote {display_path(path)} (generated regions: {names})\n")
        else:
            out.write(f"{display_path(path)} is current\n")
    return _schemas(args, env, kb, project)


def _schemas(args: argparse.Namespace, env: Environment, kb: KnowledgeBase, project: Path | None) -> ExitStatus:
    """The kb's JSON Schemas (``kb schema``) are generated files too: written (or checked) with the
    docs when the knowledge base keeps them (its schemas/ folder exists)."""
    from orderdoctor.engine import SCHEMA_FOLDER

    if project is None or not (Path(kb.root) / SCHEMA_FOLDER).is_dir():
        return ExitStatus.OK
    from . import schema

    return schema.run(argparse.Namespace(output=None, check=args.check), env, kb)


def _filled(path: Path, data: DocData) -> tuple[str, list[Region]]:
    from ...generated import fill_regions

    return fill_regions(path.read_text(encoding="utf-8"), display_path(path), data)


def _check(env: Environment, data: DocData, rules_path: Path, files: list[Path]) -> ExitStatus:
    """One line per stale file or region (``file:line:col`` of its opening comment), or per
    current file; exit 1 when anything is stale."""
    from ...generated import render_rules_doc

    out = env.stdout
    stale = 0
    current = rules_path.read_text(encoding="utf-8") if rules_path.is_file() else ""
    if current != render_rules_doc(data):
        stale += 1
        out.write(f"{display_path(rules_path)} is stale: run 'orderdoctor kb docs'\n")
    else:
        out.write(f"{display_path(rules_path)} is current\n")
    for path in files:
        _, changed = _filled(path, data)
        for region in changed:
            out.write(f"{region.location}: generated region '{region.name}' is stale: run 'orderdoctor kb docs'\n")
        stale += len(changed)
        if not changed:
            out.write(f"{display_path(path)} is current\n")
    return ExitStatus.SOME_FAILED if stale else ExitStatus.OK
