"""Session files of ``orderdoctor ask``: where they live, writing them atomically (private to
the user), reading them back bounded, keeping an unfinished one aside as ``*.previous.json``
instead of writing over it, and what is said of a saved one (when it was answered, what the days
since then changed).
"""

from __future__ import annotations

import datetime
import json
import os
import stat
from pathlib import Path
from typing import Any

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing's names at start-up
if TYPE_CHECKING:
    from orderdoctor.engine import Interview

__all__ = [
    "MAX_SESSION_BYTES",
    "NOT_A_SESSION",
    "aging_text",
    "default_session_path",
    "previous_path",
    "read_session",
    "unfinished",
    "unfinished_text",
    "write_session",
]

#: Session files are small (one line per answer); anything bigger is not one.
MAX_SESSION_BYTES = 1 << 20
#: Marks what :func:`unfinished` found when the file is not a saved consultation at all.
NOT_A_SESSION = "(not a session file)"


def default_session_path() -> Path:
    """Where answers are saved unless ``--save`` says otherwise: the user's state folder, by the
    platform's convention (``$XDG_STATE_HOME`` or ``~/.local/state`` on Linux)."""
    from orderdoctor.engine import user_state_dir

    return user_state_dir() / "session.json"


def write_session(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically, a new file private to the user (cli/output.py:
    a device, FIFO or folder is never replaced); OutputError, an OSError, when it cannot be."""
    from .output import as_output_error, write_output

    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    folder = default_session_path().parent
    if path.parent == folder:  # our own state folder is ours to make; a --save FILE's is not
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise as_output_error(str(path), exc) from None
    write_output(path, text, private=True)


def read_session(path: Path) -> Any:
    """The JSON data of a session file; OSError / ValueError when unreadable.

    Read through the engine's one bounded reader (only a regular file, at most
    :data:`MAX_SESSION_BYTES`; a FIFO or a device is refused before it is opened);
    JSON nested too deep for the parser is a ValueError.
    """
    from orderdoctor.engine import UnreadableFileError, read_file_bytes

    if not os.path.lexists(path):
        raise FileNotFoundError(path)
    try:
        raw = read_file_bytes(path, str(path), limit=MAX_SESSION_BYTES)
    except UnreadableFileError as exc:
        raise ValueError(exc.message) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def previous_path(path: Path) -> Path:
    """Where an unfinished session is kept aside: ``session.json`` → ``session.previous.json``,
    or ``session.previous-2.json`` (and so on) when that is taken, so nothing kept is lost."""
    suffix = path.suffix or ".json"
    candidate = path.with_name(f"{path.stem}.previous{suffix}")
    number = 2
    while os.path.lexists(candidate) and number < 1000:
        candidate = path.with_name(f"{path.stem}.previous-{number}{suffix}")
        number += 1
    return candidate


def unfinished(path: Path) -> dict[str, Any] | None:
    """The data of the session at ``path`` if it is unfinished and has answers; None when there
    is none, it is finished, or it is not a regular file (left to the writer to refuse)."""
    try:
        data = read_session(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError):
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError:
            return None
        return {"answers": ["(unreadable)"], NOT_A_SESSION: True} if regular else None
    if isinstance(data, dict) and data.get("finished") is True:
        return None
    if isinstance(data, dict) and isinstance(data.get("answers"), list) and not data["answers"]:
        return None
    if isinstance(data, dict) and (data.get("format") is not None or isinstance(data.get("answers"), list)):
        return data
    return {"answers": ["(not a session)"], NOT_A_SESSION: True}


def _day(day: datetime.date, today: datetime.date | None = None) -> str:
    """``Mon 23 Nov``, with the year when it is not ``today``'s (``Mon 01 Jan 0001``)."""
    if today is not None and day.year != today.year:
        return f"{day:%a %d %b} {day.year:04d}"
    return f"{day:%a %d %b}"


def unfinished_text(answers: list[Any], today: datetime.date) -> str:
    """``You have an unfinished consultation, saved on Sun 22 Nov (2 answers).``"""
    dates = sorted(a["date"] for a in answers if isinstance(a, dict) and isinstance(a.get("date"), str))
    when = ""
    if dates:
        try:
            when = f" on {_day(datetime.date.fromisoformat(dates[-1]), today)}"
        except ValueError:
            when = ""
    count = len(answers)
    return f"You have an unfinished consultation, saved{when} ({count} answer{'s' if count != 1 else ''})."


def aging_text(interview: Interview) -> str | None:
    """One line on what the days since the saved answers of ``interview`` were given changed
    (None: nothing to say)."""
    from .askexplain import listed

    aging = interview.aging
    if aging is None:
        return None
    if aging.answered_on is None:
        return "Your saved answers have no date (an older session file), so I take them as given today."
    days = aging.days
    if days <= 0:
        return None
    passed = f"{days} day{'s' if days != 1 else ''} {'have' if days != 1 else 'has'} passed"
    answered = f"You answered on {_day(aging.answered_on, aging.today)}; {passed}"
    if aging.changes:
        moved = listed([f"{name} is now {new} (was {old})" for name, old, new in aging.changes])
        return f"{answered}, so {moved}."
    return f"{answered}, which changes none of your answers."
