"""The ``orderdoctor`` console script's first step: a Ctrl-C while the program is still starting.

Importing :mod:`orderdoctor.cli.main` (and the engine behind it) is most of a command's start-up. A
``KeyboardInterrupt`` raised in the middle of an import can surface anywhere — even inside
importlib's own callbacks, where Python prints it as "Exception ignored" with a traceback. So
while the command line is imported, a Ctrl-C is only *noted* (this module uses nothing but the
built-in ``_signal`` and ``os``/``sys``); once the import is done the usual handler is back, and
a Ctrl-C that came meanwhile ends the command quietly with status 130, as one at any later point
does.

The cyclic garbage collector is paused while the command line is imported: importing allocates
tens of thousands of objects that live as long as the process, and collecting them early finds
nothing to free (a few milliseconds of ``orderdoctor advise``). Once imported they are frozen
(:func:`gc.freeze`: later collections leave them alone) and the collector runs as usual.
"""

from __future__ import annotations

import os
import sys


def run() -> None:
    """Import the command line and run it (:func:`orderdoctor.cli.main.run`)."""
    import _signal
    import gc

    collecting = gc.isenabled()
    gc.disable()
    interrupted: list[int] = []
    previous = _signal.signal(_signal.SIGINT, lambda number, frame: interrupted.append(number))
    try:
        from orderdoctor.cli.main import run as run_main
    finally:
        _signal.signal(_signal.SIGINT, previous)
        if collecting:
            gc.freeze()
            gc.enable()
    if interrupted:
        if sys.stderr is not None:
            try:
                sys.stderr.write("orderdoctor: interrupted\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
        from orderdoctor.engine import ExitStatus  # imported already, with the command line

        os._exit(ExitStatus.INTERRUPTED)
    run_main()
