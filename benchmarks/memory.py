"""Resident memory over many consultations in one process (must be flat after warm-up).

Cycles through every scenario case of the shipped knowledge base; reports the resident set size
after warm-up (1,000), 10,000 and the last of ``--consultations`` (default 50,000) consultations,
and the growth from 10,000 to the end, and checks that the backend's session is empty afterwards.
"""

from __future__ import annotations

import argparse
import resource
import time

from orderdoctor.engine import consult, load_cases, load_knowledge_base
from orderdoctor.engine.backend import get_backend


def rss_mib() -> float:
    """Current resident set size in MiB (from /proc, falling back to the peak)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(consultations: int = 50_000) -> dict[str, float]:
    kb = load_knowledge_base()
    cases = [case.facts for case in load_cases(kb)]
    marks = {1_000: 0.0, 10_000: 0.0, consultations: 0.0}
    started = time.perf_counter()
    for number in range(1, consultations + 1):
        consult(kb, cases[number % len(cases)])
        if number in marks:
            marks[number] = rss_mib()
    seconds = time.perf_counter() - started
    backend = get_backend()
    leftover = backend.facts_left()
    growth = 100.0 * (marks[consultations] - marks[10_000]) / marks[10_000]
    return {
        "consultations": consultations,
        "rss_1k_mib": marks[1_000],
        "rss_10k_mib": marks[10_000],
        "rss_end_mib": marks[consultations],
        "growth_percent_10k_to_end": growth,
        "seconds": seconds,
        "facts_left_in_sessions": leftover,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks memory")
    parser.add_argument("--consultations", type=int, default=50_000)
    args = parser.parse_args(argv)
    result = run(args.consultations)
    print(
        f"memory: {result['consultations']:,} consultations in {result['seconds']:.1f} s; RSS "
        f"{result['rss_1k_mib']:.1f} MiB after 1k, {result['rss_10k_mib']:.1f} MiB after 10k, "
        f"{result['rss_end_mib']:.1f} MiB at the end: growth {result['growth_percent_10k_to_end']:+.2f}% "
        f"from 10k; facts left in backend sessions: {result['facts_left_in_sessions']}"
    )
    return result


if __name__ == "__main__":
    main()
