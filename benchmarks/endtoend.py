"""End to end: `orderdoctor advise` cold start, `ask` time from an answer to the next question,
and `batch` records per second with --jobs 1 and --jobs 2."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orderdoctor.engine import load_cases, load_knowledge_base
from orderdoctor.engine.planner import UNKNOWN, plan

ADVISE = ["advise", "--set", "order_status=shipped", "--set", "tracking_note=shipment_cancelled",
          "--set", "seller_response=no_reply", "--set", "days_left=3"]


def _command() -> list[str]:
    """The installed ``orderdoctor`` script beside this interpreter (what users run)."""
    script = Path(sys.executable).with_name("orderdoctor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "orderdoctor.cli"]


def _byte_compile() -> None:
    """Compile orderdoctor's modules as an installation has them (pip byte-compiles on install,
    and a checkout writes them on its first run) — even under PYTHONDONTWRITEBYTECODE."""
    import compileall

    import orderdoctor.cli
    import orderdoctor.engine

    for package in (orderdoctor.engine, orderdoctor.cli):
        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)


def cold_start(runs: int) -> dict[str, float]:
    """Median wall time of: the bare interpreter; `advise` with the kb load cache in place (every
    run after the first); `advise` with the cache off (first run after a kb edit). Interleaved,
    so that the machine's load affects all three alike."""
    _byte_compile()
    samples: dict[str, list[float]] = {"interpreter": [], "cached": [], "uncached": []}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ORDERDOCTOR_CACHE_DIR": cache}
        commands = {
            "interpreter": ([sys.executable, "-c", "pass"], env),
            "cached": ([*_command(), *ADVISE], env),
            "uncached": ([*_command(), *ADVISE], {**env, "ORDERDOCTOR_CACHE": "off"}),
        }
        subprocess.run(commands["cached"][0], env=env, check=True, capture_output=True)  # fills the cache
        for _ in range(runs):
            for name, (command, environment) in commands.items():
                started = time.perf_counter()
                subprocess.run(command, env=environment, check=True, capture_output=True)
                samples[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def ask_latency() -> list[float]:
    """Time to plan the next question after each answer, over every kb case's interview."""
    kb = load_knowledge_base()
    samples = []
    plan(kb, {})  # compile once, as a running `ask` has
    for case in load_cases(kb):
        answers: dict = {}
        question = plan(kb, answers).next  # the first question is planned at start, before any answer
        while question is not None:
            answers[question.fact.name] = case.facts.get(question.fact.name, UNKNOWN)
            started = time.perf_counter()
            question = plan(kb, answers).next
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _batch_input(folder: Path, copies: int) -> tuple[Path, int]:
    kb = load_knowledge_base()
    cases = load_cases(kb)
    source = folder / "orders.jsonl"
    with source.open("w") as handle:
        for i in range(copies):
            for case in cases:
                handle.write(json.dumps({"id": f"{case.id}-{i}", **case.facts}) + "\n")
    return source, copies * len(cases)


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


_SPIN = "x = 0\nfor i in range(6_000_000):\n    x += i * i % 7\n"


def _spin_two() -> float:
    started = time.perf_counter()
    both = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(2)]
    for process in both:
        process.wait()
    return time.perf_counter() - started


def batch_rates(copies: int, rounds: int = 5) -> dict[str, float]:
    """`batch` records per second with --jobs 1 and --jobs 2 (process start included), and two
    ceilings for two processes on this machine: two independent `batch --jobs 1` runs on half
    the records each, at the same time (what --jobs 2 could at best do), and two copies of a
    CPU-bound Python loop against one. Measured in interleaved rounds, so that the shared
    machine's changing load affects all alike; medians over the rounds."""
    _byte_compile()
    one, two, pair, ceilings = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        source, records = _batch_input(Path(folder), copies)
        lines = source.read_bytes().splitlines(keepends=True)
        halves = [Path(folder) / "first.jsonl", Path(folder) / "second.jsonl"]
        halves[0].write_bytes(b"".join(lines[: len(lines) // 2]))
        halves[1].write_bytes(b"".join(lines[len(lines) // 2:]))

        def batch(jobs: int, path: Path = source, output: str = "out.jsonl") -> list[str]:
            return [*_command(), "batch", str(path), "--jobs", str(jobs), "--output", str(Path(folder) / output)]

        def two_independent() -> float:
            started = time.perf_counter()
            both = [subprocess.Popen(batch(1, half, f"out{i}.jsonl"), stderr=subprocess.DEVNULL)
                    for i, half in enumerate(halves)]
            for process in both:
                process.wait()
            return time.perf_counter() - started

        for _ in range(rounds):
            one.append(records / _seconds(batch(1)))
            two.append(records / _seconds(batch(2)))
            pair.append(records / two_independent())
            ceilings.append(2 * _seconds([sys.executable, "-c", _SPIN]) / _spin_two())
    return {
        "jobs1": statistics.median(one),
        "jobs2": statistics.median(two),
        "ratio": statistics.median(b / a for a, b in zip(one, two)),
        "independent_ratio": statistics.median(p / a for a, p in zip(one, pair)),
        "ceiling": statistics.median(ceilings),
        "records": records,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks endtoend")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--copies", type=int, default=300, help="copies of the kb cases in the batch input")
    args = parser.parse_args(argv)
    starts = cold_start(args.runs)
    python, cold, uncached = starts["interpreter"], starts["cached"], starts["uncached"]
    asked = sorted(ask_latency())
    rates = batch_rates(args.copies)
    one, two, ceiling = rates["jobs1"], rates["jobs2"], rates["ceiling"]
    result = {
        "interpreter_ms": python, "advise_cold_ms": cold, "advise_cold_uncached_ms": uncached,
        "ask_median_ms": statistics.median(asked), "ask_p90_ms": asked[int(len(asked) * 0.9)],
        "ask_max_ms": asked[-1], "batch_jobs1_per_s": one, "batch_jobs2_per_s": two,
        "batch_ratio": rates["ratio"], "parallel_ceiling": ceiling,
        "batch_independent_ratio": rates["independent_ratio"],
    }
    print(f"advise cold start: median {cold:.0f} ms with the kb load cache, {uncached:.0f} ms without "
          f"(bare interpreter {python:.0f} ms), {args.runs} runs each, interleaved")
    print(f"ask, answer to next question: median {result['ask_median_ms']:.2f} ms, p90 {result['ask_p90_ms']:.2f} ms, "
          f"max {result['ask_max_ms']:.1f} ms over {len(asked)} questions")
    print(f"batch: {one:.0f} records/s with --jobs 1, {two:.0f} with --jobs 2 ({rates['ratio']:.2f}x), "
          f"{rates['records']} records, process start included, medians of 5 interleaved rounds; two "
          f"independent --jobs 1 runs on half the records each, at once: {rates['independent_ratio']:.2f}x; "
          f"two CPU-bound Python loops: {ceiling:.2f}x one")
    return result


if __name__ == "__main__":
    main()
