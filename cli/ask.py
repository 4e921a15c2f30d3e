"""``orderdoctor ask``: the interactive consultation.

One question at a time, chosen by the engine's planner, until the advice
cannot change any more; then the plan. At any prompt: ``?``/``help``,
``why``, ``back``, ``change FACT``, ``how``, ``restart``, ``quit``. On a
terminal it runs on prompt-toolkit (Tab completion with descriptions,
answers checked as you type them, history, colours that follow the
terminal and ``NO_COLOR``); otherwise it reads one answer per line and
prints plain text, so it can be scripted. Answers are saved after each one
to a session file (write, then rename), which ``--resume`` continues and
``--answers`` replays.
"""

from __future__ import annotations

import json
import os
import tempfile
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
    Fact,
    FactType,
    KnowledgeBase,
    KnowledgeBaseErrors,
    load_cases,
    load_knowledge_base,
)
from orderdoctor.engine.inference import release
from orderdoctor.engine.loader import load_lint_config
from orderdoctor.engine.errors import FactInputErrors, suggest
from orderdoctor.engine.explanation import explain_what_if, explain_why_not
from orderdoctor.engine.facts import ValueProblem, check_value, convert_text, validate_facts
from orderdoctor.engine.interview import Interview
from orderdoctor.engine.planner import UNKNOWN, Answer, Question

from . import render
from .explain import build_explanation, render_explanation

__all__ = [
    "AskSession",
    "Parsed",
    "PlainTerminal",
    "PromptTerminal",
    "STYLE",
    "default_session_path",
    "parse_input",
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

#: Commands understood at every prompt, with what they do (shown by Tab completion).
COMMANDS = {
    "why": "why I ask this question",
    "back": "undo your last answer",
    "change": "change an earlier answer: change FACT",
    "how": "how the advice so far was reached",
    "why not": "why some advice was not given: why not ADVICE_ID",
    "what if": "what would change: what if FACT=VALUE",
    "restart": "start over",
    "quit": "stop here (your answers are saved)",
    "unknown": "you don't know: go on without it",
    "help": "explain the question and its answers",
}
_UNKNOWN_WORDS = {"", "unknown", "?unknown", "dont know", "don't know", "idk", "not sure", "n/a"}


@dataclass(frozen=True)
class Parsed:
    """What one line of input means: an answer, a command (with argument), or an error."""

    answer: Answer | None = None
    command: str | None = None
    argument: str | None = None
    error: str | None = None


def _interpret(fact: Fact, text: str) -> Answer | ValueProblem:
    """A value for ``fact`` from ``text``, or the problem saying what is allowed."""
    value = convert_text(fact, text)
    if not isinstance(value, ValueProblem):
        return value
    if fact.type is FactType.CHOICE:
        word = text.strip().lower()
        if word.isdigit() and 1 <= int(word) <= len(fact.values):
            return fact.values[int(word) - 1]
        starting = [v for v in fact.values if v.startswith(word.replace(" ", "_").replace("-", "_"))]
        if len(starting) == 1:
            return starting[0]
        hint = suggest(word, fact.values)
        more = f" (did you mean '{hint}'?)" if hint else ""
        return ValueProblem(
            f"'{text.strip()}' is not an answer here{more}: type a number 1-{len(fact.values)} or a name, or 'unknown'"
        )
    if fact.type is FactType.BOOLEAN:
        return ValueProblem("answer yes or no (or 'unknown')")
    if isinstance(value, ValueProblem) and value.out_of_range:
        return ValueProblem(f"{text.strip()} is out of range: type {fact.describe_domain()} (or 'unknown')")
    return ValueProblem(f"type {fact.describe_domain()} (or 'unknown')")


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
            return Parsed(error="why not which advice? for example: why not open_dispute")
        if advice_id not in kb.advice:
            hint = suggest(advice_id, kb.advice)
            more = f" (did you mean '{hint}'?)" if hint else ""
            return Parsed(error=f"no advice '{advice_id}'{more}")
        return Parsed(command="why_not", argument=advice_id)
    if word.startswith("what if"):
        change = stripped[len("what if"):].strip()
        if "=" not in change:
            return Parsed(error="what if which fact? for example: what if days_left=-20")
        return Parsed(command="what_if", argument=change)
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
        return Parsed(error="type how, change FACT, back, restart or quit")
    if word in _UNKNOWN_WORDS:
        return Parsed(answer=UNKNOWN)
    value = _interpret(fact, stripped)
    if isinstance(value, ValueProblem):
        return Parsed(error=value.message)
    return Parsed(answer=value)


# ------------------------------------------------------------------- terminals
class Terminal(Protocol):
    """Where the conversation happens."""

    interactive: bool

    def say(self, fragments: Sequence[tuple[str, str]]) -> None: ...

    def ask(self, prompt: str, fact: Fact | None) -> str: ...

    def confirm(self, prompt: str) -> bool: ...


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
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            raise EOFError
        answer = line.rstrip("\r\n")
        shown = answer if answer.isprintable() else answer.encode("unicode_escape").decode("ascii")
        self.stdout.write(shown + "\n")
        return answer

    def confirm(self, prompt: str) -> bool:
        return self.ask(prompt + " [y/N] ", None).strip().lower() in ("y", "yes")


class _Completer(Completer):
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
        options: list[tuple[str, str]] = []
        if self.fact is not None and self.fact.type is FactType.CHOICE:
            options += [(c.value, c.help) for c in self.fact.choices]
        elif self.fact is not None and self.fact.type is FactType.BOOLEAN:
            options += [("yes", ""), ("no", "")]
        options += list(COMMANDS.items())
        for text, meta in options:
            if text.startswith(word):
                yield Completion(text, -len(typed), display_meta=meta)


class _Validator(Validator):
    def __init__(self, kb: KnowledgeBase, fact: Fact | None) -> None:
        self.kb = kb
        self.fact = fact

    def validate(self, document: Document) -> None:
        parsed = parse_input(document.text, self.fact, self.kb)
        if parsed.error:
            raise ValidationError(message=parsed.error, cursor_position=len(document.text))


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

    def confirm(self, prompt: str) -> bool:
        answer = self.session.prompt(prompt + " [y/N] ", completer=None, validator=None, style=STYLE)
        return answer.strip().lower() in ("y", "yes")


# ------------------------------------------------------------------ watching
def kb_signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a kb file is edited: every YAML file's path, size and mtime."""
    entries = []
    for path in sorted(Path(root).rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


# -------------------------------------------------------------- session files
def default_session_path() -> Path:
    """Where answers are saved unless ``--save`` says otherwise (XDG state folder)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "orderdoctor" / "session.json"


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
    """The JSON data of a session file; OSError / ValueError when unreadable."""
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the session
class AskSession:
    """One run of ``orderdoctor ask`` over a terminal."""

    def __init__(
        self,
        kb: KnowledgeBase,
        terminal: Terminal,
        interview: Interview | None = None,
        save_path: Path | None = None,
        width: int | None = None,
    ) -> None:
        self.kb = kb
        self.terminal = terminal
        self.interview = interview or Interview(kb)
        self.save_path = save_path
        self.width = width or render.text_width()
        self.plan_shown = False
        self.watch = False
        self._signature = kb_signature(kb.root)
        self._last_shown: tuple[str, int] | None = None

    # ------------------------------------------------------------- output
    def say(self, text: str, style: str = "") -> None:
        self.terminal.say([(style, text + "\n")])

    def save(self) -> None:
        if self.save_path is not None:
            write_session(self.save_path, self.interview.to_data())

    def greet(self) -> None:
        self.say(
            "orderdoctor: a few questions about your order, then a plan. "
            "Type ? for help, why to know why I ask, back to undo.",
            "class:greeting",
        )

    def question_text(self, question: Question) -> list[tuple[str, str]]:
        fact = question.fact
        number = len(self.interview.answers) + 1
        fragments: list[tuple[str, str]] = [("", "\n"), ("class:number", f"[{number}] "), ("class:question", f"{fact.question}\n")]
        if fact.type is FactType.CHOICE:
            width = max(len(v) for v in fact.values)
            for index, choice in enumerate(fact.choices, 1):
                fragments.append(("class:number", f"  {index:>2} "))
                fragments.append(("class:choice", choice.value.ljust(width)))
                fragments.append(("", f"  {choice.help}\n" if choice.help else "\n"))
            hint = "a number or a name"
        elif fact.type is FactType.BOOLEAN:
            hint = "yes or no"
        else:
            hint = fact.describe_domain()
        fragments.append(("class:hint", f"  ({hint}; 'unknown' if you don't know; ? for help)\n"))
        return fragments

    def show_plan(self, partial: bool = False) -> None:
        result = self.interview.plan().result
        self.say("")
        if partial:
            self.say("The answers ended before all questions were asked; this plan uses what you told me:", "class:greeting")
        else:
            self.say("Here is what to do:", "class:greeting")
        self.terminal.say(render.plan_fragments(result, self.width))
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
        if fact is None:
            self.say("Commands: " + "; ".join(f"{name}: {what}" for name, what in COMMANDS.items()), "class:hint")
            return
        self.say(f"{fact.question} — {fact.description}")
        if fact.help:
            self.say(fact.help)
        for index, choice in enumerate(fact.choices, 1):
            self.say(f"  {index:>2} {choice.value}: {choice.help}")
        self.say("Commands: why, back, change FACT, how, restart, quit; 'unknown' if you don't know.", "class:hint")

    def show_why(self, question: Question | None) -> None:
        if question is None:
            self.say("The advice is complete: no answer to another question would change it. Type how to see why.")
            return
        self.say(f"I ask about {question.fact.description[0].lower() + question.fact.description[1:]}")
        if question.for_deadline:
            titles = "; ".join(self.kb.advice[a].title.lower() for a in question.for_deadline)
            self.say(f"The advice is settled; the answer tells by when to act on: {titles}.")
            return
        if not question.reasons:
            self.say("You asked to change this answer.")
            return
        self.say("These rules need the answer:")
        for reason in question.reasons:
            leads = [self.kb.advice[a].title.lower() for a in reason.could_give]
            where = f" → could lead to: {'; '.join(leads)}" if leads else ""
            self.say(f"  - {reason.rule.description} [{reason.rule.id}]{where}")

    def show_how(self) -> None:
        result = self.interview.plan().result
        if not result.trace:
            self.say("No rule has fired yet: nothing is concluded so far.")
            return
        text = render_explanation(build_explanation(self.kb, result), "text")
        self.say(text.split("\n\n", 1)[1].split("\nRules fired", 1)[0].rstrip("\n"))

    def show_why_not(self, advice_id: str) -> None:
        result = self.interview.plan().result
        why = explain_why_not(self.kb, result, advice_id)
        text = render_explanation(build_explanation(self.kb, result, (why,)), "text")
        self.say(text.split("\n\n", 1)[1].rstrip("\n"))

    def show_what_if(self, change: str) -> None:
        name, _, value = change.partition("=")
        name = name.strip()
        try:
            validate_facts(self.kb, {name: value.strip()})
            what = explain_what_if(self.kb, self.interview.known, {name: value.strip()})
        except FactInputErrors as exc:
            for error in exc.errors:
                self.say(error.message + (f" (did you mean '{error.suggestion}'?)" if error.suggestion else ""), "class:error")
            return
        text = render_explanation(build_explanation(self.kb, what.before, (), what), "text")
        self.say(text.split("\n\n", 1)[1].rstrip("\n"))
        self.say(f"(Nothing was changed. To keep it, type: change {name})", "class:hint")

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
                self.say(f"  {error.format()}", "class:error")
            return
        answers = []
        for name, value in self.interview.answers:
            fact = new_kb.facts.get(name)
            if fact is not None and fact.askable and (value is UNKNOWN or check_value(fact, value) == value):
                answers.append((name, value))
        old_kb = self.kb
        self.kb = new_kb
        self.interview = Interview(new_kb, answers)
        release(old_kb)
        self.changed()
        self.say(f"Knowledge base reloaded ({len(new_kb.rules)} rules); your answers were worked out again.", "class:hint")

    # --------------------------------------------------------------- loop
    def run(self) -> int:
        self.greet()
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
            parsed = parse_input(text, fact, self.kb)
            if parsed.error:
                error = parsed.error if parsed.error.isprintable() else parsed.error.encode("unicode_escape").decode("ascii")
                self.say(error, "class:error")
            elif parsed.command == "quit":
                return self.quit()
            elif parsed.command == "help":
                self.show_help(fact)
            elif parsed.command == "why":
                self.show_why(question)
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
                self.interview.answer(question.fact.name, parsed.answer)
                self.changed()

    def changed(self) -> None:
        self.plan_shown = False
        self._last_shown = None
        self.save()

    def quit(self) -> int:
        self.save()
        if self.save_path is not None and self.terminal.interactive:
            self.say(f"Your answers are saved in {self.save_path}; 'orderdoctor ask --resume' continues.", "class:hint")
        return 0
