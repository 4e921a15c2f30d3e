"""Scale: synthetic knowledge bases of 100, 1,000 and 10,000 rules (see synthetic.py).

For each size: load+compile time (register the shards), consultation latency (median, p90) over
``--cases`` fact sets, rules fired per case, resident memory after the runs, and the same
consultations with the plain-Python chainer, after checking both give the same advice.
"""

from __future__ import annotations

import argparse
import gc
from pathlib import Path
import statistics
import time

from orderdoctor.engine import InferenceEngine

from .memory import rss_mib
from .peers import PlainChainer

try:
    from .peers import Clips
except ImportError:  # pragma: no cover
    Clips = None  # type: ignore[assignment,misc]
from .synthetic import synthetic_cases, synthetic_kb

SIZES = (100, 1_000, 10_000)


def run(sizes=SIZES, cases: int = 30) -> list[dict]:
    results = []
    facts_list = synthetic_cases(cases)
    for size in sizes:
        kb = synthetic_kb(size)
        gc.collect()
        started = time.perf_counter()
        engine = InferenceEngine(kb)
        load = time.perf_counter() - started
        plain = PlainChainer(kb)
        try:
            clips = Clips(kb) if Clips is not None else None
        except ImportError:
            clips = None
        ours, theirs, fired, clipses = [], [], [], []
        for facts in facts_list:
            t = time.perf_counter()
            result = engine.consult(facts)
            ours.append((time.perf_counter() - t) * 1000)
            fired.append(len(result.fired_rules))
            t = time.perf_counter()
            plain_advice = plain.advise(facts)
            theirs.append((time.perf_counter() - t) * 1000)
            assert set(plain_advice) == set(result.advice_ids), f"engines disagree at {size} rules"
            if clips is not None:
                t = time.perf_counter()
                clips_advice = clips.advise(facts)
                clipses.append((time.perf_counter() - t) * 1000)
                assert set(clips_advice) == set(result.advice_ids), f"CLIPS disagrees at {size} rules"
        ours.sort()
        results.append({
            "rules": size,
            "shards": len(engine._compiled.shards),
            "load_s": load,
            "median_ms": statistics.median(ours),
            "p90_ms": ours[int(len(ours) * 0.9)],
            "plain_median_ms": statistics.median(theirs),
            "clips_median_ms": statistics.median(clipses) if clipses else None,
            "fired_per_case": statistics.mean(fired),
            "rss_mib": rss_mib(),
        })
        engine.close()
    return results


def plot(results: list[dict], path: Path) -> bool:
    """Latency against size for every engine, log-log, as a PNG (needs matplotlib: the [bench] extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    sizes = [r["rules"] for r in results]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    axes.plot(sizes, [r["median_ms"] for r in results], "o-", label="orderdoctor (durable-rules, sharded)")
    axes.plot(sizes, [r["plain_median_ms"] for r in results], "s--", label="plain-Python forward chainer")
    clips = [(r["rules"], r["clips_median_ms"]) for r in results if r["clips_median_ms"] is not None]
    if clips:
        axes.plot([c[0] for c in clips], [c[1] for c in clips], "^:", label="CLIPS (clipspy, test CEs)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("rules in the knowledge base")
    axes.set_ylabel("median ms per consultation")
    axes.set_title("Consultation latency against knowledge-base size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return True


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--plot", default="docs/performance-scale.png", help="where to draw the plot (default: %(default)s)")
    args = parser.parse_args(argv)
    results = run(args.sizes, args.cases)
    print("scale (synthetic kbs; ms per consultation; both engines checked to agree)")
    print(f"{'rules':>7} {'shards':>6} {'load s':>7} {'median':>8} {'p90':>8} {'plain':>8} {'CLIPS':>8} {'fired':>6} {'RSS MiB':>8}")
    for r in results:
        clips = f"{r['clips_median_ms']:8.2f}" if r["clips_median_ms"] is not None else f"{'-':>8}"
        print(f"{r['rules']:>7} {r['shards']:>6} {r['load_s']:7.2f} {r['median_ms']:8.2f} {r['p90_ms']:8.2f} "
              f"{r['plain_median_ms']:8.2f} {clips} {r['fired_per_case']:6.1f} {r['rss_mib']:8.1f}")
    if plot(results, Path(args.plot)):
        print(f"plot: {args.plot}")
    else:
        print("plot: skipped (matplotlib is not installed: pip install -e '.[bench]')")
    return results


if __name__ == "__main__":
    main()
