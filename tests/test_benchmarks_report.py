"""The benchmark report (benchmarks/report.py): its tables and verdicts from given numbers.

No timing happens here — benchmarks are never part of the test run's pass/fail; this checks that
what `python -m benchmarks` writes into docs/performance.md says what the numbers say.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report  # noqa: E402

RESULTS = {
    "consultation": {
        "orderdoctor": {"median_ms": 0.10, "p90_ms": 0.2},
        "durable-rules, naive": {"median_ms": 0.14, "p90_ms": 0.3},
        "CLIPS (clipspy)": {"median_ms": 0.04, "p90_ms": 0.1},
        "experta": {"median_ms": 2.0, "p90_ms": 3.0},
    },
    "scale": [
        {"rules": 10_000, "shards": 157, "load_s": 6.0, "median_ms": 12.0, "p90_ms": 14.0, "fired_per_case": 760.0,
         "rss_mib": 390, "peers": {"CLIPS (clipspy)": {"median_ms": 10.0, "build_s": 6.0}}},
    ],
    "endtoend": {"interpreter_ms": 45, "advise_cold_ms": 160, "advise_cold_uncached_ms": 200, "ask_median_ms": 1.0,
                 "ask_p90_ms": 8.0, "ask_max_ms": 12.0, "batch_jobs1_per_s": 5000, "batch_jobs2_per_s": 8000,
                 "batch_ratio": 1.6, "batch_independent_ratio": 1.62, "parallel_ceiling": 1.9},
    "memory": {"consultations": 100_000, "rss_1k_mib": 24.3, "rss_10k_mib": 24.4, "rss_end_mib": 24.6,
               "growth_percent_10k_to_end": 0.8, "facts_left_in_sessions": 0},
}
INFO = {"date": "2026-11-22", "cpu": "cpu", "cores": 2, "python": "3.11", "system": "Linux",
        "durable-rules": "2.0.28", "clipspy": "1.0.6", "experta": "1.9.4"}


def test_verdicts_follow_the_numbers():
    text = report.render(RESULTS, INFO, "python -m benchmarks")
    assert "within 2× of CLIPS: **not met**" in text  # 0.10 > 2 × 0.04
    assert "1.5× faster than naive durable-rules: **not met**" in text  # 0.14 < 1.5 × 0.10
    assert "10× faster than experta: met" in text
    assert "load + compile at 10,000 rules under 5 s: **not met**" in text
    assert "within 4× of CLIPS at 10,000 rules: met" in text
    assert "under 150 ms: **not met**" in text
    assert "**not met: the machine's limit**" in text  # 1.6 ≥ 0.95 × 1.62
    assert "+0.80 % (under 5 %: met)" in text


def test_write_replaces_only_the_part_between_the_markers(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text(f"# Title\n\nprose before\n\n{report.START}\nold numbers\n{report.END}\n\nprose after\n")
    report.write(RESULTS, "python -m benchmarks", docs=tmp_path)
    text = page.read_text()
    assert text.startswith("# Title\n\nprose before\n\n" + report.START)
    assert text.endswith(report.END + "\n\nprose after\n")
    assert "old numbers" not in text and "| orderdoctor | 0.100 |" in text
    assert (tmp_path / "performance-results.json").exists()
