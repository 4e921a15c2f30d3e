"""Compile time against knowledge-base size: linear, and 50,000 rules in under 10 s (issue 16).

Synthetic kbs (:mod:`.synthetic`, built in memory: the loader is timed by ``scale``) of 10,000 and
50,000 rules are compiled — ``InferenceEngine(kb)``: atoms, shard planning and durable-rules'
rulesets — in ``--rounds`` rounds, CPU time, sizes interleaved and a freshly built kb each time (a
kb keeps what was worked out from it, so compiling the same kb again would flatter us). Reported:
min / median / max per size, and the median time per rule at the largest size over that at the
smallest (1.0: linear).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Any

from orderdoctor.engine import InferenceEngine

from .synthetic import synthetic_kb

SIZES = (10_000, 50_000)


def _compile_seconds(size: int, seed: int) -> tuple[float, int]:
    kb = synthetic_kb(size, seed=seed)
    gc.collect()
    started = time.process_time()
    engine = InferenceEngine(kb)
    seconds = time.process_time() - started
    shards = len(engine._compiled.shards)
    engine.close()
    return seconds, shards


def run(sizes: tuple[int, ...] = SIZES, rounds: int = 3) -> dict[str, Any]:
    times: dict[int, list[float]] = {size: [] for size in sizes}
    shards: dict[int, int] = {}
    for turn in range(rounds):
        for size in sizes if turn % 2 == 0 else tuple(reversed(sizes)):
            seconds, shards[size] = _compile_seconds(size, seed=turn + 1)
            times[size].append(seconds)
    rows = [{"rules": size, "shards": shards[size],
             "compile_s": [min(times[size]), statistics.median(times[size]), max(times[size])]} for size in sizes]
    smallest, largest = min(sizes), max(sizes)
    per_rule = [statistics.median(times[size]) / size for size in (smallest, largest)]
    return {"rounds": rounds, "sizes": rows, "per_rule_ratio": per_rule[1] / per_rule[0]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks compile")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args(argv)
    results = run(tuple(args.sizes), args.rounds)
    print(f"compile (synthetic kbs, CPU s, {results['rounds']} rounds, min / median / max)")
    for row in results["sizes"]:
        low, mid, high = row["compile_s"]
        print(f"  {row['rules']:>7,} rules, {row['shards']} shards: {low:.2f} / {mid:.2f} / {high:.2f} s")
    print(f"  time per rule, largest over smallest: {results['per_rule_ratio']:.2f} (1.00: linear)")
    return results


if __name__ == "__main__":
    main()
