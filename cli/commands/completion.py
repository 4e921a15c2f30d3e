"""``orderdoctor completion bash|zsh|fish``: a shell completion script, generated from the parser
of every command (:mod:`orderdoctor.cli.completion` writes it)."""

from __future__ import annotations

import argparse

from orderdoctor.engine import ExitStatus

from . import Environment, load_kb

__all__ = ["DESCRIPTION", "SHELLS", "add_arguments", "run"]

#: The shells ``orderdoctor completion`` writes scripts for.
SHELLS = ("bash", "zsh", "fish")

DESCRIPTION = (
    "Print a script that completes orderdoctor's commands, options and choices, and fact "
    "names and values after --set (from the knowledge base, see --kb), in bash, zsh or fish. "
    "Install it as README.md says, e.g. "
    "for bash: orderdoctor completion bash > ~/.local/share/bash-completion/completions/orderdoctor"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete for")


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from ..completion import completion_script
    from ..main import build_parser

    kb = load_kb(args)
    env.stdout.write(completion_script(args.shell, build_parser(), kb))
    return ExitStatus.OK
