"""The inference engine: a loaded knowledge base bound to the durable-rules backend.

``InferenceEngine(kb).consult(facts)`` checks the facts, runs one isolated
consultation and returns its :class:`ConsultationResult`. Engines are cheap
to keep: one per knowledge base per process is enough, and :func:`engine_for`
keeps exactly that.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from .backend import CompiledKnowledgeBase, DurableBackend, get_backend
from .consultation import Consultation, ConsultationResult
from .facts import validate_facts
from .location import Location
from .model import KnowledgeBase

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["InferenceEngine", "consult", "engine_for", "release"]


class InferenceEngine:
    """Runs consultations of one knowledge base."""

    def __init__(self, kb: KnowledgeBase, backend: DurableBackend | None = None) -> None:
        self.kb = kb
        self._backend = backend or get_backend()
        self._compiled: CompiledKnowledgeBase | None = self._backend.register(kb)

    def consult(
        self,
        facts: Mapping[str, Any],
        locations: Mapping[str, Location] | None = None,
    ) -> ConsultationResult:
        """Advise on ``facts`` (fact name → value; text values are converted).

        Raises :class:`~orderdoctor.engine.errors.FactInputErrors` for bad
        facts (``locations`` says where each was given, for the messages).
        """
        given = validate_facts(self.kb, facts, locations)
        if self._compiled is None:
            raise RuntimeError("this engine was closed")
        consultation = Consultation(self.kb, given)
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


def engine_for(kb: KnowledgeBase) -> InferenceEngine:
    """The process's engine for ``kb``, created on first use."""
    with _engines_lock:
        engine = kb.__dict__.get("_engine")
        if engine is None:
            engine = InferenceEngine(kb)
            object.__setattr__(kb, "_engine", engine)
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
        engine = kb.__dict__.pop("_engine", None)
    if engine is not None:
        engine.close()
