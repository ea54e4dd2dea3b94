#!/usr/bin/env bash
# `make test`: the whole suite but the release tier, as two pytest processes at once.
#   - main, in the foreground: the tests that use the session's trained examples or built
#     site (made once per process: conftest.py), the browser and the slow ones;
#   - beside: all the others (make test-fast's, and the small builds of their own).
# Why: run alone, the suite leaves one of the two cores idle much of the time (sampled
# every second over one run: 410 idle core-seconds in 656 s of pytest, inflated there by
# bytecode compiled again in every process; the CPU times of the pytest-xdist trials gave
# about 400 in 550 s): outside the trainings, the site builds, the notebooks and the page
# audit, a test uses little more than one core.
# The tests beside fill it. Together the two selections are exactly -m "not release"
# (tests/test_shell_scripts.py). The timed first page of `mkdocs serve` waits for the
# tests beside to end (tests/test_serve.py, FIDLE_TESTS_BESIDE_END).
#   PYTHON  the venv's interpreter (default .venv/bin/python); extra arguments go to both
#           (each side must keep tests: pytest's "no tests ran", 5, counts as a failure).
# Limits: a SIGTERM sent to this script alone acts once the main pytest has ended (bash
# runs traps between commands): signal the process group, as Ctrl-C and timeout do. A
# process that a test beside starts in a session of its own (start_new_session) escapes
# stop_beside's signals unless that test's teardown stops it, as the tests do.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
BESIDE='not slow and not browser and not shared_build and not release'
MAIN='not release and (slow or browser or shared_build)'

work=$(mktemp -d)
end="$work/beside.end"  # its exit status, written when it ends, however it ends
beside=

stop_beside() {
    # Its own process group: SIGINT first (pytest then tears its fixtures down, which
    # stop what they started), then SIGTERM for whatever is left of the group.
    kill -INT -- "-$beside" 2>/dev/null || return 0
    for _ in $(seq 100); do
        [ -e "$end" ] && break
        sleep 0.1
    done
    kill -TERM -- "-$beside" 2>/dev/null
    return 0
}
# A second Ctrl-C while the tests beside are being stopped must not cut that short.
trap 'trap "" INT TERM; [ -z "$beside" ] || stop_beside; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Job control while it starts: the tests beside get a process group of their own, the
# one stop_beside signals (and, unless this script itself ignores SIGINT, they do not).
# Their own pytest cache folder: two sessions writing .pytest_cache/ at once could garble it.
set -m
(
    set +m
    # Survive the SIGINT of stop_beside long enough to write the end file (a handler,
    # not an ignored signal: pytest must not inherit SIGINT ignored).
    trap : INT
    "$PYTHON" -m pytest -m "$BESIDE" -o cache_dir=.pytest_cache/beside "$@" \
        > "$work/beside.log" 2>&1
    status=$?
    echo "$status" > "$end"
    exit "$status"
) &
beside=$!
set +m
echo "Une partie des tests tourne en même temps, dans un second processus pytest ; son compte" \
     "rendu s'affichera ci-dessous, après celui du processus principal."
FIDLE_TESTS_BESIDE_END="$end" "$PYTHON" -m pytest -m "$MAIN" "$@"
main_status=$?
wait "$beside"
beside_status=$?
beside=

echo
echo "=== Second processus pytest (-m \"$BESIDE\") ==="
cat "$work/beside.log"
echo
if [ "$main_status" -eq 0 ] && [ "$beside_status" -eq 0 ]; then
    echo "make test : les deux parties de la suite ont réussi."
    exit 0
fi
echo "make test : échec (code de sortie $main_status pour le processus principal," \
     "$beside_status pour le second ; leurs comptes rendus sont ci-dessus)." >&2
# pytest's own codes: 1 tests failed, 2 interrupted, 3 internal error, 4 usage, 5 none ran.
[ "$main_status" -ne 0 ] && exit "$main_status"
exit "$beside_status"
