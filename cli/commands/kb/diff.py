"""``orderdoctor kb diff``: what an edit to the knowledge base does to the answers.

``kb diff REV`` compares the ``--kb`` folder as it was at git revision REV (taken out with
``git archive`` into a temporary folder) with the folder as it is now; ``kb diff DIR_A DIR_B``
compares two folders. The comparison is :func:`orderdoctor.engine.diff_kbs`; the words are
:mod:`orderdoctor.cli.kbdiff`. Exit status: 0 when no answer changes, 1 when some do, 2 on bad
input (an unknown revision, a folder outside git, a knowledge base that does not load).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from orderdoctor.engine import (
    ExitStatus,
    KnowledgeBase,
    KnowledgeBaseError,
    KnowledgeBaseErrors,
    Location,
    UsageError,
    display_path,
    load_knowledge_base,
)

from .. import Environment

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = (
    "Compare the answers of two versions of the knowledge base: the --kb folder at git revision REV "
    "with the folder as it is now (kb diff REV), or two folders (kb diff DIR_A DIR_B). Runs the scenario "
    "cases of both and every situation kb review runs, and groups the answers that change: advice added "
    "or removed, reordered, another first action, deadlines and urgency, nothing_applies, errors. "
    "Exit 1 when answers change (like diff)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("versions", nargs="+", metavar="REV | DIR_A DIR_B",
                        help="a git revision (compared with the --kb folder now), or the old and the new folder")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="text (default), json, or markdown for a pull request")
    parser.add_argument("--cases-only", action="store_true",
                        help="compare the scenario cases only, not the review space (seconds instead of a minute)")
    parser.add_argument("--exhaustive", action="store_true",
                        help="run every situation of the review space, not only those an edited rule can reach")


# ------------------------------------------------------------------ git
def _git(args: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError(f"{what}: git is not installed; compare two folders instead: kb diff DIR_A DIR_B") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"{what}: {message[-1] if message else 'git failed'}")
    return done


def _extract(rev: str, root: Path, into: Path) -> tuple[Path, str]:
    """Take the knowledge-base folder ``root`` as it was at ``rev`` out into ``into``; returns the
    folder there and its path inside the repository."""
    import io
    import tarfile

    where = root.resolve()
    top = _git(["rev-parse", "--show-toplevel"], where,
               f"kb diff {rev}: {display_path(root)} is not in a git repository").stdout.decode().strip()
    inside = where.relative_to(Path(top).resolve()).as_posix()
    _git(["rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}"], where,
         f"kb diff: unknown revision '{rev}'")
    archive = _git(["archive", "--format=tar", rev, "--", inside], Path(top),
                   f"kb diff {rev}: the knowledge-base folder {inside} is not in {rev}").stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            tar.extractall(into)  # noqa: S202 - git's own archive of the repository
    return into / inside, inside


def _load(folder: Path, shown: str, env: Environment, cache: bool = True) -> KnowledgeBase:
    """Load one side; its errors are shown with ``shown`` for the folder (``REV:kb``)."""
    try:
        return load_knowledge_base(folder, cache=cache)
    except KnowledgeBaseErrors as exc:
        env.stderr.write(f"kb diff: the knowledge base {shown} does not load:\n")
        raise KnowledgeBaseErrors([_relocated(error, folder, shown) for error in exc.errors]) from None


def _relocated(error: KnowledgeBaseError, folder: Path, shown: str) -> KnowledgeBaseError:
    where = error.location
    try:
        inside = Path(where.file).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return error
    moved = KnowledgeBaseError(Location(f"{shown}/{inside}", where.line, where.column), error.message,
                               name=error.name, suggestion=error.suggestion)
    return moved


def _placer(folder: Path, shown: str) -> Callable[[Location], str]:
    base = folder.resolve()

    def place(location: Location) -> str:
        path = Path(location.file)
        try:
            inside = path.resolve().relative_to(base).as_posix()
        except ValueError:
            return Location(display_path(path), location.line).short()
        return Location(f"{shown}/{inside}", location.line).short()

    return place


# ------------------------------------------------------------------ run
def _compare(args: argparse.Namespace, old: KnowledgeBase, new: KnowledgeBase, env: Environment) -> Any:
    from orderdoctor.engine import ReviewTooLargeError, diff_kbs, load_cases, load_review_config

    try:
        old_cases: tuple[Any, ...] = load_cases(old)
    except KnowledgeBaseErrors as exc:
        env.stderr.write(f"kb diff: the old knowledge base's cases do not load ({exc}); comparing the new ones\n")
        old_cases = ()
    configs = None if args.cases_only else (load_review_config(old), load_review_config(new))
    try:
        return diff_kbs(old, new, old_cases, load_cases(new), configs, exhaustive=args.exhaustive)
    except ReviewTooLargeError as exc:
        raise UsageError(f"kb diff: {exc} (review.yaml); or use --cases-only") from None


def run(args: argparse.Namespace, env: Environment, kb: KnowledgeBase) -> ExitStatus:
    from ...kbdiff import render

    if len(args.versions) > 2:
        raise UsageError("kb diff takes a git revision, or two knowledge-base folders (DIR_A DIR_B)")
    if len(args.versions) == 2:
        first, second = (Path(name) for name in args.versions)
        old, new = _load(first, display_path(first), env), _load(second, display_path(second), env)
        title = f"{display_path(first)} → {display_path(second)}"
        found = _compare(args, old, new, env)
        text = render(args.format, found, _placer(second, display_path(second)), title)
    else:
        rev = args.versions[0]
        with tempfile.TemporaryDirectory(prefix="orderdoctor-kbdiff-") as temporary:
            folder, inside = _extract(rev, kb.root, Path(temporary))
            old = _load(folder, f"{rev}:{inside}", env, cache=False)
            title = f"{rev}:{inside} → {display_path(kb.root)} (working tree)"
            found = _compare(args, old, kb, env)
            place_old = _placer(folder, f"{rev}:{inside}")
            place_new = _placer(kb.root, display_path(kb.root))

            def place(location: Location) -> str:
                shown = place_old(location)
                return shown if shown.startswith(f"{rev}:") else place_new(location)

            text = render(args.format, found, place, title)
    env.stdout.write(text)
    return ExitStatus.SOME_FAILED if found.answers_change else ExitStatus.OK
