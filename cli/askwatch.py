"""``orderdoctor ask --watch``: noticing that a knowledge-base file changed (while the prompt
waits, in a thread of its own), loading the new rules only when ``kb check`` would accept them
(they load, and so do their cases and checks), and which answers carry over to them — the others
are set aside and named, live and when a saved session is resumed.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderdoctor.engine import (
    UNKNOWN,
    Answer,
    FactType,
    Interview,
    KnowledgeBase,
    KnowledgeBaseErrors,
    OrderdoctorError,
    ValueProblem,
    check_value,
    format_value,
    load_cases,
    load_knowledge_base,
    load_lint_config,
    release,
)

__all__ = [
    "POLL_SECONDS",
    "SetAside",
    "Signature",
    "Watcher",
    "kb_signature",
    "misfit",
    "reload_knowledge_base",
    "reloaded",
    "set_aside_saved",
    "sort_answers",
    "start_watcher",
]

#: What :func:`kb_signature` returns.
Signature = tuple[tuple[str, int, int], ...]

#: How often the watcher looks at the kb files (a change is reported once it has been the same
#: for one more look, so within two of these: an editor's save in two writes is one change).
POLL_SECONDS = 0.25


def kb_signature(root: Path) -> Signature:
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


def reloaded(
    root: Path, answers: Iterable[tuple[str, Answer]], today: datetime.date | None
) -> tuple[Interview, list[SetAside]] | list[str]:
    """The interview over the rules at ``root`` with the ``answers`` that still fit them (and
    those set aside); or, when the new rules are refused, the lines saying why: their load
    errors, or the error they give with those answers (two rules deriving different values)."""
    try:
        kb = reload_knowledge_base(root)
    except KnowledgeBaseErrors as exc:
        return [error.format() for error in exc.errors]
    kept, aside = sort_answers(kb, answers)
    interview = Interview(kb, kept, today=today)
    try:
        interview.plan()
    except OrderdoctorError as exc:
        release(kb)
        return [f"with your answers: {exc}"]
    return interview, aside


# --------------------------------------------------------------- answers that no longer fit
@dataclass(frozen=True)
class SetAside:
    """An answer the knowledge base no longer takes, and why (``no such fact``, ...)."""

    name: str
    value: Answer
    reason: str

    def text(self) -> str:
        shown = "unknown" if self.value is UNKNOWN else format_value(self.value)
        return (
            f"Your answer to '{self.name}' ({shown}) no longer fits the knowledge base ({self.reason}); "
            "it was set aside."
        )


def misfit(kb: KnowledgeBase, name: str, value: Answer) -> str | None:
    """Why ``kb`` does not take the answer ``name`` = ``value`` (None: it does)."""
    fact = kb.facts.get(name)
    if fact is None:
        return "no such fact"
    if not fact.askable:
        return "no longer asked: the rules work it out"
    if value is UNKNOWN or not isinstance(check_value(fact, value), ValueProblem):
        return None
    if fact.type is FactType.CHOICE and isinstance(value, str):
        return f"'{value}' is no longer one of its answers"
    return f"it now takes {fact.describe_domain()}"


def sort_answers(
    kb: KnowledgeBase, answers: Iterable[tuple[str, Answer]]
) -> tuple[list[tuple[str, Answer]], list[SetAside]]:
    """The answers that still fit ``kb`` (to a question it still asks, with a value it allows),
    and those set aside."""
    kept: list[tuple[str, Answer]] = []
    aside: list[SetAside] = []
    for name, value in answers:
        reason = misfit(kb, name, value)
        if reason is None:
            kept.append((name, value))
        else:
            aside.append(SetAside(name, value, reason))
    return kept, aside


def _saved_answer(item: object) -> tuple[str, Answer] | None:
    """The fact and answer of one well-formed saved answer (None: not well formed)."""
    if not isinstance(item, Mapping) or not isinstance(item.get("fact"), str):
        return None
    unknown = item.get("unknown", False)
    if unknown is True and "value" not in item:
        return item["fact"], UNKNOWN
    if unknown is False and "value" in item:
        return item["fact"], item["value"]
    return None


def set_aside_saved(kb: KnowledgeBase, data: Any) -> tuple[Any, list[tuple[int, SetAside]]]:
    """Session data without the answers ``kb`` no longer takes (each with its number in the
    file). Only well-formed answers are set aside: a broken file is left for the reader to refuse."""
    if not isinstance(data, Mapping) or not isinstance(data.get("answers"), list):
        return data, []
    kept: list[Any] = []
    aside: list[tuple[int, SetAside]] = []
    for number, item in enumerate(data["answers"], 1):
        answer = _saved_answer(item)
        reason = misfit(kb, *answer) if answer is not None else None
        if answer is not None and reason is not None:
            aside.append((number, SetAside(answer[0], answer[1], reason)))
        else:
            kept.append(item)
    if not aside:
        return data, []
    return {**data, "answers": kept}, aside


# ------------------------------------------------------------------------ the watcher
class Watcher:
    """Looks at the kb files every :data:`POLL_SECONDS` in a thread of its own; when they differ
    from what the session last loaded (``current()``) and have stayed so for one more look, calls
    ``on_change()`` (once per change). Nothing happens per keystroke."""

    def __init__(
        self, root: Path, current: Callable[[], Signature], on_change: Callable[[], None],
        interval: float = POLL_SECONDS,
    ) -> None:
        self.root = root
        self.current = current
        self.on_change = on_change
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="orderdoctor-kb-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        seen: Signature | None = None
        reported: Signature | None = None
        while not self._stop.wait(self.interval):
            signature = kb_signature(self.root)
            if signature != self.current() and signature == seen and signature != reported:
                reported = signature
                self.on_change()
            seen = signature


def start_watcher(root: Path, current: Callable[[], Signature], terminal: object) -> Watcher | None:
    """A started :class:`Watcher` that interrupts ``terminal``'s waiting prompt when a kb file
    changes; None when the terminal cannot be interrupted (plain lines from a pipe)."""
    interrupt = getattr(terminal, "interrupt", None)
    if interrupt is None or not getattr(terminal, "interactive", False):
        return None
    watcher = Watcher(root, current, interrupt)
    watcher.start()
    return watcher
