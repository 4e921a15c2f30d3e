"""Where ``orderdoctor ask`` talks: a real prompt (prompt-toolkit: Tab completion with
descriptions, answers checked as they are typed, history, colours that follow the terminal and
``NO_COLOR``), or plain lines from a pipe for scripts (reads bounded: an over-long line is
skipped, input that is not lines at all ends the reading). The real prompt can be interrupted
from another thread (``ask --watch``'s watcher, when a kb file changes): it then raises
:class:`PromptInterrupted` with what had been typed, to be asked again.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Protocol, TextIO

from orderdoctor.engine import Fact, FactType, KnowledgeBase
from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app_or_none, get_app_session, run_in_terminal
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.renderer import print_formatted_text as print_fragments
from prompt_toolkit.styles import BaseStyle, Style, default_pygments_style, default_ui_style, merge_styles
from prompt_toolkit.validation import ValidationError, Validator

from . import render
from .askinput import COMMANDS, parse_input

__all__ = [
    "MAX_ANSWER_CHARS", "PlainTerminal", "PromptInterrupted", "PromptTerminal", "STYLE", "Terminal", "fit_one_line",
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

_MERGED: list[BaseStyle] = []


def _merged_style() -> BaseStyle:
    """:data:`STYLE` over prompt-toolkit's default styles, as ``print_formatted_text`` merges them
    (made once: the merged style keeps its parsed rules)."""
    if not _MERGED:
        _MERGED.append(merge_styles([default_ui_style(), default_pygments_style(), STYLE]))
    return _MERGED[0]


#: The longest answer line read from a pipe; a longer one is skipped (bounded reads), and input
#: whose line goes on past :data:`MAX_SKIPPED_CHARS` ends the reading.
MAX_ANSWER_CHARS = 4096
MAX_SKIPPED_CHARS = 1 << 20


class PromptInterrupted(Exception):
    """The waiting prompt was interrupted (:meth:`PromptTerminal.interrupt`); ``typed`` is what
    had been typed at it."""

    def __init__(self, typed: str) -> None:
        super().__init__(typed)
        self.typed = typed


class Terminal(Protocol):
    """Where the conversation happens. ``kb`` is the knowledge base answers are read against
    (replaced when ``--watch`` reloads it)."""

    interactive: bool
    kb: KnowledgeBase

    def say(self, fragments: Sequence[tuple[str, str]]) -> None: ...

    def ask(self, prompt: str, fact: Fact | None, typed: str = "") -> str: ...

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

    def ask(self, prompt: str, fact: Fact | None, typed: str = "") -> str:
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
        self._interrupt = threading.Event()
        self._asking = False

    def say(self, fragments: Sequence[tuple[str, str]]) -> None:
        """What ``print_formatted_text(FormattedText(fragments), style=STYLE, end="")`` prints, on
        a style merged once (prompt-toolkit merges and parses its default styles on every call)."""
        output = self.output or get_app_session().output
        depth = output.get_default_color_depth()
        printed = FormattedText([*fragments, ("", "")])  # (print_formatted_text's ``end``)

        def draw() -> None:
            print_fragments(output, printed, _merged_style(), color_depth=depth)

        app = get_app_or_none()
        loop = app.loop if app is not None else None
        if loop is not None:  # print above a running prompt, as print_formatted_text does
            loop.call_soon_threadsafe(lambda: run_in_terminal(draw))
        else:
            draw()

    def ask(self, prompt: str, fact: Fact | None, typed: str = "") -> str:
        """The line typed at ``prompt`` (starting with ``typed``); PromptInterrupted when
        :meth:`interrupt` is called while it waits (or was called since :meth:`forget_interrupt`)."""
        self._asking = True
        try:
            return self.session.prompt(
                FormattedText([("class:question", prompt)]),
                default=typed,
                completer=_Completer(self.kb, fact),
                complete_while_typing=False,
                validator=_Validator(self.kb, fact),
                validate_while_typing=False,
                style=STYLE,
                pre_run=self._exit_if_interrupted,
            )
        finally:
            self._asking = False

    def interrupt(self) -> None:
        """From any thread: make the waiting (or next) :meth:`ask` raise PromptInterrupted."""
        self._interrupt.set()
        loop = self.session.app.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # it closed meanwhile: the next pre_run sees it
                loop.call_soon_threadsafe(self._exit_if_interrupted)

    def forget_interrupt(self) -> None:
        """The caller has looked for itself: an interrupt asked before now is not needed."""
        self._interrupt.clear()

    def _exit_if_interrupted(self) -> None:
        """In the prompt's event loop (its pre_run, or scheduled by :meth:`interrupt`)."""
        app = self.session.app
        if not (self._asking and self._interrupt.is_set()) or app.future is None or app.future.done():
            return
        self._interrupt.clear()
        app.exit(exception=PromptInterrupted(app.current_buffer.text))

    def confirm(self, prompt: str, default: bool = False) -> bool:
        answer = self.session.prompt(
            prompt + (" [Y/n] " if default else " [y/N] "),
            completer=_YesNo(),
            validator=_AnyAnswer(),
            style=STYLE,
        )
        return _yes(answer, default)
