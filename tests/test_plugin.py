"""The MkDocs plugin: markers, rendering, and real builds of a small temporary site.

The builds run `mkdocs build` in a subprocess (quick profile, private results cache),
as a user would; which examples trained is read from the build's log. Each build
imports a frozen copy of the package (`frozen_src`), so that a cache filled by one test
stays valid for the next even if src/ is edited meanwhile; MNIST comes from the
session's results cache (`quick_results`), not trained again.
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
from html import escape, unescape
from pathlib import Path

import pytest

from fidle_examples.core import contract, registry
from fidle_examples.core.frenchfmt import NBSP, NNBSP
from fidle_examples.core.results import Result
from fidle_examples.build.storage import default_root
from fidle_examples.core import frenchfmt
from fidle_examples.plugin import markers, pagehtml
from fidle_examples.build.loading import Loaded
from support import (MKDOCS_YML, ROOT, build_command, build_env, build_site, copy_package,
                     fake_result, from_cache, make_project, open_local, trained,
                     training_started)

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


def declared(name: str) -> contract.Contract:
    return contract.read(registry.get(name).load())


def cached_result(cache_dir: Path, name: str) -> Result:
    entries = [p for p in (cache_dir / name).glob("quick-*") if p.is_dir()]
    assert len(entries) == 1, entries
    return Result.load(entries[0])


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def frozen_src(tmp_path_factory) -> Path:
    return copy_package(tmp_path_factory.mktemp("frozen"))


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

def _entry(trained_now: bool = False) -> Loaded:
    result = fake_result(config={"epochs": 16, "train_size": 60000, "learning_rate": 1e-05,
                                 "validation_fraction": 0.25, "shuffle": True,
                                 "optimizer": "adam_w", "seed": 42})
    return Loaded(result, "0" * 64, trained_now, declared("mnist"))


def _inline(text: str, entry: Loaded) -> str:
    return pagehtml.render(markers.find(text)[0], entry, {})


def test_numbers_are_written_the_french_way():
    entry = _entry()
    assert _inline("{{ fidle:metric mnist/test_accuracy }}", entry) == f"97,78{NNBSP}%"
    assert _inline("{{ fidle:metric mnist/test_loss }}", entry) == f"1{NNBSP}234,568"
    assert _inline("{{ fidle:metric mnist/errors }}", entry) == "219"
    assert _inline("{{ fidle:config mnist/train_size }}", entry) == f"60{NNBSP}000"
    assert _inline("{{ fidle:config mnist/validation_fraction }}", entry) == "0,25"
    assert _inline("{{ fidle:config mnist/learning_rate }}", entry) == \
        f"1{NNBSP}×{NNBSP}10<sup>−5</sup>"
    assert _inline("{{ fidle:config mnist/shuffle }}", entry) == "oui"
    assert _inline("{{ fidle:config mnist/optimizer }}", entry) == "adam&#95;w"  # no emphasis


def test_provenance_box_says_how_the_results_were_obtained():
    html = pagehtml.provenance(_entry())
    assert 'class="admonition info fidle-provenance"' in html
    assert pagehtml.PROVENANCE_TITLE in html
    for expected in (f"processeur (2{NBSP}cœurs)", f"1er{NBSP}mai 2025 à 14{NBSP}h{NBSP}03",
                     f"1{NNBSP}min{NNBSP}15{NNBSP}s",
                     f"«{NBSP}quick{NBSP}»", "42", "Keras 3.15.1 sur TensorFlow 2.21.0",
                     "relu depuis le cache", "fidle-examples run mnist --profile quick"):
        assert expected in html, expected
    assert "entraîné pendant cette construction" in pagehtml.provenance(_entry(True))


def test_a_range_is_written_from_the_reference_in_any_profile():
    """A sentence on the course's reference results reads its range in a quick build too,
    said to be the full profile's; only a missing reference leaves the sentence a gap."""
    from fidle_examples.core import reference

    ref = reference.load("mnist", ROOT / "reference")
    low, _, high = ref.range("test_accuracy")
    spec = declared("mnist").metrics["test_accuracy"]
    stated = f"{spec.format(low)} à {spec.format(high)} sur {len(ref.seeds)} graines"
    full = Loaded(fake_result(), "0" * 64, False, declared("mnist"), ref, published=ref)
    quick = Loaded(fake_result(), "0" * 64, False, declared("mnist"), None, published=ref)
    none = Loaded(fake_result(), "0" * 64, False, declared("mnist"))
    assert pagehtml.range_text(full, "test_accuracy") == escape(stated)
    assert pagehtml.range_text(quick, "test_accuracy") == escape(stated + " du profil complet")
    assert "non disponible" in pagehtml.range_text(none, "test_accuracy")


def test_versions_of_an_example_without_keras_do_not_name_keras():
    """A NumPy example's versions hold Keras and its backend (they key the cache), but
    its box must not say it computed with them; a Keras example's box names both."""
    versions = {"python": "3.11.7", "numpy": "2.4.6", "keras": "3.15.1",
                "backend": "tensorflow", "tensorflow": "2.21.0"}
    numpy_only = Loaded(fake_result(example="gradient-descent", versions=versions),
                        "0" * 64, False, declared("gradient-descent"))
    html = unescape(pagehtml.provenance(numpy_only))
    assert f"NumPy 2.4.6 (Python 3.11.7){NBSP}; cet exemple n'utilise pas Keras" in html
    assert "Keras 3.15.1" not in html and "TensorFlow" not in html
    keras_html = unescape(pagehtml.provenance(_entry()))
    assert "Keras 3.15.1 sur TensorFlow 2.21.0 (" in keras_html
    assert "n'utilise pas Keras" not in keras_html and "scikit-learn" not in keras_html
    # scikit-learn is named where an example uses it (svm-vs-dnn's SVM).
    versions["scikit-learn"] = "1.9.1"
    svm = Loaded(fake_result(example="svm-vs-dnn", versions=versions), "0" * 64, False,
                 declared("svm-vs-dnn"))
    assert "scikit-learn 1.9.1 et Keras 3.15.1 sur TensorFlow 2.21.0 (Python" in \
        pagehtml.provenance(svm)


def test_metrics_table_has_a_row_per_declared_metric_with_its_french_label():
    html = pagehtml.metrics_table(_entry())
    for key, metric in declared("mnist").metrics.items():
        assert f"<td>{metric.label}</td><td>{metric.format(fake_result().metrics[key])}" \
               f"</td>" in html


@pytest.mark.parametrize("example, backend, drop_torch, header", [
    ("mnist", "tensorflow", False, "Référence (5 graines)"),
    ("mnist", "jax", False, "Référence (2 exécutions avec Keras sur JAX)"),
    ("mnist", "torch", True, "Référence (5 graines, Keras sur TensorFlow)"),
    ("gradient-descent", "jax", False, "Référence (5 graines)")])
def test_metrics_table_ranges_are_those_the_box_compares_with(example, backend, drop_torch,
                                                               header):
    """Beside the verdict of the provenance box: the range of the runs it compares the
    run with, its own backend's when the reference has some (MNIST has 2 JAX runs), the
    published ones, said so, when it has none; an example without Keras always gets the
    published ones."""
    import dataclasses

    from fidle_examples.core import reference

    ref = reference.load(example, ROOT / "reference")
    if drop_torch:
        ref = dataclasses.replace(ref, runs=[r for r in ref.runs
                                             if r.get("backend") != "torch"])
    run = fake_result(example=example, versions={"keras": "3.15.1", "backend": backend},
                      metrics=dict(ref.published_runs()[0]["metrics"]))
    html = pagehtml.metrics_table(Loaded(run, "0" * 64, False, declared(example), ref))
    assert f"<th>{escape(header)}</th>" in html
    own = header.startswith("Référence (2 exécutions")
    expected = ref.runs_of(backend) if own else ref.published_runs()
    for key, spec in declared(example).metrics.items():
        values = [r["metrics"][key] for r in expected]
        cell = f"<td>{escape(spec.format(min(values)))} à {escape(spec.format(max(values)))}</td>"
        assert cell in html
    if own:  # the published range is not shown beside the JAX run
        low, _, high = ref.range("test_accuracy")
        spec = declared(example).metrics["test_accuracy"]
        assert f"<td>{escape(spec.format(low))} à {escape(spec.format(high))}</td>" not in html


# --- markers checked before any training -------------------------------------------

MISSPELT = """\
---
title: Fautes
---
# Fautes de frappe

L'exactitude vaut {{ fidle:metric mnist/test_acuracy }}.

{{ fidle:figure mnist/perte }}

{{ fidle:results mnsit }}

Après {{ fidle:config mnist/epoch }} époques.
"""


def test_misspelt_markers_fail_the_build_before_any_training(tmp_path, frozen_src):
    """Every marker error at once, with page, line and the valid names; nothing trained
    (the cache is not even created)."""
    project = make_project(tmp_path / "site", {"index.md": "# A\n",
                                               "dossier/page.md": MISSPELT})
    proc = build_site(project, tmp_path / "cache", frozen_src)
    assert proc.returncode != 0
    log = proc.stdout
    mnist = declared("mnist")
    page = "docs/dossier/page.md, ligne"
    assert (f"{page} 6 : mesure inconnue « test_acuracy » pour l'exemple « mnist » dans "
            f"« {{{{ fidle:metric mnist/test_acuracy }}}} ». "
            f"Possibles : {', '.join(mnist.metrics)}.") in log
    assert f"{page} 8 : figure inconnue « perte »" in log
    assert f"Possibles : {', '.join(mnist.figures)}." in log
    assert (f"{page} 10 : Exemple inconnu : « mnsit ». Exemples disponibles : "
            f"{', '.join(registry.names())}.") in log
    assert f"{page} 12 : hyperparamètre inconnu « epoch »" in log
    assert f"Possibles : {', '.join(mnist.config_fields)}." in log
    assert not training_started(log) and not (tmp_path / "cache").exists()


BAD_QUIZ = """\
# Quiz

{{ fidle:results mnist }}

!!! note "Un encadré"
    ```quiz
    Combien font deux et deux ?
    - [ ] Trois.
    - [ ] Cinq.
    ```
"""

GOOD_QUIZ_AFTER_CODE = """\
# Code

```python
print("```quiz")
```
"""


def test_a_malformed_quiz_fails_a_cold_full_build_at_once_with_page_and_line(tmp_path,
                                                                                frozen_src):
    """A quiz with no right answer is read with the markers, before any training: a cold
    full build stops within seconds, naming the page and the line of the question."""
    project = make_project(tmp_path / "site", {"index.md": GOOD_QUIZ_AFTER_CODE,
                                               "dossier/quiz.md": BAD_QUIZ})
    started = time.monotonic()
    proc = build_site(project, tmp_path / "cache", frozen_src, FIDLE_EXAMPLES_PROFILE="full")
    elapsed = time.monotonic() - started
    assert proc.returncode != 0
    assert ("docs/dossier/quiz.md, ligne 7 : quiz incorrect (ligne 6 à l'ouverture) : la "
            "question « Combien font deux et deux ? » n'a pas de bonne réponse") in proc.stdout
    assert not training_started(proc.stdout) and not (tmp_path / "cache").exists()
    assert elapsed < 15, f"{elapsed:.1f} s"


def test_quiz_fences_are_found_dedented_with_their_line():
    text = "# T\n\n```python\nx = 1\n```\n\n- item\n\n    ```quiz\n    Q ?\n    - [x] a\n" \
           "        pourquoi\n    ```\n"
    assert list(markers.quiz_fences(text)) == [(9, "Q ?\n- [x] a\n    pourquoi")]


def test_disabled_plugin_leaves_markers_and_trains_nothing(tmp_path, frozen_src):
    project = make_project(tmp_path / "site", {"index.md": INDEX})
    proc = build_site(project, tmp_path / "cache", frozen_src, FIDLE_EXAMPLES_ENABLED="0")
    assert proc.returncode == 0, proc.stdout
    assert "désactivé" in proc.stdout
    assert "{{ fidle:metric mnist/test_accuracy }}" in \
        (project / "site" / "index.html").read_text(encoding="utf-8")
    assert not (tmp_path / "cache").exists()


def test_bad_profile_in_the_environment_is_refused(tmp_path, frozen_src):
    project = make_project(tmp_path / "site", {"index.md": INDEX})
    proc = build_site(project, tmp_path / "cache", frozen_src, FIDLE_EXAMPLES_PROFILE="turbo")
    assert proc.returncode != 0
    assert "FIDLE_EXAMPLES_PROFILE vaut « turbo » : profils possibles full, quick" in proc.stdout


# --- builds of a small site -------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory, frozen_src, quick_results):
    """A small site showing MNIST (its entry copied from the session cache) and the
    linear regression (trained by this build)."""
    folder = tmp_path_factory.mktemp("built")
    cache_dir = folder / "cache"
    shutil.copytree(default_root(ROOT) / "mnist", cache_dir / "mnist")
    project = make_project(folder / "site", {"index.md": INDEX, "exemples/lineaire.md": NESTED,
                                             "sans.md": PLAIN})
    docs_before = snapshot(project / "docs")
    proc = build_site(project, cache_dir, frozen_src)
    assert proc.returncode == 0, proc.stdout
    assert snapshot(project / "docs") == docs_before, "the build wrote under docs/"
    return project, cache_dir, proc.stdout


def _copy(built, tmp_path: Path, frozen_src: Path) -> tuple[Path, Path]:
    """The built cache and a package copy, both private to one test."""
    _, cache_dir, _ = built
    shutil.copytree(cache_dir, tmp_path / "cache")
    return tmp_path / "cache", copy_package(tmp_path, frozen_src)


@pytest.mark.slow
def test_build_trains_what_the_cache_lacks_and_fills_the_pages(built, quick_results):
    project, cache_dir, log = built
    assert trained(log) == ["linear-regression"] and from_cache(log) == ["mnist"]
    site = project / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    nested = (site / "exemples" / "lineaire" / "index.html").read_text(encoding="utf-8")
    mnist = quick_results["mnist"].result
    linear = cached_result(cache_dir, "linear-regression")

    for key, figure in mnist.figures.items():  # the figures of the run, beside the pages
        assert (site / "generated" / "mnist" / f"{key}.svg").read_text("utf-8") == figure.svg
        assert f'<img src="generated/mnist/{key}.svg"' in index
    for key in declared("linear-regression").figures:
        assert (site / "generated" / "linear-regression" / f"{key}.svg").is_file()
        assert f'<img src="../../generated/linear-regression/{key}.svg"' in nested
    assert index.count("<figure") == len(mnist.figures)
    assert nested.count("<figure") == len(declared("linear-regression").figures) + 1

    accuracy = declared("mnist").metrics["test_accuracy"].format(mnist.metrics["test_accuracy"])
    assert f"correctement {accuracy} des images" in index
    assert f"après {mnist.config['epochs']} époques" in index
    for key, metric in declared("linear-regression").metrics.items():
        assert f"<td>{metric.format(linear.metrics[key])}</td>" in nested

    assert index.count(pagehtml.PROVENANCE_TITLE) == 1
    assert nested.count(pagehtml.PROVENANCE_TITLE) == 2
    # The recorded « CPU (…) » as the pages write it, « processeur (…) ».
    assert frenchfmt.device_label(mnist.device) in index and frenchfmt.date(mnist.date) in index
    assert "CPU (" not in index
    assert "relu depuis le cache" in index
    assert "entraîné pendant cette construction du site" in nested
    assert "<p><figure" not in nested  # the framed figure is not inside a paragraph
    # Markers in code are shown as written, for the contributors' page.
    assert "<code>{{ fidle:results nope }}</code>" in index
    assert "{{ fidle:figure nope/nope }}" in index


@pytest.mark.slow
def test_quick_profile_shows_a_warning_on_pages_with_results(built):
    site = built[0] / "site"
    for page in ("index.html", "exemples/lineaire/index.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert html.count('class="admonition warning fidle-quick"') == 1, page
        assert "pas les résultats de référence" in html
    assert "fidle-quick" not in (site / "sans" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_editing_one_example_retrains_only_that_one(built, tmp_path, frozen_src):
    project = built[0]
    cache_dir, src = _copy(built, tmp_path, frozen_src)
    proc = build_site(project, cache_dir, src)
    assert proc.returncode == 0, proc.stdout
    assert trained(proc.stdout) == [], "a copy of unchanged code must hit the cache"
    assert sorted(from_cache(proc.stdout)) == ["linear-regression", "mnist"]
    append(src / "fidle_examples" / "examples" / "linear_regression.py", "\nEDITED = True\n")
    (project / "docs" / "index.md").write_text(INDEX + "\nUn paragraphe de plus.\n",
                                               encoding="utf-8")
    try:
        proc = build_site(project, cache_dir, src)
    finally:
        (project / "docs" / "index.md").write_text(INDEX, encoding="utf-8")
    assert proc.returncode == 0, proc.stdout
    assert trained(proc.stdout) == ["linear-regression"]
    assert from_cache(proc.stdout) == ["mnist"]
    entries = [p for p in (cache_dir / "linear-regression").iterdir() if p.is_dir()]
    assert len(entries) == 1, "the older entry is pruned"


@pytest.mark.slow
def test_editing_a_figure_redraws_it_and_retrains_nothing(built, tmp_path, frozen_src):
    """Issue 17.3: a colour of the shared plotting code, a title in one example's
    figure function; the next build draws again from the stored results."""
    project = built[0]
    cache_dir, src = _copy(built, tmp_path, frozen_src)
    plots = src / "fidle_examples" / "core" / "plots.py"
    plots.write_text(plots.read_text("utf-8").replace('"#0072B2"', '"#123456"', 1), "utf-8")
    example = src / "fidle_examples" / "examples" / "linear_regression.py"
    text = example.read_text("utf-8")
    title = "Régression linéaire par l'équation normale"
    assert title in text
    example.write_text(text.replace(title, "Une figure retouchée"), "utf-8")
    proc = build_site(project, cache_dir, src)
    assert proc.returncode == 0, proc.stdout
    log = proc.stdout
    assert trained(log) == [] and not training_started(log)
    assert sorted(from_cache(log)) == ["linear-regression", "mnist"]
    for name in ("linear-regression", "mnist"):
        drawn = rf"« {name} » : {len(declared(name).figures)} figures? dessinées? à partir"
        assert re.search(drawn, log), name
    generated = project / "site" / "generated"
    assert "Une figure retouchée" in (generated / "linear-regression" / "fit.svg").read_text("utf-8")
    assert "#123456" in (generated / "mnist" / "loss.svg").read_text("utf-8")
    assert '<img src="generated/mnist/loss.svg"' in \
        (project / "site" / "index.html").read_text("utf-8")


@pytest.mark.slow
def test_killed_build_leaves_the_previous_entry_usable(built, tmp_path, frozen_src):
    project = built[0]
    cache_dir, src = _copy(built, tmp_path, frozen_src)
    example = src / "fidle_examples" / "examples" / "mnist.py"
    original = example.read_text(encoding="utf-8")
    append(example, "\nEDITED = True  # mnist trains again\n")
    child = subprocess.Popen(build_command(project / "mkdocs.yml", strict=False),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             cwd=project, env=build_env(cache_dir, src), start_new_session=True)
    seen = []
    for line in child.stdout:
        seen.append(line)
        if "« mnist » : époque 1/" in line:
            os.killpg(child.pid, signal.SIGKILL)  # power cut in the middle of training
            break
    child.wait(timeout=120)
    assert any("époque 1/" in line for line in seen), "".join(seen)
    previous = cached_result(cache_dir, "mnist")
    assert previous.metrics and previous.data
    # A leftover of a save cut short must not get in the way either.
    entry = next(p for p in (cache_dir / "mnist").glob("quick-*") if p.is_dir())
    (entry.parent / f".{entry.name}x.abc.tmp").mkdir()

    example.write_text(original, encoding="utf-8")  # back to the code of that entry
    proc = build_site(project, cache_dir, src)
    assert proc.returncode == 0, proc.stdout
    assert trained(proc.stdout) == []
    assert sorted(from_cache(proc.stdout)) == ["linear-regression", "mnist"]


FAILING_RUN = '''

def run(config, ctx):
    """Fails once the other worker has stored its entry (a bug met mid-build)."""
    import os, pathlib, time

    cache = pathlib.Path(os.environ["FIDLE_EXAMPLES_CACHE"])
    deadline = time.monotonic() + 300
    while not list(cache.glob("linear-regression/quick-*.ref")) and time.monotonic() < deadline:
        time.sleep(0.2)
    raise RuntimeError("panne simulée")
'''


@pytest.mark.slow
@pytest.mark.trains
def test_a_failing_example_stops_the_build_and_keeps_the_entries_written(tmp_path,
                                                                          frozen_src):
    """Two workers: wine fails after the linear regression was stored by the other one.
    The build stops with wine's error; the linear regression stays in the cache."""
    src = copy_package(tmp_path, frozen_src)
    append(src / "fidle_examples" / "examples" / "wine.py", FAILING_RUN)
    page = "# V\n\n{{ fidle:results wine }}\n\n{{ fidle:results linear-regression }}\n"
    project = make_project(tmp_path / "site", {"index.md": page})
    cache_dir = tmp_path / "cache"
    proc = build_site(project, cache_dir, src, FIDLE_EXAMPLES_WORKERS="2")
    assert proc.returncode != 0
    log = proc.stdout
    assert "(profil quick, 2 processus)" in log
    assert "L'exemple « wine » a échoué pendant la construction du site : " \
           "RuntimeError : panne simulée." in log
    assert "Traceback" in log and "wine.py" in log  # where the bug is
    assert "Aucune figure ni aucun résultat ancien n'est affiché" in log

    (project / "docs" / "index.md").write_text("# L\n\n{{ fidle:results linear-regression }}\n",
                                               encoding="utf-8")
    proc = build_site(project, cache_dir, src)
    assert proc.returncode == 0, proc.stdout
    assert trained(proc.stdout) == [] and from_cache(proc.stdout) == ["linear-regression"]


@pytest.mark.slow
@pytest.mark.trains
def test_example_error_is_shown_in_french(tmp_path, keras_home, frozen_src):
    (keras_home / "datasets" / "mnist.npz").write_bytes(b"tronque")
    project = make_project(tmp_path / "site", {"index.md": "# M\n\n{{ fidle:results mnist }}\n"})
    proc = build_site(project, tmp_path / "cache", frozen_src)
    assert proc.returncode != 0
    assert "L'exemple « mnist » a échoué" in proc.stdout
    assert "est corrompu ou incomplet" in proc.stdout and "Traceback" not in proc.stdout


@pytest.mark.slow
@pytest.mark.trains
def test_two_builds_at_once_train_once(tmp_path, frozen_src):
    page = "# L\n\n{{ fidle:results linear-regression }}\n"
    projects = [make_project(tmp_path / f"site{i}", {"index.md": page}) for i in (1, 2)]
    env = build_env(tmp_path / "cache", frozen_src)
    procs = [subprocess.Popen(build_command(p / "mkdocs.yml"), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, cwd=p, env=env)
             for p in projects]
    logs = [proc.communicate(timeout=900)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], logs
    assert sum(len(trained(log)) for log in logs) == 1, logs
    figures = [sorted((p / "site" / "generated").rglob("*.svg")) for p in projects]
    assert figures[0] and [f.read_bytes() for f in figures[0]] == \
        [f.read_bytes() for f in figures[1]]


# --- mkdocs serve ---------------------------------------------------------------------

# The line livereload prints after every successful rebuild. Not « Documentation built »:
# MkDocs' DuplicateFilter drops that line when a rebuild takes as long, to the hundredth
# of a second, as an earlier build (seen in CI: the test then waited for ever).
REBUILT = "Reloading browsers"


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
def test_serve_trains_once_and_retrains_an_edited_example(built, tmp_path, frozen_src):
    cache_dir, src = _copy(built, tmp_path, frozen_src)
    project = make_project(tmp_path / "site", {"index.md": INDEX, "exemples/lineaire.md": NESTED},
                           MKDOCS_YML + f"watch:\n  - {src}\n")
    docs_before = snapshot(project / "docs")
    serve = _Serve(project, build_env(cache_dir, src))
    try:
        first = serve.until("Serving on")
        assert trained(first) == [] and len(from_cache(first)) == 2

        # Editing prose: rebuilt from memory, nothing trained or even read again.
        append(project / "docs" / "index.md", "\nNouveau paragraphe.\n")
        second = serve.until(REBUILT,
                             poke=lambda: append(project / "docs" / "index.md", "\n"))
        assert trained(second) == [] and from_cache(second) == []
        docs_before = snapshot(project / "docs")

        # Editing an example: the new code runs (new seed), only that example retrains.
        example = src / "fidle_examples" / "examples" / "linear_regression.py"
        reseed = ("\nPROFILES = {k: __import__('dataclasses').replace(v, seed=7)"
                  " for k, v in PROFILES.items()}\n")
        append(example, reseed)
        # Pages first, the training behind (issue #23): the page reloads once it is done.
        # A poke must not edit the code again (each edit restarts the training, which a
        # loaded machine may not finish within a poke's delay): a blank line changes no key.
        third = serve.until("« linear-regression » : résultats prêts",
                            poke=lambda: append(example, "\n"))
        third += serve.until(REBUILT)
        assert trained(third) == ["linear-regression"]
        html = serve.page("exemples/lineaire/")
        assert f"<strong>Graine aléatoire{NBSP}:</strong> 7</li>" in html
        assert snapshot(project / "docs") == docs_before, "the plugin wrote under docs/"
    finally:
        serve.stop()


def test_provenance_says_one_thread_per_training_on_a_processor():
    """The build's workers train with one thread each on a machine without GPU
    (build.pool.THREAD_ENV): the box says so, so that a duration is read right."""
    from fidle_examples.plugin import pagehtml

    text = pagehtml.device_text("CPU (2 cœurs, AMD EPYC)")
    # « processeur », the pages' one word for it; the recorded string stays a key.
    assert text.startswith("processeur (2\u00a0cœurs, AMD EPYC)\u00a0; un seul cœur par "
                           "entraînement (un seul fil de calcul)")
    assert "en parallèle" in text
    assert pagehtml.device_text("NVIDIA H100 80GB HBM3") == "NVIDIA H100 80GB HBM3"
    assert pagehtml.device_text("") == "inconnu"
    assert pagehtml.device_text("CPU (2 cœurs, AMD EPYC)", sklearn=True) == text


@pytest.mark.parametrize("example, device, sklearn", [
    ("svm-vs-dnn", "NVIDIA H100 80GB HBM3", True), ("mnist", "NVIDIA H100 80GB HBM3", False),
    ("svm-vs-dnn", "CPU (2 cœurs, AMD EPYC)", False)])
def test_on_a_gpu_the_svm_experiment_says_its_svm_ran_on_the_processor(example, device,
                                                                       sklearn):
    """scikit-learn's SVC (libsvm) has no GPU code: on a GPU machine, the SVM experiment's
    box and its claims' notes say where that part ran; other examples and processor
    runs are written as before."""
    import dataclasses

    from fidle_examples.build.loading import Loaded
    from fidle_examples.core import contract, reference, registry
    from fidle_examples.plugin import pagehtml

    run = dataclasses.replace(reference.load(example, ROOT / "reference").results()[0],
                              device=device)
    box = pagehtml.provenance(Loaded(run, "k", False, contract.read(registry.get(example)
                                                                     .load())))
    assert ("pour Keras\u00a0; scikit-learn calcule sur le processeur" in box) is sklearn
    assert ("(scikit-learn sur le processeur), avec Keras sur TensorFlow"
            in pagehtml.run_setting(run)) is sklearn


def test_labels_and_captions_get_french_spaces():
    from fidle_examples.plugin import pagehtml

    assert (pagehtml.french_spaces("Perte : « lots » ; 5 % ?")
            == "Perte\u00a0: «\u00a0lots\u00a0»\u00a0; 5\u202f%\u00a0?")
    assert pagehtml.french_spaces("x = (1, 2)") == "x = (1, 2)"
