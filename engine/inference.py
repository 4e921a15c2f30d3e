"""The inference engine: a loaded knowledge base bound to a rule-matching backend.

``InferenceEngine(kb).consult(facts)`` checks the facts, runs one isolated
consultation and returns its :class:`ConsultationResult`. Engines are cheap
to keep: one per knowledge base per process is enough, and :func:`engine_for`
keeps exactly that (beside the knowledge base, which stays plain frozen data).

This module owns the contract a backend meets, :class:`Backend`: the three
calls an engine makes. The durable-rules backend (:mod:`.backend`) is the one
in use; another engine (a pure-Python one, say) is one module with the same
three methods, passed as ``InferenceEngine(kb, backend)``. ``Backend`` is a
:class:`typing.Protocol` declared for type checkers only (``typing`` is never
imported at run time): a backend does not inherit from it, it matches it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping

from .consultation import Consultation, ConsultationResult
from .facts import validate_facts
from .location import Location
from .model import KnowledgeBase, Rule, Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Protocol, TypeVar

    Compiled = TypeVar("Compiled")

    class Backend(Protocol[Compiled]):
        """What an :class:`InferenceEngine` needs of a rule-matching backend.

        ``Compiled`` is whatever the backend makes of a knowledge base (its handle): the engine
        only hands it back. The durable-rules backend's is a ``CompiledKnowledgeBase``.
        """

        def register(self, kb: KnowledgeBase) -> Compiled:
            """Compile ``kb`` and make it ready to run."""

        def run(self, compiled: Compiled, facts: Mapping[str, Value], listener: FiringListener) -> list[str]:
            """Run one consultation on the given ``facts``, calling ``listener`` as each rule
            fires (in the knowledge base's order among the rules ready at once) and adding the
            facts it returns; returns the keys of the rules that fired, in order."""

        def unregister(self, compiled: Compiled) -> None:
            """Free what :meth:`register` took; ``compiled`` is not run again."""

#: Called as each rule fires: given the rule and the fact values known so far, returns the facts
#: it adds (empty when it derives nothing new). :meth:`Consultation.fire` is the one in use.
FiringListener = Callable[[Rule, Mapping[str, Value]], Mapping[str, Value]]

# ``Backend`` is for type checkers only: typing is never imported at run time (start-up time).
__all__ = ["FiringListener", "InferenceEngine", "consult", "engine_for", "release"]


class InferenceEngine:
    """Runs consultations of one knowledge base on a backend (default: durable-rules)."""

    def __init__(self, kb: KnowledgeBase, backend: Backend[Any] | None = None) -> None:
        if backend is None:
            from .backend import get_backend

            backend = get_backend()
        self._kb: Callable[[], KnowledgeBase | None] = lambda: kb
        self._backend = backend
        self._compiled: Any = backend.register(kb)

    @property
    def kb(self) -> KnowledgeBase:
        kb = self._kb()
        if kb is None:  # pragma: no cover - an engine of engine_for() lives no longer than its kb
            raise RuntimeError("the knowledge base of this engine is gone")
        return kb

    def consult(
        self,
        facts: Mapping[str, Any],
        locations: Mapping[str, Location] | None = None,
    ) -> ConsultationResult:
        """Advise on ``facts`` (fact name → value; text values are converted).

        Raises :class:`~orderdoctor.engine.errors.FactInputErrors` for bad
        facts (``locations`` says where each was given, for the messages).
        """
        kb = self.kb
        given = validate_facts(kb, facts, locations)
        if self._compiled is None:
            raise RuntimeError("this engine was closed")
        consultation = Consultation(kb, given)
        self._backend.run(self._compiled, given, consultation.fire)
        return consultation.result()

    def close(self) -> None:
        """Free the backend's ruleset; the engine cannot consult any more."""
        if self._compiled is not None:
            self._backend.unregister(self._compiled)
            self._compiled = None

    def __enter__(self) -> InferenceEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_engines_lock = threading.Lock()
#: The process's engine of each knowledge base, by the knowledge base's identity (a
#: ``KnowledgeBase`` is compared by value and holds mappings, so it cannot be a dictionary key
#: itself). The engines hold their knowledge base weakly and the entry goes with it, so a
#: knowledge base nobody uses any more is not kept alive here.
_engines: dict[int, InferenceEngine] = {}
#: Engines whose knowledge base is gone, to be closed (their rulesets freed) on the next
#: :func:`engine_for` or :func:`release`: not in the garbage collector's callback, which may run
#: at any allocation, in any thread, in the middle of the backend's work.
_orphans: list[InferenceEngine] = []


def _orphan(key: int) -> None:
    """The knowledge base of the engine at ``key`` is gone: close the engine soon."""
    engine = _engines.pop(key, None)
    if engine is not None:
        _orphans.append(engine)  # list.append is atomic: safe in a garbage collector callback


def _close_orphans() -> None:
    while _orphans:
        _orphans.pop().close()


def engine_for(kb: KnowledgeBase) -> InferenceEngine:
    """The process's engine for ``kb``, created on first use."""
    _close_orphans()
    with _engines_lock:
        engine = _engines.get(id(kb))
        if engine is None:
            engine = InferenceEngine(kb)
            engine._kb = weakref.ref(kb)
            _engines[id(kb)] = engine
            weakref.finalize(kb, _orphan, id(kb)).atexit = False
        return engine


def consult(
    kb: KnowledgeBase,
    facts: Mapping[str, Any],
    locations: Mapping[str, Location] | None = None,
) -> ConsultationResult:
    """Advise on ``facts`` with ``kb`` (see :meth:`InferenceEngine.consult`)."""
    return engine_for(kb).consult(facts, locations)


def release(kb: KnowledgeBase) -> None:
    """Free the process's engine for ``kb`` (after a reload replaced it)."""
    with _engines_lock:
        engine = _engines.pop(id(kb), None)
    if engine is not None:
        engine.close()
    _close_orphans()
