"""The operators of the rule language: the registry.

Each operator is one frozen :class:`Operator` object in one module of this package, which owns
its test, negation, durable compilation, domain reasoning, accepted fact types and value shape,
and its words (see :mod:`.base`). :data:`MODULES` names the modules, in the order the operators
are listed to a kb author; adding an operator is writing its module and naming it here. Every
module is imported when this package is (a few small modules: ``advise`` needs the operators its
knowledge base uses anyway).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType

from .base import Operator, Shape

__all__ = ["MODULES", "OPERATORS", "Operator", "Shape", "operator_named"]

#: The operator modules of this package, in the order operators are listed to a kb author.
MODULES = ("eq", "ne", "in_", "not_in", "lt", "lte", "gt", "gte", "between")


def _load() -> Mapping[str, Operator]:
    found: dict[str, Operator] = {}
    for module in MODULES:
        operator = importlib.import_module(f"{__name__}.{module}").OPERATOR
        if not isinstance(operator, Operator) or operator.name in found:
            raise ImportError(f"{__name__}.{module}: OPERATOR must be a new Operator")  # pragma: no cover
        found[operator.name] = operator
    return MappingProxyType(found)


#: Every operator by its kb keyword, in :data:`MODULES` order.
OPERATORS: Mapping[str, Operator] = _load()


def operator_named(name: str) -> Operator:
    """The operator whose kb keyword is ``name`` (KeyError if there is none)."""
    return OPERATORS[name]
