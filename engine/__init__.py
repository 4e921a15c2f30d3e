# ruff: noqa: F401 - the imports under TYPE_CHECKING are for type checkers; __all__ is made from _EXPORTS
"""orderdoctor's pure core: knowledge base → rule graph → forward chaining → advice with a trace.

The public API, which the command line uses and nothing else (``tests/test_public_api.py`` checks
that ``cli/`` imports only names listed here)::

    kb = load_knowledge_base()            # or load_knowledge_base("path/to/kb")
    result = consult(kb, {"order_status": "shipped", "days_left": 3})
    result.advice, result.facts, result.trace, result.to_json()

The API is declared once, in ``_EXPORTS`` (public name → the module that defines it); ``__all__``
is made from it, and the imports under ``TYPE_CHECKING`` repeat it for type checkers only (a test
checks that the two agree). When a name moves to another module, its ``_EXPORTS`` entry is the one
line to change. Importing the package loads nothing else: each name is imported on first use, so
``orderdoctor advise`` pays only for what it uses (see docs/performance.md).

The engine prints nothing, prompts for nothing, never exits the process and
sets up no logging. Errors are the classes in :mod:`orderdoctor.engine.errors`.
"""

from __future__ import annotations

from sys import modules as _modules

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # for type checkers only: at run time each name is imported on first use
    from typing import Any

    from ._dirs import user_state_dir
    from ._durable import EngineUnavailableError, require_engine
    from .cases import Case, CaseOutcome, check_case, load_cases, run_cases
    from .checks import load_lint_config
    from .conditions import Evaluation, Truth, evaluate
    from .consultation import NOTHING_APPLIES, AdviceEntry, ConsultationResult, MatchedFact, TraceStep
    from .errors import (
        BackendError,
        ExitStatus,
        FactInputError,
        FactInputErrors,
        KnowledgeBaseError,
        KnowledgeBaseErrors,
        LocatedError,
        LocatedErrors,
        OrderdoctorError,
        UnreadableFileError,
        UsageError,
        did_you_mean,
        suggest,
    )
    from .explanation import (
        AdviceSupport,
        Explanation,
        FactSupport,
        RuleCheck,
        RuleSupport,
        WhatIf,
        WhyNot,
        compare_results,
        describe_comparison,
        explain,
        explain_how,
        explain_what_if,
        explain_why_not,
    )
    from .facts import ValueProblem, check_value, convert_text, parse_assignment, parse_facts_document, validate_facts
    from .figures import KnowledgeBaseSize, QuestionCounts, count_questions, measure_knowledge_base
    from .files import (
        MAX_FILE_BYTES,
        AtomicFile,
        decode_text,
        read_file_bytes,
        read_text_file,
        remove_stale_temporaries,
    )
    from .graph import DIRECTIONS, RuleGraph, advice_node, fact_node, rule_node, split_node
    from .inference import InferenceEngine, consult, engine_for, release
    from .interview import Interview, clock_of
    from .lint import CHECKS as LINT_CHECKS
    from .kbdiff import KbDiff, diff_kbs
    from .lint import check_knowledge_base
    from .loader import default_kb_path, load_knowledge_base
    from .location import Location, display_path
    from .model import (
        Advice,
        AdviceKind,
        AllOf,
        AnyOf,
        Comparison,
        Fact,
        FactType,
        KnowledgeBase,
        Not,
        Operator,
        Rule,
        Value,
    )
    from .planner import UNKNOWN, Answer, Question, Reason
    from .review import Review, ReviewTooLargeError, Row, Situation
    from .review import review as review_situations
    from .reviewconfig import load_review_config
    from .schema import FILE_KINDS, SCHEMA_FOLDER, kb_schemas, modeline, render_schema
    from .values import format_value

#: Each public name → the module that defines it (``module:name`` when the public name differs
#: from the module's own: ``review`` would clash with the submodule of that name).
_EXPORTS = {
    # state folders
    "user_state_dir": "_dirs",
    # the rule engine's availability
    "EngineUnavailableError": "_durable", "require_engine": "_durable",
    # scenario cases
    "Case": "cases", "CaseOutcome": "cases", "check_case": "cases", "load_cases": "cases", "run_cases": "cases",
    # the linter's configuration (kb/checks.yaml)
    "load_lint_config": "checks",
    # conditions
    "Evaluation": "conditions", "Truth": "conditions", "evaluate": "conditions",
    # consultation results
    "NOTHING_APPLIES": "consultation", "AdviceEntry": "consultation", "ConsultationResult": "consultation",
    "MatchedFact": "consultation", "TraceStep": "consultation",
    # errors and exit statuses
    "BackendError": "errors", "ExitStatus": "errors", "FactInputError": "errors", "FactInputErrors": "errors",
    "KnowledgeBaseError": "errors", "KnowledgeBaseErrors": "errors", "LocatedError": "errors",
    "LocatedErrors": "errors", "OrderdoctorError": "errors", "UnreadableFileError": "errors",
    "UsageError": "errors", "did_you_mean": "errors", "suggest": "errors",
    # explanations
    "Explanation": "explanation", "explain": "explanation", "AdviceSupport": "explanation",
    "FactSupport": "explanation", "RuleCheck": "explanation",
    "RuleSupport": "explanation", "WhatIf": "explanation", "WhyNot": "explanation",
    "compare_results": "explanation", "describe_comparison": "explanation",
    "explain_how": "explanation", "explain_what_if": "explanation",
    "explain_why_not": "explanation",
    # given facts
    "ValueProblem": "facts", "check_value": "facts", "convert_text": "facts", "parse_assignment": "facts",
    "parse_facts_document": "facts", "validate_facts": "facts",
    # the rule graph
    "RuleGraph": "graph", "advice_node": "graph", "fact_node": "graph", "rule_node": "graph",
    "split_node": "graph", "DIRECTIONS": "graph",
    # consulting
    "InferenceEngine": "inference", "consult": "inference", "engine_for": "inference", "release": "inference",
    # interviews
    "Interview": "interview", "clock_of": "interview",
    # the linter
    "check_knowledge_base": "lint",
    # the linter's check ids (kb check's json/sarif/github name each finding's check)
    "LINT_CHECKS": "lint:CHECKS",
    # the figures the docs state about a knowledge base
    "KnowledgeBaseSize": "figures", "QuestionCounts": "figures", "count_questions": "figures",
    "measure_knowledge_base": "figures",
    # reading and writing files
    "MAX_FILE_BYTES": "files", "AtomicFile": "files", "decode_text": "files", "read_file_bytes": "files",
    "read_text_file": "files", "remove_stale_temporaries": "files",
    # loading a knowledge base
    "default_kb_path": "loader", "load_knowledge_base": "loader",
    # places in files
    "Location": "location", "display_path": "location",
    # the knowledge base's model
    "Advice": "model", "AdviceKind": "model", "AllOf": "model", "AnyOf": "model", "Comparison": "model",
    "Fact": "model", "FactType": "model", "KnowledgeBase": "model", "Not": "model", "Operator": "model",
    "Rule": "model", "Value": "model",
    # the questions to ask
    "UNKNOWN": "planner", "Answer": "planner", "Question": "planner", "Reason": "planner",
    # kb diff: what an edit does to the answers
    "KbDiff": "kbdiff", "diff_kbs": "kbdiff",
    # the situation-space review
    "Review": "review", "ReviewTooLargeError": "review", "Row": "review", "Situation": "review",
    "review_situations": "review:review",
    # the review's configuration (kb/review.yaml)
    "load_review_config": "reviewconfig",
    # JSON Schemas of the kb files, for editors
    "FILE_KINDS": "schema", "SCHEMA_FOLDER": "schema", "kb_schemas": "schema", "modeline": "schema",
    "render_schema": "schema",
    # values as text
    "format_value": "values",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    home = _EXPORTS.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = home.partition(":")
    # __import__ rather than importlib.import_module: ``python -X importtime`` (docs/performance.md)
    # sees only imports made the former way
    __import__(f"{__name__}.{module}")
    value = getattr(_modules[f"{__name__}.{module}"], attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
