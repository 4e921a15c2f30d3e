"""Scale: realistic generated knowledge bases of 1,000 and 10,000 rules (see realistic.py).

For each size the kb is written as YAML and **loaded by the real loader, uncached**; "load" is that
load, "compile" is registering it with the backend (``InferenceEngine(kb)``), each timed in CPU
seconds over ``--load-rounds`` rounds, interleaved with building the CLIPS peer from the same kb.
Then the floor and CLIPS are built and checked to give orderdoctor's ordered advice, facts and
firing order on every fact set, and the three are timed in ``--rounds`` interleaved rounds (CPU
time, ratios within a round, min / median / max; orderdoctor's work includes ``to_json()``).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from orderdoctor.engine import InferenceEngine, load_knowledge_base

from .agreement import check, expected
from .floor import Floor
from .memory import rss_mib
from .peers import Clips
from .realistic import cases, write_kb
from .timing import interleaved, spread

SIZES = (1_000, 10_000)
OURS = "orderdoctor"


def _cpu(work: Any) -> tuple[float, Any]:
    started = time.process_time()
    result = work()
    return time.process_time() - started, result


def _loads(folder: Path, rounds: int) -> tuple[dict[str, list[float]], Any, Any]:
    """Load (uncached) + compile, and CLIPS's build, interleaved; the last kb and engine."""
    times: dict[str, list[float]] = {"load_s": [], "compile_s": [], "clips_build_s": [], "clips_ratio": []}
    kb = engine = None
    loaded = load_knowledge_base(folder)  # what the CLIPS peer is built from (its own load is not timed)
    for turn in range(rounds):
        if engine is not None:
            engine.close()
        kb = engine = None
        gc.collect()
        order = ("ours", "clips") if turn % 2 == 0 else ("clips", "ours")
        for who in order:
            if who == "ours":
                load, kb = _cpu(lambda: load_knowledge_base(folder, cache=False))
                compile_, engine = _cpu(lambda: InferenceEngine(kb))
                times["load_s"].append(load)
                times["compile_s"].append(compile_)
            else:
                built, peer = _cpu(lambda: Clips(loaded))
                del peer
                times["clips_build_s"].append(built)
        times["clips_ratio"].append((times["load_s"][-1] + times["compile_s"][-1]) / times["clips_build_s"][-1])
    return times, kb, engine


def run_size(size: int, count: int, rounds: int, load_rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as temporary:
        folder = write_kb(Path(temporary) / "kb", size)
        times, kb, engine = _loads(folder, load_rounds)
    facts_list = cases(kb, count)
    wanted = [expected(engine, facts) for facts in facts_list]
    failed = sum(isinstance(answer, str) for answer in wanted)
    rss = rss_mib()
    peers = [Floor(kb), Clips(kb)]
    for peer in peers:  # a difference raises agreement.Disagreement: nothing is timed then
        check(peer, engine, facts_list, wanted)
    engines = {OURS: lambda facts: engine.consult(facts).to_json()}
    engines.update({peer.name: peer.advise for peer in peers})
    timed = interleaved(engines, facts_list, rounds, passes=3, base=OURS)
    fired = [len(answer["trace"]) for answer in wanted if not isinstance(answer, str)]
    row = {
        "rules": size, "facts": len(kb.facts), "cases": count, "failed_cases": failed,
        "shards": len(engine._compiled.shards), "fired_per_case": statistics.mean(fired),
        "rss_mib": rss, "engines": timed,
        **{name: spread(values) for name, values in times.items()},
    }
    engine.close()
    return row


def run(sizes: tuple[int, ...] = SIZES, count: int = 30, rounds: int = 5, load_rounds: int = 3) -> list[dict[str, Any]]:
    return [run_size(size, count, rounds, load_rounds if size <= 1_000 else max(1, load_rounds - 1)) for size in sizes]


def plot(results: list[dict[str, Any]], path: Path) -> bool:
    """Latency against size for every engine, log-log, as a PNG (needs matplotlib: the [bench] extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(9.5, 4.5), dpi=110)
    names = list(dict.fromkeys(name for r in results for name in r["engines"]))
    for name, style in zip(names, ("o-", "s--", "^:", "d-."), strict=False):
        axes.plot([r["rules"] for r in results], [r["engines"][name]["us"][1] / 1000 for r in results], style, label=name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("rules in the knowledge base (realistic generated kbs)")
    axes.set_ylabel("median CPU ms per consultation")
    axes.set_title("Consultation time against knowledge-base size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return True


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scale")
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load-rounds", type=int, default=3, help="(one fewer above 1,000 rules)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--plot", default="docs/performance-scale.png", help="where to draw the plot (default: %(default)s)")
    args = parser.parse_args(argv)
    results = run(tuple(args.sizes), args.cases, args.rounds, args.load_rounds)
    print("scale (realistic generated kbs; CPU time; every engine agreed on every case)")
    for r in results:
        print(f"{r['rules']:>6} rules, {r['facts']} facts: load (YAML, uncached) {r['load_s'][1]:.2f} s, compile "
              f"{r['compile_s'][1]:.2f} s, CLIPS build {r['clips_build_s'][1]:.2f} s (ours / CLIPS "
              f"{r['clips_ratio'][1]:.2f}); {r['shards']} shards, {r['fired_per_case']:.1f} rules fired a case, "
              f"RSS {r['rss_mib']:.0f} MiB, {r['failed_cases']} cases failed")
        for name, row in r["engines"].items():
            us, ratio = row["us"], row["ratio"]
            print(f"{'':8}{name:26} {us[1] / 1000:8.2f} ms   / orderdoctor {ratio[0]:.2f} {ratio[1]:.2f} {ratio[2]:.2f}")
    if plot(results, Path(args.plot)):
        print(f"plot: {args.plot}")
    return results


if __name__ == "__main__":
    main()
