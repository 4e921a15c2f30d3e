"""How ``orderdoctor batch`` shows its run: the progress bar on a terminal, the summary line,
and SIGTERM ending the run like Ctrl-C."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from .batchinput import Input

__all__ = ["Summary", "Terminated", "progress", "sigterm_stops_the_run"]

class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the run stops as for Ctrl-C, with exit status 143."""



def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class Summary:
    records: int = 0
    advised: int = 0
    failed: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # "interrupted" (Ctrl-C) or "terminated" (SIGTERM)

    @property
    def interrupted(self) -> bool:
        return self.stopped is not None

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        state = f" ({self.stopped})" if self.stopped else ""
        return (
            f"batch{state}: {_plural(self.records, 'record')}, {self.advised} advised, {self.failed} failed "
            f"in {self.seconds:.2f} s ({rate:.0f} records/s)"
        )


@contextmanager
def sigterm_stops_the_run() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` in the main thread while the run lasts."""

    def stop(signum: int, frame: Any) -> None:
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)



def progress(stderr: TextIO, source: Input) -> Any:
    """A progress bar on stderr when it is a terminal (otherwise nothing): the share of the input
    read, with the time left, when the input is a file; the records done in any case. The bar (a
    prompt-toolkit thread) starts with the first results, after the workers were forked."""
    try:
        interactive = stderr.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        return lambda done: None
    total = source.size()
    state: dict[str, Any] = {"last": 0, "bar": None}

    def update(done: int | None) -> None:
        bar = state["bar"]
        if done is None:
            if bar is not None:
                bar.__exit__(None, None, None)
            return
        if bar is None:
            from prompt_toolkit.output import create_output
            from prompt_toolkit.shortcuts import ProgressBar
            from prompt_toolkit.shortcuts.progress_bar import formatters

            shown: list[Any] = [formatters.Label(), formatters.Text(" ")]
            if total is not None:
                shown += [formatters.Percentage(), formatters.Text(" "), formatters.Bar(),
                          formatters.Text(" eta "), formatters.TimeLeft()]
            else:
                shown += [formatters.TimeElapsed()]
            bar = state["bar"] = ProgressBar(
                title="orderdoctor batch", formatters=shown, output=create_output(stdout=stderr)
            )
            bar.__enter__()
            state["counter"] = bar(total=total)
        counter = state["counter"]
        counter.label = f"{done} records"
        counter.items_completed = min(source.consumed, total) if total is not None else done
        if done - state["last"] >= 500:
            state["last"] = done
            bar.invalidate()

    return update
