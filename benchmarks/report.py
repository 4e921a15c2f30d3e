"""Writing a benchmark run's numbers where the docs show them.

``python -m benchmarks`` (every benchmark) ends by replacing the part of docs/performance.md
between the ``benchmark results`` markers with tables generated from this run — the machine,
the command, medians, and ratios against each peer and the targets of issue 7 — and by writing
the raw numbers to docs/performance-results.json. The prose around the markers explains them.
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
PLAIN = "plain Python"
NAIVE = "durable-rules, naive"
CLIPS = "CLIPS (clipspy)"
EXPERTA = "experta"


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
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "durable-rules": installed("durable_rules"),
        "clipspy": installed("clipspy"),
        "experta": installed("experta"),
    }


def _ratio(theirs: float, ours: float) -> str:
    ratio = theirs / ours
    return f"{ratio:.2f}× slower" if ratio >= 1 else f"{1 / ratio:.2f}× faster"


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _parallel_verdict(ratio: float, independent: float | None) -> str:
    """1.7× is met; or not, but as fast as two independent processes on half the records each
    (measured alongside: what this machine allows two of our processes)."""
    if ratio >= 1.7:
        return "met"
    if independent is not None and ratio >= 0.95 * independent:
        return f"**not met: the machine's limit** (two independent `--jobs 1` runs on half the records: {independent:.2f}×)"
    return "**not met**"


def render(results: dict[str, Any], info: dict[str, Any], command: str) -> str:
    """The generated part of docs/performance.md."""
    lines = [
        START,
        "",
        f"Measured {info['date']} with `{command}` on {info['cores']} cores ({info['cpu']}), "
        f"{info['system']}, Python {info['python']}, durable-rules {info['durable-rules']}, "
        f"clipspy {info['clipspy']}, experta {info['experta']}. Medians; ratios are the peer's time "
        "over orderdoctor's, measured in the same run.",
        "",
    ]
    consultation = results.get("consultation")
    if consultation:
        ours = consultation[OURS]["median_ms"]
        lines += [
            "#### Consultation on the shipped knowledge base",
            "",
            "| engine | median ms | p90 ms | peer against orderdoctor |",
            "|---|---|---|---|",
        ]
        for name, row in consultation.items():
            ratio = "—" if name == OURS else _ratio(row["median_ms"], ours)
            lines.append(f"| {name} | {row['median_ms']:.3f} | {row['p90_ms']:.3f} | {ratio} |")
        targets = []
        if CLIPS in consultation:
            targets.append(f"within 2× of CLIPS: {_verdict(ours <= 2 * consultation[CLIPS]['median_ms'])}")
        if EXPERTA in consultation:
            targets.append(f"10× faster than experta: {_verdict(consultation[EXPERTA]['median_ms'] >= 10 * ours)}")
        if NAIVE in consultation:
            targets.append(f"1.5× faster than naive durable-rules: {_verdict(consultation[NAIVE]['median_ms'] >= 1.5 * ours)}")
        lines += ["", "Targets: " + "; ".join(targets) + ".", ""]
    scale = results.get("scale")
    if scale:
        names = list(dict.fromkeys(name for row in scale for name in row["peers"]))
        lines += [
            "#### Scale (synthetic knowledge bases)",
            "",
            "| rules | shards | load + compile s | orderdoctor median ms (p90) | rules fired a case | RSS MiB | "
            + " | ".join(names) + " |",
            "|---" * (6 + len(names)) + "|",
        ]
        for row in scale:
            cells = []
            for name in names:
                peer = row["peers"].get(name)
                cells.append(
                    "not run" if peer is None
                    else f"{peer['median_ms']:.2f} ({_ratio(peer['median_ms'], row['median_ms'])})"
                )
            lines.append(
                f"| {row['rules']:,} | {row['shards']} | {row['load_s']:.2f} | {row['median_ms']:.2f} "
                f"({row['p90_ms']:.2f}) | {row['fired_per_case']:.1f} | {row['rss_mib']:.0f} | " + " | ".join(cells) + " |"
            )
        largest = scale[-1]
        targets = [f"load + compile at {largest['rules']:,} rules under 5 s: {_verdict(largest['load_s'] < 5)}"]
        if CLIPS in largest["peers"]:
            clips = largest["peers"][CLIPS]["median_ms"]
            targets.append(f"within 4× of CLIPS at {largest['rules']:,} rules: {_verdict(largest['median_ms'] <= 4 * clips)}")
        lines += ["", "Peers' build times (s): " + "; ".join(
            f"{row['rules']:,} rules: " + ", ".join(f"{n} {p['build_s']:.2f}" for n, p in row["peers"].items())
            for row in scale
        ) + ".", "", "Targets: " + "; ".join(targets) + ".", ""]
    endtoend = results.get("endtoend")
    if endtoend:
        e = endtoend
        ratio = e.get("batch_ratio", e["batch_jobs2_per_s"] / e["batch_jobs1_per_s"])
        lines += [
            "#### End to end",
            "",
            "| measure | result | target |",
            "|---|---|---|",
            f"| `orderdoctor advise` cold start, kb load cache in place | {e['advise_cold_ms']:.0f} ms "
            f"(bare interpreter {e['interpreter_ms']:.0f} ms) | under 150 ms: {_verdict(e['advise_cold_ms'] < 150)} |",
            f"| the same, cache off (first run after a kb edit) | {e['advise_cold_uncached_ms']:.0f} ms | — |",
            f"| `ask`: answer to next question | median {e['ask_median_ms']:.2f} ms, p90 {e['ask_p90_ms']:.2f} ms, "
            f"max {e['ask_max_ms']:.1f} ms | under 10 ms: {_verdict(e['ask_p90_ms'] < 10)} (p90) |",
            f"| `batch --jobs 1` | {e['batch_jobs1_per_s']:,.0f} records/s | 2,000/s: "
            f"{_verdict(e['batch_jobs1_per_s'] >= 2000)} |",
            f"| `batch --jobs 2` | {e['batch_jobs2_per_s']:,.0f} records/s ({ratio:.2f}× `--jobs 1`; two independent "
            f"`--jobs 1` runs on half the records each, at once: {e.get('batch_independent_ratio', 0):.2f}×; two "
            f"CPU-bound Python processes on this machine in the same rounds: {e['parallel_ceiling']:.2f}× one; medians of 5 interleaved rounds) | "
            f"1.7×: {_parallel_verdict(ratio, e.get('batch_independent_ratio'))} |",
            "",
        ]
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


def write(results: dict[str, Any], command: str, docs: Path = Path("docs")) -> list[Path]:
    """Put this run's tables into docs/performance.md and its numbers into
    docs/performance-results.json; returns the files written."""
    info = machine()
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
