"""Frozen records: frozen dataclasses whose methods are written, not generated, at import.

``@dataclass(frozen=True)`` writes the source of ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__`` and ``__delattr__`` of every class and compiles each with ``exec``
when the module is imported: about 0.7 ms a class, a tenth of ``orderdoctor advise``'s start-up
for the classes on its path (docs/performance.md). :func:`frozen` makes the same frozen dataclass
without compiling anything: :func:`dataclasses.dataclass` is asked only for the fields (so
``dataclasses.fields``, ``replace``, ``asdict`` and ``__match_args__`` work as before); the class
writes its own ``__init__``, a plain one that stores each field in the instance's ``__dict__``
past the frozen ``__setattr__`` (what the generated one does, faster); ``__eq__``, ``__hash__``,
``__repr__``, the ordering and the frozen ``__setattr__``/``__delattr__`` are shared functions
that read the fields' names from the class. The results are the generated methods' own
(``tests/test_records.py`` compares them with real dataclasses of the same fields); type
checkers see a frozen dataclass (:pep:`681`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field, fields
from operator import attrgetter

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform  # typing's from Python 3.11; mypy checks 3.10

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        """For type checkers only (:pep:`681`): they see a record as the frozen dataclass it is."""
        return lambda function: function

__all__ = ["frozen"]


def _key(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields ``names`` of an object as a tuple (also for one field or none)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return attrgetter(*names)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_compared__(self) == other.__record_compared__(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__record_hashed__(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{self.__class__.__qualname__}({shown})"


def _ordering(compare: Callable[[Any, Any], bool], name: str) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(self.__record_compared__(self), other.__record_compared__(other))
        return NotImplemented

    method.__name__ = method.__qualname__ = name
    return method


_ORDER = {
    "__lt__": lambda a, b: a < b,
    "__le__": lambda a, b: a <= b,
    "__gt__": lambda a, b: a > b,
    "__ge__": lambda a, b: a >= b,
}


def _frozen_methods(cls: Any, names: frozenset[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    """The frozen dataclass's ``__setattr__`` and ``__delattr__`` (a subclass may set other names)."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(*, eq: bool = True, repr: bool = True, order: bool = False) -> Callable[[T], T]:
    """``@dataclass(frozen=True, eq=eq, repr=repr, order=order)`` for a class that writes its own
    ``__init__``, without generating code (see the module docstring)."""

    def wrap(cls: T) -> T:
        if "__init__" not in vars(cls):
            raise TypeError(f"{cls!r}: a frozen record writes its own __init__")
        made: Any = dataclass(init=False, repr=False, eq=False)(cls)  # type: ignore[arg-type]
        made.__dataclass_params__.frozen = True
        every = fields(made)
        made.__setattr__, made.__delattr__ = _frozen_methods(made, frozenset(f.name for f in every))
        if eq:
            made.__record_compared__ = staticmethod(_key([f.name for f in every if f.compare]))
            made.__record_hashed__ = staticmethod(
                _key([f.name for f in every if (f.compare if f.hash is None else f.hash)])
            )
            made.__eq__, made.__hash__ = _eq, _hash
        if repr:
            made.__record_shown__ = tuple(f.name for f in every if f.repr)
            made.__repr__ = _repr
        if order:
            for name, compare in _ORDER.items():
                setattr(made, name, _ordering(compare, name))
        return made

    return wrap
