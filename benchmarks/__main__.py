"""``python -m benchmarks [consultation|scale|endtoend|memory ...]``: run the named benchmarks
(default: all), print their numbers, and — when every benchmark ran — write them into
docs/performance.md and docs/performance-results.json (see :mod:`benchmarks.report`)."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import sys
import time
from pathlib import Path

from . import NAMES, report, run_benchmark

BENCHMARKS = NAMES


USAGE = """usage: python -m benchmarks [--no-write] [NAME ...]

Run the named benchmarks (default: all of {names}), each in a fresh process, print their
numbers, then the targets of issue 16 as ratios with the machine; when all ran, also write them
into docs/performance.md and docs/performance-results.json (--no-write: print only). Each module
takes its own options alone: python -m benchmarks.NAME --help."""


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(USAGE.format(names=", ".join(BENCHMARKS)))
        return 0
    write = "--no-write" not in argv
    names = [name for name in argv if name != "--no-write"] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    info = report.machine()  # the load average before the run
    results = {}
    # Each benchmark in a fresh process of its own: memory and timings must not carry what an
    # earlier benchmark loaded (the 10,000-rule knowledge base, CLIPS environments).
    context = multiprocessing.get_context("spawn")
    for name in names:
        print(f"== {name}", flush=True)
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
            results[name] = pool.submit(run_benchmark, name).result()
    seconds = time.perf_counter() - started
    print(f"== all done in {seconds:.0f} s")
    info["load_average_after"] = report.load_average()
    info["seconds"] = seconds
    print(report.summary(results, info))
    if write and set(names) == set(BENCHMARKS) and Path("docs/performance.md").exists():
        for path in report.write(results, "python -m benchmarks", info=info):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
