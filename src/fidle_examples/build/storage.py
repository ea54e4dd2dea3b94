"""The results cache on disk: one folder per (example, slot, key), written atomically,
locked across processes, pruned. What the keys are made of is keys.py.

Layout under the cache root (`cache_dir` of the plugin, `.cache/fidle-examples/` by
default, or $FIDLE_EXAMPLES_CACHE):

    mnist/full-<key>/          result.json + data.npz (core.store.save_atomically)
    mnist/full-<key>/figures-<figure key>/    one SVG per figure of the page
    mnist/full-<key>/explorer-<figure key>/   one SVG per state of an explorer
    mnist/full-<key>.lock      locked while that entry is checked or trained
    mnist/full-<fingerprint>.ref   text file holding <key>

The slot is the profile, or `full@3` for the reference run of seed 3, or
`full~<hash>` for a point of an explorer's grid (jobs.slot).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import filelock

from fidle_examples.core import atomic
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result

ENV_CACHE = "FIDLE_EXAMPLES_CACHE"
DEFAULT_DIR = Path(".cache") / "fidle-examples"
_DIGITS = 32  # hex digits of a hash used in file names


def default_root(project_dir: Path, configured: str | Path | None = None) -> Path:
    """$FIDLE_EXAMPLES_CACHE, else the plugin's `cache_dir` option, else
    .cache/fidle-examples; a relative folder is taken from the project's folder."""
    chosen = os.environ.get(ENV_CACHE) or configured or DEFAULT_DIR
    path = Path(chosen).expanduser()
    return path if path.is_absolute() else Path(project_dir) / path


def project_root(project_dir: Path) -> Path:
    """The cache folder a site build in `project_dir` uses: default_root with the
    `cache_dir` option read from its mkdocs.yml (for the CLI, the doctor, the bench)."""
    return default_root(project_dir, plugin_option(Path(project_dir) / "mkdocs.yml",
                                                   "cache_dir"))


def plugin_option(mkdocs_yml: Path, name: str):
    """An option of the fidle-examples plugin in `mkdocs_yml`, or None. MkDocs' own YAML
    tags (!ENV, !relative, python/name...) are read as plain values."""
    import yaml

    class _Tolerant(yaml.SafeLoader):
        pass

    _Tolerant.add_multi_constructor("", lambda loader, suffix, node: None)
    try:
        config = yaml.load(mkdocs_yml.read_text(encoding="utf-8"), Loader=_Tolerant) or {}
    except (OSError, yaml.YAMLError):
        return None
    for plugin in config.get("plugins") or []:
        if isinstance(plugin, dict) and "fidle-examples" in plugin:
            return (plugin["fidle-examples"] or {}).get(name)
    return None


@dataclass(frozen=True)
class Entry:
    """One stored result, as `fidle-examples cache list` shows it."""

    example: str
    slot: str
    path: Path
    size: int  # bytes, figures included
    modified: float  # seconds since the epoch


class ResultsCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def entry(self, example: str, slot: str, key: str) -> Path:
        return self.root / example / f"{slot}-{key[:_DIGITS]}"

    def _ref(self, example: str, slot: str, fingerprint_: str) -> Path:
        return self.root / example / f"{slot}-{fingerprint_[:_DIGITS]}.ref"

    def key_for(self, example: str, slot: str, fingerprint_: str) -> str | None:
        """The key recorded for this fingerprint, if a build has computed it."""
        try:
            key = self._ref(example, slot, fingerprint_).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return key if len(key) == 64 else None

    def load(self, example: str, slot: str, key: str) -> Result | None:
        """The stored Result for `key`, or None when absent or unreadable."""
        folder = self.entry(example, slot, key)
        if not folder.is_dir():
            return None
        try:
            return Result.load(folder)
        except FidleError:
            return None  # damaged by hand: trained again and replaced

    # --- figures: the page's and the explorers', one store for both ------------------
    def figures_dir(self, example: str, slot: str, key: str, figure_key: str,
                    kind: str = "figures") -> Path:
        return self.entry(example, slot, key) / f"{kind}-{figure_key[:_DIGITS]}"

    @staticmethod
    def load_figures(folder: Path, names: Iterable[str]) -> dict[str, str] | None:
        """{name: SVG} of the files `names` of `folder`, or None when one is missing."""
        try:
            return {name: (folder / name).read_text(encoding="utf-8") for name in names}
        except (OSError, UnicodeDecodeError):
            return None

    def store_figures(self, folder: Path, svgs: dict[str, str]) -> None:
        """Write the files atomically; older drawings of the same kind in the entry are
        removed. A failure only costs drawing them again."""
        kind = folder.name.split("-", 1)[0]
        try:
            with atomic.folder(folder) as staging:
                for name, svg in svgs.items():
                    (staging / name).write_text(svg, encoding="utf-8")
            for old in folder.parent.glob(f"{kind}-*"):
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as error:
            raise self._unwritable(error) from error

    # --- results ----------------------------------------------------------------------
    def store(self, example: str, slot: str, key: str, fingerprint_: str,
              result: Result) -> Path:
        """Save atomically, record the fingerprint, prune older entries. Hold lock(key)."""
        from fidle_examples.core.store import save_atomically

        folder = self.entry(example, slot, key)
        try:
            save_atomically(result, folder)
            self.remember(example, slot, key, fingerprint_)
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
            "plein, ou indiquez un autre dossier (option cache_dir du greffon dans "
            f"mkdocs.yml, ou variable d'environnement {ENV_CACHE}).")

    def remember(self, example: str, slot: str, key: str, fingerprint_: str) -> None:
        ref = self._ref(example, slot, fingerprint_)
        atomic.write_text(ref, key, encoding="ascii")
        self._prune(example, slot, keep_entry=self.entry(example, slot, key).name,
                    keep_ref=ref.name)

    @contextlib.contextmanager
    def lock(self, example: str, slot: str, key: str, on_wait=None) -> Iterator[None]:
        """Exclusive lock of one key across processes; `on_wait()` is called if another
        process holds it (it is training that entry: wait, then reuse its result)."""
        path = self.root / example / f"{slot}-{key[:_DIGITS]}.lock"
        try:  # writable at all? (without creating the lock file: a soft lock is its existence)
            path.parent.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=path.parent).close()
        except OSError as error:
            raise self._unwritable(error) from error
        with _locked(path, on_wait=on_wait):
            for stray in atomic.leftovers(self.entry(example, slot, key)):
                shutil.rmtree(stray, ignore_errors=True)
            yield

    def _prune(self, example: str, slot: str, keep_entry: str, keep_ref: str) -> None:
        """Older entries of the same example and slot: their keys can never match again
        with this code. An entry whose lock is held (another build using it) is kept."""
        for path in (self.root / example).glob(f"{slot}-*"):
            if path.name in (keep_entry, keep_ref) or path.suffix == ".lock":
                continue
            if path.suffix == ".ref":
                path.unlink(missing_ok=True)
                continue
            self._remove(path)

    def _remove(self, entry: Path) -> bool:
        """Remove an entry unless another process holds its lock; True if removed."""
        lock = entry.with_name(entry.name + ".lock")
        with _locked(lock, blocking=False) as held:
            if not held:
                return False
            for stray in atomic.leftovers(entry):
                shutil.rmtree(stray, ignore_errors=True)
            shutil.rmtree(entry, ignore_errors=True)
            lock.unlink(missing_ok=True)
        return True

    # --- what `fidle-examples cache` shows and removes --------------------------------
    def entries(self) -> list[Entry]:
        """Every stored result, by example then slot."""
        found = []
        for folder in sorted(p for p in self.root.glob("*/*") if p.is_dir()
                             and not p.name.startswith(".")):
            files = [f for f in folder.rglob("*") if f.is_file()]
            slot = folder.name.rsplit("-", 1)[0]
            found.append(Entry(folder.parent.name, slot, folder,
                               sum(f.stat().st_size for f in files),
                               max((f.stat().st_mtime for f in files),
                                   default=folder.stat().st_mtime)))
        return found

    def clear(self, older_than_s: float | None = None) -> list[Entry]:
        """Remove the entries (all, or those untouched for `older_than_s`), with their
        .ref files and interrupted writes; entries another build holds are kept (their
        leftovers too: the next build that locks them removes those). Returns the
        entries removed."""
        now = time.time()
        removed = [entry for entry in self.entries()
                   if (older_than_s is None or now - entry.modified > older_than_s)
                   and self._remove(entry.path)]
        for ref in self.root.glob("*/*.ref"):  # refs whose entry is gone
            target = ref.read_text(encoding="ascii", errors="replace").strip()[:_DIGITS]
            slot = ref.stem.rsplit("-", 1)[0]
            if not (ref.parent / f"{slot}-{target}").is_dir():
                ref.unlink(missing_ok=True)
        return removed


@contextlib.contextmanager
def _locked(path: Path, blocking: bool = True, on_wait=None) -> Iterator[bool]:
    """A portable exclusive lock of `path` (filelock: flock on Unix, msvcrt on Windows,
    the file's existence where neither exists; it retries when a pruner unlinked the
    file meanwhile). Yields True once locked; with blocking=False, False if someone
    holds it."""
    lock = filelock.FileLock(path)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if not blocking:
            yield False
            return
        if on_wait:
            on_wait()
        lock.acquire()
    try:
        yield True
    finally:
        lock.release()
