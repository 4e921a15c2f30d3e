"""The README's set-up commands are the ones CI runs, and its examples are true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


def test_ci_runs_exactly_the_readme_commands():
    install, tests = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci
    assert tests in ci


def test_readme_lists_every_askable_fact(shipped_kb):
    text = (ROOT / "README.md").read_text()
    for fact in shipped_kb.facts.values():
        if not fact.derived:
            assert f"`{fact.name}`" in text
