"""How the benchmarks time engines on a shared, noisy machine.

* **CPU time** (``time.process_time``): other tenants' preemption does not count towards it.
* **Interleaved passes**: a round is the whole workload cut into passes; in each pass every
  engine runs the same chunk, and the order of the engines rotates from pass to pass, so that a
  busy moment hits them all alike.
* **Ratios within a round**: each engine's time over the base engine's time *in the same round*;
  min / median / max over the rounds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def spread(values: Sequence[float]) -> list[float]:
    """[min, median, max]."""
    return [min(values), statistics.median(values), max(values)]


def interleaved(engines: dict[str, Callable[[Any], Any]], workload: Sequence[Any], rounds: int,
                passes: int, base: str) -> dict[str, dict[str, list[float]]]:
    """Per engine: µs of CPU per item (min/median/max over rounds) and its ratio to ``base``."""
    names = list(engines)
    size = max(1, -(-len(workload) // passes))
    chunks = [workload[i:i + size] for i in range(0, len(workload), size)]
    for name in names:  # warm-up
        for item in chunks[0]:
            engines[name](item)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    turn = 0
    for _ in range(rounds):
        spent = dict.fromkeys(names, 0.0)
        for chunk in chunks:
            order = names[turn % len(names):] + names[: turn % len(names)]
            turn += 1
            for name in order:
                run = engines[name]
                started = time.process_time()
                for item in chunk:
                    run(item)
                spent[name] += time.process_time() - started
        for name in names:
            per_round[name].append(spent[name] / len(workload) * 1e6)
    return {
        name: {
            "us": spread(values),
            "ratio": spread([mine / ours for mine, ours in zip(values, per_round[base], strict=True)]),
        }
        for name, values in per_round.items()
    }
