"""``orderdoctor ask``: plain mode through main(argv), the real prompt through a pipe input."""

from __future__ import annotations

import datetime
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from orderdoctor.cli.ask import AskSession, PromptTerminal, parse_input, write_session
from orderdoctor.cli.main import main
from orderdoctor.engine import consult, load_knowledge_base
from orderdoctor.engine.interview import Interview
from orderdoctor.engine.planner import UNKNOWN, plan
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.plain_text import PlainTextOutput

KB = load_knowledge_base()
SESSIONS = Path(__file__).parent / "sessions"
TODAY = datetime.date(2026, 11, 22)  # a Sunday; prompt tests run "on" this day
TODAY_REAL = datetime.date.today()  # what main(argv) runs on

FAMILIES = {
    "shipment_problem": {"order_status": "shipped", "tracking_note": "shipment_cancelled",
                         "seller_response": "no_reply", "days_left": 3},
    "closed_order": {"order_status": "closed", "closure_reason": "security_check", "coupon_used": "welcome"},
    "cancellation": {"order_status": "awaiting_shipment", "seller_response": "asks_buyer_to_cancel",
                     "buyer_goal": "get_item", "coupon_used": "platform"},
    "refund": {"order_status": "closed", "closure_reason": "seller_cancelled", "working_days_since_cancel": 25,
               "refund_status": "in_progress", "support_confirms_refund_sent": True},
    "dispute": {"order_status": "shipped", "tracking_note": "shipment_cancelled", "dispute_status": "open",
                "seller_response": "offers_bonus_to_close_dispute", "days_left": 10},
}


def flat(text: str) -> str:
    """``text`` with every run of white space (line breaks of the wrapping too) as one space."""
    return " ".join(text.split())


def typed(value) -> str:
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def answers_for(truth) -> list[str]:
    """The lines a buyer with these facts types, in the order the planner asks."""
    answers, lines = {}, []
    while (question := plan(KB, answers).next) is not None:
        value = truth.get(question.fact.name, UNKNOWN)
        answers[question.fact.name] = value
        lines.append(typed(value))
    return lines


def ask(argv, stdin: str, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    save = tmp_path / "session.json"
    status = main(["ask", "--save", str(save), *argv], stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return status, out.getvalue(), err.getvalue(), save


# ------------------------------------------------------------------ plain mode
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_full_consultation_per_situation_family(family, tmp_path):
    truth = FAMILIES[family]
    lines = answers_for(truth)
    status, out, err, save = ask([], "\n".join(lines) + "\n", tmp_path)
    assert status == 0 and err == ""
    assert out.startswith("orderdoctor: a few questions")
    assert "Here is what to do:" in out
    expected = consult(KB, truth)
    for entry in expected.advice:
        assert entry.advice.title in out
    assert out.count("[1] What status does your order list show") == 1
    data = json.loads(save.read_text())
    assert data["finished"] is True
    assert data["advice"] == list(expected.advice_ids)
    assert len(lines) < 8


def test_questions_show_choices_and_answers_accept_numbers(tmp_path):
    status, out, _, _ = ask([], "5\nunpaid\n", tmp_path)  # 5 = closed
    assert "   5 closed             The order is closed or cancelled." in out
    assert "Pay the order, or simply let it lapse" in out


def test_invalid_number_is_explained_then_corrected(tmp_path):
    lines = ["shipped", "no_reply", "shipment_cancelled", "999", "-3", "none", "no"]
    status, out, _, save = ask([], "\n".join(lines) + "\n", tmp_path)
    assert "999 is out of range: type a whole number >= -365 and <= 365 (or 'unknown')" in out
    assert "Open a dispute" in out
    assert {"fact": "days_left", "value": -3, "date": TODAY_REAL.isoformat()} in json.loads(save.read_text())["answers"]


def test_why_back_change_help_and_how(tmp_path):
    script = [
        "shipped",
        "why",            # why is the seller question asked?
        "not_contacted",
        "back",           # undo it
        "?",              # help on the same question again
        "no_reply",
        "shipment_cancelled",
        "3",
        "none",
        "no",
        "how",
        "change days_left",
        "30",
        "quit",
    ]
    status, out, err, save = ask([], "\n".join(script) + "\n", tmp_path)
    assert status == 0 and err == ""
    assert "The rules that matter most:" in out
    assert "Took back your answer seller_response = not_contacted." in out
    assert "You wrote and the seller has not answered." in out  # help lists the choices
    assert "How the advice was reached:" in out and "you said so" in out
    first, second = out.split("change days_left", 1)
    assert "Act today" in first and "Act today" not in second  # recomputed: 30 days left now
    assert "Open a dispute" in second
    answers = {a["fact"]: a.get("value") for a in json.loads(save.read_text())["answers"]}
    assert answers["days_left"] == 30


def test_unknown_and_empty_answers_go_on(tmp_path):
    status, out, _, save = ask([], "shipped\nunknown\n\n\n\n\n\n\n", tmp_path)
    assert status == 0
    assert "You did not know:" in out
    assert all(a.get("unknown") for a in json.loads(save.read_text())["answers"][1:])


def test_input_ending_early_gives_the_plan_so_far_and_resume_continues(tmp_path):
    status, out, _, save = ask([], "shipped\nno_reply\n", tmp_path)
    assert status == 0
    assert "The answers ended before all questions were asked" in out
    saved = json.loads(save.read_text())
    assert saved["finished"] is False and len(saved["answers"]) == 2
    status, out, _, _ = ask(["--resume"], "shipment_cancelled\n3\nnone\nno\n", tmp_path)
    assert status == 0
    assert "Continuing with your answers so far: order_status=shipped, seller_response=no_reply" in out
    assert "Act today" in out and "Open a dispute" in out
    assert json.loads(save.read_text())["finished"] is True


def test_resume_without_a_session_is_exit_2(tmp_path):
    status, out, err, save = ask(["--resume"], "", tmp_path)
    assert status == 2 and out == ""
    assert err == f"orderdoctor: error: --resume: {save}: no such session file (start one with 'orderdoctor ask')\n"


def test_broken_session_file_is_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "orderdoctor-session", "version": 1,
                               "answers": [{"fact": "order_stat", "value": "shipped"},
                                           {"fact": "days_left", "value": "soon"}]}))
    status, out, err, _ = ask(["--answers", str(bad)], "", tmp_path)
    assert status == 2 and out == ""
    first, second = err.splitlines()
    assert first.endswith("bad.json: answer 1: error: unknown or not askable fact 'order_stat'")
    assert second.endswith("bad.json: answer 2: error: fact 'days_left' is a whole number, not 'soon'")


@pytest.mark.parametrize("recorded", sorted(SESSIONS.glob("*.json")), ids=lambda p: p.stem)
def test_recorded_sessions_replay_to_the_same_advice(recorded, tmp_path):
    """Regression format: tests/sessions/*.json are saved sessions; replaying one gives its advice."""
    data = json.loads(recorded.read_text())
    status, out, err, save = ask(["--answers", str(recorded)], "", tmp_path)
    assert status == 0 and err == ""
    assert json.loads(save.read_text())["advice"] == data["advice"]


def test_session_files_are_written_atomically(tmp_path, monkeypatch):
    target = tmp_path / "s.json"
    write_session(target, {"a": 1})

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_session(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 1}  # the old file survives whole
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary left behind


def test_parse_input():
    fact = KB.facts["order_status"]
    assert parse_input("Shipped", fact, KB).answer == "shipped"
    assert parse_input("4", fact, KB).answer == "shipped"
    assert parse_input("ship", fact, KB).answer == "shipped"  # unique prefix
    assert parse_input("", fact, KB).answer is UNKNOWN
    assert parse_input("change days_lft", fact, KB).error == "no question 'days_lft' (did you mean 'days_left'?)"
    assert parse_input("change days_left", fact, KB).command == "change"
    assert parse_input("hello", None, KB).error == (
        "type how, why not ADVICE, what if FACT=VALUE, change FACT, back, restart or quit"
    )
    assert "did you mean 'shipped'" in parse_input("shiped", fact, KB).error


# ------------------------------------------------------------ the real prompt
def run_prompt(keys: str, tmp_path, interview=None, *, width=90, today=TODAY, save=None, resuming=False):
    buffer = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # the end of the keys is the end of input: no test can hang waiting
        terminal = PromptTerminal(KB, input=pipe, output=PlainTextOutput(buffer))
        path = save or tmp_path / "session.json"
        session = AskSession(KB, terminal, interview, path, width=width, today=today, resuming=resuming)
        status = session.run()
    return status, buffer.getvalue(), session


def test_prompt_full_consultation_with_tab_completion(tmp_path):
    keys = "ship\t\rno_r\t\rshipment_c\t\r3\rnone\rno\rquit\r"
    status, out, session = run_prompt(keys, tmp_path)
    assert status == 0
    assert dict(session.interview.answers)["order_status"] == "shipped"
    assert dict(session.interview.answers)["seller_response"] == "no_reply"
    assert "Here is what to do:" in out and "Open a dispute" in out


def test_prompt_invalid_number_is_refused_in_place(tmp_path):
    keys = "shipped\rno_reply\rshipment_cancelled\r999\r" + "\x7f" * 3 + "3\rnone\rno\rquit\r"
    status, out, session = run_prompt(keys, tmp_path)
    # The prompt refused 999 in place (the text stayed, was erased and retyped), so the
    # session never saw it: no error line was printed, and the answer is 3.
    assert "999" not in out
    assert dict(session.interview.answers)["days_left"] == 3


def test_validator_message_says_what_is_allowed():
    from orderdoctor.cli.ask import _Validator
    from prompt_toolkit.document import Document
    from prompt_toolkit.validation import ValidationError

    validator = _Validator(KB, KB.facts["days_left"])
    with pytest.raises(ValidationError) as caught:
        validator.validate(Document("999"))
    assert caught.value.message == "999 is out of range: type a whole number >= -365 and <= 365 (or 'unknown')"
    assert caught.value.cursor_position == 3
    validator.validate(Document("why"))  # commands pass
    validator.validate(Document("-3"))


def test_prompt_why_back_change(tmp_path):
    keys = "shipped\rwhy\rnot_contacted\rback\rno_reply\rshipment_cancelled\r3\rnone\rno\rchange days_left\r30\rquit\r"
    status, out, session = run_prompt(keys, tmp_path)
    assert "The rules that matter most:" in out
    assert "Took back your answer seller_response = not_contacted." in out
    assert dict(session.interview.answers)["days_left"] == 30


def test_ctrl_c_cancels_the_question_not_the_session(tmp_path):
    keys = "shi\x03shipped\rquit\r"
    status, out, session = run_prompt(keys, tmp_path)
    assert status == 0
    assert "Question cancelled. Press Ctrl-C again to quit" in out
    assert session.interview.answers == (("order_status", "shipped"),)


def test_second_ctrl_c_asks_to_quit(tmp_path):
    status, out, session = run_prompt("shipped\r\x03\x03y\r", tmp_path)
    assert status == 0
    assert "Quit? [y/N]" in out
    saved = json.loads((tmp_path / "session.json").read_text())
    assert saved["answers"] == [{"fact": "order_status", "value": "shipped", "date": "2026-11-22"}]


def test_ctrl_d_quits_cleanly_and_resume_continues(tmp_path):
    status, out, session = run_prompt("shipped\rno_reply\r\x04", tmp_path)
    assert status == 0
    assert "Your answers are saved in" in out and "--resume" in out
    data = json.loads((tmp_path / "session.json").read_text())
    resumed = Interview.from_data(KB, data, "session.json", TODAY)
    status, out, session = run_prompt("shipment_cancelled\r3\rnone\rno\rquit\r", tmp_path, resumed, resuming=True)
    assert "Continuing with your answers so far" in out
    assert "Open a dispute" in out


# ------------------------------------------------------------------ end to end
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (Debian package tmux)")
def test_installed_command_under_tmux(tmp_path):
    name = f"orderdoctor-test-{os.getpid()}"
    save = tmp_path / "session.json"
    command = f"{sys.executable} -m orderdoctor.cli ask --save {save}"
    env = {**os.environ, "NO_COLOR": "1"}
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "50", command], check=True, env=env)

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout

    def wait_for(text: str) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{screen()}")

    try:
        wait_for("What status does your order list show")
        for answer, next_text in [
            ("shipped", "Have you written to the seller"),
            ("no_reply", "What does the latest tracking event say"),
            ("shipment_cancelled", "How many days are left"),
            ("3", "Is there a dispute open"),
            ("none", "Does anything about the seller look suspicious"),
        ]:
            subprocess.run(["tmux", "send-keys", "-t", name, answer, "Enter"], check=True)
            wait_for(next_text)
        subprocess.run(["tmux", "send-keys", "-t", name, "no", "Enter"], check=True)
        shown = wait_for("Here is what to do:")
        assert "Open a dispute" in shown
        subprocess.run(["tmux", "send-keys", "-t", name, "quit", "Enter"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and json.loads(save.read_text()).get("finished") is not True:
            time.sleep(0.1)
        assert json.loads(save.read_text())["finished"] is True
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def test_why_not_and_what_if_inside_ask(tmp_path):
    lines = answers_for(FAMILIES["shipment_problem"]) + [
        "why not keep_dispute_open", "why not keep_disput", "what if days_left=-20", "what if days_left=soon", "quit",
    ]
    status, out, err, save = ask([], "\n".join(lines) + "\n", tmp_path)
    assert status == 0 and err == ""
    text = flat(out)
    assert 'Why not "Keep the dispute open, whatever the seller says"? It is not advised.' in text
    assert "no advice 'keep_disput' (did you mean 'keep_dispute_open'?)" in text
    assert 'The plan would gain: "The time to open a dispute has passed"; "Contact AliExpress customer support".' in text
    assert 'It would lose: "Act today, your time to open a dispute is running out"; "Open a dispute".' in text
    answer = text.split("> why not keep_dispute_open", 1)[1].split("> why not keep_disput")[0]
    assert "keep_dispute_open" not in answer and "dispute_window_closed" not in text  # titles, not ids
    assert "(Nothing was changed. To keep it, type: change days_left)" in out
    assert "fact 'days_left' is a whole number, not 'soon'" in out
    answers = {a["fact"]: a.get("value") for a in json.loads(save.read_text())["answers"]}
    assert answers["days_left"] == 3  # what-if changed nothing
