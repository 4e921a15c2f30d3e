"""``orderdoctor kb schema``: the JSON Schemas editors complete and check the knowledge-base files
with, written from the knowledge base (or checked to be current)."""

from __future__ import annotations

import argparse
from pathlib import Path

from orderdoctor.engine import (
    FILE_KINDS,
    SCHEMA_FOLDER,
    ExitStatus,
    KnowledgeBase,
    display_path,
    kb_schemas,
    modeline,
    render_schema,
)

from .. import Environment

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "Write the JSON Schemas of the knowledge-base files (facts, advice, sources, rules, cases, checks, "
    "review), with the kb's fact names, values, advice and source ids, for editors "
    "(yaml-language-server); with --check, only say whether they are current."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        default=None,
        metavar="DIR",
        help=f"the folder to write them in (default: {SCHEMA_FOLDER}/ inside the knowledge base's folder)",
    )
    parser.add_argument(
        "--check", action="store_true", help="only check that the schemas are current (exit 1 if stale)"
    )


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from ...output import write_output

    out = env.stdout
    folder = Path(args.output) if args.output else Path(kb.root) / SCHEMA_FOLDER
    texts = {name: render_schema(schema) for name, schema in kb_schemas(kb).items()}
    missing = _without_modeline(Path(kb.root)) if not args.output else []
    for path, line in missing:
        out.write(f"{display_path(path)}:1:1: warning: the first line does not name the file's schema: '{line}'\n")
    if args.check:
        stale = [name for name, text in texts.items() if _current(folder / name) != text]
        extra = sorted(p.name for p in folder.glob("*.schema.json") if p.name not in texts) if folder.is_dir() else []
        for name in stale:
            out.write(f"{display_path(folder / name)} is stale: run 'orderdoctor kb schema'\n")
        for name in extra:
            out.write(f"{display_path(folder / name)} is not a schema of this knowledge base: remove it\n")
        if stale or extra or missing:
            return ExitStatus.SOME_FAILED
        out.write(f"{display_path(folder)}: the {len(texts)} schemas are current\n")
        return ExitStatus.OK
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        write_output(folder / name, text)
    out.write(f"wrote {len(texts)} schemas to {display_path(folder)}: {', '.join(texts)}\n")
    return ExitStatus.OK


def _without_modeline(root: Path) -> list[tuple[Path, str]]:
    """The knowledge-base files whose first line is not the modeline naming their schema (with it)."""
    missing = []
    for pattern in FILE_KINDS.values():
        for path in sorted(root.glob(pattern)):
            line = modeline(path.relative_to(root).as_posix())
            if line is not None and path.is_file() and _first_line(path) != line:
                missing.append((path, line))
    return missing


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return handle.readline(4096).rstrip("\r\n")


def _current(path: Path) -> str | None:
    """The text of ``path``, or None when there is no such file."""
    return path.read_text(encoding="utf-8") if path.is_file() else None
