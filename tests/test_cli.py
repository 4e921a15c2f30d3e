"""The command line, called in-process as main(argv): exit codes, stdout and stderr."""

from __future__ import annotations

import io
import json

import pytest
import subprocess
import sys
from pathlib import Path

from helpers import MINIMAL_KB, make_broken_kb
from orderdoctor.cli.commands import _consulting as cli_main  # where advise calls consult
from orderdoctor.cli.main import main

EXAMPLE = ["--set", "order_status=shipped", "--set", "tracking_note=shipment_cancelled",
           "--set", "seller_response=no_reply", "--set", "days_left=3"]
MINIMAL = ["--kb", str(MINIMAL_KB)]
URGENT = ["--set", "order_status=shipped", "--set", "days_left=3", "--set", "seller_suspicious=yes"]


def run(argv, stdin: str = ""):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return status, out.getvalue(), err.getvalue()


def test_advise_prints_a_numbered_plan_with_warnings_first():
    status, out, err = run(["advise", *EXAMPLE])
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("WARNING: Buyer Protection ends soon (by ")
    numbered = [line for line in lines if line[:1].isdigit()]
    assert numbered[0].startswith("1. Open a dispute (by ")
    assert "18 days left) — " in numbered[0]  # 3 days of protection + 15
    assert out.index("WARNING:") < out.index("1. ")


def test_advise_json_is_the_contract():
    status, out, err = run(["advise", "--json", *EXAMPLE])
    assert status == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"advice", "facts", "trace", "replaced", "violations"}
    assert data["violations"] == []
    assert [a["id"] for a in data["advice"]][:2] == ["protection_ends_soon", "open_dispute"]
    assert data["facts"]["dispute_needed"] is True
    assert data["trace"][0]["step"] == 1


def test_explain_prints_every_fired_rule_with_origins():
    status, out, err = run(["explain", *MINIMAL, *URGENT])
    assert status == 0 and err == ""
    assert "Rules fired, in order (3):" in out
    assert " 1. shipped_with_problem  [" in out
    assert "rules/main.yaml:1; source: test-article]" in out
    assert "order_status=shipped (given)" in out
    assert "problem=true (derived in step 1 by shipped_with_problem)" in out
    assert "derived: urgency=high" in out
    assert "advised: deadline_near (warning), open_dispute (action)" in out
    trace = out[out.index("Rules fired, in order"):]
    assert trace.index("shipped_with_problem") < trace.index("problem_and_short_time") < trace.index("urgent_dispute")
    how = out[out.index("How the advice was reached:"):out.index("Rules fired")]
    assert "- problem = true: concluded in step 1," in how
    assert "- seller_suspicious = true: you said so" in how


def test_explain_json_is_a_superset_of_advise_json():
    explained = json.loads(run(["explain", "--json", *MINIMAL, *URGENT])[1])
    advised = json.loads(run(["advise", "--json", *MINIMAL, *URGENT])[1])
    assert {k: explained[k] for k in advised} == advised
    assert [h["advice"] for h in explained["how"]] == ["deadline_near", "open_dispute"]
    assert explained == json.loads(run(["explain", "--format", "json", *MINIMAL, *URGENT])[1])


def test_nothing_applies_is_exit_0_with_a_note():
    status, out, err = run(["advise", "--set", "coupon_used=none"])  # no order status: no rule applies
    assert status == 0 and err == ""
    assert out.startswith("Note: No advice for this situation yet")


def test_kb_option_before_the_command():
    status, out, _ = run([*MINIMAL, "advise", *URGENT])
    assert status == 0 and "Hurry" in out


def test_facts_file_yaml_json_and_stdin(tmp_path):
    yaml_file = tmp_path / "facts.yaml"
    yaml_file.write_text("order_status: shipped\ndays_left: 3\nseller_suspicious: true\n")
    json_file = tmp_path / "facts.json"
    json_file.write_text('{"order_status": "shipped", "days_left": 3, "seller_suspicious": true}')
    expected = run(["advise", "--json", *MINIMAL, *URGENT])[1]
    assert run(["advise", "--json", *MINIMAL, "--facts", str(yaml_file)])[1] == expected
    assert run(["advise", "--json", *MINIMAL, "--facts", str(json_file)])[1] == expected
    assert run(["advise", "--json", *MINIMAL, "--facts", "-"], stdin=json_file.read_text())[1] == expected


def test_set_wins_over_facts_file(tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text("order_status: closed\ndays_left: 3\nseller_suspicious: true\n")
    status, out, _ = run(["advise", "--json", *MINIMAL, "--facts", str(facts), "--set", "order_status=shipped"])
    assert status == 0
    assert json.loads(out)["facts"]["order_status"] == "shipped"


def test_bad_facts_exit_2_one_line_each_no_traceback():
    status, out, err = run(["advise", "--set", "order_stat=shipped", "--set", "days_left=x", "--set", "oops"])
    assert status == 2 and out == ""
    assert err.splitlines() == [
        "--set oops: error: expected NAME=VALUE, e.g. --set order_status=shipped",
    ]
    status, out, err = run(["advise", "--set", "order_stat=shipped", "--set", "days_left=x"])
    assert status == 2 and out == ""
    assert err.splitlines() == [
        "--set order_stat=shipped: error: unknown fact 'order_stat' (did you mean 'order_status'?)",
        "--set days_left=x: error: fact 'days_left' is a whole number, not 'x'",
    ]
    assert "Traceback" not in err


def test_bad_value_in_a_facts_file_names_its_line(tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text("order_status: shipped\ndays_left: lots\n")
    status, out, err = run(["advise", "--facts", str(facts)])
    assert status == 2 and out == ""
    assert err.strip().endswith("facts.yaml:2:1: error: fact 'days_left' is a whole number, not 'lots'")


def test_missing_facts_file_is_exit_2(tmp_path):
    status, out, err = run(["advise", "--facts", str(tmp_path / "nope.yaml")])
    assert status == 2 and out == ""
    assert err == f"orderdoctor: error: --facts {tmp_path / 'nope.yaml'}: no such file\n"


def test_broken_kb_exit_2_all_errors_file_line_col(tmp_path):
    kb = make_broken_kb("many_errors", tmp_path)
    status, out, err = run(["advise", "--kb", str(kb), "--set", "order_status=shipped"])
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 4
    assert lines[0].endswith("rules/main.yaml:4:5: error: unknown fact 'coupon_usd' (did you mean 'coupon_used'?)")
    assert "rules/main.yaml:6:14: error: unknown advice id 'open_dispte'" in lines[1]
    assert "rules/main.yaml:12:19: error: value 'shiped' is not allowed" in lines[2]
    assert lines[3] == "orderdoctor: the knowledge base has 3 error(s); nothing was advised"
    assert "Traceback" not in err


def test_traceback_only_with_the_flag(tmp_path):
    kb = make_broken_kb("unknown_fact", tmp_path)
    _, _, quiet = run(["advise", "--kb", str(kb)])
    _, _, loud = run(["advise", "--kb", str(kb), "--traceback"])
    assert "Traceback" not in quiet and "Traceback" in loud


def test_internal_error_is_exit_70(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something broke")

    monkeypatch.setattr(cli_main, "consult", broken)
    status, out, err = run(["advise", *EXAMPLE])
    assert status == 70 and out == ""
    assert err.splitlines() == [
        "orderdoctor: internal error: RuntimeError: something broke",
        "orderdoctor: run again with --traceback for details, and please report it",
    ]
    status, _, err = run(["advise", "--traceback", *EXAMPLE])
    assert status == 70 and "Traceback (most recent call last)" in err


def test_usage_errors_exit_2(capsys):
    assert main(["--kb", "kb"]) == 2
    assert "required: COMMAND" in capsys.readouterr().err
    assert main(["advise", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_help_and_version_exit_0(capsys):
    assert main(["--help"]) == 0
    assert "advise" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("orderdoctor ")


def test_python_dash_m_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "orderdoctor.cli", "advise", *EXAMPLE],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "1. Open a dispute" in done.stdout


def test_bad_input_from_a_real_process_is_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "orderdoctor.cli", "advise", "--set", "days_left=soon"],
        capture_output=True, text=True,
    )
    assert done.returncode == 2
    assert done.stderr == "--set days_left=soon: error: fact 'days_left' is a whole number, not 'soon'\n"


def _script() -> list[str]:
    script = Path(sys.executable).with_name("orderdoctor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "orderdoctor.cli"]


def test_the_quick_exit_of_the_console_script_loses_no_output(tmp_path):
    """`run()` skips the interpreter's teardown: everything written must still arrive, whole,
    through a pipe and into files, with the right exit status."""
    done = subprocess.run([*_script(), "kb", "graph"], capture_output=True, text=True)
    in_process = io.StringIO()
    assert main(["kb", "graph"], stdout=in_process) == 0
    assert done.returncode == 0, done.stderr
    assert done.stdout == in_process.getvalue() and len(done.stdout) > 20_000
    records = tmp_path / "in.jsonl"
    records.write_text("".join(json.dumps({"id": str(i), "order_status": "shipped"}) + "\n" for i in range(300)))
    out = tmp_path / "out.jsonl"
    done = subprocess.run([*_script(), "batch", str(records), "--output", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 300
    done = subprocess.run([*_script(), "advise", "--set", "days_left=soon"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    records = tmp_path / "in.jsonl"
    records.write_text("".join(json.dumps({"id": str(i), "order_status": "shipped"}) + "\n" for i in range(3000)))
    command = " ".join(f"'{word}'" for word in [*_script(), "batch", str(records)])
    done = subprocess.run(f"{command} | head -1", shell=True, capture_output=True, text=True)  # > a pipe's 64 KiB
    assert done.returncode == 0
    assert done.stdout.startswith('{"id": "0"') and done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_control_characters_from_input_are_escaped_on_output():
    status, out, err = run(["advise", "--set", "order_status=\x1b[2Jshipped"])
    assert status == 2 and "\x1b" not in err
    assert err.startswith("--set order_status=\\x1b[2Jshipped: error: value '\\x1b[2Jshipped' is not allowed")


def test_the_parser_built_for_one_command_parses_it_as_the_full_one():
    from orderdoctor.cli.main import COMMANDS, build_parser

    samples = [
        ["advise", *EXAMPLE, "--json"],
        ["--kb", "x", "explain", "--format", "markdown", "--set", "days_left=3", "--traceback"],
        ["ask", "--save", "s.json", "--resume", "--watch"],
        ["batch", "in.csv", "--jobs", "2", "--output", "o.jsonl", "--trace"],
        ["kb", "test", "--min-coverage", "100"],
        ["kb", "graph", "--around", "open_dispute", "--depth", "1"],
        ["completion", "fish", "--kb", "kb"],
    ]
    for argv in samples:
        named = [word for word in argv if word in COMMANDS]
        assert vars(build_parser(named).parse_args(argv)) == vars(build_parser().parse_args(argv)), argv
    assert main(["--help"]) == 0  # every command listed even so


# ------------------------------------------------------- command-line conventions
def test_no_arguments_prints_the_help_and_exits_0(capsys):
    status, out, err = run([])
    assert status == 0 and err == ""
    assert out.startswith("usage: orderdoctor") and "advise" in out and "completion" in out


def test_short_version_option(capsys):
    assert main(["-V"]) == 0
    assert capsys.readouterr().out.startswith("orderdoctor ")


def test_mistyped_command_gets_a_did_you_mean(capsys):
    assert main(["advice", *EXAMPLE]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'advice' (did you mean 'advise'?)" in err


def test_mistyped_option_gets_a_did_you_mean_and_the_subcommands_usage(capsys):
    assert main(["advise", "--jsn", *EXAMPLE]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: orderdoctor advise ")
    assert "orderdoctor advise: error: unrecognized arguments: --jsn (did you mean '--json'?)" in err


def test_mistyped_kb_tool_and_its_option(capsys):
    assert main(["kb", "chek"]) == 2
    assert "invalid choice: 'chek' (did you mean 'check'?)" in capsys.readouterr().err
    assert main(["kb", "check", "--formt", "json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: orderdoctor kb check ")
    assert "unrecognized arguments: --formt json (did you mean '--format'?)" in err


def test_mistyped_choice_gets_a_did_you_mean(capsys):
    assert main(["explain", "--format", "mermiad", *EXAMPLE]) == 2
    assert "invalid choice: 'mermiad' (did you mean 'mermaid'?)" in capsys.readouterr().err


def test_ask_help_names_the_real_default_session_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["ask", "--help"]) == 0
    out = capsys.readouterr().out
    assert "(default: None)" not in out
    assert f"(default: {tmp_path / 'orderdoctor' / 'session.json'})" in out


def test_kb_tools_have_descriptions_and_format_help(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    for tool in ("check", "test", "graph", "impact", "docs"):
        assert main(["kb", tool, "--help"]) == 0
        out = capsys.readouterr().out
        description = out.split("\n\n")[1]
        assert not description.startswith(("positional arguments", "options")), tool
    for tool, text in (("check", "one line per finding"), ("graph", "markdown (Mermaid in a Markdown file)")):
        assert main(["kb", tool, "--help"]) == 0
        assert text in capsys.readouterr().out


def test_ctrl_c_while_the_command_starts_is_quiet_exit_130(tmp_path):
    """A Ctrl-C at any moment of start-up (imports, parsing, loading) is a quiet 130 — never a
    traceback. Signals are sent after a spread of delays; a run that finished first is exit 0."""
    import os
    import signal
    import time

    env = {**os.environ, "ORDERDOCTOR_CACHE_DIR": str(tmp_path / "cache")}
    seen = set()
    for delay in (0.0, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3):
        process = subprocess.Popen([*_script(), "advise", *EXAMPLE], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        code = Path(__file__).resolve().parent.parent
        if "Traceback" in err and f'"{code / "cli"}' not in err and f'"{code / "engine"}' not in err:
            continue  # Python's own start-up or pip's script wrapper, before any orderdoctor code runs
        if "init_import_site" in err:
            continue
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        # -SIGINT: the signal came before Python set up its handler; the shell shows that as 130 too
        assert process.returncode in (0, 130, -signal.SIGINT), (delay, process.returncode, err)
        seen.add(process.returncode)
    assert seen & {130, -signal.SIGINT}  # at least one signal arrived while the command was still running


def test_help_never_breaks_a_path_at_a_hyphen(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["completion", "--help"]) == 0
    assert "~/.local/share/bash-completion/completions/orderdoctor" in capsys.readouterr().out


def test_conflicting_or_impossible_options_are_usage_errors(capsys):
    status, _, err = run(["advise", "--set", "days_left=3", "--set", "days_left=4"])
    assert status == 2 and err == ("--set days_left=4: error: fact 'days_left' is already given "
                                   "(--set days_left=3): give it once\n")
    assert run(["advise", "--set", "days_left=3", "--set", "days_left=3"])[0] == 0  # the same twice is fine
    status, _, err = run(["explain", "--json", "--format", "markdown", "--set", "days_left=3"])
    assert status == 2 and "--json and --format markdown ask for two formats" in err
    capsys.readouterr()
    assert run(["kb", "graph", "--around", "open_dispute", "--depth", "-1"])[0] == 2  # argparse: sys.stderr
    assert "argument --depth: -1 steps: give 0 or more" in capsys.readouterr().err
    for bad in ("101", "-1", "nan"):
        assert run(["kb", "test", "--min-coverage", bad])[0] == 2
        assert "argument --min-coverage" in capsys.readouterr().err


# ------------------------------------------------------------------ --today
TODAY_FACTS = ["--set", "order_status=shipped", "--set", "tracking_note=shipment_cancelled",
               "--set", "seller_response=no_reply", "--set", "days_left=3"]


def test_today_makes_deadline_dates_reproducible():
    first = run(["advise", "--today", "2026-11-23", *TODAY_FACTS])
    second = run(["advise", "--today", "2026-11-23", *TODAY_FACTS])
    assert first == second and first[0] == 0
    assert "1. Open a dispute (by Fri 11 Dec, 18 days left)" in first[1]
    later = run(["advise", "--today", "2027-02-27", *TODAY_FACTS])[1]
    assert "(by Wed 17 Mar, 18 days left)" in later  # counted from the date given, over a month end
    markdown = run(["explain", "--format", "markdown", "--today", "2026-11-23", *TODAY_FACTS])[1]
    assert "1. **Action: Open a dispute (by Fri 11 Dec, 18 days left)**" in markdown


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026-1-5", "20261123", "tomorrow", "", "2026-11-23T10:00"])
@pytest.mark.parametrize("command", ["advise", "explain", "batch", "ask"])
def test_a_bad_today_is_one_usage_line(command, value):
    facts = TODAY_FACTS if command in ("advise", "explain") else []
    status, out, err = run([command, f"--today={value}", *facts], stdin="")
    assert status == 2 and out == ""
    assert err == f"orderdoctor: error: --today {value!r}: not a date; give it as YYYY-MM-DD, e.g. 2026-11-23\n"
