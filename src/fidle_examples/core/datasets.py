"""Datasets through the standard Keras cache ($KERAS_HOME/datasets), checked by sha256.

Keras' `get_file` deletes a cached file whose hash does not match and downloads it
again; offline, the user's file would simply vanish. So the cached file is checked
here first, and a mismatch stops with a message instead of a deletion.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fidle_examples.core.errors import DatasetError


@dataclass(frozen=True)
class DatasetFile:
    fname: str
    origin: str
    sha256: str
    description: str


MNIST = DatasetFile(
    "mnist.npz",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "MNIST (chiffres manuscrits)")

WINE_RED = DatasetFile(
    "winequality-red.csv",
    "https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/"
    "winequality-red.csv",
    "4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
    "Wine Quality, vins rouges (UCI)")


def split_indices(n: int, validation_fraction: float, test_fraction: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled indices of three separate sets: (train, validation, test)."""
    order = rng.permutation(n)
    n_test = round(n * test_fraction)
    n_val = round(n * validation_fraction)
    test, validation, train = np.split(order, [n_test, n_test + n_val])
    return train, validation, test


def keras_datasets_dir() -> Path:
    """Where Keras looks for datasets, with the same rules as `keras.utils.get_file`."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    if not os.access(home, os.W_OK):
        home = Path(tempfile.gettempdir()) / ".keras"
    return home / "datasets"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_cached(dataset: DatasetFile) -> None:
    """Refuse a corrupted or truncated cached file before Keras deletes it."""
    path = keras_datasets_dir() / dataset.fname
    if path.exists() and sha256_of(path) != dataset.sha256:
        raise DatasetError(
            f"Le fichier « {path} » ({dataset.description}) est corrompu ou incomplet : "
            f"son empreinte SHA-256 n'est pas {dataset.sha256}. Il n'a pas été modifié. "
            "Remplacez-le par une copie intacte, ou supprimez-le pour qu'il soit "
            "téléchargé à nouveau (connexion Internet nécessaire).")


def _offline_error(dataset: DatasetFile, error: BaseException) -> DatasetError:
    folder = keras_datasets_dir()
    return DatasetError(
        f"Jeu de données introuvable : « {dataset.fname} » ({dataset.description}) "
        f"n'est pas dans le cache Keras « {folder} » et le téléchargement depuis "
        f"{dataset.origin} a échoué ({error}). Copiez le fichier dans ce dossier, ou "
        "indiquez le dossier qui contient « datasets/"
        f"{dataset.fname} » avec la variable d'environnement KERAS_HOME.")


def fetch(dataset: DatasetFile) -> Path:
    """Path of the dataset file in the Keras cache, downloaded if absent."""
    _check_cached(dataset)
    import keras

    try:
        return Path(keras.utils.get_file(
            dataset.fname, dataset.origin, file_hash=dataset.sha256,
            cache_dir=str(keras_datasets_dir().parent)))
    except Exception as error:  # Keras raises a bare Exception on fetch failure
        raise _offline_error(dataset, error) from error


def load_mnist():
    """((x_train, y_train), (x_test, y_test)) as uint8 arrays, as Keras returns them."""
    # The same file and layout as keras.datasets.mnist.load_data(), but through
    # fetch(): it follows KERAS_HOME at each call (Keras reads it once, at import).
    with np.load(fetch(MNIST)) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def load_wine_quality() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Red wines: features (1599, 11) float32, quality (1599,) float32, feature names."""
    path = fetch(WINE_RED)
    with path.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream, delimiter=";"))
    header, body = rows[0], rows[1:]
    data = np.asarray(body, dtype=np.float32)
    return data[:, :-1], data[:, -1], header[:-1]
