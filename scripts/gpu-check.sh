#!/usr/bin/env bash
# The GPU check (issue 22): on a machine with a GPU, a cold full strict build of the
# site (empty cache, profile full), once per Keras backend named (default: the one of
# KERAS_BACKEND, else tensorflow). For each, it prints the device, the backend, the time
# of each example and every claim that the run contradicts, then the total time.
#   scripts/gpu-check.sh                 # tensorflow
#   scripts/gpu-check.sh jax torch       # the other backends (pip extras jax, torch)
# Environment: VENV (default .venv), KERAS_HOME (the datasets), KEEP=1 keeps the
# temporary folders (cache, site, logs). Exit status: 0 when every build passed.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
[ -x "$PY" ] || { echo "Erreur : $PY est absent (make serve ou scripts/install.sh d'abord)." >&2; exit 2; }
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=("${KERAS_BACKEND:-tensorflow}")

if command -v nvidia-smi >/dev/null 2>&1; then
    echo "GPU visibles :"
    nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader | sed 's/^/  /'
else
    echo "Attention : nvidia-smi est absent ; les exemples s'entraîneront sur le processeur."
fi
echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-(non défini : toutes)}"

work=$(mktemp -d "${TMPDIR:-/tmp}/fidle-gpu-check.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
status=0
for backend in "${backends[@]}"; do
    echo
    echo "=== Keras $backend : construction complète et stricte, cache vide ==="
    KERAS_BACKEND=$backend "$PY" - <<'EOF' || { status=1; continue; }
from fidle_examples.core import runtime
print("Matériel vu par Keras :", runtime.device_description(), "— backend", runtime.backend_name())
print("Mode déterministe :", runtime.deterministic_mode(runtime.backend_name()))
EOF
    log="$work/build-$backend.log"
    start=$(date +%s)
    KERAS_BACKEND=$backend FIDLE_EXAMPLES_PROFILE=full FIDLE_EXAMPLES_CACHE="$work/cache-$backend" \
        "$PY" -m mkdocs build --strict --site-dir "$work/site-$backend" >"$log" 2>&1
    code=$?
    elapsed=$(( $(date +%s) - start ))
    echo "Durée de chaque entraînement (exemple, durée, matériel) :"
    grep -o "« [^»]* » : entraîné en .*" "$log" | sed 's/^/  /'
    if grep -q "affirmations fausses\|affirmations qui dépendent du matériel" "$log"; then
        echo "Affirmations contredites par ces exécutions :"
        sed -n '/affirmations fausses\|affirmations qui dépendent du matériel/,/^[A-Z]/p' "$log" \
            | grep -v "^INFO" | sed 's/^/  /'
    fi
    if [ $code -eq 0 ]; then
        echo "Construction réussie en ${elapsed} s (Keras $backend)."
    else
        echo "ÉCHEC de la construction (code $code) après ${elapsed} s (Keras $backend) ; fin du journal :"
        tail -n 30 "$log" | sed 's/^/  /'
        status=1
    fi
done
[ "${KEEP:-0}" = 1 ] && echo "Dossiers gardés : $work"
exit $status
