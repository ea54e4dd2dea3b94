"""Dataset loaders: shapes, offline errors, and a damaged cache file left untouched."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fidle_examples import cli
from fidle_examples.core import datasets
from fidle_examples.core.datasets import MNIST, WINE_RED, load_mnist, load_wine_quality
from fidle_examples.core.errors import DatasetError

# Any download attempt fails at once, whether this machine is online or not.
NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
              "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
              "NO_PROXY": "", "no_proxy": ""}
LOADERS = {MNIST.fname: load_mnist, WINE_RED.fname: load_wine_quality}


@pytest.fixture
def offline(monkeypatch):
    for key, value in NO_NETWORK.items():
        monkeypatch.setenv(key, value)


def test_mnist_shapes_and_types():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert y_train.shape == (60_000,) and y_test.shape == (10_000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10)) and x_train.max() == 255


def test_wine_shapes_and_values():
    x, y, names = load_wine_quality()
    assert x.shape == (1599, 11) and y.shape == (1599,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert len(names) == 11 and names[0] == "fixed acidity" and names[-1] == "alcohol"
    assert set(np.unique(y)) == {3, 4, 5, 6, 7, 8}
    assert np.all(np.isfinite(x))


def test_split_indices_gives_three_disjoint_sets():
    train, val, test = datasets.split_indices(100, 0.15, 0.2, np.random.default_rng(0))
    assert (len(train), len(val), len(test)) == (65, 15, 20)
    assert sorted(np.concatenate([train, val, test])) == list(range(100))


def test_keras_datasets_dir_follows_keras_home(keras_home):
    assert datasets.keras_datasets_dir() == keras_home / "datasets"


@pytest.mark.parametrize("fname", LOADERS)
def test_missing_file_offline_is_a_clear_error(keras_home, offline, fname):
    (keras_home / "datasets" / fname).unlink()
    with pytest.raises(DatasetError) as error:
        LOADERS[fname]()
    message = str(error.value)
    assert f"« {fname} »" in message
    assert str(keras_home / "datasets") in message
    assert "KERAS_HOME" in message and "Jeu de données introuvable" in message


@pytest.mark.parametrize("fname", LOADERS)
@pytest.mark.parametrize("damage", ["truncated", "changed"])
def test_damaged_file_is_refused_and_left_unchanged(keras_home, offline, fname, damage):
    path = keras_home / "datasets" / fname
    content = path.read_bytes()
    damaged = content[: len(content) // 2] if damage == "truncated" else content + b"\n"
    path.write_bytes(damaged)
    with pytest.raises(DatasetError, match="corrompu ou incomplet.*n'a pas été modifié"):
        LOADERS[fname]()
    # Keras' get_file would have deleted it; the user's file must still be there.
    assert path.read_bytes() == damaged


def test_the_guard_is_what_keeps_the_file(keras_home, offline, monkeypatch):
    """Without _check_cached, Keras deletes the damaged file: the guard is needed."""
    path = keras_home / "datasets" / WINE_RED.fname
    path.write_bytes(path.read_bytes() + b"\n")
    monkeypatch.setattr(datasets, "_check_cached", lambda dataset: None)
    with pytest.raises(DatasetError):
        load_wine_quality()
    assert not path.exists()


def test_fetch_refuses_another_file_under_the_same_name(keras_home, offline):
    other = dataclasses.replace(WINE_RED, sha256="0" * 64)
    with pytest.raises(DatasetError, match="corrompu"):
        datasets.fetch(other)
    assert (keras_home / "datasets" / WINE_RED.fname).exists()


def _run(capsys, *args: str) -> tuple[int, str]:
    """`fidle-examples run ARGS` in this process: (exit code, stderr)."""
    code = cli.main(["run", *args])
    return code, capsys.readouterr().err


def test_cli_missing_dataset_exits_without_traceback(keras_home, offline, capsys, tmp_path):
    (keras_home / "datasets" / MNIST.fname).unlink()
    output = tmp_path / "out"
    code, err = _run(capsys, "mnist", "--profile", "quick", "--quiet", "--output", str(output))
    assert code == DatasetError.exit_code
    assert "Traceback" not in err
    assert "Erreur : Jeu de données introuvable : « mnist.npz »" in err
    assert "KERAS_HOME" in err
    assert not output.exists()


def test_cli_corrupted_dataset_keeps_the_file(keras_home, offline, capsys, tmp_path):
    path = keras_home / "datasets" / WINE_RED.fname
    damaged = path.read_bytes()[:1000]
    path.write_bytes(damaged)
    output = tmp_path / "out"
    code, err = _run(capsys, "wine", "--profile", "quick", "--quiet", "--output", str(output))
    assert code == DatasetError.exit_code
    assert "Traceback" not in err and "corrompu ou incomplet" in err
    assert path.read_bytes() == damaged
    assert not output.exists()
