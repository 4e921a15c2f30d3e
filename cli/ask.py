"""``orderdoctor ask``: the interactive consultation.

One question at a time, chosen by the engine's planner, until the advice
cannot change any more; then the plan. At any prompt: ``?``/``help``,
``why`` (``why all``), ``why not ADVICE``, ``what if FACT=VALUE``, ``back``,
``change FACT``, ``how``, ``restart``, ``quit``. On a terminal it runs on
prompt-toolkit (Tab completion with descriptions, answers checked as you
type them, history, colours that follow the terminal and ``NO_COLOR``);
otherwise it reads one answer per line and prints plain text, so it can be
scripted. Every line is wrapped to the terminal's width (at least 40
columns), between words.

Answers are saved after each one, with the date, to a session file (write,
then rename), which ``--resume`` continues and ``--answers`` replays; a
session resumed on a later day has its countdowns brought up to that day.
A new consultation never overwrites an unfinished one: it offers to
continue it (on a terminal) or keeps it aside as ``*.previous.json``. When
answers cannot be saved, it says so once and goes on. "Today" is passed
in (:class:`AskSession`'s ``today``), never read implicitly.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shlex
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style
from prompt_toolkit.validation import ValidationError, Validator

from orderdoctor.engine import (
    AdviceKind,
    Fact,
    FactType,
    KnowledgeBase,
    KnowledgeBaseErrors,
    load_cases,
    load_knowledge_base,
)
from orderdoctor.engine import FactInputErrors, suggest
from orderdoctor.engine import WhatIf, WhyNot, describe_comparison, explain_what_if, explain_why_not
from orderdoctor.engine import ValueProblem, check_value, convert_text, validate_facts
from orderdoctor.engine import release
from orderdoctor.engine import Interview, clock_of
from orderdoctor.engine import load_lint_config
from orderdoctor.engine import UNKNOWN, Answer, Question, Reason

from . import render
from .explain import build_explanation, render_explanation

__all__ = [
    "AskSession",
    "MAX_SESSION_BYTES",
    "Parsed",
    "PlainTerminal",
    "PromptTerminal",
    "STYLE",
    "default_session_path",
    "parse_input",
    "previous_path",
    "read_session",
    "write_session",
]

STYLE = Style.from_dict(
    {
        "greeting": "bold",
        "question": "bold",
        "number": "ansicyan",
        "choice": "ansicyan",
        "hint": "ansibrightblack",
        "warning": "bold ansired",
        "step": "bold ansigreen",
        "title": "bold",
        "note": "bold ansiblue",
        "error": "ansired",
    }
)

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
#: How many rules ``why`` shows, and how much advice for each (``why all`` shows everything).
WHY_RULES = 3
WHY_LEADS = 3
#: Session files are small (one line per answer); anything bigger is not one.
MAX_SESSION_BYTES = 1 << 20
#: The longest answer line read from a pipe; a longer one is skipped (bounded reads), and input
#: whose line goes on past :data:`MAX_SKIPPED_CHARS` ends the reading.
MAX_ANSWER_CHARS = 4096
MAX_SKIPPED_CHARS = 1 << 20
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
        hint = suggest(word, fact.values)
        more = f" (did you mean '{hint}'?)" if hint else ""
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
    if not containing:
        return ""
    shown = [f"'{c}'" for c in containing[:3]]
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f" (did you mean {listed}?)"


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
            hint = suggest(name, askable)
            more = f" (did you mean '{hint}'?)" if hint else ""
            return Parsed(error=f"no question '{name}'{more}")
        return Parsed(command="change", argument=name)
    if fact is None:
        return Parsed(error="type how, why not ADVICE, what if FACT=VALUE, change FACT, back, restart or quit")
    if word in _UNKNOWN_WORDS:
        return Parsed(answer=UNKNOWN)
    value = _interpret(fact, kb, stripped)
    if isinstance(value, ValueProblem):
        return Parsed(error=value.message)
    return Parsed(answer=value[0], note=value[1])


# ------------------------------------------------------------------- terminals
class Terminal(Protocol):
    """Where the conversation happens."""

    interactive: bool

    def say(self, fragments: Sequence[tuple[str, str]]) -> None: ...

    def ask(self, prompt: str, fact: Fact | None) -> str: ...

    def confirm(self, prompt: str, default: bool = False) -> bool: ...


def _yes(answer: str, default: bool) -> bool:
    word = answer.strip().lower()
    if not word:
        return default
    return word in ("y", "yes")


class PlainTerminal:
    """Answers one per line from a stream; plain text out (for pipes and scripts)."""

    interactive = False

    def __init__(self, kb: KnowledgeBase, stdin: TextIO, stdout: TextIO) -> None:
        self.kb = kb
        self.stdin = stdin
        self.stdout = stdout

    def say(self, fragments: Sequence[tuple[str, str]]) -> None:
        self.stdout.write("".join(text for _, text in fragments))

    def ask(self, prompt: str, fact: Fact | None) -> str:
        self.stdout.write(prompt)
        line = self.stdin.readline(MAX_ANSWER_CHARS + 1)
        if not line:
            self.stdout.write("\n")
            raise EOFError
        if len(line) > MAX_ANSWER_CHARS and not line.endswith("\n"):
            # no answer is this long: skip the rest of the line (in bounded pieces); input with no
            # line end in sight (a binary file, /dev/zero) is not answers at all
            skipped = len(line)
            while not line.endswith("\n") and (line := self.stdin.readline(1 << 16)):
                skipped += len(line)
                if skipped > MAX_SKIPPED_CHARS:
                    self.stdout.write("\n(The input is not answers: a line of more than 1 MiB. Stopping.)\n")
                    raise EOFError
            answer = line_too_long = f"(a line of {skipped:,} characters)"
            self.stdout.write(line_too_long + "\n")
            return answer
        answer = line.rstrip("\r\n")
        self.stdout.write(render.printable(answer) + "\n")
        return answer

    def confirm(self, prompt: str, default: bool = False) -> bool:
        return _yes(self.ask(prompt + (" [Y/n] " if default else " [y/N] "), None), default)


class _Completer(Completer):
    """Tab: the choices (with their meaning) and the commands; after ``change `` the questions,
    after ``why not `` the advice ids (with titles), after ``what if `` the facts and, after
    ``FACT=``, that fact's values."""

    def __init__(self, kb: KnowledgeBase, fact: Fact | None) -> None:
        self.kb = kb
        self.fact = fact

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        typed = document.text_before_cursor
        word = typed.lower()
        if word.startswith("change "):
            part = word[len("change "):]
            for fact in self.kb.facts.values():
                if fact.askable and fact.name.startswith(part):
                    yield Completion(fact.name, -len(part), display_meta=fact.description)
            return
        if word.startswith("why not "):
            part = typed[len("why not "):].lstrip()
            for advice in self.kb.advice.values():
                if advice.id.startswith(part):
                    yield Completion(advice.id, -len(part), display_meta=advice.title)
            return
        if word.startswith("what if "):
            part = typed[len("what if "):].lstrip()
            name, equals, value = part.partition("=")
            if not equals:
                for fact in self.kb.facts.values():
                    if fact.askable and fact.name.startswith(name):
                        yield Completion(fact.name + "=", -len(part), display=fact.name, display_meta=fact.description)
                return
            fact = self.kb.facts.get(name.strip())
            if fact is None:
                return
            for text, meta in _answer_options(fact):
                if text.startswith(value.strip()):
                    yield Completion(text, -len(value), display_meta=meta)
            return
        options = _answer_options(self.fact) if self.fact is not None else []
        options += list(COMMANDS.items())
        for text, meta in options:
            if text.startswith(word):
                yield Completion(text, -len(typed), display_meta=meta)


def _answer_options(fact: Fact) -> list[tuple[str, str]]:
    if fact.type is FactType.CHOICE:
        return [(c.value, c.help) for c in fact.choices]
    if fact.type is FactType.BOOLEAN:
        return [("yes", ""), ("no", "")]
    return []


class _Validator(Validator):
    def __init__(self, kb: KnowledgeBase, fact: Fact | None) -> None:
        self.kb = kb
        self.fact = fact

    def validate(self, document: Document) -> None:
        parsed = parse_input(document.text, self.fact, self.kb)
        if parsed.error:
            message = fit_one_line(render.printable(parsed.error), _prompt_columns() - 1)
            raise ValidationError(message=message, cursor_position=len(document.text))


def _prompt_columns() -> int:
    """The width of the terminal the prompt is on (the validation line is one line high)."""
    from prompt_toolkit.application.current import get_app_or_none

    app = get_app_or_none()
    if app is not None:
        try:
            return app.output.get_size().columns
        except Exception:  # noqa: BLE001 - a test's output may not know its size
            pass
    return render.terminal_columns()


def fit_one_line(message: str, width: int) -> str:
    """``message`` in at most ``width`` characters, keeping what matters most: the whole of it;
    else the part before its ``: `` (what is wrong); else just its did-you-mean; else cut with …."""
    match = re.search(r"\(did you mean [^)]*\)", message)
    for candidate in (message, message.split(": ", 1)[0], match.group(0)[1:-1].capitalize() if match else ""):
        if candidate and len(candidate) <= width:
            return candidate
    return message[: max(width - 1, 1)] + "…"


class _AnyAnswer(Validator):
    """Accepts every line (a yes/no question); given explicitly, because prompt-toolkit reads
    ``validator=None`` as "keep the previous prompt's validator"."""

    def validate(self, document: Document) -> None:
        return None


class _YesNo(Completer):
    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        typed = document.text_before_cursor.lower()
        for text in ("yes", "no"):
            if text.startswith(typed):
                yield Completion(text, -len(typed))


class PromptTerminal:
    """A real prompt (prompt-toolkit): completion, validation in place, history, colours."""

    interactive = True

    def __init__(self, kb: KnowledgeBase, input: Input | None = None, output: Output | None = None) -> None:
        self.kb = kb
        self.output = output
        self.session: PromptSession[str] = PromptSession(history=InMemoryHistory(), input=input, output=output)

    def say(self, fragments: Sequence[tuple[str, str]]) -> None:
        print_formatted_text(FormattedText(list(fragments)), style=STYLE, output=self.output, end="")

    def ask(self, prompt: str, fact: Fact | None) -> str:
        return self.session.prompt(
            FormattedText([("class:question", prompt)]),
            completer=_Completer(self.kb, fact),
            complete_while_typing=False,
            validator=_Validator(self.kb, fact),
            validate_while_typing=False,
            style=STYLE,
        )

    def confirm(self, prompt: str, default: bool = False) -> bool:
        answer = self.session.prompt(
            prompt + (" [Y/n] " if default else " [y/N] "),
            completer=_YesNo(),
            validator=_AnyAnswer(),
            style=STYLE,
        )
        return _yes(answer, default)


# ------------------------------------------------------------------ watching
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


# -------------------------------------------------------------- session files
def default_session_path() -> Path:
    """Where answers are saved unless ``--save`` says otherwise: the user's state folder, by the
    platform's convention (``$XDG_STATE_HOME`` or ``~/.local/state`` on Linux)."""
    from orderdoctor.engine import user_state_dir

    return user_state_dir() / "session.json"


def write_session(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically, a new file private to the user (cli/output.py:
    a device, FIFO or folder is never replaced); OutputError, an OSError, when it cannot be."""
    from .output import as_output_error, write_output

    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    folder = default_session_path().parent
    if path.parent == folder:  # our own state folder is ours to make; a --save FILE's is not
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise as_output_error(str(path), exc) from None
    write_output(path, text, private=True)


def read_session(path: Path) -> Any:
    """The JSON data of a session file; OSError / ValueError when unreadable.

    Read through the engine's one bounded reader (only a regular file, at most
    :data:`MAX_SESSION_BYTES`; a FIFO or a device is refused before it is opened);
    JSON nested too deep for the parser is a ValueError.
    """
    from orderdoctor.engine import UnreadableFileError
    from orderdoctor.engine import read_file_bytes

    if not os.path.lexists(path):
        raise FileNotFoundError(path)
    try:
        raw = read_file_bytes(path, str(path), limit=MAX_SESSION_BYTES)
    except UnreadableFileError as exc:
        raise ValueError(exc.message) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def previous_path(path: Path) -> Path:
    """Where an unfinished session is kept aside: ``session.json`` → ``session.previous.json``,
    or ``session.previous-2.json`` (and so on) when that is taken, so nothing kept is lost."""
    suffix = path.suffix or ".json"
    candidate = path.with_name(f"{path.stem}.previous{suffix}")
    number = 2
    while os.path.lexists(candidate) and number < 1000:
        candidate = path.with_name(f"{path.stem}.previous-{number}{suffix}")
        number += 1
    return candidate


def _unfinished(path: Path) -> dict[str, Any] | None:
    """The data of the session at ``path`` if it is unfinished and has answers; None when there
    is none, it is finished, or it is not a regular file (left to the writer to refuse)."""
    try:
        data = read_session(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError):
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError:
            return None
        return {"answers": ["(unreadable)"], NOT_A_SESSION: True} if regular else None
    if isinstance(data, dict) and data.get("finished") is True:
        return None
    if isinstance(data, dict) and isinstance(data.get("answers"), list) and not data["answers"]:
        return None
    if isinstance(data, dict) and (data.get("format") is not None or isinstance(data.get("answers"), list)):
        return data
    return {"answers": ["(not a session)"], NOT_A_SESSION: True}


#: Marks what :func:`_unfinished` found when the file is not a saved consultation at all.
NOT_A_SESSION = "(not a session file)"


# ---------------------------------------------------------------- the session
def _day(day: datetime.date, today: datetime.date | None = None) -> str:
    """``Mon 23 Nov``, with the year when it is not ``today``'s (``Mon 01 Jan 0001``)."""
    if today is not None and day.year != today.year:
        return f"{day:%a %d %b} {day.year:04d}"
    return f"{day:%a %d %b}"


def _listed(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class AskSession:
    """One run of ``orderdoctor ask`` over a terminal, on the day ``today`` (deadlines count
    from it; a resumed session's countdowns were brought up to it). Unless ``resuming``, an
    unfinished session already at ``save_path`` is offered for continuing (on a terminal) and
    otherwise kept aside before the first answer is saved."""

    def __init__(
        self,
        kb: KnowledgeBase,
        terminal: Terminal,
        interview: Interview | None = None,
        save_path: Path | None = None,
        width: int | None = None,
        *,
        today: datetime.date,
        resuming: bool = False,
    ) -> None:
        self.kb = kb
        self.terminal = terminal
        self.today = today
        self.interview = interview or Interview(kb, today=today)
        self.interview.today = today
        self.save_path = save_path
        self._width = width
        self.plan_shown = False
        self.watch = False
        self._signature = kb_signature(kb.root)
        self._last_shown: tuple[str, int] | None = None
        self._check_previous = not resuming and save_path is not None
        self._dirty = bool(self.interview.answers)
        self._save_problem: str | None = None
        self._saved = False
        self._quitting = False

    @property
    def width(self) -> int:
        """The width lines are wrapped to (the terminal's, looked up each time: it may change)."""
        return self._width or render.text_width()

    # ------------------------------------------------------------- output
    def say(self, text: str, style: str = "") -> None:
        """``text`` wrapped to the width, each line continuing under its own indentation."""
        self.terminal.say([(style, render.wrap_block(text, self.width) + "\n")])

    def error(self, text: str) -> None:
        self.say(render.printable(text), "class:error")

    def save(self) -> None:
        """Save the answers; when that fails, say why once and go on (never lose the session)."""
        if self.save_path is None or not self._dirty:
            return
        if self._check_previous:
            self._check_previous = False
            if not self._keep_previous_aside():
                return
        try:
            write_session(self.save_path, self.interview.to_data())
        except OSError as exc:
            self._cannot_save(exc)
            return
        self._dirty = False
        self._saved = True
        self._save_problem = None

    def _cannot_save(self, exc: OSError) -> None:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if self._save_problem is None:
            self.say(
                f"Your answers cannot be saved to {render.printable(str(self.save_path))}: {reason}. "
                "The consultation goes on; only --resume will not have them.",
                "class:error",
            )
        self._save_problem = reason

    def _keep_previous_aside(self) -> bool:
        """Move an unfinished session at the save path to ``*.previous.json`` (and say so);
        False when it had to stay, so that nothing is written over it."""
        assert self.save_path is not None
        found = _unfinished(self.save_path)
        if found is None:
            return True
        aside = previous_path(self.save_path)
        try:
            os.replace(self.save_path, aside)
        except OSError as exc:
            self._cannot_save(exc)
            self._check_previous = True
            return False
        if found.get(NOT_A_SESSION):
            self.say(
                f"{render.printable(str(self.save_path))} held something that is not a saved consultation; "
                f"it was kept as {render.printable(str(aside))}.",
                "class:hint",
            )
            return True
        self.say(
            f"Your unfinished consultation was kept as {render.printable(str(aside))} "
            f"('{self._resume_command(aside)}' continues it).",
            "class:hint",
        )
        return True

    def _resume_command(self, path: Path) -> str:
        if path == default_session_path():
            return "orderdoctor ask --resume"
        return f"orderdoctor ask --resume --save {shlex.quote(str(path))}"

    def greet(self) -> None:
        self.say(
            "orderdoctor: a few questions about your order, then a plan. "
            "Type ? for help, why to know why I ask, back to undo.",
            "class:greeting",
        )

    def question_text(self, question: Question) -> list[tuple[str, str]]:
        fact = question.fact
        width = self.width
        number = f"[{len(self.interview.answers) + 1}] "
        lines = render.wrap(fact.question or fact.name, width, number, " " * len(number))
        fragments: list[tuple[str, str]] = [("", "\n"), ("class:number", number)]
        fragments.append(("class:question", lines[0][len(number):] + "\n"))
        fragments += [("class:question", line + "\n") for line in lines[1:]]
        if fact.type is FactType.CHOICE:
            fragments += self._choice_lines(fact, width)
            hint = "a number or a name"
        elif fact.type is FactType.BOOLEAN:
            hint = "yes or no"
        else:
            hint = fact.describe_domain()
        text = f"({hint}; 'unknown' if you don't know; ? for help)"
        fragments += [("class:hint", line + "\n") for line in render.wrap(text, width, "  ", "   ")]
        return fragments

    @staticmethod
    def _choice_lines(fact: Fact, width: int) -> list[tuple[str, str]]:
        """``  1 name   meaning``, the meaning wrapped in its column; on a narrow screen the
        meaning goes under the name."""
        fragments: list[tuple[str, str]] = []
        names = max(len(v) for v in fact.values)
        column = 4 + 1 + names + 2
        beside = width - column >= 20
        for index, choice in enumerate(fact.choices, 1):
            fragments.append(("class:number", f"  {index:>2} "))
            if beside:
                fragments.append(("class:choice", choice.value.ljust(names) if choice.help else choice.value))
                helps = render.wrap(choice.help, width - column) if choice.help else []
                fragments.append(("", f"  {helps[0]}\n" if helps else "\n"))
                fragments += [("", " " * column + line + "\n") for line in helps[1:]]
            else:
                fragments.append(("class:choice", choice.value + "\n"))
                if choice.help:
                    fragments += [("", line + "\n") for line in render.wrap(choice.help, width, " " * 7)]
        return fragments

    def show_plan(self, partial: bool = False) -> None:
        result = self.interview.plan().result
        self.say("")
        if partial:
            self.say("The answers ended before all questions were asked; this plan uses what you told me:", "class:greeting")
        else:
            self.say("Here is what to do:", "class:greeting")
        self.terminal.say(render.plan_fragments(result, self.width, self.today))
        unknown = self.interview.plan().unknown
        if unknown:
            self.say("")
            self.say(
                f"You did not know: {', '.join(unknown)}. If you find out, type change FACT "
                "(for example: change " + unknown[0] + ") and the plan is worked out again.",
                "class:hint",
            )
        self.say("")
        self.say(
            "Type how to see how I got there, why not ADVICE, what if FACT=VALUE, change FACT to revise "
            "an answer, restart, or quit.",
            "class:hint",
        )

    def show_help(self, fact: Fact | None) -> None:
        commands = "Commands: " + "; ".join(f"{name}: {what}" for name, what in COMMANDS.items()) + "."
        if fact is None:
            self.say(commands, "class:hint")
            return
        self.say(f"{fact.question} — {fact.description}")
        if fact.help:
            self.say(fact.help)
        for index, choice in enumerate(fact.choices, 1):
            self.say(f"  {index:>2}. {choice.value}: {choice.help}" if choice.help else f"  {index:>2}. {choice.value}")
        self.say(commands, "class:hint")

    @staticmethod
    def _ranked(reasons: Sequence[Reason]) -> list[Reason]:
        """The rules that matter most first: those on which the most advice still hangs (what
        they give and what the facts they derive can lead to), then by priority; then the
        order the planner gave."""

        def key(item: tuple[int, Reason]) -> tuple[int, int, int]:
            position, reason = item
            return (-len(reason.could_give), -reason.rule.priority, position)

        return [reason for _, reason in sorted(enumerate(reasons), key=key)]

    def _titles(self, advice_ids: Iterable[str]) -> str:
        return "; ".join(f'"{self.kb.advice[a].title}"' for a in advice_ids if a in self.kb.advice)

    def show_why(self, question: Question | None, every: bool = False) -> None:
        if question is None:
            self.say("The advice is complete: no answer to another question would change it. Type how to see why.")
            return
        if question.for_deadline:
            self.say(
                "The advice is settled; I ask so that the plan can say by when to act on "
                f"{self._titles(question.for_deadline)}."
            )
            return
        if not question.reasons:
            self.say("You asked to change this answer.")
            return
        ranked = self._ranked(question.reasons)
        shown = ranked if every else ranked[:WHY_RULES]
        count = len(ranked)
        if every:
            self.say(f"I ask this because your answer can change the advice. All {count} rules that need it:")
        elif count == 1:
            self.say("I ask this because your answer can change the advice. The rule that needs it:")
        else:
            self.say("I ask this because your answer can change the advice. The rules that matter most:")
        for reason in shown:
            leads = reason.could_give if every else reason.could_give[:WHY_LEADS]
            more = len(reason.could_give) - len(leads)
            lead = f" It can lead to: {self._titles(leads)}" if leads else ""
            lead += f" (and {more} more)." if more else "." if leads else ""
            self.say(f"- {reason.rule.description}{lead}")
        if len(shown) < count:
            rest = count - len(shown)
            self.say(f"({rest} more rule{'s' if rest != 1 else ''} need{'' if rest != 1 else 's'} the answer; type why all to see every one.)", "class:hint")

    def show_how(self) -> None:
        result = self.interview.plan().result
        if not result.trace:
            self.say("No rule has fired yet: nothing is concluded so far.")
            return
        text = render_explanation(build_explanation(self.kb, result), "text")
        self.say(text.split("\n\n", 1)[1].split("\nRules fired", 1)[0].rstrip("\n"))

    def show_why_not(self, advice_id: str) -> None:
        why = explain_why_not(self.kb, self.interview.plan().result, advice_id)
        self.say(self._why_not_text(why))

    def _why_not_text(self, why: WhyNot) -> str:
        advice = self.kb.advice[why.advice_id]
        head = f'Why not "{advice.title}"?'
        if why.given_by is not None:
            return f"{head} It is advised: it is in your plan."
        if why.replaced_by is not None:
            return f"{head} A rule gives it, but {self._titles([why.replaced_by])} takes its place in your plan."
        if not why.checks:
            return f"{head} No rule gives this advice."
        count = len(why.checks)
        lines = [f"{head} It is not advised. {count} rule{'s' if count != 1 else ''} could give it:"]
        for check in why.checks:
            lines.append(f"- {check.rule.description}")
            if check.failed is not None:
                lines.append(f"  It does not apply: {describe_comparison(check.failed)}.")
            elif check.undecided:
                asked = [
                    f'"{self.kb.facts[name].question}"' if self.kb.facts[name].askable else name
                    for name in check.undecided
                ]
                lines.append(f"  Not decided yet: it needs {_listed(asked)}.")
            elif check.holds:
                lines.append("  It applies" + (", and it fired." if check.fired else "."))
        return "\n".join(lines)

    def show_what_if(self, change: str) -> None:
        name, _, value = change.partition("=")
        name = name.strip()
        try:
            validate_facts(self.kb, {name: value.strip()})
            what = explain_what_if(self.kb, self.interview.known, {name: value.strip()})
        except FactInputErrors as exc:
            for error in exc.errors:
                self.error(error.message + (f" (did you mean '{error.suggestion}'?)" if error.suggestion else ""))
            return
        self.say(self._what_if_text(what))
        self.say(f"(Nothing was changed. To keep it, type: change {name})", "class:hint")

    def _what_if_text(self, what: WhatIf) -> str:
        before = what.before.given
        changes = ", ".join(
            f"{n} = {render.format_value(v)} (was {render.format_value(before[n]) if n in before else 'not known'})"
            for n, v in what.changes.items()
        )
        lines = [f"What if {changes}?"]
        if not what.changed:
            lines.append("The advice would stay the same.")
            return "\n".join(lines)
        if what.added:
            lines.append(f"The plan would gain: {self._titles(what.added)}.")
        if what.removed:
            lines.append(f"It would lose: {self._titles(what.removed)}.")
        if what.reordered and not (what.added or what.removed):
            lines.append("The same advice would come in another order.")
        lines.append("The plan would then be:")
        number = 0
        for entry in what.after.advice:
            if entry.kind is AdviceKind.ACTION:
                number += 1
                label = f"{number}."
            else:
                label = "WARNING:" if entry.kind is AdviceKind.WARNING else "Note:"
            lines.append(f"  {label} {entry.advice.title}")
        return "\n".join(lines)

    # ------------------------------------------------------------- reload
    def reload_if_changed(self) -> None:
        """With --watch: when a kb file changed, switch to the new rules if they load and
        `kb check` finds no errors; otherwise keep the old ones and show the errors."""
        signature = kb_signature(self.kb.root)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            new_kb = load_knowledge_base(self.kb.root)
            load_cases(new_kb)
            load_lint_config(new_kb)
        except KnowledgeBaseErrors as exc:
            self.say("The knowledge base changed but has errors; still using the previous rules:", "class:error")
            for error in exc.errors:
                self.error(f"  {error.format()}")
            return
        answers = []
        for name, value in self.interview.answers:
            fact = new_kb.facts.get(name)
            if fact is not None and fact.askable and (value is UNKNOWN or check_value(fact, value) == value):
                answers.append((name, value))
        old_kb = self.kb
        self.kb = new_kb
        self.interview = Interview(new_kb, answers, today=self.today)
        release(old_kb)
        self.changed()
        self.say(f"Knowledge base reloaded ({len(new_kb.rules)} rules); your answers were worked out again.", "class:hint")

    # ------------------------------------------------------------ resuming
    def offer_unfinished(self) -> None:
        """On a terminal, when not resuming and an unfinished session is saved: offer to go on."""
        if not (self._check_previous and self.terminal.interactive and self.save_path is not None):
            return
        if self.interview.answers:  # --answers FILE: those are the answers to go on with
            return
        data = _unfinished(self.save_path)
        answers = data.get("answers") if data else None
        if not data or data.get("format") is None or not isinstance(answers, list):
            return
        dates = sorted(a["date"] for a in answers if isinstance(a, dict) and isinstance(a.get("date"), str))
        when = ""
        if dates:
            try:
                when = f" on {_day(datetime.date.fromisoformat(dates[-1]), self.today)}"
            except ValueError:
                when = ""
        count = len(answers)
        self.say(f"You have an unfinished consultation, saved{when} ({count} answer{'s' if count != 1 else ''}).")
        try:
            go_on = self.terminal.confirm("Continue it?", default=True)
        except (KeyboardInterrupt, EOFError):
            go_on = False
        if not go_on:
            self.say("Starting a new one; the unfinished one is kept aside when your first answer is saved.", "class:hint")
            return
        try:
            interview = Interview.from_data(self.kb, data, str(self.save_path), today=self.today)
        except FactInputErrors as exc:
            self.error(f"It cannot be continued ({exc.errors[0].message}); starting a new one.")
            return
        self.interview = interview
        self._check_previous = False

    def tell_aging(self) -> None:
        """One line on what the days since the answers were given changed."""
        aging = self.interview.aging
        if aging is None:
            return
        if aging.answered_on is None:
            self.say("Your saved answers have no date (an older session file), so I take them as given today.", "class:hint")
            return
        days = aging.days
        if days <= 0:
            return
        passed = f"{days} day{'s' if days != 1 else ''} {'have' if days != 1 else 'has'} passed"
        if aging.changes:
            moved = _listed([f"{name} is now {new} (was {old})" for name, old, new in aging.changes])
            self.say(f"You answered on {_day(aging.answered_on, aging.today)}; {passed}, so {moved}.", "class:hint")
        else:
            self.say(f"You answered on {_day(aging.answered_on, aging.today)}; {passed}, which changes none of your answers.", "class:hint")

    # --------------------------------------------------------------- loop
    def run(self) -> int:
        self.greet()
        self.offer_unfinished()
        self.tell_aging()
        if self.interview.answers:
            given = ", ".join(f"{n}={'unknown' if v is UNKNOWN else render.format_value(v)}" for n, v in self.interview.answers)
            self.say(f"Continuing with your answers so far: {given}", "class:hint")
        interrupted = False
        while True:
            if self.watch:
                self.reload_if_changed()
            question = self.interview.next_question()
            if question is None and not self.plan_shown:
                self.show_plan()
                self.plan_shown = True
                self.save()
            if question is not None:
                key = (question.fact.name, len(self.interview.answers))
                if key != self._last_shown:
                    self.terminal.say(self.question_text(question))
                    self._last_shown = key
                prompt = "> "
            else:
                prompt = "orderdoctor> "
            fact = question.fact if question else None
            try:
                text = self.terminal.ask(prompt, fact)
            except KeyboardInterrupt:
                if interrupted:
                    try:
                        if self.terminal.confirm("Quit?"):
                            return self.quit()
                    except (KeyboardInterrupt, EOFError):
                        return self.quit()
                    interrupted = False
                    continue
                interrupted = True
                self.say("(Question cancelled. Press Ctrl-C again to quit, or answer.)", "class:hint")
                continue
            except EOFError:
                if question is not None and not self.terminal.interactive:
                    self.show_plan(partial=True)
                return self.quit()
            interrupted = False
            self.handle(parse_input(text, fact, self.kb), question)
            if self._quitting:
                return self.quit()

    def handle(self, parsed: Parsed, question: Question | None) -> None:
        """Act on one line read at the prompt of ``question`` (None after the plan)."""
        fact = question.fact if question else None
        if parsed.error:
            self.error(parsed.error)
        elif parsed.command == "quit":
            self._quitting = True
        elif parsed.command == "help":
            self.show_help(fact)
        elif parsed.command == "why":
            self.show_why(question, every=parsed.argument == "all")
        elif parsed.command == "how":
            self.show_how()
        elif parsed.command == "why_not":
            assert parsed.argument is not None
            self.show_why_not(parsed.argument)
        elif parsed.command == "what_if":
            assert parsed.argument is not None
            self.show_what_if(parsed.argument)
        elif parsed.command == "back":
            undone = self.interview.back()
            if undone is None:
                self.say("There is no answer to take back yet.")
            else:
                shown = "unknown" if undone[1] is UNKNOWN else render.format_value(undone[1])
                self.say(f"Took back your answer {undone[0]} = {shown}.", "class:hint")
                self.changed()
        elif parsed.command == "change":
            assert parsed.argument is not None
            self.interview.revise(parsed.argument)
            self.changed()
        elif parsed.command == "restart":
            self.interview.restart()
            self.say("Starting over.", "class:hint")
            self.changed()
        elif question is not None and parsed.answer is not None:
            if parsed.note:
                self.say(parsed.note, "class:hint")
            self.interview.answer(question.fact.name, parsed.answer)
            self.changed()

    def changed(self) -> None:
        self.plan_shown = False
        self._last_shown = None
        self._dirty = True
        self.save()

    def quit(self) -> int:
        self.save()
        if self.save_path is not None and self.terminal.interactive and self._saved and self._save_problem is None:
            self.say(
                f"Your answers are saved in {render.printable(str(self.save_path))}; "
                f"'{self._resume_command(self.save_path)}' continues.",
                "class:hint",
            )
        return 0
