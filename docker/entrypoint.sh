#!/usr/bin/env bash
# Entry point of the Docker image (see the Dockerfile and README.md, section « Docker »).
#   serve (default)     build the site, training what the results cache lacks, then serve the
#                       built site on 0.0.0.0:$PORT (8000)
#   build               build the site only
#   list | run | show   fidle-examples commands, run in $DATA_DIR: `run mnist` writes
#                       $DATA_DIR/results/mnist, in the volume
#   anything else       executed as is: bash, python, fidle-examples...
set -euo pipefail

PORT=${PORT:-8000}
DATA_DIR=${DATA_DIR:-/data}

fail() {
    echo "Erreur : $*" >&2
    exit 1
}

# The volume must be writable by this user, else every example would train and fail to save.
check_writable() {  # check_writable VARIABLE
    local dir=${!1:-}
    [ -n "$dir" ] || fail "la variable $1 est vide ; elle doit désigner un dossier du volume."
    if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ]; then
        fail "le dossier $dir ($1) n'est pas accessible en écriture pour l'utilisateur \
$(id -un 2>/dev/null || id -u) (uid $(id -u)). Avec un dossier de l'hôte monté sur /data, \
donnez-le à cet uid (sudo chown -R $(id -u) DOSSIER) ou reconstruisez l'image avec \
--build-arg FIDLE_UID=\$(id -u) ; un volume nommé (-v fidle-data:/data) n'a pas ce problème."
    fi
}

check_volume() {
    check_writable KERAS_HOME
    check_writable FIDLE_EXAMPLES_CACHE
}

# Runs "$@" as a child and stops it on Ctrl-C / docker stop: bash as PID 1 would otherwise
# let it train on until Docker kills everything. SIGTERM, since a background job of a
# non-interactive shell ignores SIGINT. The results cache is written atomically, so an
# interrupted build loses nothing already trained.
run_child() {
    local child status=0
    "$@" &
    child=$!
    trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM
    wait "$child" || status=$?
    while kill -0 "$child" 2>/dev/null; do  # wait returned early, on a signal
        status=0
        wait "$child" || status=$?
    done
    trap - INT TERM
    return "$status"
}

build_site() {
    echo "Construction du site (profil ${FIDLE_EXAMPLES_PROFILE:-full}) : les exemples absents" \
         "du cache $FIDLE_EXAMPLES_CACHE sont entraînés, les autres relus."
    run_child mkdocs build --strict --site-dir site
}

command=${1:-serve}
case "$command" in
    serve)
        [ $# -le 1 ] || fail "« serve » ne prend pas d'argument (reçu : ${*:2})."
        check_volume
        build_site
        echo "Site prêt : http://localhost:$PORT/ (Ctrl-C pour arrêter)"
        exec python -m http.server --bind 0.0.0.0 --directory site "$PORT"
        ;;
    build)
        [ $# -le 1 ] || fail "« build » ne prend pas d'argument (reçu : ${*:2})."
        check_volume
        build_site
        ;;
    run)
        check_volume
        check_writable DATA_DIR
        cd "$DATA_DIR"
        exec fidle-examples "$@"
        ;;
    list | show)
        if [ -d "$DATA_DIR" ]; then cd "$DATA_DIR"; fi
        exec fidle-examples "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
