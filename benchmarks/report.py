"""Writing a benchmark run's numbers where the docs show them.

``python -m benchmarks`` (every benchmark) ends by replacing the part of docs/performance.md
between the ``benchmark results`` markers with tables generated from this run — the machine (CPU,
cores, load average, Python, versions), the command, every target of issue 16 as a ratio measured
in this run with its verdict, and the tables behind them — and by writing the raw numbers to
docs/performance-results.json. The prose around the markers explains them.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

START = "<!-- benchmark results: start (written by `python -m benchmarks`; do not edit by hand) -->"
END = "<!-- benchmark results: end -->"
OURS = "orderdoctor"
FLOOR = "compiled Python (floor)"
NAIVE = "durable-rules, naive (ablation)"
CLIPS = "CLIPS"
EXPERTA = "experta"


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on this platform
        return None


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": load_average(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        **{name: installed(name) for name in ("durable_rules", "clipspy", "experta", "prompt_toolkit")},
    }


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _at_most(values: list[float], limit: float) -> str:
    """The verdict on a median ratio that must be at most ``limit``, saying so when the rounds fall
    on both sides of it (then the verdict is within the noise of this machine)."""
    verdict = _verdict(values[1] <= limit)
    return verdict + " (within noise: the rounds fall on both sides)" if values[0] <= limit < values[2] else verdict


def _spread(values: list[float], digits: int = 2) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in values)


def inverse(ratio: list[float]) -> list[float]:
    """orderdoctor / peer from peer / orderdoctor (min / median / max)."""
    return [1 / ratio[2], 1 / ratio[1], 1 / ratio[0]]


def targets(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, measured in this run, verdict) for every target the results can judge."""
    rows: list[tuple[str, str, str]] = []
    consultation = results.get("consultation")
    if consultation:
        for workload in ("cases", "random"):
            engines = consultation[workload]["engines"]
            what = "kb cases" if workload == "cases" else f"{consultation[workload]['count']:,} random fact sets"
            if CLIPS in engines:
                mine = inverse(engines[CLIPS]["ratio"])
                rows.append((f"shipped kb ({what}): orderdoctor ≤ 1.0× CLIPS", f"{_spread(mine)}×",
                             _at_most(mine, 1.0)))
            if CLIPS not in engines:
                rows.append((f"shipped kb ({what}): orderdoctor ≤ 1.0× CLIPS", "not run (clipspy not installed)",
                             "**not measured**"))
            if FLOOR in engines:
                mine = inverse(engines[FLOOR]["ratio"])
                rows.append((f"shipped kb ({what}): orderdoctor ≤ 2× the compiled-Python floor", f"{_spread(mine)}×",
                             _at_most(mine, 2.0)))
        experta = consultation.get("experta", {}).get("engines", {}).get(EXPERTA)
        if experta:
            rows.append(("shipped kb: experta ≥ 10× orderdoctor", f"{_spread(experta['ratio'], 1)}×",
                         _verdict(experta["ratio"][1] >= 10)))
    for row in results.get("scale") or []:
        clips = row["engines"].get(CLIPS)
        if clips:
            mine = inverse(clips["ratio"])
            rows.append((f"{row['rules']:,} rules: orderdoctor ≤ 1.5× CLIPS", f"{_spread(mine)}×",
                         _at_most(mine, 1.5)))
        else:
            rows.append((f"{row['rules']:,} rules: orderdoctor ≤ 1.5× CLIPS", "not run (clipspy not installed)",
                         "**not measured**"))
        if row["rules"] >= 10_000:
            load = row["load_s"]
            rows.append((f"{row['rules']:,} rules: load from YAML, uncached, < 5 s",
                         f"{_spread(load)} s CPU (+ compile {row['compile_s'][1]:.2f} s; CLIPS builds the same "
                         f"rules in {row['clips_build_s'][1]:.2f} s)", _verdict(load[1] < 5)))
    for kind, compiled in (results.get("compile") or {}).items():
        largest = max(compiled["sizes"], key=lambda row: row["rules"])
        seconds = largest["compile_s"]
        smallest = min(row["rules"] for row in compiled["sizes"])
        rows.append((f"{largest['rules']:,} rules ({kind} kb): compile < 10 s, linear",
                     f"{_spread(seconds)} s CPU (time per rule {compiled['per_rule_ratio']:.2f}× that at "
                     f"{smallest:,} rules)", _verdict(seconds[1] < 10)))
    endtoend = results.get("endtoend")
    if endtoend:
        ratio = endtoend["cold_start"]["ratio_cpu"]["cached"]
        rows.append(("`advise` cold start ≤ 2× `python -c pass` (kb load cache in place)", f"{_spread(ratio)}× (CPU)",
                     _verdict(ratio[1] <= 2.0)))
        ask = endtoend["ask"]
        rows.append(("`ask`: answer to next question drawn, p90 < 10 ms",
                     f"{ask['wall_ms']['p90']:.1f} ms wall, {ask['cpu_ms']['p90']:.1f} ms CPU",
                     _verdict(ask["cpu_ms"]["p90"] < 10) + " (CPU)"))
    return rows


def summary(results: dict[str, Any], info: dict[str, Any]) -> str:
    """The targets and the machine, as plain text for the terminal."""
    machine = (f"{info['cores']} cores ({info['cpu']}), {info['system']}, load average {info.get('load_average')} "
               f"at the start and {info.get('load_average_after')} at the end, Python {info['python']}")
    lines = ["targets (issue 16), medians over interleaved rounds; " + machine]
    for target, measured, verdict in targets(results):
        lines.append(f"  {verdict.replace('**', ''):9} {target.replace('`', '')}: {measured}")
    return "\n".join(lines)


def _consultation(consultation: dict[str, Any]) -> list[str]:
    checked = consultation["checked"]
    lines = [
        "#### Consultation on the shipped knowledge base",
        "",
        "Before any timing, every peer gave orderdoctor's ordered advice, facts and firing order (the floor: "
        "the whole `to_json()`; naive durable-rules: advice and facts, its own firing order) on: "
        + ", ".join(f"{name} {n:,} fact sets" for name, n in checked.items()) + ".",
        "",
    ]
    for workload in ("cases", "random", "experta"):
        block = consultation.get(workload)
        if not block:
            continue
        title = {"cases": "the kb's cases", "random": "random fact sets", "experta": "the kb's cases, experta alone"}[workload]
        lines += [
            f"{title.capitalize()} ({block['count']:,} a round, {block['rounds']} interleaved rounds):",
            "",
            "| engine | CPU µs a consultation (min / median / max) | time / orderdoctor's (min / median / max) |",
            "|---|---|---|",
        ]
        for name, row in block["engines"].items():
            lines.append(f"| {name} | {_spread(row['us'], 1)} | {_spread(row['ratio'])} |")
        lines.append("")
    return lines


def _scale(scale: list[dict[str, Any]]) -> list[str]:
    lines = [
        "#### Scale (realistic generated knowledge bases, loaded from YAML)",
        "",
        "| rules | facts | load s (uncached YAML) | compile s | CLIPS build s | (load + compile) / CLIPS build | "
        "shards | fired a case | RSS MiB | orderdoctor ms | floor / orderdoctor | CLIPS / orderdoctor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in scale:
        engines = row["engines"]
        cells = [_spread(engines[n]["ratio"]) if n in engines else "not run" for n in (FLOOR, CLIPS)]
        lines.append(
            f"| {row['rules']:,} | {row['facts']} | {_spread(row['load_s'])} | {_spread(row['compile_s'])} | "
            f"{_spread(row['clips_build_s'])} | {_spread(row['clips_ratio'])} | {row['shards']} | "
            f"{row['fired_per_case']:.1f} | {row['rss_mib']:.0f} | {engines[OURS]['us'][1] / 1000:.2f} | "
            + " | ".join(cells) + " |"
        )
    failed = [f"{row['rules']:,} rules: {row['failed_cases']} of {row['cases']}" for row in scale if row["failed_cases"]]
    lines += ["", "Cases orderdoctor could not run: " + ("; ".join(failed) if failed else "none") + ".", ""]
    return lines


def _endtoend(e: dict[str, Any]) -> list[str]:
    cold = e["cold_start"]
    ask = e["ask"]
    ratio = e["batch_ratio"]
    return [
        "#### End to end",
        "",
        "| measure | result |",
        "|---|---|",
        f"| `advise` cold start, kb load cache in place ({cold['runs']} turns) | wall {_spread(cold['wall_ms']['cached'], 0)} ms, "
        f"CPU {_spread(cold['cpu_ms']['cached'], 0)} ms |",
        f"| the same, cache off (first run after a kb edit) | wall {_spread(cold['wall_ms']['uncached'], 0)} ms, "
        f"{_spread(cold['ratio_cpu']['uncached'])}× `python -c pass` (CPU) |",
        f"| `python -c pass` | wall {_spread(cold['wall_ms']['interpreter'], 0)} ms, "
        f"CPU {_spread(cold['cpu_ms']['interpreter'], 0)} ms |",
        f"| `ask`: answer to next question drawn on the real prompt ({ask['questions']:,} questions) | wall median "
        f"{ask['wall_ms']['median']:.1f}, p90 {ask['wall_ms']['p90']:.1f}, max {ask['wall_ms']['max']:.1f} ms; CPU median "
        f"{ask['cpu_ms']['median']:.1f}, p90 {ask['cpu_ms']['p90']:.1f} ms (planning alone, wall: median {e['plan_only_ms']['median']:.1f}, p90 {e['plan_only_ms']['p90']:.1f} ms) |",
        f"| `batch --jobs 1` | {e['batch_jobs1_per_s']:,.0f} records/s (target 2,000: {_verdict(e['batch_jobs1_per_s'] >= 2000)}) |",
        f"| `batch --jobs 2` | {e['batch_jobs2_per_s']:,.0f} records/s ({ratio:.2f}× `--jobs 1`; two independent `--jobs 1` "
        f"runs on half the records each, at once: {e['batch_independent_ratio']:.2f}×; two CPU-bound loops: "
        f"{e['parallel_ceiling']:.2f}× one) |",
        "",
    ]


def render(results: dict[str, Any], info: dict[str, Any], command: str) -> str:
    """The generated part of docs/performance.md."""
    load = info.get("load_average")
    after = info.get("load_average_after")
    lines = [
        START,
        "",
        f"Measured {info['date']} with `{command}` on {info['cores']} cores ({info['cpu']}), {info['system']}, "
        f"load average {load} at the start" + (f" and {after} at the end" if after else "")
        + f"; Python {info['python']}, durable-rules {info['durable_rules']}, clipspy {info['clipspy']}, "
        f"experta {info['experta']}, prompt_toolkit {info['prompt_toolkit']}"
        + (f"; {info['seconds']:.0f} s in all" if "seconds" in info else "") + ". CPU time; ratios are taken "
        "within one round of interleaved passes, min / median / max over the rounds.",
        "",
        "#### Targets (issue 16)",
        "",
        "| target | measured in this run (min / median / max) | verdict (median) |",
        "|---|---|---|",
    ]
    lines += [f"| {target} | {measured} | {verdict} |" for target, measured, verdict in targets(results)]
    lines.append("")
    if results.get("consultation"):
        lines += _consultation(results["consultation"])
    if results.get("scale"):
        lines += _scale(results["scale"])
    if results.get("endtoend"):
        lines += _endtoend(results["endtoend"])
    memory = results.get("memory")
    if memory:
        m = memory
        lines += [
            "#### Memory",
            "",
            "| consultations | RSS after 1k | after 10k | at the end | growth 10k → end | facts left in sessions |",
            "|---|---|---|---|---|---|",
            f"| {m['consultations']:,} | {m['rss_1k_mib']:.1f} MiB | {m['rss_10k_mib']:.1f} MiB | "
            f"{m['rss_end_mib']:.1f} MiB | {m['growth_percent_10k_to_end']:+.2f} % "
            f"(under 5 %: {_verdict(m['growth_percent_10k_to_end'] < 5)}) | {m['facts_left_in_sessions']} |",
            "",
        ]
    lines.append(END)
    return "\n".join(lines)


def write(results: dict[str, Any], command: str, docs: Path = Path("docs"), info: dict[str, Any] | None = None) -> list[Path]:
    """Put this run's tables into docs/performance.md and its numbers into
    docs/performance-results.json; returns the files written."""
    info = info or machine()
    page = docs / "performance.md"
    text = page.read_text(encoding="utf-8")
    block = render(results, info, command)
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    page.write_text(text, encoding="utf-8")
    raw = docs / "performance-results.json"
    raw.write_text(json.dumps({"machine": info, "command": command, **results}, indent=2) + "\n", encoding="utf-8")
    return [page, raw]
