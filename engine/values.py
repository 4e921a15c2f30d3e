"""Fact values as words: the one formatter every message, trace and explanation uses.

The variants a reader sees are parameters, not copies: ``true``/``false`` (the rule
language's spelling, the default) or ``yes``/``no`` (plain words for people), and strings
bare (``shipped``) or quoted as in an error message (``'shipped'``, other values then shown
as Python writes them).
"""

from __future__ import annotations

__all__ = ["format_value"]


def format_value(value: object, *, quote: bool = False, yes_no: bool = False) -> str:
    """``value`` as text: ``true``/``false`` (``yes``/``no`` with ``yes_no``) for a boolean;
    with ``quote`` a string in single quotes and anything else as its ``repr``; otherwise ``str``."""
    if isinstance(value, bool):
        if yes_no:
            return "yes" if value else "no"
        return "true" if value else "false"
    if quote:
        return f"'{value}'" if isinstance(value, str) else repr(value)
    return str(value)
