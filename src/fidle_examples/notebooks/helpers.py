"""What the package's helpers do, written out for the notebooks, which run without it.

The examples load their data through `fidle_examples.core.datasets` (the Keras cache,
checked by sha256, with French errors offline). A notebook does the same in a few
lines with Keras' standard loaders; `split_indices`, plain lesson code, is copied from
the package's source so that both stay the same.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

from fidle_examples.core import datasets

# Import lines for names the notebook code may use beyond those of the examples.
EXTRA_IMPORTS = {
    "csv": "import csv",
    "keras": "import keras",
    "np": "import numpy as np",
    "plt": "import matplotlib.pyplot as plt",
    "Path": "from pathlib import Path",
    "tempfile": "import tempfile",
}


def _load_mnist() -> str:
    return textwrap.dedent('''\
        def load_mnist():
            """The 70 000 images of MNIST, downloaded once into Keras' cache (~/.keras)."""
            return keras.datasets.mnist.load_data()''')


def _load_wine_quality() -> str:
    wine = datasets.WINE_RED
    return textwrap.dedent(f'''\
        WINE_URL = ("{wine.origin[:wine.origin.rindex("/") + 1]}"
                    "{wine.fname}")
        WINE_SHA256 = "{wine.sha256}"


        def load_wine_quality():
            """Red wines of the UCI Wine Quality dataset: 11 measures and a quality score
            each, and the names of the measures. Downloaded once into Keras' cache."""
            path = keras.utils.get_file("{wine.fname}", WINE_URL, file_hash=WINE_SHA256)
            with open(path, newline="", encoding="utf-8") as stream:
                header, *rows = csv.reader(stream, delimiter=";")
            data = np.asarray(rows, dtype=np.float32)
            return data[:, :-1], data[:, -1], header[:-1]''')


def _copied(function) -> str:
    """The source of a package function, as it is in the package."""
    return textwrap.dedent(inspect.getsource(function)).strip("\n")


# name imported from fidle_examples.core -> the code that defines it in a notebook
STANDINS = {
    "load_mnist": _load_mnist,
    "load_wine_quality": _load_wine_quality,
    "split_indices": lambda: _copied(datasets.split_indices),
}


def standin(name: str) -> str | None:
    """The notebook's definition of the package helper `name`, or None."""
    make = STANDINS.get(name)
    if make is None:
        return None
    source = make()
    ast.parse(source)
    return source
