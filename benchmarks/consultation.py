"""Consultation time on the shipped knowledge base: orderdoctor against its peers.

orderdoctor's timed work is what ``advise --json`` does: ``consult(kb, facts).to_json()``. Every
peer gives the same answer (:mod:`.agreement`: ordered advice, facts and — where the peer has
one — the firing order; the floor the whole ``to_json()``) on every kb case and on
``--check`` random fact sets before anything is timed; a difference fails the benchmark.

Two workloads: the kb's cases, and ``--random`` random fact sets. Each is timed in ``--rounds``
rounds of interleaved passes in CPU time (:mod:`.timing`); ratios are each engine's time over
orderdoctor's in the same round, min / median / max over the rounds. experta, about 40× slower,
is timed alone with orderdoctor, on the cases, in 3 rounds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from orderdoctor.engine import InferenceEngine, load_cases, load_knowledge_base

from .agreement import check, expected, random_fact_sets
from .peers import available_peers
from .timing import interleaved

OURS = "orderdoctor"
ADVICE_ONLY = "orderdoctor without to_json()"


def run(rounds: int = 9, random_sets: int = 2_000, checks: int = 3_000, experta_checks: int = 300) -> dict[str, Any]:
    kb = load_knowledge_base()
    engine = InferenceEngine(kb)
    cases = [dict(case.facts) for case in load_cases(kb)]
    sets = random_fact_sets(kb, max(checks, random_sets))
    peers = available_peers(kb)
    wanted_cases = [expected(engine, facts) for facts in cases]
    wanted_sets = [expected(engine, facts) for facts in sets[:checks]]
    checked = {}
    for peer in peers:  # before any timing: a difference raises agreement.Disagreement
        limit = experta_checks if peer.name == "experta" else checks
        checked[peer.name] = check(peer, engine, cases, wanted_cases) + check(
            peer, engine, sets[:limit], wanted_sets[:limit])
    engines: dict[str, Callable[[Any], Any]] = {
        OURS: lambda facts: engine.consult(facts).to_json(),
        ADVICE_ONLY: lambda facts: engine.consult(facts).advice_ids,
    }
    engines.update({peer.name: peer.advise for peer in peers})
    without_experta = {name: run for name, run in engines.items() if name != "experta"}
    result = {
        "checked": checked,
        "cases": {"count": len(cases), "rounds": rounds,
                  "engines": interleaved(without_experta, cases, rounds, passes=3, base=OURS)},
        "random": {"count": random_sets, "rounds": rounds,
                   "engines": interleaved(without_experta, sets[:random_sets], rounds, passes=8, base=OURS)},
    }
    if "experta" in engines:  # about 40× slower: alone with orderdoctor, on the cases, 3 rounds
        pair = {OURS: engines[OURS], "experta": engines["experta"]}
        timed = interleaved(pair, cases, 3, passes=3, base=OURS)
        result["experta"] = {"count": len(cases), "rounds": 3, "engines": timed}
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks consultation")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--random", type=int, default=2_000, help="random fact sets timed per round")
    parser.add_argument("--check", type=int, default=3_000, help="random fact sets every peer must agree on")
    args = parser.parse_args(argv)
    results = run(args.rounds, args.random, args.check)
    print("consultation on the shipped kb; every peer agreed on: "
          + ", ".join(f"{name} {n:,} fact sets" for name, n in results["checked"].items()))
    for workload in ("cases", "random", "experta"):
        if workload not in results:
            continue
        block = results[workload]
        print(f"{workload}: {block['count']} fact sets, {block['rounds']} interleaved rounds, CPU µs per "
              "consultation and time / orderdoctor's (min / median / max)")
        for name, row in block["engines"].items():
            us, ratio = row["us"], row["ratio"]
            print(f"  {name:34} {us[0]:9.1f} {us[1]:9.1f} {us[2]:9.1f}   "
                  f"{ratio[0]:6.2f} {ratio[1]:6.2f} {ratio[2]:6.2f}")
    return results


if __name__ == "__main__":
    main()
