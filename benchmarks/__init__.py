"""orderdoctor's benchmarks: run with ``python -m benchmarks [NAME ...]`` from the repository root.

Never part of the test suite's pass/fail; results are reported in docs/performance.md.
"""
