"""The command line is a registry of command modules (cli/main.py ``COMMANDS``, cli/commands/kb
``TOOLS``): each module has the same small interface, and a command imports only its own module
(lazy start-up by structure, not by guards)."""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys

import pytest

from orderdoctor.cli.commands import Environment, load_module
from orderdoctor.cli.commands.kb import TOOLS
from orderdoctor.cli.main import COMMANDS, build_parser
from orderdoctor.engine import ExitStatus, OrderdoctorError, UsageError


@pytest.mark.parametrize("registry", [COMMANDS, TOOLS], ids=["commands", "kb tools"])
def test_every_registered_module_has_the_command_interface(registry):
    for name, (module_name, summary) in registry.items():
        module = load_module(module_name)
        assert summary and "\n" not in summary, name
        assert isinstance(module.DESCRIPTION, str) and module.DESCRIPTION, name
        assert list(inspect.signature(module.add_arguments).parameters) == ["parser"], name
        parameters = list(inspect.signature(module.run).parameters)
        assert parameters[:2] == ["args", "env"], name


def test_the_command_list_is_the_registry_in_order():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(commands.choices) == list(COMMANDS)
    kb = commands.choices["kb"]
    tools = next(a for a in kb._actions if isinstance(a, argparse._SubParsersAction))
    assert list(tools.choices) == list(TOOLS)


def test_the_environment_is_frozen():
    env = Environment(sys.stdin, sys.stdout, sys.stderr)
    with pytest.raises(AttributeError):
        env.stdout = sys.stderr  # type: ignore[misc]


def test_one_usage_error_with_its_exit_status():
    assert issubclass(UsageError, OrderdoctorError)
    assert UsageError("x").exit_status is ExitStatus.BAD_INPUT
    from orderdoctor.cli.batch import BatchInputError

    assert issubclass(BatchInputError, UsageError)


_PROBE = """
import io, json, sys
from orderdoctor.cli.main import main
main(sys.argv[1:], stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO())
print(json.dumps(sorted(m for m in sys.modules if m.startswith("orderdoctor.cli"))))
"""


def _cli_modules(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_a_command_imports_its_own_module_only():
    loaded = _cli_modules("advise", "--set", "order_status=shipped")
    commands = {m for m in loaded if m.startswith("orderdoctor.cli.commands.")}
    assert commands == {"orderdoctor.cli.commands.advise", "orderdoctor.cli.commands._consulting"}
    heavy = {"orderdoctor.cli.ask", "orderdoctor.cli.batch", "orderdoctor.cli.review", "orderdoctor.cli.completion"}
    assert not heavy & loaded
