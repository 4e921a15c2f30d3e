"""The load cache: a knowledge base's snapshot (plain JSON data) and when the loader trusts it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import MINIMAL_KB, make_broken_kb
from orderdoctor.engine import KnowledgeBaseErrors, consult, load_knowledge_base
from orderdoctor.engine import loader as loader_module
from orderdoctor.engine.loader import cache_dir
from orderdoctor.engine.snapshot import SnapshotError, from_snapshot, to_snapshot

SHIPPED = Path(loader_module.default_kb_path())


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ORDERDOCTOR_CACHE_DIR", str(folder))
    monkeypatch.delenv("ORDERDOCTOR_CACHE", raising=False)
    return folder


@pytest.fixture()
def kb_copy(tmp_path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(SHIPPED, target)
    return target


def _files_read(monkeypatch) -> list[Path]:
    """Record every YAML file the loader parses (none when the cache answers)."""
    read: list[Path] = []
    original = loader_module._Loader._parse

    def parse(self, file, **kwargs):
        read.append(file)
        return original(self, file, **kwargs)

    monkeypatch.setattr(loader_module._Loader, "_parse", parse)
    return read


def _same(a, b) -> None:
    assert a == b
    assert [r.location for r in a.rules] == [r.location for r in b.rules]
    assert [r.when for r in a.rules] == [r.when for r in b.rules]
    assert sorted(a.graph.digraph.edges) == sorted(b.graph.digraph.edges)


@pytest.mark.parametrize("root", [SHIPPED, MINIMAL_KB], ids=["shipped", "minimal"])
def test_a_snapshot_rebuilds_the_same_knowledge_base(root):
    fresh = load_knowledge_base(root, cache=False)
    data = json.loads(json.dumps(to_snapshot(fresh)))  # through JSON text, as stored
    _same(from_snapshot(data, root), fresh)


def test_the_second_load_reads_no_yaml_and_advises_the_same(cache, kb_copy, monkeypatch):
    first = load_knowledge_base(kb_copy)
    assert list(cache.glob("*.json"))
    read = _files_read(monkeypatch)
    second = load_knowledge_base(kb_copy)
    assert read == []
    _same(second, first)
    facts = {"order_status": "shipped", "tracking_note": "shipment_cancelled", "seller_response": "no_reply",
             "days_left": 3}
    assert consult(second, facts).to_json() == consult(first, facts).to_json()


@pytest.mark.parametrize("edit", ["change", "add", "remove"])
def test_an_edited_file_is_read_again(cache, kb_copy, monkeypatch, edit):
    load_knowledge_base(kb_copy)
    rules = kb_copy / "rules" / "disputes.yaml"
    if edit == "change":  # same size, same second: only the content differs
        stat = rules.stat()
        text = rules.read_text()
        rules.write_text(text.replace("description:", "descriptioN:", 1))
        os.utime(rules, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif edit == "add":
        (kb_copy / "rules" / "zz_extra.yaml").write_text("[]\n")
    else:
        rules.unlink()
    read = _files_read(monkeypatch)
    if edit == "change":
        with pytest.raises(KnowledgeBaseErrors, match="no 'description' field"):
            load_knowledge_base(kb_copy)
    elif edit == "add":
        load_knowledge_base(kb_copy)
        assert kb_copy / "rules" / "zz_extra.yaml" in read
    else:
        try:
            kb = load_knowledge_base(kb_copy)
        except KnowledgeBaseErrors:
            pass  # other rules may need the removed ones; either way the files were read
        else:
            assert all(rule.location.file.endswith("disputes.yaml") is False for rule in kb.rules)
        assert read


def test_locations_follow_the_working_directory_of_the_reading_process(cache, kb_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(kb_copy)
    load_knowledge_base(kb_copy)  # cached with locations shown relative to kb_copy
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cached = load_knowledge_base(kb_copy)
    fresh = load_knowledge_base(kb_copy, cache=False)
    assert [r.location for r in cached.rules] == [r.location for r in fresh.rules]
    assert cached.rules[0].location.file.startswith("/")


@pytest.mark.parametrize(
    "damage",
    [
        "not json at all",
        "[]",
        '{"key": null}',
        "{}",
        "tampered",
    ],
)
def test_a_damaged_cache_is_ignored_and_rewritten(cache, kb_copy, monkeypatch, damage):
    first = load_knowledge_base(kb_copy)
    (stored,) = cache.glob("*.json")
    if damage == "tampered":  # the right key, but a class that is not the model's
        data = json.loads(stored.read_text())
        data["snapshot"]["rules"][0]["$"] = "os.system"
        stored.write_text(json.dumps(data))
    else:
        stored.write_text(damage)
    read = _files_read(monkeypatch)
    _same(load_knowledge_base(kb_copy), first)
    assert read  # read from the files
    assert json.loads(stored.read_text())["snapshot"]["format"] == 1  # and cached again


def test_snapshot_refuses_unknown_classes_and_other_formats():
    kb = load_knowledge_base(MINIMAL_KB, cache=False)
    data = to_snapshot(kb)
    with pytest.raises(SnapshotError):
        from_snapshot({**data, "format": 999}, MINIMAL_KB)
    data["rules"][0] = {"$": "Path", "f": ["/etc/passwd"]}
    with pytest.raises(SnapshotError):
        from_snapshot(data, MINIMAL_KB)


def test_cache_off_and_unwritable_cache(cache, kb_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("ORDERDOCTOR_CACHE", "off")
    load_knowledge_base(kb_copy)
    assert not cache.exists()
    monkeypatch.delenv("ORDERDOCTOR_CACHE")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ORDERDOCTOR_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    assert load_knowledge_base(kb_copy).rules
    assert cache_dir() == blocker / "cache"


def test_a_knowledge_base_with_errors_is_never_cached(cache, tmp_path):
    broken = make_broken_kb("unknown_fact", tmp_path)
    for _ in range(2):
        with pytest.raises(KnowledgeBaseErrors):
            load_knowledge_base(broken)
    assert not list(cache.glob("*.json"))
