#!/usr/bin/env bash
# `make test`: the whole suite but the release tier, as two pytest processes at once.
#   - main, in the foreground: the tests that use the session's trained examples or built
#     site (made once per process: conftest.py), the browser and the slow ones;
#   - beside: all the others (make test-fast's, and the small builds of their own).
# Why: run alone, the suite leaves one of the two cores idle most of the time (sampled
# every second over a fresh-clone run: 410 idle core-seconds in 656 s): outside the
# trainings, the site builds and the browser, a test uses one core. The tests beside
# fill it. Together the two selections are exactly -m "not release"
# (tests/test_shell_scripts.py). The timed first page of `mkdocs serve` waits for the
# tests beside to end (tests/test_serve.py, FIDLE_TESTS_BESIDE_END).
#   PYTHON  the venv's interpreter (default .venv/bin/python); extra arguments go to both.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
BESIDE='not slow and not browser and not shared_build and not release'
MAIN='not release and (slow or browser or shared_build)'

work=$(mktemp -d)
beside_pid=
# Ctrl-C reaches the main pytest; the one beside (started with &, so ignoring SIGINT)
# is stopped here.
trap '[ -z "$beside_pid" ] || kill "$beside_pid" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Its own cache folder: two sessions writing .pytest_cache/ at once could garble it.
FIDLE_TESTS_WRITE_END="$work/beside.end" "$PYTHON" -m pytest -m "$BESIDE" \
    -o cache_dir=.pytest_cache/beside "$@" > "$work/beside.log" 2>&1 &
beside_pid=$!
echo "Une partie des tests tourne en même temps, dans un second processus pytest ; son compte" \
     "rendu s'affichera après celui des tests principaux, ci-dessous."
FIDLE_TESTS_BESIDE_END="$work/beside.end" "$PYTHON" -m pytest -m "$MAIN" "$@"
main_status=$?
wait "$beside_pid"
beside_status=$?
beside_pid=

echo
echo "=== Tests lancés à côté (-m \"$BESIDE\") ==="
cat "$work/beside.log"
echo
if [ "$main_status" -eq 0 ] && [ "$beside_status" -eq 0 ]; then
    echo "make test : les deux parties de la suite ont réussi."
    exit 0
fi
echo "make test : échec (code de sortie $main_status pour les tests principaux, $beside_status" \
     "pour ceux lancés à côté ; leurs comptes rendus sont ci-dessus)." >&2
# pytest's own codes: 1 tests failed, 2 interrupted, 3 internal error, 4 usage, 5 none ran.
[ "$main_status" -ne 0 ] && exit "$main_status"
exit "$beside_status"
