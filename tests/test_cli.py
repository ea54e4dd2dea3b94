"""The `fidle-examples` command. The real entry point (`python -m fidle_examples`, a
subprocess) runs the help and a whole `run`; the tests about messages call
cli.main() in this process (same code, no interpreter and Keras start-up each time)."""

from __future__ import annotations

import json
import warnings

import pytest

from fidle_examples import cli
from fidle_examples.core import reference, registry
from fidle_examples.core.errors import FidleError, TrainingError, UsageError
from fidle_examples.core.results import DATA_FILE, RESULT_FILE
from support import run_cli


def main(capsys, *args: str) -> tuple[int, str, str]:
    """`fidle-examples ARGS` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_example(capsys):
    code, out, err = main(capsys, "list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["exemple", "Fidle", "titre"]
    for spec in registry.EXAMPLES:
        assert any(line.split()[:2] == [spec.name, spec.fidle_id] and spec.title in line
                   for line in lines), spec.name


def test_no_command_prints_the_help():
    done = run_cli()  # the real entry point: python -m fidle_examples, its exit code
    assert done.returncode == 2 and "COMMANDE" in done.stdout


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):  # its tests are marked `trains`
    """`run linear-regression --profile quick --output DIR` once for the module."""
    output = tmp_path_factory.mktemp("cli") / "linear"
    done = run_cli("run", "linear-regression", "--profile", "quick", "--output", str(output))
    return done, output


@pytest.mark.trains
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


@pytest.mark.trains
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


@pytest.mark.trains
def test_show_reads_the_saved_result(cli_run, capsys):
    done, output = cli_run
    code, out, err = main(capsys, "show", str(output))
    assert code == 0, err
    # The same summary as at the end of the run.
    assert out.strip() == done.stdout.split("\n\n", 1)[1].strip()


@pytest.mark.parametrize("command", ["show", "compare"])
def test_reading_a_missing_folder_is_a_french_error(capsys, tmp_path, command):
    code, _, err = main(capsys, command, str(tmp_path / "nothing"))
    assert code == FidleError.exit_code and "Traceback" not in err
    assert "illisible ou incomplet" in err


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
def test_bad_command_lines_exit_2_and_write_nothing(capsys, tmp_path, args, message):
    output = tmp_path / "out"
    code, _, err = main(capsys, *args, "--output", str(output))
    assert code == UsageError.exit_code
    assert err.startswith("Erreur : ") and message in err
    assert "Traceback" not in err
    assert not output.exists()


# A Keras training whose loss becomes NaN fails; a gradient descent that diverges is a
# result of that example (stopped and reported, below).
DIVERGING = ("wine", "--profile", "quick", "--learning-rate", "1e6", "--epochs", "3")


def runtime_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, RuntimeWarning)]


@pytest.mark.trains
def test_diverging_run_exits_non_zero_and_writes_nothing(capsys, tmp_path):
    output = tmp_path / "out"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        code, _, err = main(capsys, "run", *DIVERGING, "--output", str(output))
    assert code == TrainingError.exit_code
    assert "Erreur : L'entraînement a divergé" in err
    assert "--learning-rate" in err and "Traceback" not in err
    assert not runtime_warnings(record) and "RuntimeWarning" not in err
    assert not output.exists()


@pytest.mark.trains
def test_a_failed_run_keeps_the_previous_result(cli_run, capsys):
    """A new run that fails leaves the folder of the last good run as it was."""
    _, output = cli_run
    before = {p.name: p.read_bytes() for p in output.iterdir()}
    code, _, _ = main(capsys, "run", *DIVERGING, "--output", str(output))
    assert code == TrainingError.exit_code
    assert {p.name: p.read_bytes() for p in output.iterdir()} == before


@pytest.mark.trains
def test_a_gradient_descent_that_diverges_is_reported_in_french(capsys, tmp_path):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        code, out, err = main(capsys, "run", "gradient-descent", "--profile", "quick",
                              "--learning-rate", "1", "--output", str(tmp_path / "out"))
    assert code == 0, err
    assert ("\nAttention : La descente par lot complet (à l'époque " in out
            and "ont divergé : a ou b a dépassé un million en valeur absolue" in out)
    assert "--learning-rate 0.1" in out
    assert not runtime_warnings(record) and "RuntimeWarning" not in err


def test_reference_refuses_unknown_examples_and_too_few_seeds(capsys):
    for args, message in ((["nope"], "Exemple inconnu : « nope »."),
                          (["mnist", "--seeds", "1"], "--seeds doit être entre 2 et 50, pas 1.")):
        code, _, err = main(capsys, "reference", *args)
        assert code == UsageError.exit_code, err
        assert err.startswith("Erreur : ") and message in err


# --- is my run normal? the committed reference ------------------------------------------

@pytest.mark.slow
@pytest.mark.trains
def test_compare_says_a_one_epoch_mnist_falls_below_the_reference(capsys, tmp_path):
    """`run mnist --epochs 1` then `compare`, against the committed reference/mnist.json:
    the accuracy is below the range of its seeds, and the report names the likely
    cause; a verdict, not an error."""
    ref = reference.load("mnist")
    assert ref is not None, f"{reference.path_for('mnist')} manque : make reference"
    output = tmp_path / "mnist"
    code, run_out, err = main(capsys, "run", "mnist", "--epochs", "1", "--quiet",
                              "--output", str(output))
    assert code == 0, err
    code, text, err = main(capsys, "compare", str(output))
    assert code == 0, err
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
    assert run_out.rstrip().endswith(text.strip())  # `run` ends with the same report


@pytest.mark.trains
def test_reference_seeds_make_the_range_a_run_of_one_of_them_falls_in(tmp_path, cli_run,
                                                                      capsys, monkeypatch):
    """`reference` on a fast example (two seeds, the real command), then a run with one
    of those seeds and `compare` (in this process)."""
    env = {reference.ENV_DIR: str(tmp_path / "reference"),
           "FIDLE_EXAMPLES_CACHE": str(tmp_path / "cache")}
    done = run_cli("reference", "linear-regression", "--seeds", "2", env=env)
    assert done.returncode == 0, done.stderr
    saved = reference.load("linear-regression", tmp_path / "reference")
    published = registry.get("linear-regression").load().PROFILES["full"].seed
    assert (saved.profile, saved.seeds, len(saved.runs)) == ("full", [published, 1], 2)
    assert saved.values("slope")[0] != saved.values("slope")[1]

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    output = tmp_path / "linear"
    code, out, err = main(capsys, "run", "linear-regression", "--seed", "1",
                          "--output", str(output))
    assert code == 0, err
    assert "Verdict : exécution normale, chaque mesure est dans la plage" in out

    code, out, err = main(capsys, "compare", str(cli_run[1]))
    assert code == 0, err
    assert "Pas de comparaison : ce résultat est du profil « quick »" in out

    (tmp_path / "reference" / "linear-regression.json").write_text("{", encoding="utf-8")
    code, _, err = main(capsys, "compare", str(output))
    assert code == FidleError.exit_code and "Traceback" not in err
    assert "est illisible ou corrompue" in err and "Régénérez-la" in err


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
