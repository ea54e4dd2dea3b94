"""Ctrl-C ends the `fidle-examples` command within seconds, whatever TensorFlow is doing.

Python turns SIGINT into KeyboardInterrupt only when the main thread runs Python code
again. A main thread stuck in a native call, or an interpreter teardown that waits on
native code (atexit functions, destructors), can make Ctrl-C do nothing: once in a CI
run, a `run` that had received it was still alive, sleeping with 25 threads, 120 s
later (cause not found, not reproduced in 43 tries). Hence two guards:

- after an interruption the command leaves with os._exit (exit_after): nothing is left to
  save, and the teardown is skipped;
- a watcher thread, woken by the signal itself (signal.set_wakeup_fd, written from the C
  handler, whichever thread receives it), ends the process GRACE_S seconds after the
  first Ctrl-C if the main thread has not done so, and at once on a second Ctrl-C.

Neither ends the process during a results swap (core.atomic.SWAP_LOCK): the previous
results or the new ones stay whole. A forced end skips the cleanup of the run's
temporary folders, which may be left behind, as after a power cut. The watcher is Python
code: a main thread stuck while holding the GIL stops it too (then only another signal
ends the process: SIGTERM, SIGQUIT or SIGKILL, none of which Python handles).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from typing import Callable, Iterator

from fidle_examples.core import atomic

MESSAGE = "\nInterrompu : aucun résultat partiel n'a été enregistré."
EXIT_CODE = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
GRACE_S = 5.0  # TensorFlow's own unwinding takes well under a second here

_announced = threading.Event()  # the command itself said it was interrupted


def announce() -> None:
    """Print the interruption message (the command line's own `except KeyboardInterrupt`)."""
    print(MESSAGE, file=sys.stderr, flush=True)
    _announced.set()


def exit_now(code: int = EXIT_CODE, flush: bool = True) -> None:
    """Leave at once, without the interpreter's teardown, but never mid-swap. The
    watcher does not flush: a main thread stuck writing to a full pipe holds the
    stream's lock."""
    if threading.current_thread() is threading.main_thread():
        # A handler that does nothing, not SIG_IGN: a further Ctrl-C still wakes the
        # watcher. Installing it may raise a KeyboardInterrupt already pending.
        signal.signal(signal.SIGINT, lambda signum, frame: None)
    if flush:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    atomic.SWAP_LOCK.acquire()  # kept: no swap starts after this
    os._exit(code)


def _leave_from_watcher() -> None:
    exit_now(flush=False)


def watch(wakeup: socket.socket, grace_s: float = GRACE_S,
          leave: Callable[[], None] = _leave_from_watcher) -> None:
    """The watcher's loop: read the signal numbers that the C handler writes to `wakeup`;
    after a first SIGINT, `leave` when `grace_s` has passed or at a second SIGINT; return
    when the other end closes (the command has ended)."""
    deadline = None
    while True:
        # At least 1 ms: a timeout of 0 would make the socket non-blocking.
        wakeup.settimeout(None if deadline is None
                          else max(0.001, deadline - time.monotonic()))
        try:
            received = wakeup.recv(64)
        except TimeoutError:
            received = None  # the grace period is over
        except OSError:
            return
        if received == b"":
            return
        count = 0 if received is None else received.count(signal.SIGINT)
        if deadline is None and count == 1:
            deadline = time.monotonic() + grace_s
        elif received is None or count:
            if not _announced.is_set():  # written past sys.stderr, which may be locked
                os.write(2, (MESSAGE + "\n").encode())
            leave()
            return


def _watch_then_close(reader: socket.socket, grace_s: float) -> None:
    with reader:
        watch(reader, grace_s)


@contextlib.contextmanager
def guarded(grace_s: float | None = None) -> Iterator[None]:
    """Run the body with the watcher on (main thread only, where SIGINT has Python's
    handler: under a background job's ignored SIGINT there is nothing to watch)."""
    grace_s = GRACE_S if grace_s is None else grace_s
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch_then_close, args=(reader, grace_s),
                               daemon=True, name="fidle-ctrl-c")
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        writer.close()  # the watcher reads the end of the stream and returns


def exit_after(command: Callable[[], int]) -> None:
    """Run `command` guarded and exit with its code; after an interruption (code 130),
    without the interpreter's teardown."""
    with guarded():
        try:
            code = command()
        except KeyboardInterrupt:  # outside the command's own handler, or a second Ctrl-C
            code = EXIT_CODE
        while code == EXIT_CODE:  # until exit_now's handler is in, a Ctrl-C raises
            try:
                if not _announced.is_set():
                    announce()
                exit_now(code)
            except KeyboardInterrupt:
                pass
    sys.exit(code)  # a teardown that hangs after a normal end is not watched
