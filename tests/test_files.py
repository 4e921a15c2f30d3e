"""engine/files.py: the one atomic write (used by the load cache and by every command's output),
and the generic YAML reader the file loaders compose (engine/reader.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import MINIMAL_KB
from orderdoctor.engine import KnowledgeBaseErrors, load_knowledge_base
from orderdoctor.engine.files import AtomicFile, remove_stale_temporaries, write_atomically
from orderdoctor.engine.reader import YamlReader


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_file_follows_the_umask_a_private_one_is_0600_an_old_one_keeps_its_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new", b"x")
        write_atomically(tmp_path / "private", b"x", private=True)
        kept = tmp_path / "kept"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        write_atomically(kept, b"new", private=True, sync=False)
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "t"
    target.write_bytes(b"old")

    def failing_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_the_temporary_is_named_for_its_target_and_writer_and_discarded_on_request(tmp_path):
    atomic = AtomicFile(str(tmp_path / "t.txt"))
    os.close(atomic.create())
    assert leftovers(tmp_path) == [f".t.txt.orderdoctor-{os.getpid()}.tmp"]
    atomic.discard()
    assert leftovers(tmp_path) == [] and not (tmp_path / "t.txt").exists()


def test_a_stale_temporary_of_a_dead_writer_is_removed_by_the_next_write(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".t.orderdoctor-{int(done.stdout)}.tmp"
    stale.write_bytes(b"partial")
    write_atomically(tmp_path / "t", b"whole")
    assert not stale.exists() and (tmp_path / "t").read_bytes() == b"whole"
    assert remove_stale_temporaries(str(tmp_path / "t")) == []


def test_the_load_cache_is_written_atomically_and_privately(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ORDERDOCTOR_CACHE_DIR", str(cache))
    monkeypatch.delenv("ORDERDOCTOR_CACHE", raising=False)
    load_knowledge_base(MINIMAL_KB)
    (stored,) = cache.glob("*.json")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert leftovers(cache) == []


def test_the_yaml_reader_collects_every_problem_and_raises_them_in_file_order(tmp_path):
    file = tmp_path / "things.yaml"
    file.write_text(
        "- {id: Bad, flag: maybe}\n- {id: ok, flag: true}\n- {id: ok, flag: false, extra: 1}\n- {id: ok, flag: false}\n"
    )
    reader = YamlReader()
    seen: dict = {}
    for node in reader.entries(reader.parse(file, inside_only=False), file, "thing"):
        fields = reader.fields(node, "thing", ("id", "flag"), ())
        if fields is None:
            continue
        name = reader.identifier(fields["id"], "thing id")
        reader.boolean(fields["flag"], "flag")
        if name is not None:
            reader.first_definition(seen, "thing id", name, node.location)
    with pytest.raises(KnowledgeBaseErrors) as caught:
        reader.raise_errors()
    lines = [e.location.line for e in caught.value.errors]
    assert lines == [1, 1, 3, 4]
    messages = " | ".join(e.message for e in caught.value.errors)
    assert "must be snake_case" in messages and "must be true or false" in messages
    assert "unknown field 'extra'" in messages and "duplicate thing id 'ok'" in messages
