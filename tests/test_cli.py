"""The `fidle-examples` command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json

import pytest

from fidle_examples import cli
from fidle_examples.core import reference, registry
from fidle_examples.core.errors import FidleError, TrainingError, UsageError
from fidle_examples.core.results import DATA_FILE, RESULT_FILE
from support import run_cli


def test_list_names_every_example():
    done = run_cli("list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["exemple", "Fidle", "titre"]
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


def test_run_writes_result_data_and_figures(cli_run):
    done, output = cli_run
    assert done.returncode == 0, done.stderr
    figures = registry.get("linear-regression").load().FIGURES
    assert sorted(p.name for p in output.iterdir()) == \
        sorted([DATA_FILE, RESULT_FILE, *(f"{key}.svg" for key in figures)])
    data = json.loads((output / RESULT_FILE).read_text(encoding="utf-8"))
    assert data["example"] == "linear-regression" and data["profile"] == "quick"
    assert data["figures"] == {key: {"title": caption, "file": f"{key}.svg"}
                               for key, caption in figures.items()}


def test_run_prints_the_french_summary(cli_run):
    done, output = cli_run
    out = done.stdout
    assert out.startswith("Entraînement de « Régression linéaire par calcul direct » "
                          "(profil quick) : n_points=")
    assert "Résultats : Régression linéaire par calcul direct" in out
    data = json.loads((output / RESULT_FILE).read_text(encoding="utf-8"))
    slope = f"{data['metrics']['slope']:.3f}".replace(".", ",")
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


@pytest.mark.parametrize("command", ["show", "compare"])
def test_reading_a_missing_folder_is_a_french_error(tmp_path, command):
    done = run_cli(command, str(tmp_path / "nothing"))
    assert done.returncode == FidleError.exit_code and "Traceback" not in done.stderr
    assert "illisible ou incomplet" in done.stderr


@pytest.mark.parametrize("name", registry.names())
def test_summary_labels_name_the_settings_of_the_run(quick_results, name):
    """A label may cite the config (« lots de {batch_sizes[0]} »): filled, never raw."""
    entry = quick_results[name]
    text = cli.summary(entry.result, None)
    for key, metric in entry.contract.metrics.items():
        assert f"{metric.label_for(entry.result.config)} " in text, key
    assert "{" not in text


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


# A Keras training whose loss becomes NaN fails; a gradient descent that diverges is a
# result of that example (stopped and reported, below).
DIVERGING = ("wine", "--profile", "quick", "--learning-rate", "1e6", "--epochs", "3")


def test_diverging_run_exits_non_zero_and_writes_nothing(tmp_path):
    output = tmp_path / "out"
    done = run_cli("run", *DIVERGING, "--output", str(output))
    assert done.returncode == TrainingError.exit_code
    assert "Erreur : L'entraînement a divergé" in done.stderr
    assert "--learning-rate" in done.stderr and "Traceback" not in done.stderr
    assert "RuntimeWarning" not in done.stderr
    assert not output.exists()


def test_a_failed_run_keeps_the_previous_result(cli_run, tmp_path):
    """A new run that fails leaves the folder of the last good run as it was."""
    _, output = cli_run
    before = {p.name: p.read_bytes() for p in output.iterdir()}
    done = run_cli("run", *DIVERGING, "--output", str(output))
    assert done.returncode == TrainingError.exit_code
    assert {p.name: p.read_bytes() for p in output.iterdir()} == before


def test_a_gradient_descent_that_diverges_is_reported_in_french(tmp_path):
    done = run_cli("run", "gradient-descent", "--profile", "quick", "--learning-rate", "1",
                   "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert ("\nAttention : La descente par lot complet (à l'époque " in done.stdout
            and "ont divergé : a ou b a dépassé un million en valeur absolue" in done.stdout)
    assert "--learning-rate 0.1" in done.stdout and "RuntimeWarning" not in done.stderr


def test_reference_refuses_unknown_examples_and_too_few_seeds():
    for args, message in ((["nope"], "Exemple inconnu : « nope »."),
                          (["mnist", "--seeds", "1"], "--seeds doit être entre 2 et 50, pas 1.")):
        done = run_cli("reference", *args)
        assert done.returncode == UsageError.exit_code, done.stderr
        assert done.stderr.startswith("Erreur : ") and message in done.stderr


# --- is my run normal? the committed reference ------------------------------------------

@pytest.mark.slow
def test_compare_says_a_one_epoch_mnist_falls_below_the_reference(tmp_path):
    """`run mnist --epochs 1` then `compare`, against the committed reference/mnist.json:
    the accuracy is below the range of its seeds, and the report names the likely
    cause; a verdict, not an error."""
    ref = reference.load("mnist")
    assert ref is not None, f"{reference.path_for('mnist')} manque : make reference"
    output = tmp_path / "mnist"
    done = run_cli("run", "mnist", "--epochs", "1", "--quiet", "--output", str(output))
    assert done.returncode == 0, done.stderr
    compared = run_cli("compare", str(output))
    assert compared.returncode == 0, compared.stderr
    text = compared.stdout
    assert text.startswith(f"Comparaison avec les résultats de référence ({len(ref.seeds)} "
                           "graines, profil complet) :")
    metric = registry.get("mnist").load().METRICS["test_accuracy"]
    low, _, high = ref.range("test_accuracy")
    accuracy = next(line for line in text.splitlines()
                    if line.strip().startswith(metric.label))
    assert (f"référence {metric.format(low)} à {metric.format(high)} : EN DESSOUS de la plage"
            in accuracy)
    epochs = ref.config["epochs"]
    assert f"  --epochs = 1 ici, {epochs} dans la référence" in text
    assert f"  - moins d'époques (1 au lieu de {epochs})" in text
    assert done.stdout.rstrip().endswith(text.strip())  # `run` ends with the same report


def test_reference_seeds_make_the_range_a_run_of_one_of_them_falls_in(tmp_path, cli_run):
    """`reference` on a fast example (two seeds), then a run with one of those seeds."""
    env = {reference.ENV_DIR: str(tmp_path / "reference"),
           "FIDLE_EXAMPLES_CACHE": str(tmp_path / "cache")}
    done = run_cli("reference", "linear-regression", "--seeds", "2", env=env)
    assert done.returncode == 0, done.stderr
    saved = reference.load("linear-regression", tmp_path / "reference")
    published = registry.get("linear-regression").load().PROFILES["full"].seed
    assert (saved.profile, saved.seeds, len(saved.runs)) == ("full", [published, 1], 2)
    assert saved.values("slope")[0] != saved.values("slope")[1]

    output = tmp_path / "linear"
    done = run_cli("run", "linear-regression", "--seed", "1", "--output", str(output), env=env)
    assert done.returncode == 0, done.stderr
    assert "Verdict : exécution normale, chaque mesure est dans la plage" in done.stdout

    quick = run_cli("compare", str(cli_run[1]), env=env)
    assert quick.returncode == 0, quick.stderr
    assert "Pas de comparaison : ce résultat est du profil « quick »" in quick.stdout

    (tmp_path / "reference" / "linear-regression.json").write_text("{", encoding="utf-8")
    broken = run_cli("compare", str(output), env=env)
    assert broken.returncode == FidleError.exit_code and "Traceback" not in broken.stderr
    assert "est illisible ou corrompue" in broken.stderr and "Régénérez-la" in broken.stderr


# --- options of an example, and the results cache ----------------------------------------

def test_run_help_lists_the_examples_options_with_their_defaults(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["run", "mnist", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("utilisation : fidle-examples run")
    group = text[text.index("options de l'exemple « mnist » :"):]
    for option, default in (("--epochs", "défaut : 20 (profil quick : 3)"),
                            ("--batch-size", "défaut : 512 (profil quick : 128)"),
                            ("--hidden-units", "défaut : 200")):
        # argparse puts the help of a long option on the next line
        after = group[group.index(option):].split("--", 2)[1]
        assert default in " ".join(after.split()), option
    assert "--optimizer" not in text  # another example's option


def test_run_help_without_an_example_names_no_example_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert "options de l'exemple" not in capsys.readouterr().out


def test_an_option_from_help_sets_the_config(monkeypatch):
    seen = {}

    def prepare(name, profile, overrides):
        seen.update(overrides)
        raise UsageError("arrêt du test")

    from fidle_examples.core import runner
    monkeypatch.setattr(runner, "prepare", prepare)
    assert cli.main(["run", "mnist", "--profile", "quick", "--epochs", "2",
                     "--hidden-units=8"]) == UsageError.exit_code
    assert seen == {"epochs": "2", "hidden_units": "8"}


def _fake_entry(root, example, slot, key, size, age_days):
    import os
    import time

    folder = root / example / f"{slot}-{key * 32}"
    folder.mkdir(parents=True)
    (folder / "result.json").write_bytes(b"x" * size)
    when = time.time() - age_days * 86400
    os.utime(folder / "result.json", (when, when))
    (root / example / f"{slot}-{'f' * 32}.ref").write_text(key * 64, encoding="ascii")


def test_cache_messages_agree_with_the_number():
    assert cli._agree(0, "entrée supprimée") == "entrée supprimée"
    assert cli._agree(1, "entrée") == "entrée"
    assert cli._agree(2, "entrée inutilisée") == "entrées inutilisées"


def test_cache_list_prune_and_clear(tmp_path, monkeypatch, capsys):
    root = tmp_path / "cache"
    monkeypatch.setenv("FIDLE_EXAMPLES_CACHE", str(root))
    _fake_entry(root, "mnist", "full", "a", 2048, age_days=40)
    _fake_entry(root, "wine", "quick", "b", 10, age_days=0)
    assert cli.main(["cache", "list"]) == 0
    out = capsys.readouterr().out
    assert "mnist" in out and "wine" in out and "Total : 2 entrées" in out
    assert "il y a 40 jours" in out and "aujourd'hui" in out
    assert cli.main(["cache", "prune", "--older-than", "30"]) == 0
    assert "1 entrée inutilisée depuis plus de 30 jours supprimée" in capsys.readouterr().out
    assert not (root / "mnist" / f"full-{'a' * 32}").exists()
    assert not list((root / "mnist").glob("*.ref"))  # its .ref went with it
    assert (root / "wine" / f"quick-{'b' * 32}").is_dir()
    assert cli.main(["cache", "clear"]) == 0
    assert "1 entrée supprimée" in capsys.readouterr().out
    assert cli.main(["cache", "clear"]) == 0 and "0 entrée supprimée" in capsys.readouterr().out
    assert not list(root.glob("*/*-*")) or all(p.suffix == ".lock" for p in root.glob("*/*"))
    assert cli.main(["cache", "list"]) == 0 and "(vide)" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["cache"], "Action attendue : list, clear ou prune."),
    (["cache", "prune", "--older-than", "-1"], "--older-than attend un nombre de jours"),
    (["cache", "prune", "--older-than", "x"], "L'option --older-than attend un nombre entier"),
    (["cache", "vider"], "Choix inconnu pour ACTION : « vider »"),
])
def test_bad_cache_commands_are_french_errors(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.setenv("FIDLE_EXAMPLES_CACHE", str(tmp_path))
    assert cli.main(args) == UsageError.exit_code
    assert message in capsys.readouterr().err
