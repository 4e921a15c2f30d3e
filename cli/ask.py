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

This module is the conversation (:class:`AskSession`); its parts are beside it: the input
grammar (:mod:`.askinput`), the terminals (:mod:`.askterminal`), the session files
(:mod:`.asksession`), the kb watching of ``--watch`` (:mod:`.askwatch`) and what it says to
``why``/``how``/``why not``/``what if`` (:mod:`.askexplain`).
"""

from __future__ import annotations

import datetime
import os
import shlex
from collections.abc import Callable
from pathlib import Path

from orderdoctor.engine import (
    UNKNOWN,
    Fact,
    FactInputErrors,
    FactType,
    Interview,
    KnowledgeBase,
    Question,
    did_you_mean,
    explain_what_if,
    explain_why_not,
    format_value,
    release,
    validate_facts,
)

from . import render
from .askexplain import how_text, reload_lines, what_if_text, why_lines, why_not_text
from .askinput import COMMANDS, Parsed, parse_input
from .asksession import (
    MAX_SESSION_BYTES,
    NOT_A_SESSION,
    aging_text,
    default_session_path,
    previous_path,
    read_session,
    unfinished,
    unfinished_text,
    write_session,
)
from .askterminal import STYLE, PlainTerminal, PromptInterrupted, PromptTerminal, Terminal
from .askwatch import kb_signature, reloaded, set_aside_saved, start_watcher

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


# ---------------------------------------------------------------- the session
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
        found = unfinished(self.save_path)
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
            self.say(
                "The answers ended before all questions were asked; this plan uses what you told me:", "class:greeting"
            )
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

    def show_why(self, question: Question | None, every: bool = False) -> None:
        for text, style in why_lines(self.kb, question, every):
            self.say(text, style)

    def show_how(self) -> None:
        result = self.interview.plan().result
        if not result.trace:
            self.say("No rule has fired yet: nothing is concluded so far.")
            return
        self.say(how_text(self.kb, result))

    def show_why_not(self, advice_id: str) -> None:
        self.say(why_not_text(self.kb, explain_why_not(self.kb, self.interview.plan().result, advice_id)))

    def show_what_if(self, change: str) -> None:
        name, _, value = change.partition("=")
        name = name.strip()
        try:
            validate_facts(self.kb, {name: value.strip()})
            what = explain_what_if(self.kb, self.interview.known, {name: value.strip()})
        except FactInputErrors as exc:
            for error in exc.errors:
                self.error(error.message + did_you_mean(error.suggestion))
            return
        self.say(what_if_text(self.kb, what))
        self.say(f"(Nothing was changed. To keep it, type: change {name})", "class:hint")

    # ------------------------------------------------------------- reload
    def reload_if_changed(self) -> bool:
        """With --watch: when a kb file changed, switch to the new rules if they load and
        `kb check` finds no errors, and say what that changed (answers set aside, the plan);
        otherwise keep the old ones and show the errors. True when the rules were switched."""
        signature = kb_signature(self.kb.root)
        if signature == self._signature:
            return False
        self._signature = signature
        outcome = reloaded(self.kb.root, self.interview.answers, self.today)
        if isinstance(outcome, list):
            self.say("The knowledge base changed but has errors; still using the previous rules:", "class:error")
            for line in outcome:
                self.error(f"  {line}")
            return False
        old_kb, before = self.kb, self.interview
        self.interview, aside = outcome
        self.kb = self.terminal.kb = self.interview.kb
        self.say(
            f"Knowledge base reloaded ({len(self.kb.rules)} rules); your answers were worked out again.", "class:hint"
        )
        for item in aside:
            self.say(item.text(), "class:note")
        for line in reload_lines(before, self.interview):
            self.say(line, "class:hint")
        release(old_kb)
        self.changed()
        return True

    def _look_for_edits(self) -> bool:
        """Reload if a kb file changed (True when the rules were switched); an interrupt of the
        prompt the watcher asked for until now is then not needed."""
        forget = getattr(self.terminal, "forget_interrupt", None)
        if forget is not None:
            forget()
        return self.reload_if_changed()

    def _asked_again(self, question: Question) -> Question | None:
        """``question`` (of the rules before a reload) in the new rules; None when they no
        longer ask it."""
        fact = self.kb.facts.get(question.fact.name)
        if fact is None or not fact.askable:
            return None
        for asked in self.interview.plan().questions:
            if asked.fact.name == fact.name:
                return asked
        return Question(fact, (), 0.0)

    # ------------------------------------------------------------ resuming
    def offer_unfinished(self) -> None:
        """On a terminal, when not resuming and an unfinished session is saved: offer to go on."""
        if not (self._check_previous and self.terminal.interactive and self.save_path is not None):
            return
        if self.interview.answers:  # --answers FILE: those are the answers to go on with
            return
        data = unfinished(self.save_path)
        answers = data.get("answers") if data else None
        if not data or data.get("format") is None or not isinstance(answers, list):
            return
        self.say(unfinished_text(answers, self.today))
        try:
            go_on = self.terminal.confirm("Continue it?", default=True)
        except (KeyboardInterrupt, EOFError):
            go_on = False
        if not go_on:
            self.say(
                "Starting a new one; the unfinished one is kept aside when your first answer is saved.", "class:hint"
            )
            return
        data, aside = set_aside_saved(self.kb, data)
        try:
            interview = Interview.from_data(self.kb, data, str(self.save_path), today=self.today)
        except FactInputErrors as exc:
            self.error(f"It cannot be continued ({exc.errors[0].message}); starting a new one.")
            return
        for _, item in aside:
            self.say(item.text(), "class:note")
        self.interview = interview
        self._check_previous = False

    def tell_aging(self) -> None:
        """One line on what the days since the answers were given changed."""
        if text := aging_text(self.interview):
            self.say(text, "class:hint")

    # --------------------------------------------------------------- loop
    def run(self) -> int:
        self.greet()
        self.offer_unfinished()
        self.tell_aging()
        if self.interview.answers:
            answers = self.interview.answers
            given = ", ".join(f"{n}={'unknown' if v is UNKNOWN else format_value(v)}" for n, v in answers)
            self.say(f"Continuing with your answers so far: {given}", "class:hint")
        watcher = start_watcher(self.kb.root, lambda: self._signature, self.terminal) if self.watch else None
        try:
            return self._converse()
        finally:
            if watcher is not None:
                watcher.stop()

    def _converse(self) -> int:
        """Ask, read, act, until the user quits or the input ends."""
        interrupted = False
        typed = ("", "")  # what was typed at a prompt a reload interrupted, and its question
        look = self.watch  # for kb edits before asking: at the start, and when the watcher interrupted
        while True:
            if look:
                self._look_for_edits()
                look = False
            question = self.interview.next_question()
            prompt = self._prompt_for(question)
            name = question.fact.name if question else ""
            again = typed[0] if typed[1] == name else ""  # kept only for the question it was typed at
            try:
                text = self.terminal.ask(prompt, question.fact if question else None, again)
            except PromptInterrupted as exc:  # a kb file changed while the prompt waited
                typed, look = (exc.typed, name), True
                continue
            except KeyboardInterrupt:
                if self._wants_to_quit(interrupted):
                    return self.quit()
                interrupted, typed = not interrupted, ("", "")
                continue
            except EOFError:
                if question is not None and not self.terminal.interactive:
                    self.show_plan(partial=True)
                return self.quit()
            interrupted, typed = False, ("", "")
            if self.watch and self._look_for_edits() and question is not None:
                # the line was read at a question of the previous rules: it answers that question
                question = self._asked_again(question)
                if question is None and parse_input(text, None, self.kb).command is None:
                    self.say(f"'{render.printable(text)}' answered a question the new rules no longer ask; "
                             "it was set aside.", "class:note")
                    continue
            self.handle(parse_input(text, question.fact if question else None, self.kb), question)
            if self._quitting:
                return self.quit()

    def _prompt_for(self, question: Question | None) -> str:
        """Show ``question`` (once), or the plan when there is none left; the prompt to ask at."""
        if question is None:
            if not self.plan_shown:
                self.show_plan()
                self.plan_shown = True
                self.save()
            return "orderdoctor> "
        key = (question.fact.name, len(self.interview.answers))
        if key != self._last_shown:
            self.terminal.say(self.question_text(question))
            self._last_shown = key
        return "> "

    def _wants_to_quit(self, again: bool) -> bool:
        """After Ctrl-C: the first cancels the question; a second asks whether to quit."""
        if not again:
            self.say("(Question cancelled. Press Ctrl-C again to quit, or answer.)", "class:hint")
            return False
        try:
            return self.terminal.confirm("Quit?")
        except (KeyboardInterrupt, EOFError):
            return True

    def handle(self, parsed: Parsed, question: Question | None) -> None:
        """Act on one line read at the prompt of ``question`` (None after the plan)."""
        if parsed.error:
            self.error(parsed.error)
        elif parsed.command is not None:
            _COMMANDS[parsed.command](self, parsed.argument, question)
        elif question is not None and parsed.answer is not None:
            if parsed.note:
                self.say(parsed.note, "class:hint")
            self.interview.answer(question.fact.name, parsed.answer)
            self.changed()

    # ------------------------------------------------------------ commands
    def _quit(self, argument: str | None, question: Question | None) -> None:
        self._quitting = True

    def _help(self, argument: str | None, question: Question | None) -> None:
        self.show_help(question.fact if question else None)

    def _why(self, argument: str | None, question: Question | None) -> None:
        self.show_why(question, every=argument == "all")

    def _how(self, argument: str | None, question: Question | None) -> None:
        self.show_how()

    def _why_not(self, argument: str | None, question: Question | None) -> None:
        assert argument is not None
        self.show_why_not(argument)

    def _what_if(self, argument: str | None, question: Question | None) -> None:
        assert argument is not None
        self.show_what_if(argument)

    def _back(self, argument: str | None, question: Question | None) -> None:
        undone = self.interview.back()
        if undone is None:
            self.say("There is no answer to take back yet.")
            return
        shown = "unknown" if undone[1] is UNKNOWN else format_value(undone[1])
        self.say(f"Took back your answer {undone[0]} = {shown}.", "class:hint")
        self.changed()

    def _change(self, argument: str | None, question: Question | None) -> None:
        assert argument is not None
        self.interview.revise(argument)
        self.changed()

    def _restart(self, argument: str | None, question: Question | None) -> None:
        self.interview.restart()
        self.say("Starting over.", "class:hint")
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


#: What each command of :func:`parse_input` does (its argument, and the question being asked).
_COMMANDS: dict[str, Callable[[AskSession, str | None, Question | None], None]] = {
    "quit": AskSession._quit,
    "help": AskSession._help,
    "why": AskSession._why,
    "how": AskSession._how,
    "why_not": AskSession._why_not,
    "what_if": AskSession._what_if,
    "back": AskSession._back,
    "change": AskSession._change,
    "restart": AskSession._restart,
}
