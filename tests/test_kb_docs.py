"""``orderdoctor kb docs`` on a small project (the fixture kb beside a docs/ folder): every
generated region is written from the kb, hand-written text around it is kept, ``--check`` names
each stale file and region and exits 1, and a kb edit needs nothing but ``kb docs``."""

from __future__ import annotations

import io
import shutil

import pytest
from helpers import MINIMAL_KB
from orderdoctor.cli.generated import END, START, DocData, fill_regions, find_regions
from orderdoctor.cli.main import main
from orderdoctor.engine import LocatedErrors, count_questions, load_cases, load_knowledge_base


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def region(name, text="stale"):
    return f"{START}{name} -->{text}{END}"


@pytest.fixture
def project(tmp_path):
    """A project: the minimal kb in kb/, a README with the fact list, docs/ with numbers."""
    shutil.copytree(MINIMAL_KB, tmp_path / "kb")
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        f"# Demo\n\nThe facts you can give:\n{START}fact-list -->\nold list\n{END}\n\nHand-written end.\n")
    (tmp_path / "docs" / "knowledge.md").write_text(
        f"The kb has {region('kb-size')} and cites {region('kb-sources')}.\n\n"
        f"## Rules\n\n{START}rules-by-topic -->\n{END}\n")
    (tmp_path / "docs" / "interview.md").write_text(
        f"Against the {region('askable-facts')}:\n\n{START}question-table -->\n| old |\n{END}\n\n"
        f"{region('worst-cases')} Hand-written.\n")
    (tmp_path / "docs" / "plain.md").write_text("No generated region here.\n")
    return tmp_path


def test_kb_docs_writes_every_region_and_keeps_the_prose(project):
    kb = str(project / "kb")
    status, out, _ = run(["kb", "docs", "--kb", kb, "--check"])
    assert status == 1
    assert f"{project / 'docs' / 'rules.md'} is stale: run 'orderdoctor kb docs'" in out
    assert f"{project / 'docs' / 'knowledge.md'}:1:12: generated region 'kb-size' is stale" in out
    assert "generated region 'question-table' is stale" in out and "plain.md" not in out
    status, out, _ = run(["kb", "docs", "--kb", kb])
    assert status == 0 and "(5 rules)" in out and "generated regions: fact-list" in out

    loaded = load_knowledge_base(project / "kb")
    cases = load_cases(loaded)
    knowledge = (project / "docs" / "knowledge.md").read_text()
    assert f"The kb has {region('kb-size', f'5 rules, {len(loaded.advice)} pieces of advice and {len(cases)} scenario cases')}" in knowledge
    assert region("kb-sources", f"{len(loaded.sources)} sources") in knowledge
    assert all(f"| `{rule.id}` | {rule.description} |" in knowledge for rule in loaded.rules)
    readme = (project / "README.md").read_text()
    assert f"{START}fact-list -->\n`order_status`, `coupon_used`, `days_left`, `seller_suspicious`.\n{END}" in readme
    assert readme.startswith("# Demo\n\nThe facts you can give:\n") and readme.endswith("\n\nHand-written end.\n")
    counts = count_questions(loaded, cases)
    interview = (project / "docs" / "interview.md").read_text()
    assert region("askable-facts", "4 askable facts") in interview
    assert f"| cases | {len(cases)} |\n| average | {counts.average:.2f} |\n| worst | {counts.worst} |" in interview
    assert f"The cases that take the most questions ({counts.worst}) are `" in interview
    assert interview.endswith(f"{END} Hand-written.\n")

    status, out, _ = run(["kb", "docs", "--kb", kb, "--check"])
    assert status == 0 and all(line.endswith(" is current") for line in out.splitlines())
    before = {path: path.read_bytes() for path in project.rglob("*.md")}
    assert run(["kb", "docs", "--kb", kb])[0] == 0
    assert {path: path.read_bytes() for path in project.rglob("*.md")} == before  # deterministic


def test_a_kb_edit_makes_the_numbers_stale_and_kb_docs_fixes_them(project):
    kb = str(project / "kb")
    run(["kb", "docs", "--kb", kb])
    with (project / "kb" / "facts.yaml").open("a") as facts:
        facts.write("- name: parcel_weight\n  type: integer\n  min: 0\n  max: 50\n"
                    "  description: Weight.\n  question: How heavy is it?\n")
    with (project / "kb" / "rules" / "main.yaml").open("a") as rules:
        rules.write("\n- id: heavy_parcel\n  description: A heavy parcel.\n  when: {parcel_weight: {gte: 20}}\n"
                    "  then: {advise: [contact_seller]}\n  source: test-article\n")
    status, out, _ = run(["kb", "docs", "--kb", kb, "--check"])
    assert status == 1
    stale = {line.split("generated region ")[1].split(" ")[0] for line in out.splitlines() if "generated region" in line}
    assert {"'kb-size'", "'rules-by-topic'", "'fact-list'", "'askable-facts'", "'question-table'"} <= stale
    assert run(["kb", "docs", "--kb", kb])[0] == 0
    assert run(["kb", "docs", "--kb", kb, "--check"])[0] == 0
    assert "`parcel_weight`" in (project / "README.md").read_text()
    assert "6 rules" in (project / "docs" / "knowledge.md").read_text()


def test_unknown_and_unclosed_regions_are_located_errors(project):
    (project / "docs" / "bad.md").write_text(f"a\n  {START}kb-sise -->x{END}\n{START}kb-size -->never closed\n")
    status, out, err = run(["kb", "docs", "--kb", str(project / "kb"), "--check"])
    assert status == 2 and out == ""
    assert f"{project / 'docs' / 'bad.md'}:2:3: error: unknown generated region 'kb-sise' (did you mean 'kb-size'?)" in err
    assert f"bad.md:3:1: error: generated region 'kb-size' is not closed by '{END}'" in err
    with pytest.raises(LocatedErrors):
        find_regions(f"{START}kb-size -->{START}kb-size -->{END}", "x.md")  # opened twice, closed once


def test_text_without_regions_is_left_alone_and_uppercase_names_are_prose():
    kb = load_knowledge_base(MINIMAL_KB)
    text = f"Between `{START}NAME -->` and `{END}` (how the docs describe regions).\n"
    assert find_regions(text, "x.md") == []
    assert fill_regions(text, "x.md", DocData(kb)) == (text, [])


def test_output_writes_only_the_rules_document(project, tmp_path_factory):
    target = tmp_path_factory.mktemp("out") / "rules.md"
    status, out, _ = run(["kb", "docs", "--kb", str(project / "kb"), "--output", str(target)])
    assert status == 0 and out == f"wrote {target} (5 rules)\n"
    assert "old list" in (project / "README.md").read_text()  # regions are the project's, not --output's
