"""Writing result folders atomically: a reader sees the old folder or the new one, whole."""

from __future__ import annotations

import errno
from pathlib import Path

from fidle_examples.core import atomic
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result


def save_atomically(result: Result, folder: Path) -> None:
    """Save into a temporary sibling, then swap it in (core.atomic.folder): an
    interruption at any point leaves the previous complete folder or the new one."""
    try:
        with atomic.folder(Path(folder), fsync=True) as staging:
            result.save(staging)
    except OSError as error:
        raise _write_error(Path(folder), error) from error


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
