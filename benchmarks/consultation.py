"""Consultation latency on the shipped knowledge base: our engine against the peers.

Every engine must give the same advice on every kb case before any time is reported. Times are
per consultation, all cases cycled, medians and p90 over ``--rounds`` rounds of all cases.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from orderdoctor.engine import consult, load_cases, load_knowledge_base

from .peers import available_peers


def _time(advise: Callable[[Any], Any], cases: list[Any], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for facts in cases:
            started = time.perf_counter()
            advise(facts)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(rounds: int = 30) -> dict[str, dict[str, float]]:
    kb = load_knowledge_base()
    cases = [dict(case.facts) for case in load_cases(kb)]
    engines: dict[str, Callable[[Any], Any]] = {"orderdoctor": lambda facts: consult(kb, facts).advice_ids}
    engines.update({peer.name: peer.advise for peer in available_peers(kb)})
    expected = [consult(kb, facts).advice_ids for facts in cases]
    for name, advise in engines.items():
        for facts, want in zip(cases, expected):
            got = advise(facts)
            assert set(got) == set(want), f"{name} disagrees on {facts}: {got} != {want}"
    # Rounds interleave the engines (every engine times every case once per round), so that the
    # shared machine's changing load affects them all alike.
    samples: dict[str, list[float]] = {name: [] for name in engines}
    for name, advise in engines.items():
        _time(advise, cases, 2)  # warm-up
    for _ in range(rounds):
        for name, advise in engines.items():
            samples[name] += _time(advise, cases, 1)
    results = {}
    for name, values in samples.items():
        values.sort()
        results[name] = {
            "median_ms": statistics.median(values),
            "p90_ms": values[int(len(values) * 0.9)],
            "consultations": len(values),
        }
    return results


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks consultation")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    results = run(args.rounds)
    ours = results["orderdoctor"]["median_ms"]
    print("consultation on the shipped kb (ms per consultation; every engine checked to agree on every case)")
    print(f"{'engine':24} {'median':>8} {'p90':>8} {'vs orderdoctor':>15}")
    for name, r in results.items():
        print(f"{name:24} {r['median_ms']:8.3f} {r['p90_ms']:8.3f} {r['median_ms'] / ours:14.2f}x")
    return results


if __name__ == "__main__":
    main()
