"""Golden files for every explain format, and the examples in docs/explanations.md.

Regenerate after an intended change with:  UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_explain_formats.py
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
from pathlib import Path

import pytest
from orderdoctor.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
DOC = ROOT / "docs" / "explanations.md"
FACTS = ["--set", "order_status=shipped", "--set", "tracking_note=shipment_cancelled",
         "--set", "seller_response=no_reply", "--set", "days_left=3", "--today", "2026-11-23"]

CASES = {
    "how.txt": ["explain", *FACTS],
    "why_not.txt": ["explain", *FACTS, "--why-not", "keep_dispute_open", "--why-not", "wait_for_seller_reply"],
    "what_if.txt": ["explain", *FACTS, "--what-if", "days_left=-20"],
    "all.json": ["explain", *FACTS, "--format", "json", "--why-not", "keep_dispute_open", "--what-if", "days_left=-20"],
    "how.md": ["explain", *FACTS, "--format", "markdown"],
    "why_not.md": ["explain", *FACTS, "--format", "markdown", "--why-not", "keep_dispute_open"],
    "how.mmd": ["explain", *FACTS, "--format", "mermaid"],
}


def run(argv, monkeypatch) -> str:
    monkeypatch.chdir(ROOT)  # rule locations are shown relative to the working directory
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_file(name, monkeypatch):
    produced = run(CASES[name], monkeypatch)
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(produced)
    assert produced == golden.read_text()


def test_json_format_is_a_superset_of_advise_json(monkeypatch):
    explained = json.loads(run(CASES["all.json"], monkeypatch))
    advised = json.loads(run(["advise", "--json", *FACTS], monkeypatch))
    assert {key: explained[key] for key in advised} == advised
    assert {"how", "why_not", "what_if"} <= set(explained)


def test_mermaid_draws_every_fired_rule(monkeypatch):
    chart = run(CASES["how.mmd"], monkeypatch)
    assert chart.startswith("flowchart LR\n")
    advised = json.loads(run(["advise", "--json", *FACTS], monkeypatch))
    for step in advised["trace"]:
        assert f"{step['step']}. {step['rule']}" in chart


def test_bad_why_not_and_what_if_are_exit_2(monkeypatch):
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", *FACTS, "--why-not", "open_dispte"], stdout=out, stderr=err) == 2
    assert err.getvalue() == "--why-not open_dispte: error: unknown advice id 'open_dispte' (did you mean 'open_dispute'?)\n"
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", *FACTS, "--what-if", "days_left=soon"], stdout=out, stderr=err) == 2
    assert err.getvalue() == "--what-if days_left=soon: error: fact 'days_left' is a whole number, not 'soon'\n"


def test_advise_also_answers_why_not_and_what_if(monkeypatch):
    out = run(["advise", *FACTS, "--why-not", "wait_for_seller_reply", "--what-if", "days_left=-20"], monkeypatch)
    assert out.index("1. Open a dispute") < out.index("Why not wait_for_seller_reply") < out.index("What if days_left")


def _doc_examples():
    text = DOC.read_text()
    return re.findall(r"```console\n\$ (orderdoctor [^\n]+)\n(.*?)```", text, re.S)


def test_docs_examples_are_what_the_commands_print(monkeypatch):
    examples = _doc_examples()
    assert len(examples) >= 4
    for command, shown in examples:
        argv = shlex.split(command)[1:]
        assert run(argv, monkeypatch) == shown, command
