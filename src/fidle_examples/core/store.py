"""Writing result folders atomically: a reader sees the old folder or the new one, whole."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result


def save_atomically(result: Result, folder: Path) -> None:
    """Save into a temporary sibling, then swap it in with renames.

    An interruption at any point leaves either the previous complete folder or
    the new complete one (plus, at worst, a stray temporary folder).
    """
    folder = Path(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp",
                                        dir=folder.parent))
    except OSError as error:
        raise _write_error(folder, error) from error
    try:
        result.save(staging)
        _fsync_tree(staging)
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old",
                                        dir=folder.parent))
            os.replace(folder, old / "previous")
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise _write_error(folder, error) from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with path.open("rb") as stream:
            os.fsync(stream.fileno())


# The system's own wording (strerror) is in English.
_REASONS = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EDQUOT: "quota de disque dépassé",
    errno.ENOTDIR: "un élément du chemin est un fichier, pas un dossier",
    errno.EEXIST: "un fichier du même nom existe déjà à la place du dossier",
}


def reason(error: OSError) -> str:
    """Why a write failed, in French when the cause is a usual one."""
    return _REASONS.get(error.errno) or error.strerror or str(error)


def _write_error(folder: Path, error: OSError) -> FidleError:
    return FidleError(
        f"Impossible d'écrire les résultats dans « {folder} » ({reason(error)}). "
        "Vérifiez que ce dossier est accessible en écriture et que le disque n'est pas "
        "plein, ou choisissez un autre dossier (--output).")
