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


BYTES = [b"\xff", b"\xe9", b"\xc3", b"\x00", b"\x1b", b"\x07", b"\xe2\x80\xae", b"\xef\xbb\xbf", b"\r", b"\t"]


def test_random_bad_bytes_are_always_located(tmp_path, monkeypatch):
    """F20: a non-UTF-8 byte or a control character anywhere gives errors with line and column,
    with the cache on and off, and no false errors that only follow from the unreadable file."""
    monkeypatch.setenv("ORDERDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    rng = random.Random(SEED + 1)
    work = tmp_path / "kb"
    shutil.copytree(SHIPPED, work)
    for number in range(60):
        relative = rng.choice(FILES)
        original = (SHIPPED / relative).read_bytes()
        where = rng.randrange(len(original))
        (work / relative).write_bytes(original[:where] + rng.choice(BYTES) + original[where:])
        try:
            for cache in (False, True):
                try:
                    load_knowledge_base(work, cache=cache)
                    if relative.parts[0] == "cases":
                        load_cases(load_knowledge_base(work, cache=cache))
                except KnowledgeBaseErrors as exc:
                    shown = [error.format() for error in exc.errors]
                    assert all(error.location.line for error in exc.errors), (number, relative, shown)
                    assert not any("unicode string" in line or "\n" in line for line in shown), shown
                    if "not UTF-8 text" in shown[0]:
                        assert len(shown) == 1, (number, relative, shown)  # no cascade
        finally:
            (work / relative).write_bytes(original)


def test_random_damage_to_the_cache_is_never_fatal(tmp_path, monkeypatch):
    """F5: whatever happens to a cache file, the next load equals a fresh one."""
    import json

    cache = tmp_path / "cache"
    monkeypatch.setenv("ORDERDOCTOR_CACHE_DIR", str(cache))
    work = tmp_path / "kb"
    shutil.copytree(SHIPPED, work)
    fresh = load_knowledge_base(work, cache=False)
    load_knowledge_base(work)
    (stored,) = cache.glob("kb*.json")
    good = stored.read_bytes()
    rng = random.Random(SEED + 2)
    for _ in range(60):
        data = bytearray(good)
        kind = rng.randrange(4)
        if kind == 0:  # flip a few bytes
            for _ in range(rng.randrange(1, 5)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:  # truncate
            data = data[: rng.randrange(len(data))]
        elif kind == 2:  # edit a value in the body, keeping the signature and the key
            signature, _, body = bytes(data).partition(b"\n")
            text = json.dumps(json.loads(body)).replace("Open a dispute", "Do nothing", 1)
            data = bytearray(signature + b"\n" + text.encode())
        else:  # deep nesting
            data = bytearray(b"[" * 200_000 + b"]" * 200_000)
        stored.write_bytes(bytes(data))
        loaded = load_knowledge_base(work)
        assert loaded == fresh
        assert [a.title for a in loaded.advice.values()] == [a.title for a in fresh.advice.values()]
