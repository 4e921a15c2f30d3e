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
    """The list is a generated region (``orderdoctor kb docs``), current, and names every fact a
    buyer can give: a new fact needs ``kb docs``, not an edit here or there."""
    from orderdoctor.cli.generated import DocData, fill_regions, find_regions

    text = (ROOT / "README.md").read_text()
    assert "fact-list" in {region.name for region in find_regions(text, "README.md")}
    _, stale = fill_regions(text, "README.md", DocData(shipped_kb))
    assert [region.name for region in stale] == [], "run 'orderdoctor kb docs'"
    for fact in shipped_kb.facts.values():
        if not fact.derived:
            assert f"`{fact.name}`" in text
