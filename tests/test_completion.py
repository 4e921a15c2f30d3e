"""``orderdoctor completion bash|zsh|fish``: each script parses in its shell and completes every
command and option (and fact names and values after --set)."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from orderdoctor.cli.completion import describe_parser, fact_values
from orderdoctor.cli.main import build_parser, main

SHELLS = ("bash", "zsh", "fish")


def script(shell: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(["completion", shell], stdout=out, stderr=err) == 0, err.getvalue()
    return out.getvalue()


def every_command_and_option():
    root = describe_parser(build_parser())
    for command in root.walk():
        yield command, [string for option in command.options for string in option.strings]


@pytest.mark.parametrize("shell", SHELLS)
def test_script_names_every_command_option_and_fact(shell, shipped_kb):
    text = script(shell)
    for command, options in every_command_and_option():
        if command.path:
            assert command.path[-1] in text, command.path
        for option in options:
            name = option if shell != "fish" else ("-l " + option[2:] if option.startswith("--") else "-s " + option[1:])
            assert name in text, (shell, command.path, option)
    for name, values in fact_values(shipped_kb).items():
        assert name in text
        for value in values:
            assert value in text


def test_every_command_and_kb_tool_is_described():
    root = describe_parser(build_parser())
    paths = {command.path for command in root.walk()}
    assert {("advise",), ("ask",), ("batch",), ("explain",), ("completion",), ("kb", "check"), ("kb", "docs")} <= paths
    assert all(command.help for command in root.walk() if command.path)


@pytest.mark.parametrize("shell", SHELLS)
def test_script_parses_in_its_shell(shell, tmp_path):
    path = tmp_path / f"orderdoctor.{shell}"
    path.write_text(script(shell), encoding="utf-8")
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (the structural test above still ran)")
    done = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


BASH_CASES = [
    (["orderdoctor", "ad"], ["advise"]),
    (["orderdoctor", "advise", "--js"], ["--json"]),
    (["orderdoctor", "kb", "ch"], ["check"]),
    (["orderdoctor", "kb", "check", "--format", ""], ["text", "json", "sarif", "github"]),
    (["orderdoctor", "explain", "--format", "m"], ["markdown", "mermaid"]),
    (["orderdoctor", "advise", "--set", "order_st"], ["order_status="]),
    (["orderdoctor", "advise", "--set", "order_status", "=", "sh"], ["shipped"]),  # '=' splits words
    (["orderdoctor", "completion", ""], ["bash", "zsh", "fish"]),
    (["orderdoctor", "--kb", "kb", "advise", "--js"], ["--json"]),  # an option's value 'kb' is not the command
    (["orderdoctor", "--kb", "kb", "ad"], ["advise"]),
]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(("words", "expected"), BASH_CASES)
def test_bash_script_completes(words, expected, tmp_path):
    path = tmp_path / "orderdoctor.bash"
    path.write_text(script("bash"), encoding="utf-8")
    quoted = " ".join(f"'{word}'" for word in words)
    driver = (
        f"source {path}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=(); "
        '_orderdoctor; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", driver], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == expected


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_completes(tmp_path):
    path = tmp_path / "orderdoctor.fish"
    path.write_text(script("fish"), encoding="utf-8")
    driver = f"source {path}; complete -C'orderdoctor advise --set order_status=sh'; complete -C'orderdoctor kb '"
    done = subprocess.run(["fish", "-c", driver], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    names = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert "order_status=shipped" in names and {"check", "test", "graph", "impact", "docs"} <= set(names)
