#!/usr/bin/env bash
# One install step shared by the Makefile, CI and the Dockerfile:
# a virtual environment with the project and the exact versions of requirements.lock.
#   VENV    where to create it (default .venv)
#   PYTHON  the interpreter to create it with (default python3, 3.11 or newer)
#   EXTRAS  extras of the project to install (default dev; the Docker image uses gpu)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
EXTRAS=${EXTRAS:-dev}

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11, 5))' || {
    echo "Erreur : Python 3.11.5 ou plus récent est nécessaire ($PYTHON est $("$PYTHON" --version 2>&1))." >&2
    exit 1
}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip==26.3"
"$VENV/bin/python" -m pip install --quiet --constraint requirements.lock --editable ".[$EXTRAS]"
echo "Environnement prêt : $VENV"
