"""The results cache of the site build: one folder per (example, profile, key).

Layout under the cache root (`.cache/fidle-examples/` or $FIDLE_EXAMPLES_CACHE):

    mnist/full-<key>/          result.json + data.npz (store.save_atomically)
    mnist/full-<key>/figures-<figure key>/   one SVG per figure
    mnist/full-<key>.lock      flock'ed while that entry is checked or trained
    mnist/full-<fingerprint>.ref   text file holding <key>

The training key hashes everything that can change the numbers: the example's code
and the package modules it imports (found by reading their `import` statements), as
syntax trees without the presentation (figure_* and claim_* functions, FIGURES and
CLAIMS, METRICS labels: see core/contract.py), the resolved config and profile, the
dataset sha256s and the library versions. The figures have a key of their own, which
adds the full sources and the plotting modules: editing a figure redraws it, and
retrains nothing.
Config and datasets are only known after importing the example (numpy, matplotlib...),
which a warm build must not pay for. They are fully determined by the sources, so the
`.ref` file maps the cheap fingerprint (sources + profile + versions, read from files)
to the key computed once by the process that imported the example.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import fidle_examples
from fidle_examples.core import contract
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Figure, Result

ENV_CACHE = "FIDLE_EXAMPLES_CACHE"
FORMAT = 2  # bump when the layout or the key recipe changes
PACKAGE = "fidle_examples"
# Modules every run goes through besides the example itself.
RUN_ROOTS = ("fidle_examples", "fidle_examples.core.runner")
# The registry lists every example: hashing the whole file would retrain all of them
# when one is added (the example's name and module go into the key instead). Storing,
# declaring, formatting and wording results change no number: an edit there must not
# retrain every example (a stored entry that no longer loads is retrained anyway).
NOT_HASHED = frozenset({"fidle_examples.core.registry", "fidle_examples.core.results",
                        "fidle_examples.core.store", "fidle_examples.core.contract",
                        "fidle_examples.core.frenchfmt", "fidle_examples.core.errors"})
# The plotting modules only draw from stored results: they are in the figure key.
DRAWING = ("fidle_examples.core.plots", "fidle_examples.core.figures")

_DIGITS = 32  # hex digits of a hash used in file names


def default_root(project_dir: Path) -> Path:
    env = os.environ.get(ENV_CACHE)
    return Path(env).expanduser() if env else Path(project_dir) / ".cache" / "fidle-examples"


# --- what the key is made of ------------------------------------------------------

def package_dir() -> Path:
    return Path(fidle_examples.__file__).resolve().parent


def _module_file(name: str, root: Path) -> Path | None:
    """File of module `name` (fidle_examples.x.y) inside `root`, or None."""
    parts = name.split(".")[1:]
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


# (path, mtime_ns, size) -> imports: `mkdocs serve` rebuilds parse only edited files.
_IMPORTS_SEEN: dict[tuple[str, int, int], set[str]] = {}


def _imported(name: str, path: Path) -> set[str]:
    """Package modules that `path` (module `name`) imports, anywhere in its body."""
    stat = path.stat()
    seen = (str(path), stat.st_mtime_ns, stat.st_size)
    if seen not in _IMPORTS_SEEN:
        _IMPORTS_SEEN[seen] = _parse_imports(name, path)
    return _IMPORTS_SEEN[seen]


def _parse_imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            # `from fidle_examples import plots` imports the module plots.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def source_closure(module: str, root: Path | None = None,
                   skip: tuple[str, ...] = DRAWING) -> dict[str, Path]:
    """The package modules a run of `module` executes: {module name: file}; the
    modules of `skip` and those only they import are left out."""
    root = root or package_dir()
    files: dict[str, Path] = {}
    pending = [module, *RUN_ROOTS]
    while pending:
        name = pending.pop()
        if name in files or name in NOT_HASHED or name in skip:
            continue
        path = _module_file(name, root)
        if path is None:
            continue  # an attribute imported from a module, not a module
        files[name] = path
        # Importing a.b.c runs the __init__ of a and a.b first.
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        pending.extend(parents + sorted(_imported(name, path)))
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(data) -> str:
    return sha256(json.dumps(data, sort_keys=True, ensure_ascii=True, default=str).encode())


def library_versions() -> dict[str, str]:
    """Same answer as runtime.versions(), read from package metadata without importing
    Keras (seconds saved on every warm build). tests/test_cache.py checks they agree."""
    backend = _keras_backend()
    found = {"python": platform.python_version(), "numpy": _dist_version("numpy"),
             "keras": _dist_version("keras"), "backend": backend}
    dists = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"),
             "jax": ("jax",), "torch": ("torch",)}.get(backend)
    if dists:
        found[backend] = _dist_version(*dists)
    return found


def _dist_version(*names: str) -> str:
    for name in names:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return importlib.metadata.version(name)
    return "absent"


def _keras_backend() -> str:
    """The backend Keras will pick, by Keras' own rules (env, then keras.json)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        with open(os.path.join(os.path.expanduser(home), "keras.json"), encoding="utf-8") as f:
            return json.load(f).get("backend", "tensorflow")
    return "tensorflow"


def training_source(path: Path) -> str:
    """The module's syntax tree without its presentation: comments, docstrings, figure and claim
    functions (and their private helpers, named _figure_*, _claim_*), FIGURES, CLAIMS
    and the labels of METRICS do not change a number."""
    stat = path.stat()
    seen = (str(path), stat.st_mtime_ns, stat.st_size)
    if seen not in _TRAINING_SOURCE:
        tree = ast.parse(path.read_bytes(), filename=str(path))
        tree.body = [_without_labels(node) for node in tree.body if not _presentation(node)]
        for node in ast.walk(tree):  # docstrings explain; they compute nothing
            body = getattr(node, "body", None)
            if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                  ast.AsyncFunctionDef)) and body
                    and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        _TRAINING_SOURCE[seen] = ast.dump(tree)
    return _TRAINING_SOURCE[seen]


_TRAINING_SOURCE: dict[tuple[str, int, int], str] = {}


def _presentation(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name.lstrip("_").startswith(
            (contract.FIGURE_PREFIX, contract.CLAIM_PREFIX, contract.EXPLORER_PREFIX))
    targets = (node.targets if isinstance(node, ast.Assign)
               else [node.target] if isinstance(node, ast.AnnAssign) else [])
    return any(isinstance(t, ast.Name) and t.id in contract.PRESENTATION_NAMES for t in targets)


def _without_labels(node: ast.stmt) -> ast.stmt:
    """METRICS = {key: Metric(...)} -> the keys alone: a run must produce them all."""
    if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == "METRICS" for t in node.targets)):
        return ast.Assign(targets=node.targets,
                          value=ast.Tuple(elts=list(node.value.keys), ctx=ast.Load()))
    return node


def fingerprint(spec, profile: str, versions: dict[str, str] | None = None,
                root: Path | None = None) -> str:
    """Hash of what can be read without importing the example (cheap, every build)."""
    root = root or package_dir()
    closure = source_closure(f"{PACKAGE}.examples.{spec.module}", root)
    sources = {name: sha256(training_source(path).encode()) for name, path in closure.items()}
    return _digest({"format": FORMAT, "example": [spec.name, spec.module],
                    "profile": profile, "sources": sources,
                    "versions": versions or library_versions()})


def figure_key(spec, key: str, root: Path | None = None) -> str:
    """The training key plus every source that draws: the example's whole module, the
    modules it imports and the plotting modules."""
    root = root or package_dir()
    closure = source_closure(f"{PACKAGE}.examples.{spec.module}", root, skip=())
    closure.update({name: path for name in NOT_HASHED - {f"{PACKAGE}.core.registry"}
                    if (path := _module_file(name, root))})  # labels, number formats
    sources = {name: sha256(path.read_bytes()) for name, path in closure.items()}
    return _digest({"format": FORMAT, "key": key, "sources": sources})


def result_key(fingerprint_: str, config: dict, datasets) -> str:
    """The cache key: the fingerprint plus the resolved config and the dataset hashes."""
    return _digest({"fingerprint": fingerprint_, "config": config,
                    "datasets": sorted(d.sha256 for d in datasets)})


# --- entries on disk --------------------------------------------------------------

class ResultsCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def entry(self, example: str, profile: str, key: str) -> Path:
        return self.root / example / f"{profile}-{key[:_DIGITS]}"

    def _ref(self, example: str, profile: str, fingerprint_: str) -> Path:
        return self.root / example / f"{profile}-{fingerprint_[:_DIGITS]}.ref"

    def key_for(self, example: str, profile: str, fingerprint_: str) -> str | None:
        """The key recorded for this fingerprint, if a build has computed it."""
        try:
            key = self._ref(example, profile, fingerprint_).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return key if len(key) == 64 else None

    def load(self, example: str, profile: str, key: str) -> Result | None:
        """The stored Result for `key`, or None when absent or unreadable."""
        folder = self.entry(example, profile, key)
        if not folder.is_dir():
            return None
        try:
            return Result.load(folder)
        except FidleError:
            return None  # damaged by hand: trained again and replaced

    def figures_dir(self, example: str, profile: str, key: str, figure_key_: str) -> Path:
        return self.entry(example, profile, key) / f"figures-{figure_key_[:_DIGITS]}"

    def load_figures(self, example: str, profile: str, key: str, figure_key_: str,
                     captions: dict[str, str]) -> dict[str, Figure] | None:
        """The drawn figures of this entry, or None when one of them is missing."""
        folder = self.figures_dir(example, profile, key, figure_key_)
        try:
            return {name: Figure(name, caption,
                                 (folder / f"{name}.svg").read_text(encoding="utf-8"))
                    for name, caption in captions.items()}
        except (OSError, UnicodeDecodeError):
            return None

    def store_figures(self, example: str, profile: str, key: str, figure_key_: str,
                      figures: dict[str, Figure]) -> None:
        """Write the figures into a temporary folder, then rename it; older drawings of
        the same entry are removed. A failure only costs drawing them again."""
        folder = self.figures_dir(example, profile, key, figure_key_)
        try:
            staging = Path(tempfile.mkdtemp(prefix=".figures-", dir=folder.parent))
            for name, figure in figures.items():
                (staging / f"{name}.svg").write_text(figure.svg, encoding="utf-8")
            for old in folder.parent.glob("figures-*"):
                shutil.rmtree(old, ignore_errors=True)
            os.replace(staging, folder)
        except OSError as error:
            raise self._unwritable(error) from error

    def store(self, example: str, profile: str, key: str, fingerprint_: str,
              result: Result) -> Path:
        """Save atomically, record the fingerprint, prune older entries. Hold lock(key)."""
        from fidle_examples.core.store import save_atomically

        folder = self.entry(example, profile, key)
        try:
            save_atomically(result, folder)
            self.remember(example, profile, key, fingerprint_)
        except FidleError as error:  # save_atomically's message speaks of --output
            raise self._unwritable(error.__cause__ or error) from error
        except OSError as error:
            raise self._unwritable(error) from error
        return folder

    def _unwritable(self, error: BaseException) -> FidleError:
        from fidle_examples.core.store import reason

        why = reason(error) if isinstance(error, OSError) else str(error)
        return FidleError(
            f"Impossible d'écrire dans le cache des résultats « {self.root} » ({why}). "
            "Vérifiez que ce dossier est accessible en écriture et que le disque n'est pas "
            f"plein, ou indiquez un autre dossier avec la variable d'environnement {ENV_CACHE}.")

    def remember(self, example: str, profile: str, key: str, fingerprint_: str) -> None:
        ref = self._ref(example, profile, fingerprint_)
        _write_atomically(ref, key)
        self._prune(example, profile, keep_entry=self.entry(example, profile, key).name,
                    keep_ref=ref.name)

    @contextlib.contextmanager
    def lock(self, example: str, profile: str, key: str,
             on_wait=None) -> Iterator[None]:
        """Exclusive lock of one key across processes; `on_wait()` is called if another
        process holds it (it is training that entry: wait, then reuse its result)."""
        path = self.root / example / f"{profile}-{key[:_DIGITS]}.lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))  # writable at all?
        except OSError as error:
            raise self._unwritable(error) from error
        with _flocked(path, blocking_hook=on_wait):
            self._remove_leftovers(self.entry(example, profile, key))
            yield

    def _remove_leftovers(self, folder: Path) -> None:
        """Temporary folders of an interrupted save of this entry (we hold its lock)."""
        for stray in folder.parent.glob(f".{folder.name}.*"):
            if stray.suffix in (".tmp", ".old"):
                shutil.rmtree(stray, ignore_errors=True)

    def _prune(self, example: str, profile: str, keep_entry: str, keep_ref: str) -> None:
        """Older entries of the same example and profile: their keys can never match again
        with this code. An entry whose lock is held (another build using it) is kept."""
        folder = self.root / example
        for path in folder.glob(f"{profile}-*"):
            if path.name in (keep_entry, keep_ref) or path.suffix == ".lock":
                continue
            if path.suffix == ".ref":
                path.unlink(missing_ok=True)
                continue
            lock = path.with_name(path.name + ".lock")
            with _flocked(lock, blocking=False) as held:
                if held:
                    self._remove_leftovers(path)
                    shutil.rmtree(path, ignore_errors=True)
                    lock.unlink(missing_ok=True)


@contextlib.contextmanager
def _flocked(path: Path, blocking: bool = True, blocking_hook=None) -> Iterator[bool]:
    """flock(path), robust to the file being removed by a pruner meanwhile.

    Yields True once locked; with blocking=False, yields False if someone holds it.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                if not blocking:
                    yield False
                    return
                if blocking_hook:
                    blocking_hook()
                    blocking_hook = None
                fcntl.flock(fd, fcntl.LOCK_EX)
            # The file we locked may have been unlinked by a pruner: lock the new one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                yield True
                return
        finally:
            os.close(fd)  # also releases the lock


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
