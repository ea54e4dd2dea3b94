"""The `fidle-examples` command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json

import pytest

from support import run_cli
from fidle_examples.core import registry
from fidle_examples.core.errors import TrainingError, UsageError
from fidle_examples.core.results import RESULT_FILE


def test_list_names_every_example():
    done = run_cli("list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["exemple", "Fidle", "durée"]
    for spec in registry.EXAMPLES:
        assert any(line.split()[:2] == [spec.name, spec.fidle_id] and spec.title in line
                   for line in lines), spec.name


def test_no_command_prints_the_help():
    done = run_cli()
    assert done.returncode == 2 and "COMMANDE" in done.stdout


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """`run linear-regression --profile quick --output DIR` once for the module."""
    output = tmp_path_factory.mktemp("cli") / "linear"
    done = run_cli("run", "linear-regression", "--profile", "quick", "--output", str(output))
    return done, output


def test_run_writes_result_and_figures(cli_run):
    done, output = cli_run
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in output.iterdir()) == ["fit.svg", RESULT_FILE]
    data = json.loads((output / RESULT_FILE).read_text(encoding="utf-8"))
    assert data["example"] == "linear-regression" and data["profile"] == "quick"
    assert data["figures"] == {"fit": {"title": "Nuage de points et droite estimée",
                                       "file": "fit.svg"}}


def test_run_prints_the_french_summary(cli_run):
    done, output = cli_run
    out = done.stdout
    assert out.startswith("Entraînement de « Régression linéaire par calcul direct » "
                          "(profil quick) : n_points=")
    assert "Résultats : Régression linéaire par calcul direct" in out
    data = json.loads((output / RESULT_FILE).read_text(encoding="utf-8"))
    slope = f"{data['metrics']['slope']['value']:.3f}".replace(".", ",")
    assert any(line.startswith("Pente estimée a") and line.endswith(slope)
               for line in out.splitlines())
    for label in ("Durée", "Matériel", "Profil", "Graine", "Versions", "Fichiers"):
        assert f"\n{label} " in out


def test_show_reads_the_saved_result(cli_run):
    done, output = cli_run
    shown = run_cli("show", str(output))
    assert shown.returncode == 0, shown.stderr
    # The same summary as at the end of the run.
    assert shown.stdout.strip() == done.stdout.split("\n\n", 1)[1].strip()


def test_show_of_a_missing_folder_is_a_french_error(tmp_path):
    done = run_cli("show", str(tmp_path / "nothing"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "illisible ou incomplet" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["run", "nope"], "Exemple inconnu : « nope ». Exemples disponibles : linear-regression"),
    (["run", "mnist", "--epochs", "-3"], "--epochs doit être strictement positif, pas -3."),
    (["run", "mnist", "--epochs=-3"], "--epochs doit être strictement positif, pas -3."),
    (["run", "mnist", "--epochs", "abc"], "--epochs attend un nombre entier, pas « abc »."),
    (["run", "mnist", "--batch-size", "0"], "--batch-size doit être strictement positif"),
    (["run", "mnist", "--epochs", "1e9"], "--epochs attend un nombre entier, pas « 1e9 »."),
    (["run", "mnist", "--epochs"], "L'option --epochs attend une valeur."),
    (["run", "mnist", "--foo", "1"], "L'option --foo ne s'applique pas à l'exemple « mnist »"),
    (["run", "mnist", "--profile", "bad"], "Profil inconnu : « bad »."),
    (["run", "mnist", "extra"], "Argument inattendu : « extra »."),
    (["run", "polynomial-regression", "--max-degree", "40"], "Un polynôme de degré 40"),
])
def test_bad_command_lines_exit_2_and_write_nothing(tmp_path, args, message):
    output = tmp_path / "out"
    done = run_cli(*args, "--output", str(output))
    assert done.returncode == UsageError.exit_code
    assert done.stderr.startswith("Erreur : ") and message in done.stderr
    assert "Traceback" not in done.stderr
    assert not output.exists()


def test_diverging_run_exits_non_zero_and_writes_nothing(tmp_path):
    output = tmp_path / "out"
    done = run_cli("run", "gradient-descent", "--profile", "quick", "--learning-rate", "100",
                   "--output", str(output))
    assert done.returncode == TrainingError.exit_code
    assert "Erreur : L'entraînement a divergé" in done.stderr
    assert "--learning-rate" in done.stderr and "Traceback" not in done.stderr
    assert "RuntimeWarning" not in done.stderr
    assert not output.exists()


def test_a_failed_run_keeps_the_previous_result(cli_run, tmp_path):
    """A new run that fails leaves the folder of the last good run as it was."""
    _, output = cli_run
    before = {p.name: p.read_bytes() for p in output.iterdir()}
    done = run_cli("run", "gradient-descent", "--profile", "quick", "--learning-rate", "100",
                   "--output", str(output))
    assert done.returncode == TrainingError.exit_code
    assert {p.name: p.read_bytes() for p in output.iterdir()} == before
