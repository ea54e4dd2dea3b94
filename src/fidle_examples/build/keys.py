"""The key recipes of the build: what decides whether a stored result (or drawing) still
holds for the code on disk now. Storage is storage.py.

The training key hashes everything that can change the numbers: the example's code
and the package modules it imports (found by reading their `import` statements), as
syntax trees without the presentation (figure_* and claim_* functions, FIGURES and
CLAIMS, METRICS labels: see core/contract.py), the resolved config and profile, the
dataset sha256s and the versions of every library that computes. The figures have a
key of their own, which adds the full sources and the plotting modules: editing a
figure redraws it, and retrains nothing.
Config and datasets are only known after importing the example (numpy, matplotlib...),
which a warm build must not pay for. They are fully determined by the sources, so the
storage maps the cheap fingerprint (sources + profile + versions, read from files) to
the key computed once by the process that imported the example.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import fidle_examples
from fidle_examples.core import contract, runtime

FORMAT = 3  # bump when the key recipe changes (3: scikit-learn version, helpers run() calls)
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
    return runtime.installed_versions()


def training_source(path: Path) -> str:
    """The module's syntax tree without its presentation: comments, docstrings, figure and claim
    functions (and their private helpers, named _figure_*, _claim_*), FIGURES, CLAIMS
    and the labels of METRICS do not change a number. A presentation-named function
    that the training code calls is kept: editing it must retrain."""
    stat = path.stat()
    seen = (str(path), stat.st_mtime_ns, stat.st_size)
    if seen not in _TRAINING_SOURCE:
        tree = ast.parse(path.read_bytes(), filename=str(path))
        tree.body = [_without_labels(node) for node in _computing(tree.body)]
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


def _computing(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of `body` that are not presentation, plus the presentation
    functions that those (or the ones kept) name: a `_figure_*` helper called by run()."""
    kept = [node for node in body if not _presentation(node)]
    dropped = {node.name: node for node in body if _presentation(node)
               and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    pending = list(kept)
    while pending and dropped:
        named = {n.id for n in ast.walk(pending.pop()) if isinstance(n, ast.Name)}
        for name in named & dropped.keys():
            pending.append(dropped.pop(name))
    return [node for node in body if not _presentation(node) or
            (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name not in dropped)]


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
