"""No cliffs (docs/reliability.md): knowledge bases that durable-rules alone cannot run — or runs
wrongly — load and advise correctly. Each consultation runs in a child process with a timeout:
durable's hang while building a ruleset (512 tested values under one node) runs in C holding the
GIL, so nothing inside the process could interrupt it.

The knowledge bases are the reliability review's reproducers, written here as YAML and read by
the real loader: hash-colliding fact names (with each other, with durable's ``sid``/``id`` and with
the backend's own property names), a 65,537-character choice value, 512 and 600 tested values,
64 rules x 8 values, 14 ``in`` lists and 14 ``any`` groups in one rule, 300 facts given and a
derivation chain of 1,000 rules. Then: no memory kept per knowledge base loaded and released.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orderdoctor.engine import load_knowledge_base
from orderdoctor.engine.backend import get_backend
from orderdoctor.engine.inference import InferenceEngine, consult, engine_for, release

#: Seconds a consultation may take in the child (the hang was forever; a real run takes < 5 s).
TIMEOUT = 120


def write_kb(root: Path, facts: list[dict], rules: list[dict]) -> Path:
    """A knowledge base folder: ``facts``, ``rules`` and an advice item for each advised id."""
    (root / "rules").mkdir(parents=True)
    advised = sorted({a for rule in rules for a in rule["then"].get("advise", [])})
    advice = [{"id": a, "kind": "action", "title": a, "text": a, "source": "s"} for a in advised]
    for rule in rules:
        rule.setdefault("description", "A rule.")
        rule.setdefault("source", "s")
    for fact in facts:
        fact.setdefault("description", "A fact.")
        if not fact.get("derived"):
            fact.setdefault("question", "?")
    dump = lambda data, name: (root / name).write_text(yaml.safe_dump(data, sort_keys=False, width=10**9))  # noqa: E731
    dump(facts, "facts.yaml")
    dump(advice, "advice.yaml")
    dump([{"id": "s", "title": "A source"}], "sources.yaml")
    dump(rules, "rules/r.yaml")
    return root


def advise(kb: Path, facts: dict, tmp_path: Path) -> list[str]:
    """The advice ids of ``orderdoctor advise --json`` run in a child process, with a timeout."""
    given = tmp_path / "given.json"
    given.write_text(json.dumps(facts))
    env = {**os.environ, "ORDERDOCTOR_CACHE_DIR": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "orderdoctor.cli", "advise", "--json", "--kb", str(kb), "--facts", str(given)],
        capture_output=True, text=True, timeout=TIMEOUT, env=env,
    )
    assert done.returncode == 0, done.stderr
    return [item["id"] for item in json.loads(done.stdout)["advice"]]


def boolean(name: str) -> dict:
    return {"name": name, "type": "boolean"}


def choice(name: str, values: list[str]) -> dict:
    return {"name": name, "type": "choice", "values": values}


def rule(rule_id: str, when: dict, advise: list[str] | None = None, derive: dict | None = None) -> dict:
    then: dict = {}
    if derive:
        then["derive"] = derive
    if advise:
        then["advise"] = advise
    return {"id": rule_id, "when": when, "then": then}


# ------------------------------------------------------------------ names and values
@pytest.mark.parametrize(("given", "expected"), [
    ({"f_vfbpa": True}, ["vfbpa_true"]),
    ({"f_loczw": True, "f_vfbpa": False}, ["loczw_true"]),
    ({"f_loczw": False, "f_vfbpa": True}, ["vfbpa_true"]),
    ({"xisvisyc": "a", "status": "open"}, ["do_it", "other"]),  # hashes as `sid`
    ({"xisvisyc": "a"}, ["other"]),
    ({"x5e5zqa": True, "status": "open"}, ["do_it", "id_like"]),  # hashes as `id`
    ({"status": "open", "xbsr85ra": False, "x5e5zy5": False, "xi2ps_r": False}, ["do_it"]),  # as _f0, a0, m0
])
def test_names_durable_hashes_alike_give_the_right_advice(tmp_path: Path, given: dict, expected: list[str]) -> None:
    facts = [boolean("f_loczw"), boolean("f_vfbpa"), choice("xisvisyc", ["a", "b"]), choice("status", ["open", "shut"]),
             boolean("x5e5zqa"), boolean("xbsr85ra"), boolean("x5e5zy5"), boolean("xi2ps_r"), boolean("x5e5zv3")]
    rules = [
        rule("do_it", {"status": "open"}, advise=["do_it"]),
        rule("loczw", {"f_loczw": True}, advise=["loczw_true"]),
        rule("vfbpa", {"f_vfbpa": True}, advise=["vfbpa_true"]),
        rule("other", {"xisvisyc": "a"}, advise=["other"]),
        rule("id_like", {"x5e5zqa": True}, advise=["id_like"]),
        rule("never", {"any": [{"xbsr85ra": True}, {"x5e5zy5": True}, {"xi2ps_r": True}, {"x5e5zv3": True}]},
             advise=["never"]),
    ]
    kb = load_knowledge_base(write_kb(tmp_path / "kb", facts, rules), cache=False)
    for _ in range(3):  # the same answer however often (a name hashing as `sid` made it depend on history)
        assert list(consult(kb, given).advice_ids) == expected
    release(kb)


def test_a_long_choice_value_is_not_its_prefix(tmp_path: Path) -> None:
    long = "b" + "x" * 65_536
    kb = load_knowledge_base(write_kb(tmp_path / "kb", [choice("c", ["b", long])],
                                      [rule("is_b", {"c": "b"}, advise=["value_is_b"]),
                                       rule("is_long", {"c": [long, "b"]}, advise=["one_of_them"])]), cache=False)
    assert list(consult(kb, {"c": long}).advice_ids) == ["one_of_them"]
    assert list(consult(kb, {"c": "b"}).advice_ids) == ["value_is_b", "one_of_them"]
    release(kb)


# ------------------------------------------------------------------ sizes (child process, timeout)
def test_512_and_600_tested_values_do_not_hang(tmp_path: Path) -> None:
    values = [f"v{i}" for i in range(600)]
    kb = write_kb(tmp_path / "kb", [choice("country", values)], [
        rule("known_512", {"country": values[:512]}, advise=["known_country"]),
        rule("tail", {"country": values[300:]}, advise=["tail"]),
    ])
    assert advise(kb, {"country": "v1"}, tmp_path) == ["known_country"]
    assert advise(kb, {"country": "v599"}, tmp_path) == ["tail"]


def test_64_rules_of_8_values_each_do_not_hang(tmp_path: Path) -> None:
    values = [f"c{i}" for i in range(512)]
    rules = [rule(f"region{r}", {"country": values[8 * r:8 * r + 8], "b": True}, advise=[f"adv{r}"]) for r in range(64)]
    kb = write_kb(tmp_path / "kb", [choice("country", values), boolean("b")], rules)
    assert advise(kb, {"country": "c9", "b": True}, tmp_path) == ["adv1"]


@pytest.mark.parametrize("shape", ["in", "any"])
def test_14_in_lists_or_any_groups_in_one_rule_run(tmp_path: Path, shape: str) -> None:
    """durable refuses more than 15 nested $and/$or in a rule (error 113): the backend gives it none."""
    count = 16
    if shape == "in":
        facts = [choice(f"c{i}", ["x", "y", "z"]) for i in range(count)]
        when = {f"c{i}": ["x", "y"] for i in range(count)}
        given = {f"c{i}": "x" for i in range(count)}
    else:
        facts = [boolean(f"b{i}") for i in range(2 * count)]
        when = {"all": [{"any": [{f"b{2 * i}": True}, {f"b{2 * i + 1}": True}]} for i in range(count)]}
        given = {f"b{2 * i}": True for i in range(count)}
    kb = write_kb(tmp_path / "kb", facts, [rule("r", when, advise=["a"])])
    assert advise(kb, given, tmp_path) == ["a"]
    assert advise(kb, {**given, "c0" if shape == "in" else "b0": "z" if shape == "in" else False}, tmp_path) == [
        "nothing_applies"]


def test_300_facts_given_and_a_chain_of_1000_rules(tmp_path: Path) -> None:
    facts = [boolean(f"b{i:03}") for i in range(300)] + [boolean("start")]
    facts += [{"name": f"d{i}", "type": "boolean", "derived": True} for i in range(1001)]
    rules = [rule("first", {"b000": True}, advise=["first_true"]), rule("last", {"b299": True}, advise=["last_true"]),
             rule("c_start", {"start": True}, derive={"d0": True})]
    rules += [rule(f"c{i}", {f"d{i}": True}, derive={f"d{i + 1}": True}) for i in range(1000)]
    rules.append(rule("end", {"d1000": True}, advise=["end"]))
    kb = write_kb(tmp_path / "kb", facts, rules)
    assert advise(kb, {f"b{i:03}": True for i in range(300)}, tmp_path) == ["first_true", "last_true"]
    assert advise(kb, {"start": True}, tmp_path) == ["end"]


# ------------------------------------------------------------------ memory
def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0  # pragma: no cover - not Linux


def test_no_memory_kept_per_kb_loaded_consulted_and_released(tmp_path: Path) -> None:
    root = write_kb(tmp_path / "kb", [choice("c", ["x", "y"]), boolean("b")],
                    [rule(f"r{i}", {"c": "x", "b": i % 2 == 0}, advise=[f"a{i % 5}"]) for i in range(100)])
    kb = load_knowledge_base(root, cache=False)
    backend = get_backend()
    before_handles = len(backend._handles)

    def cycle() -> None:
        with InferenceEngine(kb) as engine:
            engine.consult({"c": "x", "b": True})
            engine.consult({"c": "y"})

    for _ in range(20):  # warm up allocators
        cycle()
    gc.collect()
    start = _rss_mib()
    for _ in range(200):
        cycle()
    gc.collect()
    grown = _rss_mib() - start
    assert len(backend._handles) == before_handles
    assert grown < 40, f"{grown:.1f} MiB kept after 200 kbs (was ~1.5 MiB per kb: durable sessions never freed)"


def test_engines_of_collected_kbs_free_their_rulesets(tmp_path: Path) -> None:
    root = write_kb(tmp_path / "kb", [boolean("b")], [rule("r", {"b": True}, advise=["a"])])
    backend = get_backend()
    engine_for(load_knowledge_base(root, cache=False))  # the kb is dropped at once
    gc.collect()
    kept = load_knowledge_base(root, cache=False)
    registered = len(backend._handles)
    engine_for(kept)  # closes the engines of kbs gone, then registers this one
    assert len(backend._handles) <= registered
    release(kept)
