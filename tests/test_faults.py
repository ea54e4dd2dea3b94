"""Bad inputs and faults (issue #9): each one gives a French message naming the problem
and the fix, a non-zero exit, and loses nothing (previous results, cache entry, site).

Cases already covered elsewhere are not repeated here (unknown example and bad option
values: test_cli.py and test_config.py; missing or damaged dataset: test_datasets.py;
interrupted cache write, damaged entry, concurrent builders: test_cache.py; misspelt
marker, failing example in a worker pool, two builds at once, killed build:
test_plugin.py). docs/performances.md lists which test covers which case.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from fidle_examples import cli
from fidle_examples.core import runner
from fidle_examples.core.context import RunContext
from fidle_examples.core.errors import FidleError, TrainingError, UsageError
from fidle_examples.examples import linear_regression
from fidle_examples.core.results import RESULT_FILE, Result
from fidle_examples.core.store import save_atomically
from support import (ROOT, as_from_a_terminal, build_site, fake_result, make_project,
                     signal_state, training_started)

NOBODY = 65534


def previous_results(folder: Path) -> dict[str, bytes]:
    """A folder holding the results of an earlier, good run; returns its files."""
    save_atomically(fake_result(0.5), folder)
    return files_of(folder)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def strays(folder: Path) -> list[str]:
    """Temporary folders a save may leave beside its target."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith("."))


def main(capsys, *args: str) -> tuple[int, str]:
    """`fidle-examples ARGS` in this process: (exit code, stderr)."""
    code = cli.main(list(args))
    return code, capsys.readouterr().err


# --- option values the checks must refuse before anything runs -------------------------

@pytest.mark.parametrize("args, message", [
    # Would pass a plain "positive and below 10 million" check and exhaust the memory.
    (["mnist", "--hidden-units", "5000000"],
     "--hidden-units = 5000000 est démesuré (maximum 10 000)."),
    (["mnist", "--batch-size", "100000000"], "--batch-size = 100000000 est démesuré"),
    (["wine", "--learning-rate", "-0.1"], "--learning-rate doit être strictement positif"),
    (["wine", "--learning-rate", "0"], "--learning-rate doit être strictement positif"),
    (["wine", "--learning-rate", "vite"], "--learning-rate attend un nombre, pas « vite »."),
    (["wine", "--epochs="], "--epochs attend un nombre entier, pas «  »."),
    (["mnist", "--train-size", "10"], "--train-size doit être entre 100 et 60 000"),
])
def test_absurd_or_wrong_values_are_refused_in_french(capsys, tmp_path, args, message):
    output = tmp_path / "out"
    code, err = main(capsys, "run", *args, "--output", str(output))
    assert code == UsageError.exit_code
    assert err.startswith("Erreur : ") and message in err
    assert not output.exists()


def test_out_of_memory_becomes_a_training_error(capsys, tmp_path, monkeypatch):
    class ResourceExhaustedError(Exception):  # TensorFlow's, by name: any backend's
        pass

    def exhausted(config, ctx):
        raise ResourceExhaustedError("OOM when allocating tensor with shape[784,5000000]")

    monkeypatch.setattr(linear_regression, "run", exhausted)
    output = tmp_path / "out"
    before = previous_results(output)
    code, err = main(capsys, "run", "linear-regression", "--quiet", "--output", str(output))
    assert code == TrainingError.exit_code
    assert "Erreur : Mémoire insuffisante pour « linear-regression »" in err
    assert "--hidden-units" in err and "--batch-size" in err
    assert files_of(output) == before


# --- divergence ---------------------------------------------------------------------------

@pytest.mark.trains
def test_keras_divergence_stops_at_once_and_says_so():
    """TerminateOnNaN ends fit() at the first NaN batch: not 40 epochs of NaN."""
    epochs_seen = []
    with pytest.raises(TrainingError) as error:
        runner.run_example("wine", "quick", {"learning_rate": 1e6, "epochs": 40}, verbose=0,
                           progress=[lambda name, epoch, total, logs: epochs_seen.append(epoch)])
    assert epochs_seen and max(epochs_seen) < 40
    message = str(error.value)
    assert f"à l'époque {max(epochs_seen)}. Il a été arrêté." in message
    assert "--learning-rate" in message


def test_check_finite_names_the_first_bad_epoch():
    RunContext.check_finite({"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]})  # finite: fine
    with pytest.raises(TrainingError, match="« val_loss » n'est plus un nombre fini à "
                                            "l'époque 3.*--learning-rate"):
        RunContext.check_finite({"loss": [1.0, 0.5, 0.4], "val_loss": [1.0, 2e38, float("inf")]})


# --- interruptions ------------------------------------------------------------------------

# In the release tier (its own pytest process, which .ci/run starts after `make test`):
# it trains for seconds. It once failed late in full runs: those ran `make test` as a
# background job, whose SIGINT is ignored and inherited (support.as_from_a_terminal).
@pytest.mark.release
@pytest.mark.trains
def test_ctrl_c_during_training_exits_130_and_keeps_the_previous_results(tmp_path):
    output = tmp_path / "wine"
    before = previous_results(output)
    child = subprocess.Popen(
        # -X faulthandler: should it hang, SIGABRT prints every thread's Python stack.
        [sys.executable, "-X", "faulthandler", "-m", "fidle_examples", "run", "wine",
         "--profile", "quick", "--epochs", "2000", "--output", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # Ctrl-C as in a terminal, even under `make test &` (support.as_from_a_terminal).
        preexec_fn=as_from_a_terminal, start_new_session=True)
    try:
        seen = []
        for line in child.stdout:  # Keras prints "Epoch 2/2000" once epoch 1 is done
            seen.append(line)
            if line.startswith("Epoch 2/"):
                os.killpg(child.pid, signal.SIGINT)  # as a terminal does: the whole group
                break
        try:
            out, err = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            state = signal_state(child.pid)
            child.send_signal(signal.SIGABRT)
            stacks = child.communicate(timeout=30)[1][-6000:]
            raise AssertionError(f"Ctrl-C sans effet après 120 s : {state}\n{stacks}") from None
    finally:
        if child.poll() is None:
            child.kill()
    assert any(line.startswith("Epoch 2/") for line in seen), "".join(seen)
    assert child.returncode == 130, err
    assert "Interrompu : aucun résultat partiel n'a été enregistré." in err
    assert "Traceback" not in err
    assert files_of(output) == before and strays(output) == []


@pytest.mark.trains
def test_ctrl_c_while_the_results_are_written_keeps_the_previous_ones(capsys, tmp_path,
                                                                    monkeypatch):
    output = tmp_path / "linear"
    before = previous_results(output)
    real_save = Result.save

    def save_then_interrupt(self, folder):
        real_save(self, folder)  # the new files are there, not yet swapped in...
        raise KeyboardInterrupt  # ...when the user presses Ctrl-C

    monkeypatch.setattr(Result, "save", save_then_interrupt)
    code, err = main(capsys, "run", "linear-regression", "--profile", "quick", "--quiet",
                     "--output", str(output))
    assert code == 130
    assert "Interrompu : aucun résultat partiel n'a été enregistré." in err
    assert files_of(output) == before and strays(output) == []
    assert Result.load(output).metrics["test_accuracy"] == 0.5


# --- where results cannot be written ----------------------------------------------------

@pytest.mark.trains
def test_full_disk_is_a_french_error_and_keeps_the_previous_results(capsys, tmp_path,
                                                                    monkeypatch):
    output = tmp_path / "linear"
    before = previous_results(output)
    real_write = Path.write_text

    def write_until_full(self, text, *args, **kwargs):
        if self.name == RESULT_FILE:  # the figures fit, then the disk is full
            real_write(self, text[:10], *args, **kwargs)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_until_full)
    code, err = main(capsys, "run", "linear-regression", "--profile", "quick", "--quiet",
                     "--output", str(output))
    monkeypatch.undo()
    assert code == FidleError.exit_code
    assert (f"Erreur : Impossible d'écrire les résultats dans « {output} » "
            "(plus de place sur le disque)") in err
    assert "--output" in err
    assert files_of(output) == before and strays(output) == []


@pytest.mark.trains
def test_output_below_a_file_is_a_french_error(capsys, tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("pas un dossier", encoding="utf-8")
    code, err = main(capsys, "run", "linear-regression", "--profile", "quick", "--quiet",
                     "--output", str(blocker / "resultats"))
    assert code == FidleError.exit_code
    assert "(un fichier du même nom existe déjà à la place du dossier)" in err
    assert blocker.read_text(encoding="utf-8") == "pas un dossier"


def _as_unprivileged() -> list[str]:
    """Command prefix under which chmod is obeyed: root ignores permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("exécuté en root sans setpriv : chmod n'empêcherait pas l'écriture")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@pytest.mark.trains
def test_read_only_output_folder_is_a_french_error(tmp_path):
    prefix = _as_unprivileged()
    # Outside pytest's tmp_path (mode 700), so that the unprivileged user can reach it.
    base = Path(tempfile.mkdtemp(prefix="fidle-readonly-"))
    try:
        base.chmod(0o755)
        output = base / "linear"
        before = previous_results(output)
        home = base / "home"  # Keras and Matplotlib write their settings there
        home.mkdir(mode=0o777)
        home.chmod(0o777)
        output.chmod(0o555)
        base.chmod(0o555)  # nor can a temporary folder be made beside it
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(home),
               "KERAS_HOME": str(home / ".keras"), "MPLCONFIGDIR": str(home / "mpl")}
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "fidle_examples", "run", "linear-regression",
             "--profile", "quick", "--quiet", "--output", str(output)],
            capture_output=True, text=True, env=env, cwd=base, timeout=300)
        assert done.returncode == FidleError.exit_code, done.stderr
        assert (f"Erreur : Impossible d'écrire les résultats dans « {output} » "
                "(permission refusée). Vérifiez que ce dossier est accessible en écriture"
                ) in done.stderr
        assert "Traceback" not in done.stderr
        assert files_of(output) == before
    finally:
        base.chmod(0o755)
        output.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


# --- the site build -----------------------------------------------------------------------

SITE_YML = """\
site_name: Essai
plugins:
  - fidle-examples:
      profile: quick
"""


def site_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file()}


@pytest.mark.trains
def test_failed_builds_keep_the_previous_site_and_cache(tmp_path):
    cache_dir = tmp_path / "cache"
    page = "# Essai\n\n{{ fidle:results linear-regression }}\n"
    project = make_project(tmp_path / "projet", {"index.md": page}, SITE_YML)
    src = ROOT / "src"
    first = build_site(project, cache_dir, src, strict=False)
    assert first.returncode == 0, first.stdout
    site = site_files(project / "site")
    cache = site_files(cache_dir)
    assert "generated/linear-regression/fit.svg" in site

    # A marker naming an example that does not exist: page and line, site kept.
    (project / "docs" / "index.md").write_text(
        "# Essai\n\nTexte.\n{{ fidle:figure linear-regresion/fit }}\n", encoding="utf-8")
    bad_marker = build_site(project, cache_dir, src, strict=False)
    assert bad_marker.returncode != 0
    assert "docs/index.md, ligne 4 : Exemple inconnu : « linear-regresion »" in \
        bad_marker.stdout
    assert site_files(project / "site") == site

    # A results cache that cannot be written (a path below a file): a French message
    # naming the variable to change, raised before training; site and old cache kept.
    (project / "docs" / "index.md").write_text(page, encoding="utf-8")
    blocker = tmp_path / "fichier"
    blocker.write_text("x", encoding="utf-8")
    unwritable = build_site(project, blocker / "cache", src, strict=False)
    assert unwritable.returncode != 0
    log = unwritable.stdout
    assert (f"Impossible d'écrire dans le cache des résultats « {blocker / 'cache'} » "
            "(un élément du chemin est un fichier, pas un dossier)") in log
    assert "FIDLE_EXAMPLES_CACHE" in log and "Traceback" not in log
    assert not training_started(log)
    assert site_files(project / "site") == site
    assert site_files(cache_dir) == cache
