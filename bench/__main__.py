"""`python -m bench`: every measure in one run, then the JSON report and the French tables.

    python -m bench                     # full profile: cold builds train everything
    python -m bench --profile quick     # fast iterations (labelled as such)
    python -m bench --skip-cold         # warm and disabled builds only
    python -m bench --cold-repeats 1    # one cold build with 1 process, one with the pool
    python -m bench --from-json bench/results/latest.json  # tables only, no measure
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import machine, report, sitebuild, worker

RESULTS = machine.ROOT / "bench" / "results"
TABLE = machine.ROOT / "bench" / "resultats.md"


def run_backend(backend: str, env: dict, profile: str, repeats: int, skip: str) -> dict:
    """bench.worker in a child process with KERAS_BACKEND=backend."""
    env = {**env, "KERAS_BACKEND": backend,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(machine.ROOT),
                                                       env.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", "--profile", profile, "--repeats",
         str(repeats), "--skip", skip], cwd=machine.ROOT, env=env, capture_output=True,
        text=True)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(worker.RESULT_PREFIX):
            return json.loads(line[len(worker.RESULT_PREFIX):])
    tail = " ".join((done.stdout + done.stderr).strip().splitlines()[-3:])
    return {"error": f"échec du processus de mesure (code {done.returncode}) : {tail}"}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=("full", "quick"), default="full")
    parser.add_argument("--skip-cold", action="store_true",
                        help="no cold build (the cache is filled without timing it)")
    parser.add_argument("--skip-site", action="store_true", help="no site build at all")
    parser.add_argument("--backends", default=",".join(machine.BACKENDS),
                        help="Keras backends to measure, comma-separated")
    parser.add_argument("--skip", default="",
                        help="worker parts to skip, comma-separated: wine, overhead, "
                             "before (MNIST1 with steps_per_execution=1), profile (the "
                             "step profile of MNIST1 on TensorFlow)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="repetitions of the warm builds and of the overhead runs")
    parser.add_argument("--cold-repeats", type=int, default=2,
                        help="cold builds with 1 process and with the default pool, "
                             "alternated (each this many times)")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--table", type=Path, default=TABLE,
                        help="where to write the French tables ('-' for none)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--from-json", type=Path, metavar="JSON",
                        help="measure nothing: write the tables of an earlier JSON report")
    args = parser.parse_args(argv)
    if args.from_json:
        data = json.loads(args.from_json.read_text(encoding="utf-8"))
        return write_table(data, args.table)

    workdir = machine.workdir()
    data: dict = {"profile": args.profile, "machine": machine.describe()}
    try:
        env = sitebuild.base_env(machine.keras_home(workdir))
        log(f"dossier de travail {workdir} ; KERAS_HOME={env.get('KERAS_HOME', '(défaut)')}")
        if not args.skip_site:
            log(f"construction du site (profil {args.profile}"
                f"{', sans construction à froid' if args.skip_cold else ''})…")
            data["site"] = sitebuild.measure(workdir / "site", env, args.profile,
                                             args.repeats, cold=not args.skip_cold,
                                             cold_repeats=args.cold_repeats, log=log)
            log("site : " + ", ".join(f"{k} {report.num(v, 2)}" for k, v in data["site"].items()
                                      if isinstance(v, float)))
        installed = machine.installed_backends()
        data["backends"] = {}
        for backend in filter(None, args.backends.split(",")):
            if not installed.get(backend):
                extra = {"jax": " (pip install '.[jax]')", "torch": " (pip install '.[torch]')"}
                data["backends"][backend] = {
                    "absent": f"non installé{extra.get(backend, '')}"}
                log(f"{backend} : non installé, ignoré")
                continue
            log(f"{backend} : mesures (profil {args.profile})…")
            load = machine.load_average()
            data["backends"][backend] = run_backend(backend, env, args.profile,
                                                    args.repeats, args.skip)
            data["backends"][backend]["load"] = [load, machine.load_average()]
            log(f"{backend} : terminé")
        data["machine"]["load_average_at_end"] = machine.load_average()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"rapport JSON : {args.output}")
    return write_table(data, args.table)


def write_table(data: dict, table: Path) -> int:
    # A run that measured no engine keeps the engine sections of the file it replaces.
    previous = table.read_text(encoding="utf-8") if str(table) != "-" and table.exists() \
        else None
    text = report.markdown(data, previous)
    if str(table) == "-":
        print(text)
    else:
        table.write_text(text, encoding="utf-8")
        log(f"tableaux : {table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
