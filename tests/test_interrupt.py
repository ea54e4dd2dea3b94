"""Ctrl-C ends the command line even when it is stuck (fidle_examples.interrupt), and never
in the middle of a results swap (core.atomic: SWAP_LOCK, Ctrl-C deferred in the swap).

The processes below stand for what a TensorFlow run can do after Ctrl-C: a main thread
stuck in a native call that signals do not end (a glibc mutex locked twice by the same
thread), or a teardown that waits forever. Each is also run without the guard, to show
it really hangs there."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fidle_examples import interrupt
from fidle_examples.core import atomic
from support import as_from_a_terminal

STUCK = """
import ctypes, sys, threading, time
from fidle_examples import interrupt

def say_ready():
    # Ready once the main thread sleeps (in the mutex) at two looks 50 ms apart.
    stat = f"/proc/self/task/{threading.main_thread().native_id}/stat"
    asleep = 0
    while asleep < 2:
        time.sleep(0.05)
        state = open(stat).read().rsplit(")", 1)[1].split()[0]
        asleep = asleep + 1 if state == "S" else 0
    print("prêt", flush=True)

def command():
    threading.Thread(target=say_ready, daemon=True).start()
    # A native deadlock, which Python's signal handling never interrupts (as a native
    # wait of TensorFlow's can be): a mutex locked twice by the same thread.
    libc = ctypes.CDLL(None)
    mutex = ctypes.create_string_buffer(256)
    libc.pthread_mutex_init(mutex, None)
    libc.pthread_mutex_lock(mutex)
    libc.pthread_mutex_lock(mutex)
    return 0
"""

TEARDOWN = """
import atexit, sys, threading
from fidle_examples import interrupt

def command():
    atexit.register(threading.Event().wait)  # a teardown that never ends
    try:
        print("prêt", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        interrupt.announce()
        return interrupt.EXIT_CODE
    return 0
"""


def start(body: str, last_line: str) -> subprocess.Popen:
    """A child running `body` then `last_line`, stopped by Ctrl-C as from a terminal."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(body) + last_line],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=as_from_a_terminal, start_new_session=True)
    assert child.stdout.readline() == "prêt\n", child.stderr.read()
    return child


def ctrl_c(child: subprocess.Popen, times: int = 1) -> float:
    for _ in range(times):
        os.killpg(child.pid, signal.SIGINT)
        time.sleep(0.05)
    return time.monotonic()


def ended_within(child: subprocess.Popen, seconds: float) -> bool:
    try:
        child.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return False


# --- the processes (Linux: a terminal's Ctrl-C, a native deadlock) ----------------------

linux_only = pytest.mark.skipif(sys.platform != "linux",
                                reason="Ctrl-C d'un terminal et verrou natif de la glibc")


def said_interrupted_once(child: subprocess.Popen) -> bool:
    """Exit code 130 and the interruption message, once."""
    return child.returncode == 130 and child.stderr.read().count(
        "Interrompu : aucun résultat partiel n'a été enregistré.") == 1


@linux_only
@pytest.mark.parametrize("body", [STUCK, TEARDOWN], ids=["code-natif", "fermeture"])
def test_without_the_guard_these_commands_outlive_ctrl_c(body):
    child = start(body, "sys.exit(command())")
    ctrl_c(child)
    assert not ended_within(child, 1.5)  # the guarded ones end within 0.5 s


@linux_only
def test_the_guard_ends_a_stuck_command_after_the_grace_period():
    child = start(STUCK, "interrupt.GRACE_S = 0.5\ninterrupt.exit_after(command)")
    sent = ctrl_c(child)
    assert ended_within(child, 30)
    assert time.monotonic() - sent >= 0.45  # the watcher waited for the main thread first
    assert said_interrupted_once(child)


@linux_only
def test_a_second_ctrl_c_ends_a_stuck_command_at_once():
    child = start(STUCK, "interrupt.GRACE_S = 600.0\ninterrupt.exit_after(command)")
    ctrl_c(child, times=2)
    assert ended_within(child, 30)
    assert said_interrupted_once(child)


@linux_only
def test_after_ctrl_c_the_guard_skips_the_teardown():
    child = start(TEARDOWN, "interrupt.GRACE_S = 600.0\ninterrupt.exit_after(command)")
    ctrl_c(child)
    assert ended_within(child, 30)
    assert said_interrupted_once(child)  # said by the command, not again by the watcher


@linux_only
def test_an_interruption_the_command_did_not_catch_is_reported_too():
    body = """
        from fidle_examples import interrupt
        print("prêt", flush=True)

        def command():
            raise KeyboardInterrupt
        """
    child = start(body, "interrupt.exit_after(command)")
    assert ended_within(child, 30)
    assert said_interrupted_once(child)


@linux_only
def test_without_ctrl_c_the_exit_code_and_the_teardown_are_the_usual_ones(tmp_path):
    marker = tmp_path / "atexit"
    body = f"""
        import atexit, pathlib
        from fidle_examples import interrupt
        atexit.register(pathlib.Path({str(marker)!r}).write_text, "fait")
        print("prêt", flush=True)
        """
    child = start(body, "interrupt.exit_after(lambda: 3)")
    assert ended_within(child, 30)
    assert child.returncode == 3
    assert marker.read_text() == "fait"


@linux_only
def test_the_process_never_ends_between_the_two_renames_of_a_swap(tmp_path):
    marker = tmp_path / "swapped"
    body = f"""
        import pathlib, threading, time
        from fidle_examples import interrupt
        from fidle_examples.core import atomic

        inside = threading.Event()

        def swap():
            with atomic.SWAP_LOCK:
                inside.set()
                time.sleep(0.5)
                pathlib.Path({str(marker)!r}).write_text("fait")

        threading.Thread(target=swap).start()
        inside.wait()
        print("prêt", flush=True)
        """
    child = start(body, "interrupt.exit_now(130)")
    assert ended_within(child, 30)
    assert child.returncode == 130
    assert marker.read_text() == "fait"


# --- the watcher's loop, in this process -----------------------------------------------

@contextlib.contextmanager
def sigint_handled_by(handler):
    """SIGINT handled by `handler` in this process for the body, then as before."""
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler in this process, even under `make test &`, where a
    shell starts pytest with SIGINT ignored."""
    with sigint_handled_by(signal.default_int_handler):
        yield


@pytest.fixture
def pair():
    reader, writer = socket.socketpair()
    yield reader, writer
    reader.close()
    writer.close()


def watch_in_thread(reader, grace_s):
    left = []
    thread = threading.Thread(target=interrupt.watch,
                              args=(reader, grace_s, lambda: left.append(time.monotonic())))
    thread.start()
    return thread, left


def test_the_watcher_returns_when_the_command_ends(pair):
    reader, writer = pair
    thread, left = watch_in_thread(reader, 0.1)
    writer.close()
    thread.join(5)
    assert not thread.is_alive() and left == []


def test_a_command_that_ends_within_the_grace_period_is_left_alone(pair):
    reader, writer = pair
    thread, left = watch_in_thread(reader, 5)
    writer.send(bytes([signal.SIGINT]))
    time.sleep(0.2)
    writer.close()
    thread.join(5)
    assert not thread.is_alive() and left == []


def test_one_ctrl_c_leaves_when_the_grace_period_is_over(pair, capfd):
    reader, writer = pair
    interrupt._announced.clear()
    thread, left = watch_in_thread(reader, 0.3)
    sent = time.monotonic()
    writer.send(bytes([signal.SIGINT]))
    thread.join(5)
    assert len(left) == 1 and 0.25 <= left[0] - sent < 5
    assert "Interrompu" in capfd.readouterr().err


def test_two_ctrl_c_leave_at_once(pair):
    reader, writer = pair
    thread, left = watch_in_thread(reader, 60)
    sent = time.monotonic()
    writer.send(bytes([signal.SIGINT]))
    time.sleep(0.05)
    writer.send(bytes([signal.SIGINT]))
    thread.join(5)
    assert len(left) == 1 and left[0] - sent < 5


def test_other_signals_do_not_count(pair):
    reader, writer = pair
    thread, left = watch_in_thread(reader, 0.1)
    writer.send(bytes([signal.SIGTERM, signal.SIGCHLD]))
    time.sleep(0.3)
    writer.close()
    thread.join(5)
    assert left == []


def test_the_message_is_not_repeated_once_the_command_said_it(pair, capsys):
    reader, writer = pair
    interrupt.announce()
    capsys.readouterr()
    thread, left = watch_in_thread(reader, 0)
    writer.send(bytes([signal.SIGINT]))
    thread.join(5)
    interrupt._announced.clear()
    assert left and capsys.readouterr().err == ""


def test_no_watcher_where_sigint_is_ignored():
    with sigint_handled_by(signal.SIG_IGN), interrupt.guarded():
        names = [t.name for t in threading.enumerate()]
        wakeup = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(wakeup)
    assert "fidle-ctrl-c" not in names and wakeup == -1


def test_the_guard_starts_and_stops_its_watcher(python_sigint):
    with interrupt.guarded():
        watcher = next(t for t in threading.enumerate() if t.name == "fidle-ctrl-c")
        wakeup = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(wakeup)
    watcher.join(5)
    assert wakeup != -1 and not watcher.is_alive()
    assert signal.set_wakeup_fd(-1) == -1  # given back


# --- the swap itself -------------------------------------------------------------------

@pytest.fixture
def previous_folder(tmp_path):
    target = tmp_path / "wine"
    target.mkdir()
    (target / "result.json").write_text("ancien")
    return target


def replace_then(monkeypatch, which: int, then):
    """os.replace as seen by core.atomic, calling `then()` at its `which`-th call
    (1: the previous folder set aside, 2: the new one put in its place)."""
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(src)
        if len(calls) == which:
            return then(lambda: real_replace(src, dst))
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)


def refuse(rename):
    """A rename the system refuses."""
    raise PermissionError(13, "Permission denied")


def swap_new_content(target: Path) -> None:
    with atomic.folder(target) as staging:
        (staging / "result.json").write_text("nouveau")


@pytest.mark.parametrize("which", [1, 2], ids=["premier-renommage", "second-renommage"])
def test_ctrl_c_during_a_rename_takes_effect_once_the_swap_is_over(previous_folder,
                                                                   monkeypatch, which,
                                                                   python_sigint):
    def rename_then_ctrl_c(rename):
        rename()  # the rename succeeds, and Ctrl-C arrives just as it returns
        signal.raise_signal(signal.SIGINT)

    replace_then(monkeypatch, which, rename_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        swap_new_content(previous_folder)
    monkeypatch.undo()
    assert (previous_folder / "result.json").read_text() == "nouveau"
    assert atomic.leftovers(previous_folder) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert not atomic.SWAP_LOCK.locked()


def test_a_failed_second_rename_puts_the_previous_folder_back(previous_folder, monkeypatch):
    replace_then(monkeypatch, 2, refuse)
    with pytest.raises(PermissionError):
        swap_new_content(previous_folder)
    monkeypatch.undo()
    assert (previous_folder / "result.json").read_text() == "ancien"
    assert atomic.leftovers(previous_folder) == []
    assert not atomic.SWAP_LOCK.locked()


def test_a_ctrl_c_during_a_failed_swap_is_still_a_ctrl_c(previous_folder, monkeypatch,
                                                         python_sigint):
    def ctrl_c_then_fail(rename):
        signal.raise_signal(signal.SIGINT)
        refuse(rename)

    replace_then(monkeypatch, 2, ctrl_c_then_fail)
    with pytest.raises(KeyboardInterrupt):
        swap_new_content(previous_folder)
    monkeypatch.undo()
    assert (previous_folder / "result.json").read_text() == "ancien"
    assert atomic.leftovers(previous_folder) == []


def test_when_the_previous_folder_cannot_be_put_back_it_stays_in_a_leftover(
        previous_folder, monkeypatch):
    replace_then(monkeypatch, 2, refuse)
    real_replace = atomic.os.replace

    def replace(src, dst):  # and the third rename, putting the previous one back, fails
        if Path(src).name == "previous":
            raise OSError(39, "Directory not empty")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(OSError):
        swap_new_content(previous_folder)
    monkeypatch.undo()
    kept = atomic.leftovers(previous_folder)
    assert [p.suffix for p in kept] == [".old"]
    assert (kept[0] / "previous" / "result.json").read_text() == "ancien"


def test_an_ignored_ctrl_c_stays_ignored_during_a_swap(previous_folder, monkeypatch):
    seen = []

    def look_then_rename(rename):
        seen.append(signal.getsignal(signal.SIGINT))
        rename()
        signal.raise_signal(signal.SIGINT)

    replace_then(monkeypatch, 2, look_then_rename)
    with sigint_handled_by(signal.SIG_IGN):
        swap_new_content(previous_folder)
    assert seen == [signal.SIG_IGN]
    assert (previous_folder / "result.json").read_text() == "nouveau"


def test_a_custom_handler_gets_the_ctrl_c_once_the_new_folder_is_in(previous_folder,
                                                                   monkeypatch):
    calls = []
    replace_then(monkeypatch, 1, lambda rename: (rename(), signal.raise_signal(signal.SIGINT)))

    def handler(signum, frame):
        calls.append((signum, (previous_folder / "result.json").read_text()))

    with sigint_handled_by(handler):
        swap_new_content(previous_folder)
    assert calls == [(signal.SIGINT, "nouveau")]


def test_a_swap_in_another_thread_leaves_the_handler_alone(previous_folder, monkeypatch,
                                                          python_sigint):
    seen = []
    replace_then(monkeypatch, 2, lambda rename: (seen.append(signal.getsignal(signal.SIGINT)),
                                                 rename()))
    thread = threading.Thread(target=swap_new_content, args=(previous_folder,))
    thread.start()
    thread.join(10)
    assert seen == [signal.default_int_handler]
    assert (previous_folder / "result.json").read_text() == "nouveau"


@linux_only
def test_with_sigint_at_its_default_the_process_ends_once_the_swap_is_over(previous_folder):
    body = f"""
        import os, pathlib, signal
        from fidle_examples.core import atomic
        real_replace = os.replace

        def replace(src, dst):
            real_replace(src, dst)
            if pathlib.Path(src).suffix == ".tmp":
                signal.raise_signal(signal.SIGINT)

        atomic.os.replace = replace
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        print("prêt", flush=True)
        target = pathlib.Path({str(previous_folder)!r})
        with atomic.folder(target) as staging:
            (staging / "result.json").write_text("nouveau")
        print("pas ici", flush=True)
        """
    child = start(body, "")
    assert ended_within(child, 30)
    assert child.returncode == -signal.SIGINT and child.stdout.read() == ""
    assert (previous_folder / "result.json").read_text() == "nouveau"
    assert atomic.leftovers(previous_folder) == []
