"""``orderdoctor completion bash|zsh|fish``: shell completion scripts generated from the parser.

This module owns the completion scripts. They are generated from argparse's own data (the parser's
actions and subparsers), so a new command or option is completed without touching this file, and
they complete fact names and their values after ``--set`` and ``--what-if`` from the knowledge base.

Why our own generator rather than a library:

* ``argcomplete`` runs the program on every Tab press (Python start-up, the parser and a
  knowledge-base load each time: 100 ms or more per Tab), and its hook needs the parser built
  eagerly, which the command line avoids on purpose (start-up time).
* ``shtab`` writes static scripts, but for bash, zsh and tcsh only (no fish), and cannot complete
  ``NAME=VALUE`` pairs from data the parser does not hold (fact names and values).
* The parser is small and plain (subcommands, options with or without a value, choices, files), so
  the generator is one walk over it plus a template per shell; the scripts are static (no Python
  at Tab time), and ``tests/test_completion.py`` checks that each one parses and lists every
  command and option.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass

from orderdoctor.engine import FactType, KnowledgeBase

__all__ = ["Command", "Option", "completion_script", "describe_parser", "fact_values"]

PROG = "orderdoctor"


@dataclass(frozen=True)
class Option:
    """One option: its spellings, help, and what its value is (``kind``).

    ``kind`` is ``flag`` (no value), ``choice`` (one of ``choices``), ``file``, ``dir``,
    ``fact`` (``NAME=VALUE`` of a fact) or ``value`` (anything; nothing to complete).
    """

    strings: tuple[str, ...]
    help: str
    kind: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """A command (the program itself has the empty path), its options, subcommands and what its
    positional argument takes (``none``, ``file`` or ``choice``)."""

    path: tuple[str, ...]
    help: str
    options: tuple[Option, ...]
    subcommands: tuple[Command, ...]
    positional: str = "none"
    positional_choices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return " ".join(self.path)

    def walk(self) -> list[Command]:
        """This command and every command below it, parents first."""
        found = [self]
        for sub in self.subcommands:
            found.extend(sub.walk())
        return found


def _help(action: argparse.Action) -> str:
    text = action.help if isinstance(action.help, str) and action.help != argparse.SUPPRESS else ""
    text = re.sub(r"%\(default\)s", str(action.default), text).replace("%%", "%")
    return " ".join(text.split())


def _value_kind(action: argparse.Action) -> str:
    if action.nargs == 0:
        return "flag"
    if action.choices:
        return "choice"
    metavar = str(action.metavar or "")
    if metavar == "NAME=VALUE":
        return "fact"
    if metavar == "DIR":
        return "dir"
    if metavar == "FILE":
        return "file"
    return "value"


def describe_parser(parser: argparse.ArgumentParser, path: tuple[str, ...] = (), help: str = "") -> Command:
    """The completion-relevant shape of ``parser`` (built with every command's options)."""
    options: list[Option] = []
    subcommands: list[Command] = []
    positional = "none"
    positional_choices: tuple[str, ...] = ()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {pseudo.dest: _help(pseudo) for pseudo in action._choices_actions}
            for name, sub in action.choices.items():
                subcommands.append(describe_parser(sub, (*path, name), helps.get(name, "")))
        elif action.option_strings:
            choices = tuple(str(choice) for choice in action.choices or ())
            options.append(Option(tuple(action.option_strings), _help(action), _value_kind(action), choices))
        else:
            kind = _value_kind(action)
            if kind == "choice":
                positional, positional_choices = "choice", tuple(str(choice) for choice in action.choices or ())
            elif kind == "file":
                positional = "file"
    return Command(path, help, tuple(options), tuple(subcommands), positional, positional_choices)


def fact_values(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Each fact a user may give, with the values to complete (none for whole numbers)."""
    values: dict[str, tuple[str, ...]] = {}
    for name, fact in kb.facts.items():
        if fact.derived:
            continue
        if fact.type is FactType.CHOICE:
            values[name] = tuple(fact.values)
        elif fact.type is FactType.BOOLEAN:
            values[name] = ("true", "false")
        else:
            values[name] = ()
    return values


def completion_script(shell: str, parser: argparse.ArgumentParser, kb: KnowledgeBase) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    root = describe_parser(parser)
    facts = fact_values(kb)
    writers = {"bash": _bash, "zsh": _zsh, "fish": _fish}
    return writers[shell](root, facts)


# ------------------------------------------------------------------ shared
def _sq(text: str) -> str:
    """``text`` as a single-quoted word for bash and zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


def _commands_with_parents(root: Command) -> list[tuple[str, str]]:
    """(``parent key/name``, ``command key``) for each subcommand: how the scripts find the command
    typed so far, word by word."""
    return [(f"{command.key}/{sub.path[-1]}", sub.key) for command in root.walk() for sub in command.subcommands]


def _value_options(root: Command, kinds: Sequence[str]) -> list[tuple[Command, Option]]:
    return [(command, option) for command in root.walk() for option in command.options if option.kind in kinds]


def _taking_values(root: Command) -> str:
    """``--kb|--save|…``: the options that take a value, whose value is never a command name."""
    kinds = ["choice", "file", "dir", "fact", "value"]
    return "|".join(sorted({string for _, option in _value_options(root, kinds) for string in option.strings}))


# -------------------------------------------------------------------- bash
_VALUE_KINDS = ("choice", "file", "dir", "fact", "value")


def _bash_option_value(option: Option, fact_names: str) -> str:
    """What bash completes after ``option`` (an option that takes a value)."""
    if option.kind == "choice":
        return f"COMPREPLY=($(compgen -W {_sq(' '.join(option.choices))} -- \"$cur\"))"
    if option.kind == "file":
        return 'COMPREPLY=($(compgen -f -- "$cur"))'
    if option.kind == "dir":
        return 'COMPREPLY=($(compgen -d -- "$cur"))'
    if option.kind == "fact":
        return f'compopt -o nospace 2>/dev/null; COMPREPLY=($(compgen -W {_sq(fact_names)} -- "$cur"))'
    return "COMPREPLY=()"


def _bash_fact_pairs(root: Command) -> list[str]:
    """The lines completing the VALUE of ``--set NAME=VALUE`` (and the like)."""
    fact_options = sorted({string for _, option in _value_options(root, ["fact"]) for string in option.strings})
    if not fact_options:
        return []
    # NAME=VALUE: bash splits words at '=' by default (COMP_WORDBREAKS), so the fact name is
    # the word before a lone '='; without that split the name is in the current word.
    return [
        '    fact="" opt=""',
        '    if [[ $cur == "=" ]]; then',
        '        fact="$prev" opt="${COMP_WORDS[COMP_CWORD-2]}" cur=""',
        '    elif [[ $prev == "=" ]]; then',
        '        fact="${COMP_WORDS[COMP_CWORD-2]}" opt="${COMP_WORDS[COMP_CWORD-3]}"',
        "    elif [[ $cur == *=* ]]; then",
        '        fact="${cur%%=*}" opt="$prev"',
        "    fi",
        '    if [[ -n $fact ]]; then',
        '        case "$opt" in',
        f"            {'|'.join(fact_options)})",
        '                if [[ $cur == *=* ]]; then',
        f'                    COMPREPLY=($(compgen -P "$fact=" -W "$(_{PROG}_fact_values "$fact")" -- "${{cur#*=}}"))',
        "                else",
        f'                    COMPREPLY=($(compgen -W "$(_{PROG}_fact_values "$fact")" -- "$cur"))',
        "                fi",
        "                return ;;",
        "        esac",
        "    fi",
    ]


def _bash_words(command: Command) -> str | None:
    """What bash completes as ``command``'s next word (None: nothing)."""
    if command.subcommands:
        words = " ".join(sub.path[-1] for sub in command.subcommands)
        return f"COMPREPLY=($(compgen -W {_sq(words)} -- \"$cur\"))"
    if command.positional == "choice":
        return f"COMPREPLY=($(compgen -W {_sq(' '.join(command.positional_choices))} -- \"$cur\"))"
    if command.positional == "file":
        return 'COMPREPLY=($(compgen -f -- "$cur"))'
    return None


def _bash(root: Command, facts: dict[str, tuple[str, ...]]) -> str:
    lines = [
        f"# bash completion for {PROG} (generated by '{PROG} completion bash'; see README.md).",
        f"# Install: {PROG} completion bash > ~/.local/share/bash-completion/completions/{PROG}",
        "",
        f"_{PROG}_fact_values() {{",
        '    case "$1" in',
    ]
    lines += [f"        {name}) echo {_sq(' '.join(values))} ;;" for name, values in facts.items() if values]
    lines += ["    esac", "}", "", f"_{PROG}() {{"]
    lines += [
        "    local cur prev cmd word i fact opt",
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    cmd=""',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        word="${COMP_WORDS[i]}"',
        f'        case "$word" in {_taking_values(root)}) ((i++)); continue ;; esac',
        '        case "$cmd/$word" in',
    ]
    lines += [f"            {_sq(pattern)}) cmd={_sq(key)} ;;" for pattern, key in _commands_with_parents(root)]
    lines += ["        esac", "    done"]
    lines += _bash_fact_pairs(root)
    names = " ".join(f"{name}=" for name in facts)
    lines += ['    case "$cmd/$prev" in']
    for command, option in _value_options(root, _VALUE_KINDS):
        pattern = "|".join(_sq(f"{command.key}/{string}") for string in option.strings)
        lines.append(f"        {pattern}) {_bash_option_value(option, names)}; return ;;")
    lines += ["    esac", '    if [[ $cur == -* ]]; then', '        case "$cmd" in']
    for command in root.walk():
        words = " ".join(string for option in command.options for string in option.strings)
        lines.append(f"            {_sq(command.key)}) COMPREPLY=($(compgen -W {_sq(words)} -- \"$cur\")) ;;")
    lines += ["        esac", "        return", "    fi", '    case "$cmd" in']
    for command in root.walk():
        action = _bash_words(command)
        if action is not None:
            lines.append(f"        {_sq(command.key)}) {action} ;;")
    lines += ["    esac", "}", "", f"complete -F _{PROG} {PROG}", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------- zsh
def _zq(text: str) -> str:
    """A ``name:description`` entry for zsh's ``_describe``: colons in the name escaped."""
    return _sq(text)


def _zsh_option_value(option: Option, fact_names: str) -> str:
    """What zsh completes after ``option`` (an option that takes a value)."""
    if option.kind == "choice":
        return "compadd -- " + " ".join(_sq(choice) for choice in option.choices)
    if option.kind == "file":
        return "_files"
    if option.kind == "dir":
        return "_files -/"
    if option.kind == "fact":
        return (
            f"if [[ $cur == *=* ]]; then compset -P '*='; compadd -- ${{=$(_{PROG}_fact_values ${{cur%%=*}})}}; "
            f"else compadd -S '=' -- {fact_names}; fi"
        )
    return f"_message {_sq(option.help or 'a value')}"


def _zsh_words(command: Command) -> str | None:
    """What zsh completes as ``command``'s next word (None: nothing)."""
    if command.subcommands:
        entries = " ".join(_zq(f"{sub.path[-1]}:{sub.help}") for sub in command.subcommands)
        return f"entries=({entries}); _describe -t commands command entries"
    if command.positional == "choice":
        return f"compadd -- {' '.join(map(_sq, command.positional_choices))}"
    if command.positional == "file":
        return "_files"
    return None


def _zsh(root: Command, facts: dict[str, tuple[str, ...]]) -> str:
    lines = [
        f"#compdef {PROG}",
        f"# zsh completion for {PROG} (generated by '{PROG} completion zsh'; see README.md).",
        f"# Install: {PROG} completion zsh > \"${{fpath[1]}}/_{PROG}\" (a folder on $fpath), then restart zsh.",
        "",
        f"_{PROG}_fact_values() {{",
        "    case $1 in",
    ]
    lines += [f"        ({name}) print -r -- {_sq(' '.join(values))} ;;" for name, values in facts.items() if values]
    lines += ["    esac", "}", "", f"_{PROG}() {{"]
    lines += [
        "    local cmd='' word i cur=${words[CURRENT]} prev=${words[CURRENT-1]}",
        "    local -a entries",
        "    for ((i = 2; i < CURRENT; i++)); do",
        "        word=${words[i]}",
        f'        case "$word" in ({_taking_values(root)}) ((i++)); continue ;; esac',
        '        case "$cmd/$word" in',
    ]
    lines += [f"            ({_sq(pattern)}) cmd={_sq(key)} ;;" for pattern, key in _commands_with_parents(root)]
    lines += ["        esac", "    done", '    case "$cmd/$prev" in']
    fact_names = " ".join(_sq(name) for name in facts)
    for command, option in _value_options(root, _VALUE_KINDS):
        pattern = "|".join(_sq(f"{command.key}/{string}") for string in option.strings)
        lines.append(f"        ({pattern}) {_zsh_option_value(option, fact_names)}; return ;;")
    lines += ["    esac", "    if [[ $cur == -* ]]; then", '        case "$cmd" in']
    for command in root.walk():
        entries = " ".join(_zq(f"{string}:{option.help}") for option in command.options for string in option.strings)
        lines.append(f"            ({_sq(command.key)}) entries=({entries}) ;;")
    lines += ["        esac", "        _describe -t options option entries", "        return", "    fi"]
    lines += ['    case "$cmd" in']
    for command in root.walk():
        action = _zsh_words(command)
        if action is not None:
            lines.append(f"        ({_sq(command.key)}) {action} ;;")
    lines += ["    esac", "}", "", f'if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _{PROG} "$@"; '
              f"else compdef _{PROG} {PROG}; fi", ""]
    return "\n".join(lines)


# -------------------------------------------------------------------- fish
def _fq(text: str) -> str:
    """``text`` as a single-quoted fish word."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(root: Command, facts: dict[str, tuple[str, ...]]) -> str:
    lines = [
        f"# fish completion for {PROG} (generated by '{PROG} completion fish'; see README.md).",
        f"# Install: {PROG} completion fish > ~/.config/fish/completions/{PROG}.fish",
        "",
        f"function __{PROG}_command --description 'the {PROG} command typed so far'",
        "    set -l cmd ''",
        "    for word in (commandline -opc)[2..-1]",
        '        switch "$cmd/$word"',
    ]
    for pattern, key in _commands_with_parents(root):
        lines += [f"            case {_fq(pattern)}", f"                set cmd {_fq(key)}"]
    lines += ["        end", "    end", "    echo $cmd", "end", ""]
    lines += [f"function __{PROG}_facts --description 'NAME=VALUE pairs for --set'"]
    for name, values in facts.items():
        if values:
            lines.append("    printf '%s\\n' " + " ".join(_fq(f"{name}={value}") for value in values))
        else:
            lines.append(f"    echo {_fq(name + '=')}")
    lines += ["end", "", f"complete -c {PROG} -f"]
    for command in root.walk():
        condition = f"test (__{PROG}_command) = {_fq(command.key)}"
        for sub in command.subcommands:
            lines.append(f"complete -c {PROG} -n {_fq(condition)} -a {_fq(sub.path[-1])} -d {_fq(sub.help)}")
        if command.positional == "choice":
            lines.append(f"complete -c {PROG} -n {_fq(condition)} -a {_fq(' '.join(command.positional_choices))}")
        elif command.positional == "file":
            lines.append(f"complete -c {PROG} -n {_fq(condition)} -F")
        for option in command.options:
            spellings = " ".join(
                f"-l {string[2:]}" if string.startswith("--") else f"-s {string[1:]}" for string in option.strings
            )
            value = {
                "flag": "",
                "choice": f" -x -a {_fq(' '.join(option.choices))}",
                "file": " -r -F",
                "dir": f" -x -a {_fq('(__fish_complete_directories)')}",
                "fact": f" -x -a {_fq(f'(__{PROG}_facts)')}",
                "value": " -x",
            }[option.kind]
            lines.append(f"complete -c {PROG} -n {_fq(condition)} {spellings}{value} -d {_fq(option.help)}")
    lines.append("")
    return "\n".join(lines)
