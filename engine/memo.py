"""Work done once per knowledge base and kept beside it: the memo of derived tables.

A :class:`~.model.KnowledgeBase` is immutable, so anything worked out from it alone (the fact
validators of :mod:`.facts`, the advice tables of :mod:`.consultation`) stays right as long as it
lives. :func:`remembered` keeps such a table in the knowledge base's instance dictionary — where
``functools.cached_property`` keeps its values, outside the dataclass fields, so equality,
``repr`` and ``dataclasses.replace`` never see it — and it goes when the knowledge base goes.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from typing import TypeVar

    from .model import KnowledgeBase

    Table = TypeVar("Table")

__all__ = ["remembered"]


def remembered(kb: KnowledgeBase, key: str, build: Callable[[KnowledgeBase], Table]) -> Table:
    """``build(kb)``, worked out on first use and kept with ``kb`` under ``key``.

    (Two threads asking at once may both build it; they build the same thing.)"""
    store = getattr(kb, "__dict__", None)
    if store is None:  # pragma: no cover - a knowledge base without an instance dictionary
        return build(kb)
    try:
        return store[key]
    except KeyError:
        table = store[key] = build(kb)
        return table
