"""cli/output.py: every command that writes a file writes regular files atomically, writes the
null device, terminals and read FIFOs in place, refuses anything else, and never replaces a
device node; full and closed standard streams are one line, exit 2."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import MINIMAL_KB
from orderdoctor.cli.ask import write_session
from orderdoctor.cli.main import main
from orderdoctor.cli.output import OutputError, open_output, remove_stale_temporaries, write_output
from test_batch import BytesStdin

ROOT = Path(__file__).resolve().parent.parent
ONE = b'{"id": 1, "order_status": "awaiting_payment"}\n'
RESULT = '{"id": 1, "line": 1, "advice": ["pay_or_let_lapse"], "first_action": "pay_or_let_lapse"}\n'


def run(argv, data: bytes = b""):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=BytesStdin(data))
    return status, out.getvalue(), err.getvalue()


def device(path: Path, major: int, minor: int, kind: int = stat.S_IFCHR) -> Path:
    try:
        os.mknod(path, 0o666 | kind, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("mknod is not permitted here")
    return path


def same_device(path: Path, major: int, minor: int) -> bool:
    info = os.lstat(path)
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(major, minor)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".orderdoctor-" in p.name)


#: Every command that writes a file, as (argv up to the path, argv after it).
WRITERS = {
    "batch --output": (["batch", "--output"], []),
    "kb graph --output": (["kb", "graph", "--format", "dot", "--output"], []),
    "kb docs --output": (["kb", "docs", "--output"], []),
    "kb test --junit": (["kb", "test", "--kb", str(MINIMAL_KB), "--junit"], []),
}


def write_with(command: str, path: Path):
    if command == "ask --save":
        try:
            write_session(path, {"answers": {}})
        except OutputError as exc:
            return 2, "", f"orderdoctor: error: {exc}\n"
        return 0, "", ""
    before, after = WRITERS[command]
    return run([*before, str(path), *after], ONE)


ALL = [*WRITERS, "ask --save"]


# ------------------------------------------------------------------ devices
@pytest.mark.parametrize("command", ALL)
def test_a_null_device_is_written_in_place_and_stays_a_device(tmp_path, command):
    null = device(tmp_path / "null", 1, 3)
    status, _, err = write_with(command, null)
    assert status in (0, 1), err
    assert same_device(null, 1, 3)  # was: a regular file with the output in it
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ALL)
def test_a_full_device_is_one_line_exit_2_and_stays_a_device(tmp_path, command):
    full = device(tmp_path / "full", 1, 7)
    status, _, err = write_with(command, full)
    assert status == 2
    assert err == f"orderdoctor: error: {full}: no space left on the device\n"
    assert same_device(full, 1, 7)


@pytest.mark.parametrize("command", ALL)
def test_other_devices_are_refused_untouched(tmp_path, command):
    other = device(tmp_path / "random", 1, 8)
    status, _, err = write_with(command, other)
    assert status == 2
    assert err.startswith(f"orderdoctor: error: {other}: is a device; of devices only null, zero, full and terminals")
    assert err.count("\n") == 1 and same_device(other, 1, 8)


def test_a_block_device_is_refused(tmp_path):
    block = device(tmp_path / "loop", 7, 0, stat.S_IFBLK)
    status, _, err = run(["batch", "--output", str(block)], ONE)
    assert status == 2 and err == f"orderdoctor: error: {block}: is a block device, not a regular file: use '-' for standard output\n"
    assert stat.S_ISBLK(os.lstat(block).st_mode)


# -------------------------------------------------------------------- FIFOs
def test_a_fifo_being_read_is_written_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a program reading it
    try:
        status, out, err = run(["batch", "--output", str(fifo)], ONE)
        assert status == 0 and out == ""
        assert os.read(reader, 65536).decode() == RESULT
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ALL)
def test_a_fifo_nobody_reads_is_refused_at_once(tmp_path, command):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, _, err = write_with(command, fifo)  # was: replaced by a regular file
    assert status == 2
    assert err == f"orderdoctor: error: {fifo}: is a FIFO (named pipe) that no program is reading\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ----------------------------------------------------------------- symlinks
@pytest.mark.parametrize("command", ALL)
def test_a_symlink_keeps_being_a_link_and_its_target_is_written(tmp_path, command):
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.out"
    link.symlink_to("real.txt")
    status, _, err = write_with(command, link)
    assert status in (0, 1), err
    assert link.is_symlink() and os.readlink(link) == "real.txt"  # was: replaced by a file
    assert real.read_text() != "old\n" and real.read_text()
    assert leftovers(tmp_path) == []


def test_a_dangling_symlink_creates_its_target_and_a_loop_is_refused(tmp_path):
    link = tmp_path / "link.jsonl"
    link.symlink_to("made.jsonl")
    assert run(["batch", "--output", str(link)], ONE)[0] == 0
    assert link.is_symlink() and (tmp_path / "made.jsonl").read_text() == RESULT
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    status, _, err = run(["batch", "--output", str(tmp_path / "a")], ONE)
    assert status == 2 and err == f"orderdoctor: error: {tmp_path / 'a'}: a loop of symbolic links\n"


# ------------------------------------------------------- places that are wrong
@pytest.mark.parametrize("command", ALL)
def test_places_that_cannot_be_written_are_one_line_exit_2(tmp_path, command):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    cases = {
        tmp_path / "adir": "is a folder: give a file name",
        tmp_path / "afile" / "x.out": f"{tmp_path / 'afile'} is a file, not a folder",
        tmp_path / "no" / "such" / "x.out": f"the folder {tmp_path / 'no' / 'such'} does not exist",
    }
    if os.path.isdir("/proc/self"):
        cases[Path("/proc/x.out")] = "files cannot be created in /proc"
    for path, reason in cases.items():
        status, _, err = write_with(command, path)
        assert (status, err) == (2, f"orderdoctor: error: {path}: {reason}\n"), command  # was: exit 70
    assert not (tmp_path / "no").exists()  # folders are never made


def test_permission_denied_is_one_line(tmp_path):
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("needs Linux /sys")
    status, _, err = run(["batch", "--output", "/sys/x.jsonl"], ONE)
    assert status == 2 and err == "orderdoctor: error: /sys/x.jsonl: cannot create a file in /sys: permission denied\n"


# ------------------------------------------------------------ standard output
def test_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(["batch", "--output", "-"], ONE)
    assert status == 0 and out == RESULT
    status, out, _ = run(["kb", "graph", "--output", "-"])
    assert status == 0 and out.startswith("digraph orderdoctor {")
    status, out, _ = run(["kb", "docs", "--output", "-"])
    assert status == 0 and out.startswith("# The rules")
    status, _, err = run(["kb", "test", "--kb", str(MINIMAL_KB), "--junit", "-"])
    assert status == 2 and err == "orderdoctor: error: -: standard output cannot be used here: give a file name\n"
    assert list(tmp_path.iterdir()) == []  # was: a file called '-'


# ------------------------------------------------------------- atomic files
def test_modes_are_kept_new_files_follow_the_umask_and_sessions_are_private(tmp_path):
    kept = tmp_path / "kept.jsonl"
    kept.write_text("old\n")
    kept.chmod(0o640)
    assert run(["batch", "--output", str(kept)], ONE)[0] == 0
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == RESULT
    umask = os.umask(0o022)
    try:
        write_output(tmp_path / "new.txt", "x")
        write_session(tmp_path / "session.json", {})
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "session.json").stat().st_mode) == 0o600


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt):
        with open_output(target) as stream:
            stream.write("half")
            assert leftovers(tmp_path) == [f".t.txt.orderdoctor-{os.getpid()}.tmp"]
            raise KeyboardInterrupt
    assert target.read_text() == "old\n" and leftovers(tmp_path) == []


def test_a_stale_temporary_of_a_dead_process_is_removed_by_the_next_write(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = tmp_path / f".o.jsonl.orderdoctor-{dead}.tmp"
        busy = tmp_path / f".o.jsonl.orderdoctor-{alive.pid}.tmp"
        other = tmp_path / f".p.jsonl.orderdoctor-{dead}.tmp"
        for path in (stale, busy, other):
            path.write_text("partial")
        assert run(["batch", "--output", str(tmp_path / "o.jsonl"), "-"], ONE)[0] == 0
        assert not stale.exists()  # its process is gone
        assert busy.exists() and other.exists()  # a live writer's, another target's
        assert remove_stale_temporaries(str(tmp_path / "p.jsonl")) == [str(other)]
    finally:
        alive.kill()
        alive.wait()


def test_output_error_is_an_os_error():
    with pytest.raises(OSError) as caught:
        write_output("/no/such/folder/x", "x")
    assert isinstance(caught.value, OutputError)
    assert str(caught.value) == "/no/such/folder/x: the folder /no/such/folder does not exist"


# ------------------------------------------------------- the standard streams
def command(*words: str) -> list[str]:
    return [sys.executable, "-m", "orderdoctor.cli", *words]


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "ORDERDOCTOR_CACHE_DIR": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state")}


ADVISE = ("advise", "--set", "order_status=awaiting_payment")


def test_a_closed_standard_output_is_one_line_exit_2(env):
    done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command(*ADVISE)], env=env, capture_output=False,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "orderdoctor: error: standard output: is closed\n")  # was: traceback, 1
    for option in ("-V", "--version"):  # the version is printed before main() guards the streams
        done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command(option)], env=env,
                              stderr=subprocess.PIPE, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (2, "orderdoctor: error: standard output: is closed\n")


def test_a_full_disk_behind_standard_output_or_error_is_one_line_exit_2(tmp_path, env):
    full = device(tmp_path / "full", 1, 7)
    with open(full, "w") as sink:
        done = subprocess.run(command(*ADVISE), env=env, stdout=sink, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "orderdoctor: error: standard output: no space left on the device\n")
    with open(full, "w") as sink:  # a 29 KB graph fills the buffer while main() runs (was: exit 70)
        done = subprocess.run(command("kb", "graph"), env=env, stdout=sink, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "orderdoctor: error: standard output: no space left on the device\n")
    with open(full, "w") as sink:  # the error line cannot be shown; the status still says it (was: 1)
        done = subprocess.run(command("advise", "--set", "order_stat=shipped"), env=env, stdout=subprocess.PIPE,
                              stderr=sink, timeout=60)
    assert done.returncode == 2 and b"Traceback" not in done.stdout


# ---------------------------------------------------------------- kb graph
def test_graph_extension_says_what_is_written(tmp_path):
    status, out, _ = run(["kb", "graph", "--output", str(tmp_path / "g.gv")])
    assert status == 0 and (tmp_path / "g.gv").read_text().startswith("digraph orderdoctor {")
    assert out.startswith("wrote ") and out.endswith(" nodes, dot)\n")
    run(["kb", "graph", "--output", str(tmp_path / "g.mmd")])
    assert (tmp_path / "g.mmd").read_text().startswith("flowchart LR")
    run(["kb", "graph", "--output", str(tmp_path / "g.md")])
    assert (tmp_path / "g.md").read_text().startswith("```mermaid\nflowchart LR")
    status, _, err = run(["kb", "graph", "--output", str(tmp_path / "g.txt")])
    assert status == 2 and "cannot tell what to write from the extension '.txt': use one of .dot (dot)" in err
    status, _, err = run(["kb", "graph", "--format", "mermaid", "--output", str(tmp_path / "g.dot")])
    assert status == 2 and "the extension says dot but --format says mermaid" in err
    status, _, _ = run(["kb", "graph", "--format", "mermaid", "--output", str(tmp_path / "g.txt")])
    assert status == 0 and (tmp_path / "g.txt").read_text().startswith("flowchart LR")  # --format says so
    assert not (tmp_path / "g.dot").exists()


def test_graph_pdf_is_a_pdf_or_refused(tmp_path, monkeypatch):
    target = tmp_path / "g.pdf"
    if shutil.which("dot"):
        status, _, err = run(["kb", "graph", "--around", "open_dispute", "--output", str(target)])
        assert status == 0, err
        assert target.read_bytes().startswith(b"%PDF")  # was: DOT text in a .pdf
        target.unlink()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    status, _, err = run(["kb", "graph", "--output", str(target)])
    assert status == 2 and "Graphviz's 'dot' is not installed" in err and not target.exists()


# ------------------------------------------------------------------ kb docs
def test_kb_docs_writes_beside_the_kb_not_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(["kb", "docs", "--check"])
    assert status == 0 and out.startswith(f"{ROOT / 'docs' / 'rules.md'} is current\n")  # was: ./docs/rules.md is stale
    assert all(line.startswith(str(ROOT)) and line.endswith(" current") for line in out.splitlines())
    assert list(tmp_path.iterdir()) == []
    status, _, err = run(["kb", "docs", "--kb", str(MINIMAL_KB)])
    assert status == 2 and "has no docs/ folder beside it: say where to write with --output FILE" in err
    status, out, _ = run(["kb", "docs", "--kb", str(MINIMAL_KB), "--output", "rules.md"])
    assert status == 0 and (tmp_path / "rules.md").read_text().startswith("# The rules")
    assert out == "wrote rules.md (5 rules)\n"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_picture_is_not_sent_to_a_terminal(tmp_path):
    out, err = Terminal(), io.StringIO()
    status = main(["kb", "graph", "--format", "png"], stdout=out, stderr=err)
    assert status == 2 and out.getvalue() == ""
    assert err.getvalue() == "orderdoctor: error: a PNG picture is not for a terminal: use --output graph.png, or redirect\n"


@pytest.mark.parametrize("pid", ["²", "99999999999999999999", "12a", "-3", ""])
def test_odd_temporary_names_never_fail_a_write(tmp_path, pid):
    """A file named like a temporary but with no usable PID is left alone; the write goes on
    (was: ValueError / OverflowError, exit 70 — also at every save of `ask`)."""
    odd = tmp_path / f".o.jsonl.orderdoctor-{pid}.tmp"
    odd.write_text("not ours")
    assert run(["batch", "--output", str(tmp_path / "o.jsonl"), "-"], ONE)[0] == 0
    assert odd.exists() and (tmp_path / "o.jsonl").exists()
    write_session(tmp_path / "s.json", {"version": 1})  # the session writer too
    (tmp_path / f".s.json.orderdoctor-{pid}.tmp").write_text("x")
    write_session(tmp_path / "s.json", {"version": 1})


def test_a_temporary_whose_writer_holds_its_lock_is_never_removed(tmp_path):
    """A writer in another PID namespace has a PID that means nothing here; its lock says it is alive."""
    pytest.importorskip("fcntl")
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    busy = tmp_path / f".o.jsonl.orderdoctor-{int(done.stdout)}.tmp"  # a PID no process has here
    busy.write_text("being written")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); "
         "print('locked', flush=True); time.sleep(60)", str(busy)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert remove_stale_temporaries(str(tmp_path / "o.jsonl")) == []
        assert busy.exists()
    finally:
        holder.kill()
        holder.wait()
    assert remove_stale_temporaries(str(tmp_path / "o.jsonl")) == [str(busy)]


def test_a_device_swapped_in_after_the_check_is_not_written(tmp_path, monkeypatch):
    """Between the check of the path and its opening, a sink device is replaced by another one:
    nothing is written to the other device."""
    import orderdoctor.cli.output as output

    target = device(tmp_path / "null", 1, 3)
    real_open = os.open

    def swapping_open(path, flags, *args):
        if str(path) == str(target) and not target.is_symlink() and same_device(target, 1, 3):
            target.unlink()
            device(target, 1, 8)  # /dev/random's numbers: not a sink
        return real_open(path, flags, *args)

    monkeypatch.setattr(output.os, "open", swapping_open)
    with pytest.raises(OutputError) as caught:
        with open_output(str(target)) as stream:
            stream.write("secret")
    assert "changed while it was opened" in str(caught.value)
