"""Where orderdoctor keeps per-user files: the load cache and the ``ask`` session (its state).

The folders follow each platform's convention as `platformdirs <https://platformdirs.readthedocs.io>`_
computes it: on Linux and other Unix systems the XDG base directories (``$XDG_CACHE_HOME`` or
``~/.cache``, ``$XDG_STATE_HOME`` or ``~/.local/state``; a relative XDG value is ignored, as the
spec says), on macOS ``~/Library/Caches`` and ``~/Library/Application Support``, on Windows
``%LOCALAPPDATA%``. Importing platformdirs costs 10-20 ms here (it imports tempfile, shutil, bz2,
lzma), an eighth of ``orderdoctor advise``, so on plain XDG systems the two paths are worked out
here, the same way (tests/test_platform.py checks they equal platformdirs' answer), and platformdirs
is imported only on macOS, Windows and Android.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["APP_NAME", "user_cache_dir", "user_state_dir"]

APP_NAME = "orderdoctor"

#: XDG variable and default (under the home folder) of each kind of folder.
_XDG = {"cache": ("XDG_CACHE_HOME", (".cache",)), "state": ("XDG_STATE_HOME", (".local", "state"))}


def _plain_xdg() -> bool:
    """True where platformdirs uses the XDG rules alone (Unix, not macOS, iOS, Windows or Android)."""
    return sys.platform not in ("win32", "darwin", "ios") and not hasattr(sys, "getandroidapilevel")


def _user_dir(kind: str) -> Path:
    if _plain_xdg():
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "")
        if not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), *default)
        return Path(base, APP_NAME)
    import platformdirs  # macOS, Windows, Android only (start-up time)

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return Path(dirs.user_cache_dir if kind == "cache" else dirs.user_state_dir)


def user_cache_dir() -> Path:
    """The user's cache folder for orderdoctor (``~/.cache/orderdoctor`` on Linux)."""
    return _user_dir("cache")


def user_state_dir() -> Path:
    """The user's state folder for orderdoctor (``~/.local/state/orderdoctor`` on Linux)."""
    return _user_dir("state")
