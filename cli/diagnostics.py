"""What the ``kb`` tools found, in the formats a person, a script, an editor or a CI service reads.

A :class:`Diagnostic` is one finding of the linter or one load error (a knowledge-base, checks or
case file that does not load: check id ``load``), flattened to what every format needs: place,
severity (``error``, ``warning`` or ``explained``), check id, subject, the full message (with its
did-you-mean) and the suggestion alone. :data:`FORMATS` writes a list of them:

* ``text`` — one line each, ``file:line:col: severity: message [check]`` (a load error without the
  ``[check]``, exactly as every command prints it), the form gcc, vim's quickfix and VS Code's
  problem matchers read. A check with more than :data:`SHOWN` findings of one severity shows
  the first :data:`SHOWN` and then one ``note:`` line with how many more there are and how to
  list them (``--all``, or ``--format json``); load errors and a check's "stopped here" warning
  are always listed in full;
* ``json`` — the fields as data;
* ``sarif`` — a SARIF 2.1.0 log, one run, the check ids as the driver's rules (what GitHub code
  scanning, GitLab and SARIF viewers read); an explained warning is a ``note`` with an external
  suppression that carries the reason;
* ``github`` — GitHub Actions workflow commands, ``::error file=F,line=L,col=C,title=…::message``
  (``::warning``, ``::notice`` for explained), which annotate the lines of a pull request.

SARIF and GitHub name files relative to the repository root (the nearest folder above the working
directory that holds ``.git``; else the working directory), as those services expect.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from orderdoctor.engine import LINT_CHECKS, did_you_mean

from .render import printable

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

__all__ = [
    "CHECK_DESCRIPTIONS",
    "FORMATS",
    "LOAD",
    "SARIF_SCHEMA",
    "SHOWN",
    "Diagnostic",
    "Report",
    "github_command",
    "repository_path",
    "sarif_log",
]

#: The check id of a load error (a file that does not parse, an unknown name, a cycle, ...).
LOAD = "load"

#: The short description SARIF gives each check; a check missing here is described by its id.
CHECK_DESCRIPTIONS = {
    LOAD: "A knowledge-base, checks or case file does not load (syntax, fields, unknown names, cycles)",
    "unreachable": "A rule whose condition can never hold",
    "redundant": "Another rule gives the same (or more) conclusions whenever this rule fires",
    "contract": "A rule can give advice where the advice's contract (requires) fails",
    "incompatible": "Two rules can fire together and give advice declared incompatible",
    "urgency": "Advice that says act now can be shown beside a deadline further away than urgent_within",
    "dead-end": "A fact, value or advice item that no rule reads, derives or gives",
    "gap": "A combination of the facts checks.yaml names for which no advice can be given",
    "overlap": "Two rules can derive different values of one fact in the same situation",
    "range-gap": "A hole between the ranges of an integer fact over which rules derive a fact",
    "shadowed": "A rule whose advice is always replaced by other advice given in the same situation",
    "stale": "An explained: entry in checks.yaml that matches no finding any more",
}

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

#: The text form lists at most this many findings of one check and severity, then counts the rest.
SHOWN = 5

#: The subject of the warning of a check that stopped at its budget: always shown in full.
BUDGET = "budget"


@dataclass(frozen=True)
class Diagnostic:
    """One thing ``kb check`` (or ``kb test``) reports, in the terms every format needs."""

    file: str
    line: int | None
    column: int | None
    severity: str  # "error", "warning" or "explained"
    check: str
    message: str  # the whole sentence, did-you-mean included
    subject: str | None = None
    suggestion: str | None = None
    explanation: str | None = None

    @classmethod
    def of_finding(cls, finding: Any) -> Diagnostic:
        """A linter finding (:class:`orderdoctor.engine.lint.Finding`)."""
        where = finding.location
        severity = "explained" if finding.explained else finding.severity
        return cls(where.file, where.line, where.column, severity, finding.check, finding.message,
                   finding.subject, None, finding.explained)

    @classmethod
    def of_error(cls, error: Any) -> Diagnostic:
        """A load error (a :class:`~orderdoctor.engine.LocatedError`)."""
        where = error.location
        message = error.message + did_you_mean(error.suggestion)
        return cls(where.file, where.line, where.column, "error", LOAD, message, error.name, error.suggestion)

    @property
    def place(self) -> str:
        """``file:line:col`` (as much of it as is known)."""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column is not None else "")

    def text(self) -> str:
        """The one-line form (a linter finding's ``Finding.format()``; a load error's ``format()``)."""
        if self.check == LOAD:
            return f"{self.place}: {self.severity}: {self.message}"
        line = f"{self.place}: {self.severity}: {self.message} [{self.check}]"
        return line + (f" — {self.explanation}" if self.explanation else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "check": self.check,
            "subject": self.subject,
            "suggestion": self.suggestion,
            "explanation": self.explanation,
        }


# ------------------------------------------------------------------ where files are
def _repository_root() -> Path:
    """The nearest folder above (or at) the working directory that holds ``.git``; else the
    working directory."""
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def repository_path(file: str, root: Path | None = None) -> str | None:
    """``file`` (as a location shows it) relative to the repository root, with ``/``; None when
    it lies outside it."""
    base = root if root is not None else _repository_root()
    try:
        relative = os.path.relpath(os.path.abspath(file), base)
    except ValueError:  # another drive (Windows)
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return Path(relative).as_posix()


# ------------------------------------------------------------------ the formats
def _more(severity: str, check: str, total: int) -> str:
    """The line that stands for the findings of one check and severity the text form leaves out."""
    kind = "explained warnings" if severity == "explained" else f"{severity}s"
    return (
        f"note: {total - SHOWN:,} more {check} {kind} not shown ({total:,} in all; "
        "kb check --all or --format json lists every one)"
    )


def _write_text(diagnostics: Sequence[Diagnostic], summary: str, every: bool = False) -> str:
    """One line per diagnostic; unless ``every``, at most :data:`SHOWN` of one check and
    severity (load errors and a check's "stopped" warning excepted), the rest counted on one
    ``note:`` line after the last shown."""
    totals: dict[tuple[str, str], int] = {}
    for d in (d for d in diagnostics if d.subject != BUDGET):
        totals[d.severity, d.check] = totals.get((d.severity, d.check), 0) + 1
    seen: dict[tuple[str, str], int] = {}
    lines = []
    for d in diagnostics:
        key = (d.severity, d.check)
        seen[key] = seen.get(key, 0) + (d.subject != BUDGET)
        if every or d.check == LOAD or d.subject == BUDGET or totals[key] <= SHOWN:
            lines.append(printable(d.text()))
        elif seen[key] <= SHOWN:
            lines.append(printable(d.text()))
            if seen[key] == SHOWN:
                lines.append(_more(d.severity, d.check, totals[key]))
    return "".join(line + "\n" for line in lines) + printable(summary) + "\n"


def _write_json(diagnostics: Sequence[Diagnostic], counts: dict[str, Any]) -> str:
    data = {"findings": [d.to_json() for d in diagnostics], **counts}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _sarif_location(diagnostic: Diagnostic, root: Path) -> dict[str, Any]:
    from urllib.parse import quote

    relative = repository_path(diagnostic.file, root)
    if relative is not None:
        artifact = {"uri": quote(relative), "uriBaseId": "%SRCROOT%"}
    else:
        artifact = {"uri": Path(os.path.abspath(diagnostic.file)).as_uri()}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if diagnostic.line is not None:
        region = {"startLine": diagnostic.line}
        if diagnostic.column is not None:
            region["startColumn"] = diagnostic.column
        physical["region"] = region
    return {"physicalLocation": physical}


_SARIF_LEVEL = {"error": "error", "warning": "warning", "explained": "note"}


def _sarif_result(diagnostic: Diagnostic, rules: list[str], root: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": diagnostic.check,
        "ruleIndex": rules.index(diagnostic.check),
        "level": _SARIF_LEVEL.get(diagnostic.severity, "warning"),
        "message": {"text": diagnostic.message},
        "locations": [_sarif_location(diagnostic, root)],
    }
    if diagnostic.explanation:
        result["suppressions"] = [{"kind": "external", "justification": diagnostic.explanation}]
    properties = {key: value for key, value in (("subject", diagnostic.subject),
                                                 ("suggestion", diagnostic.suggestion)) if value}
    if properties:
        result["properties"] = properties
    return result


def _describe(check: str) -> str:
    return CHECK_DESCRIPTIONS.get(check, f"The '{check}' check of orderdoctor kb check")


def sarif_log(diagnostics: Sequence[Diagnostic], version: str, exit_code: int) -> dict[str, Any]:
    """The SARIF 2.1.0 log of ``diagnostics``: one run of orderdoctor, every check a rule."""
    rules = [LOAD, *LINT_CHECKS]
    rules += sorted({d.check for d in diagnostics} - set(rules))  # a check added since, just in case
    root = _repository_root()
    driver = {
        "name": "orderdoctor",
        "version": version,
        "rules": [{"id": rule, "shortDescription": {"text": _describe(rule)}} for rule in rules],
    }
    run = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": True, "exitCode": exit_code}],
        "results": [_sarif_result(d, rules, root) for d in diagnostics],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped (GitHub's ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property: also ``:`` and ``,`` (GitHub's ``escapeProperty``)."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_COMMAND = {"error": "error", "warning": "warning", "explained": "notice"}


def github_command(diagnostic: Diagnostic, root: Path | None = None) -> str:
    """``::error file=F,line=L,col=C,title=orderdoctor CHECK::message``: one annotation."""
    file = repository_path(diagnostic.file, root) or os.path.abspath(diagnostic.file)
    properties = [("file", file)]
    if diagnostic.line is not None:
        properties.append(("line", str(diagnostic.line)))
        if diagnostic.column is not None:
            properties.append(("col", str(diagnostic.column)))
    properties.append(("title", f"orderdoctor {diagnostic.check}"))
    message = diagnostic.message
    if diagnostic.explanation:
        message += f" (explained: {diagnostic.explanation})"
    shown = ",".join(f"{key}={printable(_escape_property(value))}" for key, value in properties)
    return f"::{_GITHUB_COMMAND.get(diagnostic.severity, 'warning')} {shown}::{printable(_escape_data(message))}"


def _write_github(diagnostics: Sequence[Diagnostic], summary: str) -> str:
    root = _repository_root()
    return "".join(github_command(d, root) + "\n" for d in diagnostics) + printable(summary) + "\n"


def _write_sarif(diagnostics: Sequence[Diagnostic], exit_code: int) -> str:
    from .parser import _version

    return json.dumps(sarif_log(diagnostics, _version(), exit_code), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Report:
    """What a tool reports: the diagnostics, the counts (for json), the summary line (for text and
    github) and the exit status the tool ends with (for SARIF's invocation)."""

    diagnostics: tuple[Diagnostic, ...]
    counts: dict[str, Any]
    summary: str
    exit_code: int
    every: bool = False  # text: list every finding (no "N more" lines)


#: Each format → how it writes a report.
FORMATS: dict[str, Callable[[Report], str]] = {
    "text": lambda report: _write_text(report.diagnostics, report.summary, report.every),
    "json": lambda report: _write_json(report.diagnostics, report.counts),
    "sarif": lambda report: _write_sarif(report.diagnostics, report.exit_code),
    "github": lambda report: _write_github(report.diagnostics, report.summary),
}
