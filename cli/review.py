"""``orderdoctor kb review``: the situation-space review, as a summary, a sheet, a CI check, and
accepted rows turned into scenario cases.

The review itself is engine data (:func:`orderdoctor.engine.review_situations`); this module formats
it as a short summary, Markdown, CSV or JSON, and appends accepted rows to a case file. Every file
is written through :mod:`.output` (atomically). The command (options, the date deadlines count from)
is :mod:`orderdoctor.cli.commands.kb.review`.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import io
import json
from pathlib import Path

from orderdoctor.engine import (
    ExitStatus,
    FactType,
    KnowledgeBase,
    KnowledgeBaseErrors,
    UsageError,
    Value,
    display_path,
    load_cases,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

    from orderdoctor.engine import Review, Row, Situation

__all__ = [
    "FORMATS",
    "accept_rows",
    "check_lines",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_sheet",
    "render_summary",
]

FORMATS = ("markdown", "csv", "json")
#: The header of a case file ``--accept`` creates.
CASES_HEADER = (
    "# Scenario cases accepted from `orderdoctor kb review` (docs/maintaining.md): each is the\n"
    "# representative situation of a review row a maintainer signed, expecting the advice it showed.\n"
)


# ------------------------------------------------------------------ words
def _value_text(value: Value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def situation_text(situation: Situation) -> str:
    """``order_status=shipped days_left=3``"""
    return " ".join(f"{name}={_value_text(value)}" for name, value in situation.facts) or "(nothing given)"


def fact_words(kb: KnowledgeBase, name: str, value: Value) -> str:
    """A given fact in words: the value's help text, else the fact's description."""
    fact = kb.facts[name]
    if fact.type is FactType.CHOICE:
        choice = fact.choice(str(value))
        if choice is not None and choice.help:
            return choice.help
        return f"{fact.description} {value}."
    if fact.type is FactType.BOOLEAN:
        return fact.description if value else f"Not so: {fact.description[0].lower()}{fact.description[1:]}"
    return f"{fact.description.rstrip('.')}: {value}."


def _deadline(days: int | None, today: datetime.date) -> str:
    if days is None:
        return ""
    if days == 0:
        return f" (by {today.isoformat()}, today)"
    return f" (by {(today + datetime.timedelta(days=days)).isoformat()}, {days} day{'s' if days != 1 else ''} left)"


def _advice_lines(row: Row, today: datetime.date) -> list[str]:
    lines = []
    step = 0
    for item in row.advice:
        if item.kind == "warning":
            label = "WARNING:"
        elif item.kind == "action":
            step += 1
            label = f"{step}."
        else:
            label = "Note:"
        lines.append(f"{label} {item.title}{_deadline(item.deadline_days, today)} `{item.id}`")
    return lines


def _problem_words(row: Row) -> list[str]:
    words = []
    for problem in row.problems:
        bad, fine = row.unexplained[problem], row.explained[problem]
        state = f"{bad} unexplained" if bad else "explained"
        if bad and fine:
            state += f", {fine} explained"
        reasons = "; ".join(row.reasons[problem])
        words.append(f"{problem.kind}: {problem.detail} [{state}]" + (f" — {reasons}" if reasons else ""))
    return words


def _scope_words(review: Review) -> str:
    remaining = len(review.remaining)
    pairs = (
        f" and {review.pairwise_situations:,} situations covering {review.pairs_covered:,} of "
        f"{review.pairs_required:,} value pairs of the {remaining} remaining facts"
        + (f" ({review.pairs_out_of_scope:,} pairs only out of scope)" if review.pairs_out_of_scope else "")
        if remaining
        else ""
    )
    return (
        f"all {review.base_size:,} combinations of the {len(review.deciding)} deciding facts "
        f"({', '.join(review.deciding)}), each also not given{pairs}"
    )


def _share(review: Review) -> str:
    return f"{100 * review.coverage:.4g}%"


# ---------------------------------------------------------------- summary
def render_summary(review: Review, config: Any) -> str:
    out = []
    facts = len(review.deciding) + len(review.remaining)
    out.append(
        f"kb review: the space has {review.space_size:,} situations (the product over {facts} facts of "
        f"their values + 1 for not given)"
    )
    out.append(f"enumerated {review.enumerated:,} ({_share(review)} of the space): {_scope_words(review)}")
    removed = sum(review.out_of_scope.values())
    out.append(
        f"out of scope: {removed:,} (by {len(config.out_of_scope)} entries); in scope: {review.in_scope:,} "
        f"situations in {len(review.rows)} rows ({review.consultations:,} consultations)"
    )
    for kind, count in review.situations_by_class.items():
        rows = sum(1 for row in review.rows if any(row.unexplained[p] for p in row.problems if p.kind == kind))
        explained = review.explained_by_class[kind]
        more = f", {explained:,} explained" if explained else ""
        out.append(f"  {kind}: {count:,} situations in {rows} rows{more}")
    problem_rows = review.problem_rows
    if problem_rows:
        out.append(f"rows with problems ({len(problem_rows)}):")
        out += ["  " + _check_line(row) for row in problem_rows]
    else:
        out.append("no unexplained problems")
    return "\n".join(out) + "\n"


def _check_line(row: Row) -> str:
    kinds = ", ".join(dict.fromkeys(p.kind for p in row.problems if row.unexplained[p]))
    bad = max(row.unexplained.values())
    return f"{row.id} {kinds}: {bad:,} of {row.count:,} situations, e.g. {situation_text(row.representative)}"


# --------------------------------------------------------------- markdown
def render_markdown(review: Review, kb: KnowledgeBase, config: Any, today: datetime.date) -> str:
    lines = _markdown_summary(review, kb, config, today)
    problem_rows = review.problem_rows
    lines += ["", f"## Rows with problems ({len(problem_rows)})", ""]
    if not problem_rows:
        lines += ["None.", ""]
    for row in problem_rows:
        lines += _row_block(row, kb, today, "###")
    lines += _markdown_all_rows(review, kb, today)
    return "\n".join(lines).rstrip("\n") + "\n"


def _markdown_summary(review: Review, kb: KnowledgeBase, config: Any, today: datetime.date) -> list[str]:
    lines = [
        "# Situation-space review",
        "",
        f"Written by `orderdoctor kb review --format markdown` from `{display_path(kb.root)}`; deadlines are "
        f"counted from {today.isoformat()}. How to read it: docs/maintaining.md, \"Reviewing the situation space\".",
        "",
        "## Summary",
        "",
        f"- **The space**: {review.space_size:,} situations (every fact the buyer can give, each value or not given).",
        f"- **Enumerated**: {review.enumerated:,} ({_share(review)} of the space): {_scope_words(review)}.",
        f"- **In scope**: {review.in_scope:,} situations, in {len(review.rows)} rows of equal outcome.",
        f"- **Out of scope**: {sum(review.out_of_scope.values()):,} situations, not run:",
    ]
    for index, entry in enumerate(config.out_of_scope):
        lines.append(f"  - {review.out_of_scope.get(index, 0):,}: {entry.describe()} — {entry.reason}")
    lines += ["", "| problem | situations | rows | explained situations |", "|---|---:|---:|---:|"]
    for kind, count in review.situations_by_class.items():
        rows = sum(1 for row in review.rows if any(row.unexplained[p] for p in row.problems if p.kind == kind))
        lines.append(f"| {kind} | {count:,} | {rows} | {review.explained_by_class[kind]:,} |")
    return lines


def _markdown_all_rows(review: Review, kb: KnowledgeBase, today: datetime.date) -> list[str]:
    """Every row, grouped by the first deciding fact's value in its representative situation."""
    first = review.deciding[0] if review.deciding else None
    lines = ["## All rows", ""]
    if first:
        lines += [f"Grouped by `{first}` of the representative situation; a row's other values are listed.", ""]
    by_group: dict[Any, list[Row]] = {}
    for row in review.rows:
        value = row.representative.as_dict().get(first) if first else None
        by_group.setdefault(value, []).append(row)
    order = list(review.values.get(first, ())) if first else []
    for value in sorted(by_group, key=lambda v: order.index(v) if v in order else len(order)):
        rows = by_group[value]
        count = sum(r.count for r in rows)
        lines += [f"### {_group_heading(kb, first, value)} ({len(rows)} rows, {count:,} situations)", ""]
        for row in rows:
            lines += _row_block(row, kb, today, "####")
    return lines


def _group_heading(kb: KnowledgeBase, first: str | None, value: Any) -> str:
    """``order_status = shipped: <the value's help>``, ``order_status not given`` or ``all``."""
    if not first:
        return "all"
    if value is None:
        return f"{first} not given"
    return f"{first} = {_value_text(value)}: {fact_words(kb, first, value)}"


def _row_block(row: Row, kb: KnowledgeBase, today: datetime.date, level: str) -> list[str]:
    lines = [f"{level} {row.id} — {row.count:,} situation{'s' if row.count != 1 else ''}", ""]
    if len(row.groups) > 1:
        spread = ", ".join(f"{_value_text(v) if v is not None else 'not given'}: {n:,}" for v, n in row.groups.items())
        lines += [f"Situations by the first deciding fact: {spread}.", ""]
    lines.append("Representative situation:")
    lines.append("")
    if not row.representative.facts:
        lines.append("- (nothing given)")
    for name, value in row.representative.facts:
        lines.append(f"- `{name}` = {_value_text(value)}: {fact_words(kb, name, value)}")
    lines += ["", "Advice, in order:", ""]
    lines += [f"- {line}" for line in _advice_lines(row, today)]
    if row.problems:
        lines += ["", "Problems:", ""]
        lines += [f"- {words}" for words in _problem_words(row)]
    if row.examples:
        lines += ["", "More examples: " + "; ".join(f"`{situation_text(s)}`" for s in row.examples) + "."]
    lines.append("")
    return lines


# -------------------------------------------------------------- csv, json
CSV_COLUMNS = (
    "row", "situations", "problems", "unexplained_situations", "advice", "first_action",
    "representative", "representative_deadlines", "by_first_deciding_fact", "examples",
)


def render_csv(review: Review, today: datetime.date) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in review.rows:
        writer.writerow([
            row.id,
            row.count,
            " | ".join(_problem_words(row)),
            max(row.unexplained.values(), default=0),
            " > ".join(row.advice_ids),
            row.first_action or "",
            situation_text(row.representative),
            " ".join(f"{a.id}:{(today + datetime.timedelta(days=a.deadline_days)).isoformat()}"
                     for a in row.advice if a.deadline_days is not None),
            " ".join(f"{_value_text(v) if v is not None else '-'}:{n}" for v, n in row.groups.items()),
            " ; ".join(situation_text(s) for s in row.examples),
        ])
    return buffer.getvalue()


def review_data(review: Review, config: Any, today: datetime.date) -> dict[str, Any]:
    def deadline(days: int | None) -> str | None:
        return None if days is None else (today + datetime.timedelta(days=days)).isoformat()

    return {
        "today": today.isoformat(),
        "space_size": review.space_size,
        "enumerated": review.enumerated,
        "coverage": review.coverage,
        "base_size": review.base_size,
        "deciding": list(review.deciding),
        "remaining": list(review.remaining),
        "values": {name: list(values) for name, values in review.values.items()},
        "pairwise_situations": review.pairwise_situations,
        "pairs_required": review.pairs_required,
        "pairs_covered": review.pairs_covered,
        "pairs_out_of_scope": review.pairs_out_of_scope,
        "in_scope": review.in_scope,
        "consultations": review.consultations,
        "out_of_scope": [
            {"condition": entry.describe(), "reason": entry.reason, "situations": review.out_of_scope.get(i, 0)}
            for i, entry in enumerate(config.out_of_scope)
        ],
        "situations_by_class": dict(review.situations_by_class),
        "explained_by_class": dict(review.explained_by_class),
        "rows": [
            {
                "id": row.id,
                "situations": row.count,
                "has_problems": row.has_problems,
                "problems": [
                    {"kind": p.kind, "detail": p.detail, "unexplained": row.unexplained[p],
                     "explained": row.explained[p], "reasons": list(row.reasons[p])}
                    for p in row.problems
                ],
                "advice": [
                    {"id": a.id, "kind": a.kind, "title": a.title, "deadline_days": a.deadline_days,
                     "deadline": deadline(a.deadline_days)}
                    for a in row.advice
                ],
                "representative": row.representative.as_dict(),
                "examples": [s.as_dict() for s in row.examples],
                "by_first_deciding_fact": [[v, n] for v, n in row.groups.items()],
            }
            for row in review.rows
        ],
    }


def render_json(review: Review, config: Any, today: datetime.date) -> str:
    return json.dumps(review_data(review, config, today), indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------- accept
def case_id(situation: Situation) -> str:
    """A case id derived from the situation: ``reviewed_shipped_in_transit_days_left_3`` (with a
    hash of the facts when that would be too long)."""
    parts = []
    for name, value in situation.facts:
        if isinstance(value, bool):
            parts.append(name if value else f"no_{name}")
        elif isinstance(value, int):
            parts.append(f"{name}_{'minus_' if value < 0 else ''}{abs(value)}")
        else:
            parts.append(str(value))
    text = "_".join(["reviewed", *parts])
    if len(text) > 80:
        digest = hashlib.sha256(situation_text(situation).encode()).hexdigest()[:8]
        text = text[:70].rstrip("_") + "_" + digest
    return text


def case_text(row: Row, story: str, kb: KnowledgeBase) -> str:
    lines = [f"- id: {case_id(row.representative)}", f"  story: {json.dumps(story, ensure_ascii=False)}", "  facts:"]
    for name, value in row.representative.facts:
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        lines.append(f"    {name}: {shown}")
    lines.append(f"  must: [{', '.join(row.advice_ids)}]")
    if row.first_action:
        lines.append(f"  first: {row.first_action}")
    return "\n".join(lines) + "\n"


def generated_story(row: Row, kb: KnowledgeBase) -> str:
    words = " ".join(fact_words(kb, name, value).rstrip(".") + "." for name, value in row.representative.facts)
    return f"Accepted from review row {row.id}. {words}"


def _known_case_ids(kb: KnowledgeBase, target: Path) -> set[str]:
    """The ids of the knowledge base's cases and of the cases in ``target`` (refused: cases that
    do not load)."""
    known: set[str] = set()
    try:
        known.update(case.id for case in load_cases(kb))
        if target.exists() and target.resolve().parent != (kb.root / "cases").resolve():
            known.update(case.id for case in load_cases(kb, [target]))
    except KnowledgeBaseErrors as exc:
        raise UsageError(f"the cases do not load ({exc.errors[0].format()}): fix them first") from None
    return known


def _acceptable_row(review: Review, wanted: str) -> Row:
    """The review row ``wanted`` names, when it can become a case (else a UsageError saying why)."""
    from orderdoctor.engine import did_you_mean, suggest

    row = review.row(wanted)
    if row is None:
        raise UsageError(f"no review row '{wanted}'" + did_you_mean(suggest(wanted, [row.id for row in review.rows])))
    if row.advice_ids == ("nothing_applies",):
        raise UsageError(f"row {row.id} gives no advice: there is nothing to accept")
    if row.has_problems:
        raise UsageError(f"row {row.id} has unexplained problems: fix them, or explain them in review.yaml, first")
    return row


def accept_rows(args: argparse.Namespace, review: Review, kb: KnowledgeBase, out: TextIO) -> ExitStatus:
    """``kb review --accept ROW…``: a scenario case for each row, appended to the case file."""
    from orderdoctor.engine import read_text_file

    from .output import write_output

    target = Path(args.cases) if args.cases else kb.root / "cases" / "reviewed.yaml"
    if args.story is not None and (not args.story.strip() or any(not c.isprintable() for c in args.story)):
        raise UsageError("--story must be non-empty text on one line, without control characters")
    known = _known_case_ids(kb, target)
    added: list[str] = []
    texts: list[str] = []
    for wanted in args.accept:
        row = _acceptable_row(review, wanted)
        new_id = case_id(row.representative)
        if new_id in known or new_id in added:
            raise UsageError(f"row {row.id}: a case '{new_id}' exists already (its situation was accepted before)")
        story = args.story if args.story is not None else generated_story(row, kb)
        texts.append(case_text(row, story, kb))
        added.append(new_id)
    current = read_text_file(target, display_path(target)) if target.exists() else CASES_HEADER
    if current and not current.endswith("\n"):
        current += "\n"
    write_output(target, current + "".join("\n" + text for text in texts))
    for new_id in added:
        out.write(f"added case {new_id} to {display_path(target)}\n")
    return ExitStatus.OK


# ------------------------------------------------------------ the command
def render_sheet(fmt: str, review: Review, kb: KnowledgeBase, config: Any, today: datetime.date) -> str:
    """The review sheet in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "markdown":
        return render_markdown(review, kb, config, today)
    if fmt == "csv":
        return render_csv(review, today)
    return render_json(review, config, today)


def check_lines(review: Review) -> tuple[str, bool]:
    """What ``kb review --check`` prints, and whether it fails (a row with unexplained problems)."""
    problem_rows = review.problem_rows
    text = "".join(_check_line(row) + "\n" for row in problem_rows)
    situations = sum(review.situations_by_class.values())
    if problem_rows:
        return text + (f"kb review --check: {len(problem_rows)} row(s) with unexplained problems "
                       f"({review.in_scope:,} situations in scope)\n"), True
    if situations:
        return text + (f"kb review --check: no unexplained problems in {review.in_scope:,} situations "
                       f"({situations} problem situations)\n"), False
    return text + f"kb review --check: no unexplained problems in {review.in_scope:,} situations\n", False
