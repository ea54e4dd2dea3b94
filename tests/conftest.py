"""Shared test set-up: an offline Keras dataset cache, a private results cache, the
examples trained once per session (`quick_results`, lazy) and the project's site built
once per session (`built_site`, shared by the site, notebook and browser tests).

KERAS_HOME is set here, at import time, before anything imports Keras (Keras reads
it once). The ready cache of ../shared/datasets/keras is copied first: Keras writes
keras.json there, and a test may corrupt a file on purpose.

Tiers (Makefile, tests/DURATIONS.md): a test that trains a course example carries the
`trains` marker, set here for every test that uses `quick_results`, `site_build` or
`built_site`, with `shared_build` (scripts/test.sh runs those in `make test`'s main
pytest, where they are made once; `timed_alone` tests go last there);
a test without it that trains in this process fails (`_no_training_unless_marked`),
so that `make test-fast` (-m "not trains ...") really trains nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import ROOT, build_site

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


# Fixtures that train every example (quick_results) or build the site, which trains them.
TRAINING_FIXTURES = {"quick_results", "site_build", "built_site"}


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """`trains` and `shared_build` for the tests that use the session's trainings or
    site, before -m selects: `make test` (scripts/test.sh) runs those in one pytest
    process, where they are made once, and the others in a second one beside it.
    After the other hooks (tests/browser/conftest.py puts the browser tests last), the
    `timed_alone` tests go to the very end: by then the tests beside are long over."""
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.trains)
            item.add_marker(pytest.mark.shared_build)
    result = yield
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("timed_alone") is not None)
    return result


@contextlib.contextmanager
def _no_training_unless_marked(item):
    """A test without the `trains` marker may not train a course example in this
    process, in its fixtures included (a test double's own run() is allowed): the
    marker stays true, and `make test-fast` trains nothing. Trainings in a subprocess
    (CLI, site builds, worker pools) are marked by hand."""
    if item.get_closest_marker("trains"):
        yield
        return
    from fidle_examples.core import runner
    from fidle_examples.core.errors import TrainingError

    real = runner.execute

    def guarded(spec, module, *args, **kwargs):
        run = getattr(module, "run", None)
        real_example = getattr(run, "__module__", None) == getattr(module, "__name__", "") \
            and module.__name__.startswith("fidle_examples.examples.")
        trained = False
        try:
            result = real(spec, module, *args, **kwargs)
            trained = True
            return result
        except TrainingError:  # a training that ran, then diverged
            trained = True
            raise
        finally:
            # A run stopped before training (missing data, bad option) is no training.
            if real_example and trained:
                pytest.fail(f"{item.nodeid} entraîne « {spec.name} » sans la marque "
                            "@pytest.mark.trains (make test-fast ne doit rien entraîner)",
                            pytrace=False)

    runner.execute = guarded
    try:
        yield
    finally:
        runner.execute = real


# Around setup too: module and session fixtures are made in the setup of their first test.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _no_training_unless_marked(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _no_training_unless_marked(item):
        return (yield)


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
    drawn apart): each example trains once per test session, when a test first asks
    (tests that need no training never trigger it), and the site builds of the tests
    find them in the cache."""
    from fidle_examples.core import reference, registry
    from fidle_examples.build.loading import Loader
    from fidle_examples.build.storage import ResultsCache, default_root

    modules = {spec.name: spec.load() for spec in registry.EXAMPLES}
    loader = Loader(ResultsCache(default_root(ROOT)), "quick", reference.default_dir(ROOT))
    return loader.load(modules)


@dataclass(frozen=True)
class SiteBuild:
    path: Path  # the built site
    log: str    # mkdocs' output, stdout and stderr together


@pytest.fixture(scope="session")
def site_build(tmp_path_factory, quick_results) -> SiteBuild:
    """The project's site, built once for the whole session as `make build` does
    (`mkdocs build --strict`), quick profile, with the session's results cache: every
    example and explorer point is already there (quick_results). The
    site, notebook and browser tests all read it; none may write into it (copy it)."""
    out = tmp_path_factory.mktemp("site") / "site"
    proc = build_site(ROOT, site_dir=out, timeout=3600)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict a échoué :\n{proc.stdout[-8000:]}", pytrace=False)
    return SiteBuild(out, proc.stdout)


@pytest.fixture(scope="session")
def built_site(site_build) -> Path:
    return site_build.path
