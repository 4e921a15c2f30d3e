"""Performance measurements of orderdoctor against its peers (never part of the test run).

``python -m benchmarks`` runs them all; see docs/performance.md.
"""

from __future__ import annotations

import importlib
import sys

NAMES = ("consultation", "scale", "compile", "endtoend", "memory")


def run_benchmark(name: str) -> object:
    """Run one benchmark module's ``main([])`` and return its results (in a fresh process when
    ``python -m benchmarks`` runs several)."""
    result = importlib.import_module(f"{__name__}.{name}").main([])
    sys.stdout.flush()
    return result
