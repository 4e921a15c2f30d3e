"""``orderdoctor kb diff``'s output: the comparison of two knowledge bases as text, JSON or Markdown.

The comparison itself is engine data (:func:`orderdoctor.engine.diff_kbs`); this module words it.
``place`` turns a case's location into what the reader should see (a file of a knowledge base
taken from a git revision is shown as ``REV:path``). The command is
:mod:`orderdoctor.cli.commands.kb.diff`.
"""

from __future__ import annotations

import json

from orderdoctor.engine import KbDiff

from .review import situation_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Place = Callable[[Any], str]

__all__ = ["FORMATS", "render"]

FORMATS = ("text", "json", "markdown")

_EDITS = (
    ("rules_added", "rules added"), ("rules_removed", "rules removed"), ("rules_changed", "rules changed"),
    ("rules_moved", "rules moved (firing order)"), ("advice_added", "advice added"),
    ("advice_removed", "advice removed"), ("advice_changed", "advice changed"),
    ("advice_reworded", "advice reworded (same answers)"), ("facts_added", "facts added"),
    ("facts_removed", "facts removed"), ("facts_changed", "facts changed"),
)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _edit_lines(diff: KbDiff) -> list[str]:
    lines = [f"  {words}: {', '.join(getattr(diff.changes, name))}"
             for name, words in _EDITS if getattr(diff.changes, name)]
    return lines or ["  nothing"]


def _space_line(diff: KbDiff) -> str:
    space = diff.space
    if space is None:
        return "review space: not compared (--cases-only)"
    text = (f"review space: {_plural(space.situations, 'situation')}, {space.consulted:,} reach an edited rule, "
            f"{space.changed:,} change" + (f" in {_plural(len(space.groups), 'way')}" if space.groups else ""))
    if space.only_new or space.only_old:
        text += (f"; only the new kb can express {space.only_new:,}, only the old kb "
                 f"{space.only_old:,} (not compared)")
    return text


def _answer(answer: Any) -> str:
    return ", ".join(answer.advice) or "(stopped: " + "; ".join(answer.errors) + ")"


# ------------------------------------------------------------------ text
def render_text(diff: KbDiff, place: Place, title: str) -> str:
    out = [f"kb diff: {title}", "edit:", *_edit_lines(diff)]
    out.append(f"cases: {diff.cases_run:,} run, {len(diff.cases):,} changed or run on one side only")
    for case in diff.cases:
        out.append(f"  {case.case.id} ({place(case.case.location)}): " + _case_words(case))
    out.append(_space_line(diff))
    for group in diff.space.groups if diff.space else ():
        out.append(f"  {_plural(group.count, 'situation')}: {group.label}")
        for example in group.examples:
            out.append(f"      e.g. {situation_text(example)}")
        out.append(f"      before: {_answer(group.old)}")
        out.append(f"      after:  {_answer(group.new)}")
    out.append("answers change" if diff.answers_change else "no answer changes")
    return "\n".join(out) + "\n"


def _case_words(case: Any) -> str:
    if case.unloadable:
        return case.unloadable
    return ", ".join(change.text for change in case.changes)


# ------------------------------------------------------------------ json
def render_json(diff: KbDiff, place: Place, title: str) -> str:
    data = diff.to_json()
    for entry, case in zip(data["cases"], diff.cases, strict=True):
        entry["location"] = place(case.case.location)
    return json.dumps({"compared": title, **data}, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------ markdown
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_summary(diff: KbDiff, title: str) -> list[str]:
    lines = [f"### `orderdoctor kb diff`: {_cell(title)}", ""]
    lines.append("**Answers change.**" if diff.answers_change else "**No answer changes.**")
    lines += ["", "| change | cases | situations |", "|---|---:|---:|"]
    by_class = diff.space.by_class() if diff.space else {}
    case_counts: dict[str, int] = {}
    for case in diff.cases:
        for kind in dict.fromkeys(change.kind for change in case.changes):
            case_counts[kind] = case_counts.get(kind, 0) + 1
    for kind in dict.fromkeys([*by_class, *case_counts]):
        if by_class.get(kind) or case_counts.get(kind):
            lines.append(f"| {kind} | {case_counts.get(kind, 0):,} | {by_class.get(kind, 0):,} |")
    unloadable = sum(1 for case in diff.cases if case.unloadable)
    if unloadable:
        lines.append(f"| runs on one side only | {unloadable:,} | |")
    space = diff.space
    if space is not None and (space.only_new or space.only_old):
        lines.append(f"| only one kb can express | | {space.only_new + space.only_old:,} |")
    lines += ["", "Edit: " + "; ".join(line.strip() for line in _edit_lines(diff)) + ".",
              f"Cases: {diff.cases_run:,} run. " + _space_line(diff)[0].upper() + _space_line(diff)[1:] + "."]
    return lines


def render_markdown(diff: KbDiff, place: Place, title: str) -> str:
    lines = _markdown_summary(diff, title)
    if diff.cases:
        lines += ["", f"<details><summary>Cases ({len(diff.cases):,})</summary>", ""]
        lines += [f"- `{case.case.id}` ({place(case.case.location)}): {_cell(_case_words(case))}"
                  for case in diff.cases]
        lines += ["", "</details>"]
    for group in diff.space.groups if diff.space else ():
        lines += ["", f"<details><summary>{_plural(group.count, 'situation')}: {_cell(group.label)}</summary>", ""]
        lines += [f"- `{situation_text(example)}`" for example in group.examples]
        lines += ["", f"Before: {_cell(_answer(group.old))}  ", f"After: {_cell(_answer(group.new))}", "",
                  "</details>"]
    return "\n".join(lines) + "\n"


def render(fmt: str, diff: KbDiff, place: Place, title: str) -> str:
    """``diff`` in format ``fmt`` (:data:`FORMATS`); ``title`` says what was compared."""
    return {"text": render_text, "json": render_json, "markdown": render_markdown}[fmt](diff, place, title)
