"""Build a MkDocs site into a folder, serve it on loopback, list its pages."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = [sys.executable, "-m", "mkdocs"]

# Types a production static host (GitHub Pages, nginx) sends compressed; without
# it Lighthouse measures a site far heavier than the one readers download.
_COMPRESSED_TYPES = ("text/", "application/javascript", "application/json",
                     "image/svg+xml", "application/xml")


def build_site(site_dir: Path, *, config: Path | None = None,
               env: dict[str, str] | None = None, timeout: float = 900) -> None:
    """`mkdocs build` into site_dir; raises RuntimeError with mkdocs' output on failure."""
    cmd = [*MKDOCS, "build", "--clean", "-d", str(site_dir)]
    if config is not None:
        cmd += ["-f", str(config)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(
            f"La construction du site a échoué (code {proc.returncode}) :\n"
            + (proc.stdout + proc.stderr)[-6000:])


def site_pages(site_dir: Path) -> list[str]:
    """URL paths of the pages of a built site ("" for the home page, "cours/svm/"...).

    Every HTML file except 404.html, anything under assets/ (vendored files) and the
    old addresses that only redirect to a page (mkdocs-redirects, tested apart in
    test_redirects.py), so that pages added later are checked without editing the tests.
    """
    pages = []
    for html in sorted(site_dir.rglob("*.html")):
        rel = html.relative_to(site_dir).as_posix()
        if rel == "404.html" or rel.startswith("assets/"):
            continue
        if 'http-equiv="refresh"' in html.read_text(encoding="utf-8")[:2000]:
            continue
        pages.append(rel.removesuffix("index.html"))
    return pages


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed for text types; silent."""

    def log_message(self, format, *args):  # noqa: A002 - keep pytest output clean
        pass

    def end_headers(self):
        # LinkChecker waits 0.1-0.6 s between two requests to a host unless the
        # host answers with this header: the whole site is checked in seconds.
        self.send_header("LinkChecker", "no-rate-limit")
        super().end_headers()

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
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
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
        # Browsers and LinkChecker close connections early (cancelled loads):
        # not a server problem, and the traceback would clutter the test output.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StaticServer:
    """A built site served on 127.0.0.1 (free port) from a daemon thread."""

    def __init__(self, directory: Path):
        handler = partial(_GzipHandler, directory=str(directory))
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> "StaticServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def write_small_site(pages: Path, dest: Path) -> Path:
    """A small site with the project's real configuration, theme, hooks and
    vendored assets but the pages of `pages`; returns its mkdocs.yml.

    The config inherits the project's mkdocs.yml and keeps only the search
    plugin, so that building it trains nothing. The project's top-level folders
    (overrides/, src/...) are linked beside it: the paths that mkdocs.yml gives
    relative to itself resolve the same way.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in ("docs", "site"):
            (dest / entry.name).symlink_to(entry, target_is_directory=True)
    docs = dest / "docs"
    shutil.copytree(ROOT / "docs" / "assets", docs / "assets")
    shutil.copytree(pages, docs, dirs_exist_ok=True)
    nav = sorted(p.relative_to(pages).as_posix() for p in pages.rglob("*.md"))
    config = {
        "INHERIT": str(ROOT / "mkdocs.yml"),
        "site_name": "Site de contrôle des tests navigateur",
        "plugins": [{"search": {"lang": "fr"}}],
        "nav": nav,
    }
    path = dest / "mkdocs.yml"
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
