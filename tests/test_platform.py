"""Platform edges: loading durable-rules (Python 3.13's shim, a clear line when it cannot load)
and the per-user cache and state folders (platformdirs' conventions)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest
from orderdoctor.cli.main import main
from orderdoctor.engine import _durable, _dirs
from orderdoctor.engine.kbcache import cache_dir

EXAMPLE = ["--set", "order_status=shipped", "--set", "days_left=3"]


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""))
    return status, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ durable-rules
def test_durable_engine_loads_on_this_python():
    engine = _durable.load_engine()
    assert not isinstance(engine, _durable._Unavailable), engine.reason
    assert callable(engine.create_ruleset)


@pytest.mark.skipif(sys.version_info < (3, 13), reason="the shim is built on Python 3.13+ only")
def test_python_313_shim_is_built_and_exports_the_symbol():
    import ctypes

    from orderdoctor.engine import _pyeval_compat

    library = ctypes.CDLL(_pyeval_compat.__file__)
    assert library.PyEval_CallObject  # the symbol durable-rules 2.0.28 needs


def test_an_engine_that_cannot_load_is_one_line_and_exit_69(monkeypatch):
    monkeypatch.setitem(_durable._state, "engine", _durable._Unavailable("the reason, and what to do"))
    for argv in (["advise", *EXAMPLE], ["explain", *EXAMPLE], ["batch", "-"], ["ask"]):
        status, out, err = run(argv)
        assert status == 69, argv
        assert out == "" and err == "orderdoctor: error: the reason, and what to do\n", argv


def test_the_stand_in_raises_on_use_but_not_in_except_clauses():
    stand_in = _durable._Unavailable("why")
    with pytest.raises(_durable.EngineUnavailableError, match="why"):
        stand_in.assert_fact(1, "{}")
    try:
        raise ValueError("x")
    except stand_in.error:  # pragma: no cover - never matches
        raise AssertionError from None
    except ValueError:
        pass


def test_missing_durable_is_reported_in_one_line_and_version_and_help_still_work(tmp_path):
    """A real failed import (durable blocked in sys.modules), in a fresh interpreter."""
    script = textwrap.dedent(
        """
        import io, sys
        sys.modules["durable_rules_engine"] = None  # makes `import durable_rules_engine` fail
        from orderdoctor.cli.main import main
        for argv in (["--version"], ["--help"], ["advise", "--set", "days_left=3"]):
            out, err = io.StringIO(), io.StringIO()
            status = main(argv, stdout=out, stderr=err)
            print("RESULT", status, repr(err.getvalue()))
        """
    )
    env = dict(os.environ, COLUMNS="200")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("orderdoctor ")  # --version
    lines = [line.split(" ", 2)[1:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert [status for status, _ in lines] == ["0", "0", "69"]
    status, message = lines[-1]
    assert status == "69"
    assert message.count("\\n") == 1 and "Traceback" not in message
    assert "durable-rules is not installed" in message and "C compiler" in message


def test_the_pyeval_message_names_the_shim_and_the_way_out():
    message = _durable._explain(ImportError("x.so: undefined symbol: PyEval_CallObject"), shim_loaded=False)
    assert "compatibility shim" in message and "Python 3.10-3.12" in message and "\n" not in message
    other = _durable._explain(ImportError("x.so: undefined symbol: Foo"), shim_loaded=True)
    assert "undefined symbol: Foo" in other and "--no-cache-dir durable-rules" in other


# ------------------------------------------------------------------ folders
@pytest.mark.skipif(not _dirs._plain_xdg(), reason="the XDG fast path is for Linux and other Unix systems")
@pytest.mark.parametrize("value", [None, "", "relative/dir", "/abs/xdg"])
def test_xdg_folders_are_platformdirs_answer(monkeypatch, value):
    platformdirs = pytest.importorskip("platformdirs")
    for variable in ("XDG_CACHE_HOME", "XDG_STATE_HOME"):
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    expected = platformdirs.PlatformDirs("orderdoctor", appauthor=False)
    assert str(_dirs.user_cache_dir()) == expected.user_cache_dir
    assert str(_dirs.user_state_dir()) == expected.user_state_dir


def test_cache_dir_honours_orderdoctor_cache_dir_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("ORDERDOCTOR_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("ORDERDOCTOR_CACHE_DIR")
    monkeypatch.setattr(_dirs, "_plain_xdg", lambda: True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "orderdoctor"


def test_session_path_honours_xdg_state_home(monkeypatch, tmp_path):
    from orderdoctor.cli.ask import default_session_path

    monkeypatch.setattr(_dirs, "_plain_xdg", lambda: True)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_session_path() == tmp_path / "orderdoctor" / "session.json"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_session_path() == tmp_path / "home" / ".local" / "state" / "orderdoctor" / "session.json"


def test_other_platforms_use_platformdirs(monkeypatch, tmp_path):
    """macOS/Windows/Android: the answer is platformdirs' (imported only there)."""
    platformdirs = pytest.importorskip("platformdirs")
    monkeypatch.setattr(_dirs, "_plain_xdg", lambda: False)
    expected = platformdirs.PlatformDirs("orderdoctor", appauthor=False)
    assert str(_dirs.user_cache_dir()) == expected.user_cache_dir
    assert str(_dirs.user_state_dir()) == expected.user_state_dir
