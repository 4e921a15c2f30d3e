"""Every error orderdoctor raises on purpose, in one place.

Each error that a user or a knowledge-base maintainer can cause carries a
:class:`~orderdoctor.engine.location.Location` (file, line, column), the
offending value and, where a close match exists, a did-you-mean suggestion.
``str(error)`` is the one line the command line prints::

    kb/rules/refunds.yaml:12:7: error: unknown fact 'coupon_usd' (did you mean 'coupon_used'?)

Loading collects *all* problems of a knowledge base before it gives up; they
travel together in a :class:`KnowledgeBaseErrors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum

from .location import Location

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from .consultation import ConsultationResult

__all__ = [
    "BackendError",
    "ConflictingDerivationError",
    "DuplicateIdError",
    "ExitStatus",
    "FactInputError",
    "FactInputErrors",
    "KnowledgeBaseError",
    "LocatedErrors",
    "KnowledgeBaseErrors",
    "LocatedError",
    "OrderdoctorError",
    "RuleActionError",
    "RuleCycleError",
    "SchemaError",
    "UndeclaredDerivationError",
    "UnreadableFileError",
    "UnreadableKnowledgeBaseFileError",
    "UnknownAdviceError",
    "UnknownFactError",
    "UnknownSourceError",
    "UsageError",
    "ValueNotAllowedError",
    "WrongTypeError",
    "YamlSyntaxError",
    "did_you_mean",
    "suggest",
]


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``word``, or None when nothing is close."""
    import difflib  # only when there is an error to report (start-up time)

    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(*suggestions: str | None) -> str:
    """The suffix every error message ends with when close names exist: `` (did you mean 'x'?)``,
    `` (did you mean 'x' or 'y'?)``, `` (did you mean 'x', 'y' or 'z'?)``; "" when there are
    none (None and empty names are left out)."""
    shown = [f"'{name}'" for name in suggestions if name]
    if not shown:
        return ""
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f" (did you mean {listed}?)"


class ExitStatus(IntEnum):
    """How a command ends the process (httpie's ``ExitStatus``, sysexits where one fits)."""

    OK = 0  # also when the advice is "nothing applies"
    SOME_FAILED = 1  # some records of a batch failed; or `kb check --strict` / `kb test` found problems
    BAD_INPUT = 2  # bad input, a bad knowledge base, or command-line usage
    UNAVAILABLE = 69  # the rule engine cannot be loaded here: an installation to repair
    INTERNAL = 70  # a bug in orderdoctor
    INTERRUPTED = 130  # Ctrl-C
    TERMINATED = 143  # SIGTERM (batch)


class OrderdoctorError(Exception):
    """Base class of every error orderdoctor raises on purpose.

    ``exit_status`` is how a command line ends the process when this error stops a command
    (click's ``ClickException.exit_code``). An error no subclass classifies is a bug in
    orderdoctor; located errors, usage errors and the rest a user can cause are bad input.
    """

    exit_status: ExitStatus = ExitStatus.INTERNAL


class UsageError(OrderdoctorError):
    """A command was used wrongly (an option missing, two that exclude each other, a bad
    argument) in a way the argument parser alone cannot see. ``str()`` is the sentence without
    program name or severity; the command line adds them."""

    exit_status = ExitStatus.BAD_INPUT


class LocatedError(OrderdoctorError):
    """An error that points at a place in a file (or a command-line argument).

    ``message`` is the sentence without location, severity or suggestion;
    ``name`` the offending value as written; ``suggestion`` a close valid value.
    """

    severity = "error"
    exit_status = ExitStatus.BAD_INPUT

    def __init__(
        self,
        location: Location,
        message: str,
        *,
        name: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.location = location
        self.message = message
        self.name = name
        self.suggestion = suggestion
        super().__init__(self.format())

    def format(self) -> str:
        """The one-line form: ``file:line:col: error: message (did you mean 'x'?)``."""
        return f"{self.location}: {self.severity}: {self.message}{did_you_mean(self.suggestion)}"


class KnowledgeBaseError(LocatedError):
    """A problem in a knowledge-base file."""


class YamlSyntaxError(KnowledgeBaseError):
    """The file is not valid YAML, or uses a YAML feature kb files may not use."""


class SchemaError(KnowledgeBaseError):
    """A field is missing, unknown, or has the wrong shape (list vs mapping...)."""


class UnknownFactError(KnowledgeBaseError):
    """A rule names a fact that ``facts.yaml`` does not declare."""


class ValueNotAllowedError(KnowledgeBaseError):
    """A value outside a choice fact's values or an integer fact's bounds."""


class WrongTypeError(KnowledgeBaseError):
    """A value of the wrong type for its fact (a string for an integer...)."""


class UnknownAdviceError(KnowledgeBaseError):
    """A rule gives an advice id that ``advice.yaml`` does not define."""


class UnknownSourceError(KnowledgeBaseError):
    """A rule or advice cites a source that ``sources.yaml`` does not list."""


class DuplicateIdError(KnowledgeBaseError):
    """Two rules, facts, advice items or sources share one id."""


class UndeclaredDerivationError(KnowledgeBaseError):
    """A rule derives a fact that is not declared ``derived: true``."""


class RuleCycleError(KnowledgeBaseError):
    """Rules derive facts in a circle; the message spells the circle out."""


class UnreadableFileError(LocatedError):
    """A file that cannot be read as text: missing, a folder, a device or FIFO, a link where
    links are not followed, larger than the read limit, or not UTF-8 (then with line and column
    of the first bad byte). Raised by :func:`orderdoctor.engine.loader.read_text_file`."""


class UnreadableKnowledgeBaseFileError(UnreadableFileError, KnowledgeBaseError):
    """A knowledge-base file (or its ``rules/`` folder) that cannot be read: see
    :class:`UnreadableFileError`; inside a knowledge base, links are never followed."""


class LocatedErrors(OrderdoctorError):
    """Several located errors found in one go; ``str()`` shows the first and a count."""

    exit_status = ExitStatus.BAD_INPUT

    def __init__(self, errors: Sequence[LocatedError]) -> None:
        self.errors = tuple(errors)
        count = len(self.errors)
        head = self.errors[0].format() if self.errors else "no errors"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(head + more)


class KnowledgeBaseErrors(LocatedErrors):
    """All the errors found while loading one knowledge base, in file order."""

    errors: tuple[KnowledgeBaseError, ...]


class FactInputError(LocatedError):
    """Facts given for a consultation are wrong: unknown name, bad value or type."""


class FactInputErrors(LocatedErrors):
    """All the problems found in one set of given facts."""

    errors: tuple[FactInputError, ...]


class BackendError(OrderdoctorError):
    """durable-rules refused a definition or failed while running a consultation."""


class RuleActionError(BackendError):
    """Applying a fired rule's conclusions failed; names the rule."""

    def __init__(self, rule_id: str, detail: str) -> None:
        self.rule_id = rule_id
        self.detail = detail
        super().__init__(f"rule '{rule_id}' fired but its conclusions failed: {detail}")


class ConflictingDerivationError(KnowledgeBaseError):
    """Two rules derived different values for one fact in the same consultation: an error of the
    knowledge base (``kb check`` finds every pair of rules that can, as ``overlap``), located at
    the rule that fired second. ``first`` and ``second`` are ``(rule id, value)`` (the first rule
    id is ``(given)`` when the fact was given); ``locations`` where the two rules are written
    (None for a given fact); ``given`` the given facts that led there. ``partial`` is set by the
    consultation that stopped: its result up to the conflict (what had fired), for reports."""

    def __init__(
        self,
        fact: str,
        first: tuple[str, object],
        second: tuple[str, object],
        locations: tuple[Location | None, Location] | None = None,
        given: Sequence[tuple[str, object]] = (),
    ) -> None:
        self.fact = fact
        self.first = first
        self.second = second
        self.given = tuple(given)
        self.partial: ConsultationResult | None = None
        first_at, second_at = locations or (None, Location("<consultation>"))

        def rule(found: tuple[str, object], at: Location | None) -> str:
            return f"'{found[0]}' ({at.short()})" if at is not None else f"'{found[0]}'"

        facts = ", ".join(f"{name}={_shown(value)}" for name, value in self.given) or "no facts"
        super().__init__(
            second_at,
            f"rules {rule(first, first_at)} and {rule(second, second_at)} derive different values for fact "
            f"'{fact}' ('{_shown(first[1])}' and '{_shown(second[1])}') from the facts {facts}; the knowledge "
            "base must not let both fire: run `orderdoctor kb check`, which reports every such overlap",
        )


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
