"""``orderdoctor ask --watch``: noticing that a knowledge-base file changed, loading the new
rules only when ``kb check`` would accept them (they load, and so do their cases and checks),
and which answers carry over to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from orderdoctor.engine import (
    UNKNOWN,
    Answer,
    KnowledgeBase,
    check_value,
    load_cases,
    load_knowledge_base,
    load_lint_config,
)

__all__ = ["kb_signature", "kept_answers", "reload_knowledge_base"]


def kb_signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a kb file is edited: every YAML file's path, size and mtime."""
    entries = []
    for path in sorted(Path(root).rglob("*.yaml")):
        try:
            stat_result = path.stat()
        except OSError:
            continue
        entries.append((str(path), stat_result.st_size, stat_result.st_mtime_ns))
    return tuple(entries)



def reload_knowledge_base(root: Path) -> KnowledgeBase:
    """The knowledge base at ``root`` loaded afresh, with its scenario cases and checks;
    KnowledgeBaseErrors when any of them has errors."""
    kb = load_knowledge_base(root)
    load_cases(kb)
    load_lint_config(kb)
    return kb


def kept_answers(kb: KnowledgeBase, answers: Iterable[tuple[str, Answer]]) -> list[tuple[str, Answer]]:
    """The answers that still fit ``kb``: to a question it still asks, with a value it allows."""
    kept = []
    for name, value in answers:
        fact = kb.facts.get(name)
        if fact is not None and fact.askable and (value is UNKNOWN or check_value(fact, value) == value):
            kept.append((name, value))
    return kept
