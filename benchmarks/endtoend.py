"""End to end: `orderdoctor advise` cold start, `ask` time from an answer to the next question,
and `batch` records per second with --jobs 1 and --jobs 2."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from orderdoctor.engine import load_cases, load_knowledge_base

from .timing import spread

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


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_child(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run of ``command`` to its end."""
    cpu, started = _child_cpu(), time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return (time.perf_counter() - started) * 1000, (_child_cpu() - cpu) * 1000


def cold_start(runs: int) -> dict[str, Any]:
    """`advise` cold start against `python -c pass`, the same interpreter, in the same run: the
    bare interpreter, `advise` with the kb load cache in place (every run after the first) and
    with the cache off (the first run after a kb edit), taking turns (the order rotates), so that
    the machine's load affects all alike. Ratios are taken turn by turn (CPU time of the child
    process, and wall time); min / median / max over the turns."""
    _byte_compile()
    wall: dict[str, list[float]] = {"interpreter": [], "cached": [], "uncached": []}
    cpu: dict[str, list[float]] = {name: [] for name in wall}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ORDERDOCTOR_CACHE_DIR": cache}
        commands = {
            "interpreter": ([sys.executable, "-c", "pass"], env),
            "cached": ([*_command(), *ADVISE], env),
            "uncached": ([*_command(), *ADVISE], {**env, "ORDERDOCTOR_CACHE": "off"}),
        }
        for command, environment in commands.values():  # warm-up; fills the cache
            subprocess.run(command, env=environment, check=True, capture_output=True)
        names = list(commands)
        for turn in range(runs):
            for name in names[turn % 3:] + names[: turn % 3]:
                took, spent = _run_child(*commands[name])
                wall[name].append(took)
                cpu[name].append(spent)

    def ratios(samples: dict[str, list[float]], name: str) -> list[float]:
        return spread([a / b for a, b in zip(samples[name], samples["interpreter"], strict=False)])

    return {
        "wall_ms": {name: spread(values) for name, values in wall.items()},
        "cpu_ms": {name: spread(values) for name, values in cpu.items()},
        "ratio_cpu": {name: ratios(cpu, name) for name in ("cached", "uncached")},
        "ratio_wall": {name: ratios(wall, name) for name in ("cached", "uncached")},
        "runs": runs,
    }


def _answer_text(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "p90": ordered[int(len(ordered) * 0.9)], "max": ordered[-1]}


def ask_latency(cases_limit: int | None = None, profile: Any = None) -> dict[str, Any]:
    """Answer to next question in the real `ask` session (cli/ask.py's AskSession on
    cli/askterminal.py's PromptTerminal) on the real prompt: prompt-toolkit reading keys from a pipe
    and drawing to a VT100 terminal output (colours and all, 90 columns, into a string). Timed from
    the moment the prompt acts on the Enter key of an answer to the moment the next question's
    prompt has been drawn and flushed — checking the answer, closing that prompt, saving the
    session, planning, drawing the question text and the new prompt included. Over the interview of
    every kb case (answers from the case; a fact it does not give is answered `unknown`), each
    session on a kb loaded for it (nothing the planner keeps per kb carries over from the
    previous session); CPU (process) and wall time, per answer. ``profile`` (a cProfile.Profile) is enabled around the
    sessions only."""
    import datetime
    import io

    from orderdoctor.cli.ask import AskSession
    from orderdoctor.cli.askterminal import PromptTerminal
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output.vt100 import Vt100_Output

    from orderdoctor.engine import release

    wall: list[float] = []
    cpu: list[float] = []

    class Timed(Vt100_Output):  # type: ignore[misc]
        armed: tuple[float, float] | None = None

        def flush(self) -> None:
            drawn = self.armed is not None and any(self._buffer)
            super().flush()
            if drawn:  # the first flush of the new prompt that writes anything: it is drawn
                assert self.armed is not None
                wall.append((time.perf_counter() - self.armed[0]) * 1000)
                cpu.append((time.process_time() - self.armed[1]) * 1000)
                self.armed = None

    class Driven(PromptTerminal):  # type: ignore[misc]
        """Types the case's answer into the pipe just before each prompt reads it; notes the
        moment the prompt acts on its Enter."""

        def __init__(self, kb: Any, facts: dict[str, Any], pipe: Any, output: Timed) -> None:
            super().__init__(kb, input=pipe, output=output)
            self.facts, self.pipe, self.timed = facts, pipe, output
            self.pending: tuple[float, float] | None = None
            self.fact: Any = None
            buffer = self.session.default_buffer
            accept = buffer.validate_and_handle

            def entered() -> None:
                if self.fact is not None:
                    self.pending = (time.perf_counter(), time.process_time())
                accept()

            buffer.validate_and_handle = entered

        def ask(self, prompt: str, fact: Any, typed: str = "") -> str:
            self.timed.armed, self.pending, self.fact = self.pending, None, fact
            self.pipe.send_text((_answer_text(self.facts.get(fact.name)) if fact is not None else "quit") + "\r")
            return str(super().ask(prompt, fact, typed))

    today = datetime.date(2026, 11, 22)
    cases = load_cases(load_knowledge_base())[:cases_limit]
    with tempfile.TemporaryDirectory() as folder:
        for number, case in enumerate(cases):
            kb = load_knowledge_base()  # a kb of its own per session, as each `ask` process has
            with create_pipe_input() as pipe:
                output = Timed(io.StringIO(), lambda: Size(rows=40, columns=90), term="xterm-256color",
                               enable_cpr=False)
                terminal = Driven(kb, dict(case.facts), pipe, output)
                save = Path(folder) / f"session{number}.json"
                if profile is not None:
                    profile.enable()
                AskSession(kb, terminal, None, save, width=90, today=today, resuming=True).run()
                if profile is not None:
                    profile.disable()
            release(kb)
    return {"questions": len(wall), "wall_ms": _percentiles(wall), "cpu_ms": _percentiles(cpu)}


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


def batch_rates(copies: int, rounds: int = 3) -> dict[str, float]:
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
        "ratio": statistics.median(b / a for a, b in zip(one, two, strict=False)),
        "independent_ratio": statistics.median(p / a for a, p in zip(one, pair, strict=False)),
        "ceiling": statistics.median(ceilings),
        "records": records,
    }


def plan_latency() -> list[float]:
    """Planning alone (the old measure, for comparison): ms to plan the next question after each
    answer, over every kb case's interview."""
    from orderdoctor.engine.planner import UNKNOWN, plan

    kb = load_knowledge_base()
    samples = []
    plan(kb, {})
    for case in load_cases(kb):
        answers: dict[str, Any] = {}
        question = plan(kb, answers).next
        while question is not None:
            answers[question.fact.name] = case.facts.get(question.fact.name, UNKNOWN)
            started = time.perf_counter()
            question = plan(kb, answers).next
            samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks endtoend")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--copies", type=int, default=40, help="copies of the kb cases in the batch input")
    args = parser.parse_args(argv)
    starts = cold_start(args.runs)
    asked = ask_latency()
    planned = plan_latency()
    rates = batch_rates(args.copies)
    result = {
        "cold_start": starts, "ask": asked,
        "plan_only_ms": {"median": statistics.median(planned), "p90": planned[int(len(planned) * 0.9)]},
        "batch_jobs1_per_s": rates["jobs1"], "batch_jobs2_per_s": rates["jobs2"],
        "batch_ratio": rates["ratio"], "parallel_ceiling": rates["ceiling"],
        "batch_independent_ratio": rates["independent_ratio"], "batch_records": rates["records"],
    }
    wall, ratio = starts["wall_ms"], starts["ratio_cpu"]
    print(f"advise cold start ({args.runs} turns, interleaved): median wall {wall['cached'][1]:.0f} ms with the kb load "
          f"cache, {wall['uncached'][1]:.0f} ms without, `python -c pass` {wall['interpreter'][1]:.0f} ms; CPU ratio to "
          f"`python -c pass` {ratio['cached'][0]:.2f} / {ratio['cached'][1]:.2f} / {ratio['cached'][2]:.2f} "
          f"(uncached {ratio['uncached'][1]:.2f})")
    print(f"ask, answer to next question drawn (real prompt): median {asked['wall_ms']['median']:.2f} ms, p90 "
          f"{asked['wall_ms']['p90']:.2f} ms, max {asked['wall_ms']['max']:.1f} ms wall (CPU p90 "
          f"{asked['cpu_ms']['p90']:.2f} ms) over {asked['questions']} questions; planning alone p90 "
          f"{result['plan_only_ms']['p90']:.2f} ms")
    print(f"batch: {rates['jobs1']:.0f} records/s with --jobs 1, {rates['jobs2']:.0f} with --jobs 2 ({rates['ratio']:.2f}x), "
          f"{rates['records']} records, process start included, medians of 3 interleaved rounds; two "
          f"independent --jobs 1 runs on half the records each, at once: {rates['independent_ratio']:.2f}x; "
          f"two CPU-bound Python loops: {rates['ceiling']:.2f}x one")
    return result


if __name__ == "__main__":
    main()
