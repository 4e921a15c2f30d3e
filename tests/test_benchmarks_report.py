"""The benchmark report (benchmarks/report.py): its tables and verdicts from given numbers.

No timing happens here — benchmarks are never part of the test run's pass/fail; this checks that
what `python -m benchmarks` writes into docs/performance.md says what the numbers say.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report  # noqa: E402


def _engine(us: float, ratio: list[float]) -> dict:
    return {"us": [us * 0.9, us, us * 1.2], "ratio": ratio}


RESULTS = {
    "consultation": {
        "checked": {"compiled Python (floor)": 3231, "CLIPS": 3231},
        "cases": {"count": 231, "rounds": 9, "engines": {
            "orderdoctor": _engine(100, [1, 1, 1]),
            "compiled Python (floor)": _engine(25, [0.2, 0.25, 0.3]),  # orderdoctor 4× the floor
            "CLIPS": _engine(60, [0.5, 0.6, 0.7]),  # orderdoctor 1.67× CLIPS
            "durable-rules, naive (ablation)": _engine(300, [2.5, 3.0, 3.5]),
        }},
        "random": {"count": 2000, "rounds": 9, "engines": {
            "orderdoctor": _engine(80, [1, 1, 1]),
            "compiled Python (floor)": _engine(48, [0.55, 0.6, 0.65]),  # within 2×
            "CLIPS": _engine(96, [1.1, 1.2, 1.3]),  # orderdoctor faster
        }},
        "experta": {"count": 231, "rounds": 3, "engines": {
            "orderdoctor": _engine(100, [1, 1, 1]), "experta": _engine(4000, [35, 40, 45])}},
    },
    "scale": [
        {"rules": 10_000, "facts": 500, "cases": 30, "failed_cases": 2, "shards": 157, "fired_per_case": 76.0,
         "rss_mib": 390, "load_s": [6.0, 6.5, 7.0], "compile_s": [2.0, 2.0, 2.0], "clips_build_s": [5.0, 5.0, 5.0],
         "clips_ratio": [1.6, 1.7, 1.8],
         "engines": {"orderdoctor": _engine(10_000, [1, 1, 1]), "CLIPS": _engine(5_000, [0.7, 0.75, 0.8])}},
    ],
    "compile": {
        "synthetic": {"rounds": 3, "per_rule_ratio": 1.1, "sizes": [
            {"rules": 10_000, "shards": 157, "compile_s": [1.0, 1.1, 1.2]},
            {"rules": 50_000, "shards": 782, "compile_s": [5.5, 6.0, 11.0]}]},
        "realistic": {"rounds": 2, "per_rule_ratio": 1.4, "sizes": [
            {"rules": 10_000, "shards": 169, "compile_s": [2.0, 2.1, 2.2]},
            {"rules": 50_000, "shards": 870, "compile_s": [14.0, 14.5, 15.0]}]}},
    "endtoend": {
        "cold_start": {"runs": 20, "wall_ms": {n: [30, 40, 50] for n in ("interpreter", "cached", "uncached")},
                       "cpu_ms": {n: [30, 40, 50] for n in ("interpreter", "cached", "uncached")},
                       "ratio_cpu": {"cached": [2.4, 2.5, 2.6], "uncached": [3.0, 3.5, 4.0]},
                       "ratio_wall": {"cached": [2.4, 2.5, 2.6], "uncached": [3.0, 3.5, 4.0]}},
        "ask": {"questions": 1500, "wall_ms": {"median": 5.0, "p90": 12.0, "max": 30.0},
                "cpu_ms": {"median": 3.0, "p90": 8.0, "max": 20.0}},
        "plan_only_ms": {"median": 1.0, "p90": 3.0},
        "batch_jobs1_per_s": 5000, "batch_jobs2_per_s": 8000, "batch_ratio": 1.6, "batch_independent_ratio": 1.62,
        "parallel_ceiling": 1.9, "batch_records": 1000,
    },
    "memory": {"consultations": 100_000, "rss_1k_mib": 24.3, "rss_10k_mib": 24.4, "rss_end_mib": 24.6,
               "growth_percent_10k_to_end": 0.8, "facts_left_in_sessions": 0},
}
INFO = {"date": "2026-11-22", "cpu": "cpu", "cores": 2, "load_average": [3.1, 2.5, 2.0], "python": "3.11",
        "system": "Linux", "durable_rules": "2.0.28", "clipspy": "1.0.6", "experta": "1.9.4", "prompt_toolkit": "3.0"}


def _verdicts() -> dict[str, tuple[str, str]]:
    return {target: (measured, verdict) for target, measured, verdict in report.targets(RESULTS)}


def test_every_target_is_judged_on_its_median_ratio():
    found = _verdicts()
    assert found["shipped kb (kb cases): orderdoctor ≤ 1.0× CLIPS"] == ("1.43 / 1.67 / 2.00×", "**not met**")
    assert found["shipped kb (2,000 random fact sets): orderdoctor ≤ 1.0× CLIPS"][1] == "met"
    assert found["shipped kb (2,000 random fact sets): orderdoctor ≤ 2× the compiled-Python floor"][1] == "met"
    assert found["shipped kb (kb cases): orderdoctor ≤ 2× the compiled-Python floor"][1] == "**not met**"
    assert found["shipped kb (2,000 random fact sets): orderdoctor ≤ 2× the compiled-Python floor"][1] == "met"
    assert found["shipped kb: experta ≥ 10× orderdoctor"][1] == "met"
    assert found["10,000 rules: orderdoctor ≤ 1.5× CLIPS"][1] == "met"  # 1 / 0.75 = 1.33
    assert found["10,000 rules: load from YAML, uncached, < 5 s"][1] == "**not met**"
    assert found["`advise` cold start ≤ 2× `python -c pass` (kb load cache in place)"][1] == "**not met**"
    assert found["`ask`: answer to next question drawn, p90 < 10 ms"][1] == "met (CPU)"
    assert found["50,000 rules (synthetic kb): compile < 10 s, linear"] == (
        "5.50 / 6.00 / 11.00 s CPU (time per rule 1.10× that at 10,000 rules)", "met")
    assert found["50,000 rules (realistic kb): compile < 10 s, linear"][1] == "**not met**"


def test_a_verdict_says_when_the_rounds_fall_on_both_sides():
    results = {"consultation": {"cases": {"count": 231, "rounds": 9, "engines": {
        "orderdoctor": _engine(100, [1, 1, 1]), "CLIPS": _engine(100, [0.96, 1.01, 1.10])}},
        "random": {"count": 2000, "rounds": 9, "engines": {"orderdoctor": _engine(80, [1, 1, 1])}}}}
    found = {target: verdict for target, _, verdict in report.targets(results)}
    assert found["shipped kb (kb cases): orderdoctor ≤ 1.0× CLIPS"] == (
        "met (within noise: the rounds fall on both sides)")
    assert found["shipped kb (2,000 random fact sets): orderdoctor ≤ 1.0× CLIPS"] == "**not measured**"


def test_the_summary_prints_every_target_with_the_machine():
    text = report.summary(RESULTS, {**INFO, "load_average_after": [1.0, 1.0, 1.0]})
    assert text.startswith("targets (issue 16)") and "2 cores (cpu)" in text and "[1.0, 1.0, 1.0] at the end" in text
    assert len(text.splitlines()) == 1 + len(report.targets(RESULTS))
    assert "  not met   advise cold start" in text


def test_render_names_the_machine_and_every_table():
    text = report.render(RESULTS, INFO, "python -m benchmarks")
    assert "load average [3.1, 2.5, 2.0]" in text and "prompt_toolkit 3.0" in text
    assert "| compiled Python (floor) | 22.5 / 25.0 / 30.0 | 0.20 / 0.25 / 0.30 |" in text
    assert "Cases orderdoctor could not run: 10,000 rules: 2 of 30." in text
    assert "+0.80 % (under 5 %: met)" in text
    assert text.startswith(report.START) and text.endswith(report.END)


def test_write_replaces_only_the_part_between_the_markers(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text(f"# Title\n\nprose before\n\n{report.START}\nold numbers\n{report.END}\n\nprose after\n")
    report.write(RESULTS, "python -m benchmarks", docs=tmp_path, info=INFO)
    text = page.read_text()
    assert text.startswith("# Title\n\nprose before\n\n" + report.START)
    assert text.endswith(report.END + "\n\nprose after\n")
    assert "old numbers" not in text and "| orderdoctor | 90.0 / 100.0 / 120.0 | 1.00 / 1.00 / 1.00 |" in text
    raw = json.loads((tmp_path / "performance-results.json").read_text())
    assert raw["machine"] == INFO and raw["scale"][0]["rules"] == 10_000
