"""``python -m benchmarks [consultation|scale|endtoend|memory ...]``: run the named benchmarks (default: all)."""

from __future__ import annotations

import sys

from . import consultation, endtoend, memory, scale

BENCHMARKS = {
    "consultation": consultation.main,
    "scale": scale.main,
    "endtoend": endtoend.main,
    "memory": memory.main,
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        BENCHMARKS[name]([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
