"""fidle_examples.browser: finding Chromium or Chrome on each system, and the static
server the browser tests, the bench and the PDF script open the site with."""

from __future__ import annotations

import gzip as gzip_mod
import socket
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fidle_examples import browser


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def nothing_installed(monkeypatch, tmp_path):
    """No override, nothing on PATH, no Linux path, an empty /Applications, and no
    Windows folders: each test then installs one browser."""
    monkeypatch.delenv(browser.ENV_CHROMIUM, raising=False)
    for name in browser.WINDOWS_ROOTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.setattr(browser, "LINUX_PATHS", (tmp_path / "usr" / "bin" / "chromium",))
    monkeypatch.setattr(browser, "MACOS_APPLICATIONS", tmp_path / "Applications")
    return tmp_path


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_nothing_installed_is_none(nothing_installed, monkeypatch, platform):
    monkeypatch.setattr(browser.sys, "platform", platform)
    assert browser.find_chromium() is None


@pytest.mark.parametrize("name", browser.PATH_NAMES)
def test_found_on_path_by_each_name(nothing_installed, monkeypatch, name):
    found = _executable(nothing_installed / "bin" / name)
    monkeypatch.setattr(browser.shutil, "which", lambda n: str(found) if n == name else None)
    assert browser.find_chromium() == str(found)


def test_debian_path_when_path_is_minimal(nothing_installed, monkeypatch):
    monkeypatch.setattr(browser.sys, "platform", "linux")
    debian = _executable(browser.LINUX_PATHS[0])
    assert browser.find_chromium() == str(debian)
    monkeypatch.setattr(browser.sys, "platform", "darwin")  # a Linux path only on Linux
    assert browser.find_chromium() is None


@pytest.mark.parametrize("app", browser.MACOS_APPS)
def test_found_in_macos_applications(nothing_installed, monkeypatch, app):
    monkeypatch.setattr(browser.sys, "platform", "darwin")
    installed = _executable(browser.MACOS_APPLICATIONS / app)
    assert browser.find_chromium() == str(installed)


@pytest.mark.parametrize("root", browser.WINDOWS_ROOTS)
@pytest.mark.parametrize("app", browser.WINDOWS_APPS)
def test_found_in_each_windows_folder(nothing_installed, monkeypatch, root, app):
    monkeypatch.setattr(browser.sys, "platform", "win32")
    folder = nothing_installed / root.replace("(", "").replace(")", "")
    monkeypatch.setenv(root, str(folder))
    installed = _executable(folder.joinpath(*app))
    assert browser.find_chromium() == str(installed)
    monkeypatch.setattr(browser.sys, "platform", "linux")  # Windows folders only there
    assert browser.find_chromium() is None


def test_the_override_is_the_only_candidate(nothing_installed, monkeypatch):
    on_path = _executable(nothing_installed / "bin" / "chromium")
    monkeypatch.setattr(browser.shutil, "which", lambda n: str(on_path))
    assert browser.find_chromium() == str(on_path)
    chosen = _executable(nothing_installed / "mon-chrome")
    monkeypatch.setenv(browser.ENV_CHROMIUM, str(chosen))
    assert browser.find_chromium() == str(chosen)
    # A wrong override hides the browser rather than falling back (tests rely on it).
    monkeypatch.setenv(browser.ENV_CHROMIUM, str(nothing_installed / "pas-de-chromium"))
    assert browser.find_chromium() is None


def test_a_file_that_cannot_run_is_not_a_browser(nothing_installed, monkeypatch):
    monkeypatch.setattr(browser.sys, "platform", "linux")
    plain = browser.LINUX_PATHS[0]
    plain.parent.mkdir(parents=True)
    plain.write_text("pas un programme", encoding="utf-8")
    plain.chmod(0o644)
    assert browser.find_chromium() is None
    plain.chmod(0o755)
    assert browser.find_chromium() == str(plain)


def test_flags_keep_chromium_headless_and_offline():
    assert "--headless" in browser.CHROMIUM_FLAGS
    assert "--disable-background-networking" in browser.CHROMIUM_FLAGS
    assert all(flag.startswith("--") for flag in browser.CHROMIUM_FLAGS)


def _get(url: str, gzip: bool = False):
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                timeout=10) as response:
        return response.status, response.headers, response.read()


@pytest.mark.parametrize("gzip", [False, True])
def test_static_server_serves_the_folder_then_frees_its_port(tmp_path, gzip):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text("<p>Bonjour</p>", encoding="utf-8")
    with browser.static_server(tmp_path, gzip=gzip) as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        status, headers, body = _get(url + "page/", gzip=True)
        assert status == 200
        assert headers.get("Content-Encoding") == ("gzip" if gzip else None)
        assert (gzip_mod.decompress(body) if gzip else body) == b"<p>Bonjour</p>"
        assert _get(url + "page/")[2] == b"<p>Bonjour</p>"  # no gzip asked: plain
        with pytest.raises(urllib.error.HTTPError) as missing:
            _get(url + "absente.html")
        assert missing.value.code == 404
        port = int(url.rsplit(":", 1)[1].rstrip("/"))
    with pytest.raises(OSError):  # nobody listens any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.socket() as again:  # and the port can be listened on again (the
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closed links wait)
        again.bind(("127.0.0.1", port))
        again.listen()
