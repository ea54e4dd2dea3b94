"""Chromium and a static HTTP server, for every tool that opens the built site in a
browser: the browser tests, the Lighthouse bench, the PDF script, the Mermaid hook.

    chromium = find_chromium()          # None when there is none
    with static_server(site) as url:    # "http://127.0.0.1:PORT/"
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
"""

from __future__ import annotations

import contextlib
import gzip as gzip_mod
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

# The one override: a path given there is the only candidate (absent or not runnable:
# no Chromium, so that a test can hide the browser).
ENV_CHROMIUM = "FIDLE_CHROMIUM"

# Looked up on PATH, on every system (Linux packages; Homebrew or Scoop may add them).
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LINUX_PATHS = (Path("/usr/bin/chromium"),)  # Debian's, when PATH is minimal (cron, CI)
MACOS_APPLICATIONS = Path("/Applications")
MACOS_APPS = ("Google Chrome.app/Contents/MacOS/Google Chrome",
              "Chromium.app/Contents/MacOS/Chromium")
# Windows installs: per machine (Program Files, both) or per user (LocalAppData).
WINDOWS_ROOTS = ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
WINDOWS_APPS = (("Google", "Chrome", "Application", "chrome.exe"),
                ("Chromium", "Application", "chrome.exe"))

# From /work/shared/notes/offline-site.md: headless, no sandbox (root in containers), no
# GPU, and no traffic of Chromium's own that could reach another host.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def find_chromium() -> str | None:
    """The path of Chromium or Chrome: FIDLE_CHROMIUM when set (and only it), else the
    first of PATH_NAMES on PATH, else where this system's installers put it; None."""
    explicit = os.environ.get(ENV_CHROMIUM, "").strip()
    if explicit:
        return explicit if _runnable(Path(explicit)) else None
    for name in PATH_NAMES:
        found = shutil.which(name)
        if found and _runnable(Path(found)):
            return found
    for candidate in _installed_paths():
        if _runnable(candidate):
            return str(candidate)
    return None


def _installed_paths() -> list[Path]:
    if sys.platform == "darwin":
        return [MACOS_APPLICATIONS / app for app in MACOS_APPS]
    if sys.platform == "win32":
        roots = [os.environ.get(name, "") for name in WINDOWS_ROOTS]
        return [Path(root, *app) for root in roots if root for app in WINDOWS_APPS]
    return list(LINUX_PATHS)


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


# --- the static server ---------------------------------------------------------------

# Types a production static host (GitHub Pages, nginx) sends compressed; without it
# Lighthouse measures a site far heavier than the one readers download.
_COMPRESSED_TYPES = ("text/", "application/javascript", "application/json",
                     "image/svg+xml", "application/xml")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, as `python -m http.server` sends them; silent."""

    def log_message(self, format, *args):  # noqa: A002 - keep tables and test output clean
        pass

    def end_headers(self):
        # LinkChecker waits 0.1-0.6 s between two requests to a host unless the host
        # answers with this header: the whole site is checked in seconds.
        self.send_header("LinkChecker", "no-rate-limit")
        super().end_headers()


class _GzipHandler(_QuietHandler):
    """Text types gzip-compressed, for a client that accepts it."""

    def send_head(self):
        if "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().send_head()
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the parent sends the redirect
            path = path / "index.html"
        ctype = self.guess_type(str(path))
        if not path.is_file() or not ctype.startswith(_COMPRESSED_TYPES):
            return super().send_head()
        body = gzip_mod.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return _BytesReader(body)


class _BytesReader:
    """The file-like object send_head returns, for an in-memory body."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self, *_):
        data, self._data = self._data, b""
        return data

    def close(self):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Browsers and LinkChecker close connections early (cancelled loads): not a
        # server problem, and the traceback would clutter the output.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def static_server(folder: Path | str, gzip: bool = False) -> Iterator[str]:
    """`folder` served on 127.0.0.1 (a free port) from a thread, for the block; yields
    the base URL, "http://127.0.0.1:PORT/". With gzip, text types are compressed as a
    production host does; without, files are sent as they are."""
    handler = partial(_GzipHandler if gzip else _QuietHandler, directory=str(folder))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
