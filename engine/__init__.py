"""orderdoctor's pure core: knowledge base → rule graph → forward chaining → advice with a trace.

The public API, which the command line uses and nothing else::

    kb = load_knowledge_base()            # or load_knowledge_base("path/to/kb")
    result = consult(kb, {"order_status": "shipped", "days_left": 3})
    result.advice, result.facts, result.trace, result.to_json()

The engine prints nothing, prompts for nothing, never exits the process and
sets up no logging. Errors are the classes in :mod:`orderdoctor.engine.errors`.
"""

from __future__ import annotations

from .cases import Case, CaseOutcome, check_case
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
from .loader import default_kb_path, load_cases, load_knowledge_base
from .location import Location
from .model import Advice, AdviceKind, Fact, FactType, KnowledgeBase, Rule

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
