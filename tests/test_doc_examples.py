"""Every console example in README.md and docs/*.md is what the command really prints.

A ```` ```console ```` block holds one or more commands (``$ `` lines, ``\\`` continues a line)
each followed by what it prints. Abridging is allowed and checked as such:

* a line that is only ``…`` (or ``...``) stands for any number of lines;
* ``…`` inside a line stands for any text (``batch: 3 records … in … s``);
* a line ending in `` …`` or `` ...`` matches any line that starts with what comes before.

Supported commands: ``orderdoctor ARGS`` (run in-process through ``main``), ``printf '…' |
orderdoctor ARGS`` (the printf text is standard input), ``cat FILE`` (the lines shown *are* the
file: it is created for the commands after it), and the interactive ``orderdoctor ask``, whose
answers are the transcript's lines after ``> `` or ``orderdoctor> ``. Dates in plans are computed
from a fixed day, 2026-11-22, so the examples do not age.
"""

from __future__ import annotations

import datetime
import io
import re
import shlex
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from orderdoctor.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TODAY = datetime.date(2026, 11, 22)
ELLIPSES = ("…", "...")


@dataclass
class Command:
    text: str
    shown: list[str] = field(default_factory=list)


@dataclass
class Example:
    doc: str
    line: int
    commands: list[Command]

    @property
    def name(self) -> str:
        return f"{self.doc}:{self.line}"


def _examples() -> list[Example]:
    examples = []
    for doc in DOCS:
        text = doc.read_text()
        for match in re.finditer(r"^([ \t]*)```console\n(.*?)^[ \t]*```", text, re.S | re.M):
            block = textwrap.dedent(match.group(2))
            line = text.count("\n", 0, match.start()) + 1
            commands: list[Command] = []
            pending = ""
            for row in block.splitlines():
                if pending:
                    pending += " " + row.strip()
                elif row.startswith("$ "):
                    pending = row[2:]
                else:
                    assert commands, f"{doc.name}:{line}: output before any command"
                    commands[-1].shown.append(row)
                    continue
                if pending.endswith("\\"):
                    pending = pending[:-1].rstrip()
                    continue
                commands.append(Command(pending))
                pending = ""
            examples.append(Example(str(doc.relative_to(ROOT)), line, commands))
    return examples


def _pattern(line: str) -> re.Pattern[str]:
    text = line.rstrip()
    for mark in ELLIPSES:
        if text.endswith(" " + mark):
            return re.compile(re.escape(text[: -len(mark)].rstrip()).replace("…", ".*?") + r"(\s.*)?")
    return re.compile(re.escape(text).replace("…", ".*?"))


def matches(shown: list[str], real: list[str]) -> bool:
    """Whether ``real`` lines fit the ``shown`` lines, abridgements included."""
    shown = _trim(shown)
    real = _trim(real)
    memo: dict[tuple[int, int], bool] = {}

    def fit(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[i, j]
        if i == len(shown):
            result = j == len(real)
        elif shown[i].strip() in ELLIPSES:
            result = any(fit(i + 1, k) for k in range(j, len(real) + 1))
        else:
            result = j < len(real) and _pattern(shown[i]).fullmatch(real[j].rstrip()) is not None and fit(i + 1, j + 1)
        memo[i, j] = result
        return result

    return fit(0, 0)


def _trim(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


class _FixedDate(datetime.date):
    @classmethod
    def today(cls) -> datetime.date:  # type: ignore[override]
        return TODAY


def _printf(text: str) -> str:
    """What ``printf 'TEXT'`` prints for the escapes the docs use."""
    return text.encode().decode("unicode_escape")


def _run(command: Command, files: dict[str, Path], monkeypatch) -> list[str]:
    stdin = ""
    text = command.text
    if "|" in text:
        left, text = (part.strip() for part in text.split("|", 1))
        words = shlex.split(left)
        assert words[0] == "printf" and len(words) == 2, f"unsupported pipe: {command.text}"
        stdin = _printf(words[1])
    words = shlex.split(text)
    if words[0] == "cat":
        assert len(words) == 2, command.text
        path = files["__dir__"] / words[1]
        path.write_text("\n".join(command.shown) + "\n")
        files[words[1]] = path
        return command.shown
    assert words[0] == "orderdoctor", f"unsupported command in a console example: {command.text}"
    argv = [str(files.get(word, word)) for word in words[1:]]
    if argv[:1] == ["ask"] and not stdin:
        answers = [m.group(1) for row in command.shown if (m := re.match(r"^(?:orderdoctor)?> (.*)$", row))]
        stdin = "".join(answer + "\n" for answer in answers)
    out, err = io.StringIO(), io.StringIO()
    main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    real = out.getvalue().splitlines()
    for name, path in files.items():
        if name != "__dir__":
            real = [row.replace(str(path), name) for row in real]
    return real + err.getvalue().splitlines()


EXAMPLES = _examples()


def test_the_docs_have_console_examples():
    docs = {example.doc for example in EXAMPLES}
    assert {"README.md", "docs/explanations.md", "docs/maintaining.md"} <= docs
    assert sum(len(example.commands) for example in EXAMPLES) >= 10


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.name)
def test_console_example_is_what_the_command_prints(example, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)  # rule locations are shown relative to the working directory
    monkeypatch.setenv("COLUMNS", "88")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(datetime, "date", _FixedDate)
    files: dict[str, Path] = {"__dir__": tmp_path}
    for command in example.commands:
        real = _run(command, files, monkeypatch)
        assert matches(command.shown, real), (
            f"{example.name}: `{command.text}` printed:\n" + "\n".join(real)
        )


def test_the_matcher_checks_abridged_output():
    assert matches(["a", "…", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "…"], ["a"])
    assert not matches(["a", "…", "d"], ["a", "b", "c"])
    assert matches(["1. Open a dispute — In …"], ["1. Open a dispute — In My Orders, click"])
    assert not matches(["1. Open a dispute — In …"], ["1. Wait — In My Orders"])
    assert matches(["batch: 3 records in … s (… records/s)"], ["batch: 3 records in 0.01 s (300 records/s)"])
    assert not matches(["x"], ["x", "y"])


def test_maintaining_guide_shows_the_real_typo_error(tmp_path, monkeypatch):
    """docs/maintaining.md's step 3 shows the error a `days_lef` typo gives; it is the real one."""
    import shutil

    shutil.copytree(ROOT / "kb", tmp_path / "kb")
    rules = tmp_path / "kb" / "rules" / "buyer_protection.yaml"
    rules.write_text(rules.read_text().replace("    days_left:", "    days_lef:", 1))
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["kb", "check", "--kb", "kb"], stdout=out, stderr=err) == 2
    real = [line for line in (out.getvalue() + err.getvalue()).splitlines() if "days_lef'" in line]
    shown = re.findall(r"^\s*(kb/rules/buyer_protection\.yaml:\d+:\d+: error: unknown fact 'days_lef'.*)$",
                       (ROOT / "docs" / "maintaining.md").read_text(), re.M)
    assert shown and real and shown[0] == real[0]


def test_every_test_named_in_reliability_md_exists():
    """docs/reliability.md names the test that proves each guarantee; each named test exists."""
    text = (ROOT / "docs" / "reliability.md").read_text()
    missing = []
    for cell in re.findall(r"\| ([^|\n]*`tests/[^\n]*?) \|\s*$", text, re.M):
        module = None
        for name in re.findall(r"`(tests/[\w/]+\.py)?(?:::(\w+))?[^`]*`", cell):
            path, function = name
            if path:
                module = (ROOT / path).read_text()
            if function and (module is None or f"def {function}(" not in module):
                missing.append(f"{path or '(same file)'}::{function}")
    assert not missing, missing
