"""Atomic writes: a reader sees the old file (or folder) or the new one, whole, never a
half-written one. The one place that does it, for results, references, cache entries,
figures and the Mermaid hook's SVGs."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterator

# Held across the two renames of a folder swap; the command line's Ctrl-C watcher
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
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old",
                                        dir=target.parent))
            with SWAP_LOCK:
                os.replace(target, old / "previous")
                try:
                    os.replace(staging, target)
                except BaseException:  # Ctrl-C between the renames: the previous one back
                    os.replace(old / "previous", target)
                    shutil.rmtree(old, ignore_errors=True)
                    raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def leftovers(target: Path) -> list[Path]:
    """The temporary folders an interrupted `folder(target)` may have left."""
    target = Path(target)
    return [p for p in target.parent.glob(f".{target.name}.*") if p.suffix in (".tmp", ".old")]
