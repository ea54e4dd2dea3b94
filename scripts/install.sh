#!/usr/bin/env bash
# One install step shared by the Makefile, CI and the Dockerfile:
# a virtual environment with the project and the exact versions of requirements.lock.
#   VENV    where to create it (default .venv)
#   PYTHON  the interpreter to create it with (default python3, 3.11 or newer)
#   EXTRAS  extras of the project, comma-separated (default dev; the Docker image uses gpu;
#           the lock already holds dev's tools, gpu adds requirements-gpu.lock)
#   COMPILE 1 compiles every installed module to bytecode now, 0 leaves it to the first
#           import (default: 0, or 1 under PYTHONDONTWRITEBYTECODE; see below)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
EXTRAS=${EXTRAS:-dev}
# Python compiles a module to bytecode on its first import and keeps it (__pycache__):
# compiling the thousands of modules never imported at install time is wasted (3
# alternated pairs of installs, each followed by the first import of the main packages,
# which then writes their bytecode: 55.4 s against 81.0 s, median ratio 0.70). Where
# Python keeps nothing, compile now, or every process would compile again: under
# PYTHONDONTWRITEBYTECODE (set on some machines and images), or in a venv its users
# cannot write (the Docker image: COMPILE=1).
[ -z "${PYTHONDONTWRITEBYTECODE:-}" ] && default_compile=0 || default_compile=1
COMPILE=${COMPILE:-$default_compile}
case "$COMPILE" in 0) compile=--no-compile ;; 1) compile=--compile ;; *)
    echo "Erreur : COMPILE doit valoir 0 ou 1, pas « $COMPILE »." >&2; exit 2 ;;
esac

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11, 5))' || {
    echo "Erreur : Python 3.11.5 ou plus récent est nécessaire ($PYTHON est $("$PYTHON" --version 2>&1))." >&2
    exit 1
}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip==26.3"
# Every dependency at its locked version, each file checked against the lock's hashes.
# pip uses one core: TensorFlow, by far the largest package, is installed by a pip of its
# own at the same time as the rest (3 alternated installs: 56.9 s against 74.8 s in one
# pip). Both take only what the lock names (--no-deps); pip check then proves that the
# lock left no dependency out.
split=$(mktemp -d)
trap 'rm -rf "$split"; [ -z "${tensorflow_pip:-}" ] || kill "$tensorflow_pip" 2>/dev/null || true' EXIT
awk -v heavy="$split/tensorflow.txt" -v rest="$split/rest.txt" '
    /^#/ { next }
    /^[A-Za-z0-9]/ { split($0, pin, "=="); out = (tolower(pin[1]) == "tensorflow") ? heavy : rest }
    { print > out }' requirements.lock
"$VENV/bin/python" -m pip install --quiet "$compile" --no-deps --require-hashes \
    --requirement "$split/tensorflow.txt" &
tensorflow_pip=$!
"$VENV/bin/python" -m pip install --quiet "$compile" --no-deps --require-hashes \
    --requirement "$split/rest.txt"
wait "$tensorflow_pip"
tensorflow_pip=
"$VENV/bin/python" -m pip check > "$split/check.txt" || {
    cat "$split/check.txt" >&2
    echo "Erreur : requirements.lock ne contient pas toutes les dépendances (pip check" \
         "ci-dessus) ; régénérez-le (python scripts/lock_hashes.py)." >&2
    exit 1
}
case ",$EXTRAS," in *,gpu,*)
    "$VENV/bin/python" -m pip install --quiet "$compile" --require-hashes \
        --requirement requirements-gpu.lock
esac
# Then the project itself, which adds nothing unchecked (--no-deps).
"$VENV/bin/python" -m pip install --quiet --no-deps --editable .
# The other backends (jax, torch: comparisons) at the versions of requirements-backends.lock.
for extra in ${EXTRAS//,/ }; do
    case "$extra" in dev|gpu) ;; *)
        "$VENV/bin/python" -m pip install --quiet "$compile" \
            --constraint requirements-backends.lock --editable ".[$extra]" ;;
    esac
done
echo "Environnement prêt : $VENV"
