"""Atomic writes: a reader sees the old file (or folder) or the new one, whole, never a
half-written one. The one place that does it, for results, references, cache entries,
figures and the Mermaid hook's SVGs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator

# Held across the renames of a folder swap; the command line's Ctrl-C watcher
# (fidle_examples.interrupt) takes it before ending the process, so that it never ends
# between them.
SWAP_LOCK = threading.Lock()


def write_bytes(path: Path, data: bytes) -> None:
    """Write into a temporary sibling, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def folder(target: Path, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of `target` to fill; on success it replaces `target`
    with renames (an interruption leaves the previous complete folder, at worst with a
    stray `.NAME.*.tmp` beside it); on failure it is removed and `target` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent))
    try:
        yield staging
        if fsync:
            for path in staging.iterdir():
                with path.open("rb") as stream:
                    os.fsync(stream.fileno())
        with _ctrl_c_deferred(), SWAP_LOCK:
            _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # nothing left once swapped in
        raise


def _swap(staging: Path, target: Path) -> None:
    """Put `staging` in the place of `target`. A failed rename leaves `target` as it
    was; should putting it back fail too, it stays in a `.NAME.*.old` folder, which
    leftovers() finds."""
    if not target.exists():
        os.replace(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    try:
        os.replace(target, old / "previous")
    except OSError:
        os.rmdir(old)
        raise
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(old / "previous", target)
        os.rmdir(old)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """In the main thread, a Ctrl-C during the swap takes effect once it is over: Python
    raises KeyboardInterrupt after the call that was running, even a rename that has
    just succeeded, so an interruption between or during the renames could not be
    undone reliably. Other threads never receive KeyboardInterrupt."""
    previous = signal.getsignal(signal.SIGINT)
    if (threading.current_thread() is not threading.main_thread()
            or previous in (None, signal.SIG_IGN)):  # None: a handler from outside Python
        yield
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:  # even when the swap failed: the Ctrl-C was pressed
        signal.signal(signal.SIGINT, previous)
        if received:
            if previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)
            else:  # Python's default handler raises KeyboardInterrupt
                previous(signal.SIGINT, sys._getframe())


def leftovers(target: Path) -> list[Path]:
    """The temporary folders an interrupted `folder(target)` may have left."""
    target = Path(target)
    return [p for p in target.parent.glob(f".{target.name}.*") if p.suffix in (".tmp", ".old")]
