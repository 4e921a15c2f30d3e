"""Scale: synthetic knowledge bases of 100, 1,000 and 10,000 rules (see synthetic.py).

For each size: our engine's load+compile time (register the shards), consultation latency
(median, p90) over ``--cases`` fact sets, rules fired per case and resident memory (before any peer
is built); then every peer (plain Python, naive durable-rules, CLIPS and — up to
``--experta-max`` rules — experta) is built, checked to give the same advice on every fact set,
and timed. Results print as text and are drawn as one log-log plot.
"""

from __future__ import annotations

import argparse
import gc
from pathlib import Path
import statistics
import time

from orderdoctor.engine import InferenceEngine

from .memory import rss_mib
from .peers import Clips, Experta, NaiveDurable, PlainChainer
from .synthetic import synthetic_cases, synthetic_kb

SIZES = (100, 1_000, 10_000)
OURS = "orderdoctor"


def _peers(kb, size: int, experta_max: int) -> dict[str, tuple[float, object]]:
    """Each peer that can run at this size, with its build time in seconds."""
    built: dict[str, tuple[float, object]] = {}
    for peer in (PlainChainer, NaiveDurable, Clips, Experta):
        if peer is Experta and size > experta_max:
            continue  # hours at 10,000 rules (shared/notes: ~6.7 s a case at 5,000)
        started = time.perf_counter()
        try:
            engine = peer(kb)
        except ImportError:  # CLIPS and experta need the [bench] extra
            continue
        built[engine.name] = (time.perf_counter() - started, engine)
    return built


def run(sizes=SIZES, cases: int = 30, experta_max: int = 1_000) -> list[dict]:
    """Per size: every engine checked to give the same advice on every fact set, then timed."""
    results = []
    facts_list = synthetic_cases(cases)
    for size in sizes:
        kb = synthetic_kb(size)
        gc.collect()
        started = time.perf_counter()
        engine = InferenceEngine(kb)
        load = time.perf_counter() - started
        expected = [engine.consult(facts) for facts in facts_list]
        ours = _time(lambda facts: engine.consult(facts), facts_list)
        rss = rss_mib()  # before any peer is built in this process
        peers = _peers(kb, size, experta_max)
        for name, (_, peer) in peers.items():
            for facts, want in zip(facts_list, expected):
                got = peer.advise(facts)  # type: ignore[attr-defined]
                assert set(got) == set(want.advice_ids), f"{name} disagrees at {size} rules on {facts}"
        row = {
            "rules": size,
            "shards": len(engine._compiled.shards),
            "load_s": load,
            "median_ms": statistics.median(ours),
            "p90_ms": ours[int(len(ours) * 0.9)],
            "fired_per_case": statistics.mean(len(result.fired_rules) for result in expected),
            "rss_mib": rss,
            "peers": {},
        }
        for name, (build, peer) in peers.items():
            # timed only after every engine agreed on every case (the assert above)
            samples = _time(peer.advise, facts_list)  # type: ignore[attr-defined]
            row["peers"][name] = {"median_ms": statistics.median(samples), "build_s": build}
        results.append(row)
        engine.close()
        del peers
    return results


def _time(advise, facts_list) -> list[float]:
    advise(facts_list[0])  # warm-up
    samples = []
    for facts in facts_list:
        started = time.perf_counter()
        advise(facts)
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def plot(results: list[dict], path: Path) -> bool:
    """Latency against size for every engine, log-log, as a PNG (needs matplotlib: the [bench] extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    sizes = [r["rules"] for r in results]
    figure, axes = plt.subplots(figsize=(9.5, 4.5), dpi=110)
    axes.plot(sizes, [r["median_ms"] for r in results], "o-", linewidth=2.5, label="orderdoctor (durable-rules, sharded)")
    names = list(dict.fromkeys(name for r in results for name in r["peers"]))
    for name, style in zip(names, ("s--", "v-.", "^:", "d--")):
        points = [(r["rules"], r["peers"][name]["median_ms"]) for r in results if name in r["peers"]]
        axes.plot([p[0] for p in points], [p[1] for p in points], style, label=name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("rules in the knowledge base")
    axes.set_ylabel("median ms per consultation")
    axes.set_title("Consultation latency against knowledge-base size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", borderaxespad=0)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return True


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--experta-max", type=int, default=1_000, help="largest kb to run experta on (default: %(default)s)")
    parser.add_argument("--plot", default="docs/performance-scale.png", help="where to draw the plot (default: %(default)s)")
    args = parser.parse_args(argv)
    results = run(args.sizes, args.cases, args.experta_max)
    print("scale (synthetic kbs; ms per consultation, medians; every engine checked to agree on every case)")
    for r in results:
        print(f"{r['rules']:>6} rules: orderdoctor {r['median_ms']:.2f} ms (p90 {r['p90_ms']:.2f}), load+compile "
              f"{r['load_s']:.2f} s, {r['shards']} shards, {r['fired_per_case']:.1f} rules fired a case, "
              f"RSS {r['rss_mib']:.0f} MiB")
        for name, peer in r["peers"].items():
            print(f"{'':>14}{name:24} {peer['median_ms']:10.2f} ms  ({peer['median_ms'] / r['median_ms']:.2f}x ours; "
                  f"built in {peer['build_s']:.2f} s)")
    if plot(results, Path(args.plot)):
        print(f"plot: {args.plot}")
    else:
        print("plot: skipped (matplotlib is not installed: pip install -e '.[bench]')")
    return results


if __name__ == "__main__":
    main()
