"""What a line typed at ``orderdoctor ask``'s prompt means: an answer to the question asked
(``4``, ``4 days``, a choice by number, name or unique start, ``yes``/``no``, ``unknown``),
or one of the commands (``why``, ``why not ADVICE``, ``what if FACT=VALUE``, ``change FACT``,
``back``, ``how``, ``restart``, ``help``, ``quit``), or an error saying what is allowed.

Pure: the same grammar serves the plain terminal, prompt-toolkit's validation while typing
and the recorded sessions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from orderdoctor.engine import (
    UNKNOWN,
    Answer,
    Fact,
    FactType,
    KnowledgeBase,
    ValueProblem,
    clock_of,
    convert_text,
    did_you_mean,
    suggest,
)

__all__ = ["COMMANDS", "Parsed", "parse_input"]

#: Commands understood at every prompt, with what they do (shown by Tab completion and ``?``).
COMMANDS = {
    "why": "why I ask this question (why all: every rule that needs it)",
    "back": "undo your last answer",
    "change": "change an earlier answer: change FACT",
    "how": "how the advice so far was reached",
    "why not": "why some advice was not given: why not ADVICE",
    "what if": "what would change: what if FACT=VALUE",
    "restart": "start over",
    "quit": "stop here (your answers are saved)",
    "unknown": "you don't know: go on without it",
    "help": "explain the question and its answers",
}
_UNKNOWN_WORDS = {"", "unknown", "?unknown", "dont know", "don't know", "idk", "not sure", "n/a"}
_NUMBER_WITH_UNIT = re.compile(r"^([+-]?[0-9]+)\s*(working\s+days?|work\s+days?|days?|d)?\.?$", re.IGNORECASE)



@dataclass(frozen=True)
class Parsed:
    """What one line of input means: an answer, a command (with argument), or an error;
    ``note`` is said back after an answer given other than by its name (``4`` → shipped)."""

    answer: Answer | None = None
    command: str | None = None
    argument: str | None = None
    error: str | None = None
    note: str | None = None


def _number_text(fact: Fact, kb: KnowledgeBase, text: str) -> str | ValueProblem:
    """``text`` for an integer fact with a unit word (``4 days``, ``4 working days``) taken off."""
    match = _NUMBER_WITH_UNIT.match(text.strip())
    if match is None:
        return text
    unit = (match.group(2) or "").lower()
    clock = clock_of(kb, fact)
    working = clock is not None and clock[1]
    if unit.startswith("work") and not working:
        return ValueProblem(f"count calendar days here, not working days: type {fact.describe_domain()}")
    return match.group(1)


def _interpret(fact: Fact, kb: KnowledgeBase, text: str) -> tuple[Answer, str | None] | ValueProblem:
    """A value for ``fact`` from ``text`` (and a note when it was not given by name), or the
    problem saying what is allowed."""
    stripped = text.strip()
    if any(ch.isdigit() and not ch.isascii() for ch in stripped):
        return ValueProblem(f"'{stripped}' has digits other than 0-9: type the number with 0-9 (or 'unknown')")
    if fact.type is FactType.INTEGER:
        number = _number_text(fact, kb, stripped)
        if isinstance(number, ValueProblem):
            return number
        stripped = number
    value = convert_text(fact, stripped)
    if not isinstance(value, ValueProblem):
        return value, None
    if fact.type is FactType.CHOICE:
        word = stripped.lower()
        if word.isdigit() and 1 <= int(word) <= len(fact.values):
            chosen = fact.values[int(word) - 1]
            return chosen, f"({word} = {chosen})"
        starting = [v for v in fact.values if v.startswith(word.replace(" ", "_").replace("-", "_"))]
        if len(starting) == 1 and word:
            return starting[0], None
        more = did_you_mean(suggest(word, fact.values))
        return ValueProblem(
            f"'{stripped}' is not an answer here{more}: type a number 1-{len(fact.values)} or a name, or 'unknown'"
        )
    if fact.type is FactType.BOOLEAN:
        return ValueProblem("answer yes or no (or 'unknown')")
    if value.out_of_range:
        return ValueProblem(f"{stripped} is out of range: type {fact.describe_domain()} (or 'unknown')")
    return ValueProblem(f"type {fact.describe_domain()} (or 'unknown')")


def _did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` / `` (did you mean 'x' or 'y'?)`` or "" for ``word``: names
    that contain it, else the closest one."""
    lowered = word.lower()
    containing = [c for c in candidates if lowered and lowered in c]
    if not containing:
        close = suggest(word, candidates)
        containing = [close] if close else []
    return did_you_mean(*containing[:3])


def parse_input(text: str, fact: Fact | None, kb: KnowledgeBase) -> Parsed:
    """Read one line typed at a prompt; ``fact`` is the question asked (None after the plan)."""
    stripped = text.strip()
    word = stripped.lower()
    first, _, rest = word.partition(" ")
    if word in ("quit", "exit", "q"):
        return Parsed(command="quit")
    if word in ("?", "help", "h"):
        return Parsed(command="help")
    if word.startswith("why not"):
        advice_id = stripped[len("why not"):].strip()
        if not advice_id:
            return Parsed(error="why not which advice? for example: why not open_dispute (Tab lists them)")
        if advice_id not in kb.advice:
            return Parsed(error=f"no advice '{advice_id}'{_did_you_mean(advice_id, list(kb.advice))}")
        return Parsed(command="why_not", argument=advice_id)
    if word.startswith("what if"):
        change = stripped[len("what if"):].strip()
        if "=" not in change:
            return Parsed(error="what if which fact? for example: what if days_left=-20")
        return Parsed(command="what_if", argument=change)
    if word in ("why all", "why *"):
        return Parsed(command="why", argument="all")
    if word in ("why", "back", "how", "restart"):
        return Parsed(command=word)
    if first == "change":
        name = rest.strip()
        askable = [f.name for f in kb.facts.values() if f.askable]
        if not name:
            return Parsed(error="change which answer? for example: change days_left")
        if name not in askable:
            return Parsed(error=f"no question '{name}'{did_you_mean(suggest(name, askable))}")
        return Parsed(command="change", argument=name)
    if fact is None:
        return Parsed(error="type how, why not ADVICE, what if FACT=VALUE, change FACT, back, restart or quit")
    if word in _UNKNOWN_WORDS:
        return Parsed(answer=UNKNOWN)
    value = _interpret(fact, kb, stripped)
    if isinstance(value, ValueProblem):
        return Parsed(error=value.message)
    return Parsed(answer=value[0], note=value[1])

