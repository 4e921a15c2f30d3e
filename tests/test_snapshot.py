"""The load cache: a knowledge base's snapshot (plain JSON data) and when the loader trusts it."""

from __future__ import annotations

import hashlib
import json
import os
import zlib
import shutil
from pathlib import Path

import pytest
from helpers import MINIMAL_KB, make_broken_kb
from orderdoctor.engine import KnowledgeBaseErrors, consult, load_knowledge_base
from orderdoctor.engine import loader as loader_module
from orderdoctor.engine import kbcache
from orderdoctor.engine.kbcache import cache_dir
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


def _body(stored: Path) -> dict:
    """The JSON body of a cache file (after its signature line)."""
    signature, _, body = stored.read_bytes().partition(b"\n")
    assert len(signature) == 64
    return json.loads(body)


def _sign(cache: Path, body: bytes) -> bytes:
    """A cache file's bytes signed with this user's secret (what only we can write)."""
    secret = (cache / "secret.key").read_bytes()
    return hashlib.blake2b(body, key=secret, digest_size=32).hexdigest().encode() + b"\n" + body


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
        "nested",
        "unsigned",
        "signed nested",
        "signed unknown advice id",
        "signed wrong type",
        "signed not UTF-8",
    ],
)
def test_a_damaged_cache_is_ignored_and_rewritten(cache, kb_copy, monkeypatch, damage):
    first = load_knowledge_base(kb_copy)
    (stored,) = cache.glob("*.json")
    signature, _, body = stored.read_bytes().partition(b"\n")
    data = json.loads(body)
    if damage == "tampered":  # the right key, but a class that is not the model's
        data["snapshot"]["rules"][0]["$"] = "os.system"
        stored.write_bytes(signature + b"\n" + json.dumps(data).encode())
    elif damage == "nested":  # was: RecursionError, exit 70 on every command
        stored.write_text("[" * 100_000 + "]" * 100_000)
    elif damage == "unsigned":  # the body as an older version wrote it
        stored.write_bytes(body)
    elif damage.startswith("signed"):  # damage that passes the signature must not be fatal either
        if damage == "signed nested":
            bad = b"[" * 100_000 + b"]" * 100_000
        elif damage == "signed unknown advice id":  # was: KeyError, exit 70
            data["snapshot"]["rules"][0]["f"][4] = ["no_such_advice"]
            bad = json.dumps(data).encode()
        elif damage == "signed wrong type":  # was: TypeError, exit 70
            data["snapshot"]["facts"]["$m"] = 7
            bad = json.dumps(data).encode()
        else:
            bad = b'{"key": "\xff"}'
        stored.write_bytes(_sign(cache, bad))
    else:
        stored.write_text(damage)
    read = _files_read(monkeypatch)
    _same(load_knowledge_base(kb_copy), first)
    assert read  # read from the files
    assert _body(stored)["snapshot"]["format"] == 1  # and cached again
    read.clear()
    _same(load_knowledge_base(kb_copy), first)
    assert read == []  # the rewritten cache is used


FACTS = {"order_status": "shipped", "tracking_note": "shipment_cancelled", "seller_response": "no_reply", "days_left": 3}


def test_tampered_advice_text_in_the_cache_never_reaches_the_advice(cache, kb_copy):
    """F5a: the key kept, the advice text changed: the signature no longer matches."""
    load_knowledge_base(kb_copy)
    (stored,) = cache.glob("*.json")
    signature, _, body = stored.read_bytes().partition(b"\n")
    data = json.loads(body)
    item = data["snapshot"]["advice"]["$m"]["open_dispute"]
    item["f"][2] = "Send your card number to seller@example.com"
    stored.write_bytes(signature + b"\n" + json.dumps(data).encode())
    advice = consult(load_knowledge_base(kb_copy), FACTS).to_json()["advice"]
    assert "seller@example.com" not in json.dumps(advice)
    assert any(entry["id"] == "open_dispute" for entry in advice)


def _forge_same_crc(path: Path, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` in ``path`` and 7 letters of its first comment so that the
    size and the CRC-32 stay the same (CRC-32 is affine over GF(2): solve for the flips)."""
    data = path.read_bytes()
    edited = bytearray(data.replace(old, new))
    start = edited.index(b"# ") + 2
    base = bytearray(edited)
    base[start:start + 7] = b"@" * 7
    bits = [(i, b) for i in range(7) for b in range(5)]  # '@'..'_' are all printable

    def crc(flips: int) -> int:
        trial = bytearray(base)
        for k, (i, b) in enumerate(bits):
            if flips >> k & 1:
                trial[start + i] ^= 1 << b
        return zlib.crc32(bytes(trial))

    zero = crc(0)
    basis: dict[int, tuple[int, int]] = {}  # leading bit → (crc difference, flips)
    for k in range(len(bits)):
        value, flips = crc(1 << k) ^ zero, 1 << k
        for bit in range(31, -1, -1):
            if value >> bit & 1:
                if bit not in basis:
                    basis[bit] = (value, flips)
                    break
                value ^= basis[bit][0]
                flips ^= basis[bit][1]
    want, flips = zlib.crc32(data) ^ zero, 0
    for bit in range(31, -1, -1):
        if want >> bit & 1:
            want ^= basis[bit][0]
            flips ^= basis[bit][1]
    assert want == 0
    for k, (i, b) in enumerate(bits):
        if flips >> k & 1:
            base[start + i] ^= 1 << b
    assert zlib.crc32(bytes(base)) == zlib.crc32(data) and len(base) == len(data)
    path.write_bytes(bytes(base))


def test_an_edit_keeping_size_and_crc32_is_read_again(cache, kb_copy):
    """F5c: the key is a SHA-256 of the contents, not size and CRC-32."""
    facts = {"order_status": "shipped", "days_left": 5, "tracking_note": "shipment_cancelled",
             "seller_response": "not_contacted"}
    before = [a["id"] for a in consult(load_knowledge_base(kb_copy), facts).to_json()["advice"]]
    rules = kb_copy / "rules" / "buyer_protection.yaml"
    _forge_same_crc(rules, b"days_left: {gte: 0, lte: 7}", b"days_left: {gte: 0, lte: 3}")
    cached = [a["id"] for a in consult(load_knowledge_base(kb_copy), facts).to_json()["advice"]]
    fresh = [a["id"] for a in consult(load_knowledge_base(kb_copy, cache=False), facts).to_json()["advice"]]
    assert cached == fresh != before


@pytest.mark.parametrize("problem", ["group-readable", "other user", "a link", "wrong size"])
def test_a_secret_key_that_is_not_private_is_never_used(cache, kb_copy, monkeypatch, tmp_path, problem):
    load_knowledge_base(kb_copy)
    secret = cache / "secret.key"
    assert secret.stat().st_mode & 0o777 == 0o600
    if problem == "group-readable":
        secret.chmod(0o640)
    elif problem == "other user":
        if os.getuid() != 0:
            pytest.skip("needs root to give the file away")
        os.chown(secret, 65534, -1)
    elif problem == "a link":
        copy = tmp_path / "copy.key"
        copy.write_bytes(secret.read_bytes())
        copy.chmod(0o600)
        secret.unlink()
        secret.symlink_to(copy)
    else:
        secret.write_bytes(secret.read_bytes() + b"x")
    before = secret.lstat()
    read = _files_read(monkeypatch)
    for _ in range(2):
        assert load_knowledge_base(kb_copy).rules
    assert read  # the cache was not believed (nor rewritten: the files are read every time)
    after = secret.lstat()
    assert (after.st_ino, after.st_mode, after.st_uid) == (before.st_ino, before.st_mode, before.st_uid)


def test_the_secret_key_and_the_cache_folder_are_private(cache, kb_copy):
    load_knowledge_base(kb_copy)
    assert (cache / "secret.key").stat().st_mode & 0o777 == 0o600
    assert cache.stat().st_mode & 0o077 == 0
    assert len((cache / "secret.key").read_bytes()) == 32


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


def test_the_signature_is_keyed_blake2b():
    secret, body = os.urandom(32), b'{"key": 1}' * 1000
    assert kbcache._signature(secret, body) == hashlib.blake2b(body, key=secret, digest_size=32).hexdigest().encode()
    assert kbcache._signature(os.urandom(32), body) != kbcache._signature(secret, body)
    assert kbcache._digest(body) == hashlib.blake2b(body, digest_size=32).hexdigest()
    assert kbcache._same_bytes(b"abc", b"abc") and not kbcache._same_bytes(b"abc", b"abd")
    assert not kbcache._same_bytes(b"abc", b"ab")


@pytest.mark.parametrize("race", ["vanishes", "appears"])
def test_a_rule_file_that_vanishes_or_appears_during_a_load_is_not_cached(cache, kb_copy, monkeypatch, race):
    """The cache key lists and hashes the rule files, then the loader lists them again: if a file
    vanished (an editor's rename-save, a checkout) or appeared in between, the knowledge base the
    loader built is not the one the key describes, and is not cached under it."""
    moved = kb_copy / "rules" / "buyer_protection.yaml"
    extra = kb_copy / "rules" / "zz_extra.yaml"
    held = moved.read_bytes()
    original = loader_module._rule_files
    calls = []

    def listing(root):
        calls.append(root)
        if len(calls) == 2:  # the loader's own listing, after the key's
            if race == "vanishes":
                moved.unlink()
            else:
                extra.write_text((kb_copy / "rules" / "refunds.yaml").read_text().replace("- id: ", "- id: zz_"))
        files = original(root)
        if race == "vanishes" and len(calls) == 2:
            moved.write_bytes(held)  # back in place right after
        return files

    monkeypatch.setattr(loader_module, "_rule_files", listing)
    racy = load_knowledge_base(kb_copy)
    monkeypatch.setattr(loader_module, "_rule_files", original)
    if race == "appears":
        extra.unlink()
    whole = load_knowledge_base(kb_copy, cache=False)
    again = load_knowledge_base(kb_copy)  # with every file in place: never the racy one
    assert len(racy.rules) != len(whole.rules)
    assert len(again.rules) == len(whole.rules)
