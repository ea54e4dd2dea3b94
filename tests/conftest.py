"""Shared test set-up: an offline Keras dataset cache, and a private results cache.

KERAS_HOME is set here, at import time, before anything imports Keras (Keras reads
it once). The ready cache of ../shared/datasets/keras is copied first: Keras writes
keras.json there, and a test may corrupt a file on purpose.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from support import ROOT

SHARED_DATASETS = Path(os.environ.get(
    "FIDLE_SHARED_DATASETS", ROOT.parent / "shared" / "datasets" / "keras"))

_session_tmp = Path(tempfile.mkdtemp(prefix="fidle-tests-"))
KERAS_HOME = _session_tmp / "keras"
if not SHARED_DATASETS.is_dir():
    raise RuntimeError(
        f"Cache de données introuvable : {SHARED_DATASETS}. Les tests fonctionnent hors "
        "ligne avec une copie de ../shared/datasets/keras ; indiquez son chemin avec "
        "FIDLE_SHARED_DATASETS.")
shutil.copytree(SHARED_DATASETS, KERAS_HOME)
os.environ["KERAS_HOME"] = str(KERAS_HOME)
os.environ["FIDLE_EXAMPLES_CACHE"] = str(_session_tmp / "results-cache")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_session_tmp, ignore_errors=True)


@pytest.fixture
def keras_home(tmp_path, monkeypatch) -> Path:
    """A private copy of the dataset cache, for tests that damage or remove files."""
    home = tmp_path / "keras"
    shutil.copytree(SHARED_DATASETS, home)
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def quick_results():
    """{name: Loaded} for every example of the registry, in the quick profile, loaded
    the way the site build loads them (worker pool, session results cache, figures
    drawn apart): each example trains once per test session, and the site builds of
    the tests find them in the cache."""
    from fidle_examples.core import reference, registry
    from fidle_examples.build.loading import Loader
    from fidle_examples.build.storage import ResultsCache, default_root

    modules = {spec.name: spec.load() for spec in registry.EXAMPLES}
    loader = Loader(ResultsCache(default_root(ROOT)), "quick", reference.default_dir(ROOT))
    return loader.load(modules)
