"""`mkdocs serve` answers at once and fills the pages in as the examples train (issue
#23): the pages of examples still training show a placeholder (which example, how many
are ready, the command), each page reloads itself through MkDocs' live reload when its
results arrive, and a failing example shows its French error on its page and in the
terminal."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html import escape as html_escape
from pathlib import Path

import pytest

from fidle_examples.core import registry
from support import ROOT, build_env, make_project

# Seconds from `mkdocs serve` starting to its first page (the cold cache trains nothing
# before it). Issue #23 measures 15 s on an idle 2-core machine; loaded test machines
# (other builds beside) may set more.
FIRST_PAGE_S = float(os.environ.get("FIDLE_SERVE_FIRST_PAGE_S", "15"))
# `make test` (scripts/test.sh) runs part of the suite in a second pytest beside this one
# (the tests that use neither the session's trainings nor its site, the browser nor the
# slow ones); this file appears when it is over, however it ends.
BESIDE_END = os.environ.get("FIDLE_TESTS_BESIDE_END")
PENDING = "Résultats en cours d'entraînement"
PROVENANCE = "Comment ces résultats ont été obtenus"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, project: Path, cache: Path, log: Path, **env):
        self.port = _free_port()
        self.log = log
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{self.port}",
             "-f", str(project / "mkdocs.yml")], cwd=project,
            stdout=log.open("w", encoding="utf-8"), stderr=subprocess.STDOUT,
            env=build_env(cache, ROOT / "src", **env))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                        timeout=60) as answer:
                return answer.status, answer.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, ""
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, ""

    def wait_for(self, path: str, condition, deadline_s: float) -> str:
        """The page once condition(html) holds; fails after deadline_s from now."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text()
            status, html = self.get(path)
            if status == 200 and condition(html):
                return html
            time.sleep(0.5)
        pytest.fail(f"{path} : toujours pas prêt après {deadline_s} s.\n{self.text()[-4000:]}")

    def first_ready(self, deadline_s: float) -> str:
        """The example whose results the log announces first."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text()
            found = re.search(r"« ([\w-]+) » : résultats prêts", self.text())
            if found:
                return found[1]
            time.sleep(0.5)
        pytest.fail(f"aucun résultat arrivé après {deadline_s} s.\n{self.text()[-4000:]}")

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def serve(tmp_path):
    servers: list[Server] = []

    def start(project: Path, cache: Path, **env) -> Server:
        servers.append(Server(project, cache, tmp_path / f"serve-{len(servers)}.log", **env))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


PAGES = {
    "index.md": "# Accueil\n\nUne droite : pente {{ fidle:metric linear-regression/slope }}.\n",
    "droite.md": ("# Droite\n\n{{ fidle:results linear-regression }}\n\n"
                  "{{ fidle:provenance linear-regression }}\n"),
    "vin.md": ("# Vin\n\nLot de {{ fidle:config wine/batch_size }} vins.\n\n"
               "{{ fidle:results wine }}\n"),
}


def test_pages_first_then_results_and_a_french_error(tmp_path, keras_home, serve):
    """A small site, cold cache: the pages answer with placeholders; the linear
    regression arrives without restarting the server; wine fails (its data file is
    damaged) with its French error on its page and in the terminal, once."""
    (keras_home / "datasets" / "winequality-red.csv").write_bytes(b"tronque")
    project = make_project(tmp_path / "site", PAGES)
    server = serve(project, tmp_path / "cache")
    first = server.wait_for("/vin/", lambda html: True, 120)
    assert "Lot de 10 vins" in first or "Lot de" in first  # a config needs no training
    line = server.wait_for("/droite/", lambda html: PROVENANCE in html, 300)
    assert PENDING not in line and "processeur (" in line
    home = server.wait_for("/", lambda html: "fidle-pending" not in html, 120)
    assert "pente" in home
    wine = server.wait_for("/vin/", lambda html: "fidle-failed" in html, 300)
    assert "L'exemple «\u00a0Prédiction de la qualité d'un vin (régression)\u00a0» a échoué" \
        in wine
    assert "est corrompu ou incomplet" in wine
    assert "fidle-examples run wine --profile quick" in wine
    time.sleep(3)  # a failure is not trained again in a loop: its code did not change
    log = server.text()
    assert "L'exemple « wine » a échoué pendant la construction du site" in log
    assert log.count("« wine » : entraînement (profil") <= 1


@pytest.mark.slow
@pytest.mark.timed_alone
def test_the_course_is_served_at_once_with_a_cold_cache(tmp_path, serve):
    """The course itself, cold cache, quick profile: the introduction answers within
    FIRST_PAGE_S while the examples train; the linear regression (trained last) shows
    its placeholder with the progress count and the command; the page of the first
    example whose results arrive then shows them, without restarting the server.

    That every page fills in once all are trained, and that a failure shows on its page,
    is checked on the small site above: waiting here for the whole course to train
    (45 s more) would check the same code again."""
    waited = wait_for_the_tests_beside()
    server = serve(ROOT, tmp_path / "cache")
    html = server.wait_for("/cours/introduction/", lambda html: True, FIRST_PAGE_S)
    took = time.monotonic() - server.started
    assert took <= FIRST_PAGE_S, (f"première page en {took:.1f} s ; attente du second "
                                  f"processus : {waited:.0f} s")
    line = server.wait_for("/exemples/regression-lineaire/", lambda html: True, 60)
    assert PENDING in line, "la régression linéaire, entraînée en dernier, était déjà là"
    assert "exemples entraînés" in line
    assert "fidle-examples run linear-regression --profile quick" in line
    name = server.first_ready(300)
    spec = registry.get(name)
    url = "/" + spec.page.removesuffix(".md") + "/"
    # Its placeholders (block and inline, pagehtml.py) give way to its results.
    pending = (f"<code>{name}</code>) s'entraîne", f"«\u00a0{html_escape(spec.title, quote=False)}"
               f"\u00a0» en cours")
    page = server.wait_for(url, lambda html: PROVENANCE in html
                           and not any(mark in html for mark in pending), 120)
    assert "fidle-failed" not in page, f"{url} ({name})"
    print(f"première page en {took:.1f} s ; premiers résultats : {name} ({url}) ; "
          f"attente du second processus : {waited:.0f} s")


def wait_for_the_tests_beside(limit_s: float = 600) -> float:
    """Seconds waited for the tests beside to end: the first page is timed as on the
    idle machine of the issue, not sharing the two cores with a second pytest. After
    limit_s (a session beside that hangs) it is timed anyway; a slow first page then
    says how long it waited."""
    started = time.monotonic()
    while BESIDE_END and not Path(BESIDE_END).exists() \
            and time.monotonic() - started < limit_s:
        time.sleep(0.5)
    return time.monotonic() - started
