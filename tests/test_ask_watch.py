"""``orderdoctor ask --watch``: the rules reloaded while the prompt waits, what that changed in
the plan, answers that no longer fit named, and ``--resume`` of a session the kb moved under.

Every test edits a copy of the small fixture knowledge base (tests/fixtures/kb/minimal), never
the shipped one. Tests that wait for the prompt do so with generous timeouts, and end its input
whatever happens, so that none can hang.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from helpers import MINIMAL_KB, EditingInput
from orderdoctor.cli.ask import AskSession, PromptTerminal
from orderdoctor.cli.askterminal import PromptInterrupted
from orderdoctor.cli.askwatch import Watcher, kb_signature, misfit, set_aside_saved
from orderdoctor.cli.main import main
from orderdoctor.engine import UNKNOWN, load_knowledge_base
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.plain_text import PlainTextOutput

TODAY = datetime.date(2026, 11, 22)
WAIT = 30  # seconds: generous, for a loaded machine; a passing test waits well under one


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(MINIMAL_KB, root)
    return root


def edit(root: Path, replacements: dict[str, str], files=("rules/main.yaml",)) -> None:
    """Replace text in kb files, and move their mtime on (an edit within the same clock tick
    as the load would otherwise look unchanged)."""
    for name in files:
        path = root / name
        text = path.read_text()
        for old, new in replacements.items():
            text = text.replace(old, new)
        path.write_text(text)
        stamp = time.time() + 5
        os.utime(path, (stamp, stamp))



def ask_watch(kb_root: Path, lines, edits, tmp_path, *extra):
    out, err = io.StringIO(), io.StringIO()
    save = tmp_path / "s.json"
    status = main(["--kb", str(kb_root), "ask", "--watch", "--save", str(save), *extra],
                  stdout=out, stderr=err, stdin=EditingInput(lines, edits))
    assert status == 0, err.getvalue()
    return out.getvalue(), save


# ------------------------------------------------------------ the real prompt, waiting
def wait_for(buffer: io.StringIO, text: str, start: int = 0) -> int:
    """Where ``text`` appears in the output after ``start``; fails after :data:`WAIT` seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = buffer.getvalue().find(text, start)
        if found >= 0:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{text!r} never appeared; output:\n{buffer.getvalue()}")


def test_an_edit_while_the_prompt_waits_reloads_before_anything_is_typed(kb_copy, tmp_path):
    kb = load_knowledge_base(kb_copy)
    buffer = io.StringIO()
    with create_pipe_input() as pipe:
        session = AskSession(kb, PromptTerminal(kb, input=pipe, output=PlainTextOutput(buffer)), None,
                             tmp_path / "s.json", width=100, today=TODAY)
        session.watch = True
        finished: list[int] = []
        runner = threading.Thread(target=lambda: finished.append(session.run()), daemon=True)
        runner.start()
        try:
            wait_for(buffer, "What does the order list show?")
            pipe.send_text("shipped\r")  # one answer at a time: keys sent ahead of a prompt can be lost
            asked = wait_for(buffer, "How many days are left?")
            pipe.send_text("3\r")
            asked = wait_for(buffer, "Does the seller look unreliable?", asked)
            pipe.send_text("ye")  # typed, not sent: the prompt is waiting
            wait_for(buffer, "ye", asked)
            edit(kb_copy, {"advise: [deadline_near, open_dispute]": "advise: [deadline_near, contact_seller]"})
            reloaded = wait_for(buffer, "Knowledge base reloaded (5 rules)", asked)
            # the same question is asked again, with what had been typed kept
            wait_for(buffer, "Does the seller look unreliable?", reloaded)
            pipe.send_text("s\r")
            wait_for(buffer, "Here is what to do:", reloaded)
            pipe.send_text("quit\r")
        finally:
            pipe.close()  # whatever happened, the input ends: the session cannot wait forever
            runner.join(WAIT)
    assert finished == [0]
    out = flat(buffer.getvalue())
    assert dict(session.interview.answers) == {"order_status": "shipped", "days_left": 3, "seller_suspicious": True}
    assert session.kb is not kb and session.terminal.kb is session.kb  # completion reads the new rules too
    after = out[out.index("Knowledge base reloaded"):]
    assert "Open a dispute" not in after and "1. Write to the seller" in after  # the plan of the new rules
    assert "'orderdoctor ask --resume --save" in out  # the goodbye names the file it saved to


def test_a_prompt_interrupted_before_it_started_is_interrupted_when_it_starts(minimal_kb):
    with create_pipe_input() as pipe:
        terminal = PromptTerminal(minimal_kb, input=pipe, output=PlainTextOutput(io.StringIO()))
        terminal.interrupt()  # e.g. while the session was busy between two prompts
        with pytest.raises(PromptInterrupted) as caught:
            terminal.ask("> ", minimal_kb.facts["days_left"], "1")
        assert caught.value.typed == "1"  # what had been typed, to be typed again
        terminal.interrupt()
        terminal.forget_interrupt()  # the session looked for itself: no interrupt needed
        pipe.send_text("4\r")
        assert terminal.ask("> ", minimal_kb.facts["days_left"]) == "4"


def test_the_watcher_reports_a_change_once_it_has_settled(kb_copy):
    changed = threading.Event()
    loaded = kb_signature(kb_copy)
    watcher = Watcher(kb_copy, lambda: loaded, changed.set, interval=0.02)
    watcher.start()
    try:
        edit(kb_copy, {"priority: 10": "priority: 11"})
        assert changed.wait(WAIT)
    finally:
        watcher.stop()


# ------------------------------------------------------------ plain lines (pipes, scripts)
def test_the_first_command_after_an_edit_uses_the_new_rules_and_the_plan_diff_is_shown(kb_copy, tmp_path):
    def calmer():
        edit(kb_copy, {"days_left: {lte: 7}": "days_left: {lte: 2}"})

    out, _ = ask_watch(kb_copy, ["shipped", "3", "yes", "how", "quit"], {4: calmer}, tmp_path)
    before, after = out.split("Knowledge base reloaded (5 rules); your answers were worked out again.")
    assert "Open a dispute" in before
    text = flat(after)
    assert 'The plan loses: "Hurry"; "Open a dispute".' in text
    assert 'There is no first step any more (was "Open a dispute").' in text
    # `how`, typed before the reload was noticed, is answered with the new rules
    assert "problem_and_short_time" not in after and "urgent_dispute" not in after


def test_the_plan_diff_names_the_new_first_step_and_the_questions(kb_copy, tmp_path):
    def milder():
        edit(kb_copy, {"advise: [deadline_near, open_dispute]": "advise: [deadline_near, contact_seller]"})

    def other_question():
        edit(kb_copy, {"coupon_used: {in: [welcome, seller]}": "seller_suspicious: true"})

    out, _ = ask_watch(kb_copy, ["shipped", "3", "yes", "restart", "closed", "quit"], {4: milder, 6: other_question},
                       tmp_path)
    text = flat(out)
    assert 'The plan gains: "Write to the seller". The plan loses: "Open a dispute".' in text
    assert 'The first step is now "Write to the seller" (was "Open a dispute").' in text
    assert 'Now also asked: "Does the seller look unreliable?". No longer needed: "Which coupon did you use?".' in text


def test_a_broken_edit_keeps_the_previous_rules_and_says_where(kb_copy, tmp_path):
    def broken():
        edit(kb_copy, {"- problem: true": "- problem_x: true"})

    out, _ = ask_watch(kb_copy, ["shipped", "3", "yes", "quit"], {2: broken}, tmp_path)
    assert "The knowledge base changed but has errors; still using the previous rules:" in out
    assert "rules/main.yaml:17:9: error: unknown fact 'problem_x' (did you mean 'problem'?)" in flat(out)
    assert "Knowledge base reloaded" not in out and "Open a dispute" in out


def test_new_rules_that_fail_on_the_answers_given_are_refused_too(kb_copy, tmp_path):
    def conflicting():
        path = kb_copy / "rules" / "main.yaml"
        path.write_text(path.read_text() + "\n- id: also_low\n  description: Conflicts.\n  when: {problem: true}\n"
                        "  then: {derive: {urgency: low}}\n  source: test-article\n")
        edit(kb_copy, {})

    out, _ = ask_watch(kb_copy, ["shipped", "3", "yes", "how", "quit"], {4: conflicting}, tmp_path)
    assert "The knowledge base changed but has errors; still using the previous rules:" in out
    assert "urgency" in out.split("still using the previous rules:", 1)[1]
    assert "Knowledge base reloaded" not in out
    assert "urgent_dispute" in out.split("still using the previous rules:", 1)[1]  # `how` of the previous rules


def test_an_answer_to_a_renamed_fact_is_named_and_set_aside(kb_copy, tmp_path):
    def rename():
        edit(kb_copy, {"days_left": "days_remaining"}, files=("facts.yaml", "rules/main.yaml", "cases/main.yaml"))

    out, save = ask_watch(kb_copy, ["shipped", "3", "yes", "4", "quit"], {3: rename}, tmp_path)
    text = flat(out)
    assert ("Your answer to 'days_left' (3) no longer fits the knowledge base (no such fact); it was set aside."
            in text)
    assert 'Now also asked: "How many days are left?".' in text
    answers = {a["fact"]: a.get("value") for a in json.loads(save.read_text())["answers"]}
    # "yes" still answered the question it was typed at; the renamed fact was asked again
    assert answers == {"order_status": "shipped", "seller_suspicious": True, "days_remaining": 4}


def test_a_line_typed_at_a_question_the_new_rules_no_longer_ask_is_set_aside(kb_copy, tmp_path):
    def rename():
        edit(kb_copy, {"days_left": "days_remaining"}, files=("facts.yaml", "rules/main.yaml", "cases/main.yaml"))

    out, save = ask_watch(kb_copy, ["shipped", "3", "5", "no", "quit"], {2: rename}, tmp_path)
    assert "'3' answered a question the new rules no longer ask; it was set aside." in flat(out)
    answers = {a["fact"]: a.get("value") for a in json.loads(save.read_text())["answers"]}
    assert answers == {"order_status": "shipped", "days_remaining": 5, "seller_suspicious": False}


def test_why_an_answer_no_longer_fits(minimal_kb):
    assert misfit(minimal_kb, "days_since_shipped", 8) == "no such fact"
    assert misfit(minimal_kb, "problem", True) == "no longer asked: the rules work it out"
    assert misfit(minimal_kb, "order_status", "cancelled") == "'cancelled' is no longer one of its answers"
    assert misfit(minimal_kb, "days_left", 500) == f"it now takes {minimal_kb.facts['days_left'].describe_domain()}"
    assert misfit(minimal_kb, "days_left", "soon") == f"it now takes {minimal_kb.facts['days_left'].describe_domain()}"
    assert misfit(minimal_kb, "days_left", UNKNOWN) is None
    assert misfit(minimal_kb, "seller_suspicious", False) is None


# ------------------------------------------------------------------------- --resume
def session_file(path: Path, answers) -> Path:
    items = [{"fact": f, "unknown": True} if v is UNKNOWN else {"fact": f, "value": v} for f, v in answers]
    path.write_text(json.dumps({"format": "orderdoctor-session", "version": 1, "answers": items, "finished": False}))
    return path


def test_resume_sets_aside_answers_the_kb_no_longer_takes_with_a_warning_each(tmp_path):
    save = session_file(tmp_path / "s.json", [("order_status", "shipped"), ("days_since_shipped", 8),
                                              ("days_left", 500), ("seller_suspicious", UNKNOWN)])
    saved = save.read_text()
    seen_when_asked: list[str] = []

    class Input(io.StringIO):
        def readline(self, *args):
            seen_when_asked.append(save.read_text())
            return super().readline(*args)

    out, err = io.StringIO(), io.StringIO()
    status = main(["--kb", str(MINIMAL_KB), "ask", "--resume", "--save", str(save)],
                  stdout=out, stderr=err, stdin=Input("3\n"))
    assert status == 0
    domain = load_knowledge_base(MINIMAL_KB).facts["days_left"].describe_domain()
    assert err.getvalue().splitlines() == [
        f"{save}: answer 2: warning: your answer to 'days_since_shipped' (8) no longer fits the knowledge base "
        "(no such fact); it was set aside.",
        f"{save}: answer 3: warning: your answer to 'days_left' (500) no longer fits the knowledge base "
        f"(it now takes {domain}); it was set aside.",
    ]
    assert "Continuing with your answers so far: order_status=shipped, seller_suspicious=unknown" in out.getvalue()
    assert seen_when_asked[0] == saved  # the file keeps them until the session saves again...
    facts = [a["fact"] for a in json.loads(save.read_text())["answers"]]
    assert facts == ["order_status", "seller_suspicious", "days_left"]  # ...which it then does without them


def test_replaying_answers_still_refuses_unknown_facts(tmp_path):
    answers = session_file(tmp_path / "a.json", [("order_status", "shipped"), ("days_since_shipped", 8)])
    out, err = io.StringIO(), io.StringIO()
    status = main(["--kb", str(MINIMAL_KB), "ask", "--answers", str(answers), "--save", str(tmp_path / "s.json")],
                  stdout=out, stderr=err, stdin=io.StringIO(""))
    assert status == 2
    assert err.getvalue().rstrip().endswith("a.json: answer 2: error: unknown or not askable fact 'days_since_shipped'")


def test_a_broken_session_file_is_still_refused_on_resume(tmp_path):
    save = tmp_path / "s.json"
    save.write_text(json.dumps({"format": "orderdoctor-session", "version": 1,
                                "answers": [{"fact": "nope", "value": 1, "unknown": True}]}))
    out, err = io.StringIO(), io.StringIO()
    status = main(["--kb", str(MINIMAL_KB), "ask", "--resume", "--save", str(save)],
                  stdout=out, stderr=err, stdin=io.StringIO(""))
    assert status == 2 and "either a 'value' or 'unknown': true, not both" in err.getvalue()


def test_set_aside_saved_leaves_ill_formed_answers_to_the_reader(minimal_kb):
    data = {"answers": [{"fact": "nope", "value": 1}, {"value": 1}, "x", {"fact": "days_left", "value": 3}]}
    kept, aside = set_aside_saved(minimal_kb, data)
    assert kept["answers"] == [{"value": 1}, "x", {"fact": "days_left", "value": 3}]
    assert [(number, item.name) for number, item in aside] == [(1, "nope")]
    assert set_aside_saved(minimal_kb, {"answers": [{"fact": "days_left", "value": 3}]})[1] == []


def test_continuing_an_unfinished_session_on_a_terminal_names_what_was_set_aside(tmp_path):
    kb = load_knowledge_base(MINIMAL_KB)
    save = session_file(tmp_path / "s.json", [("order_status", "shipped"), ("days_since_shipped", 8)])
    buffer = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("y\rquit\r")
        pipe.close()
        session = AskSession(kb, PromptTerminal(kb, input=pipe, output=PlainTextOutput(buffer)), None, save,
                             width=100, today=TODAY)
        assert session.run() == 0
    assert ("Your answer to 'days_since_shipped' (8) no longer fits the knowledge base (no such fact); "
            "it was set aside.") in flat(buffer.getvalue())
    assert dict(session.interview.answers) == {"order_status": "shipped"}


# ------------------------------------------------------------------ the documented example
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "maintaining.md"


def test_the_ask_watch_transcript_of_the_maintaining_guide_is_what_ask_prints(tmp_path):
    """docs/maintaining.md's `ask --watch` transcript, replayed on a copy of the shipped kb with
    the edit the guide describes, saved while the question it names waits (everything is read
    from the guide: no wording of the kb is written here)."""
    section = GUIDE.read_text().split("## `ask --watch`", 1)[1]
    transcript = re.search(r"```text\n\$ [^\n]*\n(.*?)```", section, re.S).group(1).splitlines()
    edited = re.search(r"`(kb/[\w/]+\.yaml)` gets", section).group(1)
    changes = dict(re.findall(r"`([^`]+)`\s+becomes\s+`([^`]+)`", section))
    waiting = int(re.search(r"saved while question (\d+) waits", section).group(1))
    answers = [m.group(1) for line in transcript if (m := re.match(r"> (.+)$", line))]
    root = tmp_path / "kb"
    shutil.copytree(GUIDE.parent.parent / "kb", root)
    kb = load_knowledge_base(root)
    buffer = io.StringIO()
    with create_pipe_input() as pipe:
        session = AskSession(kb, PromptTerminal(kb, input=pipe, output=PlainTextOutput(buffer)), None,
                             tmp_path / "s.json", width=88, today=TODAY)
        session.watch = True
        runner = threading.Thread(target=session.run, daemon=True)
        runner.start()
        try:
            asked = wait_for(buffer, "[1] ")
            for number, answer in enumerate(answers, 2):  # one at a time: keys sent ahead can be lost
                pipe.send_text(answer + "\r")
                asked = wait_for(buffer, f"[{number}] ", asked)
            edit(root, changes, files=(edited.removeprefix("kb/"),))
            reloaded = wait_for(buffer, "Knowledge base reloaded", asked)
            wait_for(buffer, f"[{waiting}] ", reloaded)
        finally:
            pipe.close()
            runner.join(WAIT)
    real, position = flat(buffer.getvalue()), 0
    for line in transcript:
        if line.strip() in ("", "…", ">") or line.startswith("> "):
            continue
        found = re.compile(re.escape(flat(line)).replace("…", ".*?")).search(real, position)
        assert found, f"{line!r} is not what ask printed (in this order); it printed:\n{buffer.getvalue()}"
        position = found.end()
