"""The facts of one consultation: checking values, reading ``NAME=VALUE`` and fact documents.

A value is accepted only with the exact type its fact declares (durable-rules
would happily match ``"10" == 10`` or ``True == 1``, so nothing loose may reach
it). Text from the command line is first converted: ``"3"`` → ``3`` for an
integer fact (ASCII digits only: ``٣`` or ``３`` are refused), ``yes``/``no`` →
``True``/``False`` for a boolean one.

A facts document is read as what it claims to be: a ``.json`` file (or text
that starts with ``{`` and has no ``.yaml``/``.yml`` name, such as standard
input) with Python's JSON parser, every other one as YAML
(:mod:`.yamlfile`: integers as a person writes them). Either way every value
keeps the line and column it was written at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import FactInputError, FactInputErrors, KnowledgeBaseError, suggest
from .location import Location, location_of
from .memo import remembered
from .model import Fact, FactType, Value
from .values import format_value

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
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,30}", re.ASCII)
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]+", re.ASCII)


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
        return ValueProblem(f"fact '{fact.name}' is true or false, not {format_value(value, quote=True)}")
    if fact.type is FactType.INTEGER:
        if not is_integer(value):
            return ValueProblem(f"fact '{fact.name}' is a whole number, not {format_value(value, quote=True)}")
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
        return ValueProblem(f"fact '{fact.name}' takes {fact.describe_domain()}, not {format_value(value, quote=True)}")
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
        if not _INTEGER_TEXT.fullmatch(word):
            if any(ch.isdigit() and not ch.isascii() for ch in word):
                return ValueProblem(
                    f"fact '{fact.name}' is a whole number written with the digits 0-9, not '{_clip(text)}'"
                )
            return ValueProblem(f"fact '{fact.name}' is a whole number, not '{_clip(text)}'")
        if _LEADING_ZERO.fullmatch(word):  # as in facts files: 010 is not silently 10 (nor 8)
            plain = str(int(word))
            return ValueProblem(f"fact '{fact.name}' is a whole number: write {plain}, not {word}")
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


def parse_assignment(text: str, option: str = "--set") -> tuple[str, str]:
    """``"days_left=3"`` → ``("days_left", "3")``; raises FactInputError without '='.

    ``option`` is the caller's name for where ``text`` was given (a command-line option such as
    ``--what-if``); the error is located at ``OPTION TEXT`` and shows an example with it. (The
    default is kept for callers from before the option was passed.)
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise FactInputError(Location(f"{option} {text}"), f"expected NAME=VALUE, e.g. {option} order_status=shipped")
    return name.strip(), value


def parse_facts_document(
    text: str, label: str, *, as_json: bool | None = None
) -> dict[str, tuple[object, Location]]:
    """Read a YAML or JSON mapping of fact: value; each value keeps its location.

    ``as_json`` None decides by ``label``: ``*.json`` is JSON, ``*.yaml``/``*.yml`` YAML, and
    anything else (``<stdin>``) JSON when its first character other than white space is ``{``.
    A ``null`` value means "not known" and is left out. Raises :class:`FactInputErrors`.
    """
    guessed = as_json is None
    if as_json is None:
        suffix = label.lower().rpartition(".")[2] if "." in label else ""
        guessed = suffix != "json"
        as_json = not guessed or (suffix not in ("yaml", "yml") and text.lstrip().startswith("{"))
    if as_json:
        return _parse_json_facts(text, label, guessed=guessed)
    from .yamlfile import parse_yaml

    try:
        document = parse_yaml(text, label)
    except KnowledgeBaseError as exc:
        raise FactInputErrors(
            [FactInputError(exc.location, exc.message, name=exc.name, suggestion=exc.suggestion)]
        ) from None
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


class _JsonNumberTooLong(ValueError):
    """An integer in JSON text with more digits than any fact allows (raised while decoding)."""


def _json_integer(digits: str) -> int:
    if len(digits.lstrip("-")) > 30:  # also keeps Python's int() digit limit out of reach
        raise _JsonNumberTooLong(digits)
    return int(digits)


def _json_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _parse_json_facts(text: str, label: str, *, guessed: bool = False) -> dict[str, tuple[object, Location]]:
    """A JSON object of fact: value, parsed by Python's JSON decoder value by value, so that
    every fact name keeps its line and column; duplicate names and nested values are refused.
    ``guessed``: JSON because the text starts with '{' (JSON errors then say so)."""
    return _JsonFacts(text, label, guessed).parse()


class _JsonFacts:
    """The reading of one JSON facts text (see :func:`_parse_json_facts`): a position in it, and
    the facts read so far."""

    _BLANK = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str, label: str, guessed: bool) -> None:
        import json

        self.text = text
        self.label = label
        self.guessed = guessed
        self.decoder = json.JSONDecoder(parse_int=_json_integer, parse_constant=_json_constant)
        self.result: dict[str, tuple[object, Location]] = {}
        self.seen: dict[str, Location] = {}

    def fail(self, offset: int, message: str) -> FactInputErrors:
        if self.guessed and message.startswith("JSON:"):
            message += " (read as JSON because it starts with '{')"
        return FactInputErrors([FactInputError(location_of(self.text, offset, self.label), message)])

    def skip(self, offset: int) -> int:
        return self._BLANK.match(self.text, offset).end()  # type: ignore[union-attr]

    def value_at(self, offset: int) -> tuple[object, int]:
        import json

        try:
            return self.decoder.raw_decode(self.text, offset)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.pos, f"JSON: {exc.msg.removesuffix(' at')}") from None
        except _JsonNumberTooLong:
            raise self.fail(offset, "number too large (more than 30 digits)") from None
        except RecursionError:
            raise self.fail(offset, "JSON nested too deeply") from None
        except ValueError as exc:
            raise self.fail(offset, f"JSON: {exc}") from None

    def parse(self) -> dict[str, tuple[object, Location]]:
        text = self.text
        position = self.skip(0)
        if position == len(text):  # not "no facts": an empty .json file is not JSON ({} is)
            raise self.fail(0, "JSON: empty file (write {} for no facts)")
        if text[position] != "{":
            self.value_at(position)  # a JSON error if it is not JSON at all
            raise self.fail(position, "a facts file must be a JSON object of fact: value")
        position = self.skip(position + 1)
        if text.startswith("}", position):
            position += 1
        else:
            position = self.members(position)
        position = self.skip(position)
        if position != len(text):
            raise self.fail(position, "JSON: extra text after the facts object")
        return self.result

    def members(self, position: int) -> int:
        """Read ``"name": value`` pairs from ``position`` to the closing ``}``; the offset after it."""
        while True:
            position = self.skip(self.member(position))
            if self.text.startswith(",", position):
                position = self.skip(position + 1)
                continue
            if self.text.startswith("}", position):
                return position + 1
            raise self.fail(position, "JSON: expected ',' or '}' after a value")

    def member(self, position: int) -> int:
        """Read one ``"name": value`` at ``position``; the offset after the value."""
        text = self.text
        if not text.startswith('"', position):
            raise self.fail(position, "JSON: expected a fact name in double quotes")
        name_offset = position
        where = location_of(text, position, self.label)
        name, position = self.value_at(position)
        assert isinstance(name, str)
        position = self.skip(position)
        if not text.startswith(":", position):
            raise self.fail(position, "JSON: expected ':' after the fact name")
        start = self.skip(position + 1)
        value, position = self.value_at(start)
        if is_integer(value) and re.match(r"-?0[0-9]", text[start : start + 3]):
            written = re.match(r"-?[0-9]+", text[start:start + 40]).group()  # type: ignore[union-attr]
            raise self.fail(start, f"JSON: a number has no leading zero: write {int(written)}, not {written}")
        if name in self.seen:
            raise self.fail(name_offset, f"fact '{name}' is given twice (first at {self.seen[name]})")
        self.seen[name] = where
        if isinstance(value, (dict, list)):
            raise self.fail(start, f"the value of fact '{name}' must be a single value")
        if value is not None:
            self.result[name] = (value, where)
        return position


def validate_facts(
    kb: KnowledgeBase,
    given: Mapping[str, object],
    locations: Mapping[str, Location] | None = None,
) -> Mapping[str, Value]:
    """Check the given facts against ``kb``; text values are converted first.

    Returns a read-only mapping in the knowledge base's declaration order.
    Raises :class:`FactInputErrors` listing every problem. ``None`` values
    mean "not known" and are dropped.

    The usual case, every fact known and every value right, takes the fast path: what each fact
    takes, worked out once per knowledge base (:func:`_value_specs`); anything it does not pass
    (text to convert, a problem to report) is decided by :func:`_validate_each`, value by value.
    """
    specs = remembered(kb, "_fact_validators", _value_specs)
    values: dict[str, Value] = {}
    last, ordered = -1, True
    for name, value in given.items():
        spec = specs.get(name) if name.__class__ is str else None
        if spec is None:
            return _validate_each(kb, given, locations)  # unknown or derived: errors to report
        if value is None:
            continue
        index, kind, allowed, low, high = spec
        if value.__class__ is not kind:
            return _validate_each(kb, given, locations)  # text to convert, or the wrong type
        if allowed is not None:
            if value not in allowed:
                return _validate_each(kb, given, locations)
        elif kind is int and not low <= value <= high:  # type: ignore[operator]
            return _validate_each(kb, given, locations)
        values[name] = value  # type: ignore[assignment]
        ordered = ordered and index > last
        last = index
    if not ordered:
        values = {name: values[name] for name in sorted(values, key=lambda name: specs[name][0])}
    return MappingProxyType(values)


#: What :func:`validate_facts` checks a value of a fact that may be given against: the fact's place
#: in the declaration order, the exact type of its values, its allowed choices (a choice fact), and
#: the lowest and highest number it takes (an integer fact, within :data:`MAX_INTEGER`).
ValueSpec = tuple[int, type, "frozenset[str] | None", int, int]


def _value_specs(kb: KnowledgeBase) -> dict[str, ValueSpec]:
    """The :data:`ValueSpec` of each fact of ``kb`` that may be given (worked out once per kb)."""
    specs: dict[str, ValueSpec] = {}
    for index, (name, fact) in enumerate(kb.facts.items()):
        if fact.derived:
            continue
        if fact.type is FactType.CHOICE:
            specs[name] = (index, str, frozenset(fact.values), 0, 0)
        elif fact.type is FactType.BOOLEAN:
            specs[name] = (index, bool, None, 0, 0)
        else:
            low = -MAX_INTEGER if fact.minimum is None else max(fact.minimum, -MAX_INTEGER)
            high = MAX_INTEGER if fact.maximum is None else min(fact.maximum, MAX_INTEGER)
            specs[name] = (index, int, None, low, high)
    return specs


def _validate_each(
    kb: KnowledgeBase,
    given: Mapping[str, object],
    locations: Mapping[str, Location] | None,
) -> Mapping[str, Value]:
    """:func:`validate_facts`, value by value: converting text, and reporting every problem."""
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


def _clip(text: str) -> str:
    """Text as shown in a message: long text cut, with its length."""
    return text if len(text) <= 40 else f"{text[:30]}… ({len(text)} characters)"
