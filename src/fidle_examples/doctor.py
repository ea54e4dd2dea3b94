"""`fidle-examples doctor`: is this machine ready to run the examples?

Each check returns a status (ok, warning, blocking), a French message and, for a
problem, what to do. Only what stops a run counts as blocking (exit code 1): a
missing core package, Keras that does not import, a corrupted dataset, a missing
dataset when its origin cannot be reached, a full disk. The rest (other versions
than the lock, no GPU seen although one is present...) is a warning.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib.metadata
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from fidle_examples.core import datasets, frenchfmt

NBSP = "\u00a0"  # before « : » in French
SUPPORTED_PYTHON = ((3, 11), (3, 13))  # the versions the lock and CI are tested with
LOCK_NAME = "requirements.lock"
DISTRIBUTION = "fidle-examples"
BLOCKING_FREE_BYTES = 200 * 2**20  # a run writes a few MB; the site build, a few hundred
LOW_FREE_BYTES = 2 * 2**30


class Status(enum.Enum):
    OK = "ok"
    WARNING = "attention"
    BLOCKING = "bloquant"


@dataclasses.dataclass(frozen=True)
class Check:
    topic: str
    status: Status
    message: str
    action: str = ""  # what to do, for a warning or a blocking problem


# --- Python and packages -------------------------------------------------------

def check_python() -> Check:
    version = sys.version_info[:2]
    text = platform.python_version()
    low, high = SUPPORTED_PYTHON
    supported = f"{low[0]}.{low[1]} à {high[0]}.{high[1]}"
    if version < low:
        return Check("Python", Status.BLOCKING,
                     f"Python {text} est trop ancien (versions prises en charge{NBSP}: {supported}).",
                     f"Installez Python {low[0]}.{low[1]} ou plus récent, puis recréez "
                     "l'environnement (make .venv/.installed).")
    if version > high:
        return Check("Python", Status.WARNING,
                     f"Python {text} n'est pas encore testé (versions prises en charge{NBSP}: "
                     f"{supported}) : certains paquets du verrou n'existent peut-être pas pour lui.",
                     f"En cas d'erreur d'installation, utilisez Python {high[0]}.{high[1]}.")
    return Check("Python", Status.OK, f"{text} ({sys.executable}).")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """{normalized name: version} of the `name==version` lines of a lock file."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:  # `name==version \` then --hash lines: the hashes are pip's
            name, _, version = line.partition("==")
            pins[_normalize(name.strip())] = version.split()[0]
    return pins


def find_lock(explicit: Path | None = None) -> Path | None:
    """The lock given, else the one of the project root (editable install), else ./."""
    if explicit is not None:
        return explicit
    project = Path(__file__).resolve().parents[2]  # src/fidle_examples/doctor.py
    for folder in (project, Path.cwd()):
        if (folder / LOCK_NAME).is_file():
            return folder / LOCK_NAME
    return None


def _core_requirements() -> list[str] | None:
    """Normalized names of the project's own dependencies (extras excluded)."""
    try:
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return [_normalize(re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0])
            for req in requires if "extra ==" not in req]


def _installed() -> dict[str, str]:
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(_normalize(name), dist.version)
    return found


def check_packages(lock: Path | None) -> Check:
    installed = _installed()
    core = _core_requirements()
    if core is None:
        return Check("Paquets", Status.WARNING,
                     f"Le paquet {DISTRIBUTION} n'est pas installé (lancé depuis les sources ?).",
                     "Installez le projet : make .venv/.installed, ou bash install-offline.sh "
                     "depuis le kit hors ligne.")
    missing = sorted(name for name in core if name not in installed)
    if missing:
        return Check("Paquets", Status.BLOCKING,
                     f"Dépendances absentes{NBSP}: {', '.join(missing)}.",
                     "Réinstallez l'environnement : make .venv/.installed (ou "
                     "pip install --constraint requirements.lock -e .).")
    if lock is None or not lock.is_file():
        where = f" ({lock})" if lock else ""
        return Check("Paquets", Status.OK,
                     f"Dépendances présentes ; versions non comparées{NBSP}: pas de fichier "
                     f"{LOCK_NAME}{where} (le projet n'est pas installé depuis ses sources). "
                     "Indiquez-le avec --lock pour comparer.")
    pins = read_lock(lock)
    differ = sorted(f"{name} {installed[name]} au lieu de {version}"
                    for name, version in pins.items()
                    if name in installed and installed[name] != version)
    present = sum(name in installed for name in pins)
    if differ:
        return Check("Paquets", Status.WARNING,
                     f"{len(differ)} paquet(s) dans une autre version que celle de {lock}{NBSP}: "
                     + " ; ".join(differ[:8]) + (" ; ..." if len(differ) > 8 else "")
                     + ". Les résultats peuvent s'écarter de ceux du site.",
                     "Réinstallez les versions exactes : make .venv/.installed (ou "
                     f"pip install --constraint {LOCK_NAME} -e .).")
    return Check("Paquets", Status.OK,
                 f"{present} paquets installés dans la version exacte de {lock} "
                 f"(les {len(pins) - present} autres sont facultatifs : extras gpu, jax, torch, dev).")


# --- Keras and the GPUs --------------------------------------------------------

def check_keras() -> tuple[Check, str | None]:
    """(the check, the backend name or None when Keras does not import)."""
    from fidle_examples.core import runtime

    wanted = os.environ.get("KERAS_BACKEND")
    try:
        keras = runtime.import_keras()
        backend = keras.backend.backend()
    except Exception as error:  # any import failure of Keras or of its backend
        return Check("Keras", Status.BLOCKING,
                     f"Keras ne s'importe pas (backend {wanted or 'par défaut'}){NBSP}: {error}",
                     "Réinstallez l'environnement (make .venv/.installed) ; pour les backends "
                     "jax ou torch, installez l'extra du même nom, ou retirez KERAS_BACKEND."
                     ), None
    source = "choisi par KERAS_BACKEND" if wanted else "choisi par keras.json ou par défaut"
    if backend not in ("tensorflow", "jax", "torch"):
        return Check("Keras", Status.WARNING,
                     f"Keras {keras.__version__}, moteur de calcul {backend} ({source}) : "
                     "il ne sait pas entraîner les exemples.",
                     "Choisissez tensorflow (celui du site), jax ou torch : "
                     "export KERAS_BACKEND=tensorflow."), backend
    note = "" if backend == "tensorflow" else " ; le site publié utilise tensorflow"
    return Check("Keras", Status.OK,
                 f"Keras {keras.__version__}, moteur de calcul {backend} "
                 f"({source}{note})."), backend


def _nvidia_smi() -> list[tuple[str, str]] | None:
    """[(name, total memory in MiB)] from nvidia-smi, or None without a driver."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [tuple(part.strip() for part in line.split(",", 1))
            for line in out.splitlines() if "," in line]


def _memory(mib: str) -> str:
    try:
        return f"{frenchfmt.number(int(mib) / 1024, 0)}{NBSP}Gio"
    except ValueError:
        return "mémoire inconnue"


def _tensorflow_gpus(driver: list[tuple[str, str]] | None) -> tuple[list[str], str]:
    """(descriptions of the GPUs TensorFlow sees, its CUDA/cuDNN build)."""
    import tensorflow as tf

    info = tf.sysconfig.get_build_info()
    build = (f"TensorFlow {tf.__version__} compilé pour CUDA {info.get('cuda_version', '?')}, "
             f"cuDNN {info.get('cudnn_version', '?')}" if info.get("is_cuda_build")
             else f"TensorFlow {tf.__version__} compilé sans CUDA")
    from fidle_examples.core.runtime import _quiet_native_stderr  # CUDA probing is noisy

    with _quiet_native_stderr():
        gpus = tf.config.list_physical_devices("GPU")
        described = []
        for index, gpu in enumerate(gpus):
            details = tf.config.experimental.get_device_details(gpu)
            name = details.get("device_name", gpu.name)
            capability = details.get("compute_capability")
            memory = _memory(driver[index][1]) if driver and index < len(driver) else ""
            extra = ", ".join(filter(None, [memory, capability and
                                            "capacité de calcul {}.{}".format(*capability)]))
            described.append(f"{name} ({extra})" if extra else name)
    return described, build


def _other_backend_gpus(backend: str) -> tuple[list[str], str]:
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform == "gpu"], f"JAX {jax.__version__}"
    import torch

    names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    cudnn = torch.backends.cudnn.version() if torch.cuda.is_available() else None
    return names, f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {cudnn}"


def check_gpus(backend: str | None) -> Check:
    if backend is None:
        return Check("GPU", Status.WARNING, "Non vérifié : Keras ne s'importe pas.",
                     "Corrigez d'abord le problème de Keras.")
    driver = _nvidia_smi()
    try:
        if backend == "tensorflow":
            gpus, build = _tensorflow_gpus(driver)
        elif backend in ("jax", "torch"):
            gpus, build = _other_backend_gpus(backend)
        else:
            gpus, build = [], backend
    except Exception as error:  # a broken CUDA install must not stop the diagnosis
        return Check("GPU", Status.WARNING, f"Recherche des GPU impossible{NBSP}: {error}",
                     "Vérifiez le pilote NVIDIA (nvidia-smi) et les bibliothèques CUDA.")
    if gpus:
        return Check("GPU", Status.OK, f"{len(gpus)} GPU visible(s){NBSP}: "
                     + " ; ".join(gpus) + f" — {build}.")
    if driver:
        names = ", ".join(f"{name} ({_memory(mib)})" for name, mib in driver)
        return Check("GPU", Status.WARNING,
                     f"Le pilote NVIDIA voit {names}, mais {backend} ne voit aucun GPU "
                     f"({build}) : l'entraînement se fera sur le processeur.",
                     "Installez les bibliothèques CUDA de PyPI : EXTRAS=dev,gpu bash "
                     "scripts/install.sh (ou pip install 'tensorflow[and-cuda]').")
    return Check("GPU", Status.OK,
                 f"Aucun GPU{NBSP}: pas de pilote NVIDIA sur cette machine (nvidia-smi "
                 f"introuvable ou sans réponse) ; {build}. Les exemples s'entraînent "
                 "sur le processeur, plus lentement.")


# --- data, cache, disk ---------------------------------------------------------

def declared_datasets() -> list[datasets.DatasetFile]:
    """Every DatasetFile that fidle_examples.core.datasets declares."""
    return [value for value in vars(datasets).values()
            if isinstance(value, datasets.DatasetFile)]


def _reachable(url: str, timeout: float = 2.0) -> bool:
    host = urlparse(url).hostname
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def check_dataset(dataset: datasets.DatasetFile, offline: bool) -> Check:
    folder = datasets.keras_datasets_dir()
    path = folder / dataset.fname
    topic = f"Données {dataset.fname}"
    if not path.is_file():
        if not offline and _reachable(dataset.origin):
            return Check(topic, Status.WARNING,
                         f"{dataset.description}, absent de {folder} ; il sera "
                         f"téléchargé depuis {urlparse(dataset.origin).hostname} au premier "
                         "exemple qui en a besoin.",
                         "Rien, si cette machine garde l'accès à Internet ; sinon, copiez le "
                         f"fichier dans {folder}.")
        why = ("la machine est déclarée hors ligne (--offline)" if offline else
               f"{urlparse(dataset.origin).hostname} est injoignable")
        return Check(topic, Status.BLOCKING,
                     f"{dataset.description}, absent de {folder}, et {why} : "
                     "les exemples qui l'utilisent échoueront.",
                     f"Copiez {dataset.fname} (SHA-256 {dataset.sha256}) dans {folder}, ou "
                     "indiquez avec KERAS_HOME le dossier qui contient datasets/"
                     f"{dataset.fname} (le kit hors ligne le fournit).")
    actual = datasets.sha256_of(path)
    if actual != dataset.sha256:
        return Check(topic, Status.BLOCKING,
                     f"{dataset.description}, {path} est corrompu ou incomplet : son empreinte "
                     f"SHA-256 ne correspond pas (trouvée {actual[:12]}…, attendue "
                     f"{dataset.sha256[:12]}…) ; le chargeur refusera ce fichier.",
                     "Remplacez-le par une copie intacte, ou supprimez-le pour qu'il soit "
                     "téléchargé à nouveau (connexion Internet nécessaire).")
    size = frenchfmt.number(path.stat().st_size / 2**20, 1)
    return Check(topic, Status.OK, f"{dataset.description}, {path} ({size}{NBSP}Mio, "
                 "empreinte SHA-256 vérifiée).")


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _tree_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass  # removed meanwhile (a build running beside us)
    return total


def _writable(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def results_cache_root() -> Path:
    from fidle_examples.build.storage import project_root  # the rule the site build uses

    return project_root(Path.cwd())


def check_cache(root: Path) -> Check:
    if not root.exists():
        parent = _existing(root)
        if parent.is_dir() and _writable(parent):
            return Check("Cache des résultats", Status.OK,
                         f"{root} n'existe pas encore ; il sera créé à la première construction "
                         "du site.")
        return Check("Cache des résultats", Status.WARNING,
                     f"{root} ne peut pas être créé ({parent} n'est pas accessible en écriture).",
                     "Choisissez un autre dossier : export FIDLE_EXAMPLES_CACHE=/un/dossier.")
    if not _writable(root):
        return Check("Cache des résultats", Status.WARNING,
                     f"{root} n'est pas accessible en écriture : la construction du site ne "
                     "pourra pas garder ses entraînements.",
                     "Donnez-vous les droits (chmod u+w) ou choisissez un autre dossier : "
                     "export FIDLE_EXAMPLES_CACHE=/un/dossier.")
    size = frenchfmt.number(_tree_size(root) / 2**20, 1)
    return Check("Cache des résultats", Status.OK,
                 f"{root} : accessible en écriture, {size}{NBSP}Mio.")


def check_disk(folders: list[Path]) -> Check:
    seen, free = set(), []
    for folder in folders:
        folder = _existing(folder.resolve())
        usage = shutil.disk_usage(folder)
        if folder.stat().st_dev not in seen:
            seen.add(folder.stat().st_dev)
            free.append((folder, usage.free))
    folder, least = min(free, key=lambda item: item[1])
    text = f"{frenchfmt.number(least / 2**30, 1)}{NBSP}Gio libres sur le disque de {folder}"
    if least < BLOCKING_FREE_BYTES:
        return Check("Espace disque", Status.BLOCKING, text + ".",
                     "Libérez de la place : un exemple écrit quelques Mio, le site quelques "
                     "centaines.")
    if least < LOW_FREE_BYTES:
        return Check("Espace disque", Status.WARNING, text + " : c'est peu.",
                     "Libérez de la place avant de construire le site.")
    return Check("Espace disque", Status.OK, text + ".")


# --- all together --------------------------------------------------------------

def run_checks(lock: Path | None = None, offline: bool = False) -> list[Check]:
    keras_check, backend = check_keras()
    cache = results_cache_root()
    checks = [check_python(), check_packages(find_lock(lock)), keras_check,
              check_gpus(backend)]
    checks += [check_dataset(d, offline) for d in declared_datasets()]
    checks += [check_cache(cache),
               check_disk([cache, Path.cwd(), datasets.keras_datasets_dir()])]
    return checks


_LABELS = {Status.OK: "ok", Status.WARNING: "attention", Status.BLOCKING: "BLOQUANT"}


def french_spacing(text: str) -> str:
    """A no-break space before « : ; ! ? » (not inside "https://" or "a:b")."""
    return re.sub(r" ([:;!?])(?=\s|$)", NBSP + r"\1", text)


def report(checks: list[Check], seconds: float) -> str:
    lines = []
    for check in checks:
        lines.append(f"[{_LABELS[check.status]}] {check.topic}{NBSP}: {check.message}")
        if check.action:
            lines.append(f"    → À faire{NBSP}: {check.action}")
    counts = {status: sum(c.status is status for c in checks) for status in Status}
    blocking = counts[Status.BLOCKING]
    lines.append("")
    lines.append(f"Bilan{NBSP}: {counts[Status.OK]} vérification(s) correcte(s), "
                 f"{counts[Status.WARNING]} avertissement(s), {blocking} problème(s) "
                 f"bloquant(s), en {frenchfmt.duration(seconds)}.")
    lines.append("Tout est prêt pour lancer les exemples." if not blocking else
                 "Corrigez les problèmes bloquants avant de lancer les exemples.")
    return french_spacing("\n".join(lines))


def main(lock: Path | None = None, offline: bool = False) -> int:
    """Print the diagnosis; 1 when something blocks a run, else 0."""
    start = time.perf_counter()
    print(f"Diagnostic de l'installation de fidle-examples, {platform.system()} "
          f"{platform.machine()}\n")
    checks = run_checks(lock, offline)
    print(report(checks, time.perf_counter() - start))
    return 1 if any(c.status is Status.BLOCKING for c in checks) else 0
