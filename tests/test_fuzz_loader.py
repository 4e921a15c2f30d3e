"""Fuzzing the loader: random mutations of the shipped knowledge base either load or fail with our
own errors, each naming a file (and a line where there is one) — never another exception, never a hang.

A mutant that once failed badly is kept in tests/fixtures/mutants/ (one folder per mutant, holding
the mutated file at its path in the kb) and replayed here.
"""

from __future__ import annotations

import random
import shutil
import signal
import time
from pathlib import Path

from orderdoctor.engine import default_kb_path, load_cases, load_knowledge_base
from orderdoctor.engine.errors import KnowledgeBaseErrors

MUTANTS = 300
SEED = 20261122
KEPT = Path(__file__).parent / "fixtures" / "mutants"
SHIPPED = default_kb_path()
FILES = sorted(p.relative_to(SHIPPED) for p in SHIPPED.rglob("*.yaml"))

SNIPPETS = [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "99999999999999999999999999999999",
    "-1e309",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "&a [*a]",
    "{in: []}",
    "{gt: shipped}",
    "null",
    "~",
    "yes",
    "'\\x00'",
    "\"\\e[2J\"",
    "unknown_name_xyz",
    "{all: {}}",
    "{not: []}",
]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    if not lines:
        return text
    i = rng.randrange(len(lines))
    kind = rng.randrange(9)
    if kind == 0:
        del lines[i]
    elif kind == 1:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 2:
        lines[i] = " " * rng.randrange(1, 5) + lines[i]
    elif kind == 3:
        lines[i] = lines[i].lstrip()
    elif kind == 4 and ":" in lines[i]:
        key, _, _ = lines[i].partition(":")
        lines[i] = f"{key}: {rng.choice(SNIPPETS)}"
    elif kind == 5:
        lines.insert(i, lines[i])  # duplicate ids and keys
    elif kind == 6 and lines[i].strip():
        words = lines[i].split()
        words[rng.randrange(len(words))] = rng.choice(["shiped", "open_dispte", "days_lft", "-", ":", "'"])
        lines[i] = " ".join(words)
    elif kind == 7:
        lines[i] = lines[i] + " " + rng.choice(SNIPPETS)
    else:
        depth = rng.randrange(50, 400)
        lines.insert(i, "  deep: " + "[" * depth + "]" * depth)
    return "\n".join(lines)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def check_loads_or_fails_cleanly(root: Path) -> str:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        kb = load_knowledge_base(root)
        load_cases(kb)
        return "loaded"
    except KnowledgeBaseErrors as exc:
        assert exc.errors
        for error in exc.errors:
            assert error.location.file, error
            assert "Traceback" not in error.message
        return "refused"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_random_mutants(tmp_path):
    rng = random.Random(SEED)
    outcomes = {"loaded": 0, "refused": 0}
    started = time.monotonic()
    work = tmp_path / "kb"
    shutil.copytree(SHIPPED, work)
    for number in range(MUTANTS):
        relative = rng.choice(FILES)
        original = (SHIPPED / relative).read_text()
        mutant = original
        for _ in range(rng.randrange(1, 4)):
            mutant = mutate(mutant, rng)
        (work / relative).write_text(mutant)
        try:
            outcomes[check_loads_or_fails_cleanly(work)] += 1
        except BaseException as exc:  # keep the mutant as a fixture, then fail loudly
            keep = KEPT / f"mutant_{SEED}_{number}" / relative
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_text(mutant)
            raise AssertionError(f"mutant {number} of {relative} failed badly ({exc!r}); kept as {keep}") from exc
        finally:
            (work / relative).write_text(original)
    assert outcomes["refused"] > MUTANTS // 4  # the mutations really break things
    assert time.monotonic() - started < 300


def test_kept_mutants(tmp_path):
    """Every mutant that once failed badly (none so far) still loads or fails cleanly."""
    kept = sorted(p for p in KEPT.iterdir() if p.is_dir()) if KEPT.exists() else []
    for mutant in kept:
        work = tmp_path / mutant.name
        shutil.copytree(SHIPPED, work)
        shutil.copytree(mutant, work, dirs_exist_ok=True)
        assert check_loads_or_fails_cleanly(work) in ("loaded", "refused"), mutant.name
