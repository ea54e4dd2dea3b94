"""The MkDocs plugin: markers, rendering, and real builds of a small temporary site.

The builds run `mkdocs build` in a subprocess (quick profile, private results cache),
as a user would; which examples trained is read from the build's log.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
from pathlib import Path

import pytest

from fidle_examples.plugin import cache, markers, pagehtml
from fidle_examples.core.frenchfmt import NNBSP
from fidle_examples.core.results import Result
from support import open_local

ROOT = Path(__file__).resolve().parents[1]

MKDOCS_YML = """\
site_name: Essai
theme:
  name: material
  language: fr
markdown_extensions:
  - admonition
  - pymdownx.superfences
plugins:
  - fidle-examples:
      profile: full
"""

INDEX = """\
---
title: Accueil
---
# Essais

MNIST classe correctement {{ fidle:metric mnist/test_accuracy }} des images de test
après {{ fidle:config mnist/epochs }} époques.

Syntaxe : `{{ fidle:results nope }}`.

```text
{{ fidle:figure nope/nope }}
```

{{ fidle:results mnist }}
"""

NESTED = """\
# Régression linéaire

{{ fidle:results linear-regression }}

!!! note "La perte de MNIST, dans un encadré"
    {{ fidle:figure mnist/loss }}

{{ fidle:provenance mnist }}
"""

PLAIN = "# Sans résultats\n\nRien à entraîner ici.\n"


# --- helpers ------------------------------------------------------------------------

def make_project(folder: Path, pages: dict[str, str], yml: str = MKDOCS_YML) -> Path:
    for name, text in pages.items():
        path = folder / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "mkdocs.yml").write_text(yml, encoding="utf-8")
    return folder


def build_env(cache_dir: Path, package_root: Path, **extra) -> dict:
    """Environment of a build: quick profile, private cache, `package_root` (a copy
    of src/) imported before the installed package."""
    return {**os.environ, "FIDLE_EXAMPLES_PROFILE": "quick",
            "FIDLE_EXAMPLES_CACHE": str(cache_dir), **extra,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(package_root),
                                                        os.environ.get("PYTHONPATH")]))}


@pytest.fixture(scope="module")
def frozen_src(tmp_path_factory) -> Path:
    """The package as it is when the tests start: every build of this module imports
    this copy, so a cache filled by one test stays valid for the next ones even if
    src/ is edited meanwhile."""
    return copy_package(tmp_path_factory.mktemp("frozen"))


def mkdocs_build(project: Path, cache_dir: Path, package_root: Path,
                 **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
         str(project / "mkdocs.yml")],
        capture_output=True, text=True, cwd=project, timeout=900,
        env=build_env(cache_dir, package_root, **extra))


def trained(log: str) -> list[str]:
    return re.findall(r"« ([\w-]+) » : entraîné en", log)


def from_cache(log: str) -> list[str]:
    return re.findall(r"« ([\w-]+) » : résultats relus depuis le cache", log)


def output(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def cached_result(cache_dir: Path, name: str) -> Result:
    entries = [p for p in (cache_dir / name).glob("quick-*") if p.is_dir()]
    assert len(entries) == 1, entries
    return Result.load(entries[0])


def copy_package(tmp_path: Path, source: Path | None = None) -> Path:
    """A copy of the package (of src/ by default) under tmp_path/src; returns tmp_path/src."""
    root = tmp_path / "src"
    shutil.copytree(source / "fidle_examples" if source else cache.package_dir(),
                    root / "fidle_examples", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


# --- markers (fast) -------------------------------------------------------------------

def test_markers_are_found_with_their_line_outside_code_and_comments():
    text = ("# Titre\n"
            "Voir {{ fidle:metric mnist/test_accuracy }} et `{{ fidle:metric a/b }}`.\n"
            "```python\n{{ fidle:results mnist }}\n```\n"
            "~~~~\n```\n{{ fidle:results x }}\n~~~~\n"
            "<!-- {{ fidle:results x }}\n{{ fidle:results y }} -->\n"
            "``code avec ` {{ fidle:results z }}``\n"
            "  {{ fidle:figure wine/loss }}\n")
    found = markers.find(text)
    assert [(m.kind, m.name, m.item, m.line) for m in found] == [
        ("metric", "mnist", "test_accuracy", 2), ("figure", "wine", "loss", 13)]
    assert found[1].indent == "  "


@pytest.mark.parametrize("line, message", [
    ("{{ fidle:figure mnist }}", "NOM/ÉLÉMENT"),
    ("{{ fidle:metrics mnist/x }}", "forme attendue"),
    ("{{ fidle:resultats mnist }}", "type de marqueur inconnu"),
    ("Texte {{ fidle:results mnist }}", "seul sur sa ligne"),
    ("{{ fidle:metric MNIST/x }}", "forme attendue"),
])
def test_malformed_markers_are_errors_with_their_line(line, message):
    with pytest.raises(markers.MarkerError, match=message) as error:
        markers.find(f"# T\n\n{line}\n")
    assert error.value.line == 3


def test_replace_keeps_blocks_indented_and_text_around_inline_markers():
    text = "# T\n\n- a {{ fidle:metric m/x }} b\n\n    {{ fidle:metrics m }}\n`{{ fidle:metric m/x }}`"
    out = markers.replace(text, lambda m: "<B>\nsuite" if m.kind == "metrics" else "42")
    assert out == "# T\n\n- a 42 b\n\n\n    <B>\n    suite\n\n`{{ fidle:metric m/x }}`"


def test_warning_goes_after_the_title_not_after_a_comment_in_code():
    text = "```bash\n# pas un titre\n```\n# Titre\nTexte"
    assert markers.insert_after_title(text, "!") == \
        "```bash\n# pas un titre\n```\n# Titre\n\n!\n\nTexte"


# --- rendering (fast) -----------------------------------------------------------------

def _result() -> Result:
    result = Result(example="mnist", title="MNIST", profile="quick", device="CPU (2 cœurs)",
                    config={"epochs": 16, "train_size": 60000, "learning_rate": 1e-05,
                            "validation_fraction": 0.25, "shuffle": True, "optimizer": "adam_w"},
                    seed=42, duration_s=75.2, date="2025-05-01T14:03:11+02:00",
                    versions={"python": "3.11.7", "numpy": "2.4.6", "keras": "3.15.1",
                              "backend": "tensorflow", "tensorflow": "2.21.0"})
    result.add_metric("test_accuracy", "Exactitude sur le jeu de test", 0.97781, "percent", 2)
    result.add_metric("test_loss", "Perte sur le jeu de test", 1234.5678)
    result.add_figure("loss", "Perte par époque", "<svg/>")
    return result


def test_numbers_are_written_the_french_way():
    result = _result()
    assert pagehtml.metric_text(result, "test_accuracy") == f"97,78{NNBSP}%"
    assert pagehtml.metric_text(result, "test_loss") == f"1{NNBSP}234,568"
    assert pagehtml.config_text(result, "train_size") == f"60{NNBSP}000"
    assert pagehtml.config_text(result, "validation_fraction") == "0,25"
    assert pagehtml.config_text(result, "learning_rate") == f"1{NNBSP}×{NNBSP}10<sup>−5</sup>"
    assert pagehtml.config_text(result, "shuffle") == "oui"
    assert pagehtml.config_text(result, "optimizer") == "adam&#95;w"  # no Markdown emphasis


def test_provenance_box_says_how_the_results_were_obtained():
    html = pagehtml.provenance(_result(), freshly_trained=False)
    assert 'class="admonition info fidle-provenance"' in html
    assert pagehtml.PROVENANCE_TITLE in html
    for expected in ("CPU (2 cœurs)", "1er mai 2025 à 14 h 03", f"1{NNBSP}min{NNBSP}15{NNBSP}s",
                     "« quick »", "42", "Keras 3.15.1 sur TensorFlow 2.21.0",
                     "relu depuis le cache", "fidle-examples run mnist --profile quick"):
        assert expected in html, expected
    assert "entraîné pendant cette construction" in pagehtml.provenance(_result(), True)


def test_unknown_figure_metric_or_field_is_an_error():
    result = _result()
    for text, message in (("{{ fidle:figure mnist/nope }}", "figure inconnue « nope »"),
                          ("{{ fidle:metric mnist/nope }}", "mesure inconnue « nope »"),
                          ("{{ fidle:config mnist/nope }}", "hyperparamètre inconnu")):
        with pytest.raises(markers.MarkerError, match=message):
            pagehtml.check(markers.find(text)[0], result)
    pagehtml.check(markers.find("{{ fidle:figure mnist/loss }}")[0], result)


# --- builds of a small site -------------------------------------------------------------

@pytest.fixture(scope="module")
def cold(tmp_path_factory, frozen_src):
    """One cold build of a small site with mnist and linear-regression (quick)."""
    folder = tmp_path_factory.mktemp("cold")
    project = make_project(folder / "site", {"index.md": INDEX, "exemples/lineaire.md": NESTED,
                                             "sans.md": PLAIN})
    docs_before = snapshot(project / "docs")
    proc = mkdocs_build(project, folder / "cache", frozen_src)
    assert proc.returncode == 0, output(proc)
    assert snapshot(project / "docs") == docs_before, "the build wrote under docs/"
    return project, folder / "cache", output(proc)


@pytest.mark.slow
def test_cold_build_trains_each_example_once_and_fills_the_pages(cold):
    project, cache_dir, log = cold
    assert sorted(trained(log)) == ["linear-regression", "mnist"]
    assert "« mnist » : époque 1/" in log  # progress reported during training
    site = project / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    nested = (site / "exemples" / "lineaire" / "index.html").read_text(encoding="utf-8")
    mnist, linear = cached_result(cache_dir, "mnist"), cached_result(cache_dir, "linear-regression")

    for name, result in (("mnist", mnist), ("linear-regression", linear)):
        assert result.figures
        for fig in result.figures.values():  # the figures of the run, next to the pages
            path = site / "generated" / name / f"{fig.name}.svg"
            assert path.read_text(encoding="utf-8") == fig.svg
    for fig in mnist.figures:
        assert f'<img src="generated/mnist/{fig}.svg"' in index
    for fig in linear.figures:
        assert f'<img src="../../generated/linear-regression/{fig}.svg"' in nested
    assert index.count("<figure") == len(mnist.figures)
    assert nested.count("<figure") == len(linear.figures) + 1  # + the framed MNIST curve

    accuracy = mnist.metrics["test_accuracy"].formatted()
    assert re.fullmatch(rf"\d{{1,3}},\d\d{NNBSP}%", accuracy)
    assert f"correctement {accuracy} des images" in index
    assert f"après {mnist.config['epochs']} époques" in index
    for metric in linear.metrics.values():
        assert f"<td>{metric.formatted()}</td>" in nested

    assert index.count(pagehtml.PROVENANCE_TITLE) == 1
    assert nested.count(pagehtml.PROVENANCE_TITLE) == 2
    assert mnist.device in index and pagehtml.french_date(mnist.date) in index
    assert "entraîné pendant cette construction du site" in index
    assert "<p><figure" not in nested  # the framed figure is not inside a paragraph
    # Markers in code are shown as written, for the contributors' page.
    assert "<code>{{ fidle:results nope }}</code>" in index
    assert "{{ fidle:figure nope/nope }}" in index


@pytest.mark.slow
def test_quick_profile_shows_a_warning_on_pages_with_results(cold):
    project, _, _ = cold
    site = project / "site"
    for page in ("index.html", "exemples/lineaire/index.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert html.count('class="admonition warning fidle-quick"') == 1, page
        assert "pas les résultats de référence" in html
    assert "fidle-quick" not in (site / "sans" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_second_build_trains_nothing(cold, tmp_path, frozen_src):
    project, cache_dir, _ = cold
    shutil.copytree(cache_dir, tmp_path / "cache")
    proc = mkdocs_build(project, tmp_path / "cache", frozen_src)
    assert proc.returncode == 0, output(proc)
    assert trained(output(proc)) == []
    assert sorted(from_cache(output(proc))) == ["linear-regression", "mnist"]
    index = (project / "site" / "index.html").read_text(encoding="utf-8")
    assert "relu depuis le cache" in index


@pytest.mark.slow
def test_editing_one_example_retrains_only_that_one(cold, tmp_path, frozen_src):
    project, cache_dir, _ = cold
    shutil.copytree(cache_dir, tmp_path / "cache")
    src = copy_package(tmp_path, frozen_src)
    proc = mkdocs_build(project, tmp_path / "cache", src)
    assert trained(output(proc)) == [], "a copy of unchanged code must hit the cache"
    append(src / "fidle_examples" / "examples" / "linear_regression.py", "\n# edited\n")
    (project / "docs" / "index.md").write_text(INDEX + "\nUn paragraphe de plus.\n",
                                               encoding="utf-8")
    try:
        proc = mkdocs_build(project, tmp_path / "cache", src)
    finally:
        (project / "docs" / "index.md").write_text(INDEX, encoding="utf-8")
    assert proc.returncode == 0, output(proc)
    assert trained(output(proc)) == ["linear-regression"]
    assert from_cache(output(proc)) == ["mnist"]
    entries = [p for p in (tmp_path / "cache" / "linear-regression").iterdir() if p.is_dir()]
    assert len(entries) == 1, "the older entry is pruned"


@pytest.mark.slow
def test_killed_build_leaves_the_previous_entry_usable(cold, tmp_path, frozen_src):
    project, cache_dir, _ = cold
    shutil.copytree(cache_dir, tmp_path / "cache")
    src = copy_package(tmp_path, frozen_src)
    example = src / "fidle_examples" / "examples" / "mnist.py"
    original = example.read_text(encoding="utf-8")
    append(example, "\n# edited: mnist trains again\n")
    child = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(project / "mkdocs.yml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=project,
        env=build_env(tmp_path / "cache", src), start_new_session=True)
    seen = []
    for line in child.stdout:
        seen.append(line)
        if "« mnist » : époque 1/" in line:
            os.killpg(child.pid, signal.SIGKILL)  # power cut in the middle of training
            break
    child.wait(timeout=120)
    assert any("époque 1/" in line for line in seen), "".join(seen)
    previous = cached_result(tmp_path / "cache", "mnist")
    assert previous.figures and previous.metrics
    # A leftover of a save cut short must not get in the way either.
    entry = next(p for p in (tmp_path / "cache" / "mnist").glob("quick-*") if p.is_dir())
    (entry.parent / f".{entry.name}x.abc.tmp").mkdir()

    example.write_text(original, encoding="utf-8")  # back to the code of that entry
    proc = mkdocs_build(project, tmp_path / "cache", src)
    assert proc.returncode == 0, output(proc)
    assert trained(output(proc)) == []
    assert sorted(from_cache(output(proc))) == ["linear-regression", "mnist"]


@pytest.mark.slow
def test_failing_example_fails_the_build_with_its_error(cold, tmp_path, frozen_src):
    project, cache_dir, _ = cold
    shutil.copytree(cache_dir, tmp_path / "cache")
    src = copy_package(tmp_path, frozen_src)
    append(src / "fidle_examples" / "examples" / "linear_regression.py",
           "\n\ndef run(config, ctx):\n    raise RuntimeError('panne simulée')\n")
    proc = mkdocs_build(project, tmp_path / "cache", src)
    assert proc.returncode != 0
    log = output(proc)
    assert "L'exemple « linear-regression » a échoué" in log
    assert "RuntimeError : panne simulée." in log
    assert "Traceback" in log and "linear_regression.py" in log  # where the bug is
    assert "Aucune figure ni aucun résultat ancien n'est affiché" in log


@pytest.mark.slow
def test_example_error_is_shown_in_french(tmp_path, keras_home, frozen_src):
    (keras_home / "datasets" / "mnist.npz").write_bytes(b"tronque")
    project = make_project(tmp_path / "site", {"index.md": "# M\n\n{{ fidle:results mnist }}\n"})
    proc = mkdocs_build(project, tmp_path / "cache", frozen_src)
    assert proc.returncode != 0
    assert "L'exemple « mnist » a échoué" in output(proc)
    assert "est corrompu ou incomplet" in output(proc)


def test_unknown_example_fails_with_page_and_line(tmp_path, frozen_src):
    project = make_project(tmp_path / "site", {
        "index.md": "# A\n", "dossier/page.md": "# P\n\nTexte.\n{{ fidle:results mnsit }}\n"})
    proc = mkdocs_build(project, tmp_path / "cache", frozen_src)
    assert proc.returncode != 0
    assert "docs/dossier/page.md, ligne 4 : Exemple inconnu : « mnsit »" in output(proc)
    assert not (tmp_path / "cache").exists(), "nothing trained for an invalid page"


@pytest.mark.slow
def test_unknown_figure_or_metric_fails_with_page_and_line(cold, tmp_path, frozen_src):
    _, cache_dir, _ = cold
    shutil.copytree(cache_dir, tmp_path / "cache")
    project = make_project(tmp_path / "site", {"index.md": (
        "---\ntitle: X\n---\n# X\n\n{{ fidle:figure mnist/perte }}\n"
        "Vaut {{ fidle:metric mnist/precision }}.\n")})
    proc = mkdocs_build(project, tmp_path / "cache", frozen_src)
    assert proc.returncode != 0
    log = output(proc)
    assert "docs/index.md, ligne 6 : figure inconnue « perte »" in log
    assert "docs/index.md, ligne 7 : mesure inconnue « precision »" in log


def test_disabled_plugin_leaves_markers_and_trains_nothing(tmp_path, frozen_src):
    project = make_project(tmp_path / "site", {"index.md": INDEX})
    proc = mkdocs_build(project, tmp_path / "cache", frozen_src, FIDLE_EXAMPLES_ENABLED="0")
    assert proc.returncode == 0, output(proc)
    assert "désactivé" in output(proc)
    assert "{{ fidle:metric mnist/test_accuracy }}" in \
        (project / "site" / "index.html").read_text(encoding="utf-8")
    assert not (tmp_path / "cache").exists()


def test_bad_profile_in_the_environment_is_refused(tmp_path, frozen_src):
    project = make_project(tmp_path / "site", {"index.md": INDEX})
    proc = mkdocs_build(project, tmp_path / "cache", frozen_src, FIDLE_EXAMPLES_PROFILE="turbo")
    assert proc.returncode != 0
    assert "FIDLE_EXAMPLES_PROFILE vaut « turbo » : profils possibles full, quick" in \
        output(proc)


@pytest.mark.slow
def test_two_builds_at_once_train_once(tmp_path, frozen_src):
    page = "# L\n\n{{ fidle:results linear-regression }}\n"
    projects = [make_project(tmp_path / f"site{i}", {"index.md": page}) for i in (1, 2)]
    env = build_env(tmp_path / "cache", frozen_src)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(p / "mkdocs.yml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=p, env=env)
        for p in projects]
    logs = [proc.communicate(timeout=900)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], logs
    assert sum(len(trained(log)) for log in logs) == 1, logs
    figures = [sorted((p / "site" / "generated").rglob("*.svg")) for p in projects]
    assert figures[0] and [f.read_bytes() for f in figures[0]] == \
        [f.read_bytes() for f in figures[1]]


# --- mkdocs serve ---------------------------------------------------------------------

class _Serve:
    """`mkdocs serve` in a subprocess, its log read line by line."""

    def __init__(self, project: Path, env: dict):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-f",
             str(project / "mkdocs.yml"), "-a", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=project,
            env=env, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def until(self, text: str, timeout: float = 600, poke=None) -> str:
        """The log up to the first line containing `text`.

        `poke` repeats the edit every 20 s of silence: an edit made before the file
        watcher is armed (a race on a busy machine) would otherwise never be seen.
        """
        seen, deadline = [], time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "mkdocs serve stopped:\n" + "".join(seen)
                if poke and time.monotonic() - quiet_since > 20:
                    poke()
                    quiet_since = time.monotonic()
                continue
            quiet_since = time.monotonic()
            seen.append(line)
            if text in line:
                return "".join(seen)
        raise AssertionError(f"« {text} » not seen:\n" + "".join(seen))

    def page(self, path: str, wait: float = 60) -> str:
        """The page as served; retried while the server is between two builds."""
        deadline = time.monotonic() + wait
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}/{path}"
                with open_local(url, timeout=30) as r:
                    return r.read().decode("utf-8")
            except urllib.error.URLError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)


@pytest.mark.slow
def test_serve_trains_once_and_retrains_an_edited_example(cold, tmp_path, frozen_src):
    _, cache_dir, _ = cold
    shutil.copytree(cache_dir, tmp_path / "cache")
    src = copy_package(tmp_path, frozen_src)
    project = make_project(tmp_path / "site", {"index.md": INDEX, "exemples/lineaire.md": NESTED},
                           MKDOCS_YML + f"watch:\n  - {src}\n")
    docs_before = snapshot(project / "docs")
    serve = _Serve(project, build_env(tmp_path / "cache", src))
    try:
        first = serve.until("Serving on")
        assert trained(first) == [] and len(from_cache(first)) == 2

        # Editing prose: rebuilt from memory, nothing trained or even read again.
        append(project / "docs" / "index.md", "\nNouveau paragraphe.\n")
        second = serve.until("Documentation built",
                             poke=lambda: append(project / "docs" / "index.md", "\n"))
        assert trained(second) == [] and from_cache(second) == []
        docs_before = snapshot(project / "docs")

        # Editing an example: the new code runs (new seed), only that example retrains.
        example = src / "fidle_examples" / "examples" / "linear_regression.py"
        reseed = ("\nPROFILES = {k: __import__('dataclasses').replace(v, seed=7)"
                  " for k, v in PROFILES.items()}\n")
        append(example, reseed)
        third = serve.until("Documentation built", poke=lambda: append(example, reseed))
        assert trained(third) == ["linear-regression"]
        html = serve.page("exemples/lineaire/")
        assert f"<strong>Graine aléatoire{NNBSP}:</strong> 7</li>" in html
        assert snapshot(project / "docs") == docs_before, "the plugin wrote under docs/"
    finally:
        serve.stop()
