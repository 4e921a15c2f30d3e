"""The facts of one consultation: checking values, reading ``NAME=VALUE`` and fact documents.

A value is accepted only with the exact type its fact declares (durable-rules
would happily match ``"10" == 10`` or ``True == 1``, so nothing loose may reach
it). Text from the command line is first converted: ``"3"`` → ``3`` for an
integer fact, ``yes``/``no`` → ``True``/``False`` for a boolean one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import FactInputError, FactInputErrors, KnowledgeBaseError, suggest
from .location import Location
from .model import Fact, FactType, Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from .model import KnowledgeBase

__all__ = [
    "MAX_INTEGER",
    "ValueProblem",
    "check_value",
    "convert_text",
    "is_integer",
    "parse_assignment",
    "parse_facts_document",
    "validate_facts",
]

#: Largest magnitude of an integer value (beyond it JSON numbers lose precision).
MAX_INTEGER = 2**53

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,30}$")


@dataclass(frozen=True)
class ValueProblem:
    """Why a value does not fit a fact: the wrong type, or outside the allowed values."""

    message: str
    out_of_range: bool = False
    suggestion: str | None = None


def is_integer(value: object) -> bool:
    """True for ints, false for bools (which Python counts as ints)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_value(fact: Fact, value: object) -> Value | ValueProblem:
    """``value`` itself if ``fact`` can take it, else the problem."""
    if fact.type is FactType.BOOLEAN:
        if isinstance(value, bool):
            return value
        return ValueProblem(f"fact '{fact.name}' is true or false, not {_show(value)}")
    if fact.type is FactType.INTEGER:
        if not is_integer(value):
            return ValueProblem(f"fact '{fact.name}' is a whole number, not {_show(value)}")
        number: int = value  # type: ignore[assignment]
        if (fact.minimum is not None and number < fact.minimum) or (
            fact.maximum is not None and number > fact.maximum
        ):
            return ValueProblem(
                f"{number} is outside the range of fact '{fact.name}' ({fact.describe_domain()})",
                out_of_range=True,
            )
        if abs(number) > MAX_INTEGER:
            return ValueProblem(f"{number} is too large for fact '{fact.name}'", out_of_range=True)
        return number
    if not isinstance(value, str):
        return ValueProblem(f"fact '{fact.name}' takes {fact.describe_domain()}, not {_show(value)}")
    if value not in fact.values:
        return ValueProblem(
            f"value '{value}' is not allowed for fact '{fact.name}' ({fact.describe_domain()})",
            out_of_range=True,
            suggestion=suggest(value, fact.values),
        )
    return value


def convert_text(fact: Fact, text: str) -> Value | ValueProblem:
    """Turn command-line text into a value of ``fact``'s type, then check it."""
    if fact.type is FactType.CHOICE and text in fact.values:
        return text
    word = text.strip()
    if fact.type is FactType.INTEGER:
        if not _INTEGER_TEXT.match(word):
            return ValueProblem(f"fact '{fact.name}' is a whole number, not '{text}'")
        return check_value(fact, int(word))
    if fact.type is FactType.BOOLEAN:
        lowered = word.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return ValueProblem(f"fact '{fact.name}' is true or false (or yes/no), not '{text}'")
    normalised = re.sub(r"[\s-]+", "_", word.lower())
    if normalised in fact.values:
        return normalised
    return check_value(fact, word)


def parse_assignment(text: str) -> tuple[str, str]:
    """``"days_left=3"`` → ``("days_left", "3")``; raises FactInputError without '='."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise FactInputError(
            Location(f"--set {text}"), "expected NAME=VALUE, e.g. --set order_status=shipped"
        )
    return name.strip(), value


def parse_facts_document(text: str, label: str) -> dict[str, tuple[object, Location]]:
    """Read a YAML or JSON mapping of fact: value; each value keeps its location.

    A ``null`` value means "not known" and is left out.
    """
    from .yamlfile import parse_yaml

    try:
        document = parse_yaml(text, label)
    except KnowledgeBaseError as exc:
        raise FactInputErrors([FactInputError(exc.location, exc.message)]) from None
    if document is None:
        return {}
    if not document.is_mapping:
        raise FactInputErrors(
            [FactInputError(document.location, "a facts file must be a mapping of fact: value")]
        )
    result: dict[str, tuple[object, Location]] = {}
    for name, node in document.value.items():
        if node.value is None:
            continue
        if not node.is_scalar:
            raise FactInputErrors(
                [FactInputError(node.location, f"the value of fact '{name}' must be a single value")]
            )
        result[name] = (node.value, document.key_locations[name])
    return result


def validate_facts(
    kb: KnowledgeBase,
    given: Mapping[str, object],
    locations: Mapping[str, Location] | None = None,
) -> Mapping[str, Value]:
    """Check the given facts against ``kb``; text values are converted first.

    Returns a read-only mapping in the knowledge base's declaration order.
    Raises :class:`FactInputErrors` listing every problem. ``None`` values
    mean "not known" and are dropped.
    """
    errors: list[FactInputError] = []
    values: dict[str, Value] = {}
    places = locations or {}

    def where(name: object) -> Location:  # only when there is an error to report
        return places.get(name) or Location(f"fact '{name}'")  # type: ignore[call-overload]

    for name, value in given.items():
        fact = kb.facts.get(name) if isinstance(name, str) else None
        if fact is None:
            askable = [f.name for f in kb.facts.values() if not f.derived]
            errors.append(
                FactInputError(
                    where(name), f"unknown fact '{name}'", name=str(name), suggestion=suggest(str(name), askable)
                )
            )
            continue
        if fact.derived:
            errors.append(
                FactInputError(
                    where(name),
                    f"fact '{name}' is concluded by the rules and cannot be given",
                    name=name,
                )
            )
            continue
        if value is None:
            continue
        checked = convert_text(fact, value) if isinstance(value, str) else check_value(fact, value)
        if isinstance(checked, ValueProblem):
            errors.append(FactInputError(where(name), checked.message, name=str(value), suggestion=checked.suggestion))
            continue
        values[name] = checked
    if errors:
        raise FactInputErrors(errors)
    ordered = {name: values[name] for name in kb.facts if name in values}
    return MappingProxyType(ordered)


def _show(value: object) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
