"""Turning consultation results into text for a terminal (the engine returns data only)."""

from __future__ import annotations

import datetime
import json
import os
import sys
import textwrap

from orderdoctor.engine import (
    AdviceKind,
    ConsultationResult,
    KnowledgeBase,
    TraceStep,
    format_value,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FORMATS",  # noqa: F822 - computed on first use (module __getattr__)
    "deadline_date",
    "deadline_text",
    "format_value",
    "plain",
    "printable",
    "plan_fragments",
    "render_json",
    "render_plan",
    "terminal_columns",
    "text_width",
    "trace_lines",
    "wrap",
    "wrap_block",
]


def __getattr__(name: str) -> tuple[str, ...]:
    """``FORMATS``: the formats of ``orderdoctor explain --format``, the keys of
    :data:`.explain.RENDERERS` (where each is implemented)."""
    if name == "FORMATS":
        from .explain import RENDERERS

        return tuple(RENDERERS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The narrowest width text is wrapped to; a narrower terminal wraps the lines again itself.
MIN_WIDTH = 40


def text_width() -> int:
    """The width to wrap text to: the terminal's, between 40 and 100 columns."""
    return max(MIN_WIDTH, min(terminal_columns(), 100))


def terminal_columns() -> int:
    """``$COLUMNS``, else the terminal's width, else 88 (what shutil.get_terminal_size does,
    without importing shutil at start-up)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 88


def printable(text: str) -> str:
    """``text`` with control characters (ESC, BEL, ... from user input) shown escaped, never raw."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\t" else ch.encode("unicode_escape").decode("ascii") for ch in text)


def wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` columns, broken only between words (a word longer
    than a line stands alone on its line); ``first``/``rest`` indent the first/other lines."""
    return textwrap.wrap(
        text,
        width=max(width, len(first) + 1, len(rest or "") + 1),
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first.rstrip()]


def _wrap(text: str, first: str, rest: str, width: int) -> list[str]:
    return wrap(text, width, first, rest)


def wrap_block(text: str, width: int) -> str:
    """Every line of ``text`` wrapped to ``width``, continuing under its own indentation (and
    under the text after a leading ``- `` or ``N. `` bullet)."""
    lines: list[str] = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        bullet = ""
        head, _, _ = body.partition(" ")
        if head == "-" or (head.endswith(".") and head[:-1].isdigit()):
            bullet = " " * (len(head) + 1)
        lines += wrap(body, width, indent, indent + bullet) if body else [""]
    return "\n".join(lines)


def deadline_text(days: int | None, today: datetime.date) -> str:
    """``"by Sat 06 Dec, 14 days left"``, ``"today"``, or "" without a deadline; counted from
    ``today`` (always passed in: nothing here reads the clock)."""
    if days is None:
        return ""
    if days == 0:
        return "today"
    day = today + datetime.timedelta(days=days)
    unit = "day" if days == 1 else "days"
    return f"by {day:%a %d %b}, {days} {unit} left"


def deadline_date(days: int | None, today: datetime.date | None) -> str | None:
    """The deadline as an ISO date (``2026-12-06``), or None without one (or without ``today``)."""
    if days is None or today is None:
        return None
    return (today + datetime.timedelta(days=days)).isoformat()


Fragments = list[tuple[str, str]]


def plan_fragments(result: ConsultationResult, width: int | None, today: datetime.date) -> Fragments:
    """The numbered plan as styled text: warnings first and marked, then the steps, then notes.

    Styles: ``class:warning``, ``class:step``, ``class:note`` for the labels and
    ``class:title`` for the titles; the rest is unstyled.
    """
    width = width or text_width()
    fragments: Fragments = []
    number = 0
    for entry in result.advice:
        advice = entry.advice
        when = deadline_text(entry.deadline_days, today)
        title = f"{advice.title} ({when})" if when else advice.title
        if advice.kind is AdviceKind.WARNING:
            label, style, rest = "WARNING: ", "class:warning", "   "
        elif advice.kind is AdviceKind.ACTION:
            number += 1
            label, style = f"{number}. ", "class:step"
            rest = " " * len(label)
        else:
            label, style, rest = "Note: ", "class:note", "   "
        lines = _wrap(f"{title} — {advice.text}", label, rest, width)
        head = lines[0][len(label):]
        title_part, dash, tail = head.partition(" — ")
        fragments.append((style, label))
        fragments.append(("class:title", title_part))
        fragments.append(("", dash + tail + "\n"))
        for line in lines[1:]:
            fragments.append(("", line + "\n"))
    return fragments


def plain(fragments: Fragments) -> str:
    return "".join(text for _, text in fragments)


def render_plan(result: ConsultationResult, today: datetime.date, width: int | None = None) -> str:
    """The numbered plan as plain text, deadlines counted from ``today``."""
    return plain(plan_fragments(result, width, today))


def _matched(step: TraceStep) -> str:
    parts = []
    for fact in step.matched:
        origin = "given" if fact.derived_by is None else f"derived in step {fact.derived_step} by {fact.derived_by}"
        parts.append(f"{fact.name}={format_value(fact.value)} ({origin})")
    return "; ".join(parts) if parts else "(no fact values)"


def trace_lines(result: ConsultationResult, kb: KnowledgeBase, width: int | None = None) -> list[str]:
    """Every rule that fired, in order (what it matched, where each value came from, what it
    concluded), or ``No rule fired.``; then the conclusion, as lines wrapped to ``width``."""
    width = width or text_width()
    lines: list[str] = []
    if not result.trace:
        lines.append("No rule fired.")
    else:
        lines += _steps(result, kb, width)
    lines.append("")
    lines.append("Conclusion:")
    for entry in result.advice:
        origin = f"from {entry.rule.id}" if entry.rule else "no rule applied"
        lines.append(f"  {entry.kind.value:8} {entry.id}  ({origin})")
    for replacement in result.replaced:
        entry = replacement.entry
        origin = f"from {entry.rule.id}" if entry.rule else "no rule"
        lines.append(f"  left out {entry.id}  ({origin}; replaced by {replacement.by})")
    return lines


def _steps(result: ConsultationResult, kb: KnowledgeBase, width: int) -> list[str]:
    count = len(result.trace)
    lines = [f"Rules fired, in order ({count}):"]
    pad = " " * (len(str(count)) + 3)
    for step in result.trace:
        rule = step.rule
        head = f"{str(step.step).rjust(len(str(count)))}. {rule.id}"
        lines.append(f" {head}  [{rule.location.short()}; source: {rule.source}]")
        lines += _wrap(rule.description, pad, pad, width)
        lines += _wrap(_matched(step), pad + "matched: ", pad + "  ", width)
        if step.derived:
            derived = ", ".join(f"{k}={format_value(v)}" for k, v in step.derived)
            lines += _wrap(derived, pad + "derived: ", pad + "  ", width)
        if step.advised:
            advised = ", ".join(f"{a} ({kb.advice[a].kind.value})" for a in step.advised)
            lines += _wrap(advised, pad + "advised: ", pad + "  ", width)
    return lines


def render_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
