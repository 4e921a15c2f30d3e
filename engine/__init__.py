"""orderdoctor's pure core: knowledge base → rule graph → forward chaining → advice with a trace.

The public API, which the command line uses and nothing else::

    kb = load_knowledge_base()            # or load_knowledge_base("path/to/kb")
    result = consult(kb, {"order_status": "shipped", "days_left": 3})
    result.advice, result.facts, result.trace, result.to_json()

The engine prints nothing, prompts for nothing, never exits the process and
sets up no logging. Errors are the classes in :mod:`orderdoctor.engine.errors`.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # the names below are imported on first use (start-up time of the command line)
    from typing import Any

    from .cases import Case, CaseOutcome, check_case, load_cases
    from .conditions import Evaluation, Truth, evaluate
    from .consultation import (
        NOTHING_APPLIES,
        AdviceEntry,
        ConsultationResult,
        MatchedFact,
        TraceStep,
    )
    from .errors import (
        BackendError,
        FactInputError,
        FactInputErrors,
        KnowledgeBaseError,
        KnowledgeBaseErrors,
        LocatedError,
        OrderdoctorError,
    )
    from .facts import parse_assignment, parse_facts_document
    from .graph import RuleGraph
    from .inference import InferenceEngine, consult, engine_for
    from .loader import default_kb_path, load_knowledge_base
    from .location import Location
    from .model import Advice, AdviceKind, Fact, FactType, KnowledgeBase, Rule

#: Each public name → the module that defines it. Importing the package loads nothing else:
#: ``orderdoctor advise`` pays only for what it uses (see docs/performance.md).
_EXPORTS = {
    "Case": "cases", "CaseOutcome": "cases", "check_case": "cases",
    "Evaluation": "conditions", "Truth": "conditions", "evaluate": "conditions",
    "NOTHING_APPLIES": "consultation", "AdviceEntry": "consultation", "ConsultationResult": "consultation",
    "MatchedFact": "consultation", "TraceStep": "consultation",
    "BackendError": "errors", "FactInputError": "errors", "FactInputErrors": "errors",
    "KnowledgeBaseError": "errors", "KnowledgeBaseErrors": "errors", "LocatedError": "errors",
    "OrderdoctorError": "errors",
    "parse_assignment": "facts", "parse_facts_document": "facts",
    "RuleGraph": "graph",
    "InferenceEngine": "inference", "consult": "inference", "engine_for": "inference",
    "default_kb_path": "loader", "load_cases": "cases", "load_knowledge_base": "loader",
    "Location": "location",
    "Advice": "model", "AdviceKind": "model", "Fact": "model", "FactType": "model",
    "KnowledgeBase": "model", "Rule": "model",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "NOTHING_APPLIES",
    "Advice",
    "AdviceEntry",
    "AdviceKind",
    "BackendError",
    "Case",
    "CaseOutcome",
    "ConsultationResult",
    "Evaluation",
    "Fact",
    "FactInputError",
    "FactInputErrors",
    "FactType",
    "InferenceEngine",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "KnowledgeBaseErrors",
    "LocatedError",
    "Location",
    "MatchedFact",
    "OrderdoctorError",
    "Rule",
    "RuleGraph",
    "TraceStep",
    "Truth",
    "check_case",
    "consult",
    "default_kb_path",
    "engine_for",
    "evaluate",
    "load_cases",
    "load_knowledge_base",
    "parse_assignment",
    "parse_facts_document",
]
