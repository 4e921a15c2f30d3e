"""Compile time against knowledge-base size: linear, and 50,000 rules in under 10 s (issue 16).

Two kinds of kb at 10,000 and 50,000 rules: *synthetic* (:mod:`.synthetic`, built in memory: the
kind the performance check measured compile on) and *realistic* (:mod:`.realistic`: chains of
derived facts six deep, ``in``, ``not``, ``any``; written as YAML once and loaded by the real
loader, uncached, before each compile — the load is timed by ``scale``). Each is compiled —
``InferenceEngine(kb)``: atoms, shard planning and durable-rules' rulesets — in ``--rounds``
rounds, CPU time, sizes interleaved and a fresh kb each time (a kb keeps what was worked out from
it, so compiling the same kb again would flatter us). Reported: min / median / max per size, and
the median time per rule at the largest size over that at the smallest (1.0: linear).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orderdoctor.engine import InferenceEngine, KnowledgeBase, load_knowledge_base

from .realistic import write_kb
from .synthetic import synthetic_kb

SIZES = (10_000, 50_000)


def _compile_seconds(build: Callable[[], KnowledgeBase]) -> tuple[float, int]:
    kb = build()
    gc.collect()
    started = time.process_time()
    engine = InferenceEngine(kb)
    seconds = time.process_time() - started
    shards = len(engine._compiled.shards)
    engine.close()
    return seconds, shards


def _measure(builders: dict[int, Callable[[int], KnowledgeBase]], rounds: int) -> dict[str, Any]:
    sizes = tuple(builders)
    times: dict[int, list[float]] = {size: [] for size in sizes}
    shards: dict[int, int] = {}
    for turn in range(rounds):
        for size in sizes if turn % 2 == 0 else tuple(reversed(sizes)):
            seconds, shards[size] = _compile_seconds(lambda: builders[size](turn))
            times[size].append(seconds)
    rows = [{"rules": size, "shards": shards[size],
             "compile_s": [min(times[size]), statistics.median(times[size]), max(times[size])]} for size in sizes]
    smallest, largest = min(sizes), max(sizes)
    per_rule = [statistics.median(times[size]) / size for size in (smallest, largest)]
    return {"rounds": rounds, "sizes": rows, "per_rule_ratio": per_rule[1] / per_rule[0]}


def run(sizes: tuple[int, ...] = SIZES, rounds: int = 3, realistic_rounds: int = 2) -> dict[str, Any]:
    synthetic = _measure({size: lambda turn, size=size: synthetic_kb(size, seed=turn + 1) for size in sizes}, rounds)
    with tempfile.TemporaryDirectory() as temporary:
        folders = {size: write_kb(Path(temporary) / f"kb{size}", size) for size in sizes}
        realistic = _measure(
            {size: lambda turn, size=size: load_knowledge_base(folders[size], cache=False) for size in sizes},
            realistic_rounds)
    return {"synthetic": synthetic, "realistic": realistic}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks compile")
    parser.add_argument("--rounds", type=int, default=3, help="rounds on the synthetic kbs")
    parser.add_argument("--realistic-rounds", type=int, default=2, help="rounds on the realistic kbs")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args(argv)
    results = run(tuple(args.sizes), args.rounds, args.realistic_rounds)
    for kind, block in results.items():
        print(f"compile, {kind} kbs (CPU s, {block['rounds']} rounds, min / median / max)")
        for row in block["sizes"]:
            low, mid, high = row["compile_s"]
            print(f"  {row['rules']:>7,} rules, {row['shards']} shards: {low:.2f} / {mid:.2f} / {high:.2f} s")
        print(f"  time per rule, largest over smallest: {block['per_rule_ratio']:.2f} (1.00: linear)")
    return results


if __name__ == "__main__":
    main()
