"""Loading durable-rules' C engine (``durable_rules_engine``), on every supported Python.

This module owns the one import of durable's C engine, which :mod:`.backend` uses; the rest of the
package never imports durable.

* **Python 3.13 and newer.** durable-rules 2.0.28 (the newest release, sdist-only) calls
  ``PyEval_CallObject``, a macro the 3.13 headers dropped, so its compiled module refers to a
  symbol nothing defines and fails to import. setup.py builds a small shim of ours,
  ``orderdoctor.engine._pyeval_compat`` (engine/_pyeval_compat.c), on 3.13+ only; it exports the
  function. It is loaded here with ``RTLD_GLOBAL`` before durable's module, so the dynamic linker
  resolves durable's reference to it. (durable fixed this upstream, jruizgit/rules PR #403, but
  never released it; the shim does nothing once a durable without the reference is installed.)
* **When durable cannot be loaded** (not built: no C compiler or Python headers; the shim missing;
  an unsupported platform), importing this module still succeeds: :func:`load_engine` returns a
  stand-in whose every use raises :class:`EngineUnavailableError`, a one-line explanation with
  what to do. So ``--help``, ``--version`` and the ``kb`` tools that do not consult keep working,
  and the command line reports the problem as one line (exit status :data:`EXIT_UNAVAILABLE`).
"""

from __future__ import annotations

import os
import sys

from .errors import ExitStatus, OrderdoctorError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any, NoReturn

__all__ = ["EXIT_UNAVAILABLE", "EngineUnavailableError", "load_engine", "require_engine"]

#: The exit status for "the rule engine cannot be loaded here" (sysexits' EX_UNAVAILABLE): not
#: bad input (2), not a bug in orderdoctor (70), but an installation to repair.
EXIT_UNAVAILABLE = ExitStatus.UNAVAILABLE

#: Where the README says how to install (kept in one place for every message below).
_SETUP_HINT = "see 'Set up and run' in orderdoctor's README"


class EngineUnavailableError(OrderdoctorError):
    """durable-rules' C engine cannot be loaded; ``str()`` says why and what to do, in one line."""

    exit_status = ExitStatus.UNAVAILABLE


def _needs_shim() -> bool:
    return sys.version_info >= (3, 13)


def _load_shim() -> bool:
    """Load ``_pyeval_compat`` into the global symbol scope; False when it is not built."""
    setflags = getattr(sys, "setdlopenflags", None)
    if setflags is None:  # Windows: no dlopen flags (and no shim)
        return False
    flags = sys.getdlopenflags()
    setflags(flags | os.RTLD_GLOBAL)
    try:
        from . import _pyeval_compat  # noqa: F401 - loaded for its exported C symbol
    except ImportError:
        return False
    finally:
        setflags(flags)
    return True


def _explain(exc: ImportError, shim_loaded: bool) -> str:
    """The one line that says why durable's engine did not load, and what to do."""
    python = f"Python {sys.version.split()[0]}"
    reinstall = "pip install --force-reinstall --no-cache-dir durable-rules"
    if isinstance(exc, ModuleNotFoundError) and exc.name in ("durable_rules_engine", "durable"):
        return (
            f"the rule engine durable-rules is not installed for {python} ({sys.executable}); install "
            f"orderdoctor with pip, which builds it (that needs a C compiler and the Python headers: {_SETUP_HINT})"
        )
    if "PyEval_CallObject" in str(exc) and not shim_loaded:
        return (
            f"durable-rules cannot be loaded on {python} without orderdoctor's compatibility shim, which "
            "is not built in this installation; reinstall orderdoctor from its source with pip (it builds "
            f"the shim with a C compiler and the Python headers: {_SETUP_HINT}), or use Python 3.10-3.12"
        )
    return (
        f"the rule engine durable-rules cannot be loaded on {python}: {exc}; rebuild it with "
        f"'{reinstall}' (needs a C compiler and the Python headers: {_SETUP_HINT})"
    )


class _Unavailable:
    """Stands in for ``durable_rules_engine`` when it cannot be loaded: every use raises."""

    class error(Exception):  # noqa: N801 - durable's name; never raised, so ``except _engine.error`` is safe
        """Placeholder for ``durable_rules_engine.error``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __getattr__(self, name: str) -> NoReturn:
        raise EngineUnavailableError(self.reason)


_state: dict[str, Any] = {}


def load_engine() -> ModuleType | Any:
    """durable's C engine module, or a stand-in that raises :class:`EngineUnavailableError` on use."""
    if "engine" in _state:
        return _state["engine"]
    shim_loaded = _load_shim() if _needs_shim() else False
    try:
        import durable_rules_engine as engine
    except ImportError as exc:
        engine = _Unavailable(_explain(exc, shim_loaded))
    _state["engine"] = engine
    return engine


def require_engine() -> None:
    """Raise :class:`EngineUnavailableError` now if durable's engine cannot be loaded."""
    engine = load_engine()
    if isinstance(engine, _Unavailable):
        raise EngineUnavailableError(engine.reason)
