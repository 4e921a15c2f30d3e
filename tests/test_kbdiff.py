"""``orderdoctor kb diff``: the comparison of two knowledge bases (engine) and the command.

The knowledge bases are the fixture pair ``tests/fixtures/kbdiff/old`` and ``new`` (one rule
differs) and variants of ``old`` with one edit each, one per change class.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import FIXTURES
from orderdoctor.cli.main import main
from orderdoctor.engine import diff_kbs, load_cases, load_knowledge_base, load_review_config
from orderdoctor.engine.kbdiff import Answer, classify

OLD = FIXTURES / "kbdiff" / "old"
NEW = FIXTURES / "kbdiff" / "new"


def run(argv, cwd=None, monkeypatch=None):
    if cwd is not None:
        monkeypatch.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def variant(tmp_path: Path, name: str, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """``old`` with text replaced in its files (each replacement must apply)."""
    target = tmp_path / name
    shutil.copytree(OLD, target)
    for file, replacements in edits.items():
        path = target / file
        text = path.read_text()
        for before, after in replacements:
            assert before in text, (file, before)
            text = text.replace(before, after)
        path.write_text(text)
    return target


def compare(old_path: Path, new_path: Path, exhaustive: bool = False):
    old = load_knowledge_base(old_path, cache=False)
    new = load_knowledge_base(new_path, cache=False)
    configs = (load_review_config(old), load_review_config(new))
    return diff_kbs(old, new, load_cases(old), load_cases(new), configs, exhaustive=exhaustive)


def groups(found):
    return {group.label: group.count for group in found.space.groups}


# ------------------------------------------------------------------ change classes
VARIANTS = {
    # class → (edits of old, a label the space must show)
    "advice-added": ({"rules/main.yaml": [("days_left: {gt: 7}", "days_left: {gt: 5}")]},
                     "nothing_applies gone, +contact_seller, first action none → contact_seller"),
    "advice-removed": ({"rules/main.yaml": [("days_left: {gt: 7}", "days_left: {gt: 9}")]},
                       "nothing_applies appeared, -contact_seller, first action contact_seller → none"),
    "reordered": ({"rules/main.yaml": [("- id: suspicious_note\n", "- id: suspicious_note\n  priority: 20\n")]},
                  "order reorder, check_seller → check_seller, reorder"),
    "first-action": ({"advice.yaml": [("  replaces: [contact_seller]\n", "")],
                      "rules/main.yaml": [("      - not: {seller_suspicious: true}\n", "")]},
                     "+contact_seller"),
    "deadline": ({"advice.yaml": [("deadline: {days_from: days_left}", "deadline: {days_from: days_left, plus: -2}")]},
                 "deadline of open_dispute: 2 days earlier"),
    "urgency": ({"advice.yaml": [("urgent_within: 7", "urgent_within: 8")]},
                "deadline_near says act now within 8 days (was 7)"),
    "error-appeared": ({"advice.yaml": [("- id: check_seller\n", "- id: check_seller\n  requires: {order_status: closed}\n")]},
                       "error: advice 'check_seller' (given by rule 'suspicious_note') was given where its contract"),
}


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_each_change_class_is_found_and_pruning_agrees_with_running_everything(tmp_path, kind):
    edits, label = VARIANTS[kind]
    edited = variant(tmp_path, kind, edits)
    found = compare(OLD, edited)
    assert found.answers_change
    assert found.space.by_class()[kind] > 0
    assert any(group.label.startswith(label) for group in found.space.groups), groups(found)
    everything = compare(OLD, edited, exhaustive=True)
    assert groups(everything) == groups(found)
    assert [g.examples for g in everything.space.groups] == [g.examples for g in found.space.groups]
    assert found.space.consulted <= everything.space.consulted == found.space.situations


def test_the_reverse_edit_gives_the_opposite_classes(tmp_path):
    edited = variant(tmp_path, "e", VARIANTS["error-appeared"][0])
    classes = compare(edited, OLD).space.by_class()
    assert classes["error-disappeared"] > 0 and classes["error-appeared"] == 0
    assert compare(NEW, OLD).space.by_class()["nothing-applies-appeared"] == 8


def test_a_conflict_at_run_time_is_an_error_that_appears(tmp_path):
    conflict = ("- id: suspicious_note\n", "- id: low_when_suspicious\n  description: Conflicts.\n  when:\n"
                "    seller_suspicious: true\n  then:\n    derive: {urgency: low}\n  source: test-article\n\n"
                "- id: suspicious_note\n")
    found = compare(OLD, variant(tmp_path, "c", {"rules/main.yaml": [conflict]}))
    stopped = [g for g in found.space.groups if g.new.stopped]
    assert stopped and "derive different values for fact 'urgency'" in stopped[0].label
    assert stopped[0].new.advice == ()
    assert found.space.by_class()["error-appeared"] == sum(g.count for g in stopped)


def test_examples_are_the_simplest_situations_first():
    group = compare(OLD, NEW).space.groups[0]
    assert [len(s) for s in group.examples] == sorted(len(s) for s in group.examples)
    assert group.examples[0].as_dict() == {"order_status": "shipped", "days_left": 6, "seller_suspicious": False}
    assert group.old.advice == ("nothing_applies",) and group.new.advice == ("contact_seller",)


def test_no_edit_changes_nothing_and_runs_no_situation():
    found = compare(OLD, OLD)
    assert not found.answers_change and found.cases == ()
    assert found.space.consulted == 0 and found.space.situations > 0
    assert found.changes.empty


def test_rewording_is_an_edit_but_no_answer_changes(tmp_path):
    found = compare(OLD, variant(tmp_path, "w", {"advice.yaml": [("title: Hurry", "title: Be quick")]}))
    assert found.changes.advice_reworded == ("deadline_near",)
    assert not found.answers_change and found.space.consulted == 0


def test_cases_and_situations_only_one_side_can_run(tmp_path):
    edits = {"facts.yaml": [("    delivered: Delivered.\n", "    delivered: Delivered.\n    lost: Lost.\n")],
             "rules/main.yaml": [("    order_status: closed\n", "    order_status: [closed, lost]\n")],
             "cases/main.yaml": [("- id: six_days\n", "- id: lost\n  story: Lost.\n  facts: {order_status: lost}\n"
                                  "- id: six_days\n")]}
    edited = variant(tmp_path, "v", edits)
    found = compare(OLD, edited)
    lost = [case for case in found.cases if case.case.id == "lost"]
    assert lost and "does not run on the old knowledge base" in lost[0].unloadable
    assert found.space.only_new > 0 and found.space.only_old == 0
    assert compare(edited, OLD).space.only_old == found.space.only_new


def test_classify_words():
    before = Answer(("a", "b"), "a", deadlines=(("a", 5),))
    assert classify(before, before) == ()
    moved = classify(before, Answer(("b", "a"), "b", deadlines=(("a", None),)))
    assert [c.kind for c in moved] == ["reordered", "first-action", "deadline"]
    assert moved[2].text == "deadline of a: 5 days → passed"
    changed = classify(Answer((), errors=("x",), stopped=True), Answer((), errors=("y",), stopped=True))
    assert [(c.kind, c.text) for c in changed] == [("error-changed", "error: x → y")]


# ------------------------------------------------------------------ the command
def test_text_format_and_exit_status_one():
    status, out, _ = run(["kb", "diff", str(OLD), str(NEW)])
    assert status == 1
    assert "rules changed: calm_contact" in out
    assert "six_days (" in out and "main.yaml:11): nothing_applies gone, +contact_seller" in out
    assert "8 situations: nothing_applies gone, +contact_seller, first action none → contact_seller" in out
    assert "e.g. order_status=shipped days_left=6 seller_suspicious=no" in out
    assert out.endswith("answers change\n")


def test_same_folder_twice_exits_zero():
    status, out, _ = run(["kb", "diff", str(OLD), str(OLD)])
    assert status == 0 and out.endswith("no answer changes\n")


def test_json_format():
    status, out, _ = run(["kb", "diff", str(OLD), str(NEW), "--format", "json"])
    data = json.loads(out)
    assert status == 1 and data["answers_change"] is True
    assert data["kb_changes"]["rules_changed"] == ["calm_contact"]
    assert data["cases"][0]["id"] == "six_days" and data["cases"][0]["location"].endswith("main.yaml:11")
    group = data["space"]["groups"][0]
    assert group["count"] == 8 and {"class": "advice-added", "text": "+contact_seller"} in group["changes"]
    assert data["space"]["by_class"]["nothing-applies-disappeared"] == 8


def test_markdown_format():
    status, out, _ = run(["kb", "diff", str(OLD), str(NEW), "--format", "markdown"])
    assert status == 1
    assert "| change | cases | situations |" in out
    assert "| advice-added | 1 | 8 |" in out
    assert "<details><summary>8 situations: nothing_applies gone, +contact_seller" in out
    assert out.count("<details>") == out.count("</details>") == 2


def test_cases_only_skips_the_space():
    status, out, _ = run(["kb", "diff", str(OLD), str(NEW), "--cases-only"])
    assert status == 1 and "review space: not compared (--cases-only)" in out


def test_a_side_that_does_not_load_is_bad_input(tmp_path):
    broken = variant(tmp_path, "b", {"rules/main.yaml": [("advise: [reorder]", "advise: [reordr]")]})
    status, _, err = run(["kb", "diff", str(OLD), str(broken)])
    assert status == 2
    assert "does not load" in err and "rules/main.yaml:" in err and "did you mean 'reorder'" in err


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    shutil.copytree(OLD, root / "kb")
    _git(root, "init", "-q")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "old kb")
    return root


def test_rev_mode_compares_the_committed_kb_with_the_working_one(repo, monkeypatch):
    status, out, _ = run(["kb", "diff", "HEAD", "--kb", "kb"], cwd=repo, monkeypatch=monkeypatch)
    assert status == 0 and "HEAD:kb → kb (working tree)" in out
    shutil.copy(NEW / "rules" / "main.yaml", repo / "kb" / "rules" / "main.yaml")
    status, out, _ = run(["kb", "diff", "HEAD", "--kb", "kb"], cwd=repo, monkeypatch=monkeypatch)
    assert status == 1 and "rules changed: calm_contact" in out and "six_days (kb/cases/main.yaml:11)" in out


def test_rev_mode_locates_the_errors_of_the_old_side(repo, monkeypatch):
    path = repo / "kb" / "rules" / "main.yaml"
    good = path.read_text()
    path.write_text(good.replace("advise: [reorder]", "advise: [reordr]"))
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "broken")
    path.write_text(good)
    status, _, err = run(["kb", "diff", "HEAD", "--kb", "kb"], cwd=repo, monkeypatch=monkeypatch)
    assert status == 2 and "HEAD:kb/rules/main.yaml:" in err


def test_unknown_revision(repo, monkeypatch):
    status, _, err = run(["kb", "diff", "no-such-rev", "--kb", "kb"], cwd=repo, monkeypatch=monkeypatch)
    assert status == 2 and "unknown revision 'no-such-rev'" in err


def test_not_in_a_git_repository(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copytree(OLD, tmp_path / "kb")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    status, _, err = run(["kb", "diff", "HEAD", "--kb", "kb"], cwd=tmp_path, monkeypatch=monkeypatch)
    assert status == 2 and "is not in a git repository" in err


def test_three_versions_is_a_usage_error():
    status, _, err = run(["kb", "diff", str(OLD), str(NEW), str(OLD)])
    assert status == 2 and "a git revision, or two knowledge-base folders" in err
